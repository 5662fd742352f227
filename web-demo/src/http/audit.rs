//! `GET /api/v1/audit`: the facility's audit records, newest first.
//!
//! Query: `limit` (1–1000, default 100), `before` (a record id: page backwards).
//! Answer: `{"facilityCode", "records": [...], "nextBefore": id | null}`.

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::error::Failure;
use super::{Call, respond};
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
    call: Call,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let mut replier = call.replier();
    let result = async {
        let terminal = call.authenticate().await?;
        replier.facility(&terminal.facility.code);
        let Query(query) = query.map_err(|_| ErrorCode::BadRequest)?;
        let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ErrorCode::BadRequest.into());
        }
        let facility = terminal.facility.code.clone();
        let records = call
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
    respond(&replier, StatusCode::OK, result)
}
