//! The scenarios: each a `fn(&mut Stack, &Browser) -> Result<()>` and one row of
//! [`SCENARIOS`], run in order in every browser, one browser session for all. The page's
//! `data-phase` / `data-outcome` attributes are only used to wait for a state; every check
//! also reads the text staff see.

use std::time::Duration;

use anyhow::{Result, anyhow};
use serde_json::{Value, json};

use super::page::Browser;
use super::stack::Stack;

pub(super) const LONG: Duration = Duration::from_secs(60);
pub(super) const SHORT: Duration = Duration::from_secs(20);

// The page's states the scenarios wait for, as JS conditions for [`Browser::wait`]; `id` is
// an element's id, `key` a `data-*` attribute.

/// `#id` is shown (not `hidden`).
pub(super) fn shown(id: &str) -> String {
    format!("!document.getElementById('{id}').hidden")
}

/// `#id` is `hidden`.
fn hidden(id: &str) -> String {
    format!("document.getElementById('{id}').hidden")
}

/// `#id` has some text.
fn has_text(id: &str) -> String {
    format!("document.getElementById('{id}').textContent !== ''")
}

/// `#id`'s text includes `words`.
fn text_includes(id: &str, words: &str) -> String {
    format!(
        "document.getElementById('{id}').textContent.includes({})",
        Value::from(words)
    )
}

/// The day's history (`#history-table`) includes `words`.
fn in_history(words: &str) -> String {
    text_includes("history-table", words)
}

/// The day's list's row `nth` (from 1) has `data-status` `status`.
fn day_row_is(nth: usize, status: &str) -> String {
    format!(
        "document.querySelector('#day-table tbody tr:nth-child({nth})')?.dataset.status === '{status}'"
    )
}

/// The first row of the day's list with `data-status` `status` (a JS expression, `null` if
/// there is none).
fn day_row_with(status: &str) -> String {
    format!("document.querySelector('#day-table tbody tr[data-status=\"{status}\"]')")
}

/// `data-key` of `#id` is `value`.
fn data_is(id: &str, key: &str, value: &str) -> String {
    format!("document.getElementById('{id}').dataset.{key} === '{value}'")
}

/// `data-key` of the page's body is `value` (the page's `card`, `mode`, `phase`).
pub(super) fn body_data(key: &str, value: &str) -> String {
    format!("document.body.dataset.{key} === '{value}'")
}

/// Waits until the page shows a card in the reader and (PIN mode) the tries left read from it.
pub(super) fn wait_card(b: &Browser, pin_mode: bool) -> Result<()> {
    b.wait("the card", &body_data("card", "present"), LONG)?;
    let enabled = "!document.getElementById('start').disabled";
    b.wait("the start button", enabled, SHORT)?;
    if pin_mode {
        b.wait("the PIN tries left", &has_text("pin-status"), SHORT)?;
    }
    Ok(())
}

fn wait_card_gone(b: &Browser) -> Result<()> {
    b.wait("the card to go", &body_data("card", "absent"), LONG)
}

pub(super) fn swap(stack: &mut Stack, b: &Browser, persona: &str, realistic: bool) -> Result<()> {
    stack.remove();
    wait_card_gone(b)?;
    b.click("#reset")?;
    stack.insert(persona, realistic)?;
    Ok(())
}

/// Swaps in `persona`'s card (PIN mode); fails unless the tries left the page reads from it
/// say `tries`.
fn swap_reading_tries(stack: &mut Stack, b: &Browser, persona: &str, tries: &str) -> Result<()> {
    swap(stack, b, persona, false)?;
    wait_card(b, true)?;
    expect_text(b, "#pin-status", &[tries])
}

pub(super) fn set_mode(b: &Browser, mode: &str) -> Result<()> {
    b.click(&format!("#mode-{mode}"))?;
    b.wait("the mode", &body_data("mode", mode), SHORT)
}

/// Presses `digits` on the PIN pad.
pub(super) fn press_keys(b: &Browser, digits: &str) -> Result<()> {
    for digit in digits.chars() {
        b.click(&format!(".keys button[data-key='{digit}']"))?;
    }
    Ok(())
}

