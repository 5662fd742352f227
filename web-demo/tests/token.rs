//! Issue 14: a card-based confirmation says which token answered (`token`, as the bridge
//! reported it), and the audit records it — in the SQLite file and in `GET /api/v1/audit`.
//! The service cannot verify it: nothing in the certificate tells a card from a phone.

mod support;

use axum::http::StatusCode;
use serde_json::json;
use support::{Card, Harness, ORIGIN};

/// The `token` column of the audit rows, oldest first, read from the database file.
fn stored_tokens(h: &Harness) -> Vec<Option<String>> {
    h.db.call_blocking(|c| {
        let mut s = c.prepare("SELECT token FROM audit ORDER BY id")?;
        let rows = s.query_map([], |r| r.get(0))?;
        Ok::<_, myna_demo::db::DbError>(rows.collect::<Result<Vec<_>, _>>()?)
    })
    .unwrap()
}

#[tokio::test]
async fn the_audit_records_the_token_the_bridge_reported() {
    let (h, token) = Harness::with_terminal().await;

    // An Android phone's スマホ用電子証明書, PIN mode.
    let phone = Card::load("android");
    let mut body = h.pin_body(&token, &phone).await;
    body["token"] = json!("android");
    let r = h.confirm(&token, body).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );

    // The card, 目視.
    let card = Card::load("no-pin");
    let nonce = h.nonce(&token).await;
    let body = json!({"mode": "visual", "certificate": card.certificate_b64(), "nonce": nonce,
                      "origin": ORIGIN, "operator": "受付 佐藤", "token": "card"});
    assert_eq!(h.confirm(&token, body).await.status, StatusCode::OK);

    // An older module says nothing: recorded as not said, never guessed.
    assert_eq!(
        h.confirm_pin(&token, &Card::load("default")).await.status,
        StatusCode::OK
    );

    // A refusal keeps what the body said too.
    let mut body = h.pin_body(&token, &Card::load("revoked-cert")).await;
    body["token"] = json!("android");
    h.confirm(&token, body).await.assert_error(401, "MW0009");

    assert_eq!(
        stored_tokens(&h),
        [Some("android"), Some("card"), None, Some("android")].map(|t| t.map(str::to_owned))
    );
    let audit = h.audit(&token).await;
    let listed: Vec<_> = audit.iter().rev().map(|r| r["token"].clone()).collect();
    assert_eq!(
        listed,
        [
            json!("android"),
            json!("card"),
            json!(null),
            json!("android")
        ]
    );
    assert_eq!(audit[3]["mode"], "pin");
    assert_eq!(audit[2]["mode"], "visual");
}

#[tokio::test]
async fn a_token_the_contract_does_not_name_is_a_bad_request() {
    let (h, token) = Harness::with_terminal().await;
    let mut body = h.pin_body(&token, &Card::load("default")).await;
    body["token"] = json!("watch");
    h.confirm(&token, body).await.assert_error(400, "MW0001");
    // The column takes only the three names, whoever writes to the file.
    let refused = h.db.call_blocking(|c| {
        c.execute(
            "INSERT INTO audit (occurred_at, kind, mode, result, http_status, token)
             VALUES (1, 'confirmation', 'pin', 'ok', 200, 'watch')",
            [],
        )
        .map_err(myna_demo::db::DbError::from)
    });
    assert!(refused.is_err());
}

#[test]
fn a_version_6_database_gets_the_token_column_keeping_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v6.sqlite3");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        for sql in [
            include_str!("../migrations/0001_initial.sql"),
            include_str!("../migrations/0002_fallbacks.sql"),
            include_str!("../migrations/0003_terminal_security.sql"),
            include_str!("../migrations/0004_crls.sql"),
            include_str!("../migrations/0005_official_app.sql"),
            include_str!("../migrations/0006_checkup.sql"),
        ] {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch(
            "PRAGMA user_version = 6;
             INSERT INTO audit (occurred_at, kind, mode, result, qualification_validity, http_status)
             VALUES (1, 'confirmation', 'pin', 'ok', '1', 200);",
        )
        .unwrap();
    }
    let (db, _) = myna_demo::db::Db::open(&path).unwrap();
    let (rows, version): (Vec<(String, Option<String>)>, u32) = db
        .call_blocking(|c| {
            let mut s = c.prepare("SELECT mode, token FROM audit")?;
            let rows = s
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            let version = c.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            Ok::<_, myna_demo::db::DbError>((rows, version))
        })
        .unwrap();
    assert_eq!(version, myna_demo::db::SCHEMA_VERSION);
    assert_eq!(version, 7);
    assert_eq!(rows, [("pin".to_owned(), None)]);
}

/// A copy text with the optional `本人確認` line (`docs/copy-text.md`) is still the app's text to
/// the service's `official-app` import: answered and audited like one without it.
#[tokio::test]
async fn a_pasted_text_with_the_phone_line_is_imported() {
    use myna_core::oqs::{self, QualificationValidity};
    use myna_core::wire::Token;
    use myna_core::wire::service::ConfirmationMode;

    let (h, token) = Harness::with_terminal().await; // 2026-06-01 09:00 JST
    let msg = support::taro();
    let r = &msg.results()[0];
    let text = oqs::to_copy_text_with_identity(&msg, Token::Android, ConfirmationMode::Pin);
    assert!(text.contains("本人確認\tスマートフォン（Android）・暗証番号\r\n"));
    let reply = h
        .confirm(
            &token,
            json!({"mode": "official-app", "copyText": text, "operator": "受付 佐藤"}),
        )
        .await;
    reply.assert_status(StatusCode::OK);
    let answer = reply.xml();
    assert_eq!(
        answer.qualification_validity(),
        Some(QualificationValidity::Valid)
    );
    assert_eq!(answer.results().len(), 1);
    assert_eq!(answer.results()[0].insurer_number, r.insurer_number);
    assert_eq!(answer.results()[0].name, r.name);
    let audit = h.audit(&token).await;
    assert_eq!(audit[0]["mode"], "official-app");
    assert_eq!(audit[0]["result"], "ok");
}
