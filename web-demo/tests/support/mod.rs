//! Shared test harness: a seeded database in a temp dir, a manual clock, the router driven
//! with `oneshot`, and the personas' certificates and keys to sign with (what the card does).
#![allow(dead_code)]

pub mod pki;
pub mod service;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http_body_util::BodyExt as _;
use myna_core::oqs::{self, XmlMsg};
use myna_demo::clock::ManualClock;
use myna_demo::db::Db;
use myna_demo::seed::SeedData;
use myna_demo::{AppState, TrustAnchors, app, open_database};
use rsa::RsaPrivateKey;
use rsa::signature::{SignatureEncoding as _, Signer as _};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::datetime;
use tower::ServiceExt as _;

/// The demo facility's registered origin in these tests.
pub const ORIGIN: &str = "https://reception.example";
/// A time when every persona certificate except `expired-cert` is valid.
pub const START: OffsetDateTime = datetime!(2026-06-01 00:00 UTC);

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/personas")
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// A persona's card: its auth certificate and key.
pub struct Card {
    pub name: String,
    pub certificate: Vec<u8>,
    pub key: RsaPrivateKey,
}

impl Card {
    pub fn load(name: &str) -> Self {
        let personas = myna_personas::Personas::embedded();
        let persona = personas
            .get(name)
            .unwrap_or_else(|| panic!("no persona {name}"));
        Card {
            name: name.to_owned(),
            certificate: persona.auth_cert_der.clone(),
            key: persona.auth_key.clone(),
        }
    }

    /// What the card returns for `authenticate`: RSASSA-PKCS1-v1_5 SHA-256 over core's
    /// auth message.
    pub fn sign(&self, origin: &str, nonce: &str) -> String {
        let message = myna_core::auth::auth_message(origin, nonce);
        let key = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(self.key.clone());
        STANDARD.encode(key.sign(&message).to_bytes())
    }

    pub fn certificate_b64(&self) -> String {
        STANDARD.encode(&self.certificate)
    }

    /// A PIN-mode confirmation body for `nonce`: this card's certificate and its signature
    /// for [`ORIGIN`].
    pub fn pin_confirmation(&self, nonce: &str) -> Value {
        json!({"mode": "pin", "certificate": self.certificate_b64(),
               "signature": self.sign(ORIGIN, nonce), "nonce": nonce, "origin": ORIGIN})
    }
}

