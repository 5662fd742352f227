//! The audit trail: one row per confirmation, search and fallback check, committed before
//! the answer.
//!
//! A row says who checked (facility, terminal, operator), how (PIN, 目視 or numbers), when,
//! and with what outcome (`QualificationValidity` or `ErrorCode`). It never holds a PIN, a
//! certificate, or the insurance numbers (告知要求制限: nothing beyond what the facility
//! needs to account for its checks).

use rusqlite::{Connection, params};
use serde::Serialize;
use time::OffsetDateTime;

use myna_core::wire::Token;

use super::StoreError;
use super::terminals::AuthenticatedTerminal;

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum AuditKind {
    /// A card-based confirmation (`POST /api/v1/confirmations`).
    Confirmation,
    /// A number-based search (`POST /api/v1/searches`).
    Search,
    /// A check by a document when the online check could not be done
    /// (`POST /api/v1/fallbacks`).
    Fallback,
    /// The 委託元保険者一覧 was replaced (`PUT /api/v1/contracted-insurers`).
    ContractedInsurers,
    /// A day's roster was imported (`PUT /api/v1/rosters/{day}`).
    Roster,
    /// A check was recorded in the day's list (`POST /api/v1/rosters/{day}/checks`).
    DayCheck,
}

/// How the person was identified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum AuditMode {
    /// The card's PIN (the card signed the challenge).
    Pin,
    /// Staff visual check (目視).
    Visual,
    /// Insurance numbers and birth date (資格照会).
    Numbers,
    /// Fallback: the patient's マイナポータル screen.
    Portal,
    /// Fallback: the 資格情報のお知らせ.
    Notice,
    /// Fallback: a 資格確認書.
    Certificate,
    /// The government's マイナ資格確認アプリ; its copied result pasted into the web screen.
    #[serde(rename = "official-app")]
    OfficialApp,
}

/// A row to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// When.
    pub occurred_at: OffsetDateTime,
    /// The facility, when the terminal was identified.
    pub facility_code: Option<String>,
    /// The terminal, when identified.
    pub terminal_id: Option<String>,
    /// The staff member named in the request.
    pub operator: Option<String>,
    /// Confirmation or search.
    pub kind: AuditKind,
    /// The mode, when the request got far enough to state one.
    pub mode: Option<AuditMode>,
    /// Which token answered a card-based confirmation, as the bridge reported it (the body's
    /// `token`, issue 14); the service cannot verify it from the certificate.
    pub token: Option<Token>,
    /// `QualificationValidity` of a normal answer.
    pub qualification_validity: Option<String>,
    /// `ErrorCode` of an error answer.
    pub error_code: Option<String>,
    /// The HTTP status answered.
    pub http_status: u16,
}

impl AuditEntry {
    /// A row of `kind` at `occurred_at`; who, how and the outcome are filled in as the
    /// request goes.
    pub fn new(occurred_at: OffsetDateTime, kind: AuditKind) -> Self {
        Self {
            occurred_at,
            facility_code: None,
            terminal_id: None,
            operator: None,
            kind,
            mode: None,
            token: None,
            qualification_validity: None,
            error_code: None,
            http_status: 0,
        }
    }

    /// Names the terminal that made the request, and its facility.
    pub fn set_terminal(&mut self, terminal: &AuthenticatedTerminal) {
        self.facility_code = Some(terminal.facility.code.clone());
        self.terminal_id = Some(terminal.terminal_id.clone());
    }
}

/// A stored row, as `GET /api/v1/audit` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    /// Row id (increasing).
    pub id: i64,
    /// When (RFC 3339, UTC, e.g. `2026-04-01T09:00:00Z`).
    pub occurred_at: String,
    /// The terminal.
    pub terminal_id: Option<String>,
    /// The terminal's device name.
    pub device_name: Option<String>,
    /// The operator named in the request.
    pub operator: Option<String>,
    /// Confirmation or search.
    pub kind: String,
    /// `pin`, `visual`, `numbers`, `official-app`, or a fallback's document.
    pub mode: Option<String>,
    /// `card`, `android` or `iphone`: what the terminal said the bridge reported (not
    /// verified by the service); null when not said.
    pub token: Option<String>,
    /// `ok` or `error`.
    pub result: String,
    /// `QualificationValidity` of a normal answer.
    pub qualification_validity: Option<String>,
    /// `ErrorCode` of an error answer.
    pub error_code: Option<String>,
    /// The HTTP status answered.
    pub http_status: u16,
}

/// Appends a row: committed when this returns on a connection in autocommit mode, with the
/// batch when it runs in a write job ([`crate::db::Db::write`] answers after that commit).
pub fn insert(conn: &Connection, entry: &AuditEntry) -> Result<i64, StoreError> {
    let kind = match entry.kind {
        AuditKind::Confirmation => "confirmation",
        AuditKind::Search => "search",
        AuditKind::Fallback => "fallback",
        AuditKind::ContractedInsurers => "contracted-insurers",
        AuditKind::Roster => "roster",
        AuditKind::DayCheck => "day-check",
    };
    let mode = entry.mode.map(|m| match m {
        AuditMode::Pin => "pin",
        AuditMode::Visual => "visual",
        AuditMode::Numbers => "numbers",
        AuditMode::Portal => "portal",
        AuditMode::Notice => "notice",
        AuditMode::Certificate => "certificate",
        AuditMode::OfficialApp => "official-app",
    });
    let result = if entry.error_code.is_some() {
        "error"
    } else {
        "ok"
    };
    conn.prepare_cached(
        "INSERT INTO audit (occurred_at, facility_code, terminal_id, operator, kind, mode,
             result, qualification_validity, error_code, http_status, token)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        entry.occurred_at.unix_timestamp(),
        entry.facility_code,
        entry.terminal_id,
        entry.operator,
        kind,
        mode,
        result,
        entry.qualification_validity,
        entry.error_code,
        entry.http_status,
        entry.token.map(Token::as_str),
    ])?;
    Ok(conn.last_insert_rowid())
}

/// The facility's rows, newest first: at most `limit`, with ids below `before` if given.
pub fn list(
    conn: &Connection,
    facility_code: &str,
    before: Option<i64>,
    limit: u32,
) -> Result<Vec<AuditRecord>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT a.id, a.occurred_at, a.terminal_id, t.device_name, a.operator, a.kind, a.mode,
                a.result, a.qualification_validity, a.error_code, a.http_status, a.token
         FROM audit a LEFT JOIN terminals t ON t.id = a.terminal_id
         WHERE a.facility_code = ?1 AND a.id < ?2
         ORDER BY a.id DESC LIMIT ?3",
    )?;
    let rows = stmt.query_map(
        params![facility_code, before.unwrap_or(i64::MAX), limit],
        |r| {
            Ok(read_columns!(r => AuditRecord {
                id,
                occurred_at => rfc3339,
                terminal_id,
                device_name,
                operator,
                kind,
                mode,
                result,
                qualification_validity,
                error_code,
                http_status,
                token,
            }))
        },
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Unix seconds as RFC 3339 in UTC (`1970-01-01T00:00:00Z` for an out-of-range value,
/// which the schema never stores).
pub fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Deletes the facility's rows older than `before` (the facility owns its audit data).
/// Returns how many were deleted.
pub fn delete_before(
    conn: &Connection,
    facility_code: &str,
    before: OffsetDateTime,
) -> Result<usize, StoreError> {
    Ok(conn.execute(
        "DELETE FROM audit WHERE facility_code = ?1 AND occurred_at < ?2",
        params![facility_code, before.unix_timestamp()],
    )?)
}
