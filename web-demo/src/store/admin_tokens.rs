//! A facility administration's tokens: the credential that may revoke the facility's
//! terminals (issue 11: a sibling terminal's token could revoke any terminal of its
//! facility, so one stolen reception PC could switch off all the others).
//!
//! The demo has no administrator accounts; an administrator token is issued on the server's
//! own command line (`myna-demo admin-token --facility CODE`), printed once and stored only
//! as its SHA-256 digest, like terminal tokens. It never expires (it is not typed into a
//! browser; the holder keeps it like the activation code) and is not accepted by any
//! terminal endpoint, nor a terminal token here.

use rusqlite::{Connection, OptionalExtension as _, params};
use time::OffsetDateTime;

use super::StoreError;
use crate::secrets::{random_base64url, sha256};

/// The prefix that tells an administrator token apart at a glance (logs, support).
pub const PREFIX: &str = "adm_";

/// Issues a new administrator token for `facility_code`; returns it in clear (once).
pub fn issue(
    conn: &Connection,
    facility_code: &str,
    now: OffsetDateTime,
) -> Result<String, StoreError> {
    if super::facilities::get(conn, facility_code)?.is_none() {
        return Err(StoreError::FacilityNotFound(facility_code.to_owned()));
    }
    let token = format!("{PREFIX}{}", random_base64url());
    conn.execute(
        "INSERT INTO admin_tokens (token_sha256, facility_code, created_at) VALUES (?1, ?2, ?3)",
        params![
            sha256(token.as_bytes()).as_slice(),
            facility_code,
            now.unix_timestamp()
        ],
    )?;
    Ok(token)
}

/// The facility whose administrator holds `token`, if any.
pub fn facility_of(conn: &Connection, token: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT facility_code FROM admin_tokens WHERE token_sha256 = ?1")?
        .query_row([sha256(token.as_bytes()).as_slice()], |r| r.get(0))
        .optional()?)
}
