//! The real `myna-demo serve` binary on a real SQLite file, and HTTP/1.1 to a service over a
//! socket (what the in-process `oneshot` harness cannot show: restarts, kills, other
//! processes writing the same file).

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use axum::http::header::HOST;
use http_body_util::BodyExt as _;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use axum::http::Method;
use myna_core::oqs::XmlMsg;
use serde_json::Value;

use super::{ORIGIN, activation, json_str, request};

/// `myna-demo serve` on `db` for the demo facility at [`ORIGIN`]; killed when dropped.
pub struct Service {
    child: Child,
    pub addr: SocketAddr,
}

impl Service {
    /// Starts the binary on a free loopback port and waits until it listens.
    pub fn start(db: &Path) -> Service {
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

    /// `SIGKILL`, and waits for the process to be gone.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// One request on its own connection: `(status, body)`.
    pub async fn send(&self, request: Request<Body>) -> (u16, Vec<u8>) {
        send_once(self.addr, request).await
    }

    /// Activates a terminal named `device` of the demo facility (it must be answered 201):
    /// its token.
    pub async fn activate(&self, device: &str) -> String {
        let body = Some(activation(device));
        let (status, body) = self
            .send(request(
                Method::POST,
                "/api/v1/terminals/activate",
                None,
                body,
            ))
            .await;
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
        json_str(&body, "token")
    }

    /// A challenge's nonce for `token` (it must be answered 201).
    pub async fn nonce(&self, token: &str) -> String {
        let (status, body) = self
            .send(request(
                Method::POST,
                "/api/v1/challenges",
                Some(token),
                None,
            ))
            .await;
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
        json_str(&body, "nonce")
    }

    /// `POST /api/v1/confirmations` with `body`: the status and the answer's `XmlMsg`.
    pub async fn confirm(&self, token: &str, body: Value) -> (u16, XmlMsg) {
        let request = request(
            Method::POST,
            "/api/v1/confirmations",
            Some(token),
            Some(body),
        );
        let (status, xml) = self.send(request).await;
        let msg = myna_core::oqs::parse(&xml)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&xml)));
        (status, msg)
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A keep-alive HTTP/1.1 connection.
pub struct Conn {
    addr: SocketAddr,
    send: SendRequest<Body>,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(std::io::Error::other)?;
        tokio::spawn(conn);
        Ok(Conn { addr, send })
    }

    /// `(status, body)`, or `None` when the connection broke before the whole answer came.
    pub async fn send(&mut self, mut request: Request<Body>) -> Option<(u16, Vec<u8>)> {
        request
            .headers_mut()
            .insert(HOST, self.addr.to_string().parse().unwrap());
        let response = self.send.send_request(request).await.ok()?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await.ok()?.to_bytes();
        Some((status, body.to_vec()))
    }
}

/// One request on its own HTTP/1.1 connection to `addr`: `(status, body)`.
pub async fn send_once(addr: SocketAddr, request: Request<Body>) -> (u16, Vec<u8>) {
    let mut conn = Conn::open(addr).await.unwrap();
    conn.send(request).await.expect("the whole answer")
}
