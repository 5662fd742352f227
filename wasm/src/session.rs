//! A card session over the bridge: raw `transmit`, whole files with `readFile`, and the
//! bridge's own `pinStatus` / `authenticate` (PIN and signing stay inside the bridge).

use std::rc::Rc;

use js_sys::{Object, Uint8Array};
use myna_core::jpki::{self, JpkiError, Pin};
use myna_core::profile::{Fid, MY_NUMBER_CARD};
use myna_core::wire::method;
use myna_core::wire::timeouts::{CLIENT_AUTHENTICATE_MS, CLIENT_REQUEST_MS};
use wasm_bindgen::prelude::*;

use crate::client::link::BridgeInner;
use crate::client::read::{self, Authentication};
use crate::error::{WebError, WebResult};
use crate::js;

/// The shared state of one card session.
pub(crate) struct SessionInner {
    bridge: Rc<BridgeInner>,
    reader: String,
    handle: u32,
    generation: u32,
}

impl SessionInner {
    /// Opens a session on the card in `reader`.
    pub(crate) async fn open(bridge: Rc<BridgeInner>, reader: String) -> WebResult<Self> {
        let generation = bridge.generation();
        let params = Object::new();
        js::set(&params, "reader", reader.as_str());
        let result = bridge
            .request(method::CONNECT, Some(params.into()), CLIENT_REQUEST_MS)
            .await?;
        let handle = read::handle(&result)?;
        Ok(SessionInner {
            bridge,
            reader,
            handle,
            generation,
        })
    }

    async fn call(&self, method: &str, params: Object, timeout_ms: u32) -> WebResult<JsValue> {
        if self.bridge.generation() != self.generation {
            return Err(WebError::ConnectionLost(
                "this card session belongs to an earlier connection to the bridge; connect to \
                 the card again"
                    .into(),
            ));
        }
        js::set(&params, "handle", self.handle);
        self.bridge
            .request(method, Some(params.into()), timeout_ms)
            .await
    }

    /// One APDU through the bridge (its policy applies).
    pub(crate) async fn transmit(&self, apdu: &[u8]) -> WebResult<Vec<u8>> {
        let params = Object::new();
        js::set(&params, "apdu", hex::encode_upper(apdu));
        let result = self
            .call(method::TRANSMIT, params, CLIENT_REQUEST_MS)
            .await?;
        read::transmit_response(&result)
    }

    /// A whole file the bridge lets a page read (`000A`, `000B`, `0006`), by the bridge's
    /// `readFile`: `SELECT` JPKI-AP, `SELECT` EF and the `READ BINARY`s in one PC/SC
    /// transaction, so no other program's command can come between the selection and the
    /// reads (issue 11), with the fewest APDUs (2 + ⌈n/256⌉ for a certificate).
    pub(crate) async fn read_file(&self, file: Fid) -> WebResult<Vec<u8>> {
        let params = Object::new();
        js::set(&params, "file", hex::encode_upper(file.to_bytes()));
        let result = self
            .call(method::READ_FILE, params, CLIENT_REQUEST_MS)
            .await?;
        read::file_data(&result)
    }

    /// The auth certificate (EF `000A`, the card table's `auth_certificate`), DER, checked
    /// to be one certificate.
    pub(crate) async fn read_auth_certificate(&self) -> WebResult<Vec<u8>> {
        certificate(self.read_file(MY_NUMBER_CARD.auth_certificate).await?)
    }

    /// The CA certificate of the auth certificate (EF `000B`, the card table's
    /// `auth_ca_certificate`), DER.
    pub(crate) async fn read_auth_ca_certificate(&self) -> WebResult<Vec<u8>> {
        certificate(self.read_file(MY_NUMBER_CARD.auth_ca_certificate).await?)
    }

    /// Tries left, without using one (the bridge's `pinStatus`).
    pub(crate) async fn pin_status(&self) -> WebResult<(u8, bool)> {
        let result = self
            .call(method::PIN_STATUS, Object::new(), CLIENT_REQUEST_MS)
            .await?;
        let status = read::pin_status(&result)?;
        Ok((status.remaining, status.blocked))
    }

    /// The bridge's `authenticate`: one PIN try at most, then the signature over the bound
    /// message. The PIN format is checked here first, so a typo never reaches the card.
    pub(crate) async fn authenticate(
        &self,
        nonce: &str,
        pin: &str,
        allow_last_attempt: bool,
    ) -> WebResult<Authentication> {
        Pin::auth(pin)?;
        let params = Object::new();
        js::set(&params, "nonce", nonce);
        js::set(&params, "pin", pin);
        js::set(&params, "allowLastAttempt", allow_last_attempt);
        let result = self
            .call(method::AUTHENTICATE, params, CLIENT_AUTHENTICATE_MS)
            .await?;
        read::authentication(&result)
    }