pub(super) fn enter_pin(b: &Browser, pin: &str) -> Result<()> {
    b.wait("the PIN pad", &shown("pinpad"), SHORT)?;
    press_keys(b, pin)?;
    b.click("#pin-ok")
}

/// Types the 受診券 of 協会けんぽ 東京 `01130012`, 記号 `12345678`, with 番号 `number`.
pub(super) fn type_voucher(b: &Browser, number: &str) -> Result<()> {
    b.type_into("#v-insurer", "01130012")?;
    b.type_into("#v-symbol", "12345678")?;
    b.type_into("#v-number", number)
}

/// Fails unless the 受診券 comparison says 一致 (and not 不一致).
pub(super) fn expect_voucher_matches(b: &Browser) -> Result<()> {
    let voucher = b.text("#voucher-summary")?;
    expect(
        voucher.contains("一致") && !voucher.contains("不一致"),
        || format!("voucher: {voucher}"),
    )
}

/// 目視: the photo checked (`#visual-ok`), the card read.
fn photo_checked(b: &Browser) -> Result<()> {
    b.click("#visual-ok")?;
    wait_card(b, false)
}

/// 目視: the photo checked, the check started.
pub(super) fn start_visual(b: &Browser) -> Result<()> {
    photo_checked(b)?;
    b.click("#start")
}

/// PIN mode: once the card is read, starts the check and enters `pin`.
fn start_with_pin(b: &Browser, pin: &str) -> Result<()> {
    wait_card(b, true)?;
    b.click("#start")?;
    enter_pin(b, pin)
}

pub(super) fn wait_outcome(b: &Browser) -> Result<String> {
    let some = "document.body.dataset.outcome !== undefined";
    b.wait("the outcome", some, LONG)?;
    b.outcome()
}

/// Waits for the check's outcome; fails unless it is `want`.
pub(super) fn expect_outcome(b: &Browser, want: &str) -> Result<()> {
    let outcome = wait_outcome(b)?;
    expect(outcome == want, || format!("outcome {outcome}, not {want}"))
}

/// Fails unless the text of `selector` contains every one of `words`.
pub(super) fn expect_text(b: &Browser, selector: &str, words: &[&str]) -> Result<()> {
    let text = b.text(selector)?;
    match words.iter().find(|w| !text.contains(**w)) {
        None => Ok(()),
        Some(missing) => Err(anyhow!("{selector} without {missing:?}: {text}")),
    }
}

pub(super) fn expect(condition: bool, what: impl FnOnce() -> String) -> Result<()> {
    if condition {
        Ok(())
    } else {
        Err(anyhow!(what()))
    }
}

fn activation(_: &mut Stack, b: &Browser) -> Result<()> {
    b.wait("the activation form", &shown("activation"), SHORT)?;
    b.screenshot("01-activation")?;
    b.type_into("#activation-form [name=facilityCode]", "1399999999")?;
    b.type_into("#activation-form [name=userId]", "W0000001")?;
    b.type_into("#activation-form [name=deviceName]", "E2E 受付1")?;
    let submit = |code: &str| {
        b.type_into("#activation-form [name=activationCode]", code)?;
        b.click("#activation-form button[type=submit]")
    };
    submit("WRONG")?;
    let refused = has_text("activation-error");
    b.wait("the activation refusal", &refused, SHORT)?;
    expect_text(b, "#activation-error", &["正しくありません"])?;
    submit("DEMO0001")?;
    b.wait("the terminal", &hidden("activation"), SHORT)?;
    expect_text(b, "#terminal-chip", &["E2E 受付1"])?;
    b.type_into("#operator", "受付 佐々木")?;
    // A real reader (pcscd), not the simulator: no test-card switcher on the page.
    let switcher = b.js("const box = document.getElementById('persona-box'); \
         return box.hidden && getComputedStyle(box).display === 'none';")?;
    expect(switcher == Value::Bool(true), || {
        "the simulator's card switcher shows on a real reader".into()
    })?;
    Ok(())
}

