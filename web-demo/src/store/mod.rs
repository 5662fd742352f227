//! The service's data, one module per table family. Every function takes a connection
//! (a write job's from [`crate::db::Db::write`], a reader's from [`crate::db::Db::read`],
//! or the command line's from [`crate::db::Db::call_blocking`]) and makes each
//! read-then-write one unit with [`atomically`], which works in all of them.

/// `Type { a: row.get(0)?, b: convert(row.get(1)?), … }`: a row read into a struct whose
/// fields are the query's columns, in the order named here (the `SELECT` list names them in
/// the same order); `field => convert` passes that column's value through `convert`. Use it
/// where a closure answers `rusqlite::Result`.
macro_rules! read_columns {
    ($row:expr => $ty:ident { $($field:ident $(=> $convert:expr)?),+ $(,)? }) => {{
        let mut column = 0usize..;
        $ty {
            $($field: read_columns!(
                @value $row.get(column.next().expect("an endless range"))? $(, $convert)?
            )),+
        }
    }};
    (@value $value:expr) => {
        $value
    };
    (@value $value:expr, $convert:expr) => {
        $convert($value)
    };
}

pub mod activation_limits;
pub mod admin_tokens;
pub mod audit;
pub mod challenges;
pub mod checkup;
pub mod crls;
pub mod facilities;
pub mod records;
pub mod terminals;

use rusqlite::{Connection, TransactionBehavior};
use time::OffsetDateTime;

use crate::db::DbError;
use crate::errors::ErrorCode;

/// Runs `f` as one unit: all its writes or none. Inside a write batch (a transaction is
/// open) that is a savepoint, released when `f` answers `Ok` and rolled back when it answers
/// `Err`; on a connection in autocommit mode it is an `IMMEDIATE` transaction, which takes
/// the write lock before `f` reads, so a concurrent writer cannot slip between its read and
/// its write.
pub fn atomically<T, E>(
    conn: &mut Connection,
    f: impl FnOnce(&Connection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<rusqlite::Error>,
{
    if conn.is_autocommit() {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    } else {
        let savepoint = conn.savepoint()?;
        let value = f(&savepoint)?;
        savepoint.commit()?;
        Ok(value)
    }
}

/// Why a data operation was refused or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Facility code, user ID and activation code do not match a facility.
    #[error("facility code, user ID or activation code is wrong")]
    ActivationRejected,
    /// The facility's application already has its maximum of active terminals.
    #[error("the facility already has {limit} active terminals")]
    TerminalLimitReached {
        /// The limit.
        limit: u32,
    },
    /// No terminal holds this token.
    #[error("unknown terminal token")]
    UnknownToken,
    /// The terminal holding this token was revoked.
    #[error("the terminal was revoked")]
    TerminalRevoked,
    /// The terminal's token lived its lifetime; renew before, activate again after.
    #[error("the terminal's token expired")]
    TokenExpired,
    /// Too many wrong activation codes for this facility/user ID or from this client.
    #[error("activation is locked until {until}")]
    ActivationLocked {
        /// When activations are accepted again.
        until: time::OffsetDateTime,
    },
    /// Revoking a terminal needs the facility administration's token.
    #[error("only the facility's administration may revoke a terminal")]
    AdminRequired,
    /// No such terminal in the facility.
    #[error("no terminal {0} in this facility")]
    TerminalNotFound(String),
    /// The nonce was never issued (or was pruned long after it expired).
    #[error("unknown nonce")]
    ChallengeUnknown,
    /// The nonce expired.
    #[error("the nonce expired")]
    ChallengeExpired,
    /// The nonce was already used.
    #[error("the nonce was already used")]
    ChallengeUsed,
    /// The nonce belongs to another terminal.
    #[error("the nonce was issued to another terminal")]
    ChallengeOtherTerminal,
    /// No facility with this code.
    #[error("no facility {0}")]
    FacilityNotFound(String),
    /// A value that cannot be stored (e.g. a serial that is not hex).
    #[error("invalid value: {0}")]
    Invalid(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        StoreError::Db(DbError::Sqlite(err))
    }
}

impl StoreError {
    /// The `ErrorCode` the service answers with.
    pub fn code(&self) -> ErrorCode {
        match self {
            StoreError::ActivationRejected => ErrorCode::ActivationRejected,
            StoreError::TerminalLimitReached { .. } => ErrorCode::TerminalLimitReached,
            StoreError::UnknownToken => ErrorCode::Unauthorized,
            StoreError::TerminalRevoked => ErrorCode::TerminalRevoked,
            StoreError::TokenExpired => ErrorCode::TokenExpired,
            StoreError::ActivationLocked { .. } => ErrorCode::ActivationLocked,
            StoreError::AdminRequired => ErrorCode::AdminRequired,
            StoreError::TerminalNotFound(_) => ErrorCode::TerminalNotFound,
            StoreError::ChallengeUnknown => ErrorCode::ChallengeUnknown,
            StoreError::ChallengeExpired => ErrorCode::ChallengeExpired,
            StoreError::ChallengeUsed => ErrorCode::ChallengeUsed,
            StoreError::ChallengeOtherTerminal => ErrorCode::ChallengeOtherTerminal,
            StoreError::FacilityNotFound(_) | StoreError::Invalid(_) => ErrorCode::Internal,
            StoreError::Db(DbError::Sqlite(rusqlite::Error::SqliteFailure(e, _)))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) =>
            {
                ErrorCode::Unavailable
            }
            StoreError::Db(_) => ErrorCode::Internal,
        }
    }
}

