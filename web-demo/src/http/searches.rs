//! `POST /api/v1/searches`: 資格照会 by insurer number, symbol, number, branch number and
//! birth date (`ReferenceClassification` 2).
//!
//! The token is checked on a read connection; the lookup and the audit row of its answer
//! are one write job.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use myna_core::oqs::{ReferenceClassification, XmlMsg};
use serde::Deserialize;

use super::body::ApiJson;
use super::error::{ApiError, Failure};
use super::reply::{Charset, XmlReplier};
use super::{authenticate, lookup_and_audit, short_text};
use crate::AppState;
use crate::errors::ErrorCode;
use crate::qualification::{answer, search_info};
use crate::store::audit::{AuditEntry, AuditKind, AuditMode};
use crate::store::records::{self, parse_yyyymmdd};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SearchRequest {
    insurer_number: String,
    insured_card_symbol: String,
    insured_identification_number: String,
    insured_branch_number: String,
    birthdate: String,
    operator: Option<String>,
    arbitrary_file_identifier: Option<String>,
}

pub(super) async fn search(
    State(state): State<AppState>,
    charset: Charset,
    headers: HeaderMap,
    body: Result<ApiJson<SearchRequest>, ApiError>,
) -> Result<Response, ApiError> {
    let now = state.now();
    let mut replier =
        XmlReplier::new(now, charset).reference(ReferenceClassification::InsuranceNumbers);
    let mut entry = AuditEntry {
        token: None,
        occurred_at: now,
        facility_code: None,
        terminal_id: None,
        operator: None,
        kind: AuditKind::Search,
        mode: Some(AuditMode::Numbers),
        qualification_validity: None,
        error_code: None,
        http_status: 0,
    };
    match run(&state, &headers, body, &mut replier, &mut entry).await {
        // Audited with the lookup.
        Ok(Ok(msg)) => Ok(replier.xml(StatusCode::OK, &msg)),
        Ok(Err(code)) => Err(replier.refuse(code)),
        Err(failure) => super::audit_then_answer(&state, &replier, entry, Err(failure)).await,
    }
}

/// `Ok`: the answer, its audit row committed; `Err`: a refusal not yet audited.
async fn run(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<ApiJson<SearchRequest>, ApiError>,
    replier: &mut XmlReplier,
    entry: &mut AuditEntry,
) -> Result<Result<XmlMsg, ErrorCode>, Failure> {
    let terminal = authenticate(state, headers).await?;
    replier.facility(&terminal.facility.code);
    entry.facility_code = Some(terminal.facility.code.clone());
    entry.terminal_id = Some(terminal.terminal_id.clone());

    let ApiJson(request) = body?;
    entry.operator = request.operator.as_deref().map(short_text).transpose()?;
    replier.arbitrary_file_identifier(
        request
            .arbitrary_file_identifier
            .as_deref()
            .map(short_text)
            .transpose()?,
    );
    let insurer_number = crate::verify::check_insurer_number(&request.insurer_number)?;
    if parse_yyyymmdd(&request.birthdate).is_none() {
        return Err(ErrorCode::InvalidDate.into());
    }
    let branch = &request.insured_branch_number;
    if branch.len() != 2 || !branch.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ErrorCode::BadRequest.into());
    }
    let number = request.insured_identification_number.trim();
    if number.is_empty()
        || number.chars().count() > 40
        || request.insured_card_symbol.chars().count() > 40
    {
        return Err(ErrorCode::BadRequest.into());
    }
    let info = search_info(
        &request.insurer_number,
        &request.insured_card_symbol,
        number,
        branch,
        &request.birthdate,
    );
    let (symbol, number, branch, birthdate) = (
        request.insured_card_symbol.clone(),
        number.to_owned(),
        branch.clone(),
        request.birthdate.clone(),
    );
    let found = lookup_and_audit(state, entry.clone(), move |conn| {
        Ok(Ok(records::find_by_numbers(
            conn,
            &insurer_number,
            &symbol,
            &number,
            &branch,
            &birthdate,
        )?))
    })
    .await?;
    Ok(found.map(|found| answer(&replier.context(), &found).with_search_info(info)))
}
