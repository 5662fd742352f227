//! The bridge client against a real `myna-bridge --simulate`, started by
//! `cargo xtask wasm-tests` (which passes its address in `MYNA_TEST_BRIDGE_URL`). Without it
//! every test here fails (`common::required`), unless built with `MYNA_TEST_ALLOW_SKIP`.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const READER: &str = "myna-web Virtual Reader";
/// The `default` persona's auth certificate serial (tests/fixtures/personas/index.toml).
const DEFAULT_SERIAL: &str = "4E3188B0CE2A7078";

fn bridge_url() -> Option<&'static str> {
    required_env!("MYNA_TEST_BRIDGE_URL")
}

async fn connect(url: &str, options: JsValue) -> JsValue {
    JsFuture::from(myna_web::connect_bridge(url.into(), options))
        .await
        .unwrap_or_else(|e| panic!("connectBridge failed: {e:?} {:?}", get(&e, "code")))
}

/// A connected bridge with `persona`'s card freshly inserted, and a session on it.
async fn session_with(url: &str, persona: &str) -> (JsValue, JsValue) {
    let bridge = connect(url, JsValue::UNDEFINED).await;
    ok(&bridge, "simulateInsert", &[persona.into()]).await;
    let session = ok(&bridge, "connect", &[READER.into()]).await;
    (bridge, session)
}

fn authenticate_options(pin: &str, allow_last_attempt: bool) -> JsValue {
    object(&[
        ("nonce", NONCE.into()),
        ("pin", pin.into()),
        ("allowLastAttempt", allow_last_attempt.into()),
    ])
}

/// `authenticate` with `pin` that must fail: the error's code and the error.
async fn authenticate_fails(
    session: &JsValue,
    pin: &str,
    allow_last_attempt: bool,
) -> (String, JsValue) {
    fails(
        session,
        "authenticate",
        &[authenticate_options(pin, allow_last_attempt)],
    )
    .await
}

/// `authenticate` with `pin` that must succeed: the answer.
async fn authenticate_ok(session: &JsValue, pin: &str, allow_last_attempt: bool) -> JsValue {
    ok(
        session,
        "authenticate",
        &[authenticate_options(pin, allow_last_attempt)],
    )
    .await
}

/// `authenticate` with `pin` is refused with `code`, and the error and the card both say `left`
/// tries remain.
async fn assert_refused(
    session: &JsValue,
    pin: &str,
    allow_last_attempt: bool,
    code: &str,
    left: f64,
) {
    let (got, error) = authenticate_fails(session, pin, allow_last_attempt).await;
    assert_eq!(got, code, "PIN {pin}");
    let reported = get(&error, "remaining").as_f64();
    assert_eq!(reported, Some(left), "{code}: the tries left it reports");
    assert_eq!(
        remaining(session).await,
        left,
        "{code}: the tries left on the card"
    );
}

async fn remaining(session: &JsValue) -> f64 {
    let status = ok(session, "pinStatus", &[]).await;
    get(&status, "remaining").as_f64().unwrap()
}

#[wasm_bindgen_test(async)]
async fn hello_readers_and_states() {
    let url = or_skip!(bridge_url());
    let states = Recorder::new();
    let bridge = connect(url, object(&[("onStateChange", states.function())])).await;
    assert_eq!(get(&bridge, "state").as_string().unwrap(), "connected");
    assert_eq!(get(&bridge, "origin").as_string().unwrap(), page_origin());
    let hello = get(&bridge, "hello");
    assert_eq!(get(&hello, "protocol").as_f64(), Some(1.0));
    assert_eq!(string(&hello, "bridge.name"), "myna-bridge");
    assert_eq!(string(&hello, "policy"), "eligibility");
    let personas = strings(&path(&hello, "simulate.personas"));
    assert!(personas.contains(&"default".to_string()), "{personas:?}");
    assert!(personas.contains(&"last-try".to_string()));
    assert_eq!(states.field("state"), ["connecting", "connected"]);
    // The page is on loopback: Local Network Access does not apply.
    assert_eq!(states.field("permission")[0], "not-applicable");

    let readers = ok(&bridge, "listReaders", &[]).await;
    assert_eq!(string(&readers, "0.name"), READER);
    assert_eq!(
        string(&get(&bridge, "readers"), "0.name"),
        READER,
        "the getter follows listReaders"
    );
    invoke(&bridge, "close", &[]);
    assert_eq!(get(&bridge, "state").as_string().unwrap(), "closed");
    assert_eq!(states.field("state").last().unwrap(), "closed");
}

