//! The eligibility API through `app()` and `oneshot`, on a real SQLite file.

mod support;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use myna_core::oqs::XmlMsg;
use serde_json::json;
use support::{Card, Harness, ORIGIN, activation, assert_demo_facility_on, count};
use time::Duration;
use time::macros::datetime;

/// `body` with its `signature` replaced.
fn with_signature(
    mut body: serde_json::Value,
    signature: impl Into<serde_json::Value>,
) -> serde_json::Value {
    body["signature"] = signature.into();
    body
}

/// `card`'s PIN confirmation of `nonce`, signed by another card's key (`kokuho`).
fn signed_by_another_card(card: &Card, nonce: &str) -> serde_json::Value {
    with_signature(
        card.pin_confirmation(nonce),
        Card::load("kokuho").sign(ORIGIN, nonce),
    )
}

fn validity(msg: &XmlMsg) -> &str {
    msg.message_body
        .qualification_validity
        .as_ref()
        .unwrap()
        .raw()
}

// ---------------------------------------------------------------- terminals

#[tokio::test]
async fn activation_returns_a_256_bit_token_stored_only_hashed() {
    let h = Harness::new().await;
    let (id, token) = h.activate("受付1").await;
    assert!(id.starts_with("t_"));
    assert_eq!(token.len(), 43);
    let stored: Vec<Vec<u8>> =
        h.db.call_blocking(|c| {
            let mut s = c.prepare("SELECT token_sha256 FROM terminals")?;
            let rows = s
                .query_map([], |r| r.get(0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok::<_, rusqlite::Error>(rows)
        })
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token.as_bytes());
    let dump = std::fs::read(&h.db_path).unwrap();
    let wal = std::fs::read(h.db_path.with_extension("sqlite3-wal")).unwrap_or_default();
    for bytes in [dump, wal] {
        assert!(
            !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
            "token in clear on disk"
        );
    }
}

#[tokio::test]
async fn wrong_activation_credentials_are_refused() {
    let h = Harness::new().await;
    for (code, user, act) in [
        ("1399999999", "W0000001", "DEMO0002"),
        ("1399999999", "W0000009", "DEMO0001"),
        ("1300000001", "W0000001", "DEMO0001"),
    ] {
        let r = h
            .try_activate(json!({"facilityCode": code, "userId": user, "activationCode": act, "deviceName": "x"}))
            .await;
        r.assert_error(401, "MW0020");
    }
}

#[tokio::test]
async fn the_21st_device_is_refused_until_one_is_revoked() {
    let h = Harness::new().await;
    let mut terminals = Vec::new();
    for i in 1..=20 {
        terminals.push(h.activate(&format!("端末{i}")).await);
    }
    let r = h.try_activate(activation("端末21")).await;
    let msg = r.assert_error(409, "MW0021");
    assert!(msg.message_header.error_message.unwrap().contains("20台"));

    // The facility's administration revokes terminal 5; terminal 5's token stops working;
    // a 21st fits now.
    let admin = h
        .db
        .call_blocking(|c| myna_demo::store::admin_tokens::issue(c, "1399999999", support::START))
        .unwrap();
    let (id5, token5) = &terminals[4];
    let r = h.delete(&format!("/api/v1/terminals/{id5}"), &admin).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["terminalId"], id5.as_str());
    let r = h
        .call(Method::POST, "/api/v1/challenges", Some(token5), None)
        .await;
    r.assert_error(401, "MW0011");
    h.activate("端末21").await;
    // Revoking an unknown terminal.
    let r = h.delete("/api/v1/terminals/t_nope", &admin).await;
    r.assert_error(404, "MW0022");
}

#[tokio::test]
async fn a_bad_device_name_is_a_bad_request() {
    let h = Harness::new().await;
    let r = h.try_activate(activation("a\u{0}b")).await;
    r.assert_error(400, "MW0001");
}

// ---------------------------------------------------------------- challenges

