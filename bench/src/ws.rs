//! A bridge client over WebSocket (wire protocol v1), as a page would use it: one request at
//! a time, answers matched by `id`, `readers` events skipped.
//!
//! [`WsTransport`] turns `transmit` into `myna-core`'s [`Transport`], so the visual flow
//! runs exactly the code the browser runs (`jpki::read_auth_certificate`).

use anyhow::{Context as _, Result, bail};
use base64::Engine as _;
use futures_util::{SinkExt as _, StreamExt as _};
use myna_core::profile::AuthAlgorithm;
use myna_core::transport::{Transport, TransportError, TransportErrorKind};
use myna_core::wire::frame::AuthenticateResult;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

/// An error answer from the bridge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bridge error {code}: {message}")]
pub struct BridgeError {
    /// The wire code (`pin-incorrect`, `policy-denied`, …).
    pub code: String,
    /// The bridge's explanation.
    pub message: String,
}

/// One WebSocket connection to the bridge.
/// What `authenticate` answered ([`BridgeClient::authenticate`]).
pub struct Signed {
    /// The auth certificate (DER).
    pub certificate: Vec<u8>,
    /// The card's signature over the origin- and nonce-bound message.
    pub signature: Vec<u8>,
    /// The algorithm as the bridge named it.
    pub algorithm: AuthAlgorithm,
}

pub struct BridgeClient {
    ws: WebSocketStream<TcpStream>,
    next_id: u64,
}

impl BridgeClient {
    /// Connects to `ws://127.0.0.1:PORT/v1` with `Origin: origin` (TCP_NODELAY on, as
    /// browsers do).
    pub async fn connect(port: u16, origin: &str) -> Result<Self> {
        let stream = TcpStream::connect(("127.0.0.1", port))
            .await
            .with_context(|| format!("connecting to the bridge on port {port}"))?;
        stream.set_nodelay(true)?;
        let mut request = format!("ws://127.0.0.1:{port}/v1").into_client_request()?;
        request.headers_mut().insert("Origin", origin.parse()?);
        let (ws, _) = tokio_tungstenite::client_async(request, stream)
            .await
            .context("WebSocket handshake with the bridge")?;
        Ok(BridgeClient { ws, next_id: 1 })
    }

    /// Sends one request and waits for its answer: `Ok(Ok(result))`, `Ok(Err(bridge error))`,
    /// or `Err` when the connection fails.
    pub async fn call(
        &mut self,
        method: &str,
        params: Value,
    ) -> Result<std::result::Result<Value, BridgeError>> {
        let id = self.next_id;
        self.next_id += 1;
        let frame = json!({"id": id, "method": method, "params": params}).to_string();
        self.ws.send(Message::Text(frame.into())).await?;
        loop {
            let Some(message) = self.ws.next().await else {
                bail!("the bridge closed the connection during {method}");
            };
            let Message::Text(text) = message? else {
                continue;
            };
            let value: Value = serde_json::from_str(text.as_str())?;
            if value.get("id").and_then(Value::as_u64) != Some(id) {
                continue; // an event
            }
            if let Some(result) = value.get("result") {
                return Ok(Ok(result.clone()));
            }
            let error = value
                .get("error")
                .context("an answer without result or error")?;
            return Ok(Err(BridgeError {
                code: error["code"].as_str().unwrap_or_default().to_owned(),
                message: error["message"].as_str().unwrap_or_default().to_owned(),
            }));
        }
    }

    /// [`Self::call`] where a bridge error is an error too.
    pub async fn call_ok(&mut self, method: &str, params: Value) -> Result<Value> {
        Ok(self.call(method, params).await??)
    }

    /// `authenticate {handle, nonce, pin}` without consent to use the last try: the bridge's
    /// answer, its certificate and signature decoded.
    pub async fn authenticate(&mut self, handle: u64, nonce: &str, pin: &str) -> Result<Signed> {
        let result = self
            .call_ok(
                "authenticate",
                json!({"handle": handle, "nonce": nonce, "pin": pin, "allowLastAttempt": false}),
            )
            .await
            .context("authenticate")?;
        let result: AuthenticateResult =
            serde_json::from_value(result).context("authenticate's answer")?;
        let b64 = base64::engine::general_purpose::STANDARD;
        Ok(Signed {
            certificate: b64
                .decode(&result.certificate)
                .context("authenticate: the certificate is not base64")?,
            signature: b64
                .decode(&result.signature)
                .context("authenticate: the signature is not base64")?,
            algorithm: result.algorithm,
        })
    }

    /// `connect {reader}` → the handle.
    pub async fn open(&mut self, reader: &str) -> Result<u64> {
        let result = self.call_ok("connect", json!({ "reader": reader })).await?;
        result["handle"]
            .as_u64()
            .context("connect answered no handle")
    }

    /// `transmit {handle, apdu}` → the response bytes.
    pub async fn transmit(
        &mut self,
        handle: u64,
        apdu: &[u8],
    ) -> Result<std::result::Result<Vec<u8>, BridgeError>> {
        let answer = self
            .call(
                "transmit",
                json!({ "handle": handle, "apdu": hex::encode_upper(apdu) }),
            )
            .await?;
        Ok(match answer {
            Ok(result) => Ok(hex::decode(
                result["response"]
                    .as_str()
                    .context("transmit answered no response")?,
            )?),
            Err(e) => Err(e),
        })
    }

    /// Closes the connection.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

/// `transmit` on one handle as a [`Transport`].
pub struct WsTransport<'a> {
    /// The connection.
    pub client: &'a mut BridgeClient,
    /// The card session.
    pub handle: u64,
}

impl Transport for WsTransport<'_> {
    async fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        match self.client.transmit(self.handle, command).await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(e)) => Err(TransportError::new(
                TransportErrorKind::from_code(&e.code),
                e.message,
            )),
            Err(e) => Err(TransportError::new(
                TransportErrorKind::ServiceUnavailable,
                e.to_string(),
            )),
        }
    }
}
