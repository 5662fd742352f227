//! The link: one WebSocket to the bridge at a time, requests matched to their answers, reader
//! events, and reconnection ([`super`] describes the behaviour).

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use futures_channel::oneshot;
use futures_util::future::{Either, select};
use gloo_timers::future::TimeoutFuture;
use js_sys::{Function, Object};
use myna_core::wire::timeouts::{CLIENT_OPEN_MS, CLIENT_REQUEST_MS};
use myna_core::wire::{Hello, READERS_EVENT, Reader, method};
use wasm_bindgen::prelude::*;
use web_sys::{BinaryType, CloseEvent, Event, MessageEvent, WebSocket};
use zeroize::Zeroizing;

use super::endpoint::Endpoints;
use super::permission::{Permission, loopback_permission, probe_health};
use super::read;
use crate::error::{WebError, WebResult};
use crate::js;

/// Reconnection delays; the last repeats.
const BACKOFF_MS: [u32; 6] = [500, 1_000, 2_000, 4_000, 8_000, 10_000];

/// The delay before reconnection attempt `attempt` (from 1).
pub fn backoff_ms(attempt: u32) -> u32 {
    let i = (attempt.max(1) - 1) as usize;
    BACKOFF_MS[i.min(BACKOFF_MS.len() - 1)]
}

/// Where the connection to the bridge stands (`Bridge.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkState {
    Connecting,
    Connected,
    Reconnecting,
    Closed,
}

impl LinkState {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            LinkState::Connecting => "connecting",
            LinkState::Connected => "connected",
            LinkState::Reconnecting => "reconnecting",
            LinkState::Closed => "closed",
        }
    }
}

/// A request waiting for its answer.
struct Pending {
    generation: u32,
    sender: oneshot::Sender<WebResult<JsValue>>,
}

/// One WebSocket and the closures it calls.
pub(crate) struct Link {
    pub(crate) socket: WebSocket,
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

pub(crate) type Listeners = RefCell<Vec<(u32, Function)>>;

thread_local! {
    /// The open bridge clients by id: a few at most, so a list (this map and `pending` as
    /// `BTreeMap`s were 18 KB of the module's code, 6.6 KB gzipped).
    static REGISTRY: RefCell<Vec<(u32, Weak<BridgeInner>)>> = const { RefCell::new(Vec::new()) };
    static NEXT_BRIDGE_ID: Cell<u32> = const { Cell::new(1) };
}

/// The shared state of one bridge client.
pub(crate) struct BridgeInner {
    pub(crate) id: u32,
    pub(crate) endpoints: Endpoints,
    reconnect: bool,
    max_attempts: Option<u32>,
    pub(crate) state: Cell<LinkState>,
    generation: Cell<u32>,
    pub(crate) link: RefCell<Option<Link>>,
    next_request: Cell<u64>,
    /// Requests in flight, oldest first (ids grow).
    pending: RefCell<Vec<(u64, Pending)>>,
    pub(crate) hello: RefCell<Option<Hello>>,
    pub(crate) readers: RefCell<Vec<Reader>>,
    pub(crate) service: Cell<bool>,
    pub(crate) reader_listeners: Listeners,
    pub(crate) state_listeners: Listeners,
    next_listener: Cell<u32>,
    reconnecting: Cell<bool>,
}

impl Drop for BridgeInner {
    fn drop(&mut self) {
        unregister(self.id);
    }
}

/// Forgets bridge client `id`.
fn unregister(id: u32) {
    REGISTRY.with(|r| r.borrow_mut().retain(|(i, _)| *i != id));
}

impl BridgeInner {
    /// The bridge client a JS `Bridge` object (or anything with its `id`) stands for.
    pub(crate) fn from_js(value: &JsValue) -> WebResult<Rc<BridgeInner>> {
        let id = js::get(value, "id").as_f64();
        id.and_then(|id| {
            REGISTRY.with(|r| {
                let r = r.borrow();
                let (_, inner) = r.iter().find(|(i, _)| *i == id as u32)?;
                inner.upgrade()
            })
        })
        .ok_or_else(|| {
            WebError::InvalidArgument(
                "`bridge` must be a Bridge from connectBridge() that is still open".into(),
            )
        })
    }

    pub(crate) fn generation(&self) -> u32 {
        self.generation.get()
    }

    pub(crate) fn add_listener(&self, list: &Listeners, f: Function) -> u32 {
        let id = self.next_listener.get();
        self.next_listener.set(id + 1);
        list.borrow_mut().push((id, f));
        id
    }

    fn listeners(list: &Listeners) -> Vec<Function> {
        list.borrow().iter().map(|(_, f)| f.clone()).collect()
    }

    pub(crate) fn emit_state(&self, extra: impl FnOnce(&Object)) {
        let event = Object::new();
        js::set(&event, "state", self.state.get().as_str());
        extra(&event);
        let event: JsValue = event.into();
        for f in Self::listeners(&self.state_listeners) {
            js::notify(&f, &event);
        }
    }

    pub(crate) fn set_state(&self, state: LinkState) {
        self.state.set(state);
        self.emit_state(|_| {});
    }

    pub(crate) fn set_readers(&self, readers: Vec<Reader>, service: bool) {
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
            .push((id, Pending { generation, sender }));
        let sent = match self.link.borrow().as_ref() {
            Some(link) if link.generation == generation => link.socket.send_with_str(&text).is_ok(),
            _ => false,
        };
        drop(text);
        if !sent {
            self.take_pending(id);
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
                self.take_pending(id);
                Err(WebError::Timeout {
                    method: method.to_string(),
                    millis: timeout_ms,
                })
            }
        }
    }

