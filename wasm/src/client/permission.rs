//! Reaching the bridge before the WebSocket: the browser's Local Network Access permission
//! and the `/health` probe that tells a dead port, a refused origin and a withheld
//! permission apart (steps 2 and 3 of `connectBridge`, [`super`]).

use js_sys::{Function, Object};
use wasm_bindgen::JsCast;
use web_sys::RequestMode;

use super::endpoint::Endpoints;
use super::read;
use crate::error::{WebError, WebResult};
use crate::http::{FetchFailure, HttpRequest, fetch};
use crate::js;

/// A failed first request that took longer than this, with the Local Network Access
/// permission still at "prompt", was waiting on the browser's prompt.
const PROMPT_THRESHOLD_MS: f64 = 1_500.0;

/// The Local Network Access permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Permission {
    Granted,
    Prompt,
    Denied,
    /// The browser has no such permission (or no Permissions API).
    Unsupported,
    /// The page is itself on loopback: Local Network Access does not apply.
    NotApplicable,
}

impl Permission {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Permission::Granted => "granted",
            Permission::Prompt => "prompt",
            Permission::Denied => "denied",
            Permission::Unsupported => "unsupported",
            Permission::NotApplicable => "not-applicable",
        }
    }
}

/// `navigator.permissions.query({name})`, or `None` when the browser does not know the name.
async fn query_permission(name: &str) -> Option<Permission> {
    let permissions = js::get(&js::global("navigator"), "permissions");
    let query: Function = js::get(&permissions, "query").dyn_into().ok()?;
    let descriptor = Object::new();
    js::set(&descriptor, "name", name);
    // Some browsers throw synchronously for an unknown name, others reject.
    let promise: js_sys::Promise = query
        .call1(&permissions, &descriptor)
        .ok()?
        .dyn_into()
        .ok()?;
    let status = wasm_bindgen_futures::JsFuture::from(promise).await.ok()?;
    match js::get(&status, "state").as_string()?.as_str() {
        "granted" => Some(Permission::Granted),
        "prompt" => Some(Permission::Prompt),
        "denied" => Some(Permission::Denied),
        _ => None,
    }
}

/// Whether the page itself is served from loopback (Local Network Access does not gate a
/// loopback page reaching loopback).
fn page_is_loopback() -> bool {
    let host = js::get(&js::global("location"), "hostname")
        .as_string()
        .unwrap_or_default()
        .to_ascii_lowercase();
    host == "localhost"
        || host.ends_with(".localhost")
        || host == "[::1]"
        || host == "::1"
        || host.starts_with("127.")
}

/// The Local Network Access permission for reaching loopback, as the browser reports it.
///
/// Names, measured in the real browsers (`wasm/tests/lna.rs`): Chromium 156 and Firefox 153 ESR
/// both answer `loopback-network` (and `local-network`); Chrome 142–144 knew only
/// `local-network-access`, hence the fallback (Firefox throws a `TypeError` for it); a browser
/// that knows neither name gives `Unsupported`. What the state can and cannot tell:
/// - a per-site block (Chrome's 「ブロック」, Firefox's remembered block, an enterprise
///   `LoopbackNetworkBlockedForUrls`) reads `denied` in both;
/// - an allow (user, `LoopbackNetworkAllowedForUrls`) reads `granted` in Chromium; Firefox's
///   policy `LocalNetworkAccess.SkipDomains` allows the request but the state stays `prompt`;
/// - Firefox with Local Network Access blocked for every site
///   (`permissions.default.loopback-network` = 2) still reads `prompt` while each request fails
///   at once: indistinguishable from a dead port, so it ends as `bridge-not-running`.
pub(crate) async fn loopback_permission() -> Permission {
    if page_is_loopback() {
        return Permission::NotApplicable;
    }
    for name in ["loopback-network", "local-network-access"] {
        if let Some(p) = query_permission(name).await {
            return p;
        }
    }
    Permission::Unsupported
}

/// What `/health` says about reaching the bridge.
pub(crate) async fn probe_health(endpoints: &Endpoints) -> WebResult<()> {
    let origin = js::page_origin().unwrap_or_else(|| "null".to_string());
    let get = |mode| HttpRequest {
        url: &endpoints.health,
        method: "GET",
        headers: Vec::new(),
        body: None,
        mode,
        // The browser may hold this request while it asks the user about Local Network
        // Access; a time limit here would cut that prompt short.
        timeout_ms: None,
    };
    let started = js_sys::Date::now();
    match fetch(get(RequestMode::Cors)).await {
        Ok(answer) if answer.status == 403 => Err(WebError::OriginRefused { origin }),
        Ok(answer) if (200..300).contains(&answer.status) => {
            let text = String::from_utf8_lossy(&answer.body);
            match js_sys::JSON::parse(&text) {
                Ok(health) if !js::get(&health, "protocol").is_undefined() => {
                    read::check_protocol(&js::get(&health, "protocol"))
                }
                // Not the bridge's health document: let the WebSocket handshake decide.
                _ => Ok(()),
            }
        }
        Ok(_) => Ok(()),
        Err(FetchFailure::Invalid(why)) => Err(WebError::InvalidArgument(why)),
        Err(FetchFailure::Unsupported(what)) => Err(WebError::Environment(what.into())),
        // No time limit is set on this probe, so `TimedOut` cannot happen; were it to, it
        // would mean nothing answered.
        Err(FetchFailure::Network(_) | FetchFailure::TimedOut { .. }) => {
            // A 403 without CORS headers looks like a refused connection to `cors` fetch;
            // an opaque `no-cors` answer proves something is listening.
            if fetch(get(RequestMode::NoCors)).await.is_ok() {
                return Err(WebError::OriginRefused { origin });
            }
            // Chrome asks for the permission once a connection to loopback is made; a refused
            // connection fails at once and leaves it at "prompt". A failure that took a while
            // while the permission is still "prompt" is a prompt the user closed unanswered.
            let waited_ms = js_sys::Date::now() - started;
            match loopback_permission().await {
                Permission::Denied => Err(WebError::PermissionDenied),
                Permission::Prompt if waited_ms >= PROMPT_THRESHOLD_MS => {
                    Err(WebError::PermissionPending)
                }
                _ => Err(WebError::BridgeNotRunning {
                    url: endpoints.websocket.clone(),
                }),
            }
        }
    }
}
