//! The checkup centre's day: the facility's 委託元保険者一覧, the day's roster (受診者名簿) and the
//! checks recorded against it, and the results CSV.
//!
//! | method & path | body | answer |
//! |---|---|---|
//! | `GET /api/v1/contracted-insurers` | — | `{insurers: [{insurerNumber, name?}]}` |
//! | `PUT /api/v1/contracted-insurers` | `{insurers: [...]}` | the list as stored |
//! | `PUT /api/v1/rosters/{day}` | the CSV file (UTF-8 or CP932) | `{day, encoding, imported, errors: [{line, codes, message}], ignoredColumns}` |
//! | `GET /api/v1/rosters/{day}` | — | `{day, rows, checks, list}` |
//! | `POST /api/v1/rosters/{day}/checks` | `{operator, mode, problems, person, rowId?, queuedAt?}` | 201 `{id, rowId, match, status}` |
//! | `GET /api/v1/rosters/{day}/export?encoding=utf-8\|cp932` | — | `text/csv` |
//!
//! Every call needs the terminal's Bearer token; every change (list, import, check) writes an
//! audit row in the same transaction (kinds `contracted-insurers`, `roster`, `day-check`; no
//! names or numbers in the audit). A roster row with errors is reported with its line and
//! the rest imports; a file that cannot be read at all is `MW0036`. The page decides a
//! check's problems (`compareVoucher`, with this list); the service keeps what it decided,
//! matched to the row by the core's rules, so the list survives a reload and another terminal
//! sees it.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use myna_core::checkup::compare::Problem;
use myna_core::checkup::roster::{self, DayCheck, ExportEncoding, RosterRow};
use myna_core::identifiers::InsurerNumber;
use myna_core::wareki::GregorianDate;
use serde::{Deserialize, Serialize};

use super::body::{ApiJson, bytes_refusal};
use super::error::{ApiError, Failure};
use super::reply::{self, Charset, XmlReplier};
use super::{authenticate, short_text};
use crate::AppState;
use crate::errors::ErrorCode;
use crate::store::StoreError;
use crate::store::audit::{self, AuditEntry, AuditKind, AuditMode, rfc3339};
use crate::store::checkup::{
    self as store, ContractedInsurer, NewCheck, Person, StoredCheck, StoredRow,
};
use crate::store::terminals::AuthenticatedTerminal;

/// The most insurers in a facility's list.
pub const MAX_CONTRACTED_INSURERS: usize = 5000;

fn audit_entry(
    state: &AppState,
    terminal: &AuthenticatedTerminal,
    kind: AuditKind,
    operator: Option<String>,
    mode: Option<AuditMode>,
    status: StatusCode,
) -> AuditEntry {
    AuditEntry {
        token: None,
        occurred_at: state.now(),
        facility_code: Some(terminal.facility.code.clone()),
        terminal_id: Some(terminal.terminal_id.clone()),
        operator,
        kind,
        mode,
        qualification_validity: None,
        error_code: None,
        http_status: status.as_u16(),
    }
}

fn check_day(day: &str) -> Result<String, ErrorCode> {
    GregorianDate::parse_yyyymmdd(day)
        .map(GregorianDate::to_yyyymmdd)
        .map_err(|_| ErrorCode::InvalidDay)
}

