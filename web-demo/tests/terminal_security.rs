//! Issue 11 item 8, the eligibility service's side: wrong activation codes are limited per
//! facility/user ID and per client (and the limit survives a restart), only the facility's
//! administration may revoke a terminal, and terminal tokens end and renew.
//!
//! Through the router (`app()` + `oneshot`, a manual clock) and over a real socket against
//! the `myna-demo serve` binary on a real SQLite file.

mod support;

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration as StdDuration, Instant};

use axum::extract::ConnectInfo;
use axum::http::{Method, StatusCode};
use myna_demo::store::activation_limits::{CLIENT_LIMIT, COOLING, FACILITY_LIMIT};
use myna_demo::store::terminals::TOKEN_LIFETIME;
use serde_json::{Value, json};
use support::{Harness, Reply, count, request};
use time::Duration;

fn activation(code: &str, user: &str, activation_code: &str) -> Value {
    json!({"facilityCode": code, "userId": user, "activationCode": activation_code,
           "deviceName": "受付"})
}

/// The demo facility's activation with the right code.
fn right_code() -> Value {
    activation("1399999999", "W0000001", "DEMO0001")
}

/// The demo facility's activation with a wrong code.
fn wrong_code() -> Value {
    activation("1399999999", "W0000001", "WRONG999")
}

/// An activation request from `client`.
async fn activate_from(h: &Harness, client: &str, body: Value) -> Reply {
    let mut request = request(Method::POST, "/api/v1/terminals/activate", None, Some(body));
    let addr: SocketAddr = format!("{client}:40000").parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(addr));
    h.send(request).await
}

/// 500 wrong codes in 0.2 s were all answered 401, and the right code worked after them.
#[tokio::test]
async fn issue_11_wrong_activation_codes_lock_the_facility_even_for_the_right_code() {
    let h = Harness::new().await;
    for i in 0..FACILITY_LIMIT {
        activate_from(&h, &format!("192.0.2.{i}"), wrong_code())
            .await
            .assert_error(401, "MW0020");
    }
    // Locked: a wrong code and the right one alike, from any client.
    let r = activate_from(&h, "198.51.100.7", wrong_code()).await;
    r.assert_error(429, "MW0030");
    let r = activate_from(&h, "198.51.100.7", right_code()).await;
    r.assert_error(429, "MW0030");
    let retry: i64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= COOLING.whole_seconds(), "{retry}");
    // No terminal was made while locked.
    assert_eq!(count(&h.db, "SELECT count(*) FROM terminals"), 0);
    // After the cooling period the right code works, and clears the count.
    h.clock.advance(COOLING + Duration::seconds(1));
    h.activate("受付1").await;
}

#[tokio::test]
async fn issue_11_one_client_guessing_across_facilities_is_locked() {
    let h = Harness::new().await;
    for i in 0..CLIENT_LIMIT {
        // A different facility/user ID each time: only the client scope counts them all.
        activate_from(
            &h,
            "203.0.113.9",
            activation("1399999999", &format!("X{i:07}"), "WRONG999"),
        )
        .await
        .assert_error(401, "MW0020");
    }
    activate_from(&h, "203.0.113.9", right_code())
        .await
        .assert_error(429, "MW0030");
    // Another client is not locked.
    let r = activate_from(&h, "203.0.113.10", right_code()).await;
    assert_eq!(r.status, StatusCode::CREATED);
}

/// A terminal could revoke any sibling terminal of its facility.
#[tokio::test]
async fn issue_11_only_the_facility_administration_revokes_terminals() {
    let h = Harness::new().await;
    let (id1, token1) = h.activate("受付1").await;
    let (id2, token2) = h.activate("受付2").await;
    let path = format!("/api/v1/terminals/{id2}");
    // A sibling's token: refused with a code, and terminal 2 goes on working.
    h.delete(&path, &token1).await.assert_error(403, "MW0031");
    assert_eq!(
        h.call(Method::POST, "/api/v1/challenges", Some(&token2), None)
            .await
            .status,
        StatusCode::CREATED
    );
    // The administration's token (issued on the command line) revokes it.
    let admin = h
        .db
        .call_blocking(|c| myna_demo::store::admin_tokens::issue(c, "1399999999", support::START))
        .unwrap();
    let r = h.delete(&path, &admin).await;
    r.assert_status(StatusCode::OK);
    h.call(Method::POST, "/api/v1/challenges", Some(&token2), None)
        .await
        .assert_error(401, "MW0011");
    // An administrator token is no terminal token.
    h.call(Method::POST, "/api/v1/challenges", Some(&admin), None)
        .await
        .assert_error(401, "MW0002");
    // Nor does an unknown token revoke anything.
    h.delete(&format!("/api/v1/terminals/{id1}"), "nobody")
        .await
        .assert_error(401, "MW0002");
}

