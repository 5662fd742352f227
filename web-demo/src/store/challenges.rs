//! Challenges: single-use nonces bound to a terminal, valid for five minutes.

use rusqlite::{Connection, OptionalExtension as _, params};
use time::{Duration, OffsetDateTime};

use super::{StoreError, atomically};
use crate::secrets::random_base64url;

/// How long a nonce may be used after it is issued.
pub const CHALLENGE_LIFETIME: Duration = Duration::minutes(5);

/// How long after expiry a challenge row is kept (so a late replay is still recognised as
/// such) before it is pruned.
pub const CHALLENGE_RETENTION: Duration = Duration::days(1);

/// An issued challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The nonce: 256 random bits, base64url (43 characters).
    pub nonce: String,
    /// When it stops being accepted.
    pub expires_at: OffsetDateTime,
}

/// Issues a fresh nonce to `terminal_id` (and prunes long-expired ones).
pub fn issue(
    conn: &mut Connection,
    terminal_id: &str,
    now: OffsetDateTime,
) -> Result<Challenge, StoreError> {
    let challenge = Challenge {
        nonce: random_base64url(),
        expires_at: now + CHALLENGE_LIFETIME,
    };
    atomically(conn, |tx| {
        tx.prepare_cached("DELETE FROM challenges WHERE expires_at < ?1")?
            .execute([(now - CHALLENGE_RETENTION).unix_timestamp()])?;
        tx.prepare_cached(
            "INSERT INTO challenges (nonce, terminal_id, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            challenge.nonce,
            terminal_id,
            now.unix_timestamp(),
            challenge.expires_at.unix_timestamp()
        ])?;
        Ok::<_, StoreError>(())
    })?;
    Ok(challenge)
}

/// Consumes `nonce` for `terminal_id`: it must exist, belong to that terminal, be unused
/// and unexpired. A nonce of this terminal is marked used as soon as it is looked up,
/// whatever the outcome, in the same unit ([`atomically`]): it can never be tried twice. A
/// nonce of another terminal is left alone (its owner may still use it).
///
/// [`StoreError::ChallengeExpired`] comes *after* the burn was written: a write job that
/// gets it must still answer `Ok` (with the refusal inside), or its savepoint rolls the burn
/// back.
pub fn consume(
    conn: &mut Connection,
    terminal_id: &str,
    nonce: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let expires_at = atomically(conn, |tx| {
        let row: Option<(String, i64, Option<i64>)> = tx
            .prepare_cached(
                "SELECT terminal_id, expires_at, used_at FROM challenges WHERE nonce = ?1",
            )?
            .query_row([nonce], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        let Some((owner, expires_at, used_at)) = row else {
            return Err(StoreError::ChallengeUnknown);
        };
        if owner != terminal_id {
            return Err(StoreError::ChallengeOtherTerminal);
        }
        if used_at.is_some() {
            return Err(StoreError::ChallengeUsed);
        }
        tx.prepare_cached("UPDATE challenges SET used_at = ?2 WHERE nonce = ?1")?
            .execute(params![nonce, now.unix_timestamp()])?;
        Ok(expires_at)
    })?;
    if now.unix_timestamp() >= expires_at {
        return Err(StoreError::ChallengeExpired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::{DEMO_ACTIVATION_CODE, DEMO_FACILITY_CODE, DEMO_USER_ID};
    use crate::store::terminals::activate;
    use crate::store::testing::{NOW, with_demo_facility};

    /// Runs `test` with two terminals of the demo facility (their ids).
    fn with_terminals(test: impl FnOnce(&mut Connection, &str, &str) -> Result<(), StoreError>) {
        with_demo_facility(|c| {
            let mut terminal = |name| {
                activate(
                    c,
                    DEMO_FACILITY_CODE,
                    DEMO_USER_ID,
                    DEMO_ACTIVATION_CODE,
                    name,
                    NOW,
                )
                .map(|t| t.terminal_id)
            };
            let (a, b) = (terminal("a")?, terminal("b")?);
            test(c, &a, &b)
        });
    }

    /// Why [`consume`] refused `nonce` from `terminal` at `at`; a consumed nonce fails the
    /// test.
    fn refusal(c: &mut Connection, terminal: &str, nonce: &str, at: OffsetDateTime) -> StoreError {
        consume(c, terminal, nonce, at).expect_err("the nonce was consumed")
    }

    #[test]
    fn a_nonce_is_single_use() {
        with_terminals(|c, a, _| {
            let ch = issue(c, a, NOW)?;
            assert_eq!(ch.nonce.len(), 43);
            assert_eq!(ch.expires_at, NOW + Duration::minutes(5));
            consume(c, a, &ch.nonce, NOW + Duration::seconds(10))?;
            let used = refusal(c, a, &ch.nonce, NOW + Duration::seconds(11));
            assert!(matches!(used, StoreError::ChallengeUsed));
            Ok(())
        });
    }

    #[test]
    fn an_expired_nonce_is_refused_and_burnt() {
        with_terminals(|c, a, _| {
            let ch = issue(c, a, NOW)?;
            let expired = refusal(c, a, &ch.nonce, NOW + Duration::minutes(5));
            assert!(matches!(expired, StoreError::ChallengeExpired));
            let burnt = refusal(c, a, &ch.nonce, NOW);
            assert!(matches!(burnt, StoreError::ChallengeUsed));
            let ch = issue(c, a, NOW)?;
            consume(c, a, &ch.nonce, NOW + Duration::seconds(299))?;
            Ok(())
        });
    }

    #[test]
    fn a_nonce_is_bound_to_its_terminal() {
        with_terminals(|c, a, b| {
            let ch = issue(c, a, NOW)?;
            let other = refusal(c, b, &ch.nonce, NOW);
            assert!(matches!(other, StoreError::ChallengeOtherTerminal));
            consume(c, a, &ch.nonce, NOW)?;
            let unknown = refusal(c, a, &"A".repeat(43), NOW);
            assert!(matches!(unknown, StoreError::ChallengeUnknown));
            Ok(())
        });
    }

    #[test]
    fn long_expired_challenges_are_pruned() {
        with_terminals(|c, a, _| {
            issue(c, a, NOW)?;
            issue(c, a, NOW + Duration::days(2))?;
            let n: i64 = c.query_row("SELECT count(*) FROM challenges", [], |r| r.get(0))?;
            assert_eq!(n, 1);
            Ok(())
        });
    }
}