#[tokio::test]
async fn challenges_need_a_token_and_last_five_minutes() {
    let h = Harness::new().await;
    let r = h.call(Method::POST, "/api/v1/challenges", None, None).await;
    r.assert_error(401, "MW0002");
    assert_eq!(r.headers.get("www-authenticate").unwrap(), "Bearer");
    let r = h
        .call(
            Method::POST,
            "/api/v1/challenges",
            Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            None,
        )
        .await;
    r.assert_error(401, "MW0002");

    let (_, token) = h.activate("受付").await;
    let r = h
        .call(Method::POST, "/api/v1/challenges", Some(&token), None)
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.headers.get("cache-control").unwrap(), "no-store");
    let v = r.json();
    assert_eq!(v["nonce"].as_str().unwrap().len(), 43);
    assert_eq!(v["expiresAt"], "2026-06-01T00:05:00Z");
}

// ---------------------------------------------------------------- persona matrix

#[tokio::test]
async fn the_persona_matrix_in_pin_mode() {
    let (h, token) = Harness::with_terminal().await;

    // name → (validity, results)
    for (name, expected_validity, results) in [
        ("default", "1", 1),
        ("kokuho", "1", 1),
        ("kouki", "1", 1),
        ("elderly-70", "1", 1),
        ("child", "1", 1),
        ("limit", "1", 1),
        ("lost", "2", 1),
        ("unlinked", "4", 0),
        ("blocked", "1", 1),
        ("last-try", "1", 1),
    ] {
        let r = h.confirm_pin(&token, &Card::load(name)).await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{name}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert_eq!(r.content_type(), "application/xml; charset=UTF-8");
        let msg = r.xml();
        let header = &msg.message_header;
        assert_eq!(
            header.segment_of_result.as_ref().unwrap().raw(),
            "1",
            "{name}"
        );
        assert_eq!(header.reference_classification.as_ref().unwrap().raw(), "1");
        assert_demo_facility_on(&msg, "20260601");
        assert_eq!(
            header.process_execution_time.as_deref(),
            Some("20260601090000")
        );
        assert_eq!(
            header.character_code_identifier.as_ref().unwrap().raw(),
            "0"
        );
        assert_eq!(validity(&msg), expected_validity, "{name}");
        assert_eq!(msg.results().len(), results, "{name}");
        assert!(
            msg.message_body.processing_result_message.is_none(),
            "{name}"
        );
    }

    let default = h.confirm_pin(&token, &Card::load("default")).await.xml();
    let r = &default.results()[0];
    assert_eq!(r.insurer_number.as_deref(), Some("01130012"));
    assert_eq!(r.insurer_name.as_deref(), Some("全国健康保険協会東京支部"));
    assert_eq!(r.name.as_deref(), Some("山田　太郎"));
    assert_eq!(r.name_kana.as_deref(), Some("ﾔﾏﾀﾞ ﾀﾛｳ"));
    assert_eq!(r.insured_branch_number.as_deref(), Some("00"));
    // Not a 後期高齢者: no InsuredPartialContributionRatio (issue 13).
    assert!(r.insured_partial_contribution_ratio.is_none());
    assert!(r.elderly_recipient_certificate_info.is_none());
    assert!(r.limit_application_certificate_related_info.is_none());

    let elderly = h.confirm_pin(&token, &Card::load("elderly-70")).await.xml();
    let e = elderly.results()[0]
        .elderly_recipient_certificate_info
        .as_ref()
        .unwrap();
    assert_eq!(
        e.elderly_recipient_valid_start_date.as_deref(),
        Some("20250801")
    );
    assert_eq!(
        e.elderly_recipient_contribution_ratio
            .as_ref()
            .unwrap()
            .raw(),
        "020"
    );

    let limit = h.confirm_pin(&token, &Card::load("limit")).await.xml();
    let l = &limit.results()[0];
    assert_eq!(
        l.limit_application_certificate_related_cons_flg
            .as_ref()
            .unwrap()
            .raw(),
        "1"
    );
    let info = l
        .limit_application_certificate_related_info
        .as_ref()
        .unwrap();
    assert_eq!(
        info.limit_application_certificate_classification
            .as_ref()
            .unwrap()
            .raw(),
        "01"
    );
    assert_eq!(
        info.limit_application_certificate_classification_flag
            .as_ref()
            .unwrap()
            .raw(),
        "A03"
    );

    let child = h.confirm_pin(&token, &Card::load("child")).await.xml();
    assert_eq!(
        child.results()[0]
            .preschool_classification
            .as_ref()
            .unwrap()
            .raw(),
        "1"
    );
    assert_eq!(
        child.results()[0]
            .personal_family_classification
            .as_ref()
            .unwrap()
            .raw(),
        "2"
    );

    let lost = h.confirm_pin(&token, &Card::load("lost")).await.xml();
    assert_eq!(
        lost.results()[0].disqualification_date.as_deref(),
        Some("20250930")
    );
    assert_eq!(
        lost.results()[0].reason_of_loss.as_ref().unwrap().raw(),
        "03"
    );
}

