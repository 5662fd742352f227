//! The `myna-bridge` binary from outside, as an attacker or an unlucky clinic meets it
//! (issue 11): what reaches its output at `RUST_LOG=trace`, how it refuses a port already in
//! use and a plain-http origin, its caps on WebSockets and handles, its accept loop when out of
//! file descriptors, and its memory over thousands of sessions on `--simulate`.

mod support;

use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;
use support::{BIN, Bridge, Client, READER, open, refused, run_to_exit, session};

/// A nonce no other line of the log could contain by chance.
const NONCE: &str = "Zm9yLXRoZS1sb2ctdGVzdC1vbmx5LW5vdC1hLXJlYWwtbm9uY2UtMDEyMzQ1Njc4OQ";
/// Persona `default`'s PIN.
const PIN: &str = "1234";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `digits` occurs in `text` as a run of its own (not inside a longer number such as
/// a timestamp's fraction or a port).
fn occurs_alone(text: &str, digits: &str) -> bool {
    text.match_indices(digits).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + digits.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_digit()) && !after.is_some_and(|c| c.is_ascii_digit())
    })
}

/// Issue 11 item 2: with `RUST_LOG=trace`, tungstenite logged each received frame —
/// `"pin":"1234"` included, in clear and in hex.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_11_no_pin_reaches_any_log_at_trace() {
    let bridge = Bridge::simulate("trace");
    let auth = session(bridge.addr, NONCE, PIN).await;
    assert_eq!(auth["algorithm"], "RS256");
    // A wrong PIN and a malformed PIN frame go through the error paths too.
    let mut c = Client::connect(bridge.addr).await;
    let handle = c.open(READER).await;
    let frame = json!({"id": 7, "method": "authenticate",
        "params": {"handle": handle, "nonce": NONCE, "pin": 1234, "allowLastAttempt": false}})
    .to_string();
    let refused = c.send_raw(7, frame).await.unwrap_err();
    assert_eq!(refused["code"], "bad-request");
    c.close().await;
    let (stdout, stderr) = bridge.stop();
    let all = format!("{stdout}{stderr}");
    // The log is really at trace: the bridge's own trace/debug events and the libraries'
    // info events are there.
    assert!(all.contains("WebSocket connected"), "{all}");
    let frame_text = format!("\"pin\":\"{PIN}\"");
    for needle in [
        NONCE.to_string(),
        hex(NONCE.as_bytes()),
        frame_text.clone(),
        hex(frame_text.as_bytes()),
        hex(frame_text.as_bytes()).to_uppercase(),
        hex(PIN.as_bytes()),
        hex(PIN.as_bytes()).to_uppercase(),
        "\"pin\"".to_string(),
        "authenticate\",\"params".to_string(),
    ] {
        assert!(!all.contains(&needle), "{needle:?} is in the log:\n{all}");
    }
    assert!(!occurs_alone(&all, PIN), "the PIN is in the log:\n{all}");
}

/// Issue 11 item 8: a second bridge on a port in use said only "Address in use".
#[test]
fn issue_11_a_port_in_use_is_named_with_its_likely_cause() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let out = run_to_exit(
        Command::new(BIN)
            .args(["--listen", &addr.to_string(), "--config", "/dev/null"])
            .args(["--allow-origin", support::ORIGIN, "--simulate"]),
        Duration::from_secs(20),
    );
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    for words in [
        &format!("port {} is already in use", addr.port()),
        "another myna-bridge",
        "another user",
        "--listen",
    ] {
        assert!(stderr.contains(words), "{words:?} missing: {stderr}");
    }
}

