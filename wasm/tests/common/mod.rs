//! Helpers shared by the browser test files.
#![allow(dead_code)]

use js_sys::{Array, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Document, Element};

/// A test's environment variable, compiled in by `cargo xtask wasm-tests` (which sets every
/// `MYNA_TEST_*` these tests read). Unset, the test **fails** — a browser test that passes
/// without its bridge or service would prove nothing — unless `MYNA_TEST_ALLOW_SKIP` was
/// set at compile time: the documented opt-out for running `cargo test -p myna-web --target
/// wasm32-unknown-unknown` by hand without those processes; then the test says it was
/// skipped and returns.
pub fn required(value: Option<&'static str>, name: &str) -> Option<&'static str> {
    match value {
        Some(value) => Some(value),
        None if option_env!("MYNA_TEST_ALLOW_SKIP").is_some() => {
            wasm_bindgen_test::console_log!("skipped: {name} not set (MYNA_TEST_ALLOW_SKIP)");
            None
        }
        None => panic!(
            "{name} is not set: run `cargo xtask wasm-tests`, or set MYNA_TEST_ALLOW_SKIP=1 to \
             skip the tests that need it"
        ),
    }
}

/// `required_env!("MYNA_TEST_X")`: [`required`] for the variable of that name, read at compile
/// time.
#[allow(unused_macros)] // not every test file uses it
macro_rules! required_env {
    ($name:literal) => {
        required(option_env!($name), $name)
    };
}
#[allow(unused_imports)]
pub(crate) use required_env;

/// `or_skip!(value)`: the `Some` of an `Option` that is `None` only when the test is skipped
/// (a [`required`] variable unset under `MYNA_TEST_ALLOW_SKIP`); on `None` the test returns.
#[allow(unused_macros)] // not every test file uses it
macro_rules! or_skip {
    ($option:expr) => {
        match $option {
            Some(value) => value,
            None => return,
        }
    };
}
#[allow(unused_imports)]
pub(crate) use or_skip;

/// `value[key]` (panics in a test when `value` is not an object).
pub fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(key)).expect("Reflect.get")
}

/// `value.a.b.c` by a dotted path; array indices allowed (`resultList.0.name`).
pub fn path(value: &JsValue, dotted: &str) -> JsValue {
    dotted.split('.').fold(value.clone(), |v, key| get(&v, key))
}

/// `value.a.b` as a string.
pub fn string(value: &JsValue, dotted: &str) -> String {
    path(value, dotted)
        .as_string()
        .unwrap_or_else(|| panic!("{dotted} is not a string: {:?}", path(value, dotted)))
}

/// Asserts that each dotted path of `value` holds its string; a failure names the path.
pub fn assert_strings(value: &JsValue, expected: &[(&str, &str)]) {
    for (dotted, want) in expected {
        assert_eq!(string(value, dotted), *want, "{dotted}");
    }
}

/// Asserts that each labelled field in `scope` shows its text; a failure names the label.
pub fn assert_fields(scope: &Element, expected: &[(&str, &str)]) {
    for (label, want) in expected {
        assert_eq!(field(scope, label).as_deref(), Some(*want), "{label}");
    }
}

/// `connectBridge(url)`, which must fail: the error's code and the error.
pub async fn connect_refused(url: &str) -> (String, JsValue) {
    rejection(myna_web::connect_bridge(url.into(), JsValue::UNDEFINED)).await
}

/// The `code` of a thrown/rejected error, checking it is a MynaWebError.
pub fn code(error: &JsValue) -> String {
    let e: &js_sys::Error = error
        .dyn_ref()
        .unwrap_or_else(|| panic!("not an Error: {error:?}"));
    assert_eq!(String::from(e.name()), "MynaWebError");
    get(error, "code")
        .as_string()
        .unwrap_or_else(|| panic!("no code on {error:?}"))
}

/// The code of a rejected promise; panics when it resolves.
pub async fn rejection(promise: js_sys::Promise) -> (String, JsValue) {
    match JsFuture::from(promise).await {
        Ok(v) => panic!("expected a rejection, got {v:?}"),
        Err(e) => (code(&e), e),
    }
}

pub fn document() -> Document {
    web_sys::window().unwrap().document().unwrap()
}

/// A fresh `<div>` attached to the body.
pub fn container() -> Element {
    let doc = document();
    let div = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&div).unwrap();
    div
}

