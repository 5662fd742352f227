//! Small glue between Rust values and plain JS objects.

use std::pin::Pin;

use js_sys::{ArrayBuffer, Function, Object, Reflect, Uint8Array};
use serde::Serialize;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{TextDecoder, TextDecoderOptions};

use crate::error::{WebError, WebResult};

/// `value[key]`, `undefined` when `value` is not an object.
pub fn get(value: &JsValue, key: &str) -> JsValue {
    if !value.is_object() && !value.is_function() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(value, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// `object[key] = value` on an object this module created.
pub fn set(object: &Object, key: &str, value: impl Into<JsValue>) {
    // Defining a property on a plain object this module made cannot throw.
    let _ = Reflect::set(object, &JsValue::from_str(key), &value.into());
}

/// `value[key]` as a string; `None` when absent (`undefined`/`null`), an error when present
/// but not a string.
pub fn opt_string(value: &JsValue, key: &str) -> WebResult<Option<String>> {
    let v = get(value, key);
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    v.as_string()
        .map(Some)
        .ok_or_else(|| WebError::InvalidArgument(format!("`{key}` must be a string")))
}

/// `value[key]` as a required string.
pub fn req_string(value: &JsValue, key: &str) -> WebResult<String> {
    opt_string(value, key)?.ok_or_else(|| WebError::InvalidArgument(format!("`{key}` is required")))
}

/// `value[key]` as a boolean (absent → `false`).
pub fn opt_bool(value: &JsValue, key: &str) -> WebResult<bool> {
    bool_or(value, key, false)
}

/// `value[key]` as a boolean, `default` when absent.
pub fn bool_or(value: &JsValue, key: &str, default: bool) -> WebResult<bool> {
    let v = get(value, key);
    if v.is_undefined() || v.is_null() {
        return Ok(default);
    }
    v.as_bool()
        .ok_or_else(|| WebError::InvalidArgument(format!("`{key}` must be a boolean")))
}

/// Checks that an optional options argument is an object (or absent).
pub fn options_object(options: &JsValue) -> WebResult<()> {
    if options.is_undefined() || options.is_null() || options.is_object() {
        Ok(())
    } else {
        Err(WebError::InvalidArgument(
            "options must be an object".into(),
        ))
    }
}

/// A `string | Uint8Array | ArrayBuffer` argument.
pub enum TextInput {
    /// A string, as is.
    Text(String),
    /// A copy of the bytes.
    Bytes(Vec<u8>),
}

/// Reads a `string | Uint8Array | ArrayBuffer` argument of `function`.
pub fn text_input(input: &JsValue, function: &str) -> WebResult<TextInput> {
    if let Some(text) = input.as_string() {
        Ok(TextInput::Text(text))
    } else if let Some(bytes) = input.dyn_ref::<Uint8Array>() {
        Ok(TextInput::Bytes(bytes.to_vec()))
    } else if let Some(buffer) = input.dyn_ref::<ArrayBuffer>() {
        Ok(TextInput::Bytes(Uint8Array::new(buffer).to_vec()))
    } else {
        Err(WebError::InvalidArgument(format!(
            "{function} takes a string, a Uint8Array or an ArrayBuffer"
        )))
    }
}

/// `bytes` decoded by the browser's WHATWG `TextDecoder("shift_jis")` (Windows-31J, CP932:
/// the table encoding_rs implements, without linking encoding_rs's tables into the module);
/// `None` when a byte sequence is not valid Shift_JIS (the decoder is fatal).
pub fn decode_shift_jis(bytes: &[u8]) -> WebResult<Option<String>> {
    let options = TextDecoderOptions::new();
    options.set_fatal(true);
    let decoder = TextDecoder::new_with_label_and_options("shift_jis", &options)
        .map_err(|_| WebError::Environment("TextDecoder(\"shift_jis\")".into()))?;
    Ok(decoder.decode_with_u8_array(bytes).ok())
}

/// `value[key]` as a function, if present.
pub fn opt_function(value: &JsValue, key: &str) -> WebResult<Option<Function>> {
    let v = get(value, key);
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    v.dyn_into::<Function>()
        .map(Some)
        .map_err(|_| WebError::InvalidArgument(format!("`{key}` must be a function")))
}

/// `value[key]` as a non-negative number, if present.
pub fn opt_u32(value: &JsValue, key: &str) -> WebResult<Option<u32>> {
    let v = get(value, key);
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    match v.as_f64() {
        Some(n) if n >= 0.0 && n <= f64::from(u32::MAX) && n.fract() == 0.0 => Ok(Some(n as u32)),
        _ => Err(WebError::InvalidArgument(format!(
            "`{key}` must be a non-negative integer"
        ))),
    }
}

/// A Rust value as a plain JS value: objects (not `Map`s), `null` for `None` — written as
/// JSON by `serde_json` and read back by the browser's `JSON.parse`. The values serialized
/// here are trees of strings, integers, booleans, options, vectors and string-keyed maps, which
/// JSON carries exactly; writing JS objects directly with `serde-wasm-bindgen` instead made the
/// module 2,988 B larger gzipped (docs/benchmarks.md).
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> JsValue {
    serde_json::to_string(value)
        .ok()
        .and_then(|text| js_sys::JSON::parse(&text).ok())
        .unwrap_or(JsValue::NULL)
}

/// A JS `Promise` of `future`: its value, or its error as a `MynaWebError`. The future is
/// boxed, so that `future_to_promise` and its task are compiled once for every async export
/// rather than once per export.
pub fn promise(future: impl Future<Output = WebResult<JsValue>> + 'static) -> js_sys::Promise {
    let future: Pin<Box<dyn Future<Output = WebResult<JsValue>>>> = Box::pin(future);
    wasm_bindgen_futures::future_to_promise(async move { future.await.map_err(JsValue::from) })
}

/// A copy of bytes as a `Uint8Array`.
pub fn bytes(data: &[u8]) -> JsValue {
    Uint8Array::from(data).into()
}

/// Calls a listener, ignoring what it throws (a page's bug must not break the module).
pub fn notify(listener: &Function, arg: &JsValue) {
    let _ = listener.call1(&JsValue::UNDEFINED, arg);
}

/// The global object's `key` (works in windows and workers).
pub fn global(key: &str) -> JsValue {
    get(&js_sys::global(), key)
}

/// The page's origin (`location.origin`), if there is one.
pub fn page_origin() -> Option<String> {
    get(&global("location"), "origin")
        .as_string()
        .filter(|o| o != "null")
}

/// A JS number as JS prints it (so the module carries no float formatting code).
pub fn number_text(value: &JsValue) -> String {
    js_sys::Number::from(value.clone())
        .to_string_with_radix(10)
        .map(String::from)
        .unwrap_or_default()
}

#[wasm_bindgen]
extern "C" {
    /// The global `atob` (windows and workers): standard base64 to a binary string.
    #[wasm_bindgen(catch, js_name = atob)]
    fn global_atob(text: &str) -> Result<String, JsValue>;
    /// The global `btoa`: a binary string (code points up to U+00FF) to standard base64.
    #[wasm_bindgen(catch, js_name = btoa)]
    fn global_btoa(binary: &str) -> Result<String, JsValue>;
}

/// Standard base64 decoded by the browser's `atob` (the `base64` crate's engines were
/// 7 KB of the module's code); `None` when it is not canonical base64. `atob` alone would
/// skip ASCII whitespace and take text without its `=` padding or with stray bits in the
/// last character; the text is taken only if `btoa` writes it back the same, so the module
/// is as strict as the crate was (the bridge writes canonical base64).
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    // `atob` gives one character per byte, U+0000 to U+00FF.
    let binary = global_atob(text).ok()?;
    if global_btoa(&binary).ok()? != text {
        return None;
    }
    Some(binary.chars().map(|c| c as u8).collect())
}

/// `bytes` in standard base64 (with padding), by the browser's `btoa`.
pub fn base64_encode(bytes: &[u8]) -> String {
    let binary: String = bytes.iter().map(|&b| char::from(b)).collect();
    // Every character of `binary` is at most U+00FF, which `btoa` always takes.
    global_btoa(&binary).unwrap_or_default()
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

    wasm_bindgen_test_configure!(run_in_browser);

    /// `atob`/`btoa` read and write standard base64 for every byte value.
    #[wasm_bindgen_test]
    fn base64_round_trips_every_byte() {
        let bytes: Vec<u8> = (0..=255).collect();
        let text = super::base64_encode(&bytes);
        assert!(text.starts_with("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIj"));
        assert!(text.ends_with("+/w=="));
        assert_eq!(super::base64_decode(&text).unwrap(), bytes);
        assert_eq!(super::base64_encode(b""), "");
        assert_eq!(super::base64_decode("").unwrap(), b"");
        assert_eq!(super::base64_decode("Y2VydA==").unwrap(), b"cert");
        // Not base64, and base64 that `atob` alone would take: no padding, whitespace,
        // stray bits in the last character.
        for bad in [
            "Y2VydA=",
            "Y2V!",
            "Y",
            "あ",
            "Y2VydA",
            "Y2Vy dA==",
            "Y2VydA==\n",
            "Y2VydB==",
        ] {
            assert_eq!(super::base64_decode(bad), None, "{bad}");
        }
    }
}