    /// Removes and returns the request `id` waits on, if it still does.
    fn take_pending(&self, id: u64) -> Option<Pending> {
        let mut pending = self.pending.borrow_mut();
        let at = pending.iter().position(|(i, _)| *i == id)?;
        Some(pending.remove(at).1)
    }

    fn fail_pending(&self, generation: u32, error: &WebError) {
        let failed: Vec<Pending> = {
            let mut pending = self.pending.borrow_mut();
            let (failed, kept) = std::mem::take(&mut *pending)
                .into_iter()
                .partition(|(_, p)| p.generation == generation);
            *pending = kept;
            failed.into_iter().map(|(_, p)| p).collect()
        };
        for p in failed {
            let _ = p.sender.send(Err(lost_with(error)));
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
            if name == READERS_EVENT {
                let data = js::get(frame, "data");
                if let Ok(readers) = read::readers(&js::get(&data, "readers")) {
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
        let Some(pending) = key.and_then(|k| self.take_pending(k)) else {
            return;
        };
        let error = js::get(frame, "error");
        let outcome = if error.is_object() {
            Err(read::error(&error))
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
        let lost = WebError::ConnectionLost(why);
        self.drop_link(generation, &lost);
        if self.state.get() == LinkState::Connected {
            if self.reconnect {
                self.start_reconnect(lost);
            } else {
                self.shutdown(Some(&lost));
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
    pub(crate) async fn open_link(self: &Rc<Self>) -> WebResult<()> {
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
        match select(opened, Box::pin(TimeoutFuture::new(CLIENT_OPEN_MS))).await {
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
                    millis: CLIENT_OPEN_MS,
                };
                self.drop_link(generation, &error);
                return Err(error);
            }
        }
        let hello = match self
            .request_on(generation, method::HELLO, None, CLIENT_REQUEST_MS)
            .await
        {
            Ok(hello) => hello,
            Err(e) => {
                self.drop_link(generation, &e);
                return Err(e);
            }
        };
        if let Err(e) = read::check_protocol(&js::get(&hello, "protocol")) {
            self.drop_link(generation, &e);
            return Err(e);
        }
        let hello = match read::hello(&hello) {
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
    pub(crate) fn shutdown(&self, error: Option<&WebError>) {
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
        unregister(self.id);
    }
}

/// The error of a request whose link was dropped because of `error`: `bridge-closed` when the
/// page closed the bridge, else `connection-lost` (the only two that reach a request in
/// flight: a link that fails while opening has none).
fn lost_with(error: &WebError) -> WebError {
    match error {
        WebError::Closed => WebError::Closed,
        WebError::ConnectionLost(why) => WebError::ConnectionLost(why.clone()),
        other => WebError::ConnectionLost(other.to_string()),
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
                inner.shutdown(Some(&last_error));
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
                inner.shutdown(Some(&e));
                return;
            }
            Err(e) => last_error = e,
        }
    }
}

/// What `connectBridge`'s options ask of the link.
pub(crate) struct LinkOptions {
    /// Reconnect after a connection that was up is lost.
    pub(crate) reconnect: bool,
    /// Give up after this many reconnection attempts.
    pub(crate) max_attempts: Option<u32>,
    /// `onStateChange`.
    pub(crate) on_state: Option<Function>,
    /// `onReaders`.
    pub(crate) on_readers: Option<Function>,
}

/// Steps 2–4 of `connectBridge` ([`super`]): the permission, the `/health` probe, the
/// WebSocket and `hello`. The endpoints were checked by the caller.
pub(crate) async fn connect(
    endpoints: Endpoints,
    options: LinkOptions,
) -> WebResult<Rc<BridgeInner>> {
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
        pending: RefCell::new(Vec::new()),
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
        inner.shutdown(Some(&WebError::PermissionDenied));
        return Err(WebError::PermissionDenied);
    }
    let opened = match probe_health(&inner.endpoints).await {
        Ok(()) => inner.open_link().await,
        Err(e) => Err(e),
    };
    if let Err(e) = opened {
        inner.shutdown(Some(&e));
        return Err(e);
    }
    REGISTRY.with(|r| r.borrow_mut().push((id, Rc::downgrade(&inner))));
    inner.set_state(LinkState::Connected);
    Ok(inner)
}

/// Adds `listener` to the list `which` picks and returns the JS function that removes it
/// (a no-op once the bridge client is gone).
pub(crate) fn subscribe(
    inner: &Rc<BridgeInner>,
    which: fn(&BridgeInner) -> &Listeners,
    listener: Function,
) -> Function {
    let id = inner.add_listener(which(inner), listener);
    let weak = Rc::downgrade(inner);
    Closure::once_into_js(move || {
        if let Some(inner) = weak.upgrade() {
            which(&inner).borrow_mut().retain(|(i, _)| *i != id);
        }
    })
    .unchecked_into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_in_flight_fails_with_closed_or_connection_lost() {
        assert_eq!(lost_with(&WebError::Closed), WebError::Closed);
        let lost = WebError::ConnectionLost("the WebSocket closed (code 1006)".into());
        assert_eq!(lost_with(&lost), lost);
        let other = WebError::BadFrame("hello: no origin".into());
        let e = lost_with(&other);
        assert_eq!(e.code(), "connection-lost");
        assert!(e.to_string().ends_with(&other.to_string()), "{e}");
    }

    #[test]
    fn backoff_grows_then_stays() {
        assert_eq!(backoff_ms(1), 500);
        assert_eq!(backoff_ms(2), 1_000);
        assert_eq!(backoff_ms(5), 8_000);
        assert_eq!(backoff_ms(6), 10_000);
        assert_eq!(backoff_ms(60), 10_000);
    }
}
