//! The reception page: `web-demo/static/` embedded in the binary at `/`, `/app.js`,
//! `/representation.js`, `/official-app.js`, `/config.js` and `/app.css`, and the `myna-web` npm package (`cargo xtask pkg`'s `pkg/`) at `/pkg/{file}`
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
/// The 「マイナ資格確認アプリの結果を貼り付け」 module (an ES module imported by `app.js`).
pub const OFFICIAL_APP_JS: &str = include_str!("../../static/official-app.js");
/// The page's terminal-token renewal (an ES module `app.js` imports).
pub const TERMINAL_TOKEN_JS: &str = include_str!("../../static/terminal-token.js");
/// The page's style sheet (screen and print).
pub const APP_CSS: &str = include_str!("../../static/app.css");
/// The guidance for the last PIN try (put the card back on the reader), an ES module.
pub const REPRESENTATION_JS: &str = include_str!("../../static/representation.js");

/// The bridge the page connects to unless `myna-demo serve --bridge-url` says otherwise.
pub const DEFAULT_BRIDGE_URL: &str = "ws://127.0.0.1:27450/v1";

/// Checks a `--bridge-url`: `ws://HOST:PORT[/v1]` with a loopback host (`127.0.0.0/8`,
/// `[::1]`, `localhost`). The page sends the patient's PIN to this address, so only the
/// server's operator chooses it — never the page's URL (issue 11: `?bridge=` let a crafted
/// link send the PIN to a stranger's server) — and only on this computer.
pub fn check_bridge_url(url: &str) -> Result<String, String> {
    let rest = url
        .strip_prefix("ws://")
        .ok_or_else(|| format!("{url:?}: the bridge URL must start with ws://"))?;
    let authority = rest.split('/').next().unwrap_or(rest);
    let path = &rest[authority.len()..];
    let host = myna_core::loopback::host_of(url).unwrap_or_default();
    let port = authority[host.len()..].strip_prefix(':');
    if !myna_core::loopback::is_loopback_host(host) {
        return Err(format!(
            "{url:?}: the bridge must be on this computer (127.0.0.1, [::1] or localhost)"
        ));
    }
    if !port.is_some_and(|p| p.parse::<u16>().is_ok_and(|p| p > 0)) {
        return Err(format!("{url:?}: the bridge URL needs a port"));
    }
    if !matches!(path, "" | "/" | "/v1") {
        return Err(format!("{url:?}: the bridge's path is /v1"));
    }
    Ok(format!("ws://{authority}/v1"))
}

/// The page's other ES modules, served at `/modules/{file}` (app.js imports them).
pub const MODULES: &[(&str, &str)] = &[
    ("roster.js", include_str!("../../static/modules/roster.js")),
    (
        "voucher.js",
        include_str!("../../static/modules/voucher.js"),
    ),
    ("queue.js", include_str!("../../static/modules/queue.js")),
    ("dom.js", include_str!("../../static/modules/dom.js")),
    (
        "messages.js",
        include_str!("../../static/modules/messages.js"),
    ),
];

/// The page's Content-Security-Policy: scripts only from this origin (and WebAssembly
/// compilation for the package); connections only to this origin and to the one bridge the
/// server was configured with (its WebSocket and its `http://…/health`), which is loopback
/// ([`check_bridge_url`]). An injected script cannot send anything elsewhere.
pub fn content_security_policy(bridge_url: &str) -> String {
    let bridge = bridge_url.trim_end_matches("/v1");
    let health = bridge.replacen("ws://", "http://", 1);
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self' {bridge} {health}; object-src 'none'; \
         base-uri 'none'; frame-ancestors 'none'"
    )
}

/// The files of the npm package that `/pkg/{file}` serves, with their media types.
pub const PKG_FILES: &[(&str, &str)] = &[
    ("myna-web.js", "text/javascript; charset=utf-8"),
    ("myna-web_bg.wasm", "application/wasm"),
    ("myna-web.css", "text/css; charset=utf-8"),
    ("myna-web-labels.js", "text/javascript; charset=utf-8"),
    ("myna-web-labels.d.ts", "text/plain; charset=utf-8"),
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

pub(super) async fn index(State(state): State<AppState>) -> Response {
    let mut response = with_headers("text/html; charset=utf-8", INDEX_HTML);
    if let Ok(csp) = HeaderValue::from_str(&content_security_policy(state.bridge_url())) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("content-security-policy"), csp);
    }
    response
}

/// `/config.js`: the page's settings chosen by the server's operator (the bridge's URL).
pub(super) async fn config_js(State(state): State<AppState>) -> Response {
    let url = serde_json::Value::from(state.bridge_url()).to_string();
    with_headers(
        "text/javascript; charset=utf-8",
        format!("// Set by `myna-demo serve --bridge-url`.\nexport const BRIDGE_URL = {url};\n"),
    )
}

pub(super) async fn app_js() -> Response {
    with_headers("text/javascript; charset=utf-8", APP_JS)
}

pub(super) async fn representation_js() -> Response {
    with_headers("text/javascript; charset=utf-8", REPRESENTATION_JS)
}

pub(super) async fn official_app_js() -> Response {
    with_headers("text/javascript; charset=utf-8", OFFICIAL_APP_JS)
}

pub(super) async fn terminal_token_js() -> Response {
    with_headers("text/javascript; charset=utf-8", TERMINAL_TOKEN_JS)
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
