//! Request bodies: [`ApiJson`], axum's `Json` extractor with its rejections mapped to the
//! service's codes.
//!
//! | axum's rejection | code |
//! |---|---|
//! | `Content-Type` not `application/json` or `application/*+json` | `MW0025` (415) |
//! | body over the route's limit ([`super::MAX_BODY_BYTES`]) | `MW0026` (413) |
//! | not JSON, or JSON of the wrong shape | `MW0001` (400) |
//!
//! Handlers take `Result<ApiJson<T>, ApiError>` and look at it after the terminal
//! authenticated, so a caller without a valid token learns nothing about the body's checks
//! (and the refusal is answered with the facility's header facts).

use axum::Json;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use super::error::{ApiError, Failure};
use super::reply::{Charset, XmlReplier};
use crate::AppState;
use crate::errors::ErrorCode;

/// A JSON request body read by axum's `Json`, refused with the service's codes.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let charset = Charset::negotiate(req.uri().query(), req.headers()).unwrap_or_default();
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(ApiError::new(
                json_refusal(&rejection),
                &XmlReplier::new(state.now(), charset),
            )),
        }
    }
}

/// The service's code for a rejection of axum's `Json`.
pub fn json_refusal(rejection: &JsonRejection) -> Failure {
    tracing::debug!(%rejection, "JSON body refused");
    Failure::Refused(match rejection.status() {
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
        _ => ErrorCode::BadRequest,
    })
}

/// The service's code for a body that could not be read at all (too large, cut off).
pub fn bytes_refusal(rejection: &BytesRejection) -> Failure {
    Failure::Refused(if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ErrorCode::PayloadTooLarge
    } else {
        ErrorCode::BadRequest
    })
}
