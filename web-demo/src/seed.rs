//! What a new database starts with: the demo facility, and the insured records and
//! revoked serials of the persona set.

use rusqlite::Connection;
use time::OffsetDateTime;

use crate::store::facilities::{self, NewFacility};
use crate::store::records::{self, InsuredRecord};
use crate::store::revocations::{self, RevocationSource};
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

/// Insured records and revocations to load into a new database.
#[derive(Debug, Clone, Default)]
pub struct SeedData {
    /// Insured records (each with its certificate serial, if linked to a card).
    pub records: Vec<InsuredRecord>,
    /// Revoked certificate serials (hex), e.g. from the CA's CRL.
    pub revoked_serials: Vec<String>,
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
            let record = record
                .clone()
                .validate()
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            records::insert(tx, &record)?;
        }
        for serial in &data.revoked_serials {
            revocations::revoke(tx, serial, now, RevocationSource::Crl)?;
        }
        Ok(())
    })
}
