//! Terminals: activation (at most 20 active per facility application), bearer-token
//! authentication, renewal, revocation. Tokens are stored only as SHA-256 digests.
//!
//! A token lives [`TOKEN_LIFETIME`] from its issue (issue 11: tokens lived for ever, so one
//! copied out of a reception PC's browser worked until someone noticed). Before it ends, the
//! terminal trades it for a fresh one ([`renew`]; the old one stops working at once); after
//! it ends, requests get `MW0032` (401) and the terminal is activated again with the
//! facility's credentials. Time comes from the service's `Clock`.

use rusqlite::{Connection, OptionalExtension as _, params};
use time::{Duration, OffsetDateTime};

use super::facilities::{self, Facility};
use super::{StoreError, atomically};
use crate::secrets::{random_base64url, sha256, terminal_id};

/// Active terminals one usage application may register (1度の申請における上限台数).
pub const MAX_TERMINALS_PER_APPLICATION: u32 = 20;

/// How long a terminal token is accepted after it was issued (activation or renewal): one
/// working day and then some. The reception page renews at load and every hour.
pub const TOKEN_LIFETIME: Duration = Duration::hours(24);

/// The answer to an activation: shown to the terminal once, never stored in clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activation {
    /// The terminal's public identifier.
    pub terminal_id: String,
    /// The bearer token (256 random bits, base64url).
    pub token: String,
    /// When the token stops being accepted.
    pub expires_at: OffsetDateTime,
}

/// A terminal that presented a valid token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatedTerminal {
    /// The terminal's identifier.
    pub terminal_id: String,
    /// The device name given at activation.
    pub device_name: String,
    /// The terminal's facility.
    pub facility: Facility,
}

/// A terminal as listed for administration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalInfo {
    /// Identifier.
    pub terminal_id: String,
    /// Facility code.
    pub facility_code: String,
    /// Device name.
    pub device_name: String,
    /// Activation time (Unix seconds).
    pub created_at: i64,
    /// Revocation time (Unix seconds), if revoked.
    pub revoked_at: Option<i64>,
}

/// Registers a terminal for the facility whose credentials these are.
///
/// The count of active terminals and the insert are one unit ([`atomically`]) under the
/// write lock, so concurrent activations cannot together exceed
/// [`MAX_TERMINALS_PER_APPLICATION`].
pub fn activate(
    conn: &mut Connection,
    facility_code: &str,
    user_id: &str,
    activation_code: &str,
    device_name: &str,
    now: OffsetDateTime,
) -> Result<Activation, StoreError> {
    atomically(conn, |tx| {
        let facility = facilities::check_credentials(tx, facility_code, user_id, activation_code)?;
        let active: u32 = tx.query_row(
            "SELECT count(*) FROM terminals WHERE facility_code = ?1 AND revoked_at IS NULL",
            [&facility.code],
            |r| r.get(0),
        )?;
        if active >= MAX_TERMINALS_PER_APPLICATION {
            return Err(StoreError::TerminalLimitReached {
                limit: MAX_TERMINALS_PER_APPLICATION,
            });
        }
        let activation = Activation {
            terminal_id: terminal_id(),
            token: random_base64url(),
            expires_at: now + TOKEN_LIFETIME,
        };
        tx.execute(
            "INSERT INTO terminals
                 (id, facility_code, device_name, token_sha256, created_at, token_expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                activation.terminal_id,
                facility.code,
                device_name,
                sha256(activation.token.as_bytes()).as_slice(),
                now.unix_timestamp(),
                activation.expires_at.unix_timestamp(),
            ],
        )?;
        Ok(activation)
    })
}