/// Certificates the service cannot rely on: expired (`MW0008`), revoked (`MW0009`), and one
/// from a CA it does not trust (`MW0007`: that harness trusts only the old root).
#[tokio::test]
async fn expired_revoked_and_untrusted_certificates_are_refused() {
    for (anchors, persona, code) in [
        (support::test_anchors(), "expired-cert", "MW0008"),
        (support::test_anchors(), "revoked-cert", "MW0009"),
        (support::old_root_only(), "default", "MW0007"),
    ] {
        let (h, token) = Harness::with_terminal_trusting(anchors).await;
        h.refuses_pin(&token, &Card::load(persona), 401, code).await;
    }
}

#[tokio::test]
async fn a_crl_loaded_while_running_takes_effect_at_once() {
    let (h, token, card) = Harness::with_terminal_and_card().await;
    h.confirm_pin(&token, &card).await.assert_status_ok();
    let crl = support::pki::Ca::root().crl(
        support::START - time::Duration::days(1),
        support::START + time::Duration::days(7),
        &[support::pki::serial_of(&card.certificate)],
        2,
    );
    myna_demo::revocation::load(&h.db, &support::test_anchors(), &crl, support::START).unwrap();
    h.refuses_pin(&token, &card, 401, "MW0009").await;
}

#[tokio::test]
async fn a_certificate_not_yet_valid_is_refused() {
    let h = Harness::new().await;
    h.clock.set(datetime!(2025-09-15 00:00 UTC)); // no-pin's certificate starts 2025-10-01
    let (_, token) = h.activate("受付").await;
    let card = Card::load("no-pin");
    let nonce = h.nonce(&token).await;
    let r = h
        .confirm(
            &token,
            json!({"mode": "visual", "certificate": card.certificate_b64(),
                                "nonce": nonce, "origin": ORIGIN, "operator": "佐藤"}),
        )
        .await;
    r.assert_error(401, "MW0015");
}

#[tokio::test]
async fn a_ca_certificate_is_not_an_auth_certificate() {
    let (h, token) = Harness::with_terminal().await;
    let root = std::fs::read(support::fixtures().join("ca/root.crt.der")).unwrap();
    let nonce = h.nonce(&token).await;
    let card = Card::load("default");
    let r = h
        .confirm(&token, json!({"mode": "pin",
            "certificate": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &root),
            "signature": card.sign(ORIGIN, &nonce), "nonce": nonce, "origin": ORIGIN}))
        .await;
    r.assert_error(401, "MW0016");
}

