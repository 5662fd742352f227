//! The service's failures as one type, answered in one place (axum's `AppError` idiom).
//!
//! A handler's work fails with a [`Failure`]: a refusal the caller can act on (a typed
//! [`ErrorCode`], decided by the handler or by the store: a wrong token, a used nonce, …),
//! or a failure of the service itself (the database), which is logged and answered
//! `MW9000`/`MW9001` without detail. An [`ApiError`] is a failure with the facts of the
//! request it answers (its negotiated charset, time, facility, reference kind; see
//! [`XmlReplier`]) and implements [`IntoResponse`]: the `XmlMsg` error in that charset, the
//! code's HTTP status, and the headers some codes carry (`WWW-Authenticate`, `Retry-After`).

use axum::http::HeaderValue;
use axum::http::header::{RETRY_AFTER, WWW_AUTHENTICATE};
use axum::response::{IntoResponse, Response};

use super::reply::XmlReplier;
use crate::db::DbError;
use crate::errors::{ErrorCode, HttpStatus as _};
use crate::store::StoreError;

/// Why a request is not answered normally.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Failure {
    /// The request is refused with this code (the caller can act on it).
    #[error("refused with {}", .0.code())]
    Refused(ErrorCode),
    /// Activations in this scope are locked after wrong codes: `MW0030`, and the client may
    /// try again after this many seconds (`Retry-After`).
    #[error("activation locked for {retry_after} s")]
    ActivationLocked {
        /// Seconds until the lock ends (at least 1).
        retry_after: i64,
    },
    /// The store failed (the database): logged, answered without detail.
    #[error(transparent)]
    Service(StoreError),
    /// Another part of the service failed (a task): logged, answered `MW9000`.
    #[error("{0}")]
    Internal(String),
}

impl Failure {
    /// The code the answer carries.
    pub fn code(&self) -> ErrorCode {
        match self {
            Failure::Refused(code) => *code,
            Failure::ActivationLocked { .. } => ErrorCode::ActivationLocked,
            Failure::Service(err) => err.code(),
            Failure::Internal(_) => ErrorCode::Internal,
        }
    }
}

impl From<ErrorCode> for Failure {
    fn from(code: ErrorCode) -> Self {
        Failure::Refused(code)
    }
}

/// A store error is a refusal when its code is one (a wrong token, a used nonce, …) and a
/// failure of the service when it is `MW9000`/`MW9001` (the database, an unstorable value).
impl From<StoreError> for Failure {
    fn from(err: StoreError) -> Self {
        match err.code() {
            ErrorCode::Internal | ErrorCode::Unavailable => Failure::Service(err),
            code => Failure::Refused(code),
        }
    }
}

impl From<DbError> for Failure {
    fn from(err: DbError) -> Self {
        StoreError::Db(err).into()
    }
}

/// A failure with the facts of the request it answers; axum answers it as an `XmlMsg` error.
#[derive(Debug)]
pub struct ApiError {
    failure: Failure,
    reply: XmlReplier,
}

impl ApiError {
    /// `failure`, answered with `reply`'s facts (charset, time, facility, reference kind).
    pub fn new(failure: impl Into<Failure>, reply: &XmlReplier) -> Self {
        Self {
            failure: failure.into(),
            reply: reply.clone(),
        }
    }

    /// The failure, to be answered with other facts (e.g. once the facility is known).
    pub fn into_failure(self) -> Failure {
        self.failure
    }

    /// The code the answer carries.
    pub fn code(&self) -> ErrorCode {
        self.failure.code()
    }
}

impl From<ApiError> for Failure {
    fn from(err: ApiError) -> Self {
        err.failure
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self.failure {
            Failure::Service(err) => tracing::error!(%err, "database failure"),
            Failure::Internal(err) => tracing::error!(%err, "service failure"),
            Failure::Refused(_) | Failure::ActivationLocked { .. } => {}
        }
        let code = self.failure.code();
        let mut response = self.reply.xml(code.status(), &self.reply.error_msg(code));
        let headers = response.headers_mut();
        match code {
            ErrorCode::Unauthorized | ErrorCode::TerminalRevoked => {
                headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ErrorCode::TokenExpired => {
                headers.insert(
                    WWW_AUTHENTICATE,
                    HeaderValue::from_static(
                        "Bearer error=\"invalid_token\", error_description=\"expired\"",
                    ),
                );
            }
            _ => {}
        }
        if let Failure::ActivationLocked { retry_after } = self.failure {
            headers.insert(RETRY_AFTER, HeaderValue::from(retry_after.max(1)));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::reply::Charset;
    use axum::http::StatusCode;
    use axum::http::header::CONTENT_TYPE;
    use myna_core::oqs::Encoding;

    fn reply(charset: Charset) -> XmlReplier {
        XmlReplier::new(time::OffsetDateTime::UNIX_EPOCH, charset)
    }

    #[test]
    fn store_errors_split_into_refusals_and_service_failures() {
        assert!(matches!(
            Failure::from(StoreError::ChallengeUsed),
            Failure::Refused(ErrorCode::ChallengeUsed)
        ));
        assert!(matches!(
            Failure::from(StoreError::UnknownToken),
            Failure::Refused(ErrorCode::Unauthorized)
        ));
        let db = Failure::from(DbError::Task("gone".into()));
        assert!(matches!(db, Failure::Service(_)));
        assert_eq!(db.code(), ErrorCode::Internal);
        assert!(matches!(
            Failure::from(StoreError::Invalid("x".into())),
            Failure::Service(_)
        ));
    }

    #[test]
    fn the_answer_carries_the_status_the_charset_and_the_headers() {
        let sjis = Charset(Encoding::ShiftJis);
        let response = ApiError::new(ErrorCode::TokenExpired, &reply(sjis)).into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.headers()[CONTENT_TYPE],
            "application/xml; charset=Shift_JIS"
        );
        assert!(
            response.headers()[WWW_AUTHENTICATE]
                .to_str()
                .unwrap()
                .contains("invalid_token")
        );

        let locked = ApiError::new(
            Failure::ActivationLocked { retry_after: 90 },
            &reply(Charset::UTF8),
        )
        .into_response();
        assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(locked.headers()[RETRY_AFTER], "90");
        assert!(!locked.headers().contains_key(WWW_AUTHENTICATE));

        let bad = ApiError::new(ErrorCode::BadRequest, &reply(Charset::UTF8)).into_response();
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            bad.headers()[CONTENT_TYPE],
            "application/xml; charset=UTF-8"
        );
        assert!(!bad.headers().contains_key(RETRY_AFTER));
    }
}
