//! `myna-demo crl load` against the database of a running `myna-demo serve` (the real
//! binaries, a real SQLite file, the real clock): the service uses the new CRL from its next
//! confirmation, without a restart; forged and stale CRLs are refused by the command and
//! change nothing.

mod support;

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use support::pki::{Ca, forged, serial_of};
use support::{Card, ORIGIN};
use time::OffsetDateTime;
use tokio::net::TcpStream;

struct Service {
    child: Child,
    addr: SocketAddr,
}

impl Service {
    fn start(db: &Path) -> Service {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let child = Command::new(env!("CARGO_BIN_EXE_myna-demo"))
            .args(["serve", "--listen", &addr.to_string(), "--db"])
            .arg(db)
            .args(["--facility-origin", ORIGIN])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting myna-demo");
        let mut service = Service { child, addr };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(
                service.child.try_wait().unwrap().is_none(),
                "myna-demo exited at start"
            );
            assert!(Instant::now() < deadline, "myna-demo did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        service
    }

    /// One request on its own connection: `(status, body)`.
    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Vec<u8>) {
        let stream = TcpStream::connect(self.addr).await.unwrap();
        let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(conn);
        let mut request = hyper::Request::post(path)
            .header("host", "127.0.0.1")
            .header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let response = send
            .send_request(
                request
                    .body(Full::new(Bytes::from(body.to_string())))
                    .unwrap(),
            )
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, body.to_vec())
    }

    /// A PIN confirmation by `card`: the status and the `ErrorCode` (empty on success).
    async fn confirm(&self, token: &str, card: &Card) -> (u16, String) {
        let (_, body) = self
            .post("/api/v1/challenges", Some(token), json!({}))
            .await;
        let nonce = serde_json::from_slice::<Value>(&body).unwrap()["nonce"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, body) = self
            .post(
                "/api/v1/confirmations",
                Some(token),
                json!({"mode": "pin", "certificate": card.certificate_b64(),
                       "signature": card.sign(ORIGIN, &nonce), "nonce": nonce, "origin": ORIGIN}),
            )
            .await;
        let msg = myna_core::oqs::parse(&body).unwrap();
        (
            status,
            msg.message_header.error_code.clone().unwrap_or_default(),
        )
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn crl_command(db: &Path, args: &[&str], file: Option<&Path>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_myna-demo"));
    command.arg("crl").args(args).arg("--db").arg(db);
    if let Some(file) = file {
        command.arg(file);
    }
    command.output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crl_load_replaces_the_crl_of_a_running_service() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite3");
    let service = Service::start(&db);
    let (status, body) = service
        .post(
            "/api/v1/terminals/activate",
            None,
            json!({"facilityCode": "1399999999", "userId": "W0000001",
                   "activationCode": "DEMO0001", "deviceName": "受付"}),
        )
        .await;
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let token = serde_json::from_slice::<Value>(&body).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let card = Card::load("default");
    assert_eq!(service.confirm(&token, &card).await, (200, String::new()));

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
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("signature does not verify"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not current"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(service.confirm(&token, &card).await, (200, String::new()));

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
        service.confirm(&token, &card).await,
        (401, "MW0009".to_owned())
    );
    let list = crl_command(&db, &["list"], None);
    assert!(list.status.success());
    let listed = String::from_utf8_lossy(&list.stdout);
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(listed.contains("1 entries"), "{listed}");
}
