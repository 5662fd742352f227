//! `POST /api/v1/fallbacks`: records a check done by a document when the online check could
//! not be (no card, card or PIN trouble, network down): the patient's マイナポータル screen,
//! the 資格情報のお知らせ, or a 資格確認書. Staff name themselves; the row goes to the audit
//! trail (kind `fallback`), committed before the answer. Nothing from the document is sent
//! or stored.
//!
//! Body: `{"document": "portal" | "notice" | "certificate", "operator": "…"}`.
//! Answer: 201 `{"id", "occurredAt"}`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::body::ApiJson;
use super::error::{ApiError, Failure};
use super::reply::{self, Charset, XmlReplier};
use super::{authenticate, short_text};
use crate::AppState;
use crate::errors::ErrorCode;
use crate::store::audit::{self, AuditEntry, AuditKind, AuditMode, rfc3339};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct FallbackRequest {
    document: String,
    operator: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct FallbackRecorded {
    id: i64,
    occurred_at: String,
}

/// The audit mode of a `document` value.
fn document_mode(document: &str) -> Option<AuditMode> {
    match document {
        "portal" => Some(AuditMode::Portal),
        "notice" => Some(AuditMode::Notice),
        "certificate" => Some(AuditMode::Certificate),
        _ => None,
    }
}

pub(super) async fn record(
    State(state): State<AppState>,
    charset: Charset,
    headers: HeaderMap,
    body: Result<ApiJson<FallbackRequest>, ApiError>,
) -> Result<Response, ApiError> {
    let now = state.now();
    let mut replier = XmlReplier::new(now, charset);
    let result = async {
        let terminal = authenticate(&state, &headers).await?;
        replier.facility(&terminal.facility.code);
        let ApiJson(request) = body?;
        let mode = document_mode(&request.document).ok_or(ErrorCode::BadRequest)?;
        let entry = AuditEntry {
            token: None,
            occurred_at: now,
            facility_code: Some(terminal.facility.code.clone()),
            terminal_id: Some(terminal.terminal_id.clone()),
            operator: Some(short_text(&request.operator)?),
            kind: AuditKind::Fallback,
            mode: Some(mode),
            qualification_validity: None,
            error_code: None,
            http_status: StatusCode::CREATED.as_u16(),
        };
        let id = state
            .db()
            .write(move |conn| audit::insert(conn, &entry))
            .await
            .map_err(Failure::from)?;
        Ok::<_, Failure>(FallbackRecorded {
            id,
            occurred_at: rfc3339(now.unix_timestamp()),
        })
    }
    .await;
    let recorded = result.map_err(|failure| replier.refuse(failure))?;
    Ok(reply::json(StatusCode::CREATED, &recorded))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_three_documents_are_accepted() {
        assert_eq!(document_mode("portal"), Some(AuditMode::Portal));
        assert_eq!(document_mode("notice"), Some(AuditMode::Notice));
        assert_eq!(document_mode("certificate"), Some(AuditMode::Certificate));
        assert_eq!(document_mode("Portal"), None);
        assert_eq!(document_mode(""), None);
    }
}
