//! `fetch` with the few shapes this module needs.
//!
//! The global `fetch` is used (not `window.fetch`), so the module also works in a worker.

use js_sys::{Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Request, RequestCache, RequestCredentials, RequestInit, RequestMode};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(request: &Request) -> Promise;
}

/// An HTTP request.
pub struct HttpRequest<'a> {
    /// Absolute URL.
    pub url: &'a str,
    /// `GET`, `POST`, …
    pub method: &'a str,
    /// Header names and values.
    pub headers: Vec<(&'a str, String)>,
    /// A text body.
    pub body: Option<String>,
    /// `cors` (read the answer) or `no-cors` (only learn whether something answered).
    pub mode: RequestMode,
}

/// What came back.
pub struct HttpResponse {
    /// HTTP status (`0` for an opaque `no-cors` answer).
    pub status: u16,
    /// The body (empty for an opaque answer).
    pub body: Vec<u8>,
}

/// Why a request failed before any answer could be read.
pub enum FetchFailure {
    /// The request could not even be built (bad URL or header).
    Invalid(String),
    /// `fetch` rejected: network error, refused connection, CORS refusal, blocked by the
    /// browser. The browser does not say which.
    Network(String),
}

fn describe(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "unknown error".to_string())
}

/// Sends `request` and reads the whole answer.
pub async fn fetch(request: HttpRequest<'_>) -> Result<HttpResponse, FetchFailure> {
    let init = RequestInit::new();
    init.set_method(request.method);
    init.set_mode(request.mode);
    init.set_cache(RequestCache::NoStore);
    init.set_credentials(RequestCredentials::Omit);
    let headers = Headers::new().map_err(|e| FetchFailure::Invalid(describe(&e)))?;
    for (name, value) in &request.headers {
        headers
            .set(name, value)
            .map_err(|e| FetchFailure::Invalid(describe(&e)))?;
    }
    init.set_headers(&headers);
    if let Some(body) = &request.body {
        init.set_body(&JsValue::from_str(body));
    }
    let req = Request::new_with_str_and_init(request.url, &init)
        .map_err(|e| FetchFailure::Invalid(describe(&e)))?;
    let response: web_sys::Response = JsFuture::from(global_fetch(&req))
        .await
        .map_err(|e| FetchFailure::Network(describe(&e)))?
        .unchecked_into();
    let status = response.status();
    let body = match response.array_buffer() {
        Ok(promise) => JsFuture::from(promise)
            .await
            .map(|buffer| Uint8Array::new(&buffer).to_vec())
            .map_err(|e| FetchFailure::Network(describe(&e)))?,
        Err(e) => return Err(FetchFailure::Network(describe(&e))),
    };
    Ok(HttpResponse { status, body })
}