fn pin_mode(stack: &mut Stack, b: &Browser) -> Result<()> {
    stack.insert("default", false)?;
    set_mode(b, "pin")?;
    wait_card(b, true)?;
    expect_text(b, "#pin-status", &["残り回数: 3回"])?;
    type_voucher(b, "1001")?;
    b.click("#start")?;
    b.wait("the PIN pad", &shown("pinpad"), SHORT)?;
    press_keys(b, "12")?;
    b.screenshot("02-pin-pad")?;
    press_keys(b, "34")?;
    b.click("#pin-ok")?;
    expect_outcome(b, "ok pin 1")?;
    expect_text(b, "#result", &["山田", "有効"])?;
    expect_voucher_matches(b)?;
    let progress = b.js(
        "return [...document.querySelectorAll('#progress li')].every(li => li.dataset.state === 'done');",
    )?;
    expect(progress == Value::Bool(true), || {
        "not every progress step is done".into()
    })?;
    b.screenshot("03-result-pin")?;
    // A 受診券 that differs.
    b.type_into("#v-number", "9999")?;
    b.click("#compare")?;
    expect_text(b, "#voucher-summary", &["不一致"])?;
    b.screenshot("04-voucher-mismatch")?;
    // The day's history, from the service.
    b.wait(
        "the history",
        "document.querySelectorAll('#history-table tbody tr').length >= 1",
        SHORT,
    )?;
    expect_text(b, "#history-table", &["暗証番号", "受付 佐々木"])?;
    Ok(())
}

fn visual_mode(stack: &mut Stack, b: &Browser) -> Result<()> {
    swap(stack, b, "kokuho", false)?;
    set_mode(b, "visual")?;
    b.wait("the card", &body_data("card", "present"), LONG)?;
    let disabled = b.js("return document.getElementById('start').disabled;")?;
    expect(disabled == Value::Bool(true), || {
        "start is enabled before the photo check".into()
    })?;
    start_visual(b)?;
    expect_outcome(b, "ok visual 1")?;
    expect_text(b, "#result", &["佐藤"])?;
    b.screenshot("05-result-visual")?;
    // The mode is remembered by this terminal.
    b.reload()?;
    b.wait("the remembered mode", &body_data("mode", "visual"), SHORT)?;
    Ok(())
}

fn wrong_then_right_pin(stack: &mut Stack, b: &Browser) -> Result<()> {
    swap(stack, b, "kouki", false)?;
    set_mode(b, "pin")?;
    start_with_pin(b, "9999")?;
    expect_outcome(b, "error pin-incorrect")?;
    expect_text(b, "#error-text", &["残り2回"])?;
    b.screenshot("06-pin-incorrect")?;
    b.click("#error-actions button")?;
    enter_pin(b, "3456")?;
    expect_outcome(b, "ok pin 1")?;
    Ok(())
}

/// Starts the check, enters the `last-try` persona's PIN, and waits for the last-try dialog.
fn to_the_last_try_dialog(b: &Browser) -> Result<()> {
    b.click("#start")?;
    enter_pin(b, "6666")?;
    let open = "document.getElementById('last-try').open";
    b.wait("the last-try dialog", open, SHORT)
}

fn last_try_consent(stack: &mut Stack, b: &Browser) -> Result<()> {
    swap_reading_tries(stack, b, "last-try", "1回")?;
    // Declining sends nothing: the card still has its try.
    to_the_last_try_dialog(b)?;
    b.screenshot("07-last-try-dialog")?;
    b.click("#last-try-cancel")?;
    b.wait("the page back to idle", &body_data("phase", "idle"), SHORT)?;
    expect(b.outcome()?.is_empty(), || "declining ran a check".into())?;
    to_the_last_try_dialog(b)?;
    b.click("#last-try-ok")?;
    // Consent is not enough (issue 11): the bridge wants the card put back on the reader,
    // and the page says so in Japanese. Nothing reached the card.
    b.wait(
        "the put-the-card-back dialog",
        "document.getElementById('represent')?.open && document.getElementById('represent').dataset.step === 'remove'",
        LONG,
    )?;
    expect_text(b, "#represent-status", &["カードをリーダーから外して"])?;
    expect(
        b.js("return document.getElementById('represent-ok').disabled;")?
            .as_bool()
            == Some(true),
        || "the last try could go on before the card was put back".into(),
    )?;
    b.screenshot("07b-put-the-card-back")?;
    stack.remove();
    let put = data_is("represent", "step", "put");
    b.wait("the dialog to ask for the card again", &put, LONG)?;
    stack.insert("last-try", false)?;
    let ready = data_is("represent", "step", "ready");
    b.wait("the card back on the reader", &ready, LONG)?;
    expect_text(b, "#represent-status", &["患者さんにもう一度確認"])?;
    b.click("#represent-ok")?;
    expect_outcome(b, "ok pin 1")?;
    Ok(())
}