/// Every element matching `selector` under `root`.
pub fn all(root: &Element, selector: &str) -> Vec<Element> {
    let list = root.query_selector_all(selector).unwrap();
    (0..list.length())
        .map(|i| list.item(i).unwrap().dyn_into::<Element>().unwrap())
        .collect()
}

/// The text of the one element matching `selector`.
pub fn text(root: &Element, selector: &str) -> String {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("nothing matches {selector}"))
        .text_content()
        .unwrap_or_default()
}

/// The `<dd>` for the `<dt>` labelled `label` inside `scope`.
pub fn field(scope: &Element, label: &str) -> Option<String> {
    all(scope, ".myna-field").into_iter().find_map(|f| {
        let dt = f.query_selector("dt").unwrap()?.text_content()?;
        (dt == label).then(|| {
            f.query_selector("dd")
                .unwrap()
                .unwrap()
                .text_content()
                .unwrap()
        })
    })
}

/// The section whose heading reads `title`.
pub fn section(root: &Element, title: &str) -> Element {
    all(root, "section")
        .into_iter()
        .find(|s| {
            s.query_selector(".myna-section__title")
                .unwrap()
                .and_then(|h| h.text_content())
                .as_deref()
                == Some(title)
        })
        .unwrap_or_else(|| panic!("no section {title}"))
}

/// Waits `ms` milliseconds.
pub async fn sleep(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

/// A JS array of strings.
pub fn strings(values: &JsValue) -> Vec<String> {
    Array::from(values)
        .iter()
        .map(|v| v.as_string().unwrap_or_default())
        .collect()
}

/// A plain object from `(key, value)` pairs.
pub fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &JsValue::from_str(k), v).unwrap();
    }
    o.into()
}

/// `object.method(...args)` through JS (the generated bindings, as a page calls them).
pub fn invoke(object: &JsValue, method: &str, args: &[JsValue]) -> JsValue {
    let f: js_sys::Function = get(object, method)
        .dyn_into()
        .unwrap_or_else(|_| panic!("no method {method}"));
    let args: Array = args.iter().collect();
    f.apply(object, &args)
        .unwrap_or_else(|e| panic!("{method} threw {e:?}"))
}

/// Awaits `object.method(...args)`, which must return a Promise.
pub async fn call(object: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let promise: js_sys::Promise = invoke(object, method, args)
        .dyn_into()
        .unwrap_or_else(|_| panic!("{method} returned no Promise"));
    JsFuture::from(promise).await
}

/// Awaits `object.method(...args)`, panicking on a rejection.
pub async fn ok(object: &JsValue, method: &str, args: &[JsValue]) -> JsValue {
    call(object, method, args)
        .await
        .unwrap_or_else(|e| panic!("{method} rejected: {e:?} ({:?})", get(&e, "code")))
}

/// Awaits `object.method(...args)`, expecting a rejection; returns its code and the error.
pub async fn fails(object: &JsValue, method: &str, args: &[JsValue]) -> (String, JsValue) {
    match call(object, method, args).await {
        Ok(v) => panic!("{method} resolved to {v:?}, expected a rejection"),
        Err(e) => (code(&e), e),
    }
}

/// Collects what a listener receives.
pub struct Recorder {
    pub events: Array,
    pub callback: wasm_bindgen::closure::Closure<dyn FnMut(JsValue)>,
}

impl Recorder {
    pub fn new() -> Recorder {
        let events = Array::new();
        let sink = events.clone();
        let callback =
            wasm_bindgen::closure::Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
                sink.push(&e);
            });
        Recorder { events, callback }
    }

    pub fn function(&self) -> JsValue {
        self.callback.as_ref().clone()
    }

    /// The values of `key` of every event so far.
    pub fn field(&self, key: &str) -> Vec<String> {
        self.events
            .iter()
            .map(|e| get(&e, key).as_string().unwrap_or_default())
            .collect()
    }

    /// Waits until `pred` holds for the events, up to `ms`.
    pub async fn wait_for(&self, ms: u32, pred: impl Fn(&Recorder) -> bool) -> bool {
        let mut waited = 0;
        while waited < ms {
            if pred(self) {
                return true;
            }
            sleep(25).await;
            waited += 25;
        }
        pred(self)
    }
}

/// A 43-character base64url nonce (the shortest the bridge accepts).
pub const NONCE: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// The page's origin.
pub fn page_origin() -> String {
    web_sys::window().unwrap().location().origin().unwrap()
}