/// A request as a terminal sends it: the bearer `token` and a JSON `body` when given.
pub fn request(
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    let body = match body {
        Some(v) => {
            builder = builder.header("content-type", "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    builder.body(body).unwrap()
}

/// Asserts that `msg` answers for the demo facility, confirmed on `date` (`YYYYMMDD`).
#[track_caller]
pub fn assert_demo_facility_on(msg: &XmlMsg, date: &str) {
    let header = &msg.message_header;
    assert_eq!(
        header.medical_institution_code.as_deref(),
        Some("1399999999")
    );
    assert_eq!(
        header.qualification_confirmation_date.as_deref(),
        Some(date)
    );
}

/// A database file `old.sqlite3` in `dir` as an older build left it: `migrations` (the SQL
/// of that build's migrations, in order) applied and `PRAGMA user_version` set to their
/// count.
pub fn old_database(dir: &Path, migrations: &[&str]) -> PathBuf {
    let path = dir.join("old.sqlite3");
    let conn = rusqlite::Connection::open(&path).unwrap();
    for sql in migrations {
        conn.execute_batch(sql).unwrap();
    }
    conn.pragma_update(None, "user_version", migrations.len() as i64)
        .unwrap();
    path
}

/// The single number a `SELECT count(*) …` gives on `db`.
#[track_caller]
pub fn count(db: &Db, sql: &str) -> i64 {
    db.call_blocking(|c| c.query_row(sql, [], |r| r.get(0)))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The demo facility's activation body for a device called `device`.
pub fn activation(device: &str) -> Value {
    json!({"facilityCode": "1399999999", "userId": "W0000001",
           "activationCode": "DEMO0001", "deviceName": device})
}

/// The string `field` of a JSON answer.
#[track_caller]
pub fn json_str(body: &[u8], field: &str) -> String {
    let v: Value = serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(body)));
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("no {field}: {v}"))
        .to_owned()
}

/// The persona set's insured records and CRL, as `myna-demo serve` seeds them.
pub fn persona_seed() -> SeedData {
    myna_demo::personas::seed_data(&myna_personas::Personas::embedded()).unwrap()
}

pub fn test_anchors() -> TrustAnchors {
    let root = read("ca/root.crt.der");
    TrustAnchors::from_der([root.as_slice()]).unwrap()
}

/// Both root generations (what `myna-demo serve` trusts by default).
pub fn both_roots() -> TrustAnchors {
    myna_demo::personas::trust_anchors(&myna_personas::Personas::embedded()).unwrap()
}

pub fn old_root_only() -> TrustAnchors {
    let old = read("ca/root-old.crt.der");
    TrustAnchors::from_der([old.as_slice()]).unwrap()
}

pub struct Harness {
    pub dir: tempfile::TempDir,
    pub db_path: PathBuf,
    pub db: Db,
    pub clock: Arc<ManualClock>,
    pub state: AppState,
    pub router: Router,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn xml(&self) -> XmlMsg {
        myna_core::oqs::parse(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }

    /// Asserts the answer's `status`, with the body in the message.
    #[track_caller]
    pub fn assert_status(&self, status: StatusCode) {
        assert_eq!(
            self.status,
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
    }

    /// Asserts a 200 answer with `SegmentOfResult` 1 (the records found).
    #[track_caller]
    pub fn assert_status_ok(&self) -> XmlMsg {
        assert_eq!(
            self.status.as_u16(),
            200,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        let msg = self.xml();
        assert_eq!(
            msg.message_header
                .segment_of_result
                .as_ref()
                .map(|c| c.raw()),
            Some("1")
        );
        msg
    }

    /// Asserts an `XmlMsg` error answer with `code` and `status`.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) -> XmlMsg {
        assert_eq!(
            self.status.as_u16(),
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        assert!(
            self.content_type().starts_with("application/xml"),
            "{}",
            self.content_type()
        );
        let msg = self.xml();
        let h = &msg.message_header;
        assert_eq!(h.segment_of_result.as_ref().map(|c| c.raw()), Some("9"));
        assert_eq!(h.error_code.as_deref(), Some(code));
        assert!(h.error_message.as_deref().is_some_and(|m| !m.is_empty()));
        msg
    }
}

impl Harness {
    pub async fn new() -> Self {
        Self::with(test_anchors(), &[ORIGIN]).await
    }

    pub async fn with(anchors: TrustAnchors, origins: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db_path = dir.path().join("demo.sqlite3");
        let origins: Vec<String> = origins.iter().map(|o| o.to_string()).collect();
        let db = open_database(&db_path, &origins, &persona_seed(), START).unwrap();
        Self::over(dir, db_path, db, anchors).await
    }

    pub async fn over(
        dir: tempfile::TempDir,
        db_path: PathBuf,
        db: Db,
        anchors: TrustAnchors,
    ) -> Self {
        let clock = Arc::new(ManualClock::new(START));
        let state = AppState::new(db.clone(), clock.clone(), anchors)
            .await
            .unwrap();
        let router = app(state.clone());
        Harness {
            dir,
            db_path,
            db,
            clock,
            state,
            router,
        }
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        self.send(request(method, path, token, body)).await
    }

    /// `GET path` as the terminal holding `token`.
    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call(Method::GET, path, Some(token), None).await
    }

    /// `POST path` with a JSON `body` as the terminal holding `token`.
    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    /// `PUT path` with a JSON `body` as the terminal holding `token`.
    pub async fn put(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    /// `DELETE path` as the terminal holding `token`.
    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    /// A harness with one terminal activated as `受付`, and that terminal's token.
    pub async fn with_terminal() -> (Self, String) {
        Self::with_terminal_trusting(test_anchors()).await
    }

    /// [`Harness::with_terminal`] and the `default` persona's card: the opening of the PIN
    /// tests.
    pub async fn with_terminal_and_card() -> (Self, String, Card) {
        let (h, token) = Self::with_terminal().await;
        (h, token, Card::load("default"))
    }

    /// A harness trusting `anchors` (origins: [`ORIGIN`]) and the token of a terminal
    /// activated on it.
    pub async fn with_terminal_trusting(anchors: TrustAnchors) -> (Self, String) {
        let h = Self::with(anchors, &[ORIGIN]).await;
        let (_, token) = h.activate("受付").await;
        (h, token)
    }

    /// `POST /api/v1/terminals/activate` with `body`, unchecked.
    pub async fn try_activate(&self, body: Value) -> Reply {
        self.call(Method::POST, "/api/v1/terminals/activate", None, Some(body))
            .await
    }

    pub async fn activate(&self, device: &str) -> (String, String) {
        let r = self.try_activate(activation(device)).await;
        r.assert_status(StatusCode::CREATED);
        (json_str(&r.body, "terminalId"), json_str(&r.body, "token"))
    }

    pub async fn nonce(&self, token: &str) -> String {
        let r = self
            .call(Method::POST, "/api/v1/challenges", Some(token), None)
            .await;
        r.assert_status(StatusCode::CREATED);
        json_str(&r.body, "nonce")
    }

    /// A PIN-mode body over a fresh nonce, signed by `card` for `ORIGIN`.
    pub async fn pin_body(&self, token: &str, card: &Card) -> Value {
        card.pin_confirmation(&self.nonce(token).await)
    }

    /// A PIN-mode confirmation with a fresh nonce, signed by `card` for `ORIGIN`.
    pub async fn confirm_pin(&self, token: &str, card: &Card) -> Reply {
        let body = self.pin_body(token, card).await;
        self.confirm(token, body).await
    }

    /// [`Self::confirm_pin`], which the service must refuse with `status` and `code`.
    pub async fn refuses_pin(&self, token: &str, card: &Card, status: u16, code: &str) {
        self.confirm_pin(token, card)
            .await
            .assert_error(status, code);
    }

    pub async fn confirm(&self, token: &str, body: Value) -> Reply {
        self.post("/api/v1/confirmations", token, body).await
    }

    /// A search by the insured's numbers (`SearchRequest`).
    pub async fn search(&self, token: &str, body: Value) -> Reply {
        self.post("/api/v1/searches", token, body).await
    }

    pub async fn audit(&self, token: &str) -> Vec<Value> {
        let r = self.get("/api/v1/audit?limit=1000", token).await;
        r.assert_status(StatusCode::OK);
        r.json()["records"].as_array().unwrap().clone()
    }
}

/// 山田太郎's answer (協会けんぽ東京, 2026-06-01), as the official app would have shown it: the
/// result the copy-text tests paste.
pub fn taro() -> oqs::XmlMsg {
    let r = oqs::InsuredRecord {
        qualification_validity: "1".into(),
        insured_card_classification: "01".into(),
        insurer_number: "01130012".into(),
        insurer_name: "全国健康保険協会東京支部".into(),
        insured_card_symbol: "12-34".into(),
        insured_identification_number: "567".into(),
        insured_branch_number: "00".into(),
        personal_family_classification: "1".into(),
        name: "山田\u{3000}太郎".into(),
        sex1: "1".into(),
        birthdate: "19850401".into(),
        ..Default::default()
    }
    .result();
    let mut msg = oqs::XmlMsg::normal(
        &oqs::ResponseContext {
            process_execution_time: "20260601090000".into(),
            qualification_confirmation_date: "20260601".into(),
            medical_institution_code: "1399999999".into(),
            arbitrary_file_identifier: None,
            reference_classification: oqs::ReferenceClassification::Card,
        },
        oqs::QualificationValidity::Valid,
        vec![r],
    );
    msg.message_header.process_execution_time = None;
    msg
}
