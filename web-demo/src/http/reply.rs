//! Answers: `XmlMsg` documents in the negotiated character set, and the JSON answers of
//! the terminal endpoints.
//!
//! ## Character set
//! UTF-8 unless the request asks for Shift_JIS (CP932): the query parameter
//! `?charset=Shift_JIS` (browsers cannot set `Accept-Charset`: it is a forbidden header
//! name for `fetch`), else the `Accept-Charset` header (the highest-q supported charset;
//! UTF-8 on a tie or when nothing listed is supported). An unsupported `charset` parameter
//! is refused with `MW0027` (in UTF-8). Aliases: `UTF-8`/`utf8`; `Shift_JIS`, `Shift-JIS`,
//! `SJIS`, `Windows-31J`, `CP932`, `MS932` — all mean CP932, as Japanese systems do.

use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use myna_core::oqs::{Encoding, ReferenceClassification, SegmentOfResult, XmlMsg, to_xml};
use serde::Serialize;
use time::OffsetDateTime;

use super::error::{ApiError, Failure};
use crate::AppState;
use crate::errors::ErrorCode;
use crate::qualification::response_context;

/// The character set an answer is written in, chosen per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Charset(pub Encoding);

impl Default for Charset {
    fn default() -> Self {
        Charset::UTF8
    }
}

impl Charset {
    /// UTF-8, the default.
    pub const UTF8: Charset = Charset(Encoding::Utf8);

    /// Parses a charset name (case-insensitive, aliases accepted).
    pub fn from_name(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Some(Charset(Encoding::Utf8)),
            "shift_jis" | "shift-jis" | "sjis" | "windows-31j" | "cp932" | "ms932" | "x-sjis" => {
                Some(Charset(Encoding::ShiftJis))
            }
            _ => None,
        }
    }

    /// Chooses from the query parameter, then `Accept-Charset`.
    pub fn negotiate(query: Option<&str>, headers: &HeaderMap) -> Result<Self, ErrorCode> {
        if let Some(query) = query {
            for pair in query.split('&') {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                if key.eq_ignore_ascii_case("charset") {
                    return Charset::from_name(value).ok_or(ErrorCode::UnsupportedCharset);
                }
            }
        }
        let Some(accept) = headers
            .get(axum::http::header::ACCEPT_CHARSET)
            .and_then(|v| v.to_str().ok())
        else {
            return Ok(Charset(Encoding::Utf8));
        };
        let mut best = (0.0f32, Encoding::Utf8);
        for item in accept.split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or("").trim();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let encoding = if name == "*" {
                Some(Encoding::Utf8)
            } else {
                Charset::from_name(name).map(|c| c.0)
            };
            if let Some(encoding) = encoding {
                let better = q > best.0 || (q == best.0 && q > 0.0 && encoding == Encoding::Utf8);
                if better {
                    best = (q, encoding);
                }
            }
        }
        Ok(Charset(best.1))
    }
}

impl FromRequestParts<AppState> for Charset {
    /// An unsupported `charset` parameter: `MW0027`, answered in UTF-8.
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Charset::negotiate(parts.uri.query(), &parts.headers)
            .map_err(|code| XmlReplier::new(state.now(), Charset::UTF8).refuse(code))
    }
}

/// Writes `XmlMsg` answers with the request's facts (time, facility, reference kind,
/// charset).
#[derive(Debug, Clone)]
pub struct XmlReplier {
    now: OffsetDateTime,
    charset: Charset,
    facility_code: Option<String>,
    reference: Option<ReferenceClassification>,
    arbitrary_file_identifier: Option<String>,
}

impl XmlReplier {
    /// A replier for a request handled at `now`.
    pub fn new(now: OffsetDateTime, charset: Charset) -> Self {
        Self {
            now,
            charset,
            facility_code: None,
            reference: None,
            arbitrary_file_identifier: None,
        }
    }

    /// Sets the reference kind (1 card, 2 numbers).
    pub fn reference(mut self, reference: ReferenceClassification) -> Self {
        self.reference = Some(reference);
        self
    }

    /// Sets the facility once the terminal is known.
    pub fn facility(&mut self, code: &str) {
        self.facility_code = Some(code.to_owned());
    }

    /// Sets the `ArbitraryFileIdentifier` to echo.
    pub fn arbitrary_file_identifier(&mut self, id: Option<String>) {
        self.arbitrary_file_identifier = id;
    }

    /// The header context for a normal answer.
    pub fn context(&self) -> myna_core::oqs::ResponseContext {
        response_context(
            self.now,
            self.facility_code.as_deref().unwrap_or_default(),
            self.reference.unwrap_or(ReferenceClassification::Card),
            self.arbitrary_file_identifier.clone(),
        )
    }

    /// The error `XmlMsg` for `code` (`SegmentOfResult` 9).
    pub fn error_msg(&self, code: ErrorCode) -> XmlMsg {
        let context = self.context();
        let mut msg = XmlMsg::error(&context, code.code(), code.message());
        let header = &mut msg.message_header;
        if self.facility_code.is_none() {
            header.medical_institution_code = None;
        }
        if self.reference.is_none() {
            header.reference_classification = None;
        }
        debug_assert!(
            header
                .segment_of_result
                .as_ref()
                .is_some_and(|s| s.is(SegmentOfResult::Abnormal))
        );
        msg
    }

    /// `failure` as this request's answer (see [`ApiError`]).
    pub fn refuse(&self, failure: impl Into<Failure>) -> ApiError {
        ApiError::new(failure, self)
    }

    /// `msg` as `application/xml` with `status`.
    pub fn xml(&self, status: StatusCode, msg: &XmlMsg) -> Response {
        let content_type = match self.charset.0 {
            Encoding::ShiftJis => "application/xml; charset=Shift_JIS",
            _ => "application/xml; charset=UTF-8",
        };
        let mut response = (status, to_xml(msg, self.charset.0)).into_response();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

/// A JSON answer that must not be cached (tokens, nonces, audit data).
pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    let mut response = (status, Json(value)).into_response();
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            axum::http::header::ACCEPT_CHARSET,
            HeaderValue::from_str(value).unwrap(),
        );
        h
    }

    #[test]
    fn negotiation_prefers_the_query_then_q_values() {
        use Encoding::{ShiftJis, Utf8};
        // (query, Accept-Charset, the choice)
        let cases = [
            (None, None, Ok(Utf8)),
            (Some("charset=Shift_JIS"), None, Ok(ShiftJis)),
            (Some("a=1&charset=cp932"), Some("utf-8"), Ok(ShiftJis)),
            (
                Some("charset=EUC-JP"),
                None,
                Err(ErrorCode::UnsupportedCharset),
            ),
            (None, Some("Shift_JIS"), Ok(ShiftJis)),
            (None, Some("utf-8;q=0.5, windows-31j"), Ok(ShiftJis)),
            (None, Some("shift_jis, utf-8"), Ok(Utf8)),
            (None, Some("euc-jp"), Ok(Utf8)),
        ];
        for (query, accept_charset, choice) in cases {
            let headers = accept_charset.map_or_else(HeaderMap::new, accept);
            assert_eq!(
                Charset::negotiate(query, &headers),
                choice.map(Charset),
                "{query:?}, {accept_charset:?}"
            );
        }
    }
}
