//! `confirmQualification` end to end: a real `myna-bridge --simulate` and a real `myna-demo`
//! eligibility service, started by `cargo xtask wasm-tests`. Without them every test here fails
//! (`common::required`), unless built with `MYNA_TEST_ALLOW_SKIP`.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const READER: &str = "myna-web Virtual Reader";

struct Env {
    bridge: JsValue,
    service: &'static str,
    token: String,
}

fn urls() -> Option<(&'static str, &'static str)> {
    Some((
        required_env!("MYNA_TEST_BRIDGE_URL")?,
        required_env!("MYNA_TEST_SERVICE_URL")?,
    ))
}

/// Registers a terminal with the demo facility (as the demo page does) and returns its token.
async fn activate(service: &str) -> String {
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    let headers = web_sys::Headers::new().unwrap();
    headers.set("Content-Type", "application/json").unwrap();
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(
        r#"{"facilityCode":"1399999999","userId":"W0000001","activationCode":"DEMO0001","deviceName":"wasm-bindgen-test"}"#,
    ));
    let request = web_sys::Request::new_with_str_and_init(
        &format!("{service}/api/v1/terminals/activate"),
        &init,
    )
    .unwrap();
    let window = web_sys::window().unwrap();
    let response: web_sys::Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .expect("activation request")
        .into();
    assert_eq!(response.status(), 201, "activation failed");
    let body = JsFuture::from(response.json().unwrap()).await.unwrap();
    string(&body, "token")
}

async fn env(persona: Option<&str>) -> Option<Env> {
    let (bridge_url, service) = urls()?;
    let bridge = JsFuture::from(myna_web::connect_bridge(
        bridge_url.into(),
        JsValue::UNDEFINED,
    ))
    .await
    .expect("connectBridge");
    match persona {
        Some(p) => ok(&bridge, "simulateInsert", &[p.into()]).await,
        None => ok(&bridge, "simulateRemove", &[]).await,
    };
    let token = activate(service).await;
    Some(Env {
        bridge,
        service,
        token,
    })
}

fn options(env: &Env, extra: &[(&str, JsValue)]) -> JsValue {
    let mut pairs = vec![
        ("bridge", env.bridge.clone()),
        ("serviceUrl", env.service.into()),
        ("terminalToken", env.token.as_str().into()),
    ];
    pairs.extend(extra.iter().cloned());
    object(&pairs)
}

/// PIN mode with `pin`.
fn pin_options(env: &Env, pin: &str) -> JsValue {
    options(env, &[("mode", "pin".into()), ("pin", pin.into())])
}

/// PIN mode with `pin`, a service time limit of `timeout_ms` and, when given, `on_progress`.
fn timed_pin_options(
    env: &Env,
    pin: &str,
    timeout_ms: u32,
    on_progress: Option<JsValue>,
) -> JsValue {
    let mut extra = vec![
        ("mode", "pin".into()),
        ("pin", pin.into()),
        ("serviceTimeoutMs", timeout_ms.into()),
    ];
    extra.extend(on_progress.map(|f| ("onProgress", f)));
    options(env, &extra)
}

/// 目視, by an operator named `x`.
fn visual_options(env: &Env) -> JsValue {
    options(env, &[("mode", "visual".into()), ("operator", "x".into())])
}

async fn confirm(options: JsValue) -> Result<JsValue, JsValue> {
    JsFuture::from(myna_web::confirm_qualification(options)).await
}

/// `confirmQualification` must fail with the error code `expected`; the error.
async fn confirm_err(options: JsValue, expected: &str) -> JsValue {
    match confirm(options).await {
        Ok(v) => panic!("expected {expected}, got an answer {v:?}"),
        Err(e) => {
            assert_eq!(code(&e), expected, "{e:?}");
            e
        }
    }
}

/// `confirmQualification` with `extra` options and a progress recorder; it must answer: the
/// result and what `onProgress` reported.
async fn confirmed(env: &Env, extra: &[(&str, JsValue)]) -> (JsValue, Recorder) {
    let progress = Recorder::new();
    let mut extra = extra.to_vec();
    extra.push(("onProgress", progress.function()));
    let result = confirm(options(env, &extra)).await.expect("an answer");
    (result, progress)
}

/// The answer's 資格有効性 (`qualificationValidity`) in a `confirmQualification` result.
fn validity(result: &JsValue) -> String {
    string(result, "qualification.messageBody.qualificationValidity")
}

/// `renderQualification(result)` into a fresh container.
fn rendered(result: JsValue) -> web_sys::Element {
    let host = container();
    myna_web::render_qualification(&host, result, JsValue::UNDEFINED).unwrap();
    host
}