/// A script on the allowed page (an XSS in the vendor's app) tries to lock the PIN: two wrong
/// PINs, then the third with `allowLastAttempt: true`, through the page's own package. The
/// bridge refuses the last try (the card was not presented again) and the card keeps it.
fn hostile_page_cannot_lock_the_pin(stack: &mut Stack, b: &Browser) -> Result<()> {
    swap(stack, b, "default", false)?;
    wait_card(b, true)?;
    let script = format!(
        r#"window.__hostile = undefined;
        (async () => {{
          try {{
            const m = await import("/pkg/myna-web.js");
            await m.default();
            const bridge = await m.connectBridge("ws://127.0.0.1:{port}/v1");
            const reader = bridge.readers.find((r) => r.state === "present" || r.state === "inuse").name;
            const nonce = "A".repeat(43);
            const seen = [];
            for (const allowLastAttempt of [false, false, true, true]) {{
              const session = await bridge.connect(reader);
              try {{
                await session.authenticate({{ nonce, pin: "0000", allowLastAttempt }});
                seen.push("ok");
              }} catch (e) {{
                seen.push(`${{e.code}}:${{e.remaining}}`);
              }}
              await session.disconnect();
            }}
            const session = await bridge.connect(reader);
            seen.push(`remaining:${{(await session.pinStatus()).remaining}}`);
            await session.disconnect();
            bridge.close();
            window.__hostile = seen.join(",");
          }} catch (e) {{
            window.__hostile = `error ${{e?.code ?? e?.message}}`;
          }}
        }})();
        return true;"#,
        port = stack.bridge_port()
    );
    b.js(&script)?;
    b.wait("the hostile script", "window.__hostile !== undefined", LONG)?;
    let seen = b
        .js("return window.__hostile;")?
        .as_str()
        .unwrap_or_default()
        .to_owned();
    expect(
        seen == "pin-incorrect:2,pin-incorrect:1,last-attempt-needs-representation:1,\
                 last-attempt-needs-representation:1,remaining:1",
        || format!("the hostile page saw {seen}"),
    )?;
    Ok(())
}

fn blocked_card(stack: &mut Stack, b: &Browser) -> Result<()> {
    swap_reading_tries(stack, b, "blocked", "ロック")?;
    b.click("#start")?;
    expect_outcome(b, "error pin-blocked")?;
    expect_text(b, "#error-text", &["市区町村"])?;
    b.screenshot("08-pin-blocked")?;
    // The page offers 目視; it works with this card.
    b.click("#error-actions button")?;
    b.wait("visual mode", &body_data("mode", "visual"), SHORT)?;
    start_visual(b)?;
    expect_outcome(b, "ok visual 1")?;
    set_mode(b, "pin")?;
    Ok(())
}

fn card_removed(stack: &mut Stack, b: &Browser) -> Result<()> {
    swap(stack, b, "default", true)?;
    start_with_pin(b, "1234")?;
    b.wait(
        "the card being read",
        "['certificate', 'authenticate'].includes(document.querySelector('#progress li[data-state=current]')?.dataset.step)",
        LONG,
    )?;
    stack.remove();
    let outcome = wait_outcome(b)?;
    expect(
        ["error card-removed", "error no-card"].contains(&outcome.as_str()),
        || format!("outcome {outcome}"),
    )?;
    expect_text(b, "#error-text", &["カード"])?;
    b.screenshot("09-card-removed")?;
    Ok(())
}

fn unlinked(stack: &mut Stack, b: &Browser) -> Result<()> {
    b.click("#reset")?;
    stack.insert("unlinked", false)?;
    start_with_pin(b, "2222")?;
    expect_outcome(b, "ok pin 4")?;
    expect_text(b, "#result", &["該当資格なし"])?;
    b.screenshot("10-unlinked")?;
    Ok(())
}

