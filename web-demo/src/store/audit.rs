//! The audit trail: one row per confirmation, search and fallback check, committed before
//! the answer.
//!
//! A row says who checked (facility, terminal, operator), how (PIN, 目視 or numbers), when,
//! and with what outcome (`QualificationValidity` or `ErrorCode`). It never holds a PIN, a
//! certificate, or the insurance numbers (告知要求制限: nothing beyond what the facility
//! needs to account for its checks).

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ValueRef};
use rusqlite::{Connection, params};
use serde::{Serialize, Serializer};
use time::OffsetDateTime;

use myna_core::wire::Token;

use super::terminals::AuthenticatedTerminal;
use super::{StoreError, unix_time};

/// What was done. Serialized and stored as [`AuditKind::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
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

/// How the person was identified. Serialized and stored as [`AuditMode::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
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
    OfficialApp,
}

impl AuditKind {
    /// Every kind, in declaration order.
    pub const ALL: [AuditKind; 6] = [
        AuditKind::Confirmation,
        AuditKind::Search,
        AuditKind::Fallback,
        AuditKind::ContractedInsurers,
        AuditKind::Roster,
        AuditKind::DayCheck,
    ];

    /// The name in the `kind` column and in `GET /api/v1/audit`.
    pub const fn as_str(self) -> &'static str {
        match self {
            AuditKind::Confirmation => "confirmation",
            AuditKind::Search => "search",
            AuditKind::Fallback => "fallback",
            AuditKind::ContractedInsurers => "contracted-insurers",
            AuditKind::Roster => "roster",
            AuditKind::DayCheck => "day-check",
        }
    }
}

impl AuditMode {
    /// Every mode, in declaration order.
    pub const ALL: [AuditMode; 7] = [
        AuditMode::Pin,
        AuditMode::Visual,
        AuditMode::Numbers,
        AuditMode::Portal,
        AuditMode::Notice,
        AuditMode::Certificate,
        AuditMode::OfficialApp,
    ];

    /// The name in the `mode` column and in `GET /api/v1/audit`.
    pub const fn as_str(self) -> &'static str {
        match self {
            AuditMode::Pin => "pin",
            AuditMode::Visual => "visual",
            AuditMode::Numbers => "numbers",
            AuditMode::Portal => "portal",
            AuditMode::Notice => "notice",
            AuditMode::Certificate => "certificate",
            AuditMode::OfficialApp => "official-app",
        }
    }
}

/// Whether the request was answered normally. Serialized and stored as
/// [`AuditResult::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditResult {
    /// A normal answer.
    Ok,
    /// An error answer (the row has an `ErrorCode`).
    Error,
}

impl AuditResult {
    /// Both results.
    pub const ALL: [AuditResult; 2] = [AuditResult::Ok, AuditResult::Error];

    /// `ok` or `error`.
    pub const fn as_str(self) -> &'static str {
        match self {
            AuditResult::Ok => "ok",
            AuditResult::Error => "error",
        }
    }
}

/// The one of `all` whose name is the column's text; the schema's `CHECK` admits no other.
fn named<T: Copy>(value: ValueRef<'_>, all: &[T], name: fn(T) -> &'static str) -> FromSqlResult<T> {
    let text = value.as_str()?;
    all.iter()
        .copied()
        .find(|t| name(*t) == text)
        .ok_or_else(|| FromSqlError::Other(format!("unknown audit value {text:?}").into()))
}

impl FromSql for AuditKind {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        named(value, &Self::ALL, Self::as_str)
    }
}

impl FromSql for AuditMode {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        named(value, &Self::ALL, Self::as_str)
    }
}

impl FromSql for AuditResult {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        named(value, &Self::ALL, Self::as_str)
    }
}

/// The `token` column: the core's [`Token`], read by its wire name.
struct StoredToken(Token);

impl FromSql for StoredToken {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        named(value, Token::ALL, Token::as_str).map(StoredToken)
    }
}

/// A row to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// When.
    pub occurred_at: OffsetDateTime,
    /// The terminal and its facility, once the terminal was identified.
    pub terminal: Option<AuditTerminal>,
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
            terminal: None,
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
        self.terminal = Some(AuditTerminal {
            facility_code: terminal.facility.code.clone(),
            terminal_id: terminal.terminal_id.clone(),
        });
    }
}

/// The terminal an [`AuditEntry`] names, and its facility: the two are known together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditTerminal {
    /// The facility's code.
    pub facility_code: String,
    /// The terminal's identifier.
    pub terminal_id: String,
}

/// A stored row, as `GET /api/v1/audit` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    /// Row id (increasing).
    pub id: i64,
    /// When (serialized RFC 3339, UTC, e.g. `2026-04-01T09:00:00Z`).
    #[serde(serialize_with = "serialize_rfc3339")]
    pub occurred_at: OffsetDateTime,
    /// The terminal.
    pub terminal_id: Option<String>,
    /// The terminal's device name.
    pub device_name: Option<String>,
    /// The operator named in the request.
    pub operator: Option<String>,
    /// What was done.
    pub kind: AuditKind,
    /// `pin`, `visual`, `numbers`, `official-app`, or a fallback's document.
    pub mode: Option<AuditMode>,
    /// `card`, `android` or `iphone`: what the terminal said the bridge reported (not
    /// verified by the service); null when not said.
    pub token: Option<Token>,
    /// `ok` or `error`.
    pub result: AuditResult,
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
    let result = if entry.error_code.is_some() {
        AuditResult::Error
    } else {
        AuditResult::Ok
    };
    conn.prepare_cached(
        "INSERT INTO audit (occurred_at, facility_code, terminal_id, operator, kind, mode,
             result, qualification_validity, error_code, http_status, token)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        entry.occurred_at.unix_timestamp(),
        entry.terminal.as_ref().map(|t| &t.facility_code),
        entry.terminal.as_ref().map(|t| &t.terminal_id),
        entry.operator,
        entry.kind.as_str(),
        entry.mode.map(AuditMode::as_str),
        result.as_str(),
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
                occurred_at => unix_time,
                terminal_id,
                device_name,
                operator,
                kind,
                mode,
                result,
                qualification_validity,
                error_code,
                http_status,
                token => |token: Option<StoredToken>| token.map(|t| t.0),
            }))
        },
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A time as RFC 3339 (`2026-04-01T09:00:00Z` in UTC).
pub fn format_rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn serialize_rfc3339<S: Serializer>(at: &OffsetDateTime, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format_rfc3339(*at))
}