#[wasm_bindgen_test(async)]
async fn visual_mode_confirms_and_renders() {
    let env = or_skip!(env(Some("default")).await);
    let voucher = object(&[
        ("insurerNumber", "０１１３００１２".into()),
        ("insuredIdentificationNumber", "1001".into()),
    ]);
    let (result, progress) = confirmed(
        &env,
        &[
            ("mode", "visual".into()),
            ("operator", "受付 佐藤".into()),
            ("voucher", voucher),
        ],
    )
    .await;
    assert_strings(&result, &[("mode", "visual"), ("reader", READER)]);
    let q = get(&result, "qualification");
    assert_strings(
        &q,
        &[
            ("messageHeader.segmentOfResult", "1"),
            ("messageBody.qualificationValidity", "1"),
            ("messageBody.resultList.0.insurerNumber", "01130012"),
            ("messageBody.resultList.0.name", "山田\u{3000}太郎"),
        ],
    );
    assert!(string(&result, "xml").contains("<XmlMsg"));
    assert_eq!(
        get(&get(&result, "voucherComparison"), "isMatch"),
        JsValue::TRUE
    );
    assert_eq!(
        progress.field("step"),
        ["challenge", "card", "certificate", "confirmation", "done"]
    );
    assert_eq!(
        get(&progress.events.get(4), "qualificationValidity"),
        JsValue::from_str("1")
    );

    let host = rendered(result);
    assert_eq!(text(&host, ".myna-status__value"), "有効");
    assert!(
        host.query_selector(".myna-voucher--match")
            .unwrap()
            .is_some()
    );
    assert_eq!(
        field(&section(&host, "資格情報"), "保険者番号").unwrap(),
        "01130012"
    );
}

#[wasm_bindgen_test(async)]
async fn pin_mode_confirms_with_the_bridge_signature() {
    let env = or_skip!(env(Some("kokuho")).await);
    let pin = [("mode", "pin".into()), ("pin", "2345".into())];
    let (result, progress) = confirmed(&env, &pin).await;
    assert_eq!(string(&result, "mode"), "pin");
    let q = get(&result, "qualification");
    assert_eq!(
        string(&q, "messageBody.resultList.0.insurerNumber"),
        "138057"
    );
    assert_eq!(
        progress.field("step"),
        ["challenge", "card", "authenticate", "confirmation", "done"]
    );
    assert!(get(&result, "voucherComparison").is_undefined());
}

#[wasm_bindgen_test(async)]
async fn a_wrong_pin_fails_once_and_is_never_retried() {
    let env = or_skip!(env(Some("default")).await);
    let error = confirm_err(pin_options(&env, "9999"), "pin-incorrect").await;
    assert_eq!(get(&error, "remaining").as_f64(), Some(2.0));
    let session = ok(&env.bridge, "connect", &[READER.into()]).await;
    let status = ok(&session, "pinStatus", &[]).await;
    assert_eq!(
        get(&status, "remaining").as_f64(),
        Some(2.0),
        "one try only"
    );
}

#[wasm_bindgen_test(async)]
async fn the_last_try_needs_consent() {
    let env = or_skip!(env(Some("last-try")).await);
    let error = confirm_err(pin_options(&env, "6666"), "last-attempt-needs-consent").await;
    assert_eq!(get(&error, "remaining").as_f64(), Some(1.0));
    let with_consent = || {
        options(
            &env,
            &[
                ("mode", "pin".into()),
                ("pin", "6666".into()),
                ("allowLastAttempt", JsValue::TRUE),
            ],
        )
    };
    // Consent alone is not enough: the card must be taken off and presented again.
    let error = confirm_err(with_consent(), "last-attempt-needs-representation").await;
    assert_eq!(get(&error, "remaining").as_f64(), Some(1.0));
    ok(&env.bridge, "simulateReinsert", &[]).await;
    let result = confirm(with_consent()).await.expect("with consent");
    assert_eq!(validity(&result), "1");
}

#[wasm_bindgen_test(async)]
async fn card_and_reader_problems() {
    let env = or_skip!(env(None).await);
    confirm_err(visual_options(&env), "no-card").await;
    ok(&env.bridge, "simulateInsert", &["default".into()]).await;
    let error = confirm_err(
        options(
            &env,
            &[
                ("mode", "visual".into()),
                ("operator", "x".into()),
                ("reader", "Another Reader".into()),
            ],
        ),
        "no-reader",
    )
    .await;
    assert_eq!(get(&error, "reader").as_string().unwrap(), "Another Reader");
    confirm_err(pin_options(&env, "12"), "invalid-pin").await;
    confirm_err(
        options(&env, &[("mode", "face".into())]),
        "invalid-argument",
    )
    .await;
}

