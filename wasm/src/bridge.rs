//! The JS façade of the bridge client: `connectBridge`, the `Bridge` class and its
//! methods. The client itself — endpoints, permission probing, the link, reading frames —
//! is [`crate::client`]; card sessions are [`crate::session`].

use std::rc::Rc;

use js_sys::{Function, Object};
use myna_core::wire::method;
use myna_core::wire::timeouts::CLIENT_REQUEST_MS;
use wasm_bindgen::prelude::*;

use crate::client::endpoint::{check_loopback, endpoints};
use crate::client::link::{self, BridgeInner, LinkOptions};
use crate::client::read;
use crate::error::WebResult;
use crate::js;
use crate::session::CardSession;

/// The bridge wire protocol version this module speaks.
pub const PROTOCOL_VERSION: u32 = myna_core::wire::PROTOCOL_VERSION;
/// The bridge's default port.
pub const DEFAULT_PORT: u16 = myna_core::wire::DEFAULT_PORT;

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
        js::options_object(options)?;
        Ok(ConnectOptions {
            reconnect: js::bool_or(options, "reconnect", true)?,
            allow_non_loopback: js::opt_bool(options, "allowNonLoopbackBridge")?,
            max_attempts: js::opt_u32(options, "maxReconnectAttempts")?,
            on_state: js::opt_function(options, "onStateChange")?,
            on_readers: js::opt_function(options, "onReaders")?,
        })
    }
}

/// `connectBridge(url, options?)`: connects to the bridge (see [`crate::client`] for the
/// steps and the error codes).
pub async fn connect_bridge(url: &str, options: &JsValue) -> WebResult<Bridge> {
    let endpoints = endpoints(url)?;
    let options = ConnectOptions::from_js(options)?;
    if !options.allow_non_loopback {
        check_loopback(&endpoints)?;
    }
    let inner = link::connect(
        endpoints,
        LinkOptions {
            reconnect: options.reconnect,
            max_attempts: options.max_attempts,
            on_state: options.on_state,
            on_readers: options.on_readers,
        },
    )
    .await?;
    Ok(Bridge { inner })
}

impl Bridge {
    /// The bridge's `simulate` request (`action`, and the persona to insert).
    fn simulate(&self, action: &'static str, persona: Option<String>) -> js_sys::Promise {
        let inner = self.inner.clone();
        js::promise(async move {
            let params = Object::new();
            js::set(&params, "action", action);
            if let Some(persona) = persona {
                js::set(&params, "persona", persona);
            }
            inner
                .request(method::SIMULATE, Some(params.into()), CLIENT_REQUEST_MS)
                .await?;
            Ok(JsValue::UNDEFINED)
        })
    }
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
        js::promise(async move {
            let result = inner
                .request(method::LIST_READERS, None, CLIENT_REQUEST_MS)
                .await?;
            let readers = read::readers(&js::get(&result, "readers"))?;
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
        link::subscribe(&self.inner, |i| &i.reader_listeners, listener)
    }

    /// Calls `listener({state, attempt?, delayMs?, error?})` on every connection state change.
    /// Returns a function that removes the listener.
    #[wasm_bindgen(js_name = onStateChange, unchecked_return_type = "() => void")]
    pub fn on_state_change(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(event: BridgeStateEvent) => void")]
        listener: Function,
    ) -> Function {
        link::subscribe(&self.inner, |i| &i.state_listeners, listener)
    }

    /// Opens a session on the card in `reader`.
    #[wasm_bindgen(unchecked_return_type = "Promise<CardSession>")]
    pub fn connect(&self, reader: String) -> js_sys::Promise {
        let inner = self.inner.clone();
        js::promise(async move { CardSession::open(inner, reader).await.map(JsValue::from) })
    }

    /// With a bridge started with `--simulate`: puts `persona`'s virtual card in the reader.
    #[wasm_bindgen(js_name = simulateInsert, unchecked_return_type = "Promise<void>")]
    pub fn simulate_insert(&self, persona: String) -> js_sys::Promise {
        self.simulate("insert", Some(persona))
    }

    /// With a bridge started with `--simulate`: takes the virtual card out.
    #[wasm_bindgen(js_name = simulateRemove, unchecked_return_type = "Promise<void>")]
    pub fn simulate_remove(&self) -> js_sys::Promise {
        self.simulate("remove", None)
    }

    /// With a bridge started with `--simulate`: takes the virtual card out and presents the
    /// same card again (its PIN counters kept), as staff do before a patient's last PIN try.
    #[wasm_bindgen(js_name = simulateReinsert, unchecked_return_type = "Promise<void>")]
    pub fn simulate_reinsert(&self) -> js_sys::Promise {
        self.simulate("reinsert", None)
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
