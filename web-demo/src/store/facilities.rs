//! Facilities (医療機関等・健診実施機関) and their registered web origins.

use rusqlite::{Connection, OptionalExtension as _, params};
use time::OffsetDateTime;

use super::{StoreError, atomically};
use crate::secrets::sha256;

/// A facility as the service checks requests against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facility {
    /// The 10-digit facility code (`MedicalInstitutionCode` in every answer).
    pub code: String,
    /// Display name.
    pub name: String,
    /// PIN mode (暗証番号) enabled.
    pub pin_mode: bool,
    /// Visual mode (目視) enabled.
    pub visual_mode: bool,
    /// The registered web origins (ASCII serialisation, `https://host[:port]`).
    pub origins: Vec<String>,
}

/// A facility to create (what the portal's usage application would register).
#[derive(Debug, Clone)]
pub struct NewFacility {
    /// The 10-digit facility code.
    pub code: String,
    /// Display name.
    pub name: String,
    /// The user ID issued with the application.
    pub user_id: String,
    /// The activation code issued with the application (stored only as its SHA-256).
    pub activation_code: String,
    /// PIN mode enabled.
    pub pin_mode: bool,
    /// Visual mode enabled.
    pub visual_mode: bool,
    /// Registered web origins.
    pub origins: Vec<String>,
}

/// Creates a facility with its origins (run it inside [`atomically`] to make the two
/// inserts one unit, as [`crate::seed::seed_new_database`] does).
pub fn insert(
    conn: &Connection,
    facility: &NewFacility,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    if facility.code.len() != 10 || !facility.code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(StoreError::Invalid(format!(
            "facility code {:?} is not 10 digits",
            facility.code
        )));
    }
    conn.execute(
        "INSERT INTO facilities (code, name, user_id, activation_code_sha256,
             pin_mode_enabled, visual_mode_enabled, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            facility.code,
            facility.name,
            facility.user_id,
            sha256(facility.activation_code.as_bytes()).as_slice(),
            facility.pin_mode,
            facility.visual_mode,
            now.unix_timestamp(),
        ],
    )?;
    for origin in &facility.origins {
        conn.execute(
            "INSERT OR IGNORE INTO facility_origins (facility_code, origin) VALUES (?1, ?2)",
            params![facility.code, origin],
        )?;
    }
    Ok(())
}

/// Registers more web origins for a facility (existing ones are kept).
pub fn add_origins(
    conn: &mut Connection,
    facility_code: &str,
    origins: &[String],
) -> Result<(), StoreError> {
    atomically(conn, |tx| {
        let exists: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM facilities WHERE code = ?1)",
            [facility_code],
            |r| r.get(0),
        )?;
        if !exists {
            return Err(StoreError::FacilityNotFound(facility_code.to_owned()));
        }
        for origin in origins {
            tx.execute(
                "INSERT OR IGNORE INTO facility_origins (facility_code, origin) VALUES (?1, ?2)",
                params![facility_code, origin],
            )?;
        }
        Ok(())
    })
}

/// The facility with this code, if any.
pub fn get(conn: &Connection, code: &str) -> Result<Option<Facility>, StoreError> {
    let row = conn
        .prepare_cached(
            "SELECT code, name, pin_mode_enabled, visual_mode_enabled FROM facilities
             WHERE code = ?1",
        )?
        .query_row([code], |r| {
            Ok(Facility {
                code: r.get(0)?,
                name: r.get(1)?,
                pin_mode: r.get(2)?,
                visual_mode: r.get(3)?,
                origins: Vec::new(),
            })
        })
        .optional()?;
    let Some(mut facility) = row else {
        return Ok(None);
    };
    facility.origins = origins_of(conn, code)?;
    Ok(Some(facility))
}

/// Checks a facility's activation credentials; the facility when they match.
pub fn check_credentials(
    conn: &Connection,
    code: &str,
    user_id: &str,
    activation_code: &str,
) -> Result<Facility, StoreError> {
    let stored: Option<(String, Vec<u8>)> = conn
        .query_row(
            "SELECT user_id, activation_code_sha256 FROM facilities WHERE code = ?1",
            [code],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((stored_user, stored_digest)) = stored else {
        return Err(StoreError::ActivationRejected);
    };
    // Digests of equal length compared in full: no early exit that would time the code.
    let given = sha256(activation_code.as_bytes());
    let code_matches = stored_digest.len() == given.len()
        && stored_digest
            .iter()
            .zip(given.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if !code_matches || stored_user != user_id {
        return Err(StoreError::ActivationRejected);
    }
    get(conn, code)?.ok_or(StoreError::ActivationRejected)
}

/// Every origin registered for any facility (for CORS preflights, which carry no token).
pub fn all_origins(conn: &Connection) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare("SELECT DISTINCT origin FROM facility_origins ORDER BY origin")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn origins_of(conn: &Connection, code: &str) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT origin FROM facility_origins WHERE facility_code = ?1 ORDER BY origin",
    )?;
    let rows = stmt.query_map([code], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;
    use time::macros::datetime;

    fn demo() -> NewFacility {
        NewFacility {
            code: "1399999999".into(),
            name: "デモ健診センター".into(),
            user_id: "W0000001".into(),
            activation_code: "DEMO0001".into(),
            pin_mode: true,
            visual_mode: false,
            origins: vec!["http://127.0.0.1:8080".into()],
        }
    }

    #[test]
    fn credentials_are_checked_against_the_stored_digest() {
        let (db, _) = Db::open_in_memory().unwrap();
        db.call_blocking(|conn| -> Result<(), StoreError> {
            insert(conn, &demo(), datetime!(2026-01-01 0:00 UTC))?;
            let f = check_credentials(conn, "1399999999", "W0000001", "DEMO0001")?;
            assert!(f.pin_mode && !f.visual_mode);
            assert_eq!(f.origins, vec!["http://127.0.0.1:8080".to_owned()]);
            for (code, user, act) in [
                ("1399999999", "W0000001", "DEMO0002"),
                ("1399999999", "W0000002", "DEMO0001"),
                ("1300000000", "W0000001", "DEMO0001"),
            ] {
                assert!(matches!(
                    check_credentials(conn, code, user, act),
                    Err(StoreError::ActivationRejected)
                ));
            }
            let stored: Vec<u8> =
                conn.query_row("SELECT activation_code_sha256 FROM facilities", [], |r| {
                    r.get(0)
                })?;
            assert_ne!(stored, b"DEMO0001".to_vec());
            add_origins(conn, "1399999999", &["https://emr.example".into()])?;
            assert_eq!(all_origins(conn)?.len(), 2);
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn a_facility_code_must_be_ten_digits() {
        let (db, _) = Db::open_in_memory().unwrap();
        let mut f = demo();
        f.code = "13999".into();
        let err = db
            .call_blocking(|conn| insert(conn, &f, datetime!(2026-01-01 0:00 UTC)))
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)));
    }
}
