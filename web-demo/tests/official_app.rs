//! Issue 13: a pasted official-app result as a confirmation of its own mode, and the grace
//! period of an expired 利用者証明用電子証明書 — through `app()` and `oneshot`, on a real
//! SQLite file, with the service's `ManualClock`.

mod support;

use myna_core::oqs::{self, QualificationValidity};
use serde_json::json;
use support::{Card, Harness, assert_demo_facility_on, taro};
use time::macros::datetime;

/// These tests set the service's clock to 2024, before the seeded CRL's thisUpdate
/// (2025-10-01), where revocation cannot be checked at all (`MW0033`). So the facility's CRL
/// is replaced — behind the service's back, the table emptied and the generation bumped — by
/// one of the same CA current from March to July 2024, listing the certificates of `revoked`.
fn crl_of_spring_2024(h: &Harness, revoked: &[&Card]) {
    h.db.call_blocking(|c| {
        c.execute("DELETE FROM crls", [])?;
        c.execute("UPDATE crl_generation SET generation = generation + 1", [])
    })
    .unwrap();
    let serials: Vec<_> = revoked
        .iter()
        .map(|card| support::pki::serial_of(&card.certificate))
        .collect();
    let crl = support::pki::Ca::root().crl(
        datetime!(2024-03-01 00:00 UTC),
        datetime!(2024-08-01 00:00 UTC),
        &serials,
        1,
    );
    myna_demo::revocation::load(
        &h.db,
        &support::test_anchors(),
        &crl,
        datetime!(2024-03-02 00:00 UTC),
    )
    .unwrap();
}

#[tokio::test]
async fn issue_13_a_pasted_official_app_result_is_answered_and_audited_as_its_own_mode() {
    let (h, token) = Harness::with_terminal().await; // 2026-06-01 09:00 JST
    let text = oqs::to_copy_text(&taro());
    let reply = h
        .confirm(
            &token,
            json!({"mode": "official-app", "copyText": text, "operator": "受付 佐藤"}),
        )
        .await;
    reply.assert_status(axum::http::StatusCode::OK);
    let msg = reply.xml();
    assert_eq!(msg.results(), taro().results());
    assert_eq!(
        msg.qualification_validity(),
        Some(QualificationValidity::Valid)
    );
    assert_demo_facility_on(&msg, "20260601");
    assert_eq!(
        msg.message_body.processing_result_message, None,
        "確認日 is today"
    );

    let audit = h.audit(&token).await;
    let row = &audit[0];
    assert_eq!(row["kind"], "confirmation");
    assert_eq!(row["mode"], "official-app");
    assert_eq!(row["operator"], "受付 佐藤");
    assert_eq!(row["qualificationValidity"], "1");
    assert!(!row.to_string().contains("山田"), "no names in the audit");
}

#[tokio::test]
async fn issue_13_a_paste_from_another_day_carries_a_notice() {
    let (h, token) = Harness::with_terminal().await;
    let mut old = taro();
    old.message_header.qualification_confirmation_date = Some("20260401".into());
    let reply = h
        .confirm(
            &token,
            json!({"mode": "official-app", "copyText": oqs::to_copy_text(&old), "operator": "佐藤"}),
        )
        .await;
    let msg = reply.xml();
    let notice = msg.message_body.processing_result_message.unwrap();
    assert!(notice.contains("令和8年4月1日"), "{notice}");
}

#[tokio::test]
async fn issue_13_bad_pastes_are_refused_with_a_code_and_audited() {
    let (h, token) = Harness::with_terminal().await;
    let good = oqs::to_copy_text(&taro());
    for bad in [
        "Qualification information\r\nInsurer\t01130012\r\n".to_owned(),
        good[..good.find("性別").unwrap()].to_owned(),
        good.replace('\t', " "),
    ] {
        h.confirm(
            &token,
            json!({"mode": "official-app", "copyText": bad, "operator": "佐藤"}),
        )
        .await
        .assert_error(422, "MW0035");
    }
    h.confirm(&token, json!({"mode": "official-app", "copyText": good}))
        .await
        .assert_error(422, "MW0019");
    h.confirm(&token, json!({"mode": "official-app", "operator": "佐藤"}))
        .await
        .assert_error(400, "MW0001");
    let audit = h.audit(&token).await;
    assert_eq!(audit.len(), 5);
    assert!(audit.iter().all(|r| r["mode"] == "official-app"));
    assert_eq!(
        audit.iter().filter(|r| r["errorCode"] == "MW0035").count(),
        3
    );
    // Without a token nothing is taken.
    h.confirm(
        "not-a-token",
        json!({"mode": "official-app", "copyText": good, "operator": "x"}),
    )
    .await
    .assert_error(401, "MW0002");
}