/// The terminal holding `token` at `now`, with its facility. A revoked terminal is
/// [`StoreError::TerminalRevoked`], an ended token [`StoreError::TokenExpired`].
pub fn authenticate(
    conn: &Connection,
    token: &str,
    now: OffsetDateTime,
) -> Result<AuthenticatedTerminal, StoreError> {
    /// id, facility code, device name, revoked at, token expires at.
    type Row = (String, String, String, Option<i64>, Option<i64>);
    let row: Option<Row> = conn
        .prepare_cached(
            "SELECT id, facility_code, device_name, revoked_at, token_expires_at FROM terminals
             WHERE token_sha256 = ?1",
        )?
        .query_row([sha256(token.as_bytes()).as_slice()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()?;
    let Some((terminal_id, facility_code, device_name, revoked_at, expires_at)) = row else {
        return Err(StoreError::UnknownToken);
    };
    if revoked_at.is_some() {
        return Err(StoreError::TerminalRevoked);
    }
    if expires_at.is_none_or(|end| end <= now.unix_timestamp()) {
        return Err(StoreError::TokenExpired);
    }
    let facility = facilities::get(conn, &facility_code)?
        .ok_or(StoreError::FacilityNotFound(facility_code))?;
    Ok(AuthenticatedTerminal {
        terminal_id,
        device_name,
        facility,
    })
}

/// Trades the terminal's valid `token` for a new one living [`TOKEN_LIFETIME`] from `now`;
/// the old token stops working at once. An ended, revoked or unknown token is refused as by
/// [`authenticate`]: only a live token renews.
pub fn renew(
    conn: &mut Connection,
    token: &str,
    now: OffsetDateTime,
) -> Result<(AuthenticatedTerminal, Activation), StoreError> {
    atomically(conn, |tx| {
        let terminal = authenticate(tx, token, now)?;
        let renewed = Activation {
            terminal_id: terminal.terminal_id.clone(),
            token: random_base64url(),
            expires_at: now + TOKEN_LIFETIME,
        };
        tx.execute(
            "UPDATE terminals SET token_sha256 = ?2, token_expires_at = ?3 WHERE id = ?1",
            params![
                renewed.terminal_id,
                sha256(renewed.token.as_bytes()).as_slice(),
                renewed.expires_at.unix_timestamp(),
            ],
        )?;
        Ok((terminal, renewed))
    })
}

/// Revokes a terminal. With `facility_code`, only a terminal of that facility (the API,
/// with the facility administration's token); without, any (the admin command).
/// Revoking a revoked terminal succeeds and keeps the first revocation time.
pub fn revoke(
    conn: &mut Connection,
    facility_code: Option<&str>,
    terminal_id: &str,
    now: OffsetDateTime,
) -> Result<TerminalInfo, StoreError> {
    atomically(conn, |tx| {
        let found: Option<String> = tx
            .query_row(
                "SELECT facility_code FROM terminals WHERE id = ?1",
                [terminal_id],
                |r| r.get(0),
            )
            .optional()?;
        match (found, facility_code) {
            (None, _) => return Err(StoreError::TerminalNotFound(terminal_id.to_owned())),
            (Some(owner), Some(wanted)) if owner != wanted => {
                return Err(StoreError::TerminalNotFound(terminal_id.to_owned()));
            }
            _ => {}
        }
        tx.execute(
            "UPDATE terminals SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            params![terminal_id, now.unix_timestamp()],
        )?;
        get(tx, terminal_id)?.ok_or(StoreError::TerminalNotFound(terminal_id.into()))
    })
}

/// One terminal.
pub fn get(conn: &Connection, terminal_id: &str) -> Result<Option<TerminalInfo>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT id, facility_code, device_name, created_at, revoked_at FROM terminals
             WHERE id = ?1",
            [terminal_id],
            row_to_info,
        )
        .optional()?)
}

