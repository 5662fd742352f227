//! `fetch` with the few shapes this module needs.
//!
//! The global `fetch` is used (not `window.fetch`), so the module also works in a worker.
//!
//! A request may carry a time limit. It covers the whole exchange — connecting, the CORS
//! preflight, waiting for the headers and reading the body — and when it passes the request
//! is aborted with an `AbortController` (the browser drops the connection) and the caller
//! gets [`FetchFailure::TimedOut`]. The limit is raced against the exchange in Rust too, so it
//! holds even where a browser would not end a stalled body read on abort.

use std::pin::pin;

use futures_util::future::{Either, select};
use gloo_timers::future::TimeoutFuture;
use js_sys::{Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, AbortSignal, Headers, Request, RequestCache, RequestCredentials, RequestInit,
    RequestMode,
};

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
    /// Give up after this many milliseconds (the whole exchange, body included); `None`
    /// waits as long as the browser does.
    pub timeout_ms: Option<u32>,
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
    /// No complete answer within the request's `timeout_ms`; the request was aborted.
    TimedOut {
        /// The time limit that passed.
        after_ms: u32,
    },
    /// The browser lacks something the request needs (e.g. `AbortController`).
    Unsupported(&'static str),
}

fn describe(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "unknown error".to_string())
}

/// Sends `request` and reads the whole answer, within `request.timeout_ms` if given.
pub async fn fetch(request: HttpRequest<'_>) -> Result<HttpResponse, FetchFailure> {
    let Some(timeout_ms) = request.timeout_ms else {
        return exchange(&request, None).await;
    };
    let controller =
        AbortController::new().map_err(|_| FetchFailure::Unsupported("AbortController"))?;
    let signal = controller.signal();
    let answer = pin!(exchange(&request, Some(&signal)));
    // Whichever finishes first drops the other: a finished exchange clears the timer, a
    // passed limit stops waiting for the exchange.
    match select(answer, pin!(TimeoutFuture::new(timeout_ms))).await {
        Either::Left((result, _timer)) => result,
        Either::Right(((), _answer)) => {
            // Ends the fetch (or the body read) and closes its connection.
            controller.abort();
            Err(FetchFailure::TimedOut {
                after_ms: timeout_ms,
            })
        }
    }
}

/// One request and its whole body.
async fn exchange(
    request: &HttpRequest<'_>,
    signal: Option<&AbortSignal>,
) -> Result<HttpResponse, FetchFailure> {
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
    if let Some(signal) = signal {
        init.set_signal(Some(signal));
    }
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