/// `expired-cert` is valid until 2024-03-31 00:00 UTC (09:00 JST): it expired in March 2024,
/// so 資格情報 are given until 2024-06-30 23:59:59 JST.
#[tokio::test]
async fn issue_13_an_expired_certificate_gives_qualification_until_the_end_of_the_third_month() {
    let (h, token) = Harness::with_terminal().await;
    let card = Card::load("expired-cert");
    crl_of_spring_2024(&h, &[]);

    // Within three months before the expiry: 資格情報 with a notice.
    h.clock.set(datetime!(2024-03-31 08:59 +9));
    let msg = h.confirm_pin(&token, &card).await.xml();
    assert_eq!(msg.results().len(), 1);
    let notice = msg.message_body.processing_result_message.unwrap();
    assert!(notice.contains("有効期限が近づいています"), "{notice}");

    // Just expired.
    h.clock.set(datetime!(2024-03-31 09:01 +9));
    let msg = h.confirm_pin(&token, &card).await.xml();
    assert_eq!(msg.results().len(), 1);
    assert!(!msg.is_error());

    // The last day of the third month after the month of expiry, last minute.
    h.clock.set(datetime!(2024-06-30 23:59 +9));
    let reply = h.confirm_pin(&token, &card).await;
    reply.assert_status(axum::http::StatusCode::OK);
    let msg = reply.xml();
    assert_eq!(
        msg.qualification_validity(),
        Some(QualificationValidity::Valid)
    );
    let notice = msg.message_body.processing_result_message.unwrap();
    assert!(
        notice.contains("2024年6月30日までは資格情報を確認できます"),
        "{notice}"
    );
    assert!(notice.contains("更新"), "{notice}");

    // The first day after: refused, and stays refused.
    h.clock.set(datetime!(2024-07-01 00:00 +9));
    h.refuses_pin(&token, &card, 401, "MW0008").await;
    h.clock.set(datetime!(2026-06-01 00:00 +9));
    h.refuses_pin(&token, &card, 401, "MW0008").await;
}

#[tokio::test]
async fn issue_13_an_expired_certificate_in_its_grace_period_is_still_checked_for_revocation_and_signature()
 {
    let (h, token) = Harness::with_terminal().await;
    let card = Card::load("expired-cert");
    h.clock.set(datetime!(2024-05-01 10:00 +9));
    // A signature by another card's key does not verify.
    let other = Card::load("default");
    let nonce = h.nonce(&token).await;
    let body = json!({"mode": "pin", "certificate": card.certificate_b64(),
                      "signature": other.sign(support::ORIGIN, &nonce), "nonce": nonce,
                      "origin": support::ORIGIN});
    h.confirm(&token, body).await.assert_error(401, "MW0006");
    // Its CA's current CRL lists it: revoked, grace period or not.
    crl_of_spring_2024(&h, &[&card]);
    h.refuses_pin(&token, &card, 401, "MW0009").await;
}

#[tokio::test]
async fn issue_13_the_paste_module_is_served_and_imported_by_the_page() {
    let h = Harness::new().await;
    let reply = h
        .call(axum::http::Method::GET, "/official-app.js", None, None)
        .await;
    assert_eq!(reply.status.as_u16(), 200);
    assert!(reply.content_type().starts_with("text/javascript"));
    let js = String::from_utf8(reply.body).unwrap();
    assert!(js.contains("export function mountOfficialApp"));
    assert!(js.contains("マイナ資格確認アプリの結果を貼り付け"));
    assert!(js.contains("parseCopyText"));
    assert!(
        myna_demo::http::web::APP_JS
            .contains("import { mountOfficialApp } from \"./official-app.js\"")
    );
}
