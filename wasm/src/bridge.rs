//! The bridge client: one WebSocket to `myna-bridge`, requests as Promises, reader events,
//! and reconnection.
//!
//! ## Connecting (`connectBridge`)
//! 1. The URL is normalised (`ws://127.0.0.1:27450` → `…/v1`; `http`/`https` accepted). Its
//!    host must be loopback — `127.0.0.0/8`, `[::1]` or `localhost`
//!    ([`myna_core::loopback`]) — unless the caller passed `allowNonLoopbackBridge: true`:
//!    otherwise `bridge-not-loopback`, before anything touches the network. The page sends
//!    the patient's PIN to this URL; a URL taken from a link (`?bridge=`) or any input an
//!    attacker can shape would send it to the attacker's server (issue 11).
//! 2. Local Network Access: `navigator.permissions.query({name: "loopback-network"})` (falling
//!    back to the older `local-network-access`; browsers that do not know the name — they
//!    throw or reject — count as "no such permission"). `denied` → `permission-denied` at once.
//!    A page served from loopback itself is not subject to it (the permission is ignored).
//! 3. `GET /health` in `cors` mode. It tells whether the bridge runs and lets the browser ask
//!    for the permission. A refused origin gets a 403 **without** CORS headers, which `fetch`
//!    reports exactly like a refused connection, so on failure a second `no-cors` request
//!    tells them apart: an opaque answer means something is listening → `origin-refused`
//!    (a WebSocket refused with 403 is indistinguishable from a dead port in the browser,
//!    hence this detour). Another failure → `permission-denied` if the permission is denied;
//!    `permission-pending` if it is still "prompt" and the attempt took over 1.5 s (the
//!    browser asks only once a connection to loopback is made, so a refused connection fails
//!    at once, while a prompt closed unanswered took the user's time); else
//!    `bridge-not-running`. On a page with COEP `require-corp` the `no-cors` probe is blocked
//!    too, so a refused origin shows as `bridge-not-running` there.
//! 4. The WebSocket (`binaryType = "arraybuffer"`), then `hello`: `protocol` must be 1, else
//!    `protocol-mismatch`.
//!
//! ## Requests
//! Frames `{"id", "method", "params"}` with increasing numeric ids; answers are matched by id
//! (an answer with `id: null` — an unreadable frame — goes to the oldest request, since the
//! bridge answers in order). Each request has a client-side time limit above the bridge's own
//! (30 s; 60 s for `authenticate`). When the socket closes every request in flight fails with
//! `connection-lost`.
//!
//! ## Connection lost
//! After a connection that was up closes, the client reconnects with backoff (0.5, 1, 2, 4, 8,
//! then every 10 s), emitting `reconnecting` state events with the attempt, the delay and the
//! last error, then `connected`. Card sessions belong to one connection (their handles die
//! with it): an older session answers `connection-lost`; connect to the card again.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::{Rc, Weak};

use futures_channel::oneshot;
use futures_util::future::{Either, select};
use gloo_timers::future::TimeoutFuture;
use js_sys::{Function, Object};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use web_sys::{BinaryType, CloseEvent, Event, MessageEvent, RequestMode, WebSocket};
use zeroize::Zeroizing;

use crate::error::{WebError, WebResult};
use crate::http::{FetchFailure, HttpRequest, fetch};
use crate::js;
use crate::session::CardSession;

/// The bridge wire protocol version this module speaks.
pub const PROTOCOL_VERSION: u32 = 1;
/// The bridge's default port.
pub const DEFAULT_PORT: u16 = 27450;

const OPEN_TIMEOUT_MS: u32 = 15_000;
/// Above the bridge's own 30 s.
pub(crate) const REQUEST_TIMEOUT_MS: u32 = 45_000;
/// Above the bridge's own 60 s for `authenticate`.
pub(crate) const AUTHENTICATE_TIMEOUT_MS: u32 = 90_000;

/// A failed first request that took longer than this, with the Local Network Access
/// permission still at "prompt", was waiting on the browser's prompt.
const PROMPT_THRESHOLD_MS: f64 = 1_500.0;

/// Reconnection delays; the last repeats.
const BACKOFF_MS: [u32; 6] = [500, 1_000, 2_000, 4_000, 8_000, 10_000];

/// The delay before reconnection attempt `attempt` (from 1).
pub fn backoff_ms(attempt: u32) -> u32 {
    let i = (attempt.max(1) - 1) as usize;
    BACKOFF_MS[i.min(BACKOFF_MS.len() - 1)]
}

/// The two addresses of a bridge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// The WebSocket, `ws://host:port/v1`.
    pub websocket: String,
    /// `http://host:port/health`.
    pub health: String,
}