#[wasm_bindgen_test(async)]
async fn reader_events_follow_insertion_and_removal() {
    let url = or_skip!(bridge_url());
    let bridge = connect(url, JsValue::UNDEFINED).await;
    let events = Recorder::new();
    let unsubscribe = invoke(&bridge, "onReaders", &[events.function()]);
    ok(&bridge, "simulateRemove", &[]).await;
    assert!(
        events
            .wait_for(3000, |r| r
                .events
                .iter()
                .any(|readers| string(&readers, "0.state") == "empty"))
            .await,
        "no readers event with an empty reader"
    );
    ok(&bridge, "simulateInsert", &["kokuho".into()]).await;
    assert!(
        events
            .wait_for(3000, |r| r.events.iter().last().is_some_and(|readers| {
                string(&readers, "0.state") == "present"
                    && get(&get(&readers, "0"), "atr").is_string()
            }))
            .await,
        "no readers event with the card present"
    );
    // After unsubscribing, no more events arrive.
    let f: js_sys::Function = unsubscribe.into();
    f.call0(&JsValue::UNDEFINED).unwrap();
    let seen = events.events.length();
    ok(&bridge, "simulateRemove", &[]).await;
    sleep(300).await;
    assert_eq!(events.events.length(), seen);
    invoke(&bridge, "close", &[]);
}

#[wasm_bindgen_test(async)]
async fn the_certificate_is_read_through_transmit_by_the_core() {
    let url = or_skip!(bridge_url());
    let (bridge, session) = session_with(url, "default").await;
    assert_eq!(get(&session, "reader").as_string().unwrap(), READER);
    let der: Uint8Array = ok(&session, "readAuthCertificate", &[]).await.into();
    let info = myna_web::parse_certificate(&der.to_vec()).unwrap();
    assert_eq!(string(&info, "serialNumber"), DEFAULT_SERIAL);
    assert_eq!(get(&info, "isJpkiAuth"), JsValue::TRUE);
    let ca: Uint8Array = ok(&session, "readAuthCaCertificate", &[]).await.into();
    let ca = myna_web::parse_certificate(&ca.to_vec()).unwrap();
    assert_eq!(string(&ca, "subject"), string(&info, "issuer"));
    let status = ok(&session, "pinStatus", &[]).await;
    assert_eq!(get(&status, "remaining").as_f64(), Some(3.0));
    assert_eq!(get(&status, "blocked"), JsValue::FALSE);
    ok(&session, "disconnect", &[]).await;
    let (code, _) = fails(&session, "pinStatus", &[]).await;
    assert_eq!(code, "unknown-handle");
    invoke(&bridge, "close", &[]);
}

#[wasm_bindgen_test(async)]
async fn raw_transmit_obeys_the_bridge_policy() {
    let url = or_skip!(bridge_url());
    let (bridge, session) = session_with(url, "default").await;
    let select_jpki = hex("00A4040C0AD392F000260100000001");
    let response: Uint8Array = ok(&session, "transmit", &[select_jpki]).await.into();
    assert_eq!(response.to_vec(), [0x90, 0x00]);
    // The 券面事項入力補助AP holds the 個人番号: refused before it reaches the card.
    let (code, _) = fails(
        &session,
        "transmit",
        &[hex("00A4040C0AD3921000310001010408")],
    )
    .await;
    assert_eq!(code, "policy-denied");
    // A raw VERIFY would spend a PIN try: refused.
    let (code, _) = fails(&session, "transmit", &[hex("002000800431323334")]).await;
    assert_eq!(code, "policy-denied");
    assert_eq!(remaining(&session).await, 3.0);
    invoke(&bridge, "close", &[]);
}

fn hex(s: &str) -> JsValue {
    let bytes: Vec<u8> = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect();
    Uint8Array::from(bytes.as_slice()).into()
}

#[wasm_bindgen_test(async)]
async fn a_wrong_pin_uses_exactly_one_try_and_the_right_one_signs() {
    let url = or_skip!(bridge_url());
    let (bridge, session) = session_with(url, "default").await;
    // Exactly one try was used.
    assert_refused(&session, "0000", false, "pin-incorrect", 2.0).await;

    let auth = authenticate_ok(&session, "1234", false).await;
    assert_eq!(string(&auth, "algorithm"), "RS256");
    let signature: Uint8Array = get(&auth, "signature").into();
    assert_eq!(signature.length(), 256);
    let certificate: Uint8Array = get(&auth, "certificate").into();
    let info = myna_web::parse_certificate(&certificate.to_vec()).unwrap();
    assert_eq!(string(&info, "serialNumber"), DEFAULT_SERIAL);
    assert_eq!(
        remaining(&session).await,
        3.0,
        "a good PIN resets the counter"
    );
    invoke(&bridge, "close", &[]);
}