#[tokio::test]
async fn the_expiry_notice_appears_within_three_months() {
    let h = Harness::new().await;
    h.clock.set(datetime!(2029-12-01 00:00 UTC)); // kouki's certificate ends 2030-01-14
    // Activated on that day: a terminal token lives a day (docs/security.md T26).
    let (_, token) = h.activate("受付").await;
    let msg = h.confirm_pin(&token, &Card::load("kouki")).await.xml();
    let notice = msg.message_body.processing_result_message.clone().unwrap();
    assert!(notice.contains("2030年1月14日"), "{notice}");
    assert_eq!(validity(&msg), "1");
    let msg = h.confirm_pin(&token, &Card::load("default")).await.xml();
    assert!(msg.message_body.processing_result_message.is_none());
}

// ---------------------------------------------------------------- verification failures

#[tokio::test]
async fn each_signature_failure_is_refused() {
    let (h, token, card) = Harness::with_terminal_and_card().await;

    // Signed over another nonce.
    let nonce = h.nonce(&token).await;
    let other = h.nonce(&token).await;
    let body = with_signature(card.pin_confirmation(&nonce), card.sign(ORIGIN, &other));
    h.confirm(&token, body).await.assert_error(401, "MW0006");

    // Signed for another origin than the one claimed.
    let nonce = h.nonce(&token).await;
    let body = with_signature(
        card.pin_confirmation(&nonce),
        card.sign("https://evil.example", &nonce),
    );
    h.confirm(&token, body).await.assert_error(401, "MW0006");

    // Signed by another card's key.
    let nonce = h.nonce(&token).await;
    let body = signed_by_another_card(&card, &nonce);
    h.confirm(&token, body).await.assert_error(401, "MW0006");

    // Truncated signature.
    let nonce = h.nonce(&token).await;
    let sig = card.sign(ORIGIN, &nonce);
    let body = with_signature(card.pin_confirmation(&nonce), &sig[..sig.len() - 8]);
    h.confirm(&token, body).await.assert_error(401, "MW0006");

    // No signature at all.
    let nonce = h.nonce(&token).await;
    let body = json!({"mode": "pin", "certificate": card.certificate_b64(), "nonce": nonce, "origin": ORIGIN});
    h.confirm(&token, body).await.assert_error(422, "MW0018");
}

#[tokio::test]
async fn wrong_origin_is_refused_even_when_signed_for_it() {
    let (h, token, card) = Harness::with_terminal_and_card().await;
    let evil = "https://evil.example";
    let nonce = h.nonce(&token).await;
    let body = json!({"mode": "pin", "certificate": card.certificate_b64(),
                      "signature": card.sign(evil, &nonce), "nonce": nonce, "origin": evil});
    h.confirm(&token, body).await.assert_error(403, "MW0005");
    // A browser page on an unregistered origin cannot use a token either.
    let request = Request::post("/api/v1/challenges")
        .header("authorization", format!("Bearer {token}"))
        .header("origin", evil)
        .body(Body::empty())
        .unwrap();
    h.send(request).await.assert_error(403, "MW0005");
}

#[tokio::test]
async fn nonce_replay_expiry_and_binding() {
    let h = Harness::new().await;
    let (_, token) = h.activate("受付1").await;
    let (_, other_token) = h.activate("受付2").await;
    let card = Card::load("default");

    // Replay: the same signed body twice.
    let body = h.pin_body(&token, &card).await;
    assert_eq!(h.confirm(&token, body.clone()).await.status, StatusCode::OK);
    h.confirm(&token, body).await.assert_error(409, "MW0013");

    // A failed attempt burns the nonce too (bad signature, then the right one).
    let nonce = h.nonce(&token).await;
    let bad = signed_by_another_card(&card, &nonce);
    h.confirm(&token, bad).await.assert_error(401, "MW0006");
    let good = card.pin_confirmation(&nonce);
    h.confirm(&token, good).await.assert_error(409, "MW0013");

    // Expiry: five minutes on the injected clock.
    let nonce = h.nonce(&token).await;
    h.clock.advance(Duration::minutes(5));
    let body = card.pin_confirmation(&nonce);
    h.confirm(&token, body).await.assert_error(410, "MW0012");
    let nonce = h.nonce(&token).await;
    h.clock.advance(Duration::seconds(299));
    let body = card.pin_confirmation(&nonce);
    assert_eq!(h.confirm(&token, body).await.status, StatusCode::OK);

    // Bound to the terminal: another terminal cannot use it, the owner still can.
    let body = h.pin_body(&token, &card).await;
    h.confirm(&other_token, body.clone())
        .await
        .assert_error(403, "MW0014");
    assert_eq!(h.confirm(&token, body).await.status, StatusCode::OK);

    // Never issued.
    let nonce = "A".repeat(43);
    let body = card.pin_confirmation(&nonce);
    h.confirm(&token, body).await.assert_error(404, "MW0004");
}

