//! Revocation as a relying party (`src/revocation.rs`): CRLs signed in the test with the
//! personas' TEST-ONLY CA keys — good, forged, stale, of another issuer, and of the other
//! root generation listing the same serial — loaded into a service that is running.

mod support;

use myna_demo::revocation::{self, CrlRefusal, LoadError};
use myna_demo::store::crls::{StoreCrlError, Stored};
use support::pki::{Ca, forged, serial_of};
use support::{Card, Harness, START, both_roots};
use time::Duration;

/// A day before the harness's start to a week after.
fn week() -> (time::OffsetDateTime, time::OffsetDateTime) {
    (START - Duration::days(1), START + Duration::days(7))
}

fn load(h: &Harness, der: &[u8]) -> Result<Stored, LoadError> {
    revocation::load(&h.db, &both_roots(), der, h.clock_now()).map(|(_, stored)| stored)
}

trait Now {
    fn clock_now(&self) -> time::OffsetDateTime;
}

impl Now for Harness {
    fn clock_now(&self) -> time::OffsetDateTime {
        use myna_demo::clock::Clock as _;
        self.clock.now()
    }
}

/// The `default` persona's card, and the same certificate (serial, key, DN) issued by the
/// other root generation.
fn twins() -> (Card, Card) {
    let root_issued = Card::load("default");
    let mut old_issued = Card::load("default");
    old_issued.certificate = Ca::old_root().reissue(&root_issued.certificate);
    (root_issued, old_issued)
}

#[tokio::test]
async fn a_new_crl_replaces_the_old_one_while_the_service_runs() {
    let (h, token) = Harness::with_terminal_trusting(both_roots()).await;
    let card = Card::load("default");
    let revoked = Card::load("revoked-cert");
    // The seeded CRL: `revoked-cert` listed, `default` not. The chain of `default` is now
    // cached.
    h.confirm_pin(&token, &card).await.assert_status_ok();
    h.refuses_pin(&token, &revoked, 401, "MW0009").await;

    // A newer CRL of the same CA lists `default` and no longer `revoked-cert`.
    let (this_update, next_update) = week();
    let crl = Ca::root().crl(this_update, next_update, &[serial_of(&card.certificate)], 2);
    assert_eq!(load(&h, &crl).unwrap(), Stored::Replaced);
    h.refuses_pin(&token, &card, 401, "MW0009").await;
    h.confirm_pin(&token, &revoked).await.assert_status_ok();

    // An older CRL than the stored one is refused (it would undo the revocation).
    let older = Ca::root().crl(this_update - Duration::days(2), next_update, &[], 1);
    assert!(matches!(
        load(&h, &older),
        Err(LoadError::Store(StoreCrlError::Older { .. }))
    ));
    h.refuses_pin(&token, &card, 401, "MW0009").await;
}

#[tokio::test]
async fn a_forged_crl_or_one_of_another_issuer_is_refused_and_changes_nothing() {
    let (h, token) = Harness::with_terminal_trusting(both_roots()).await;
    let card = Card::load("default");
    let (this_update, next_update) = week();
    let listing_default =
        |ca: &Ca| ca.crl(this_update, next_update, &[serial_of(&card.certificate)], 5);

    // The root's CRL with one bit of its signature flipped.
    let forged = forged(&listing_default(&Ca::root()));
    assert!(matches!(
        load(&h, &forged),
        Err(LoadError::Refused(CrlRefusal::BadSignature { .. }))
    ));
    // A partitioned CRL (issuingDistributionPoint): "not listed" would not mean "not
    // revoked".
    assert!(matches!(
        load(
            &h,
            &Ca::root().crl_with(this_update, next_update, &[], 5, true)
        ),
        Err(LoadError::Refused(CrlRefusal::Partitioned))
    ));
    // Another CA's CRL: no anchor has its name.
    assert!(matches!(
        load(&h, &listing_default(&Ca::stranger())),
        Err(LoadError::Refused(CrlRefusal::UnknownIssuer { .. }))
    ));
    h.confirm_pin(&token, &card).await.assert_status_ok();

    // Stored behind the service's back (the table edited, the generation bumped): the
    // service verifies what it loads, drops the forged CRL, and refuses what that CA
    // issued, since it can no longer check their revocation.
    h.db.call_blocking(|c| {
        c.execute("UPDATE crls SET der = ?1", [&forged])?;
        c.execute("UPDATE crl_generation SET generation = generation + 1", [])
    })
    .unwrap();
    h.refuses_pin(&token, &card, 503, "MW0034").await;
}