/// Normalises a certificate serial number given in hex (`0x` prefix, `:` separators and
/// case are accepted) to the stored form: upper-case hex without leading zero bytes, the
/// form `myna_core::x509` reports serials in (`227B13`, not `00227b13`).
pub fn normalize_serial(text: &str) -> Result<String, StoreError> {
    let trimmed = text.trim();
    let body = trimmed
        .strip_prefix("0x")
        .or_else(|| trimmed.strip_prefix("0X"))
        .unwrap_or(trimmed);
    let digits: String = body.chars().filter(|c| *c != ':').collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(StoreError::Invalid(format!(
            "{text:?} is not a hexadecimal serial number"
        )));
    }
    let digits = if digits.len() % 2 == 1 {
        format!("0{digits}")
    } else {
        digits
    };
    let bytes = hex::decode(digits).map_err(|e| StoreError::Invalid(format!("{text:?}: {e}")))?;
    Ok(serial_hex(&bytes))
}

/// The stored form of a serial given as big-endian bytes (as in DER, possibly with a
/// leading zero byte): upper-case hex without leading zero bytes (`00` for zero).
pub fn serial_hex(bytes: &[u8]) -> String {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    let significant = &bytes[first..];
    if significant.is_empty() {
        "00".to_owned()
    } else {
        hex::encode_upper(significant)
    }
}

/// A time column's unix seconds as a time in UTC (`1970-01-01T00:00:00Z` for an out-of-range
/// value, which the schema never stores).
pub fn unix_time(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// What the store's tests share.
#[cfg(test)]
pub(crate) mod testing {
    use rusqlite::Connection;
    use time::OffsetDateTime;
    use time::macros::datetime;

    use super::StoreError;
    use crate::db::Db;

    /// The instant the store's tests run at.
    pub const NOW: OffsetDateTime = datetime!(2026-04-01 09:00 UTC);

    /// Runs `test` on a new in-memory database holding the demo facility
    /// ([`crate::seed::demo_facility`], no web origins); an error fails the test.
    pub fn with_demo_facility(test: impl FnOnce(&mut Connection) -> Result<(), StoreError>) {
        let (db, _) = Db::open_in_memory().unwrap();
        db.call_blocking(|conn| {
            super::facilities::insert(conn, &crate::seed::demo_facility(vec![]), NOW)?;
            test(conn)
        })
        .unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_normalise() {
        assert_eq!(normalize_serial("0x00AB:cd").unwrap(), "ABCD");
        assert_eq!(normalize_serial("abc").unwrap(), "0ABC");
        assert_eq!(normalize_serial(" 01 ").unwrap(), "01");
        assert_eq!(normalize_serial("0000").unwrap(), "00");
        assert!(normalize_serial("xyz").is_err());
        assert!(normalize_serial("").is_err());
        assert_eq!(serial_hex(&[0x00, 0x80, 0x01]), "8001");
        assert_eq!(serial_hex(&[0x22, 0x7b, 0x13]), "227B13");
    }
}