#[wasm_bindgen_test(async)]
async fn service_errors_carry_the_service_code() {
    let mut env = or_skip!(env(Some("default")).await);
    env.token = "not-a-token".into();
    let error = confirm_err(visual_options(&env), "service-error").await;
    assert_eq!(get(&error, "errorCode").as_string().unwrap(), "MW0002");
    assert_eq!(get(&error, "status").as_f64(), Some(401.0));
    assert!(get(&error, "errorMessage").is_string());
}

#[wasm_bindgen_test(async)]
async fn an_expired_certificate_is_refused_by_the_service() {
    let env = or_skip!(env(Some("expired-cert")).await);
    let error = confirm_err(pin_options(&env, "3333"), "service-error").await;
    assert_eq!(get(&error, "errorCode").as_string().unwrap(), "MW0008");
}

#[wasm_bindgen_test(async)]
async fn an_unlinked_card_is_a_normal_answer_without_qualification() {
    let env = or_skip!(env(Some("unlinked")).await);
    let result = confirm(pin_options(&env, "2222")).await.expect("answer");
    assert_eq!(validity(&result), "4");
    let host = rendered(result);
    assert_eq!(text(&host, ".myna-status__value"), "該当資格なし");
}

#[wasm_bindgen_test(async)]
async fn an_elderly_persona_shows_the_elderly_section() {
    let env = or_skip!(env(Some("elderly-70")).await);
    let result = confirm(pin_options(&env, "4567")).await.expect("answer");
    let host = rendered(result);
    let elderly = section(&host, "高齢受給者証");
    assert!(field(&elderly, "負担割合").unwrap().ends_with('割'));
}

#[wasm_bindgen_test(async)]
async fn an_unreachable_service_is_service_unreachable() {
    let mut env = or_skip!(env(Some("default")).await);
    env.service = option_env!("MYNA_TEST_CLOSED_SERVICE_URL").unwrap_or("http://127.0.0.1:1");
    let error = confirm_err(visual_options(&env), "service-unreachable").await;
    assert!(
        get(&error, "url")
            .as_string()
            .unwrap()
            .ends_with("/api/v1/challenges")
    );
}

/// The stand-in service that never answers or stalls (see xtask's `SlowService`).
fn slow_service() -> Option<&'static str> {
    required_env!("MYNA_TEST_SLOW_SERVICE_URL")
}

fn now_ms() -> f64 {
    web_sys::window().unwrap().performance().unwrap().now()
}

/// How many connections the slow service holds unanswered on `route`.
async fn held(slow: &str, route: &str) -> f64 {
    let window = web_sys::window().unwrap();
    let response: web_sys::Response =
        JsFuture::from(window.fetch_with_str(&format!("{slow}/held")))
            .await
            .expect("GET /held")
            .into();
    let body = JsFuture::from(response.json().unwrap()).await.unwrap();
    get(&body, route).as_f64().expect("a count")
}

/// Waits up to 5 s for the browser to close the connections it held open on `route` (the
/// aborted request); returns how many are still open.
async fn held_after_abort(slow: &str, route: &str) -> f64 {
    let mut open = held(slow, route).await;
    for _ in 0..50 {
        if open == 0.0 {
            break;
        }
        sleep(100).await;
        open = held(slow, route).await;
    }
    open
}

/// The PIN tries left on the card, read through a fresh card session.
async fn tries_left(env: &Env) -> f64 {
    let session = ok(&env.bridge, "connect", &[READER.into()]).await;
    let status = ok(&session, "pinStatus", &[]).await;
    ok(&session, "disconnect", &[]).await;
    get(&status, "remaining").as_f64().expect("remaining")
}