/// Normalises a bridge URL: `ws`/`wss` (or `http`/`https`, mapped to them), a host, and the
/// path `/v1` when none is given.
pub fn endpoints(url: &str) -> WebResult<Endpoints> {
    let bad = |why: &str| WebError::InvalidArgument(format!("bridge URL {url:?}: {why}"));
    let url = url.trim();
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| bad("expected ws://host:port/v1"))?;
    let (ws_scheme, http_scheme) = match scheme.to_ascii_lowercase().as_str() {
        "ws" | "http" => ("ws", "http"),
        "wss" | "https" => ("wss", "https"),
        _ => return Err(bad("the scheme must be ws or wss")),
    };
    let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    if authority.is_empty() || authority.contains('@') {
        return Err(bad("expected a host and port"));
    }
    if path.contains(['?', '#']) {
        return Err(bad("no query or fragment expected"));
    }
    let path = match path.trim_end_matches('/') {
        "" => "/v1",
        p => p,
    };
    Ok(Endpoints {
        websocket: format!("{ws_scheme}://{authority}{path}"),
        health: format!("{http_scheme}://{authority}/health"),
    })
}

/// Refuses a bridge whose host is not loopback (`bridge-not-loopback`).
pub fn check_loopback(endpoints: &Endpoints) -> WebResult<()> {
    let host = myna_core::loopback::host_of(&endpoints.websocket)
        .unwrap_or_default()
        .to_ascii_lowercase();
    if myna_core::loopback::is_loopback_host(&host) {
        Ok(())
    } else {
        Err(WebError::BridgeNotLoopback {
            url: endpoints.websocket.clone(),
        })
    }
}

/// Checks the `protocol` a bridge announced.
pub fn check_protocol(announced: &JsValue) -> WebResult<()> {
    match announced.as_f64() {
        Some(v) if v == f64::from(PROTOCOL_VERSION) => Ok(()),
        Some(_) => Err(WebError::ProtocolMismatch {
            expected: PROTOCOL_VERSION,
            // JS formats the number (no float formatting code in the module).
            found: js::number_text(announced),
        }),
        None => Err(WebError::ProtocolMismatch {
            expected: PROTOCOL_VERSION,
            found: announced.as_string().unwrap_or_else(|| "none".to_string()),
        }),
    }
}

/// One card reader as the bridge reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reader {
    /// The PC/SC reader name.
    pub name: String,
    /// `empty`, `present`, `inuse`, `mute` or `unavailable`.
    pub state: String,
    /// The card's ATR (hex) when a card is in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub atr: Option<String>,
}

/// A `readers` array from the bridge.
pub fn readers_from_js(value: &JsValue) -> WebResult<Vec<Reader>> {
    if !js_sys::Array::is_array(value) {
        return Err(WebError::BadFrame("`readers` is not an array".into()));
    }
    js_sys::Array::from(value)
        .iter()
        .map(|r| {
            let reader = || {
                Some(Reader {
                    name: js::get(&r, "name").as_string()?,
                    state: js::get(&r, "state").as_string()?,
                    atr: js::get(&r, "atr").as_string(),
                })
            };
            reader().ok_or_else(|| WebError::BadFrame("a reader lacks its name or state".into()))
        })
        .collect()
}

impl Reader {
    /// A card is in this reader (`present`, or `inuse` by another connection).
    pub fn has_card(&self) -> bool {
        self.state == "present" || self.state == "inuse"
    }
}

#[derive(Debug, Clone, Serialize)]
struct BridgeId {
    name: String,
    version: String,
}

#[derive(Debug, Clone, Default, Serialize)]
struct Simulation {
    personas: Vec<String>,
}

/// What `hello` told.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Hello {
    bridge: BridgeId,
    protocol: u32,
    origin: String,
    policy: String,
    readers: Vec<Reader>,
    #[serde(skip_serializing_if = "Option::is_none")]
    simulate: Option<Simulation>,
}

