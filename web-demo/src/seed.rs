//! What a new database starts with: the demo facility, and the insured records and the
//! CRL of the persona set.

use rusqlite::Connection;
use time::OffsetDateTime;

use crate::revocation::VerifiedCrl;
use crate::store::crls::{self, StoreCrlError};
use crate::store::facilities::{self, NewFacility};
use crate::store::records::{self, InsuredRecord};
use crate::store::{StoreError, atomically};

/// The demo facility's code (a 10-digit 医療機関等コード outside any real prefecture range).
pub const DEMO_FACILITY_CODE: &str = "1399999999";
/// The demo facility's user ID.
pub const DEMO_USER_ID: &str = "W0000001";
/// The demo facility's activation code.
pub const DEMO_ACTIVATION_CODE: &str = "DEMO0001";
/// The demo facility's name.
pub const DEMO_FACILITY_NAME: &str = "マイナ資格確認デモ健診センター";

/// The demo facility with the given web origins, both check modes enabled.
pub fn demo_facility(origins: Vec<String>) -> NewFacility {
    NewFacility {
        code: DEMO_FACILITY_CODE.to_owned(),
        name: DEMO_FACILITY_NAME.to_owned(),
        user_id: DEMO_USER_ID.to_owned(),
        activation_code: DEMO_ACTIVATION_CODE.to_owned(),
        pin_mode: true,
        visual_mode: true,
        origins,
    }
}

/// Insured records and CRLs to load into a new database.
#[derive(Debug, Clone, Default)]
pub struct SeedData {
    /// Insured records (each with its certificate serial, if linked to a card).
    pub records: Vec<InsuredRecord>,
    /// CRLs, verified against the trust anchors they belong to (e.g. the personas' CA's).
    pub crls: Vec<VerifiedCrl>,
}

/// Seeds a freshly created database: the demo facility and `data`, as one unit.
pub fn seed_new_database(
    conn: &mut Connection,
    origins: Vec<String>,
    data: &SeedData,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    atomically(conn, |tx| {
        facilities::insert(tx, &demo_facility(origins), now)?;
        for record in &data.records {
            let record = records::validate(record.clone())
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            records::insert(tx, &record)?;
        }
        for crl in &data.crls {
            store_crl(tx, crl, now)?;
        }
        Ok(())
    })
}

/// Stores each CRL of `data` whose CA has none stored (a database created before CRLs were
/// kept gets the persona CA's); never replaces one.
pub fn add_missing_crls(
    conn: &mut Connection,
    data: &SeedData,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    atomically(conn, |tx| {
        for crl in &data.crls {
            if !crls::has_issuer(tx, &crl.issuer_key())? {
                tracing::info!(crl = %crl.describe(), "adding the seed CRL");
                store_crl(tx, crl, now)?;
            }
        }
        Ok(())
    })
}

fn store_crl(conn: &Connection, crl: &VerifiedCrl, now: OffsetDateTime) -> Result<(), StoreError> {
    match crls::store(conn, crl, now) {
        Ok(_) => Ok(()),
        Err(StoreCrlError::Store(err)) => Err(err),
        Err(older @ StoreCrlError::Older { .. }) => Err(StoreError::Invalid(older.to_string())),
    }
}
