//! The checkup centre's data: its 委託元保険者一覧 (contracted insurers), each day's roster
//! (受診者名簿) and the checks recorded against it.
//!
//! Vouchers and persons are stored as JSON objects with the browser module's keys
//! (`insurerNumber`, `nameKana`, …), so what the page sends, what the service keeps and what
//! the export writes are the same words. A roster replaced for a day keeps that day's checks:
//! each is matched again, by the core's [`roster::match_to_roster`], to the new rows.

use myna_core::checkup::compare::ResultFacts;
use myna_core::checkup::roster::{self, RosterRow};
use myna_core::checkup::voucher::{Voucher, VoucherField};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::StoreError;

/// One insurer the facility is contracted with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContractedInsurer {
    /// 保険者番号 (validated: 6 or 8 digits with the check digit).
    pub insurer_number: String,
    /// The insurer's name, for staff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// The facility's list, by insurer number.
pub fn contracted_insurers(
    conn: &Connection,
    facility: &str,
) -> Result<Vec<ContractedInsurer>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT insurer_number, name FROM contracted_insurers WHERE facility_code = ?1
         ORDER BY insurer_number",
    )?;
    let rows = stmt
        .query_map(params![facility], |r| {
            Ok(read_columns!(r => ContractedInsurer {
                insurer_number,
                name,
            }))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Replaces the facility's list.
pub fn replace_contracted_insurers(
    conn: &Connection,
    facility: &str,
    list: &[ContractedInsurer],
) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM contracted_insurers WHERE facility_code = ?1",
        params![facility],
    )?;
    let mut insert = conn.prepare_cached(
        "INSERT OR REPLACE INTO contracted_insurers (facility_code, insurer_number, name)
         VALUES (?1, ?2, ?3)",
    )?;
    for i in list {
        insert.execute(params![facility, i.insurer_number, i.name])?;
    }
    Ok(())
}

/// A voucher as a JSON object with the JS keys (fields given only).
pub fn voucher_json(v: &Voucher) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for f in VoucherField::ALL {
        if let Some(value) = v.get(f) {
            map.insert(f.key().to_owned(), value.into());
        }
    }
    serde_json::Value::Object(map)
}

/// A voucher from a JSON object with the JS keys (other keys and non-strings ignored).
pub fn voucher_from_json(value: &serde_json::Value) -> Voucher {
    let mut v = Voucher::default();
    for f in VoucherField::ALL {
        if let Some(s) = value.get(f.key()).and_then(|x| x.as_str()) {
            v.set(f, s);
        }
    }
    v
}

/// What a check showed of the person: the core's list of the result's numbers and person
/// (no address), stored as JSON with the module's keys.
pub use myna_core::checkup::voucher::PersonFacts as Person;

/// A roster row as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRow {
    /// Row id.
    pub id: i64,
    /// The line in the imported file.
    pub line: u64,
    /// The voucher (normal form).
    pub voucher: Voucher,
}

/// A day's roster, in file order.
pub fn roster_rows(
    conn: &Connection,
    facility: &str,
    day: &str,
) -> Result<Vec<StoredRow>, StoreError> {
    day_rows(
        conn,
        "SELECT id, line, voucher FROM roster_rows WHERE facility_code = ?1 AND day = ?2 ORDER BY id",
        facility,
        day,
        |r| {
            Ok(read_columns!(r => StoredRow {
                id,
                line => |line: i64| line as u64,
                voucher => |json| voucher_from_json(&from_json(json)),
            }))
        },
    )
}

/// The rows `sql` selects for `facility` (`?1`) and `day` (`?2`), each read by `read`.
fn day_rows<T>(
    conn: &Connection,
    sql: &str,
    facility: &str,
    day: &str,
    read: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params![facility, day], read)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A check as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheck {
    /// Check id.
    pub id: i64,
    /// The roster row, if matched.
    pub row_id: Option<i64>,
    /// Staff.
    pub operator: String,
    /// `visual`, `pin`, …
    pub mode: String,
    /// Problem codes; empty: honoured.
    pub problems: Vec<String>,
    /// The person the check showed.
    pub person: Person,
    /// When the check was done at the desk (unix seconds).
    pub checked_at: i64,
    /// When it was queued offline, if it was.
    pub queued_at: Option<i64>,
}

