//! Smartphones used as the マイナ保険証 (issue 14), on the real pcscd + vpcd path: the
//! `android` persona in 目視 switches the patient to the PIN pad, and the `iphone` persona is
//! refused with the fallbacks.

use anyhow::Result;
use serde_json::Value;

use super::page::Browser;
use super::scenarios::{
    LONG, SHORT, body_data, expect, expect_outcome, expect_text, expect_voucher_matches,
    press_keys, set_mode, shown, start_visual, swap, type_voucher,
};
use super::stack::Stack;

/// Puts `persona`'s phone on the reader with the desk in 目視, and waits until the page sees it.
fn phone_in_visual(stack: &mut Stack, b: &Browser, persona: &str) -> Result<()> {
    swap(stack, b, persona, false)?;
    set_mode(b, "visual")?;
    b.wait("the phone", &body_data("card", "present"), LONG)
}

/// The module's Japanese message for `pin-required`.
const PIN_REQUIRED: &str = "スマートフォンのマイナ保険証は暗証番号で確認してください";

/// 目視 with an Android phone: the module answers `pin-required` before the PIN is touched,
/// the page opens the PIN pad with its message for this patient (the 受診券 typed stays, the
/// desk's 目視 setting stays), the PIN goes once, the panel says スマートフォン（Android）・暗証番号,
/// and the service's audit records `android`.
pub(super) fn android_visual_switches_to_the_pin_pad(stack: &mut Stack, b: &Browser) -> Result<()> {
    phone_in_visual(stack, b, "android")?;
    type_voucher(b, "1014")?;
    start_visual(b)?;
    b.wait("the PIN pad after pin-required", &shown("pinpad"), LONG)?;
    let note = b.text("#pinpad-note")?;
    expect(note.contains(PIN_REQUIRED), || {
        format!("PIN pad note: {note}")
    })?;
    expect(b.outcome()?.is_empty(), || {
        "pin-required ended the check instead of asking for the PIN".into()
    })?;
    let kept = b.js("return document.getElementById('v-number').value;")?;
    expect(kept == "1014", || {
        format!("the patient's 受診券 was lost: {kept}")
    })?;
    let pad_dots = b.js("return document.getElementById('pin-dots').dataset.count;")?;
    expect(pad_dots == "0", || {
        format!("the PIN pad is not empty: {pad_dots}")
    })?;
    b.screenshot("21-android-pin-required")?;
    press_keys(b, "1234")?;
    b.click("#pin-ok")?;
    expect_outcome(b, "ok pin 1")?;
    let panel = b.text("#result")?;
    expect(
        panel.contains("本人確認")
            && panel.contains("スマートフォン（Android）・暗証番号")
            && panel.contains("清水"),
        || format!("panel: {panel}"),
    )?;
    expect_voucher_matches(b)?;
    let desk_mode = b.js("return document.body.dataset.mode;")?;
    expect(desk_mode == "visual", || {
        format!("the desk's mode changed: {desk_mode}")
    })?;
    b.screenshot("22-result-android")?;
    // The service's audit, as its API lists it and as the day's history shows it.
    let newest = b.js(
        "const t = JSON.parse(localStorage.getItem('myna-demo.terminal'));
         return fetch('/api/v1/audit?limit=10', {headers: {Authorization: `Bearer ${t.token}`}})
           .then(r => r.json()).then(p => p.records.find(r => r.kind === 'confirmation'));",
    )?;
    expect(
        newest["token"] == "android" && newest["mode"] == "pin" && newest["result"] == "ok",
        || format!("audit: {newest}"),
    )?;
    b.wait(
        "the history row",
        "document.getElementById('history-table').innerText.includes('スマートフォン（Android）')",
        SHORT,
    )?;
    Ok(())
}

/// An iPhone: `token-not-supported`, the module's message with the fallbacks, and the page's
/// 代替の確認方法で受付; no PIN pad.
pub(super) fn iphone_is_refused_with_the_fallbacks(stack: &mut Stack, b: &Browser) -> Result<()> {
    phone_in_visual(stack, b, "iphone")?;
    start_visual(b)?;
    expect_outcome(b, "error token-not-supported")?;
    expect_text(b, "#error-text", &["資格確認書", "マイナンバーカード"])?;
    expect_text(b, "#error-actions", &["代替の確認方法で受付"])?;
    let pad = b.js("return document.getElementById('pinpad').hidden;")?;
    expect(pad == Value::Bool(true), || {
        "the PIN pad opened for an iPhone".into()
    })?;
    b.screenshot("23-iphone-not-supported")?;
    Ok(())
}