#[tokio::test]
async fn malformed_requests() {
    let (h, token, card) = Harness::with_terminal_and_card().await;
    let nonce = h.nonce(&token).await;
    let sig = card.sign(ORIGIN, &nonce);

    let cases = [
        (
            json!({"mode": "face", "certificate": card.certificate_b64(), "signature": sig, "nonce": nonce, "origin": ORIGIN}),
            400,
            "MW0001",
        ),
        (
            json!({"mode": "pin", "certificate": "***", "signature": sig, "nonce": nonce, "origin": ORIGIN}),
            400,
            "MW0001",
        ),
        (
            json!({"mode": "pin", "signature": sig, "nonce": nonce, "origin": ORIGIN}),
            400,
            "MW0001",
        ),
        (
            json!({"mode": "pin", "certificate": card.certificate_b64(), "signature": sig, "nonce": "short", "origin": ORIGIN}),
            400,
            "MW0001",
        ),
        (
            json!({"mode": "pin", "certificate": card.certificate_b64(), "signature": sig, "nonce": nonce, "origin": "reception.example"}),
            400,
            "MW0001",
        ),
        (
            json!({"mode": "pin", "certificate": "AAECAwQF", "signature": sig, "nonce": nonce, "origin": ORIGIN}),
            401,
            "MW0017",
        ),
    ];
    for (body, status, code) in cases {
        h.confirm(&token, body).await.assert_error(status, code);
    }

    let raw = |content_type: &'static str, body: Vec<u8>| {
        Request::post("/api/v1/confirmations")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", content_type)
            .body(Body::from(body))
            .unwrap()
    };
    h.send(raw("application/json", b"{not json".to_vec()))
        .await
        .assert_error(400, "MW0001");
    h.send(raw("text/plain", b"{}".to_vec()))
        .await
        .assert_error(415, "MW0025");
    h.send(raw("application/json", vec![b' '; 70 * 1024]))
        .await
        .assert_error(413, "MW0026");
}

/// `ApiJson` (axum's `Json` with the service's codes) on a route other than confirmations.
/// One edge differs from the hand-written reader it replaced: axum looks at the
/// `Content-Type` before it reads the body, so an oversized body that is not JSON is `MW0025`
/// (415), not `MW0026` (413). (`POST /api/v1/confirmations` buffers the body before it
/// looks, so there it stays 413, as `malformed_requests` shows.)
#[tokio::test]
async fn json_bodies_are_refused_with_the_service_codes_after_the_token() {
    let (h, token) = Harness::with_terminal().await;
    let raw = |token: Option<&str>, path: &str, content_type: &'static str, body: Vec<u8>| {
        let mut request = Request::post(path).header("content-type", content_type);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        request.body(Body::from(body)).unwrap()
    };
    let searches = "/api/v1/searches";
    for (content_type, body, status, code) in [
        ("application/json", b"{not json".to_vec(), 400, "MW0001"),
        // Well-formed JSON of the wrong shape: 400 (axum's own answer would be 422).
        ("application/json", b"{\"a\":1}".to_vec(), 400, "MW0001"),
        ("text/plain", b"{}".to_vec(), 415, "MW0025"),
        ("application/json", vec![b' '; 70 * 1024], 413, "MW0026"),
        ("text/plain", vec![b' '; 70 * 1024], 415, "MW0025"),
    ] {
        h.send(raw(Some(&token), searches, content_type, body))
            .await
            .assert_error(status, code);
    }
    // The token is looked at first: without one, nothing is said about the body.
    h.send(raw(None, searches, "text/plain", b"{".to_vec()))
        .await
        .assert_error(401, "MW0002");
    // The refusal is written in the negotiated charset, with the facility's code.
    let r = h
        .send(raw(
            Some(&token),
            "/api/v1/fallbacks?charset=Shift_JIS",
            "application/json",
            b"[]".to_vec(),
        ))
        .await;
    assert_eq!(r.content_type(), "application/xml; charset=Shift_JIS");
    let msg = r.assert_error(400, "MW0001");
    assert_eq!(
        msg.message_header.medical_institution_code.as_deref(),
        Some("1399999999")
    );
}

