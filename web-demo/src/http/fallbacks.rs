//! `POST /api/v1/fallbacks`: records a check done by a document when the online check could
//! not be (no card, card or PIN trouble, network down): the patient's マイナポータル screen,
//! the 資格情報のお知らせ, or a 資格確認書. Staff name themselves; the row goes to the audit
//! trail (kind `fallback`), committed before the answer. Nothing from the document is sent
//! or stored.
//!
//! Body: `{"document": "portal" | "notice" | "certificate", "operator": "…"}`.
//! Answer: 201 `{"id", "occurredAt"}`.

use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::body::ApiJson;
use super::error::{ApiError, Failure};
use super::reply::XmlReplier;
use super::{Call, respond, short_text};
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
    call: Call,
    body: Result<ApiJson<FallbackRequest>, ApiError>,
) -> Response {
    let now = call.state.now();
    let mut replier = XmlReplier::new(now, call.charset);
    let result = async {
        let terminal = call.authenticate().await?;
        replier.facility(&terminal.facility.code);
        let ApiJson(request) = body?;
        let mode = document_mode(&request.document).ok_or(ErrorCode::BadRequest)?;
        let mut entry = AuditEntry::new(now, AuditKind::Fallback);
        entry.set_terminal(&terminal);
        entry.operator = Some(short_text(&request.operator)?);
        entry.mode = Some(mode);
        entry.http_status = StatusCode::CREATED.as_u16();
        let id = call
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
    respond(&replier, StatusCode::CREATED, result)
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