#[wasm_bindgen_test(async)]
async fn a_service_that_never_answers_times_out_at_the_challenge_before_the_card_is_touched() {
    let slow = or_skip!(slow_service());
    let mut env = or_skip!(env(Some("default")).await);
    let real = env.service;
    // "silent" leaves even the CORS preflight unanswered; "unanswered" answers the preflight
    // and holds the POST itself.
    for route in ["silent", "unanswered"] {
        env.service = Box::leak(format!("{slow}/{route}").into_boxed_str());
        let progress = Recorder::new();
        let started = now_ms();
        let error = confirm_err(
            timed_pin_options(&env, "1234", 1000, Some(progress.function())),
            "service-timeout",
        )
        .await;
        let elapsed = now_ms() - started;
        assert_eq!(get(&error, "timeoutMs").as_f64(), Some(1000.0));
        let url = get(&error, "url").as_string().unwrap();
        assert!(
            url.ends_with(&format!("/{route}/api/v1/challenges")),
            "{url}"
        );
        console_log!(
            "{route}: service-timeout at the challenge after {elapsed:.0} ms (limit 1000 ms)"
        );
        assert!(
            (900.0..10_000.0).contains(&elapsed),
            "{route}: gave up after {elapsed} ms"
        );
        assert_eq!(
            progress.field("step"),
            ["challenge"],
            "the card was not used"
        );
    }
    // The abort closes the request's connection. (A preflight left hanging is the browser's
    // own request; whether it drops it on abort is not this module's to decide — logged only.)
    assert_eq!(
        held_after_abort(slow, "unanswered").await,
        0.0,
        "the aborted request's connection is closed"
    );
    console_log!(
        "silent: {} connection(s) still held after the abort",
        held(slow, "silent").await
    );

    // The bridge and the card are as before: tries untouched, and a confirmation with the
    // real service (and the largest time limit) goes through.
    assert_eq!(tries_left(&env).await, 3.0);
    env.service = real;
    let result = confirm(timed_pin_options(&env, "1234", 300_000, None))
        .await
        .expect("a confirmation after the timeout");
    assert_eq!(validity(&result), "1");
}

#[wasm_bindgen_test(async)]
async fn a_stalled_confirmation_body_times_out_after_the_card_signed() {
    let slow = or_skip!(slow_service());
    let mut env = or_skip!(env(Some("default")).await);
    let real = env.service;
    let stalling = format!("{slow}/stalling");
    env.service = Box::leak(stalling.into_boxed_str());
    // When the confirmation request started.
    let confirmation_at = std::rc::Rc::new(std::cell::Cell::new(0.0));
    let mark = confirmation_at.clone();
    let steps = js_sys::Array::new();
    let sink = steps.clone();
    let on_progress = wasm_bindgen::closure::Closure::<dyn FnMut(JsValue)>::new(move |e| {
        let step = get(&e, "step");
        if step.as_string().as_deref() == Some("confirmation") {
            mark.set(now_ms());
        }
        sink.push(&step);
    });
    let error = confirm_err(
        timed_pin_options(&env, "1234", 1000, Some(on_progress.as_ref().clone())),
        "service-timeout",
    )
    .await;
    let elapsed = now_ms() - confirmation_at.get();
    assert_eq!(get(&error, "timeoutMs").as_f64(), Some(1000.0));
    assert!(
        get(&error, "url")
            .as_string()
            .unwrap()
            .ends_with("/stalling/api/v1/confirmations")
    );
    assert_eq!(
        strings(&steps),
        ["challenge", "card", "authenticate", "confirmation"]
    );
    console_log!(
        "service-timeout in the confirmation's body after {elapsed:.0} ms (limit 1000 ms)"
    );
    assert!(
        (900.0..10_000.0).contains(&elapsed),
        "gave up {elapsed} ms after the confirmation started"
    );
    assert_eq!(
        held_after_abort(slow, "stalling").await,
        0.0,
        "the aborted body read's connection is closed"
    );

    // The PIN was right and sent once: all tries are left, the card session was released,
    // and a new attempt (a new challenge) with the real service goes through.
    assert_eq!(tries_left(&env).await, 3.0);
    env.service = real;
    let result = confirm(pin_options(&env, "1234"))
        .await
        .expect("a new attempt after the timeout");
    assert_eq!(validity(&result), "1");
}

#[wasm_bindgen_test(async)]
async fn the_service_time_limit_is_validated_before_anything_is_sent() {
    let env = or_skip!(env(Some("default")).await);
    for bad in [
        JsValue::from(0),
        JsValue::from(-1000),
        JsValue::from(1.5),
        JsValue::from(300_001),
        JsValue::from(f64::NAN),
        JsValue::from(f64::INFINITY),
        JsValue::from_str("1000"),
        JsValue::TRUE,
    ] {
        let progress = Recorder::new();
        let error = confirm(options(
            &env,
            &[
                ("mode", "visual".into()),
                ("operator", "x".into()),
                ("serviceTimeoutMs", bad.clone()),
                ("onProgress", progress.function()),
            ],
        ))
        .await
        .expect_err("refused");
        assert_eq!(code(&error), "invalid-argument", "{bad:?}");
        assert!(
            get(&error, "message")
                .as_string()
                .unwrap()
                .contains("serviceTimeoutMs")
        );
        assert!(progress.field("step").is_empty(), "nothing was sent");
    }
    // null is "not given": the default applies.
    let result = confirm(options(
        &env,
        &[
            ("mode", "visual".into()),
            ("operator", "x".into()),
            ("serviceTimeoutMs", JsValue::NULL),
        ],
    ))
    .await
    .expect("the default time limit");
    assert_eq!(string(&result, "mode"), "visual");
}