/// Unix seconds as RFC 3339 in UTC (`1970-01-01T00:00:00Z` for an out-of-range value,
/// which the schema never stores).
pub fn rfc3339(unix: i64) -> String {
    format_rfc3339(unix_time(unix))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::{DEMO_ACTIVATION_CODE, DEMO_FACILITY_CODE, DEMO_USER_ID};
    use crate::store::terminals::activate;
    use crate::store::testing::{NOW, with_demo_facility};

    /// Runs `test` with a terminal `受付` of the demo facility (its id).
    fn with_terminal(test: impl FnOnce(&mut Connection, &str) -> Result<(), StoreError>) {
        with_demo_facility(|c| {
            let terminal = activate(
                c,
                DEMO_FACILITY_CODE,
                DEMO_USER_ID,
                DEMO_ACTIVATION_CODE,
                "受付",
                NOW,
            )?;
            test(c, &terminal.terminal_id)
        });
    }

    /// An entry of `terminal` of the demo facility at `NOW`.
    fn entry(
        terminal: &str,
        kind: AuditKind,
        mode: Option<AuditMode>,
        token: Option<Token>,
    ) -> AuditEntry {
        AuditEntry {
            terminal: Some(AuditTerminal {
                facility_code: DEMO_FACILITY_CODE.to_owned(),
                terminal_id: terminal.to_owned(),
            }),
            mode,
            token,
            ..AuditEntry::new(NOW, kind)
        }
    }

    #[test]
    fn every_kind_mode_and_token_is_stored_and_listed_by_its_name() {
        with_terminal(|c, terminal| {
            let written: Vec<_> = (0..AuditMode::ALL.len())
                .map(|i| {
                    let kind = AuditKind::ALL[i % AuditKind::ALL.len()];
                    let token = Token::ALL[i % Token::ALL.len()];
                    entry(terminal, kind, Some(AuditMode::ALL[i]), Some(token))
                })
                .collect();
            for e in &written {
                insert(c, e)?;
            }
            let listed = list(c, DEMO_FACILITY_CODE, None, 100)?;
            assert_eq!(listed.len(), written.len());
            for (e, r) in written.iter().zip(listed.iter().rev()) {
                assert_eq!(r.terminal_id.as_deref(), Some(terminal));
                assert_eq!(r.device_name.as_deref(), Some("受付"));
                assert_eq!((r.kind, r.mode, r.token), (e.kind, e.mode, e.token));
                let json = serde_json::to_value(r).unwrap();
                assert_eq!(json["kind"], e.kind.as_str());
                assert_eq!(json["mode"], e.mode.map(AuditMode::as_str).unwrap());
                assert_eq!(json["token"], e.token.map(Token::as_str).unwrap());
                let stored: (String, String, String) = c.query_row(
                    "SELECT kind, mode, token FROM audit WHERE id = ?1",
                    [r.id],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                )?;
                assert_eq!(
                    (stored.0.as_str(), stored.1.as_str(), stored.2.as_str()),
                    (
                        json["kind"].as_str().unwrap(),
                        json["mode"].as_str().unwrap(),
                        json["token"].as_str().unwrap()
                    )
                );
            }
            Ok(())
        });
    }

    #[test]
    fn a_listed_row_is_the_json_the_api_has_always_answered() {
        with_terminal(|c, terminal| {
            let mut error = entry(terminal, AuditKind::DayCheck, None, None);
            error.operator = Some("受付 太郎".to_owned());
            error.error_code = Some("MW0009".to_owned());
            error.http_status = 401;
            insert(c, &error)?;
            let mut ok = entry(
                terminal,
                AuditKind::Confirmation,
                Some(AuditMode::OfficialApp),
                None,
            );
            ok.token = Some(Token::Iphone);
            ok.qualification_validity = Some("1".to_owned());
            ok.http_status = 200;
            ok.occurred_at = NOW + time::Duration::seconds(1);
            insert(c, &ok)?;
            let listed = list(c, DEMO_FACILITY_CODE, None, 10)?;
            assert_eq!(
                serde_json::to_string(&listed).unwrap(),
                concat!(
                    r#"[{"id":2,"occurredAt":"2026-04-01T09:00:01Z","terminalId":"TERMINAL","#,
                    r#""deviceName":"受付","operator":null,"kind":"confirmation","#,
                    r#""mode":"official-app","token":"iphone","result":"ok","#,
                    r#""qualificationValidity":"1","errorCode":null,"httpStatus":200},"#,
                    r#"{"id":1,"occurredAt":"2026-04-01T09:00:00Z","terminalId":"TERMINAL","#,
                    r#""deviceName":"受付","operator":"受付 太郎","kind":"day-check","#,
                    r#""mode":null,"token":null,"result":"error","#,
                    r#""qualificationValidity":null,"errorCode":"MW0009","httpStatus":401}]"#,
                )
                .replace("TERMINAL", terminal)
            );
            Ok(())
        });
    }
}