fn certificate_refused(
    stack: &mut Stack,
    b: &Browser,
    persona: &str,
    pin: &str,
    code: &str,
    words: &str,
    shot: &str,
) -> Result<()> {
    swap(stack, b, persona, false)?;
    start_with_pin(b, pin)?;
    expect_outcome(b, "error service-error")?;
    expect_text(b, "#error-text", &[code, words])?;
    b.screenshot(shot)?;
    Ok(())
}

fn expired(stack: &mut Stack, b: &Browser) -> Result<()> {
    certificate_refused(
        stack,
        b,
        "expired-cert",
        "3333",
        "MW0008",
        "有効期限",
        "11-certificate-expired",
    )
}

fn revoked(stack: &mut Stack, b: &Browser) -> Result<()> {
    certificate_refused(
        stack,
        b,
        "revoked-cert",
        "4444",
        "MW0009",
        "失効",
        "12-certificate-revoked",
    )
}

fn bridge_restarted(stack: &mut Stack, b: &Browser) -> Result<()> {
    swap(stack, b, "kokuho", false)?;
    set_mode(b, "visual")?;
    b.wait("the card", &body_data("card", "present"), LONG)?;
    stack.crash_bridge();
    b.wait(
        "the page to notice",
        &text_includes("bridge-chip", "再接続中"),
        SHORT,
    )?;
    let card = b.js("return document.body.dataset.card;")?;
    expect(card != Value::String("present".into()), || {
        "the page still shows a card with the bridge gone".into()
    })?;
    expect_text(b, "#reader-state", &["再接続"])?;
    b.js("window.scrollTo(0, 0); return true;")?;
    b.screenshot("13-bridge-reconnecting")?;
    stack.start_bridge()?;
    // The page reconnects by itself (backoff 0.5 s, 1 s, 2 s, …) and sees the card again.
    b.wait(
        "the page to reconnect",
        &text_includes("bridge-chip", "接続済み"),
        LONG,
    )?;
    start_visual(b)?;
    expect_outcome(b, "ok visual 1")?;
    Ok(())
}

fn service_down(stack: &mut Stack, b: &Browser) -> Result<()> {
    swap(stack, b, "default", false)?;
    set_mode(b, "visual")?;
    photo_checked(b)?;
    stack.stop_demo();
    b.click("#start")?;
    expect_outcome(b, "error service-unreachable")?;
    expect_text(b, "#error-text", &["資格確認サービスに接続できません"])?;
    b.screenshot("14-service-down")?;
    // The fallback cannot be recorded while the service is down …
    b.click("#fallback-form input[value=notice]")?;
    b.click("#fallback-form button[type=submit]")?;
    b.wait("the fallback message", &has_text("fallback-message"), SHORT)?;
    expect_text(b, "#fallback-message", &["紙の受付簿"])?;
    // … and is once it is back; the day's history shows it.
    stack.start_demo()?;
    b.click("#fallback-form button[type=submit]")?;
    b.wait(
        "the fallback record",
        "document.getElementById('fallback-message').textContent.startsWith('記録しました')",
        SHORT,
    )?;
    b.wait(
        "the fallback in the history",
        &in_history("代替確認"),
        SHORT,
    )?;
    b.screenshot("15-fallback-recorded")?;
    Ok(())
}

fn bridge_missing(stack: &mut Stack, b: &Browser) -> Result<()> {
    // The bridge gone (the page's URL cannot point it elsewhere): guidance on how to start
    // it. The last scenario, so the bridge stays down.
    stack.crash_bridge();
    b.goto(&stack.origin())?;
    b.wait("the bridge guidance", &shown("bridge-help"), LONG)?;
    expect_text(b, "#bridge-help", &["myna-bridge"])?;
    b.screenshot("16-bridge-not-running")?;
    Ok(())
}