#[tokio::test]
async fn a_stale_crl_is_refused_when_loaded_and_when_used() {
    let (h, token) = Harness::with_terminal_trusting(both_roots()).await;
    let card = Card::load("default");
    let revoked = Card::load("revoked-cert");

    // Already past its nextUpdate: not loaded.
    let stale = Ca::root().crl(
        START - Duration::days(10),
        START - Duration::days(3),
        &[],
        7,
    );
    assert!(matches!(
        load(&h, &stale),
        Err(LoadError::Refused(CrlRefusal::NotCurrent(_)))
    ));
    // Not valid before next week: not loaded either.
    let early = Ca::root().crl(
        START + Duration::days(7),
        START + Duration::days(14),
        &[],
        7,
    );
    assert!(matches!(
        load(&h, &early),
        Err(LoadError::Refused(CrlRefusal::NotCurrent(_)))
    ));

    // Current when loaded, then the service's clock passes its nextUpdate.
    let (this_update, next_update) = week();
    let crl = Ca::root().crl(
        this_update,
        next_update,
        &[serial_of(&revoked.certificate)],
        7,
    );
    load(&h, &crl).unwrap();
    h.confirm_pin(&token, &card).await.assert_status_ok();
    h.clock.set(next_update);
    // A terminal token lives a day (docs/security.md T26): a week on, the terminal is
    // activated again.
    let (_, token) = h.activate("受付（翌週）").await;
    h.confirm_pin(&token, &card).await.assert_status_ok();
    h.clock.set(next_update + Duration::seconds(1));
    h.refuses_pin(&token, &card, 503, "MW0033").await;
    // A listing stays true after nextUpdate.
    h.refuses_pin(&token, &revoked, 401, "MW0009").await;
    // And the audit trail records the refusal with its own code.
    let audit = h.audit(&token).await;
    assert!(
        audit.iter().any(|r| r["errorCode"] == "MW0033"),
        "{audit:?}"
    );
}

#[tokio::test]
async fn revocation_is_keyed_by_the_issuing_ca_not_by_serial_or_name() {
    let (h, token) = Harness::with_terminal_trusting(both_roots()).await;
    let (root_issued, old_issued) = twins();
    let serial = serial_of(&root_issued.certificate);
    assert_eq!(serial, serial_of(&old_issued.certificate));
    let (this_update, next_update) = week();

    // The old generation has no CRL yet: its certificates cannot be checked.
    h.refuses_pin(&token, &old_issued, 503, "MW0034").await;
    h.confirm_pin(&token, &root_issued).await.assert_status_ok();

    // The old generation revokes the serial: only its certificate is refused.
    let old_crl = Ca::old_root().crl(this_update, next_update, std::slice::from_ref(&serial), 1);
    assert_eq!(load(&h, &old_crl).unwrap(), Stored::Added);
    h.refuses_pin(&token, &old_issued, 401, "MW0009").await;
    h.confirm_pin(&token, &root_issued).await.assert_status_ok();

    // The reverse: the new generation revokes it, the old one's newer CRL does not.
    let root_crl = Ca::root().crl(this_update, next_update, &[serial], 2);
    let old_crl = Ca::old_root().crl(this_update + Duration::hours(1), next_update, &[], 2);
    load(&h, &root_crl).unwrap();
    assert_eq!(load(&h, &old_crl).unwrap(), Stored::Replaced);
    h.refuses_pin(&token, &root_issued, 401, "MW0009").await;
    h.confirm_pin(&token, &old_issued).await.assert_status_ok();
}

#[test]
fn a_database_from_before_crls_gets_the_personas_crl_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    // Schema version 2: serials copied out of the CRL, no CRL kept.
    let path = support::old_database(
        dir.path(),
        &[
            include_str!("../migrations/0001_initial.sql"),
            include_str!("../migrations/0002_fallbacks.sql"),
        ],
    );
    let db = myna_demo::open_database(
        &path,
        &[support::ORIGIN.to_owned()],
        &support::persona_seed(),
        START,
    )
    .unwrap();
    let stored = db
        .call_blocking(|c| myna_demo::store::crls::list(c))
        .unwrap();
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0].entries, 1);
    // Opening again adds nothing and replaces nothing.
    drop(db);
    let db = myna_demo::open_database(&path, &[], &support::persona_seed(), START).unwrap();
    let again = db
        .call_blocking(|c| myna_demo::store::crls::list(c))
        .unwrap();
    assert_eq!(again, stored);
    let gone: bool = db
        .call_blocking(|c| {
            c.query_row(
                "SELECT NOT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'revoked_serials')",
                [],
                |r| r.get(0),
            )
        })
        .unwrap();
    assert!(gone, "serials without their issuer are not kept");
}