impl Hello {
    /// Reads a `hello` result whose protocol was already checked.
    fn from_js(value: &JsValue) -> WebResult<Hello> {
        let text = |v: &JsValue, key: &str| {
            js::get(v, key)
                .as_string()
                .ok_or_else(|| WebError::BadFrame(format!("hello: no {key}")))
        };
        let bridge = js::get(value, "bridge");
        let simulate = js::get(value, "simulate");
        let simulate = if simulate.is_object() {
            let personas = js::get(&simulate, "personas");
            Some(Simulation {
                personas: if js_sys::Array::is_array(&personas) {
                    js_sys::Array::from(&personas)
                        .iter()
                        .filter_map(|p| p.as_string())
                        .collect()
                } else {
                    Vec::new()
                },
            })
        } else {
            None
        };
        let readers = js::get(value, "readers");
        Ok(Hello {
            bridge: BridgeId {
                name: text(&bridge, "name")?,
                version: text(&bridge, "version")?,
            },
            protocol: PROTOCOL_VERSION,
            origin: text(value, "origin")?,
            policy: text(value, "policy")?,
            readers: if readers.is_undefined() {
                Vec::new()
            } else {
                readers_from_js(&readers)?
            },
            simulate,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LinkState {
    Connecting,
    Connected,
    Reconnecting,
    Closed,
}

impl LinkState {
    fn as_str(self) -> &'static str {
        match self {
            LinkState::Connecting => "connecting",
            LinkState::Connected => "connected",
            LinkState::Reconnecting => "reconnecting",
            LinkState::Closed => "closed",
        }
    }
}

/// The Local Network Access permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Permission {
    Granted,
    Prompt,
    Denied,
    /// The browser has no such permission (or no Permissions API).
    Unsupported,
    /// The page is itself on loopback: Local Network Access does not apply.
    NotApplicable,
}

impl Permission {
    fn as_str(self) -> &'static str {
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
async fn loopback_permission() -> Permission {
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

/// A request waiting for its answer.
struct Pending {
    generation: u32,
    sender: oneshot::Sender<WebResult<JsValue>>,
}

/// One WebSocket and the closures it calls.
struct Link {
    socket: WebSocket,
    generation: u32,
    open: Option<oneshot::Sender<Result<(), String>>>,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl Drop for Link {
    fn drop(&mut self) {
        self.socket.set_onopen(None);
        self.socket.set_onmessage(None);
        self.socket.set_onclose(None);
        let _ = self.socket.close();
    }
}

/// Drops a link after the current event handler returns (its closure may be running).
fn retire(link: Link) {
    wasm_bindgen_futures::spawn_local(async move { drop(link) });
}

type Listeners = RefCell<Vec<(u32, Function)>>;

thread_local! {
    static REGISTRY: RefCell<BTreeMap<u32, Weak<BridgeInner>>> = const { RefCell::new(BTreeMap::new()) };
    static NEXT_BRIDGE_ID: Cell<u32> = const { Cell::new(1) };
}

/// The shared state of one bridge client.
pub(crate) struct BridgeInner {
    id: u32,
    endpoints: Endpoints,
    reconnect: bool,
    max_attempts: Option<u32>,
    state: Cell<LinkState>,
    generation: Cell<u32>,
    link: RefCell<Option<Link>>,
    next_request: Cell<u64>,
    pending: RefCell<BTreeMap<u64, Pending>>,
    hello: RefCell<Option<Hello>>,
    readers: RefCell<Vec<Reader>>,
    service: Cell<bool>,
    reader_listeners: Listeners,
    state_listeners: Listeners,
    next_listener: Cell<u32>,
    reconnecting: Cell<bool>,
}

impl Drop for BridgeInner {
    fn drop(&mut self) {
        REGISTRY.with(|r| r.borrow_mut().remove(&self.id));
    }
}

impl BridgeInner {
    /// The bridge client a JS `Bridge` object (or anything with its `id`) stands for.
    pub(crate) fn from_js(value: &JsValue) -> WebResult<Rc<BridgeInner>> {
        let id = js::get(value, "id").as_f64();
        id.and_then(|id| REGISTRY.with(|r| r.borrow().get(&(id as u32)).and_then(Weak::upgrade)))
            .ok_or_else(|| {
                WebError::InvalidArgument(
                    "`bridge` must be a Bridge from connectBridge() that is still open".into(),
                )
            })
    }

    pub(crate) fn generation(&self) -> u32 {
        self.generation.get()
    }

    fn add_listener(&self, list: &Listeners, f: Function) -> u32 {
        let id = self.next_listener.get();
        self.next_listener.set(id + 1);
        list.borrow_mut().push((id, f));
        id
    }

    fn listeners(list: &Listeners) -> Vec<Function> {
        list.borrow().iter().map(|(_, f)| f.clone()).collect()
    }

    fn emit_state(&self, extra: impl FnOnce(&Object)) {
        let event = Object::new();
        js::set(&event, "state", self.state.get().as_str());
        extra(&event);
        let event: JsValue = event.into();
        for f in Self::listeners(&self.state_listeners) {
            js::notify(&f, &event);
        }
    }

    fn set_state(&self, state: LinkState) {
        self.state.set(state);
        self.emit_state(|_| {});
    }

    fn set_readers(&self, readers: Vec<Reader>, service: bool) {
        let list = js::to_js(&readers);
        *self.readers.borrow_mut() = readers;
        self.service.set(service);
        for f in Self::listeners(&self.reader_listeners) {
            let _ = f.call2(&JsValue::UNDEFINED, &list, &JsValue::from_bool(service));
        }
    }

    /// Sends a request on the current connection (which must be up) and waits for its answer.
    pub(crate) async fn request(
        self: &Rc<Self>,
        method: &str,
        params: Option<JsValue>,
        timeout_ms: u32,
    ) -> WebResult<JsValue> {
        match self.state.get() {
            LinkState::Connected => {}
            LinkState::Closed => return Err(WebError::Closed),
            LinkState::Connecting | LinkState::Reconnecting => {
                return Err(WebError::ConnectionLost(
                    "the bridge is reconnecting; try again once it is connected".into(),
                ));
            }
        }
        self.request_on(self.generation.get(), method, params, timeout_ms)
            .await
    }

    async fn request_on(
        self: &Rc<Self>,
        generation: u32,
        method: &str,
        params: Option<JsValue>,
        timeout_ms: u32,
    ) -> WebResult<JsValue> {
        let id = self.next_request.get();
        self.next_request.set(id + 1);
        let frame = Object::new();
        js::set(&frame, "id", id as f64);
        js::set(&frame, "method", method);
        if let Some(params) = params {
            js::set(&frame, "params", params);
        }
        // The frame may carry a PIN: the Rust copy is wiped after sending.
        let text: Zeroizing<String> = Zeroizing::new(
            js_sys::JSON::stringify(&frame)
                .map(String::from)
                .map_err(|_| WebError::InvalidArgument("params are not serialisable".into()))?,
        );
        let (sender, receiver) = oneshot::channel();
        self.pending
            .borrow_mut()
            .insert(id, Pending { generation, sender });
        let sent = match self.link.borrow().as_ref() {
            Some(link) if link.generation == generation => link.socket.send_with_str(&text).is_ok(),
            _ => false,
        };
        drop(text);
        if !sent {
            self.pending.borrow_mut().remove(&id);
            return Err(WebError::ConnectionLost(
                "the WebSocket to the bridge is not open".into(),
            ));
        }
        match select(receiver, Box::pin(TimeoutFuture::new(timeout_ms))).await {
            Either::Left((Ok(outcome), _)) => outcome,
            Either::Left((Err(_canceled), _)) => Err(WebError::ConnectionLost(
                "the bridge client was dropped".into(),
            )),
            Either::Right(_) => {
                self.pending.borrow_mut().remove(&id);
                Err(WebError::Timeout {
                    method: method.to_string(),
                    millis: timeout_ms,
                })
            }
        }
    }

    fn fail_pending(&self, generation: u32, error: &WebError) {
        let ids: Vec<u64> = self
            .pending
            .borrow()
            .iter()
            .filter(|(_, p)| p.generation == generation)
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            if let Some(p) = self.pending.borrow_mut().remove(&id) {
                let _ = p.sender.send(Err(error.clone()));
            }
        }
    }

    fn on_open(&self, generation: u32) {
        if let Some(link) = self.link.borrow_mut().as_mut()
            && link.generation == generation
            && let Some(open) = link.open.take()
        {
            let _ = open.send(Ok(()));
        }
    }

    fn on_message(&self, generation: u32, event: MessageEvent) {
        if generation != self.generation.get() {
            return;
        }
        // Only text frames carry the protocol.
        let Some(text) = event.data().as_string() else {
            return;
        };
        let Ok(frame) = js_sys::JSON::parse(&text) else {
            return;
        };
        self.on_frame(generation, &frame);
    }

    fn on_frame(&self, generation: u32, frame: &JsValue) {
        if let Some(name) = js::get(frame, "event").as_string() {
            if name == "readers" {
                let data = js::get(frame, "data");
                if let Ok(readers) = readers_from_js(&js::get(&data, "readers")) {
                    let service = js::get(&data, "service").as_bool().unwrap_or(true);
                    self.set_readers(readers, service);
                }
            }
            return;
        }
        let id = js::get(frame, "id");
        let key = match id.as_f64() {
            Some(n) if n >= 0.0 => Some(n as u64),
            _ if id.is_null() => self
                .pending
                .borrow()
                .iter()
                .find(|(_, p)| p.generation == generation)
                .map(|(id, _)| *id),
            _ => None,
        };
        let Some(pending) = key.and_then(|k| self.pending.borrow_mut().remove(&k)) else {
            return;
        };
        let error = js::get(frame, "error");
        let outcome = if error.is_object() {
            Err(wire_error(&error))
        } else {
            Ok(js::get(frame, "result"))
        };
        let _ = pending.sender.send(outcome);
    }

    fn on_close(self: &Rc<Self>, generation: u32, event: CloseEvent) {
        if generation != self.generation.get() {
            return;
        }
        let why = format!(
            "the WebSocket closed (code {}{})",
            event.code(),
            match event.reason() {
                r if r.is_empty() => String::new(),
                r => format!(", {r}"),
            }
        );
        self.drop_link(generation, &WebError::ConnectionLost(why.clone()));
        if self.state.get() == LinkState::Connected {
            if self.reconnect {
                self.start_reconnect(WebError::ConnectionLost(why));
            } else {
                self.shutdown(Some(WebError::ConnectionLost(why)));
            }
        }
    }

    /// Forgets the link of `generation`, failing its requests (and its opening) with `error`.
    fn drop_link(&self, generation: u32, error: &WebError) {
        let taken = {
            let mut slot = self.link.borrow_mut();
            match slot.as_ref() {
                Some(link) if link.generation == generation => slot.take(),
                _ => None,
            }
        };
        if let Some(mut link) = taken {
            if let Some(open) = link.open.take() {
                let _ = open.send(Err(error.to_string()));
            }
            retire(link);
        }
        self.fail_pending(generation, error);
    }

    /// Opens a new WebSocket, says `hello`, checks the protocol, and takes over the readers.
    async fn open_link(self: &Rc<Self>) -> WebResult<()> {
        let generation = self.generation.get().wrapping_add(1);
        self.generation.set(generation);
        let socket = WebSocket::new(&self.endpoints.websocket).map_err(|_| {
            WebError::InvalidArgument(format!("bad WebSocket URL {}", self.endpoints.websocket))
        })?;
        socket.set_binary_type(BinaryType::Arraybuffer);
        let weak = Rc::downgrade(self);
        let on_open = Closure::<dyn FnMut(Event)>::new({
            let weak = weak.clone();
            move |_: Event| {
                if let Some(inner) = weak.upgrade() {
                    inner.on_open(generation);
                }
            }
        });
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new({
            let weak = weak.clone();
            move |event: MessageEvent| {
                if let Some(inner) = weak.upgrade() {
                    inner.on_message(generation, event);
                }
            }
        });
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new({
            let weak = weak.clone();
            move |event: CloseEvent| {
                if let Some(inner) = weak.upgrade() {
                    inner.on_close(generation, event);
                }
            }
        });
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        let (open_sender, opened) = oneshot::channel();
        let previous = self.link.borrow_mut().replace(Link {
            socket,
            generation,
            open: Some(open_sender),
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        });
        if let Some(previous) = previous {
            retire(previous);
        }
        match select(opened, Box::pin(TimeoutFuture::new(OPEN_TIMEOUT_MS))).await {
            Either::Left((Ok(Ok(())), _)) => {}
            Either::Left((Ok(Err(why)), _)) => {
                return Err(WebError::ConnectionLost(format!(
                    "{why}, before the WebSocket opened"
                )));
            }
            Either::Left((Err(_), _)) => {
                return Err(WebError::ConnectionLost(
                    "the WebSocket was replaced before it opened".into(),
                ));
            }
            Either::Right(_) => {
                let error = WebError::Timeout {
                    method: "WebSocket open".into(),
                    millis: OPEN_TIMEOUT_MS,
                };
                self.drop_link(generation, &error);
                return Err(error);
            }
        }
        let hello = match self
            .request_on(generation, "hello", None, REQUEST_TIMEOUT_MS)
            .await
        {
            Ok(hello) => hello,
            Err(e) => {
                self.drop_link(generation, &e);
                return Err(e);
            }
        };
        if let Err(e) = check_protocol(&js::get(&hello, "protocol")) {
            self.drop_link(generation, &e);
            return Err(e);
        }
        let hello = match Hello::from_js(&hello) {
            Ok(h) => h,
            Err(e) => {
                self.drop_link(generation, &e);
                return Err(e);
            }
        };
        let readers = hello.readers.clone();
        *self.hello.borrow_mut() = Some(hello);
        self.set_readers(readers, true);
        Ok(())
    }

    fn start_reconnect(self: &Rc<Self>, error: WebError) {
        if self.reconnecting.replace(true) {
            return;
        }
        self.state.set(LinkState::Reconnecting);
        wasm_bindgen_futures::spawn_local(reconnect_loop(Rc::downgrade(self), error));
    }

    /// Closes for good: no more requests, no more reconnection.
    fn shutdown(&self, error: Option<WebError>) {
        if self.state.get() == LinkState::Closed {
            return;
        }
        self.state.set(LinkState::Closed);
        let generation = self.generation.get();
        self.drop_link(generation, &WebError::Closed);
        self.emit_state(|event| {
            if let Some(e) = &error {
                js::set(event, "error", e.to_js());
            }
        });
        REGISTRY.with(|r| r.borrow_mut().remove(&self.id));
    }
}

/// A bridge `error` object as a [`WebError`].
fn wire_error(error: &JsValue) -> WebError {
    let code = js::get(error, "code")
        .as_string()
        .unwrap_or_else(|| "internal".to_string());
    let message = js::get(error, "message")
        .as_string()
        .unwrap_or_else(|| code.clone());
    let remaining = js::get(error, "remaining")
        .as_f64()
        .filter(|n| (0.0..=255.0).contains(n))
        .map(|n| n as u8);
    WebError::Bridge {
        code,
        message,
        remaining,
    }
}

async fn reconnect_loop(weak: Weak<BridgeInner>, first_error: WebError) {
    let mut last_error = first_error;
    let mut attempt: u32 = 0;
    loop {
        attempt += 1;
        let delay = backoff_ms(attempt);
        {
            let Some(inner) = weak.upgrade() else { return };
            if inner.state.get() == LinkState::Closed {
                inner.reconnecting.set(false);
                return;
            }
            if inner.max_attempts.is_some_and(|max| attempt > max) {
                inner.reconnecting.set(false);
                inner.shutdown(Some(last_error));
                return;
            }
            inner.state.set(LinkState::Reconnecting);
            let error = last_error.to_js();
            inner.emit_state(|event| {
                js::set(event, "attempt", attempt);
                js::set(event, "delayMs", delay);
                js::set(event, "error", error);
            });
        }
        TimeoutFuture::new(delay).await;
        let Some(inner) = weak.upgrade() else { return };
        if inner.state.get() == LinkState::Closed {
            inner.reconnecting.set(false);
            return;
        }
        match inner.open_link().await {
            Ok(()) if inner.state.get() == LinkState::Closed => {
                let generation = inner.generation.get();
                inner.drop_link(generation, &WebError::Closed);
                inner.reconnecting.set(false);
                return;
            }
            Ok(()) => {
                // `open_link` already passed hello's readers to the listeners.
                inner.reconnecting.set(false);
                inner.set_state(LinkState::Connected);
                return;
            }
            Err(e @ WebError::ProtocolMismatch { .. }) => {
                inner.reconnecting.set(false);
                inner.shutdown(Some(e));
                return;
            }
            Err(e) => last_error = e,
        }
    }
}

/// What `/health` says about reaching the bridge.
async fn probe_health(endpoints: &Endpoints) -> WebResult<()> {
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
                    check_protocol(&js::get(&health, "protocol"))
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

/// A connection to `myna-bridge`. Made by `connectBridge`.
#[wasm_bindgen]
pub struct Bridge {
    inner: Rc<BridgeInner>,
}

/// Options of `connectBridge`.
struct ConnectOptions {
    /// `allowNonLoopbackBridge`: connect to a bridge that is not on this computer. The PIN
    /// travels to that host; only for a bridge the page's own code chose (never a URL from
    /// the page's address, storage or any input).
    allow_non_loopback: bool,
    reconnect: bool,
    max_attempts: Option<u32>,
    on_state: Option<Function>,
    on_readers: Option<Function>,
}

impl ConnectOptions {
    fn from_js(options: &JsValue) -> WebResult<Self> {
        if !(options.is_undefined() || options.is_null() || options.is_object()) {
            return Err(WebError::InvalidArgument(
                "options must be an object".into(),
            ));
        }
        let reconnect = match js::get(options, "reconnect") {
            v if v.is_undefined() || v.is_null() => true,
            v => v
                .as_bool()
                .ok_or_else(|| WebError::InvalidArgument("`reconnect` must be a boolean".into()))?,
        };
        let allow_non_loopback = match js::get(options, "allowNonLoopbackBridge") {
            v if v.is_undefined() || v.is_null() => false,
            v => v.as_bool().ok_or_else(|| {
                WebError::InvalidArgument("`allowNonLoopbackBridge` must be a boolean".into())
            })?,
        };
        Ok(ConnectOptions {
            allow_non_loopback,
            reconnect,
            max_attempts: js::opt_u32(options, "maxReconnectAttempts")?,
            on_state: js::opt_function(options, "onStateChange")?,
            on_readers: js::opt_function(options, "onReaders")?,
        })
    }
}

/// `connectBridge(url, options?)`: connects to the bridge (see the module docs for the steps
/// and the error codes).
pub async fn connect_bridge(url: &str, options: &JsValue) -> WebResult<Bridge> {
    let endpoints = endpoints(url)?;
    let options = ConnectOptions::from_js(options)?;
    if !options.allow_non_loopback {
        check_loopback(&endpoints)?;
    }
    let id = NEXT_BRIDGE_ID.with(|n| {
        let id = n.get();
        n.set(id.wrapping_add(1).max(1));
        id
    });
    let inner = Rc::new(BridgeInner {
        id,
        endpoints,
        reconnect: options.reconnect,
        max_attempts: options.max_attempts,
        state: Cell::new(LinkState::Connecting),
        generation: Cell::new(0),
        link: RefCell::new(None),
        next_request: Cell::new(1),
        pending: RefCell::new(BTreeMap::new()),
        hello: RefCell::new(None),
        readers: RefCell::new(Vec::new()),
        service: Cell::new(true),
        reader_listeners: RefCell::new(Vec::new()),
        state_listeners: RefCell::new(Vec::new()),
        next_listener: Cell::new(1),
        reconnecting: Cell::new(false),
    });
    if let Some(f) = options.on_state {
        inner.add_listener(&inner.state_listeners, f);
    }
    if let Some(f) = options.on_readers {
        inner.add_listener(&inner.reader_listeners, f);
    }
    let permission = loopback_permission().await;
    inner.emit_state(|event| js::set(event, "permission", permission.as_str()));
    if permission == Permission::Denied {
        inner.shutdown(Some(WebError::PermissionDenied));
        return Err(WebError::PermissionDenied);
    }
    let opened = match probe_health(&inner.endpoints).await {
        Ok(()) => inner.open_link().await,
        Err(e) => Err(e),
    };
    if let Err(e) = opened {
        inner.shutdown(Some(e.clone()));
        return Err(e);
    }
    REGISTRY.with(|r| r.borrow_mut().insert(id, Rc::downgrade(&inner)));
    inner.set_state(LinkState::Connected);
    Ok(Bridge { inner })
}

fn unsubscriber(
    inner: &Rc<BridgeInner>,
    which: fn(&BridgeInner) -> &Listeners,
    id: u32,
) -> Function {
    let weak = Rc::downgrade(inner);
    Closure::once_into_js(move || {
        if let Some(inner) = weak.upgrade() {
            which(&inner).borrow_mut().retain(|(i, _)| *i != id);
        }
    })
    .unchecked_into()
}

fn promise<F>(future: F) -> js_sys::Promise
where
    F: Future<Output = WebResult<JsValue>> + 'static,
{
    wasm_bindgen_futures::future_to_promise(async move { future.await.map_err(JsValue::from) })
}

#[wasm_bindgen]
impl Bridge {
    /// A number identifying this bridge client in the page (`confirmQualification` finds the
    /// client by it).
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> u32 {
        self.inner.id
    }

    /// The bridge's WebSocket URL.
    #[wasm_bindgen(getter)]
    pub fn url(&self) -> String {
        self.inner.endpoints.websocket.clone()
    }

    /// `"connecting"`, `"connected"`, `"reconnecting"` or `"closed"`.
    #[wasm_bindgen(getter, unchecked_return_type = "BridgeState")]
    pub fn state(&self) -> String {
        self.inner.state.get().as_str().to_string()
    }

    /// The origin the bridge saw for this page, which it binds into signatures.
    #[wasm_bindgen(getter)]
    pub fn origin(&self) -> Option<String> {
        self.inner.hello.borrow().as_ref().map(|h| h.origin.clone())
    }

    /// What `hello` said: `{bridge: {name, version}, protocol, origin, policy, readers,
    /// simulate?}`.
    #[wasm_bindgen(getter, unchecked_return_type = "BridgeHello | undefined")]
    pub fn hello(&self) -> JsValue {
        match self.inner.hello.borrow().as_ref() {
            Some(h) => js::to_js(h),
            None => JsValue::UNDEFINED,
        }
    }

    /// The readers as last reported (by `hello`, a `readers` event or `listReaders`).
    #[wasm_bindgen(getter, unchecked_return_type = "Reader[]")]
    pub fn readers(&self) -> JsValue {
        js::to_js(&*self.inner.readers.borrow())
    }

    /// Whether the bridge's PC/SC service is up (from the last `readers` event).
    #[wasm_bindgen(getter)]
    pub fn service(&self) -> bool {
        self.inner.service.get()
    }

    /// Asks the bridge for the readers now.
    #[wasm_bindgen(js_name = listReaders, unchecked_return_type = "Promise<Reader[]>")]
    pub fn list_readers(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise(async move {
            let result = inner
                .request("listReaders", None, REQUEST_TIMEOUT_MS)
                .await?;
            let readers = readers_from_js(&js::get(&result, "readers"))?;
            *inner.readers.borrow_mut() = readers.clone();
            Ok(js::to_js(&readers))
        })
    }

    /// Calls `listener(readers, service)` whenever a reader or card comes or goes. Returns a
    /// function that removes the listener.
    #[wasm_bindgen(js_name = onReaders, unchecked_return_type = "() => void")]
    pub fn on_readers(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(readers: Reader[], service: boolean) => void")]
        listener: Function,
    ) -> Function {
        let id = self
            .inner
            .add_listener(&self.inner.reader_listeners, listener);
        unsubscriber(&self.inner, |i| &i.reader_listeners, id)
    }

    /// Calls `listener({state, attempt?, delayMs?, error?})` on every connection state change.
    /// Returns a function that removes the listener.
    #[wasm_bindgen(js_name = onStateChange, unchecked_return_type = "() => void")]
    pub fn on_state_change(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(event: BridgeStateEvent) => void")]
        listener: Function,
    ) -> Function {
        let id = self
            .inner
            .add_listener(&self.inner.state_listeners, listener);
        unsubscriber(&self.inner, |i| &i.state_listeners, id)
    }

    /// Opens a session on the card in `reader`.
    #[wasm_bindgen(unchecked_return_type = "Promise<CardSession>")]
    pub fn connect(&self, reader: String) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise(async move { CardSession::open(inner, reader).await.map(JsValue::from) })
    }

    /// With a bridge started with `--simulate`: puts `persona`'s virtual card in the reader.
    #[wasm_bindgen(js_name = simulateInsert, unchecked_return_type = "Promise<void>")]
    pub fn simulate_insert(&self, persona: String) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise(async move {
            let params = Object::new();
            js::set(&params, "action", "insert");
            js::set(&params, "persona", persona);
            inner
                .request("simulate", Some(params.into()), REQUEST_TIMEOUT_MS)
                .await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// With a bridge started with `--simulate`: takes the virtual card out.
    #[wasm_bindgen(js_name = simulateRemove, unchecked_return_type = "Promise<void>")]
    pub fn simulate_remove(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise(async move {
            let params = Object::new();
            js::set(&params, "action", "remove");
            inner
                .request("simulate", Some(params.into()), REQUEST_TIMEOUT_MS)
                .await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// With a bridge started with `--simulate`: takes the virtual card out and presents the
    /// same card again (its PIN counters kept), as staff do before a patient's last PIN try.
    #[wasm_bindgen(js_name = simulateReinsert, unchecked_return_type = "Promise<void>")]
    pub fn simulate_reinsert(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise(async move {
            let params = Object::new();
            js::set(&params, "action", "reinsert");
            inner
                .request("simulate", Some(params.into()), REQUEST_TIMEOUT_MS)
                .await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Closes the connection for good (no reconnection). Requests in flight fail with
    /// `bridge-closed`.
    pub fn close(&self) {
        self.inner.shutdown(None);
    }

    /// Test hook: closes the WebSocket as if the bridge went away, so the reconnection path
    /// runs. Not part of the API.
    #[doc(hidden)]
    #[wasm_bindgen(js_name = __dropConnection, skip_typescript)]
    pub fn drop_connection(&self) {
        if let Some(link) = self.inner.link.borrow().as_ref() {
            let _ = link.socket.close_with_code(4000);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_normalised() {
        let e = endpoints("ws://127.0.0.1:27450").unwrap();
        assert_eq!(e.websocket, "ws://127.0.0.1:27450/v1");
        assert_eq!(e.health, "http://127.0.0.1:27450/health");
        let e = endpoints("http://localhost:1234/").unwrap();
        assert_eq!(e.websocket, "ws://localhost:1234/v1");
        let e = endpoints("wss://[::1]:9/v1").unwrap();
        assert_eq!(e.websocket, "wss://[::1]:9/v1");
        assert_eq!(e.health, "https://[::1]:9/health");
    }

    #[test]
    fn bad_bridge_urls_are_refused() {
        for bad in [
            "127.0.0.1:27450",
            "ftp://127.0.0.1/",
            "ws://",
            "ws:///v1",
            "ws://u:p@127.0.0.1:1/v1",
            "ws://127.0.0.1:1/v1?x=1",
        ] {
            let e = endpoints(bad).unwrap_err();
            assert_eq!(e.code(), "invalid-argument", "{bad}");
        }
    }

    /// Issue 11 item 6: the module connected to any ws/wss host a URL named.
    #[test]
    fn issue_11_only_loopback_bridges_without_the_option() {
        for ok in [
            "ws://127.0.0.1:27450/v1",
            "ws://localhost:27450",
            "ws://LOCALHOST:1/v1",
            "wss://[::1]:9/v1",
            "ws://127.8.9.10:1",
        ] {
            check_loopback(&endpoints(ok).unwrap()).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in [
            "ws://attacker.example:27450/v1",
            "wss://bridge.clinic.example.jp/v1",
            "ws://192.168.1.5:27450",
            "ws://localhost.attacker.example:1",
            "ws://127.0.0.1.nip.io:27450",
            "ws://[::2]:1",
            "ws://0.0.0.0:27450",
        ] {
            let e = check_loopback(&endpoints(bad).unwrap()).unwrap_err();
            assert_eq!(e.code(), "bridge-not-loopback", "{bad}");
        }
    }

    #[test]
    fn backoff_grows_then_stays() {
        assert_eq!(backoff_ms(1), 500);
        assert_eq!(backoff_ms(2), 1_000);
        assert_eq!(backoff_ms(5), 8_000);
        assert_eq!(backoff_ms(6), 10_000);
        assert_eq!(backoff_ms(60), 10_000);
    }

    #[test]
    fn readers_with_a_card() {
        let r = |state: &str| Reader {
            name: "r".into(),
            state: state.into(),
            atr: None,
        };
        assert!(r("present").has_card());
        assert!(r("inuse").has_card());
        assert!(!r("empty").has_card());
        assert!(!r("mute").has_card());
    }
}
