//! Revoked certificate serials: seeded from the CA's CRL, added to by the admin command.

use rusqlite::{Connection, params};
use time::OffsetDateTime;

use super::{StoreError, normalize_serial};

/// Where a revocation came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RevocationSource {
    /// The certificate authority's CRL.
    Crl,
    /// `myna-demo revoke`.
    Admin,
}

impl RevocationSource {
    fn as_str(self) -> &'static str {
        match self {
            RevocationSource::Crl => "crl",
            RevocationSource::Admin => "admin",
        }
    }
}

/// Records `serial` (hex, any accepted spelling) as revoked. Returns `false` if it already
/// was.
pub fn revoke(
    conn: &Connection,
    serial: &str,
    revoked_at: OffsetDateTime,
    source: RevocationSource,
) -> Result<bool, StoreError> {
    let serial = normalize_serial(serial)?;
    let inserted = conn.execute(
        "INSERT OR IGNORE INTO revoked_serials (serial, revoked_at, source) VALUES (?1, ?2, ?3)",
        params![serial, revoked_at.unix_timestamp(), source.as_str()],
    )?;
    Ok(inserted == 1)
}

/// Whether the serial (stored form, see [`super::serial_hex`]) is revoked.
pub fn is_revoked(conn: &Connection, serial: &str) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM revoked_serials WHERE serial = ?1)")?
        .query_row([serial], |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;
    use time::macros::datetime;

    #[test]
    fn revocation_is_idempotent_and_normalised() {
        let (db, _) = Db::open_in_memory().unwrap();
        db.call_blocking(|c| -> Result<(), StoreError> {
            let t = datetime!(2026-04-01 0:00 UTC);
            assert!(revoke(c, "0x0A:BC", t, RevocationSource::Admin)?);
            assert!(!revoke(c, "abc", t, RevocationSource::Crl)?);
            assert!(is_revoked(c, "0ABC")?);
            assert!(!is_revoked(c, "0ABD")?);
            Ok(())
        })
        .unwrap();
    }
}