/// Tokens lived for ever.
#[tokio::test]
async fn issue_11_tokens_expire_and_renew() {
    let h = Harness::new().await;
    let (id, token) = h.activate("受付1").await;
    // Renewed before the end: a new token, the old one gone at once.
    h.clock.advance(TOKEN_LIFETIME - Duration::hours(1));
    let r = h
        .call(Method::POST, "/api/v1/terminals/token", Some(&token), None)
        .await;
    r.assert_status(StatusCode::CREATED);
    let renewed = r.json();
    assert_eq!(renewed["terminalId"], id.as_str());
    let new_token = renewed["token"].as_str().unwrap().to_owned();
    assert_ne!(new_token, token);
    assert!(renewed["expiresAt"].as_str().is_some());
    h.call(Method::POST, "/api/v1/challenges", Some(&token), None)
        .await
        .assert_error(401, "MW0002");
    // The new token outlives the old one's end …
    h.clock.advance(Duration::hours(2));
    assert_eq!(
        h.call(Method::POST, "/api/v1/challenges", Some(&new_token), None)
            .await
            .status,
        StatusCode::CREATED
    );
    // … until its own: 401 with a code of its own and a Bearer challenge; no renewal then.
    h.clock.advance(TOKEN_LIFETIME);
    let r = h
        .call(Method::POST, "/api/v1/challenges", Some(&new_token), None)
        .await;
    r.assert_error(401, "MW0032");
    assert!(
        r.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    h.call(
        Method::POST,
        "/api/v1/terminals/token",
        Some(&new_token),
        None,
    )
    .await
    .assert_error(401, "MW0032");
    // Activating again works.
    h.activate("受付1").await;
}

// ------------------------------------------------------------ the binary, a real socket

struct Served {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(db: &std::path::Path) -> Served {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_myna-demo"))
        .args(["serve", "--listen", &addr.to_string(), "--db"])
        .arg(db)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + StdDuration::from_secs(30);
    while TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "myna-demo did not start");
        std::thread::sleep(StdDuration::from_millis(50));
    }
    Served { child, addr }
}

/// One request on its own connection: (status, body).
fn post(addr: SocketAddr, path: &str, body: &Value) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    let body = body.to_string();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let status = answer[9..12].parse().unwrap();
    (status, answer)
}

#[test]
fn issue_11_the_activation_lock_holds_over_a_socket_and_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite3");
    let served = serve(&db);
    let wrong = wrong_code();
    let right = right_code();
    let started = Instant::now();
    let mut statuses = Vec::new();
    for _ in 0..50 {
        statuses.push(post(served.addr, "/api/v1/terminals/activate", &wrong).0);
    }
    eprintln!("50 wrong codes answered in {:?}", started.elapsed());
    assert_eq!(
        statuses[..FACILITY_LIMIT as usize],
        [401; FACILITY_LIMIT as usize]
    );
    assert!(
        statuses[FACILITY_LIMIT as usize..]
            .iter()
            .all(|s| *s == 429),
        "{statuses:?}"
    );
    let (status, answer) = post(served.addr, "/api/v1/terminals/activate", &right);
    assert_eq!(status, 429, "{answer}");
    assert!(answer.contains("MW0030") && answer.to_ascii_lowercase().contains("retry-after"));
    // A restart on the same file: still locked.
    drop(served);
    let served = serve(&db);
    let (status, answer) = post(served.addr, "/api/v1/terminals/activate", &right);
    assert_eq!(status, 429, "{answer}");
    // The administrator lifts it on the command line; the right code works again.
    let out = Command::new(env!("CARGO_BIN_EXE_myna-demo"))
        .args(["unlock-activation", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    // The client scope (127.0.0.1) counted the failures before the lock too.
    let out = Command::new(env!("CARGO_BIN_EXE_myna-demo"))
        .args(["unlock-activation", "--client", "127.0.0.1", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "unlocked");
    let (status, answer) = post(served.addr, "/api/v1/terminals/activate", &right);
    assert_eq!(status, 201, "{answer}");
    // An administrator token from the command line revokes the terminal over the socket.
    let terminal: Value =
        serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap().trim()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_myna-demo"))
        .args(["admin-token", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let admin = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(admin.starts_with("adm_"), "{admin}");
    let mut s = TcpStream::connect(served.addr).unwrap();
    write!(
        s,
        "DELETE /api/v1/terminals/{} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {admin}\r\n\
         Connection: close\r\n\r\n",
        terminal["terminalId"].as_str().unwrap(),
        served.addr
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}
