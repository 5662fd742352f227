//! `POST /api/v1/confirmations`: a card-based check, by PIN (the card signed the
//! challenge) or by staff visual check (目視).
//!
//! Order of checks (the first failure answers): terminal token → body → the facility's
//! modes → signature / operator present → nonce (consumed here, whatever follows) →
//! origin → certificate (chain, validity, profile) → revocation → signature (PIN mode) →
//! the linked insured records. The audit row is committed before the answer leaves.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::response::Response;
use myna_core::oqs::{ReferenceClassification, XmlMsg};
use serde::Deserialize;

use super::reply::{Charset, XmlReplier};
use super::{Refusal, authenticate, json_body, log_store_error, short_text};
use crate::AppState;
use crate::errors::ErrorCode;
use crate::qualification::{answer, expiry_notice};
use crate::store::audit::{AuditEntry, AuditKind, AuditMode};
use crate::store::{challenges, records, revocations};
use crate::verify::{self, decode_base64};

/// Largest certificate accepted (a JPKI auth certificate is about 1.5 KB).
const MAX_CERTIFICATE_BYTES: usize = 8 * 1024;
/// Largest signature accepted (RSA-4096).
const MAX_SIGNATURE_BYTES: usize = 512;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConfirmationRequest {
    mode: String,
    certificate: String,
    signature: Option<String>,
    nonce: String,
    origin: String,
    operator: Option<String>,
    arbitrary_file_identifier: Option<String>,
}

pub(super) async fn confirm(
    State(state): State<AppState>,
    charset: Charset,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let now = state.now();
    let mut replier = XmlReplier::new(now, charset).reference(ReferenceClassification::Card);
    let mut entry = AuditEntry {
        occurred_at: now,
        facility_code: None,
        terminal_id: None,
        operator: None,
        kind: AuditKind::Confirmation,
        mode: None,
        qualification_validity: None,
        error_code: None,
        http_status: 0,
    };
    let outcome = run(&state, &headers, body, &mut replier, &mut entry).await;
    super::audit_then_answer(&state, &replier, entry, outcome).await
}

async fn run(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    replier: &mut XmlReplier,
    entry: &mut AuditEntry,
) -> Result<XmlMsg, ErrorCode> {
    let terminal = authenticate(state, headers).await?;
    replier.facility(&terminal.facility.code);
    entry.facility_code = Some(terminal.facility.code.clone());
    entry.terminal_id = Some(terminal.terminal_id.clone());

    let request: ConfirmationRequest = json_body(headers, body)?;
    entry.mode = Some(match request.mode.as_str() {
        "pin" => AuditMode::Pin,
        "visual" => AuditMode::Visual,
        _ => return Err(ErrorCode::BadRequest),
    });
    entry.operator = request.operator.as_deref().map(short_text).transpose()?;
    replier.arbitrary_file_identifier(
        request
            .arbitrary_file_identifier
            .as_deref()
            .map(short_text)
            .transpose()?,
    );
    let pin_mode = entry.mode == Some(AuditMode::Pin);
    let enabled = if pin_mode {
        terminal.facility.pin_mode
    } else {
        terminal.facility.visual_mode
    };
    if !enabled {
        return Err(ErrorCode::ModeNotAllowed);
    }
    let signature = if pin_mode {
        let signature = request
            .signature
            .as_deref()
            .ok_or(ErrorCode::SignatureMissing)?;
        Some(decode_base64(signature, MAX_SIGNATURE_BYTES).ok_or(ErrorCode::BadRequest)?)
    } else {
        if entry.operator.is_none() {
            return Err(ErrorCode::OperatorMissing);
        }
        None
    };
    let certificate =
        decode_base64(&request.certificate, MAX_CERTIFICATE_BYTES).ok_or(ErrorCode::BadRequest)?;
    verify::check_nonce_syntax(&request.nonce)?;
    verify::check_origin_syntax(&request.origin)?;

    // The nonce is burnt from here on, whatever the outcome.
    let now = state.now();
    let terminal_id = terminal.terminal_id.clone();
    let nonce = request.nonce.clone();
    state
        .db()
        .call(move |conn| challenges::consume(conn, &terminal_id, &nonce, now))
        .await
        .map_err(|e| log_store_error(&e))?;

    if !terminal.facility.origins.contains(&request.origin) {
        return Err(ErrorCode::OriginMismatch);
    }

    let anchors = state.trust_anchors().clone();
    let origin = request.origin.clone();
    let nonce = request.nonce.clone();
    let checked = tokio::task::spawn_blocking(move || {
        let checked = verify::check_certificate(&anchors, &certificate, now)?;
        if let Some(signature) = signature {
            verify::check_signature(&checked, &origin, &nonce, &signature)?;
        }
        Ok::<_, ErrorCode>(checked)
    })
    .await
    .map_err(|err| {
        tracing::error!(%err, "verification task failed");
        ErrorCode::Internal
    })??;

    let serial = checked.serial().to_owned();
    let found = state
        .db()
        .call(move |conn| {
            if revocations::is_revoked(conn, &serial)? {
                return Err(Refusal::Code(ErrorCode::CertificateRevoked));
            }
            Ok(records::find_by_serial(conn, &serial)?)
        })
        .await
        .map_err(Refusal::into_code)?;

    let mut msg = answer(&replier.context(), &found);
    if let Some(notice) = expiry_notice(checked.not_after(), now) {
        msg = msg.with_processing_result_message(notice);
    }
    Ok(msg)
}