#[wasm_bindgen_test(async)]
async fn the_last_try_needs_consent_and_a_new_presentation_and_a_blocked_pin_says_so() {
    let url = or_skip!(bridge_url());
    let (bridge, session) = session_with(url, "last-try").await;
    // The pin was not sent.
    assert_refused(&session, "0000", false, "last-attempt-needs-consent", 1.0).await;
    // Consent alone is not enough: the card must be presented again (issue 11).
    // The pin was not sent.
    assert_refused(
        &session,
        "6666",
        true,
        "last-attempt-needs-representation",
        1.0,
    )
    .await;
    ok(&bridge, "simulateReinsert", &[]).await;
    let session = ok(&bridge, "connect", &[READER.into()]).await;
    let auth = authenticate_ok(&session, "6666", true).await;
    assert_eq!(string(&auth, "algorithm"), "RS256");

    ok(&bridge, "simulateInsert", &["blocked".into()]).await;
    let session = ok(&bridge, "connect", &[READER.into()]).await;
    let (code, error) = authenticate_fails(&session, "5555", true).await;
    assert_eq!(code, "pin-blocked");
    assert_eq!(get(&error, "remaining").as_f64(), Some(0.0));
    let status = ok(&session, "pinStatus", &[]).await;
    assert_eq!(get(&status, "blocked"), JsValue::TRUE);
    invoke(&bridge, "close", &[]);
}

#[wasm_bindgen_test(async)]
async fn bad_pins_and_nonces_never_reach_the_card() {
    let url = or_skip!(bridge_url());
    let (bridge, session) = session_with(url, "default").await;
    for pin in ["12a4", "123", "12345", "１２３４"] {
        let (code, _) = authenticate_fails(&session, pin, false).await;
        assert_eq!(code, "invalid-pin", "{pin}");
    }
    let short_nonce = object(&[("nonce", "abc".into()), ("pin", "1234".into())]);
    let (code, _) = fails(&session, "authenticate", &[short_nonce]).await;
    assert_eq!(code, "bad-request");
    let (code, _) = fails(
        &session,
        "authenticate",
        &[object(&[("pin", "1234".into())])],
    )
    .await;
    assert_eq!(code, "invalid-argument");
    assert_eq!(remaining(&session).await, 3.0);
    invoke(&bridge, "close", &[]);
}

#[wasm_bindgen_test(async)]
async fn a_removed_card_is_card_removed_and_an_empty_reader_no_card() {
    let url = or_skip!(bridge_url());
    let (bridge, session) = session_with(url, "default").await;
    ok(&bridge, "simulateRemove", &[]).await;
    let (code, _) = fails(&session, "readAuthCertificate", &[]).await;
    assert_eq!(code, "card-removed");
    let (code, _) = fails(&bridge, "connect", &[READER.into()]).await;
    assert_eq!(code, "no-card");
    let (code, _) = fails(&bridge, "connect", &["No Such Reader".into()]).await;
    assert_eq!(code, "no-reader");
    ok(&bridge, "simulateInsert", &["default".into()]).await;
    invoke(&bridge, "close", &[]);
}

#[wasm_bindgen_test(async)]
async fn a_lost_connection_reconnects_and_old_sessions_say_so() {
    let url = or_skip!(bridge_url());
    let states = Recorder::new();
    let bridge = connect(url, object(&[("onStateChange", states.function())])).await;
    ok(&bridge, "simulateInsert", &["default".into()]).await;
    let old = ok(&bridge, "connect", &[READER.into()]).await;
    invoke(&bridge, "__dropConnection", &[]);
    assert!(
        states
            .wait_for(10_000, |r| {
                let s = r.field("state");
                s.len() >= 4 && s[2] == "reconnecting" && s.last().unwrap() == "connected"
            })
            .await,
        "states: {:?}",
        states.field("state")
    );
    let reconnecting = states.events.get(2);
    assert_eq!(get(&reconnecting, "attempt").as_f64(), Some(1.0));
    assert_eq!(get(&reconnecting, "delayMs").as_f64(), Some(500.0));
    assert_eq!(code(&get(&reconnecting, "error")), "connection-lost");
    let (code, _) = fails(&old, "pinStatus", &[]).await;
    assert_eq!(code, "connection-lost");
    let fresh = ok(&bridge, "connect", &[READER.into()]).await;
    assert_eq!(remaining(&fresh).await, 3.0);
    invoke(&bridge, "close", &[]);
    let (code, _) = fails(&bridge, "listReaders", &[]).await;
    assert_eq!(code, "bridge-closed");
}

#[wasm_bindgen_test(async)]
async fn requests_in_flight_fail_when_the_connection_drops() {
    let url = or_skip!(bridge_url());
    let closed = Recorder::new();
    let bridge = connect(
        url,
        object(&[
            ("reconnect", JsValue::FALSE),
            ("onStateChange", closed.function()),
        ]),
    )
    .await;
    let pending = invoke(&bridge, "listReaders", &[]);
    invoke(&bridge, "__dropConnection", &[]);
    // The answer may win the race; if it does not, the request fails as connection-lost.
    match JsFuture::from(js_sys::Promise::from(pending)).await {
        Ok(readers) => assert!(Array::is_array(&readers)),
        Err(e) => assert_eq!(code(&e), "connection-lost"),
    }
    assert!(
        closed
            .wait_for(3000, |r| r.field("state").last().map(String::as_str)
                == Some("closed"))
            .await
    );
    let (code, _) = fails(&bridge, "listReaders", &[]).await;
    assert_eq!(code, "bridge-closed");
}