// ---------------------------------------------------------------- visual mode

#[tokio::test]
async fn visual_mode_needs_an_operator_and_records_it() {
    let h = Harness::new().await;
    let (terminal_id, token) = h.activate("受付").await;
    let card = Card::load("no-pin");
    let nonce = h.nonce(&token).await;
    let body = json!({"mode": "visual", "certificate": card.certificate_b64(), "nonce": nonce, "origin": ORIGIN});
    h.confirm(&token, body).await.assert_error(422, "MW0019");

    let nonce = h.nonce(&token).await;
    let body = json!({"mode": "visual", "certificate": card.certificate_b64(), "nonce": nonce,
                      "origin": ORIGIN, "operator": "受付 佐藤"});
    let r = h.confirm(&token, body).await;
    assert_eq!(r.status, StatusCode::OK);
    let msg = r.xml();
    assert_eq!(validity(&msg), "1");
    assert_eq!(msg.results()[0].name.as_deref(), Some("吉田　トメ"));

    let audit = h.audit(&token).await;
    let row = &audit[0];
    assert_eq!(row["mode"], "visual");
    assert_eq!(row["operator"], "受付 佐藤");
    assert_eq!(row["terminalId"], terminal_id.as_str());
    assert_eq!(row["result"], "ok");
    assert_eq!(row["qualificationValidity"], "1");
}

