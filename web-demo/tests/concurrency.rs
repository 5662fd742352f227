//! Concurrency and group commit, through the router on a real SQLite file: requests in
//! flight at once share write batches, and what each one is promised still holds — every
//! answer has its audit row, a nonce is used once, at most 20 devices, a refusal keeps the
//! burn of its nonce; the certificate chain cache does not bypass dates or revocation.

mod support;

use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use axum::http::StatusCode;
use myna_demo::db::Db;
use support::{Card, Harness, Reply, activation, count};
use time::Duration;

/// Holds the write connection (as an admin command would) until released: write jobs sent
/// meanwhile queue up, and the writer then takes them as one batch.
struct HeldWriter {
    release: std::sync::mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl HeldWriter {
    fn hold(db: &Db) -> Self {
        let db = db.clone();
        let (held, is_held) = std::sync::mpsc::channel();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            db.call_blocking(|_conn| {
                held.send(()).unwrap();
                let _ = released.recv();
                Ok::<_, ()>(())
            })
            .unwrap();
        });
        is_held.recv().unwrap();
        HeldWriter { release, thread }
    }

    /// Waits until `count` more jobs than `before` were sent to the writer, then lets it go.
    async fn release_after(self, db: &Db, before: u64, count: u64) {
        let deadline = Instant::now() + StdDuration::from_secs(20);
        while db.writer_stats().submitted < before + count {
            assert!(
                Instant::now() < deadline,
                "only {} of {count} jobs were sent",
                db.writer_stats().submitted - before
            );
            tokio::time::sleep(StdDuration::from_millis(2)).await;
        }
        self.release.send(()).unwrap();
        self.thread.join().unwrap();
    }
}

async fn join_all(tasks: Vec<tokio::task::JoinHandle<Reply>>) -> Vec<Reply> {
    let mut replies = Vec::with_capacity(tasks.len());
    for task in tasks {
        replies.push(task.await.unwrap());
    }
    replies
}

/// How many of `replies` have `status`; every other one must be the error `code` with
/// `error_status`.
#[track_caller]
fn count_refusing_the_rest(
    replies: &[Reply],
    status: StatusCode,
    error_status: u16,
    code: &str,
) -> usize {
    let (hits, rest): (Vec<&Reply>, Vec<&Reply>) = replies.iter().partition(|r| r.status == status);
    for reply in rest {
        reply.assert_error(error_status, code);
    }
    hits.len()
}

