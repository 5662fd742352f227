//! Every error the service answers with, in one table.
//!
//! The official error-code list is distributed only to registered vendors, so the project
//! defines its own: `MWnnnn`, one code per failure a caller may act on, each with a Japanese
//! `ErrorMessage` for reception staff and an HTTP status. The table itself lives in the core
//! (`myna_core::oqs::ServiceErrorCode`, re-exported here as [`ErrorCode`]) so the service
//! and the browser module cannot disagree; `docs/error-codes.md` lists the same table and a
//! test keeps the two in step.
//!
//! Every failure is answered as an `XmlMsg` with `SegmentOfResult` 9, this `ErrorCode` and
//! this `ErrorMessage`: handlers fail with [`crate::http::error::ApiError`], which answers
//! in the request's negotiated charset.
//!
//! HTTP statuses: 400 a malformed body; 401 the terminal or the card did not authenticate
//! (token, certificate, signature; only the
//! token failures carry `WWW-Authenticate: Bearer`); 403 a policy refusal (mode, origin,
//! another terminal's nonce); 404/409/410 a nonce never issued / already used / expired;
//! 409 the terminal limit; 422 a well-formed request missing what its mode needs or with
//! invalid search values; 5xx the service.

use axum::http::StatusCode;

/// The service's `ErrorCode` table: the core's (one table for the service, the browser
/// module and the docs; see [`myna_core::oqs::ServiceErrorCode`]).
pub use myna_core::oqs::ServiceErrorCode as ErrorCode;

/// The HTTP status of a code, as axum's type.
pub trait HttpStatus {
    /// The status the service answers with.
    fn status(self) -> StatusCode;
}

impl HttpStatus for ErrorCode {
    fn status(self) -> StatusCode {
        StatusCode::from_u16(self.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.code()), "duplicate {}", code.code());
            let text = code.code();
            assert_eq!(text.len(), 6);
            assert!(text.starts_with("MW") && text[2..].bytes().all(|b| b.is_ascii_digit()));
            assert!(code.status().is_client_error() || code.status().is_server_error());
            assert!(!code.message().is_empty());
        }
    }

    #[test]
    fn the_documentation_lists_every_code_with_its_status_and_message() {
        let doc = include_str!("../docs/error-codes.md");
        for code in ErrorCode::ALL {
            let row = doc
                .lines()
                .find(|line| line.starts_with(&format!("| `{}` ", code.code())))
                .unwrap_or_else(|| panic!("{} is not in docs/error-codes.md", code.code()));
            assert!(
                row.contains(&format!("| {} |", code.status().as_u16())),
                "{}: status",
                code.code()
            );
            assert!(row.contains(code.message()), "{}: message", code.code());
        }
        let rows = doc.lines().filter(|l| l.starts_with("| `MW")).count();
        assert_eq!(
            rows,
            ErrorCode::ALL.len(),
            "docs/error-codes.md has extra rows"
        );
    }
}
