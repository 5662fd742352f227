//! `myna-demo crl load` against the database of a running `myna-demo serve` (the real
//! binaries, a real SQLite file, the real clock): the service uses the new CRL from its next
//! confirmation, without a restart; forged and stale CRLs are refused by the command and
//! change nothing.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use support::Card;
use support::pki::{Ca, forged, serial_of};
use support::service::Service;
use time::OffsetDateTime;

/// A PIN confirmation by `card`: the status and the `ErrorCode` (empty on success).
async fn confirm(service: &Service, token: &str, card: &Card) -> (u16, String) {
    let nonce = service.nonce(token).await;
    let (status, msg) = service.confirm(token, card.pin_confirmation(&nonce)).await;
    (status, msg.message_header.error_code.unwrap_or_default())
}

fn crl_command(db: &Path, args: &[&str], file: Option<&Path>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_myna-demo"));
    command.arg("crl").args(args).arg("--db").arg(db);
    if let Some(file) = file {
        command.arg(file);
    }
    command.output().unwrap()
}

/// Asserts that the command failed and said `message` on stderr.
#[track_caller]
fn assert_refused(out: &Output, message: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains(message), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crl_load_replaces_the_crl_of_a_running_service() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite3");
    let service = Service::start(&db);
    let token = service.activate("受付").await;
    let card = Card::load("default");
    assert_eq!(confirm(&service, &token, &card).await, (200, String::new()));

    let now = OffsetDateTime::now_utc();
    let day = time::Duration::days(1);
    let write = |name: &str, der: Vec<u8>| {
        let path = dir.path().join(name);
        std::fs::write(&path, der).unwrap();
        path
    };
    let listing_default =
        Ca::root().crl(now - day, now + 7 * day, &[serial_of(&card.certificate)], 2);

    // Refused by the command, nothing stored: a forged CRL and a stale one.
    let forged_file = write("forged.crl", forged(&listing_default));
    let out = crl_command(&db, &["load"], Some(&forged_file));
    assert_refused(&out, "signature does not verify");
    let stale_file = write(
        "stale.crl",
        Ca::root().crl(
            now - 10 * day,
            now - day,
            &[serial_of(&card.certificate)],
            2,
        ),
    );
    let out = crl_command(&db, &["load"], Some(&stale_file));
    assert_refused(&out, "not current");
    assert_eq!(confirm(&service, &token, &card).await, (200, String::new()));

    // A current CRL listing the card: loaded, and the running service refuses the card.
    let good_file = write("good.crl", listing_default);
    let out = crl_command(&db, &["load"], Some(&good_file));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("replaced"));
    assert_eq!(
        confirm(&service, &token, &card).await,
        (401, "MW0009".to_owned())
    );
    let list = crl_command(&db, &["list"], None);
    assert!(list.status.success());
    let listed = String::from_utf8_lossy(&list.stdout);
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(listed.contains("1 entries"), "{listed}");
}