/// The day's roster of a checkup centre: a roster with a bad row, a 受診券 that expired (a
/// problem the panel says what to do about), and the bus's offline 目視 queue: a check kept
/// while the service is down, still there after a reload, sent when it is back; a queued
/// check the service refuses (revoked certificate) shows why.
fn roster_day(stack: &mut Stack, b: &Browser) -> Result<()> {
    swap(stack, b, "default", false)?;
    set_mode(b, "visual")?;
    let roster = "受診券整理番号,保険者番号,記号,番号,枝番,氏名,氏名カナ,生年月日,性別,有効期限\r\n\
        26100000001,01130012,12345678,1001,,山田　太郎,ﾔﾏﾀﾞ ﾀﾛｳ,1980/4/15,男,20250331\r\n\
        26100000002,138057,世12,34567,,佐藤　花子,ｻﾄｳ ﾊﾅｺ,1975/9/3,女,20991231\r\n\
        26100000003,0113001,1,2,,誤り　一郎,,1990/1/1,男,20991231\r\n";
    b.js(&format!(
        "const input = document.getElementById('roster-file'); const dt = new DataTransfer(); \
         dt.items.add(new File([{}], 'roster.csv', {{type: 'text/csv'}})); input.files = dt.files; \
         input.dispatchEvent(new Event('change')); return true;",
        serde_json::to_string(roster)?
    ))?;
    b.wait(
        "the roster's bad row",
        "document.querySelector('#roster-errors li[data-line=\"4\"]') !== null",
        SHORT,
    )?;
    // The two good rows (earlier scenarios' checks of the same persons are matched to them).
    b.wait(
        "the day's list",
        "document.querySelectorAll('#day-table tbody tr[data-row]:not([data-row=\"\"])').length === 2",
        SHORT,
    )?;
    // 山田太郎's 受診券 expired: a problem, with what to do.
    b.click("#day-table tbody tr:nth-child(1) button")?;
    start_visual(b)?;
    expect_outcome(b, "ok visual 1")?;
    expect_text(
        b,
        "#voucher-summary",
        &["有効期限が切れています", "有効期限内の受診券"],
    )?;
    b.wait(
        "the problem in the day's list",
        &day_row_is(1, "problem"),
        SHORT,
    )?;
    b.screenshot("17-roster-voucher-expired")?;

    // The bus loses the network: 佐藤花子's 目視 check is queued with her certificate.
    swap(stack, b, "kokuho", false)?;
    b.click("#day-table tbody tr:nth-child(2) button")?;
    photo_checked(b)?;
    stack.stop_demo();
    b.click("#start")?;
    expect_outcome(b, "error service-unreachable")?;
    b.click("#queue-visual")?;
    let queued = format!("{} !== null", day_row_with("pending"));
    b.wait("the queued check", &queued, SHORT)?;
    b.screenshot("18-offline-queued")?;
    // A refused one: a revoked certificate, queued the same way.
    swap(stack, b, "revoked-cert", false)?;
    start_visual(b)?;
    wait_outcome(b)?;
    b.click("#queue-visual")?;
    b.wait(
        "two checks kept in the browser",
        "JSON.parse(localStorage.getItem('myna-demo.offline-queue') ?? '[]').map(i => i.state).join() === 'pending,pending'",
        SHORT,
    )?;
    // The network is back; the page reloads: nothing was lost, the queue is sent.
    stack.start_demo()?;
    b.reload()?;
    b.wait(
        "the queue sent",
        "JSON.parse(localStorage.getItem('myna-demo.offline-queue')).every(i => i.state === 'refused')",
        LONG,
    )?;
    b.wait(
        "佐藤花子 checked from the queue",
        &day_row_is(2, "checked"),
        SHORT,
    )?;
    let why = format!("{}?.textContent.includes('失効')", day_row_with("refused"));
    b.wait("the refused check and why", &why, LONG)?;
    let left =
        b.js("return JSON.parse(localStorage.getItem('myna-demo.offline-queue')).length;")?;
    expect(left == json!(1), || format!("queue left: {left}"))?;
    b.screenshot("19-offline-sent-and-refused")?;
    Ok(())
}

