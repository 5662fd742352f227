//! The CRLs the service checks revocation against: one current CRL per issuing CA, stored
//! as its DER and keyed by the CA's identity (see [`crate::revocation`]), and a generation
//! counter a running service watches to notice a replacement.
//!
//! Only [`crate::revocation::VerifiedCrl`]s are stored (verified against a trust anchor and
//! fresh when stored); the service verifies the DER again when it loads it, so a row edited
//! behind its back is refused, not trusted.

use rusqlite::{Connection, OptionalExtension as _, params};
use time::OffsetDateTime;

use super::{StoreError, unix_time};
use crate::revocation::{IssuerKey, VerifiedCrl};

/// What [`store`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// No CRL of this issuer was stored before.
    Added,
    /// It replaced an older (or equally old) CRL of the same issuer.
    Replaced,
}

/// A stored CRL, as `myna-demo crl list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCrl {
    /// The issuing CA's identity.
    pub issuer_key: String,
    /// thisUpdate.
    pub this_update: OffsetDateTime,
    /// nextUpdate.
    pub next_update: Option<OffsetDateTime>,
    /// cRLNumber (hex), if any.
    pub crl_number: Option<String>,
    /// How many certificates it lists.
    pub entries: i64,
    /// When it was stored.
    pub loaded_at: OffsetDateTime,
}

/// Why a CRL was not stored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreCrlError {
    /// The stored CRL of the same issuer is newer: replacing it would undo revocations.
    #[error(
        "the stored CRL of this issuer is newer (thisUpdate {stored} > {offered}); not replaced"
    )]
    Older {
        /// The stored CRL's thisUpdate.
        stored: i64,
        /// The offered CRL's thisUpdate.
        offered: i64,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for StoreCrlError {
    fn from(err: rusqlite::Error) -> Self {
        StoreCrlError::Store(err.into())
    }
}

/// Stores `crl` as its issuer's current CRL and bumps the generation, as one unit (call it
/// inside [`super::atomically`]). An older CRL (earlier thisUpdate) than the stored one is
/// refused.
pub fn store(
    conn: &Connection,
    crl: &VerifiedCrl,
    now: OffsetDateTime,
) -> Result<Stored, StoreCrlError> {
    let key = crl.issuer_key().to_hex();
    let stored: Option<i64> = conn
        .query_row(
            "SELECT this_update FROM crls WHERE issuer_key = ?1",
            [&key],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(stored) = stored {
        if stored > crl.this_update() {
            return Err(StoreCrlError::Older {
                stored,
                offered: crl.this_update(),
            });
        }
    }
    conn.execute(
        "INSERT INTO crls (issuer_key, der, this_update, next_update, crl_number, entries, loaded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (issuer_key) DO UPDATE SET der = excluded.der,
             this_update = excluded.this_update, next_update = excluded.next_update,
             crl_number = excluded.crl_number, entries = excluded.entries,
             loaded_at = excluded.loaded_at",
        params![
            key,
            crl.der(),
            crl.this_update(),
            crl.next_update(),
            crl.crl_number(),
            i64::try_from(crl.len()).unwrap_or(i64::MAX),
            now.unix_timestamp()
        ],
    )?;
    conn.execute(
        "UPDATE crl_generation SET generation = generation + 1 WHERE id = 1",
        [],
    )?;
    Ok(if stored.is_some() {
        Stored::Replaced
    } else {
        Stored::Added
    })
}

/// Whether a CRL of `issuer` is stored.
pub fn has_issuer(conn: &Connection, issuer: &IssuerKey) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM crls WHERE issuer_key = ?1)")?
        .query_row([issuer.to_hex()], |r| r.get(0))?)
}

/// The generation: changes whenever a CRL is stored.
pub fn generation(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached("SELECT generation FROM crl_generation WHERE id = 1")?
        .query_row([], |r| r.get(0))?)
}

/// Every stored CRL's DER with the generation they belong to, read in one statement (so
/// they agree even while `myna-demo crl load` writes).
pub fn load_all(conn: &Connection) -> Result<(i64, Vec<Vec<u8>>), StoreError> {
    let mut generation = 0;
    let mut ders = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT g.generation, c.der FROM crl_generation AS g LEFT JOIN crls AS c
         WHERE g.id = 1 ORDER BY c.issuer_key",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        generation = row.get(0)?;
        if let Some(der) = row.get::<_, Option<Vec<u8>>>(1)? {
            ders.push(der);
        }
    }
    Ok((generation, ders))
}

/// Every stored CRL's summary.
pub fn list(conn: &Connection) -> Result<Vec<StoredCrl>, StoreError> {
    let rows = conn
        .prepare(
            "SELECT issuer_key, this_update, next_update, crl_number, entries, loaded_at
             FROM crls ORDER BY issuer_key",
        )?
        .query_map([], |r| {
            Ok(read_columns!(r => StoredCrl {
                issuer_key,
                this_update => unix_time,
                next_update => |at: Option<i64>| at.map(unix_time),
                crl_number,
                entries,
                loaded_at => unix_time,
            }))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}
