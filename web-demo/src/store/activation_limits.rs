//! Limits on wrong activation codes (issue 11: 500 wrong codes in 0.2 s were each simply
//! answered 401, and the right code still worked after them).
//!
//! An activation code is a shared secret of eight characters typed by staff; guessing it
//! online must be slow. Failures are counted in two scopes:
//! - **per facility/user ID** ([`FACILITY_LIMIT`] wrong codes in [`WINDOW`]): protects one
//!   facility's code from guesses spread over many clients;
//! - **per client** (its IP address; [`CLIENT_LIMIT`] in [`WINDOW`]): stops one client from
//!   guessing across facilities.
//!
//! When a scope reaches its limit it is locked for [`COOLING`]: every activation in it —
//! the right code too — is refused with `MW0030` (HTTP 429, `Retry-After`), so an attacker
//! learns nothing from a guess during the lock. A successful activation clears the
//! facility's and the client's counts. Counts live in SQLite (`activation_failures`), so a
//! restart does not reset them, and time comes from the service's `Clock`.
//!
//! What it costs: a legitimate facility whose code is under attack cannot activate new
//! terminals for the cooling period (already active terminals go on working); the
//! administrator can clear the lock with `myna-demo unlock-activation`. Behind a reverse
//! proxy every client has the proxy's address, so the per-client scope becomes global: the
//! demo is served directly. Rows whose window and lock are over are deleted on each write,
//! so the table holds at most the scopes that failed within the last window.

use rusqlite::{Connection, OptionalExtension as _, params};
use time::{Duration, OffsetDateTime};

use super::StoreError;

/// Wrong codes per facility/user ID within [`WINDOW`] before the lock.
pub const FACILITY_LIMIT: u32 = 5;
/// Wrong codes per client within [`WINDOW`] before the lock.
pub const CLIENT_LIMIT: u32 = 20;
/// How long failures are remembered after the first of a window.
pub const WINDOW: Duration = Duration::minutes(15);
/// How long a locked scope refuses every activation.
pub const COOLING: Duration = Duration::minutes(15);

/// What the counts are kept for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// A facility code and user ID, as given.
    Facility {
        /// The facility code.
        code: String,
        /// The user ID.
        user_id: String,
    },
    /// A client, by IP address.
    Client(String),
}

impl Scope {
    fn columns(&self) -> (&'static str, String) {
        match self {
            Scope::Facility { code, user_id } => ("facility", format!("{code}/{user_id}")),
            Scope::Client(ip) => ("client", ip.clone()),
        }
    }

    fn limit(&self) -> u32 {
        match self {
            Scope::Facility { .. } => FACILITY_LIMIT,
            Scope::Client(_) => CLIENT_LIMIT,
        }
    }
}

/// Refuses with [`StoreError::ActivationLocked`] if any of `scopes` is locked at `now`.
pub fn check(conn: &Connection, scopes: &[Scope], now: OffsetDateTime) -> Result<(), StoreError> {
    let mut until: Option<i64> = None;
    for scope in scopes {
        let (kind, key) = scope.columns();
        let locked: Option<Option<i64>> = conn
            .prepare_cached(
                "SELECT locked_until FROM activation_failures WHERE scope = ?1 AND key = ?2",
            )?
            .query_row(params![kind, key], |r| r.get(0))
            .optional()?;
        if let Some(Some(t)) = locked
            && t > now.unix_timestamp()
        {
            until = Some(until.map_or(t, |u| u.max(t)));
        }
    }
    match until {
        Some(t) => Err(StoreError::ActivationLocked {
            until: OffsetDateTime::from_unix_timestamp(t).unwrap_or(now),
        }),
        None => Ok(()),
    }
}

/// Counts one wrong code in each of `scopes`; locks those that reach their limit.
pub fn record_failure(
    conn: &Connection,
    scopes: &[Scope],
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let now_s = now.unix_timestamp();
    conn.execute(
        "DELETE FROM activation_failures
         WHERE window_start <= ?1 AND (locked_until IS NULL OR locked_until <= ?2)",
        params![now_s - WINDOW.whole_seconds(), now_s],
    )?;
    for scope in scopes {
        let (kind, key) = scope.columns();
        // A window that is over (and not locked) starts again at this failure.
        conn.execute(
            "INSERT INTO activation_failures (scope, key, failures, window_start)
             VALUES (?1, ?2, 1, ?3)
             ON CONFLICT (scope, key) DO UPDATE SET failures = failures + 1",
            params![kind, key, now_s],
        )?;
        conn.execute(
            "UPDATE activation_failures SET locked_until = ?3
             WHERE scope = ?1 AND key = ?2 AND failures >= ?4
               AND (locked_until IS NULL OR locked_until <= ?5)",
            params![
                kind,
                key,
                now_s + COOLING.whole_seconds(),
                scope.limit(),
                now_s
            ],
        )?;
    }
    Ok(())
}

/// Forgets the counts of `scopes` (after a successful activation, or by the administrator).
pub fn clear(conn: &Connection, scopes: &[Scope]) -> Result<usize, StoreError> {
    let mut cleared = 0;
    for scope in scopes {
        let (kind, key) = scope.columns();
        cleared += conn.execute(
            "DELETE FROM activation_failures WHERE scope = ?1 AND key = ?2",
            params![kind, key],
        )?;
    }
    Ok(cleared)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-04-01 09:00 UTC);

    fn facility() -> Scope {
        Scope::Facility {
            code: "1399999999".into(),
            user_id: "W0000001".into(),
        }
    }

    #[test]
    fn the_limit_locks_for_the_cooling_period_then_a_new_window_starts() {
        let (db, _) = Db::open_in_memory().unwrap();
        db.call_blocking(|c| -> Result<(), StoreError> {
            let scopes = [facility(), Scope::Client("192.0.2.1".into())];
            for _ in 0..FACILITY_LIMIT - 1 {
                record_failure(c, &scopes, T0)?;
                check(c, &scopes, T0)?;
            }
            record_failure(c, &scopes, T0)?;
            let Err(StoreError::ActivationLocked { until }) = check(c, &scopes, T0) else {
                panic!("not locked after {FACILITY_LIMIT} failures");
            };
            assert_eq!(until, T0 + COOLING);
            // Another client of the same facility is locked too; the same client for another
            // facility is not (its own limit is higher).
            assert!(check(c, &[facility()], T0 + Duration::minutes(14)).is_err());
            check(c, &[Scope::Client("192.0.2.1".into())], T0)?;
            // After the cooling period: open again, with a fresh window.
            let later = T0 + COOLING + Duration::seconds(1);
            check(c, &scopes, later)?;
            record_failure(c, &scopes, later)?;
            check(c, &scopes, later)?;
            clear(c, &scopes)?;
            Ok(())
        })
        .unwrap();
    }
}
