//! The plain HTML example page (`wasm/examples/index.html`), importing the built package
//! (`pkg/`), runs a PIN-mode and a visual-mode confirmation in an iframe against the real
//! bridge and service. `cargo xtask wasm-tests` serves the page (`MYNA_TEST_EXAMPLE_URL`);
//! without it the test fails (`common::required`), unless built with `MYNA_TEST_ALLOW_SKIP`.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use js_sys::Array;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Loads the page with `query` in an iframe and returns what it posts back.
async fn run_example(url: &str, query: &str) -> JsValue {
    let window = web_sys::window().unwrap();
    let messages = Array::new();
    let sink = messages.clone();
    let listener =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            let data = e.data();
            if data.is_object() && !get(&data, "mynaExample").is_undefined() {
                sink.push(&data);
            }
        });
    window
        .add_event_listener_with_callback("message", listener.as_ref().unchecked_ref())
        .unwrap();
    let frame = document().create_element("iframe").unwrap();
    frame
        .set_attribute("src", &format!("{url}?{query}"))
        .unwrap();
    document().body().unwrap().append_child(&frame).unwrap();
    let mut waited = 0;
    while messages.length() == 0 && waited < 30_000 {
        sleep(50).await;
        waited += 50;
    }
    window
        .remove_event_listener_with_callback("message", listener.as_ref().unchecked_ref())
        .unwrap();
    frame.remove();
    assert!(
        messages.length() > 0,
        "the example page did not report within 30 s"
    );
    messages.get(0)
}

#[wasm_bindgen_test(async)]
async fn the_example_page_confirms_in_pin_and_visual_mode() {
    let (Some(url), Some(bridge), Some(service)) = (
        required_env!("MYNA_TEST_EXAMPLE_URL"),
        required_env!("MYNA_TEST_BRIDGE_URL"),
        required_env!("MYNA_TEST_SERVICE_URL"),
    ) else {
        return;
    };
    let common = format!("bridge={bridge}&service={service}&persona=default&auto=1");
    let pin = run_example(url, &format!("{common}&mode=pin&pin=1234")).await;
    assert_eq!(string(&pin, "mynaExample"), "ok pin 1");
    assert_eq!(string(&pin, "validity"), "有効");
    let visual = run_example(
        url,
        &format!("{common}&mode=visual&operator=%E5%8F%97%E4%BB%98"),
    )
    .await;
    assert_eq!(string(&visual, "mynaExample"), "ok visual 1");
    // A wrong PIN surfaces the bridge's code and is not retried by the page.
    let wrong = run_example(url, &format!("{common}&mode=pin&pin=0000")).await;
    assert_eq!(string(&wrong, "mynaExample"), "error pin-incorrect");
}