    /// Releases the handle.
    pub(crate) async fn disconnect(&self) -> WebResult<()> {
        self.call(method::DISCONNECT, Object::new(), CLIENT_REQUEST_MS)
            .await
            .map(|_| ())
    }
}

/// The bridge reads a certificate to the length its DER header declares; anything else is a
/// card (or bridge) fault, reported as the core reports it.
fn certificate(der: Vec<u8>) -> WebResult<Vec<u8>> {
    match jpki::certificate_length(&der) {
        Ok(len) if len == der.len() => Ok(der),
        Ok(len) => Err(WebError::Card(JpkiError::CertificateTruncated {
            expected: len,
            read: der.len(),
        })),
        Err(e) => Err(WebError::Card(e)),
    }
}

/// A session on one card, made by `bridge.connect(reader)`.
#[wasm_bindgen]
pub struct CardSession {
    inner: Rc<SessionInner>,
}

impl CardSession {
    pub(crate) async fn open(bridge: Rc<BridgeInner>, reader: String) -> WebResult<CardSession> {
        Ok(CardSession {
            inner: Rc::new(SessionInner::open(bridge, reader).await?),
        })
    }
}

#[wasm_bindgen]
impl CardSession {
    /// The reader this session is on.
    #[wasm_bindgen(getter)]
    pub fn reader(&self) -> String {
        self.inner.reader.clone()
    }

    /// The bridge's handle.
    #[wasm_bindgen(getter)]
    pub fn handle(&self) -> u32 {
        self.inner.handle
    }

    /// Sends one command APDU; resolves to the response APDU (data + SW1SW2). The bridge's
    /// policy refuses anything outside the eligibility profile (`policy-denied`).
    #[wasm_bindgen(unchecked_return_type = "Promise<Uint8Array>")]
    pub fn transmit(&self, apdu: &[u8]) -> js_sys::Promise {
        let inner = self.inner.clone();
        let apdu = apdu.to_vec();
        js::promise(async move { Ok(js::bytes(&inner.transmit(&apdu).await?)) })
    }

    /// Reads the user-authentication certificate (利用者証明用電子証明書), DER, with the bridge's
    /// `readFile` (one transaction).
    #[wasm_bindgen(js_name = readAuthCertificate, unchecked_return_type = "Promise<Uint8Array>")]
    pub fn read_auth_certificate(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        js::promise(async move { Ok(js::bytes(&inner.read_auth_certificate().await?)) })
    }

    /// Reads the CA certificate that issued the auth certificate, DER.
    #[wasm_bindgen(js_name = readAuthCaCertificate, unchecked_return_type = "Promise<Uint8Array>")]
    pub fn read_auth_ca_certificate(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        js::promise(async move { Ok(js::bytes(&inner.read_auth_ca_certificate().await?)) })
    }

    /// The auth PIN's tries left, without using one: `{remaining, blocked}`.
    #[wasm_bindgen(js_name = pinStatus, unchecked_return_type = "Promise<PinStatus>")]
    pub fn pin_status(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        js::promise(async move {
            let (remaining, blocked) = inner.pin_status().await?;
            let status = Object::new();
            js::set(&status, "remaining", remaining);
            js::set(&status, "blocked", blocked);
            Ok(status.into())
        })
    }

    /// `authenticate({nonce, pin, allowLastAttempt})`: the bridge verifies the PIN once (never
    /// a retry) and the card signs the nonce bound to this page's origin. Resolves to
    /// `{certificate, signature, algorithm}`.
    #[wasm_bindgen(unchecked_return_type = "Promise<Authentication>")]
    pub fn authenticate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "AuthenticateOptions")] options: JsValue,
    ) -> js_sys::Promise {
        let inner = self.inner.clone();
        js::promise(async move {
            let nonce = js::req_string(&options, "nonce")?;
            let pin = zeroize::Zeroizing::new(js::req_string(&options, "pin")?);
            let allow = js::opt_bool(&options, "allowLastAttempt")?;
            let auth = inner.authenticate(&nonce, &pin, allow).await?;
            Ok(authentication_to_js(&auth))
        })
    }

    /// Releases the session's handle.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn disconnect(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        js::promise(async move {
            inner.disconnect().await?;
            Ok(JsValue::UNDEFINED)
        })
    }
}

fn authentication_to_js(auth: &Authentication) -> JsValue {
    let out = Object::new();
    js::set(
        &out,
        "certificate",
        Uint8Array::from(auth.certificate.as_slice()),
    );
    js::set(
        &out,
        "signature",
        Uint8Array::from(auth.signature.as_slice()),
    );
    js::set(&out, "algorithm", auth.algorithm.as_str());
    if let Some(token) = auth.token {
        js::set(&out, "token", token.as_str());
    }
    out.into()
}
