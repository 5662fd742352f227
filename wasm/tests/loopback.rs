//! Issue 11 item 6 in a real browser: `connectBridge` refuses a bridge that is not on this
//! computer with `bridge-not-loopback` before anything reaches the network (the page would
//! send the patient's PIN there), unless the caller opts in with `allowNonLoopbackBridge`.
//!
//! `fetch` and `WebSocket` are replaced by spies that record every use and connect nowhere,
//! so "before any connection" is observed, not assumed. Needs no bridge.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn js(body: &str) -> JsValue {
    js_sys::Function::new_no_args(body)
        .call0(&JsValue::NULL)
        .expect("test script")
}

fn install_spies() {
    js("const g = globalThis;
        g.__mynaSpy = { calls: [], fetch: g.fetch, WebSocket: g.WebSocket };
        g.fetch = function (input) {
            g.__mynaSpy.calls.push('fetch ' + ((input && input.url) || input));
            return Promise.reject(new TypeError('blocked by the test'));
        };
        g.WebSocket = function (url) {
            g.__mynaSpy.calls.push('websocket ' + url);
            throw new DOMException('blocked by the test', 'SecurityError');
        };");
}

fn network_calls() -> Vec<String> {
    strings(&js("return globalThis.__mynaSpy.calls.slice();"))
}

fn restore_spies() {
    js("const g = globalThis;
        g.fetch = g.__mynaSpy.fetch;
        g.WebSocket = g.__mynaSpy.WebSocket;");
}

#[wasm_bindgen_test(async)]
async fn issue_11_a_non_loopback_bridge_is_refused_before_any_connection() {
    install_spies();
    for url in [
        "ws://attacker.example:27450/v1",
        "wss://bridge.clinic.example.jp/v1",
        "ws://192.168.1.5:27450",
        "ws://localhost.attacker.example:27450/v1",
        "https://attacker.example/v1",
    ] {
        let (code, error) = connect_refused(url).await;
        assert_eq!(code, "bridge-not-loopback", "{url}");
        assert!(
            get(&error, "url")
                .as_string()
                .is_some_and(|u| u.contains("attacker")
                    || u.contains("clinic")
                    || u.contains("192.168"))
        );
        // `false` is the default, not an opt-in.
        let no = object(&[("allowNonLoopbackBridge", false.into())]);
        let (code, _) = rejection(myna_web::connect_bridge(url.into(), no)).await;
        assert_eq!(code, "bridge-not-loopback", "{url}");
    }
    let calls = network_calls();
    // The opt-in goes to the network (here: the spy, which refuses).
    let opt_in = object(&[("allowNonLoopbackBridge", true.into())]);
    let (code, _) = rejection(myna_web::connect_bridge(
        "ws://bridge.clinic.example.jp:27450/v1".into(),
        opt_in,
    ))
    .await;
    let after_opt_in = network_calls();
    restore_spies();
    assert!(calls.is_empty(), "the network was used: {calls:?}");
    assert_ne!(code, "bridge-not-loopback");
    assert!(
        after_opt_in
            .iter()
            .any(|c| c.contains("bridge.clinic.example.jp")),
        "{after_opt_in:?}"
    );
    // A non-boolean opt-in is a caller's mistake, not a yes.
    let odd = object(&[("allowNonLoopbackBridge", "yes".into())]);
    let (code, _) = rejection(myna_web::connect_bridge(
        "ws://attacker.example:1/v1".into(),
        odd,
    ))
    .await;
    assert_eq!(code, "invalid-argument");
}