/// The facility's terminals, active and revoked, oldest first.
pub fn list(conn: &Connection, facility_code: &str) -> Result<Vec<TerminalInfo>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT id, facility_code, device_name, created_at, revoked_at FROM terminals
         WHERE facility_code = ?1 ORDER BY created_at, rowid",
    )?;
    let rows = stmt.query_map([facility_code], row_to_info)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn row_to_info(r: &rusqlite::Row<'_>) -> rusqlite::Result<TerminalInfo> {
    Ok(read_columns!(r => TerminalInfo {
        terminal_id,
        facility_code,
        device_name,
        created_at,
        revoked_at,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{NOW, with_demo_facility};

    #[test]
    fn tokens_authenticate_and_are_stored_hashed() {
        with_demo_facility(|conn| {
            let a = activate(conn, "1399999999", "W0000001", "DEMO0001", "受付1", NOW)?;
            let t = authenticate(conn, &a.token, NOW)?;
            assert_eq!(t.terminal_id, a.terminal_id);
            assert_eq!(t.device_name, "受付1");
            assert_eq!(t.facility.code, "1399999999");
            let stored: Vec<u8> =
                conn.query_row("SELECT token_sha256 FROM terminals", [], |r| r.get(0))?;
            assert_eq!(stored, sha256(a.token.as_bytes()).to_vec());
            assert!(matches!(
                authenticate(conn, "not-a-token", NOW),
                Err(StoreError::UnknownToken)
            ));
            Ok(())
        });
    }

    #[test]
    fn the_21st_terminal_is_refused_until_one_is_revoked() {
        with_demo_facility(|conn| {
            let mut ids = Vec::new();
            for i in 0..MAX_TERMINALS_PER_APPLICATION {
                let a = activate(
                    conn,
                    "1399999999",
                    "W0000001",
                    "DEMO0001",
                    &format!("端末{i}"),
                    NOW,
                )?;
                ids.push(a);
            }
            let err =
                activate(conn, "1399999999", "W0000001", "DEMO0001", "端末21", NOW).unwrap_err();
            assert!(matches!(
                err,
                StoreError::TerminalLimitReached { limit: 20 }
            ));
            let info = revoke(conn, Some("1399999999"), &ids[3].terminal_id, NOW)?;
            assert_eq!(info.revoked_at, Some(NOW.unix_timestamp()));
            assert!(matches!(
                authenticate(conn, &ids[3].token, NOW),
                Err(StoreError::TerminalRevoked)
            ));
            activate(conn, "1399999999", "W0000001", "DEMO0001", "端末21", NOW)?;
            assert_eq!(list(conn, "1399999999")?.len(), 21);
            Ok(())
        });
    }

    /// Issue 11 item 8: tokens lived for ever.
    #[test]
    fn issue_11_tokens_end_after_their_lifetime_and_renew_before() {
        with_demo_facility(|conn| {
            let a = activate(conn, "1399999999", "W0000001", "DEMO0001", "受付1", NOW)?;
            assert_eq!(a.expires_at, NOW + TOKEN_LIFETIME);
            let almost = NOW + TOKEN_LIFETIME - Duration::seconds(1);
            authenticate(conn, &a.token, almost)?;
            assert!(matches!(
                authenticate(conn, &a.token, NOW + TOKEN_LIFETIME),
                Err(StoreError::TokenExpired)
            ));
            // Renewed just before the end: a new token for a new lifetime; the old one is gone.
            let (t, renewed) = renew(conn, &a.token, almost)?;
            assert_eq!(t.terminal_id, a.terminal_id);
            assert_eq!(renewed.terminal_id, a.terminal_id);
            assert_eq!(renewed.expires_at, almost + TOKEN_LIFETIME);
            assert!(matches!(
                authenticate(conn, &a.token, almost),
                Err(StoreError::UnknownToken)
            ));
            authenticate(conn, &renewed.token, NOW + TOKEN_LIFETIME)?;
            // An ended token does not renew.
            let end = almost + TOKEN_LIFETIME;
            assert!(matches!(
                renew(conn, &renewed.token, end),
                Err(StoreError::TokenExpired)
            ));
            Ok(())
        });
    }

    #[test]
    fn a_facility_cannot_revoke_another_facilitys_terminal() {
        with_demo_facility(|conn| {
            let a = activate(conn, "1399999999", "W0000001", "DEMO0001", "x", NOW)?;
            assert!(matches!(
                revoke(conn, Some("1300000000"), &a.terminal_id, NOW),
                Err(StoreError::TerminalNotFound(_))
            ));
            assert!(matches!(
                revoke(conn, None, "t_nope", NOW),
                Err(StoreError::TerminalNotFound(_))
            ));
            revoke(conn, None, &a.terminal_id, NOW)?;
            Ok(())
        });
    }
}
