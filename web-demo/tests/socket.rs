//! The service over a real socket on a real SQLite file: restarts keep data, concurrent
//! confirmations are all answered and all audited.

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::http::{Method, StatusCode};
use myna_demo::clock::ManualClock;
use myna_demo::{AppState, app, open_database};
use serde_json::Value;
use support::service::send_once;
use support::{
    Card, ORIGIN, START, activation, count, json_str, persona_seed, request, test_anchors,
};
use tokio::sync::oneshot;

struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    async fn start(db_path: &std::path::Path) -> Self {
        let db = open_database(db_path, &[ORIGIN.to_owned()], &persona_seed(), START).unwrap();
        let clock = Arc::new(ManualClock::new(START));
        let state = AppState::new(db, clock, test_anchors()).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app(state))
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        Server {
            addr,
            stop: Some(stop),
            task,
        }
    }

    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.task.await.unwrap();
    }

    /// One HTTP/1.1 request on its own connection.
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Vec<u8>) {
        send_once(self.addr, request(method, path, token, body)).await
    }

    async fn confirm(&self, token: &str, body: Value) -> (u16, Vec<u8>) {
        self.call(
            Method::POST,
            "/api/v1/confirmations",
            Some(token),
            Some(body),
        )
        .await
    }

    async fn activate(&self, device: &str) -> String {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/terminals/activate",
                None,
                Some(activation(device)),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        json_str(&body, "token")
    }

    async fn confirm_body(&self, token: &str, card: &Card) -> Value {
        let (status, body) = self
            .call(Method::POST, "/api/v1/challenges", Some(token), None)
            .await;
        assert_eq!(status, StatusCode::CREATED);
        card.pin_confirmation(&json_str(&body, "nonce"))
    }

    async fn audit(&self, token: &str) -> Vec<Value> {
        let (status, body) = self
            .call(Method::GET, "/api/v1/audit?limit=1000", Some(token), None)
            .await;
        assert_eq!(status, StatusCode::OK);
        serde_json::from_slice::<Value>(&body).unwrap()["records"]
            .as_array()
            .unwrap()
            .clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restart_keeps_terminals_nonces_and_the_audit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.sqlite3");
    let card = Card::load("default");

    let server = Server::start(&path).await;
    let token = server.activate("受付").await;
    let body = server.confirm_body(&token, &card).await;
    let (status, xml) = server.confirm(&token, body.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let msg = myna_core::oqs::parse(&xml).unwrap();
    assert_eq!(msg.results()[0].name.as_deref(), Some("山田　太郎"));
    server.stop().await;

    // Same file, new process state: not re-seeded, everything still there.
    let server = Server::start(&path).await;
    let records = count(
        &myna_demo::db::Db::open(&path).unwrap().0,
        "SELECT count(*) FROM insured_records",
    );
    assert_eq!(
        records as usize,
        persona_seed().records.len(),
        "seeded once, not twice"
    );
    let audit = server.audit(&token).await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["qualificationValidity"], "1");
    // The nonce used before the restart stays used.
    let (status, xml) = server.confirm(&token, body).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        myna_core::oqs::parse(&xml)
            .unwrap()
            .message_header
            .error_code
            .as_deref(),
        Some("MW0013")
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_confirmations_are_all_answered_and_audited() {
    const N: usize = 50;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.sqlite3");
    let server = Arc::new(Server::start(&path).await);
    let token = server.activate("受付").await;
    let names = [
        "default",
        "kokuho",
        "kouki",
        "elderly-70",
        "child",
        "limit",
        "lost",
        "unlinked",
    ];

    // Challenges and signatures first, so the timed part is the service's own work.
    let mut bodies = Vec::new();
    for i in 0..N {
        let card = Card::load(names[i % names.len()]);
        bodies.push((card.name.clone(), server.confirm_body(&token, &card).await));
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (name, body) in bodies {
        let server = server.clone();
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            let (status, xml) = server.confirm(&token, body).await;
            (name, status, xml)
        }));
    }
    for task in tasks {
        let (name, status, xml) = task.await.unwrap();
        assert_eq!(
            status,
            StatusCode::OK,
            "{name}: {}",
            String::from_utf8_lossy(&xml)
        );
        let msg = myna_core::oqs::parse(&xml).unwrap();
        let expected = match name.as_str() {
            "lost" => "2",
            "unlinked" => "4",
            _ => "1",
        };
        assert_eq!(
            msg.message_body
                .qualification_validity
                .as_ref()
                .unwrap()
                .raw(),
            expected
        );
    }
    let elapsed = started.elapsed();
    eprintln!("{N} concurrent confirmations over a socket (debug build): {elapsed:?}");

    let audit = server.audit(&token).await;
    assert_eq!(audit.len(), N, "one audit row per confirmation, none lost");
    let mut ids: Vec<i64> = audit.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    ids.dedup();
    assert_eq!(ids.len(), N);
    Arc::try_unwrap(server).ok().unwrap().stop().await;
}