#[tokio::test]
async fn a_mode_the_facility_disabled_is_refused() {
    let h = Harness::new().await;
    // A second facility with PIN mode only.
    h.db.call_blocking(|c| {
        myna_demo::store::facilities::insert(
            c,
            &myna_demo::store::facilities::NewFacility {
                code: "1300000011".into(),
                name: "PIN専用".into(),
                user_id: "W0000002".into(),
                activation_code: "PINONLY1".into(),
                pin_mode: true,
                visual_mode: false,
                origins: vec![ORIGIN.into()],
            },
            support::START,
        )
    })
    .unwrap();
    let r = h
        .try_activate(json!({"facilityCode": "1300000011", "userId": "W0000002",
                          "activationCode": "PINONLY1", "deviceName": "x"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.json()["modes"], json!(["pin"]));
    let token = r.json()["token"].as_str().unwrap().to_owned();
    let card = Card::load("no-pin");
    let nonce = h.nonce(&token).await;
    let body = json!({"mode": "visual", "certificate": card.certificate_b64(), "nonce": nonce,
                      "origin": ORIGIN, "operator": "佐藤"});
    let msg = h.confirm(&token, body).await.assert_error(403, "MW0003");
    assert_eq!(
        msg.message_header.medical_institution_code.as_deref(),
        Some("1300000011")
    );
    // The other facility's audit does not show this facility's rows and vice versa.
    let (_, demo_token) = h.activate("受付").await;
    assert!(h.audit(&demo_token).await.is_empty());
    assert_eq!(h.audit(&token).await.len(), 1);
}

// ---------------------------------------------------------------- searches

#[tokio::test]
async fn searches_by_numbers() {
    let (h, token) = Harness::with_terminal().await;
    let search = |body: serde_json::Value| h.post("/api/v1/searches", &token, body);

    let r = search(json!({"insurerNumber": "01130012", "insuredCardSymbol": "12345678",
        "insuredIdentificationNumber": "1001", "insuredBranchNumber": "00", "birthdate": "19800415"})).await;
    r.assert_status(StatusCode::OK);
    let msg = r.xml();
    assert_eq!(
        msg.message_header
            .reference_classification
            .as_ref()
            .unwrap()
            .raw(),
        "2"
    );
    assert_eq!(validity(&msg), "1");
    assert_eq!(msg.results()[0].name.as_deref(), Some("山田　太郎"));
    let echo = msg.message_body.qualification_confirm_search_info.unwrap();
    assert_eq!(echo.insurer_number.as_deref(), Some("01130012"));
    assert_eq!(echo.birthdate.as_deref(), Some("19800415"));

    // 国保, space-padded, full-width symbol.
    let r = search(json!({"insurerNumber": "  138057", "insuredCardSymbol": "世１２",
        "insuredIdentificationNumber": "34567", "insuredBranchNumber": "01", "birthdate": "19750903"})).await;
    assert_eq!(validity(&r.xml()), "1");

    // Wrong birth date → 該当資格なし.
    let r = search(json!({"insurerNumber": "01130012", "insuredCardSymbol": "12345678",
        "insuredIdentificationNumber": "1001", "insuredBranchNumber": "00", "birthdate": "19800416"})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(validity(&r.xml()), "4");
    assert!(r.xml().results().is_empty());

    search(json!({"insurerNumber": "01130013", "insuredCardSymbol": "12345678",
        "insuredIdentificationNumber": "1001", "insuredBranchNumber": "00", "birthdate": "19800415"}))
        .await.assert_error(422, "MW0023");
    search(json!({"insurerNumber": "01130012", "insuredCardSymbol": "12345678",
        "insuredIdentificationNumber": "1001", "insuredBranchNumber": "00", "birthdate": "19800231"}))
        .await.assert_error(422, "MW0024");
    search(json!({"insurerNumber": "01130012"}))
        .await
        .assert_error(400, "MW0001");

    let audit = h.audit(&token).await;
    assert_eq!(audit.len(), 6);
    assert!(
        audit
            .iter()
            .all(|r| r["kind"] == "search" && r["mode"] == "numbers")
    );
}

// ---------------------------------------------------------------- Shift_JIS

#[tokio::test]
async fn shift_jis_on_request() {
    let (h, token, card) = Harness::with_terminal_and_card().await;
    let body = h.pin_body(&token, &card).await;
    let r = h
        .post("/api/v1/confirmations?charset=Shift_JIS", &token, body)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.content_type(), "application/xml; charset=Shift_JIS");
    assert!(
        std::str::from_utf8(&r.body).is_err(),
        "the body is CP932, not UTF-8"
    );
    assert!(
        r.body
            .starts_with(b"<?xml version=\"1.0\" encoding=\"Shift_JIS\"")
    );
    let msg = r.xml();
    assert_eq!(
        msg.message_header
            .character_code_identifier
            .as_ref()
            .unwrap()
            .raw(),
        "1"
    );
    assert_eq!(msg.results()[0].name.as_deref(), Some("山田　太郎"));

    // Accept-Charset works for non-browser clients; errors follow the choice too.
    let request = Request::post("/api/v1/challenges")
        .header("accept-charset", "Shift_JIS")
        .body(Body::empty())
        .unwrap();
    let r = h.send(request).await;
    assert_eq!(r.content_type(), "application/xml; charset=Shift_JIS");
    r.assert_error(401, "MW0002");

    let r = h
        .call(
            Method::POST,
            "/api/v1/challenges?charset=EUC-JP",
            Some(&token),
            None,
        )
        .await;
    r.assert_error(406, "MW0027");
}

// ---------------------------------------------------------------- audit

#[tokio::test]
async fn the_audit_holds_outcomes_but_no_pin_certificate_or_numbers() {
    let (h, token, card) = Harness::with_terminal_and_card().await;
    assert_eq!(h.confirm_pin(&token, &card).await.status, StatusCode::OK);
    h.refuses_pin(&token, &Card::load("revoked-cert"), 401, "MW0009")
        .await;
    // An unauthenticated attempt is recorded too, outside any facility.
    let r = h.post("/api/v1/confirmations", "bogus", json!({})).await;
    r.assert_error(401, "MW0002");

    let audit = h.audit(&token).await;
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[0]["errorCode"], "MW0009");
    assert_eq!(audit[0]["result"], "error");
    assert_eq!(audit[0]["httpStatus"], 401);
    assert_eq!(audit[1]["qualificationValidity"], "1");
    assert_eq!(audit[1]["mode"], "pin");
    assert_eq!(audit[1]["deviceName"], "受付");
    let total = count(&h.db, "SELECT count(*) FROM audit");
    assert_eq!(total, 3);

    // Nothing identifying the card or the insurance in the audit table.
    let dump: Vec<String> =
        h.db.call_blocking(|c| {
            let mut s = c.prepare("SELECT * FROM audit")?;
            let n = s.column_count();
            let rows = s
                .query_map([], |r| {
                    Ok((0..n)
                        .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                        .collect::<Vec<_>>()
                        .join("|"))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok::<_, rusqlite::Error>(rows)
        })
        .unwrap();
    let serial = myna_core::x509::parse_certificate(&card.certificate)
        .unwrap()
        .serial;
    for row in &dump {
        for secret in [
            "01130012",
            "12345678",
            "1001",
            "1234",
            serial.as_str(),
            "JPKITEST",
        ] {
            assert!(!row.contains(secret), "{secret} in audit row {row}");
        }
    }

    // Paging.
    let r = h.get("/api/v1/audit?limit=1", &token).await;
    let page = r.json();
    assert_eq!(page["records"].as_array().unwrap().len(), 1);
    let before = page["nextBefore"].as_i64().unwrap();
    let r = h
        .get(&format!("/api/v1/audit?limit=1&before={before}"), &token)
        .await;
    assert_eq!(r.json()["records"][0]["qualificationValidity"], "1");
    h.get("/api/v1/audit?limit=0", &token)
        .await
        .assert_error(400, "MW0001");
    h.call(Method::GET, "/api/v1/audit", None, None)
        .await
        .assert_error(401, "MW0002");
}

// ---------------------------------------------------------------- CORS, routing, OpenAPI

#[tokio::test]
async fn cors_allows_only_registered_origins() {
    let h = Harness::new().await;
    let preflight = |origin: &str| {
        Request::builder()
            .method(Method::OPTIONS)
            .uri("/api/v1/confirmations")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .body(Body::empty())
            .unwrap()
    };
    let r = h.send(preflight(ORIGIN)).await;
    assert!(r.status.is_success());
    assert_eq!(
        r.headers.get("access-control-allow-origin").unwrap(),
        ORIGIN
    );
    let methods = r
        .headers
        .get("access-control-allow-methods")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(methods.contains("POST"));
    let allowed = r
        .headers
        .get("access-control-allow-headers")
        .unwrap()
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(allowed.contains("authorization") && allowed.contains("content-type"));

    let r = h.send(preflight("https://evil.example")).await;
    assert!(r.headers.get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_xml() {
    let h = Harness::new().await;
    h.call(Method::GET, "/api/v1/nothing", None, None)
        .await
        .assert_error(404, "MW0028");
    h.call(Method::GET, "/api/v1/confirmations", None, None)
        .await
        .assert_error(405, "MW0029");
    let r = h
        .call(Method::GET, "/api/v1/openapi.yaml", None, None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        String::from_utf8(r.body)
            .unwrap()
            .starts_with("openapi: 3.1")
    );
}
