//! The reception page: `web-demo/static/` embedded in the binary at `/`, `/app.js` and
//! `/app.css`, and the `myna-web` npm package (`cargo xtask pkg`'s `pkg/`) at `/pkg/{file}`
//! from the directory given to [`crate::AppState::with_pkg_dir`].
//!
//! Only the package's own file names are served from that directory (no path from the
//! request reaches the file system). The page is plain HTML + an ES module that imports
//! `/pkg/myna-web.js` exactly as a vendor's page would; when the package is missing the
//! page says how to build it.

use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// The page.
pub const INDEX_HTML: &str = include_str!("../../static/index.html");
/// The page's script (an ES module).
pub const APP_JS: &str = include_str!("../../static/app.js");
/// The page's style sheet (screen and print).
pub const APP_CSS: &str = include_str!("../../static/app.css");

/// The page's other ES modules, served at `/modules/{file}` (app.js imports them).
pub const MODULES: &[(&str, &str)] = &[
    ("roster.js", include_str!("../../static/roster.js")),
    ("voucher.js", include_str!("../../static/voucher.js")),
    ("queue.js", include_str!("../../static/queue.js")),
];

/// The page's Content-Security-Policy: scripts only from this origin (and WebAssembly
/// compilation for the package); connections to this origin and to the bridge, whose
/// address the `?bridge=` parameter may change (hence any ws/wss/http(s) address).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; \
    script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self' ws: wss: http: https:; object-src 'none'; base-uri 'none'; \
    frame-ancestors 'none'";

/// The files of the npm package that `/pkg/{file}` serves, with their media types.
pub const PKG_FILES: &[(&str, &str)] = &[
    ("myna-web.js", "text/javascript; charset=utf-8"),
    ("myna-web_bg.wasm", "application/wasm"),
    ("myna-web.css", "text/css; charset=utf-8"),
    ("myna-web.d.ts", "text/plain; charset=utf-8"),
    ("myna-web_bg.wasm.d.ts", "text/plain; charset=utf-8"),
    ("package.json", "application/json"),
    ("README.md", "text/markdown; charset=utf-8"),
];

fn with_headers(content_type: &'static str, body: impl IntoResponse) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        HeaderName::from_static("referrer-policy"),
        HeaderValue::from_static("no-referrer"),
    );
    response
}

pub(super) async fn index() -> Response {
    let mut response = with_headers("text/html; charset=utf-8", INDEX_HTML);
    response.headers_mut().insert(
        HeaderName::from_static("content-security-policy"),
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    response
}

pub(super) async fn app_js() -> Response {
    with_headers("text/javascript; charset=utf-8", APP_JS)
}

pub(super) async fn app_css() -> Response {
    with_headers("text/css; charset=utf-8", APP_CSS)
}

pub(super) async fn module(Path(file): Path<String>) -> Response {
    match MODULES.iter().find(|(name, _)| *name == file) {
        Some((_, body)) => with_headers("text/javascript; charset=utf-8", *body),
        None => not_found("not a module of the page"),
    }
}

pub(super) async fn pkg_file(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some(&(name, content_type)) = PKG_FILES.iter().find(|(name, _)| *name == file) else {
        return not_found("not a file of the myna-web package");
    };
    let Some(dir) = state.pkg_dir() else {
        return not_found("myna-demo was started without the npm package (--pkg-dir)");
    };
    let path = dir.join(name);
    let read = {
        let path = path.clone();
        tokio::task::spawn_blocking(move || std::fs::read(path)).await
    };
    match read.map_err(std::io::Error::other).and_then(|r| r) {
        Ok(bytes) => with_headers(content_type, bytes),
        Err(err) => {
            tracing::warn!(path = %path.display(), %err, "cannot read a package file");
            not_found("the npm package file is missing; run `cargo xtask pkg`")
        }
    }
}

fn not_found(message: &'static str) -> Response {
    with_headers(
        "text/plain; charset=utf-8",
        (StatusCode::NOT_FOUND, message),
    )
}