async fn answer<T: Serialize>(
    charset: Charset,
    state: &AppState,
    status: StatusCode,
    work: impl Future<Output = Result<T, Failure>>,
) -> Result<Response, ApiError> {
    match work.await {
        Ok(body) => Ok(reply::json(status, &body)),
        Err(failure) => Err(XmlReplier::new(state.now(), charset).refuse(failure)),
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct InsurerList {
    insurers: Vec<ContractedInsurer>,
}

pub(super) async fn get_insurers(
    State(state): State<AppState>,
    charset: Charset,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    answer(charset, &state, StatusCode::OK, async {
        let terminal = authenticate(&state, &headers).await?;
        let facility = terminal.facility.code.clone();
        let insurers = state
            .db()
            .read(move |conn| store::contracted_insurers(conn, &facility))
            .await
            .map_err(Failure::from)?;
        Ok(InsurerList { insurers })
    })
    .await
}

pub(super) async fn put_insurers(
    State(state): State<AppState>,
    charset: Charset,
    headers: HeaderMap,
    body: Result<ApiJson<InsurerList>, ApiError>,
) -> Result<Response, ApiError> {
    answer(charset, &state, StatusCode::OK, async {
        let terminal = authenticate(&state, &headers).await?;
        let ApiJson(request) = body?;
        if request.insurers.len() > MAX_CONTRACTED_INSURERS {
            return Err(ErrorCode::BadRequest.into());
        }
        let mut list = Vec::with_capacity(request.insurers.len());
        for i in request.insurers {
            let number = InsurerNumber::parse(&i.insurer_number)
                .map_err(|_| ErrorCode::InvalidInsurerNumber)?;
            let name = i.name.as_deref().map(short_text).transpose()?;
            list.push(ContractedInsurer {
                insurer_number: number.as_str().to_owned(),
                name,
            });
        }
        let facility = terminal.facility.code.clone();
        let entry = audit_entry(
            &state,
            &terminal,
            AuditKind::ContractedInsurers,
            None,
            None,
            StatusCode::OK,
        );
        let insurers = state
            .db()
            .write(move |conn| {
                store::replace_contracted_insurers(conn, &facility, &list)?;
                audit::insert(conn, &entry)?;
                store::contracted_insurers(conn, &facility)
            })
            .await
            .map_err(Failure::from)?;
        Ok(InsurerList { insurers })
    })
    .await
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RowError {
    line: u64,
    codes: Vec<&'static str>,
    message: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Imported {
    day: String,
    encoding: &'static str,
    imported: usize,
    errors: Vec<RowError>,
    ignored_columns: Vec<String>,
}

pub(super) async fn put_roster(
    State(state): State<AppState>,
    charset: Charset,
    headers: HeaderMap,
    Path(day): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    answer(charset, &state, StatusCode::OK, async {
        let terminal = authenticate(&state, &headers).await?;
        let day = check_day(&day)?;
        let body = body.map_err(|rejection| bytes_refusal(&rejection))?;
        let import = roster::parse_roster(&body).map_err(|e| {
            tracing::debug!(code = e.code(), "roster refused");
            ErrorCode::RosterUnreadable
        })?;
        let rows: Vec<RosterRow> = import.rows.clone();
        let facility = terminal.facility.code.clone();
        let entry = audit_entry(
            &state,
            &terminal,
            AuditKind::Roster,
            None,
            None,
            StatusCode::OK,
        );
        let stored_day = day.clone();
        state
            .db()
            .write(move |conn| {
                store::replace_roster(conn, &facility, &stored_day, &rows)?;
                audit::insert(conn, &entry)
            })
            .await
            .map_err(Failure::from)?;
        Ok(Imported {
            day,
            encoding: import.encoding.code(),
            imported: import.rows.len(),
            errors: import
                .errors
                .iter()
                .map(|e| RowError {
                    line: e.line,
                    codes: e.codes(),
                    message: e.message_ja(),
                })
                .collect(),
            ignored_columns: import.ignored_columns,
        })
    })
    .await
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RowView {
    id: i64,
    line: u64,
    voucher: serde_json::Value,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CheckView {
    id: i64,
    row_id: Option<i64>,
    operator: String,
    mode: String,
    problems: Vec<String>,
    problem_messages: Vec<String>,
    person: Person,
    checked_at: String,
    queued_at: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct EntryView {
    row_id: Option<i64>,
    check_id: Option<i64>,
    status: &'static str,
    label: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DayView {
    day: String,
    rows: Vec<RowView>,
    checks: Vec<CheckView>,
    list: Vec<EntryView>,
}

/// The core's view of stored rows and checks.
fn day_inputs(rows: &[StoredRow], checks: &[StoredCheck]) -> (Vec<RosterRow>, Vec<DayCheck>) {
    let roster_rows = rows
        .iter()
        .map(|r| RosterRow {
            line: r.line,
            voucher: r.voucher.clone(),
        })
        .collect();
    let day_checks = checks
        .iter()
        .map(|c| DayCheck {
            row: c.row_id.and_then(|id| rows.iter().position(|r| r.id == id)),
            pending: false,
            problems: c.problems.clone(),
            checked_at: rfc3339(c.checked_at),
            mode: match c.mode.as_str() {
                "visual" => "目視".into(),
                "pin" => "暗証番号".into(),
                other => other.into(),
            },
            operator: c.operator.clone(),
            person: c.person.voucher(),
        })
        .collect();
    (roster_rows, day_checks)
}

async fn load_day(
    state: &AppState,
    facility: String,
    day: String,
) -> Result<(Vec<StoredRow>, Vec<StoredCheck>), Failure> {
    state
        .db()
        .read(move |conn| {
            Ok::<_, StoreError>((
                store::roster_rows(conn, &facility, &day)?,
                store::day_checks(conn, &facility, &day)?,
            ))
        })
        .await
        .map_err(Failure::from)
}

pub(super) async fn get_roster(
    State(state): State<AppState>,
    charset: Charset,
    headers: HeaderMap,
    Path(day): Path<String>,
) -> Result<Response, ApiError> {
    answer(charset, &state, StatusCode::OK, async {
        let terminal = authenticate(&state, &headers).await?;
        let day = check_day(&day)?;
        let (rows, checks) = load_day(&state, terminal.facility.code.clone(), day.clone()).await?;
        let (core_rows, core_checks) = day_inputs(&rows, &checks);
        let list = roster::day_list(core_rows.len(), &core_checks)
            .into_iter()
            .map(|e| EntryView {
                row_id: e.row.map(|i| rows[i].id),
                check_id: e.check.map(|i| checks[i].id),
                status: e.status.code(),
                label: e.status.label(),
            })
            .collect();
        Ok(DayView {
            day,
            rows: rows
                .iter()
                .map(|r| RowView {
                    id: r.id,
                    line: r.line,
                    voucher: store::voucher_json(&r.voucher),
                })
                .collect(),
            checks: checks
                .into_iter()
                .map(|c| CheckView {
                    id: c.id,
                    row_id: c.row_id,
                    problem_messages: c
                        .problems
                        .iter()
                        .map(|p| {
                            Problem::from_code(p)
                                .map_or_else(|| p.clone(), |p| p.message_ja().to_owned())
                        })
                        .collect(),
                    operator: c.operator,
                    mode: c.mode,
                    problems: c.problems,
                    person: c.person,
                    checked_at: rfc3339(c.checked_at),
                    queued_at: c.queued_at.map(rfc3339),
                })
                .collect(),
            list,
        })
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct CheckRequest {
    operator: String,
    mode: String,
    problems: Vec<String>,
    person: Person,
    row_id: Option<i64>,
    /// RFC 3339: when a check queued offline was done at the desk.
    queued_at: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CheckRecorded {
    id: i64,
    row_id: Option<i64>,
    #[serde(rename = "match")]
    matched: &'static str,
    status: &'static str,
}

pub(super) async fn post_check(
    State(state): State<AppState>,
    charset: Charset,
    headers: HeaderMap,
    Path(day): Path<String>,
    body: Result<ApiJson<CheckRequest>, ApiError>,
) -> Result<Response, ApiError> {
    answer(charset, &state, StatusCode::CREATED, async {
        let terminal = authenticate(&state, &headers).await?;
        let day = check_day(&day)?;
        let ApiJson(request) = body?;
        let operator = short_text(&request.operator)?;
        let mode = match request.mode.as_str() {
            "visual" => AuditMode::Visual,
            "pin" => AuditMode::Pin,
            "numbers" => AuditMode::Numbers,
            "portal" => AuditMode::Portal,
            "notice" => AuditMode::Notice,
            "certificate" => AuditMode::Certificate,
            _ => return Err(ErrorCode::BadRequest.into()),
        };
        if request.problems.len() > 20
            || request
                .problems
                .iter()
                .any(|p| p.is_empty() || p.len() > 64 || !p.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(ErrorCode::BadRequest.into());
        }
        let person = request.person;
        for text in [
            &person.insurer_number,
            &person.insured_card_symbol,
            &person.insured_identification_number,
            &person.insured_branch_number,
            &person.name,
            &person.name_kana,
            &person.birthdate,
            &person.sex,
        ]
        .into_iter()
        .flatten()
        {
            if text.chars().count() > 64 || text.chars().any(char::is_control) {
                return Err(ErrorCode::BadRequest.into());
            }
        }
        let now = state.now().unix_timestamp();
        let queued_at = match &request.queued_at {
            None => None,
            Some(t) => Some(
                time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                    .map_err(|_| ErrorCode::BadRequest)?
                    .unix_timestamp(),
            ),
        };
        let facility = terminal.facility.code.clone();
        let terminal_id = terminal.terminal_id.clone();
        let mut entry = audit_entry(
            &state,
            &terminal,
            AuditKind::DayCheck,
            Some(operator.clone()),
            Some(mode),
            StatusCode::CREATED,
        );
        let mode_text = request.mode.clone();
        let problems = request.problems;
        let row_id = request.row_id;
        let problem = problems.first().cloned();
        let recorded = state
            .db()
            .write(
                move |conn| -> Result<Result<CheckRecorded, ErrorCode>, StoreError> {
                    let rows = store::roster_rows(conn, &facility, &day)?;
                    let (row, matched) = match row_id {
                        Some(id) if store::row_on_day(conn, &facility, &day, id)? => {
                            (Some(id), "given")
                        }
                        Some(_) => return Ok(Err(ErrorCode::RosterRowNotFound)),
                        None => store::match_row(&rows, &person),
                    };
                    let id = store::insert_check(
                        conn,
                        &NewCheck {
                            facility: &facility,
                            day: &day,
                            row_id: row,
                            terminal_id: &terminal_id,
                            operator: &operator,
                            mode: &mode_text,
                            problems: &problems,
                            person: &person,
                            checked_at: queued_at.unwrap_or(now),
                            queued_at,
                            recorded_at: now,
                        },
                    )?;
                    // The audit names the first problem, never the person.
                    entry.error_code = problem;
                    audit::insert(conn, &entry)?;
                    let status = if !problems.is_empty() {
                        roster::DayStatus::Problem
                    } else if row.is_some() {
                        roster::DayStatus::Checked
                    } else {
                        roster::DayStatus::NotOnRoster
                    };
                    Ok(Ok(CheckRecorded {
                        id,
                        row_id: row,
                        matched,
                        status: status.code(),
                    }))
                },
            )
            .await
            .map_err(Failure::from)??;
        Ok(recorded)
    })
    .await
}

#[derive(Debug, Deserialize)]
pub(super) struct ExportQuery {
    encoding: Option<String>,
}

pub(super) async fn export(
    State(state): State<AppState>,
    charset: Charset,
    headers: HeaderMap,
    Path(day): Path<String>,
    query: Result<Query<ExportQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let mut replier = XmlReplier::new(state.now(), charset);
    let result = async {
        let terminal = authenticate(&state, &headers).await?;
        replier.facility(&terminal.facility.code);
        let day = check_day(&day)?;
        let Query(query) = query.map_err(|_| ErrorCode::BadRequest)?;
        let encoding = match query.encoding.as_deref() {
            None => ExportEncoding::Utf8Bom,
            Some(e) => ExportEncoding::parse(e).ok_or(ErrorCode::UnsupportedCharset)?,
        };
        let (rows, checks) = load_day(&state, terminal.facility.code.clone(), day.clone()).await?;
        let (core_rows, core_checks) = day_inputs(&rows, &checks);
        let (bytes, _) =
            roster::encode_export(&roster::export_csv(&core_rows, &core_checks), encoding);
        Ok::<_, Failure>((day, encoding, bytes))
    }
    .await;
    match result {
        Ok((day, encoding, bytes)) => Ok({
            let content_type = match encoding {
                ExportEncoding::Cp932 => "text/csv; charset=Shift_JIS",
                _ => "text/csv; charset=utf-8",
            };
            let disposition = format!("attachment; filename=\"roster-{day}.csv\"");
            (
                StatusCode::OK,
                [
                    (CONTENT_TYPE, HeaderValue::from_static(content_type)),
                    (
                        CONTENT_DISPOSITION,
                        HeaderValue::from_str(&disposition)
                            .unwrap_or(HeaderValue::from_static("attachment")),
                    ),
                    (CACHE_CONTROL, HeaderValue::from_static("no-store")),
                ],
                bytes,
            )
                .into_response()
        }),
        Err(failure) => Err(replier.refuse(failure)),
    }
}
