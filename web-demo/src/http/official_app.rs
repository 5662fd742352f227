//! `POST /api/v1/confirmations` with `mode: "official-app"`: a check done with the
//! government's マイナ資格確認アプリ, brought into the web reception screen by pasting the app's
//! copied result, so a facility that checks with the official app still gets one history.
//!
//! Body: `{"mode": "official-app", "copyText": "資格情報\r\n確認日 : \t…", "operator": "…",
//! "arbitraryFileIdentifier"?: "…"}` (`copyText` up to 48 KiB, inside the 64 KiB body limit).
//! The service reads the text itself with the core's parser (`myna_core::oqs::parse_copy_text`,
//! the same one the browser module's `parseCopyText` runs): the browser's reading is never
//! trusted for the record. The answer is that tree as an `XmlMsg`, with this service's
//! `ProcessExecutionTime`, `MedicalInstitutionCode` and `ArbitraryFileIdentifier`; the
//! `QualificationConfirmationDate` stays the app's `確認日`. When that date is not today (JST)
//! the answer carries a `ProcessingResultMessage` saying so.
//!
//! Audit: kind `confirmation`, mode `official-app`, the operator, and the result's
//! `QualificationValidity` — or `MW0035` for a text that is not the app's (another language,
//! mangled, cut short), `MW0019` without an operator. Nothing from the text is stored beyond
//! what the other modes store (no names, no numbers).
//!
//! No certificate, signature or nonce is involved: the identity check was the app's. The
//! facility's PIN/目視 mode settings do not apply (the app has its own).
//!
//! The router sends every `POST /api/v1/confirmations` here first ([`dispatch`]); anything
//! whose `mode` is not `official-app` goes on to the card-based handler untouched.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request, State};
use axum::http::HeaderMap;
use axum::response::Response;
use myna_core::oqs::{ReferenceClassification, XmlMsg, parse_copy_text};
use serde::Deserialize;

use super::body::{ApiJson, bytes_refusal};
use super::error::{ApiError, Failure};
use super::reply::{Charset, XmlReplier};
use super::{audit_then_answer, authenticate, short_text};
use crate::AppState;
use crate::errors::ErrorCode;
use crate::store::audit::{AuditEntry, AuditKind, AuditMode};

/// The `mode` value of this kind of confirmation.
pub const MODE: &str = "official-app";

/// The largest copy text accepted (a real one is under 1 KiB).
pub const MAX_COPY_TEXT_BYTES: usize = 48 * 1024;

#[derive(Debug, Deserialize)]
struct ModeOnly {
    mode: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct OfficialAppRequest {
    #[allow(dead_code)]
    mode: String,
    copy_text: String,
    operator: Option<String>,
    arbitrary_file_identifier: Option<String>,
}

/// `POST /api/v1/confirmations`: `official-app` here, every other body to
/// [`super::confirmations::confirm`]. The body is buffered once (the route's limit
/// applies), peeked at, and read by the chosen handler's [`ApiJson`].
pub(super) async fn dispatch(
    State(state): State<AppState>,
    charset: Charset,
    request: Request,
) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    let headers = parts.headers.clone();
    let bytes = match Bytes::from_request(Request::from_parts(parts.clone(), body), &state).await {
        Ok(bytes) => bytes,
        Err(rejection) => {
            // Unreadable: the card-based handler answers it once the terminal authenticated.
            let refused = XmlReplier::new(state.now(), charset).refuse(bytes_refusal(&rejection));
            return super::confirmations::confirm(State(state), charset, headers, Err(refused))
                .await;
        }
    };
    let official =
        serde_json::from_slice::<ModeOnly>(&bytes).is_ok_and(|m| m.mode.as_deref() == Some(MODE));
    let request = Request::from_parts(parts, Body::from(bytes));
    if official {
        let body = ApiJson::from_request(request, &state).await;
        confirm(State(state), charset, headers, body).await
    } else {
        let body = ApiJson::from_request(request, &state).await;
        super::confirmations::confirm(State(state), charset, headers, body).await
    }
}

async fn confirm(
    State(state): State<AppState>,
    charset: Charset,
    headers: HeaderMap,
    body: Result<ApiJson<OfficialAppRequest>, ApiError>,
) -> Result<Response, ApiError> {
    let now = state.now();
    let mut replier = XmlReplier::new(now, charset).reference(ReferenceClassification::Card);
    let terminal = authenticate(&state, &headers)
        .await
        .map_err(|failure| replier.refuse(failure))?;
    replier.facility(&terminal.facility.code);
    let mut entry = AuditEntry {
        token: None,
        occurred_at: now,
        facility_code: Some(terminal.facility.code.clone()),
        terminal_id: Some(terminal.terminal_id.clone()),
        operator: None,
        kind: AuditKind::Confirmation,
        mode: Some(AuditMode::OfficialApp),
        qualification_validity: None,
        error_code: None,
        http_status: 0,
    };
    let outcome = read(body, &mut entry, &mut replier).map(|msg| {
        let today = replier.context().qualification_confirmation_date;
        stamp(msg, &replier, &today)
    });
    audit_then_answer(&state, &replier, entry, outcome).await
}

/// The request's copy text, read; the operator and file identifier noted on the way.
fn read(
    body: Result<ApiJson<OfficialAppRequest>, ApiError>,
    entry: &mut AuditEntry,
    replier: &mut XmlReplier,
) -> Result<XmlMsg, Failure> {
    let ApiJson(request) = body?;
    entry.operator = request.operator.as_deref().map(short_text).transpose()?;
    replier.arbitrary_file_identifier(
        request
            .arbitrary_file_identifier
            .as_deref()
            .map(short_text)
            .transpose()?,
    );
    if entry.operator.is_none() {
        return Err(ErrorCode::OperatorMissing.into());
    }
    if request.copy_text.len() > MAX_COPY_TEXT_BYTES {
        return Err(ErrorCode::PayloadTooLarge.into());
    }
    parse_copy_text(&request.copy_text).map_err(|err| {
        tracing::info!(code = err.code(), "official-app copy text refused");
        ErrorCode::CopyTextRejected.into()
    })
}

/// The parsed tree with this service's header facts; a notice when the app's 確認日 is not
/// `today` (`yyyyMMdd`, JST).
fn stamp(mut msg: XmlMsg, replier: &XmlReplier, today: &str) -> XmlMsg {
    let context = replier.context();
    let header = &mut msg.message_header;
    header.process_execution_time = Some(context.process_execution_time);
    header.medical_institution_code = Some(context.medical_institution_code);
    header.arbitrary_file_identifier = context.arbitrary_file_identifier;
    let confirmed = header.qualification_confirmation_date.clone();
    if !msg.is_error() && confirmed.as_deref() != Some(today) {
        let shown = confirmed
            .as_deref()
            .map(myna_core::oqs::copy_text_date)
            .unwrap_or_else(|| "記載なし".to_owned());
        msg = msg.with_processing_result_message(format!(
            "貼り付けられた結果の確認日（{shown}）は本日ではありません。本日の資格はマイナ資格確認アプリで確認し直してください。"
        ));
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_official_app_mode_is_taken_here() {
        let peek = |body: &str| {
            serde_json::from_slice::<ModeOnly>(body.as_bytes())
                .is_ok_and(|m| m.mode.as_deref() == Some(MODE))
        };
        assert!(peek(r#"{"mode":"official-app","copyText":"x"}"#));
        assert!(!peek(r#"{"mode":"pin"}"#));
        assert!(!peek(r#"{"mode":"visual"}"#));
        assert!(!peek("not json"));
        assert!(!peek(r#"{"mode":"Official-App"}"#));
    }
}
