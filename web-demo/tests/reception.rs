//! The reception page's routes (`/`, `/app.js`, `/app.css`, `/pkg/…`) and the fallback record
//! (`POST /api/v1/fallbacks`), through `app()` and `oneshot`.

mod support;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use myna_demo::app;
use serde_json::json;
use support::Harness;

async fn get(h: &Harness, path: &str) -> support::Reply {
    h.send(Request::get(path).body(Body::empty()).unwrap())
        .await
}

#[tokio::test]
async fn the_page_its_script_and_style_are_served_with_a_strict_policy() {
    let h = Harness::new().await;
    let page = get(&h, "/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.content_type(), "text/html; charset=utf-8");
    let html = String::from_utf8(page.body.clone()).unwrap();
    assert!(html.contains("健診受付 資格確認"));
    assert!(html.contains(r#"src="/app.js""#));
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(page.headers["x-content-type-options"], "nosniff");

    let js = get(&h, "/app.js").await;
    assert_eq!(js.status, StatusCode::OK);
    assert_eq!(js.content_type(), "text/javascript; charset=utf-8");
    assert!(String::from_utf8_lossy(&js.body).contains("confirmQualification"));
    // The last-try guidance (issue 11), an ES module of its own that app.js imports.
    // (by a relative URL, which tsc can follow too: see xtask/tsc/tsconfig.json).
    assert!(String::from_utf8_lossy(&js.body).contains(r#"from "./representation.js""#));
    // The page's modules, each type-checked (`// @ts-check`).
    assert!(String::from_utf8_lossy(&js.body).starts_with("// @ts-check"));
    for module in [
        "roster.js",
        "voucher.js",
        "queue.js",
        "dom.js",
        "messages.js",
    ] {
        let served = get(&h, &format!("/modules/{module}")).await;
        assert_eq!(served.status, StatusCode::OK, "{module}");
        assert_eq!(served.content_type(), "text/javascript; charset=utf-8");
        assert!(String::from_utf8_lossy(&served.body).starts_with("// @ts-check"));
    }
    let module = get(&h, "/representation.js").await;
    assert_eq!(module.status, StatusCode::OK);
    assert_eq!(module.content_type(), "text/javascript; charset=utf-8");
    let module = String::from_utf8_lossy(&module.body).into_owned();
    assert!(module.contains("export function askRepresentation"));
    assert!(module.contains("カードをリーダーから外してください"));
    let css = get(&h, "/app.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&css.body).contains("@media print"));
}

#[tokio::test]
async fn the_package_is_served_only_from_its_directory_and_only_its_files() {
    let h = Harness::new().await;
    // No package directory: 404 with a message, not a crash.
    let missing = get(&h, "/pkg/myna-web.js").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(String::from_utf8_lossy(&missing.body).contains("--pkg-dir"));

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("myna-web.js"), "export default 1;").unwrap();
    std::fs::write(dir.path().join("myna-web_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(
        dir.path().join("myna-web-labels.js"),
        "export const SEX = {};",
    )
    .unwrap();
    std::fs::write(dir.path().join("secret.txt"), "no").unwrap();
    let router = app(h.state.clone().with_pkg_dir(Some(dir.path().to_owned())));
    let fetch = |path: &'static str| {
        let router = router.clone();
        async move {
            use tower::ServiceExt as _;
            router
                .oneshot(Request::get(path).body(Body::empty()).unwrap())
                .await
                .unwrap()
        }
    };
    let js = fetch("/pkg/myna-web.js").await;
    assert_eq!(js.status(), StatusCode::OK);
    assert_eq!(
        js.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    let labels = fetch("/pkg/myna-web-labels.js").await;
    assert_eq!(labels.status(), StatusCode::OK);
    assert_eq!(
        labels.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    let wasm = fetch("/pkg/myna-web_bg.wasm").await;
    assert_eq!(wasm.status(), StatusCode::OK);
    assert_eq!(wasm.headers()["content-type"], "application/wasm");
    assert_eq!(
        fetch("/pkg/secret.txt").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        fetch("/pkg/..%2FCargo.toml").await.status(),
        StatusCode::NOT_FOUND
    );
    // A package file the directory lacks.
    assert_eq!(
        fetch("/pkg/myna-web.css").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_fallback_check_is_recorded_in_the_audit_with_its_document_and_operator() {
    let h = Harness::new().await;
    let (_, token) = h.activate("受付タブレット").await;
    for (document, operator) in [("portal", "受付 佐々木"), ("certificate", "受付 田中")] {
        let r = h
            .post(
                "/api/v1/fallbacks",
                &token,
                json!({"document": document, "operator": operator}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
        let body = r.json();
        assert!(body["id"].as_i64().unwrap() > 0);
        assert_eq!(body["occurredAt"], "2026-06-01T00:00:00Z");
    }
    let audit = h.audit(&token).await;
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[0]["kind"], "fallback");
    assert_eq!(audit[0]["mode"], "certificate");
    assert_eq!(audit[0]["operator"], "受付 田中");
    assert_eq!(audit[0]["result"], "ok");
    assert_eq!(audit[0]["httpStatus"], 201);
    assert_eq!(audit[1]["mode"], "portal");
    assert_eq!(audit[1]["deviceName"], "受付タブレット");
}

#[tokio::test]
async fn a_fallback_needs_a_terminal_a_known_document_and_an_operator() {
    let (h, token) = Harness::with_terminal().await;
    async fn post_to(h: &Harness, token: Option<&str>, body: serde_json::Value) -> support::Reply {
        h.call(Method::POST, "/api/v1/fallbacks", token, Some(body))
            .await
    }
    let post = |token, body| post_to(&h, token, body);
    post(None, json!({"document": "portal", "operator": "a"}))
        .await
        .assert_error(401, "MW0002");
    post(Some(&token), json!({"document": "paper", "operator": "a"}))
        .await
        .assert_error(400, "MW0001");
    post(
        Some(&token),
        json!({"document": "notice", "operator": "  "}),
    )
    .await
    .assert_error(400, "MW0001");
    post(Some(&token), json!({"document": "notice"}))
        .await
        .assert_error(400, "MW0001");
    post(
        Some(&token),
        json!({"document": "notice", "operator": "a", "name": "山田"}),
    )
    .await
    .assert_error(400, "MW0001");
    assert!(h.audit(&token).await.is_empty());
}

#[test]
fn a_version_1_database_is_migrated_keeping_its_audit_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = support::old_database(
        dir.path(),
        &[include_str!("../migrations/0001_initial.sql")],
    );
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(
            "INSERT INTO audit (occurred_at, kind, mode, result, error_code, http_status)
             VALUES (1, 'confirmation', 'pin', 'error', 'MW0002', 401);",
        )
        .unwrap();
    let (db, opened) = myna_demo::db::Db::open(&path).unwrap();
    assert_eq!(opened, myna_demo::db::Opened::Existing);
    let (count, version): (i64, u32) = db
        .call_blocking(|c| {
            Ok::<_, myna_demo::db::DbError>((
                c.query_row("SELECT count(*) FROM audit", [], |r| r.get(0))?,
                c.query_row("PRAGMA user_version", [], |r| r.get(0))?,
            ))
        })
        .unwrap();
    assert_eq!((count, version), (1, myna_demo::db::SCHEMA_VERSION));
    db.call_blocking(|c| {
        c.execute(
            "INSERT INTO audit (occurred_at, kind, mode, result, http_status)
             VALUES (2, 'fallback', 'notice', 'ok', 201)",
            [],
        )
        .map_err(myna_demo::db::DbError::from)
    })
    .unwrap();
}
