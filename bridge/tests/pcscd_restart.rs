//! The PC/SC service disappears and returns under a running bridge.
//!
//! Kills the real pcscd (this test binary has it to itself: cargo runs test binaries one
//! after another), checks that pages see `no-service` and a `readers` event with
//! `service: false` instead of a hang, starts pcscd again, and checks that the bridge
//! re-establishes its context and the card is usable again — with the virtual card's vpcd
//! adapter reconnecting by itself, as a real reader re-enumerates.
//!
//! Needs root (to stop and start pcscd) and pcscd with vsmartcard-vpcd. It runs when
//! `MYNA_REQUIRE_PCSC=1` (set by `cargo xtask test`, which runs as root); otherwise it says
//! why and passes.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use myna_bridge::cards::Cards;
use myna_bridge::pcsc_backend::PcscBackend;
use myna_bridge::personas::Personas;
use myna_virtual_card::vpcd::spawn_vpcd;
use myna_virtual_card::{SharedCard, VirtualCard};
use serde_json::{Value, json};

use support::Client;

const READER: &str = "Virtual PCD 00 00";

/// Whether a live pcscd process exists. A killed pcscd whose parent has not reaped it yet
/// (the test command starts pcscd as its child) is a zombie and does not count: `pgrep`
/// would still list it.
fn pcscd_running() -> bool {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return false;
    };
    dir.flatten().any(|entry| {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            return false;
        };
        // "pid (comm) state ...": comm may hold spaces or parentheses, so split at the last ')'.
        let Some((head, tail)) = stat.rsplit_once(')') else {
            return false;
        };
        let comm = head.split_once('(').map(|(_, c)| c);
        let state = tail.trim_start().chars().next();
        comm == Some("pcscd") && !matches!(state, Some('Z' | 'X') | None)
    })
}

fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Asks `listReaders` until its answer satisfies `until`; fails with the last answer after
/// `within`.
async fn list_readers_until(
    c: &mut Client,
    failure: &str,
    within: Duration,
    until: impl Fn(&Value) -> bool,
) {
    let start = Instant::now();
    loop {
        let a = c.request("listReaders", json!({})).await;
        if until(&a) {
            return;
        }
        assert!(start.elapsed() < within, "{failure}: {a}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bridge_survives_pcscd_going_away_and_coming_back() {
    let required = std::env::var("MYNA_REQUIRE_PCSC").as_deref() == Ok("1");
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    if !required || !is_root || !pcscd_running() {
        assert!(
            !required || is_root,
            "MYNA_REQUIRE_PCSC=1 but not root: cannot restart pcscd"
        );
        assert!(
            !required || pcscd_running(),
            "MYNA_REQUIRE_PCSC=1 but pcscd is not running"
        );
        eprintln!("skipped: needs MYNA_REQUIRE_PCSC=1, root and a running pcscd");
        return;
    }
    let persona = Personas::embedded().get("default").unwrap().clone();
    let card = SharedCard::new(VirtualCard::from_persona(&persona).unwrap());
    let vpcd = spawn_vpcd("127.0.0.1:35963".parse().unwrap(), card.clone()).unwrap();
    assert!(vpcd.wait_connected(Duration::from_secs(10)));

    let addr = support::serve(Cards::new(PcscBackend::start()), Default::default(), None).await;
    let mut c = Client::connect(addr).await;

    let card_present = |answer: &Value| {
        answer["result"]["readers"].as_array().is_some_and(|rs| {
            rs.iter()
                .any(|r| r["name"] == READER && r["atr"].is_string())
        })
    };
    list_readers_until(
        &mut c,
        "card never seen",
        Duration::from_secs(10),
        card_present,
    )
    .await;

    // pcscd goes away.
    assert!(
        Command::new("pkill")
            .args(["-x", "pcscd"])
            .status()
            .unwrap()
            .success()
    );
    wait_until("pcscd to stop", Duration::from_secs(10), || {
        !pcscd_running()
    });
    list_readers_until(
        &mut c,
        "never reported no-service",
        Duration::from_secs(10),
        |a| a["error"]["code"] == "no-service",
    )
    .await;
    let a = c.request("connect", json!({"reader": READER})).await;
    assert_eq!(a["error"]["code"], "no-service", "{a}");
    assert!(
        c.events.iter().any(|e| e["data"]["service"] == false),
        "no service:false event: {:?}",
        c.events
    );

    // pcscd comes back (daemonised, so it outlives this test like the one it replaced).
    assert!(Command::new("pcscd").status().unwrap().success());
    wait_until("pcscd to start", Duration::from_secs(10), pcscd_running);
    assert!(
        vpcd.wait_connected(Duration::from_secs(20)),
        "the vpcd adapter did not reconnect"
    );
    list_readers_until(
        &mut c,
        "the bridge did not recover",
        Duration::from_secs(20),
        card_present,
    )
    .await;
    let handle = c.open(READER).await;
    let status = c.request("pinStatus", json!({"handle": handle})).await;
    assert_eq!(
        status["result"],
        json!({"remaining": 3, "blocked": false}),
        "{status}"
    );
    assert!(c.events.iter().any(|e| e["data"]["service"] == true));
    vpcd.shutdown();
}