/// A JSON column's value, or the default for text that does not parse (the service writes
/// these columns itself).
fn from_json<T: serde::de::DeserializeOwned + Default>(text: String) -> T {
    serde_json::from_str(&text).unwrap_or_default()
}

/// A day's checks, oldest first.
pub fn day_checks(
    conn: &Connection,
    facility: &str,
    day: &str,
) -> Result<Vec<StoredCheck>, StoreError> {
    day_rows(
        conn,
        "SELECT id, row_id, operator, mode, problems, person, checked_at, queued_at FROM day_checks
         WHERE facility_code = ?1 AND day = ?2 ORDER BY id",
        facility,
        day,
        |r| {
            Ok(read_columns!(r => StoredCheck {
                id,
                row_id,
                operator,
                mode,
                problems => from_json,
                person => from_json,
                checked_at,
                queued_at,
            }))
        },
    )
}

/// The row of `person` on `rows` (by the core's matching), as a row id.
pub fn match_row(rows: &[StoredRow], person: &Person) -> (Option<i64>, &'static str) {
    let facts = ResultFacts::from(person.clone());
    let m = roster::match_to_roster(rows.iter().map(|r| &r.voucher), &facts);
    (m.row().map(|i| rows[i].id), m.code())
}

/// Replaces a day's roster; the day's checks are matched again to the new rows.
pub fn replace_roster(
    conn: &Connection,
    facility: &str,
    day: &str,
    rows: &[RosterRow],
) -> Result<Vec<StoredRow>, StoreError> {
    conn.execute(
        "DELETE FROM roster_rows WHERE facility_code = ?1 AND day = ?2",
        params![facility, day],
    )?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO roster_rows (facility_code, day, line, voucher) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for r in rows {
        insert.execute(params![
            facility,
            day,
            r.line as i64,
            voucher_json(&r.voucher).to_string()
        ])?;
    }
    let stored = roster_rows(conn, facility, day)?;
    let mut update = conn.prepare_cached("UPDATE day_checks SET row_id = ?1 WHERE id = ?2")?;
    for check in day_checks(conn, facility, day)? {
        let (row, _) = match_row(&stored, &check.person);
        update.execute(params![row, check.id])?;
    }
    Ok(stored)
}

/// A check to record.
#[derive(Debug, Clone)]
pub struct NewCheck<'a> {
    /// The facility.
    pub facility: &'a str,
    /// The day (`yyyyMMdd`).
    pub day: &'a str,
    /// The row, if known.
    pub row_id: Option<i64>,
    /// The terminal.
    pub terminal_id: &'a str,
    /// Staff.
    pub operator: &'a str,
    /// `visual`, `pin`, …
    pub mode: &'a str,
    /// Problem codes.
    pub problems: &'a [String],
    /// What the check showed.
    pub person: &'a Person,
    /// When at the desk.
    pub checked_at: i64,
    /// When queued offline.
    pub queued_at: Option<i64>,
    /// When recorded here.
    pub recorded_at: i64,
}

/// Whether `row_id` is on the facility's roster of `day`.
pub fn row_on_day(
    conn: &Connection,
    facility: &str,
    day: &str,
    row_id: i64,
) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM roster_rows WHERE id = ?1 AND facility_code = ?2 AND day = ?3",
        )?
        .query_row(params![row_id, facility, day], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Records a check; its id.
pub fn insert_check(conn: &Connection, c: &NewCheck<'_>) -> Result<i64, StoreError> {
    conn.prepare_cached(
        "INSERT INTO day_checks (facility_code, day, row_id, terminal_id, operator, mode, problems,
             person, checked_at, queued_at, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        c.facility,
        c.day,
        c.row_id,
        c.terminal_id,
        c.operator,
        c.mode,
        serde_json::to_string(c.problems).unwrap_or_else(|_| "[]".into()),
        serde_json::to_string(c.person).unwrap_or_else(|_| "{}".into()),
        c.checked_at,
        c.queued_at,
        c.recorded_at,
    ])?;
    Ok(conn.last_insert_rowid())
}
