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

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use myna_bridge::cards::Cards;
use myna_bridge::gate::Gate;
use myna_bridge::pcsc_backend::PcscBackend;
use myna_bridge::personas::Personas;
use myna_bridge::server::{self, AppState};
use myna_virtual_card::vpcd::spawn_vpcd;
use myna_virtual_card::{SharedCard, VirtualCard};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const ORIGIN: &str = "http://localhost:8080";
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

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Sends a request; returns its answer and any events that came first.
async fn call(ws: &mut Ws, id: u64, method: &str, params: Value, events: &mut Vec<Value>) -> Value {
    let frame = json!({"id": id, "method": method, "params": params}).to_string();
    ws.send(Message::Text(frame.into())).await.unwrap();
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .expect("no hang")
            .unwrap()
            .unwrap();
        let Message::Text(t) = msg else { continue };
        let v: Value = serde_json::from_str(&t).unwrap();
        if v.get("event").is_some() {
            events.push(v);
        } else {
            return v;
        }
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

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = Arc::new(AppState {
        timeouts: Default::default(),
        gate: Gate::new(addr.port(), [ORIGIN.to_string()]),
        cards: Cards::new(PcscBackend::start()),
        simulator: None,
        sockets: Default::default(),
    });
    tokio::spawn(server::serve(listener, state, std::future::pending()));
    let mut request = format!("ws://{addr}/v1").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Origin", ORIGIN.parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let mut events = Vec::new();
    let mut id = 0;
    let mut next = || {
        id += 1;
        id
    };

    let card_present = |answer: &Value| {
        answer["result"]["readers"].as_array().is_some_and(|rs| {
            rs.iter()
                .any(|r| r["name"] == READER && r["atr"].is_string())
        })
    };
    let start = Instant::now();
    loop {
        let a = call(&mut ws, next(), "listReaders", json!({}), &mut events).await;
        if card_present(&a) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "card never seen: {a}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

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
    let start = Instant::now();
    loop {
        let a = call(&mut ws, next(), "listReaders", json!({}), &mut events).await;
        if a["error"]["code"] == "no-service" {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "never reported no-service: {a}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let a = call(
        &mut ws,
        next(),
        "connect",
        json!({"reader": READER}),
        &mut events,
    )
    .await;
    assert_eq!(a["error"]["code"], "no-service", "{a}");
    assert!(
        events.iter().any(|e| e["data"]["service"] == false),
        "no service:false event: {events:?}"
    );

    // pcscd comes back (daemonised, so it outlives this test like the one it replaced).
    assert!(Command::new("pcscd").status().unwrap().success());
    wait_until("pcscd to start", Duration::from_secs(10), pcscd_running);
    assert!(
        vpcd.wait_connected(Duration::from_secs(20)),
        "the vpcd adapter did not reconnect"
    );
    let start = Instant::now();
    loop {
        let a = call(&mut ws, next(), "listReaders", json!({}), &mut events).await;
        if card_present(&a) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the bridge did not recover: {a}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let handle = call(
        &mut ws,
        next(),
        "connect",
        json!({"reader": READER}),
        &mut events,
    )
    .await;
    let handle = handle["result"]["handle"]
        .as_u64()
        .unwrap_or_else(|| panic!("{handle}"));
    let status = call(
        &mut ws,
        next(),
        "pinStatus",
        json!({"handle": handle}),
        &mut events,
    )
    .await;
    assert_eq!(
        status["result"],
        json!({"remaining": 3, "blocked": false}),
        "{status}"
    );
    assert!(events.iter().any(|e| e["data"]["service"] == true));
    vpcd.shutdown();
}