/// The official マイナ資格確認アプリ's copied result for a 協会けんぽ 本人 (issue 13): CRLF,
/// sections, `確認日 : `, 和暦 with numeric years.
const OFFICIAL_APP_TEXT: &str = "資格情報\r\n確認日 : \t令和7年4月1日\r\n保険者番号\t01130012\r\n\
    保険者名\t全国健康保険協会東京支部\r\n記号\t12345678\r\n番号\t1001\r\n枝番\t00\r\n\
    氏名\t山田　太郎\r\nフリガナ\tﾔﾏﾀﾞ ﾀﾛｳ\r\n生年月日\t昭和55年4月15日\r\n性別\t男\r\n\
    証区分\t一般\r\n有効開始日\t令和7年4月1日\r\n有効終了日\t\r\n資格取得年月日\t令和7年4月1日\r\n\
    負担割合\t\r\n本人・家族の別\t本人\r\n被保険者氏名\t山田　太郎\r\n住所\t\r\n\
    裏面記載情報\r\n氏名\t\r\n氏名カナ\t\r\n性別\t\r\n";

/// Puts `text` into the paste box as a paste would (TABs cannot be typed into a textarea).
fn paste(b: &Browser, text: &str) -> Result<()> {
    let literal = serde_json::to_string(text)?;
    b.js(&format!(
        "document.getElementById('official-app-text').value = {literal}; return true;"
    ))?;
    Ok(())
}

fn official_app_paste(_stack: &mut Stack, b: &Browser) -> Result<()> {
    b.click("#reset")?;
    type_voucher(b, "1001")?;
    // A paste whose tabs an editor turned into spaces: refused, kept in the box.
    let mangled = OFFICIAL_APP_TEXT.replace('\t', "    ");
    paste(b, &mangled)?;
    b.click("#official-app-read")?;
    b.wait(
        "the paste to be refused",
        "document.getElementById('official-app').dataset.error === 'copy-text-malformed'",
        SHORT,
    )?;
    expect_text(b, "#official-app-message", &["崩れています"])?;
    // (A textarea's value reads CRLF back as LF; the parser takes either.)
    let kept = b.js("return document.getElementById('official-app-text').value;")?;
    expect(
        kept.as_str() == Some(mangled.replace("\r\n", "\n").as_str()),
        || format!("the refused paste was not kept: {kept}"),
    )?;
    // The app's text: the same panel, the 受診券 comparison, a record in the history.
    paste(b, OFFICIAL_APP_TEXT)?;
    b.click("#official-app-read")?;
    expect_outcome(b, "ok official-app 1")?;
    expect_text(b, "#voucher-summary", &["一致"])?;
    // … and the notice that the 確認日 is not today.
    expect_text(
        b,
        "#result",
        &["山田　太郎", "3割（法定・推定）", "本日ではありません"],
    )?;
    let pasted = in_history("マイナ資格確認アプリ");
    b.wait("the paste in the history", &pasted, SHORT)?;
    b.screenshot("20-official-app-paste")?;
    Ok(())
}

/// One scenario.
pub type Scenario = fn(&mut Stack, &Browser) -> Result<()>;

/// Every scenario, in the order they run (each starts where the one before left the page).
pub const SCENARIOS: &[(&str, Scenario)] = &[
    ("terminal activation", activation),
    ("PIN mode with a 受診券", pin_mode),
    ("visual mode (目視), remembered", visual_mode),
    (
        "an Android phone in 目視: the PIN pad, then スマートフォン in the panel and the audit",
        super::phones::android_visual_switches_to_the_pin_pad,
    ),
    (
        "an iPhone is refused with the fallbacks",
        super::phones::iphone_is_refused_with_the_fallbacks,
    ),
    ("wrong PIN, then the right one", wrong_then_right_pin),
    ("last-try consent, then the card put back", last_try_consent),
    (
        "a hostile page cannot lock the PIN",
        hostile_page_cannot_lock_the_pin,
    ),
    ("blocked card, then 目視", blocked_card),
    ("card removed mid-flow", card_removed),
    ("card not linked to insurance", unlinked),
    ("expired certificate", expired),
    ("revoked certificate", revoked),
    (
        "bridge restarted while the page is connected",
        bridge_restarted,
    ),
    ("service down, fallback recorded", service_down),
    (
        "the day's roster, an expired 受診券, the offline 目視 queue",
        roster_day,
    ),
    ("マイナ資格確認アプリの結果を貼り付け", official_app_paste),
    ("bridge not running", bridge_missing),
];
