//! `GET /api/v1/audit`: the facility's audit records, newest first.
//!
//! Query: `limit` (1–1000, default 100), `before` (a record id: page backwards).
//! Answer: `{"facilityCode", "records": [...], "nextBefore": id | null}`.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::authenticate;
use super::error::{ApiError, Failure};
use super::reply::{self, Charset, XmlReplier};
use crate::AppState;
use crate::errors::ErrorCode;
use crate::store::audit::{self, AuditRecord};

/// Default page size.
const DEFAULT_LIMIT: u32 = 100;
/// Largest page size.
const MAX_LIMIT: u32 = 1000;

#[derive(Debug, Deserialize)]
pub(super) struct AuditQuery {
    limit: Option<u32>,
    before: Option<i64>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AuditPage {
    facility_code: String,
    records: Vec<AuditRecord>,
    next_before: Option<i64>,
}

pub(super) async fn list(
    State(state): State<AppState>,
    charset: Charset,
    headers: HeaderMap,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let mut replier = XmlReplier::new(state.now(), charset);
    let result = async {
        let terminal = authenticate(&state, &headers).await?;
        replier.facility(&terminal.facility.code);
        let Query(query) = query.map_err(|_| ErrorCode::BadRequest)?;
        let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ErrorCode::BadRequest.into());
        }
        let facility = terminal.facility.code.clone();
        let records = state
            .db()
            .read(move |conn| audit::list(conn, &facility, query.before, limit))
            .await
            .map_err(Failure::from)?;
        let next_before = (records.len() == limit as usize)
            .then(|| records.last().map(|r| r.id))
            .flatten();
        Ok::<_, Failure>(AuditPage {
            facility_code: terminal.facility.code,
            records,
            next_before,
        })
    }
    .await;
    let page = result.map_err(|failure| replier.refuse(failure))?;
    Ok(reply::json(StatusCode::OK, &page))
}