fn audit_counts(h: &Harness) -> (i64, i64) {
    h.db.call_blocking(|c| {
        c.query_row(
            "SELECT count(*) FILTER (WHERE result = 'ok'), count(*) FILTER (WHERE result = 'error')
             FROM audit WHERE kind = 'confirmation'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    })
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_confirmations_share_commits_and_each_has_its_audit_row() {
    const N: usize = 40;
    let h = Arc::new(Harness::new().await);
    let (_, token) = h.activate("受付").await;
    let personas = ["default", "kokuho", "kouki", "child", "limit"];
    let mut bodies = Vec::new();
    for i in 0..N {
        let nonce = h.nonce(&token).await;
        bodies.push(Card::load(personas[i % personas.len()]).pin_confirmation(&nonce));
    }

    let before = h.db.writer_stats();
    let held = HeldWriter::hold(&h.db);
    let tasks: Vec<_> = bodies
        .into_iter()
        .map(|body| {
            let h = Arc::clone(&h);
            let token = token.clone();
            tokio::spawn(async move { h.confirm(&token, body).await })
        })
        .collect();
    // Every request's first job (token + nonce burn) is queued behind the held writer.
    held.release_after(&h.db, before.submitted, N as u64).await;
    let replies = join_all(tasks).await;

    for reply in &replies {
        reply.assert_status(StatusCode::OK);
        assert_eq!(
            reply.xml().message_header.segment_of_result.unwrap().raw(),
            "1"
        );
    }
    assert_eq!(audit_counts(&h), (N as i64, 0));
    let after = h.db.writer_stats();
    // The N nonce burns went in one batch: one transaction, one fsync.
    assert!(after.largest_batch >= N as u64, "{after:?}");
    // Two jobs per confirmation, in fewer commits than jobs.
    assert_eq!(after.jobs - before.jobs, 2 * N as u64);
    assert!(after.batches - before.batches < 2 * N as u64, "{after:?}");
    let used = count(
        &h.db,
        "SELECT count(*) FROM challenges WHERE used_at IS NOT NULL",
    );
    assert_eq!(used, N as i64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_nonce_raced_by_many_requests_is_used_once() {
    const N: usize = 12;
    let h = Arc::new(Harness::new().await);
    let (_, token) = h.activate("受付").await;
    let card = Card::load("default");

    // Round 1: all in one batch (the same transaction, one savepoint each).
    // Round 2: racing freely.
    for same_batch in [true, false] {
        let body = h.pin_body(&token, &card).await;
        let (ok_before, error_before) = audit_counts(&h);
        let before = h.db.writer_stats();
        let held = same_batch.then(|| HeldWriter::hold(&h.db));
        let tasks: Vec<_> = (0..N)
            .map(|_| {
                let h = Arc::clone(&h);
                let token = token.clone();
                let body = body.clone();
                tokio::spawn(async move { h.confirm(&token, body).await })
            })
            .collect();
        if let Some(held) = held {
            held.release_after(&h.db, before.submitted, N as u64).await;
        }
        let replies = join_all(tasks).await;
        let ok = count_refusing_the_rest(&replies, StatusCode::OK, 409, "MW0013");
        assert_eq!(ok, 1, "same batch: {same_batch}");
        assert_eq!(
            audit_counts(&h),
            (ok_before + 1, error_before + N as i64 - 1),
            "same batch: {same_batch}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_21st_device_is_refused_under_concurrent_activations() {
    const N: usize = 30;
    let h = Arc::new(Harness::new().await);
    for same_batch in [true, false] {
        if !same_batch {
            // Free 10 places, then race 30 again.
            h.db.call_blocking(|c| {
                c.execute(
                    "UPDATE terminals SET revoked_at = 1 WHERE id IN
                     (SELECT id FROM terminals WHERE revoked_at IS NULL LIMIT 10)",
                    [],
                )
            })
            .unwrap();
        }
        let before = h.db.writer_stats();
        let held = same_batch.then(|| HeldWriter::hold(&h.db));
        let tasks: Vec<_> = (0..N)
            .map(|i| {
                let h = Arc::clone(&h);
                tokio::spawn(async move { h.try_activate(activation(&format!("端末{i}"))).await })
            })
            .collect();
        if let Some(held) = held {
            held.release_after(&h.db, before.submitted, N as u64).await;
        }
        let replies = join_all(tasks).await;
        let created = count_refusing_the_rest(&replies, StatusCode::CREATED, 409, "MW0021");
        let expected = if same_batch { 20 } else { 10 };
        assert_eq!(created, expected, "same batch: {same_batch}");
        let active = count(
            &h.db,
            "SELECT count(*) FROM terminals WHERE revoked_at IS NULL",
        );
        assert_eq!(active, 20);
    }
}

#[tokio::test]
async fn an_expired_nonce_stays_burnt_after_its_refusal() {
    // The refusal is decided inside the write job after the burn: the job must keep it.
    let (h, token, card) = Harness::with_terminal_and_card().await;
    let body = h.pin_body(&token, &card).await;
    h.clock.advance(Duration::minutes(5));
    h.confirm(&token, body.clone())
        .await
        .assert_error(410, "MW0012");
    h.clock.set(support::START);
    h.confirm(&token, body).await.assert_error(409, "MW0013");
}

#[tokio::test]
async fn a_refused_request_before_the_nonce_leaves_it_usable() {
    // A body missing what its mode needs is refused in the first job, before the burn.
    let (h, token, card) = Harness::with_terminal_and_card().await;
    let nonce = h.nonce(&token).await;
    let mut body = card.pin_confirmation(&nonce);
    body.as_object_mut().unwrap().remove("signature");
    h.confirm(&token, body).await.assert_error(422, "MW0018");
    let r = h.confirm(&token, card.pin_confirmation(&nonce)).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn the_chain_cache_does_not_outlive_dates_or_revocation() {
    let (h, token, card) = Harness::with_terminal_and_card().await;
    let info = myna_core::x509::parse_certificate(&card.certificate).unwrap();

    assert_eq!(h.confirm_pin(&token, &card).await.status, StatusCode::OK);
    assert_eq!(h.confirm_pin(&token, &card).await.status, StatusCode::OK);
    let stats = h.state.trust_anchors().chain_cache_stats().unwrap();
    assert_eq!((stats.misses, stats.hits, stats.entries), (1, 1, 1));

    // Past its notAfter and the grace period after it (issue 13): refused as expired
    // although the chain is cached.
    let not_after = time::OffsetDateTime::from_unix_timestamp(info.not_after).unwrap();
    h.clock.set(myna_demo::validity::grace_ends_at(not_after));
    let (_, later_token) = h.activate("受付2").await;
    h.refuses_pin(&later_token, &card, 401, "MW0008").await;
    h.clock.set(support::START);

    // Revoked: refused at once although the chain is cached.
    let crl = support::pki::Ca::root().crl(
        support::START - time::Duration::days(1),
        support::START + time::Duration::days(7),
        &[support::pki::serial_of(&card.certificate)],
        2,
    );
    myna_demo::revocation::load(&h.db, h.state.trust_anchors(), &crl, support::START).unwrap();
    h.refuses_pin(&token, &card, 401, "MW0009").await;
}
