//! Decoding the bridge's frames into the contract's types ([`myna_core::wire`]).
//!
//! The frames are read by hand, field by field, from the `JSON.parse`d object rather than
//! with serde derives: deserializing with `serde-wasm-bindgen` (or `serde_json`) in the module
//! cost +6.8 KB to +25.7 KB gzipped in earlier measurements, more than the module's whole
//! budget headroom (`docs/benchmarks.md`). The field names are the contract's; the TypeScript
//! declarations are tested against the same types (`wasm/src/types.rs`). A missing or
//! mistyped field is `bad-frame`.

use myna_core::profile::AuthAlgorithm;
use myna_core::wire::{
    BridgeId, ErrorCode, Hello, PROTOCOL_VERSION, PinStatusResult, Reader, ReaderState, Simulation,
    Token,
};
use wasm_bindgen::JsValue;

use crate::error::{WebError, WebResult};
use crate::js;

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

/// A `readers` array from the bridge.
pub fn readers(value: &JsValue) -> WebResult<Vec<Reader>> {
    if !js_sys::Array::is_array(value) {
        return Err(WebError::BadFrame("`readers` is not an array".into()));
    }
    js_sys::Array::from(value)
        .iter()
        .map(|r| {
            let reader = || {
                Some(Reader {
                    name: js::get(&r, "name").as_string()?,
                    state: ReaderState::parse(&js::get(&r, "state").as_string()?)?,
                    atr: js::get(&r, "atr").as_string(),
                })
            };
            reader().ok_or_else(|| WebError::BadFrame("a reader lacks its name or state".into()))
        })
        .collect()
}

/// A `hello` result whose protocol was already checked.
pub fn hello(value: &JsValue) -> WebResult<Hello> {
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
    let list = js::get(value, "readers");
    Ok(Hello {
        bridge: BridgeId {
            name: text(&bridge, "name")?,
            version: text(&bridge, "version")?,
        },
        protocol: PROTOCOL_VERSION,
        origin: text(value, "origin")?,
        policy: text(value, "policy")?,
        readers: if list.is_undefined() {
            Vec::new()
        } else {
            readers(&list)?
        },
        simulate,
    })
}

/// A bridge `error` object as a [`WebError`]; the code passes through unchanged (an absent
/// one is `internal`).
pub fn error(error: &JsValue) -> WebError {
    let code = js::get(error, "code")
        .as_string()
        .unwrap_or_else(|| ErrorCode::Internal.as_str().to_string());
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

/// `connect`'s `{handle}`.
pub fn handle(result: &JsValue) -> WebResult<u32> {
    js::get(result, "handle")
        .as_f64()
        .filter(|h| *h >= 0.0 && *h <= f64::from(u32::MAX))
        .map(|h| h as u32)
        .ok_or_else(|| WebError::BadFrame("connect: no handle".into()))
}

/// `transmit`'s `{response}`: the response APDU's bytes.
pub fn transmit_response(result: &JsValue) -> WebResult<Vec<u8>> {
    let response = js::get(result, "response")
        .as_string()
        .ok_or_else(|| WebError::BadFrame("transmit: no response".into()))?;
    hex::decode(response).map_err(|_| WebError::BadFrame("transmit: response is not hex".into()))
}

/// A base64 field of a result.
fn base64_field(result: &JsValue, method: &str, key: &str) -> WebResult<Vec<u8>> {
    let text = js::get(result, key)
        .as_string()
        .ok_or_else(|| WebError::BadFrame(format!("{method}: no {key}")))?;
    js::base64_decode(&text)
        .ok_or_else(|| WebError::BadFrame(format!("{method}: {key} is not base64")))
}

/// `readFile`'s `{data}`: the file's bytes.
pub fn file_data(result: &JsValue) -> WebResult<Vec<u8>> {
    base64_field(result, "readFile", "data")
}

/// `pinStatus`'s `{remaining, blocked}` (`blocked` defaults to "no tries left").
pub fn pin_status(result: &JsValue) -> WebResult<PinStatusResult> {
    let remaining = js::get(result, "remaining")
        .as_f64()
        .filter(|n| (0.0..=255.0).contains(n))
        .ok_or_else(|| WebError::BadFrame("pinStatus: no remaining".into()))?;
    let blocked = js::get(result, "blocked")
        .as_bool()
        .unwrap_or(remaining == 0.0);
    Ok(PinStatusResult {
        remaining: remaining as u8,
        blocked,
    })
}

/// What `authenticate` returns, decoded.
pub struct Authentication {
    /// The auth certificate, DER.
    pub certificate: Vec<u8>,
    /// RSASSA-PKCS1-v1_5 over the bound message.
    pub signature: Vec<u8>,
    /// The signature's algorithm, passed on to the service in the confirmation.
    pub algorithm: AuthAlgorithm,
    /// Which token signed (`card`, `android`), when the bridge says (issue 14); a name the
    /// contract does not know is left out (an older module with a newer bridge).
    pub token: Option<Token>,
}

/// `authenticate`'s `{certificate, signature, algorithm, token}` (`algorithm` defaults to
/// `RS256`; a name the core does not know is a bad frame).
pub fn authentication(result: &JsValue) -> WebResult<Authentication> {
    let algorithm = match js::get(result, "algorithm").as_string() {
        None => AuthAlgorithm::Rs256,
        Some(name) => AuthAlgorithm::parse(&name)
            .ok_or_else(|| WebError::BadFrame("authenticate: unknown algorithm".into()))?,
    };
    Ok(Authentication {
        certificate: base64_field(result, "authenticate", "certificate")?,
        signature: base64_field(result, "authenticate", "signature")?,
        algorithm,
        token: js::get(result, "token").as_string().and_then(|n| token(&n)),
    })
}

/// The contract's token a wire name stands for (`card`, `android`, `iphone`).
pub fn token(name: &str) -> Option<Token> {
    Token::ALL.iter().copied().find(|t| t.as_str() == name)
}