/// Issue 11 item 5: `http://` origins of any host were accepted.
#[test]
fn issue_11_a_plain_http_origin_of_another_host_is_refused_at_start() {
    let stderr = refused(
        Command::new(BIN)
            .args(["--listen", "127.0.0.1:0", "--config", "/dev/null"])
            .args([
                "--allow-origin",
                "http://reception.clinic.example.jp",
                "--simulate",
            ]),
    );
    assert!(
        stderr.contains("\"http://reception.clinic.example.jp\"")
            && stderr.contains("plain http is accepted only for this computer")
            && stderr.contains("https"),
        "{stderr}"
    );
    // The same origin from the config file.
    let dir = std::env::temp_dir().join(format!("myna-bridge-http-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bridge.toml");
    std::fs::write(&file, "allow_origins = [\"http://192.168.1.20:8080\"]\n").unwrap();
    let stderr = refused(
        Command::new(BIN)
            .args(["--listen", "127.0.0.1:0", "--simulate", "--config"])
            .arg(&file),
    );
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(stderr.contains("http://192.168.1.20:8080"), "{stderr}");
    // The demo's loopback http origin still starts.
    let demo = Bridge::start_with(
        "",
        &["--simulate", "--allow-origin", "http://127.0.0.1:8787"],
        &[],
    );
    drop(demo);
    // The test rigs' named way around the rule exists only with a virtual card.
    let stderr = refused(
        Command::new(BIN)
            .args(["--listen", "127.0.0.1:0", "--config", "/dev/null"])
            .args(["--allow-insecure-http-origin", "http://reception.test:8080"]),
    );
    assert!(stderr.contains("only with --simulate"), "{stderr}");
    let rig = Bridge::start_with(
        "",
        &[
            "--simulate",
            "--allow-insecure-http-origin",
            "http://reception.test:8080",
        ],
        &[],
    );
    drop(rig);
}

/// Issue 11 item 4 (and issue 17, docs/security.md T12): 150 WebSockets from one allowed
/// origin were all open at once under a documented cap of 64.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_11_at_most_64_websockets_and_8_handles_each() {
    let bridge = Bridge::simulate("info");
    let mut open_sockets = Vec::new();
    let mut refusals = Vec::new();
    for _ in 0..150 {
        match open(bridge.addr).await {
            Ok(ws) => open_sockets.push(ws),
            Err(status) => refusals.push(status),
        }
    }
    assert_eq!(open_sockets.len(), 64);
    assert_eq!(refusals.len(), 86);
    assert!(refusals.iter().all(|s| *s == Some(503)), "{refusals:?}");
    // A slot frees when a socket closes.
    let mut first = open_sockets.remove(0);
    first.close(None).await.unwrap();
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(10);
    let again = loop {
        match open(bridge.addr).await {
            Ok(ws) => break ws,
            Err(status) => {
                assert_eq!(status, Some(503));
                assert!(Instant::now() < deadline, "the slot never came back");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    assert_eq!(open(bridge.addr).await.err(), Some(Some(503)));
    drop(again);
    drop(open_sockets);
    // Handles: 8 per connection, the 9th refused with a code; one freed, one more.
    let mut c = loop {
        if let Ok(ws) = open(bridge.addr).await {
            break Client::from_ws(ws);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut handles = Vec::new();
    for _ in 0..8 {
        handles.push(c.call("connect", json!({"reader": READER})).await.unwrap()["handle"].clone());
    }
    let e = c
        .call("connect", json!({"reader": READER}))
        .await
        .unwrap_err();
    assert_eq!(e["code"], "too-many-handles");
    c.call("disconnect", json!({"handle": handles[0]}))
        .await
        .unwrap();
    c.call("connect", json!({"reader": READER})).await.unwrap();
}

/// Issue 11 item 4: the accept loop retried a failing `accept` (EMFILE) at once, forever —
/// a core spinning and a warning per try.
#[test]
fn issue_11_the_accept_loop_backs_off_when_out_of_file_descriptors() {
    let bridge = Bridge::start_with("ulimit -n 40;", &["--simulate"], &[("RUST_LOG", "info")]);
    // Idle TCP connections: hyper holds each for up to 10 s waiting for a request head, and
    // the descriptors run out; the rest wait in the kernel's backlog.
    let held: Vec<TcpStream> = (0..60)
        .map(|_| TcpStream::connect(bridge.addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let failures = |b: &Bridge| b.output().1.matches("accept failed").count();
    let (cpu0, failed0) = (bridge.cpu_time(), failures(&bridge));
    assert!(failed0 > 0, "the bridge never ran out of descriptors");
    std::thread::sleep(Duration::from_secs(2));
    let (cpu1, failed1) = (bridge.cpu_time(), failures(&bridge));
    assert!(
        failed1 - failed0 <= 20,
        "{} failed accepts in 2 s: the loop spins",
        failed1 - failed0
    );
    assert!(
        cpu1 - cpu0 < Duration::from_millis(500),
        "{:?} of CPU in 2 s: the loop spins",
        cpu1 - cpu0
    );
    // Once descriptors are free again, the bridge serves.
    drop(held);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let mut s = TcpStream::connect(bridge.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        use std::io::{Read, Write};
        let _ = s.write_all(
            format!(
                "GET /health HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
                bridge.addr
            )
            .as_bytes(),
        );
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        if answer.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the bridge did not recover: {answer:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Issue 11 item 7: on `--simulate` the bridge grew ~1.8 KiB per connect–authenticate–
/// disconnect session, for ever (the virtual card kept every APDU). Growth from N to 2N
/// sessions must be a small fraction of the memory after N — linear growth of the old kind
/// added 14.5 % here (17,396 → 19,916 KiB).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_11_memory_stays_bounded_over_thousands_of_sessions() {
    const N: usize = 1500;
    let bridge = Bridge::simulate("info");
    let nonce = "bWVtb3J5LXRlc3Qtbm9uY2UtMDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ub3A";
    // Warm up: allocator arenas, the runtime's pools, the card's caches.
    for _ in 0..200 {
        session(bridge.addr, nonce, PIN).await;
    }
    for _ in 0..N {
        session(bridge.addr, nonce, PIN).await;
    }
    let after_n = bridge.rss_kib();
    for _ in 0..N {
        session(bridge.addr, nonce, PIN).await;
    }
    let after_2n = bridge.rss_kib();
    let ratio = after_2n as f64 / after_n as f64;
    eprintln!(
        "RSS after {N} sessions: {after_n} KiB; after {}: {after_2n} KiB; ratio {ratio:.3}",
        2 * N
    );
    assert!(
        ratio < 1.05,
        "RSS grew from {after_n} to {after_2n} KiB over {N} sessions"
    );
}
