//! Issue 11 item 6, the demo page's side: the page's URL cannot choose the bridge
//! (`?bridge=` could send the patient's PIN to a stranger's server), the server's operator
//! chooses it (`--bridge-url`, loopback only), and the page's CSP lets it connect only to
//! itself and that loopback bridge.

mod support;

use std::process::Command;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use myna_demo::app;
use myna_demo::http::web::{APP_JS, check_bridge_url};
use support::Harness;

async fn get(router: &axum::Router, path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;
    let response = router
        .clone()
        .oneshot(
            Request::builder()
                .method(Method::GET)
                .uri(path)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8(body.to_vec()).unwrap())
}

fn connect_src(csp: &str) -> Vec<String> {
    csp.split(';')
        .map(str::trim)
        .find_map(|d| d.strip_prefix("connect-src "))
        .expect("a connect-src directive")
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// The CSP allowed `connect-src 'self' ws: wss: http: https:` — any host.
#[tokio::test]
async fn issue_11_the_page_connects_only_to_itself_and_its_loopback_bridge() {
    let h = Harness::new().await;
    let (status, headers, _) = get(&h.router, "/").await;
    assert_eq!(status, StatusCode::OK);
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert_eq!(
        connect_src(csp),
        ["'self'", "ws://127.0.0.1:27450", "http://127.0.0.1:27450"]
    );
    assert!(
        csp.contains("default-src 'self'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    let (_, _, config) = get(&h.router, "/config.js").await;
    assert!(
        config.contains(r#"export const BRIDGE_URL = "ws://127.0.0.1:27450/v1";"#),
        "{config}"
    );
    // The operator's choice moves both.
    let state = h.state.clone().with_bridge_url("ws://[::1]:41000").unwrap();
    let router = app(state);
    let (_, headers, _) = get(&router, "/").await;
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert_eq!(
        connect_src(csp),
        ["'self'", "ws://[::1]:41000", "http://[::1]:41000"]
    );
    let (_, _, config) = get(&router, "/config.js").await;
    assert!(config.contains(r#""ws://[::1]:41000/v1""#), "{config}");
}

#[test]
fn issue_11_only_a_loopback_bridge_url_is_accepted() {
    for (ok, normal) in [
        ("ws://127.0.0.1:27450/v1", "ws://127.0.0.1:27450/v1"),
        ("ws://localhost:9", "ws://localhost:9/v1"),
        ("ws://[::1]:41000/", "ws://[::1]:41000/v1"),
    ] {
        assert_eq!(check_bridge_url(ok).unwrap(), normal);
    }
    for bad in [
        "ws://attacker.example:27450/v1",
        "wss://127.0.0.1:27450/v1",
        "ws://192.168.1.2:27450/v1",
        "ws://127.0.0.1/v1",
        "ws://127.0.0.1:27450/v1?x",
        "ws://127.0.0.1:27450/other",
        "ws://127.0.0.1:27450 connect-src *",
        "ws://u@127.0.0.1:1/v1",
    ] {
        assert!(check_bridge_url(bad).is_err(), "{bad}");
    }
}

/// `app.js` took `?bridge=` from its URL.
#[test]
fn issue_11_the_page_script_does_not_read_its_url_for_the_bridge() {
    assert!(APP_JS.contains(r#"import { BRIDGE_URL } from "./config.js";"#));
    for reads_url in [
        "location.search",
        "URLSearchParams",
        "location.hash",
        "?bridge",
    ] {
        assert!(!APP_JS.contains(reads_url), "app.js uses {reads_url}");
    }
}

/// The page renews its terminal token (tokens now end after 24 h).
#[tokio::test]
async fn the_page_renews_its_terminal_token() {
    let h = Harness::new().await;
    let (status, headers, js) = get(&h.router, "/terminal-token.js").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(js.contains("/api/v1/terminals/token"), "{js}");
    assert!(APP_JS.contains("keepTerminalTokenFresh(SERVICE_URL, STORE.terminal, forgetTerminal)"));
}

#[test]
fn issue_11_serve_refuses_a_bridge_url_off_this_computer() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_myna-demo"))
        .args(["serve", "--listen", "127.0.0.1:0", "--bridge-url"])
        .arg("ws://attacker.example:27450/v1")
        .arg("--db")
        .arg(dir.path().join("x.sqlite3"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("must be on this computer"), "{stderr}");
}
