//! Local Network Access as the module sees it, in real Chromium and Firefox ESR.
//!
//! `cargo xtask wasm-tests` runs this file once per browser and LNA mode (see
//! `xtask/browser/drive.mjs`): the page is then `http://reception.test:PORT`, which the browser
//! counts as a **public** site (its address-space override) reaching the bridge on loopback, with
//! the `loopback-network` permission set by the automation protocol. The mode reaches the page
//! in the URL's fragment (`#lna=denied`). In a plain run (`#lna=off`, or no fragment) the page
//! is on loopback, where the gate does not apply. Like the other browser tests, a test whose
//! `MYNA_TEST_*` address is unset fails (`common::required`; `MYNA_TEST_ALLOW_SKIP` skips it).
//!
//! What each browser lets the module tell apart (measured here, Chromium 156, Firefox 153 ESR):
//! - a permission denied for the site (Chromium's and Firefox's per-site "block"):
//!   `navigator.permissions.query({name: "loopback-network"})` says `denied` in both →
//!   `permission-denied` before any request;
//! - a prompt nobody answers: Firefox holds the request until its prompt times out, the state
//!   stays `prompt` → `permission-pending`. Chromium headless answers every prompt at once with
//!   a block (the state turns `denied`) → `permission-denied`; an unanswered prompt cannot be
//!   produced in headless Chromium;
//! - granted: the bridge is reached; the state event says `granted`;
//! - the enterprise policy files of docs/install.md (mode `policy`, the browser started in a
//!   private mount namespace that holds them): the bridge is reached without a prompt;
//!   Chromium's state says `granted`, Firefox's still says `prompt`.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The LNA mode the browser was started in (`off` without a fragment).
fn lna_mode() -> String {
    let hash = web_sys::window().unwrap().location().hash().unwrap();
    hash.strip_prefix("#lna=").unwrap_or("off").to_string()
}

fn is_firefox() -> bool {
    web_sys::window()
        .unwrap()
        .navigator()
        .user_agent()
        .unwrap()
        .contains("Firefox/")
}

/// What `connectBridge` ends in, with the `permission` its state events reported.
async fn connect(url: &str) -> (Result<JsValue, String>, Vec<String>) {
    let states = Recorder::new();
    let options = object(&[
        ("onStateChange", states.function()),
        ("reconnect", false.into()),
    ]);
    let result = JsFuture::from(myna_web::connect_bridge(url.into(), options))
        .await
        .map_err(|e| code(&e));
    let permission = states
        .field("permission")
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect();
    (result, permission)
}

#[wasm_bindgen_test(async)]
async fn the_gate_is_reported_as_the_browser_decides() {
    let url = or_skip!(required_env!("MYNA_TEST_BRIDGE_URL"));
    let mode = lna_mode();
    let (result, permission) = connect(url).await;
    match mode.as_str() {
        "off" => {
            let bridge = result.expect("a loopback page reaches the bridge");
            assert_eq!(permission, ["not-applicable"]);
            invoke(&bridge, "close", &[]);
        }
        "granted" => {
            let bridge = result.expect("a granted public page reaches the bridge");
            assert_eq!(permission, ["granted"]);
            // The bridge saw the public origin, not loopback.
            assert_eq!(get(&bridge, "origin").as_string().unwrap(), page_origin());
            assert!(page_origin().starts_with("http://reception.test:"));
            invoke(&bridge, "close", &[]);
        }
        "denied" => {
            assert_eq!(result.err().as_deref(), Some("permission-denied"));
            assert_eq!(permission, ["denied"]);
        }
        "prompt" if is_firefox() => {
            // Firefox shows its prompt; nobody answers; the request fails when it times out.
            assert_eq!(result.err().as_deref(), Some("permission-pending"));
            assert_eq!(permission, ["prompt"]);
        }
        "prompt" => {
            // Headless Chromium blocks the prompt at once: the state turns "denied".
            assert_eq!(result.err().as_deref(), Some("permission-denied"));
            assert_eq!(permission, ["prompt"]);
        }
        "policy" => {
            // docs/install.md's policy files, read by the real browser: no prompt, connected.
            let bridge = result.expect("the policy lets the public page reach the bridge");
            // Chromium reports the policy's allow; Firefox's SkipDomains leaves the state at
            // "prompt" while allowing the request.
            let expected = if is_firefox() { "prompt" } else { "granted" };
            assert_eq!(permission, [expected]);
            assert_eq!(get(&bridge, "origin").as_string().unwrap(), page_origin());
            invoke(&bridge, "close", &[]);
        }
        other => panic!("unknown LNA mode {other}"),
    }
}

#[wasm_bindgen_test(async)]
async fn a_dead_port_is_not_a_permission_problem() {
    // Nothing listens there; with the permission granted (or on loopback) the module must say
    // the bridge is not running, not blame the browser; with a block, the block.
    let url = or_skip!(required_env!("MYNA_TEST_CLOSED_URL"));
    let mode = lna_mode();
    if mode == "prompt" {
        // What a prompt does to a dead port is the browser's affair (the first test covers the
        // prompt against a live bridge).
        console_log!("not checked in LNA mode prompt");
        return;
    }
    let (result, _) = connect(url).await;
    let expected = if mode == "denied" {
        // A block is reported first: it is what staff must fix, whatever else is wrong.
        "permission-denied"
    } else {
        "bridge-not-running"
    };
    assert_eq!(result.err().as_deref(), Some(expected));
}
