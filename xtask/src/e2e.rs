//! End-to-end tests of the reception page in headless Chromium, through the real PC/SC stack.
//!
//! [`run_e2e`] builds the npm package and the binaries, then starts:
//! - pcscd (if none answers; see [`crate::pcscd`]) with its vpcd reader;
//! - `myna-bridge --listen 127.0.0.1:B --allow-origin http://127.0.0.1:D` **without**
//!   `--simulate`: the bridge reads the vpcd reader through pcscd as it would a USB reader;
//! - `myna-bridge virtual-card --vpcd 127.0.0.1:35963 --persona NAME` (restarted with another
//!   persona to swap cards, killed to pull the card out);
//! - `myna-demo serve --listen 127.0.0.1:D --db <fresh> --pkg-dir pkg` (the page and service);
//! - `chromedriver` driving `/usr/bin/chromium` headless.
//!
//! and runs each scenario in one browser session as a receptionist would: click, type on the
//! PIN pad, read what the page says. The page's `data-phase` / `data-outcome` attributes are
//! only used to wait for a state; every check also reads the text staff see. Screenshots of
//! the key states go to `target/e2e/screenshots/`, process logs to `target/e2e/`.
//!
//! The WebDriver client is a few blocking JSON calls (ureq, plain HTTP on loopback), so no
//! async runtime is needed.

use std::fs;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine as _;
use serde_json::{Value, json};

use crate::pcscd::Pcscd;
use crate::{pkg, run, workspace_root};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The vpcd reader pcscd offers (`Virtual PCD 00 00`).
const VPCD: &str = "127.0.0.1:35963";

/// A child process stopped (SIGTERM, then SIGKILL) and waited for on drop.
struct Proc {
    name: String,
    child: Child,
}

impl Proc {
    fn start(name: &str, program: &Path, args: &[String], log: &Path) -> Result<Proc> {
        let log_file = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("opening {}", log.display()))?;
        let child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("starting {}", program.display()))?;
        Ok(Proc {
            name: name.to_owned(),
            child,
        })
    }

    fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// SIGKILL, at once (a card pulled out of the reader).
    fn kill_now(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.name.clear();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if !self.exited() {
            let _ = Command::new("kill")
                .arg(self.child.id().to_string())
                .stderr(Stdio::null())
                .status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline && !self.exited() {
                thread::sleep(Duration::from_millis(50));
            }
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("binding a free port")?;
    Ok(listener.local_addr()?.port())
}

fn wait_listening(proc_: &mut Proc, port: u16) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if proc_.exited() {
            bail!(
                "{} exited at start (see its log in target/e2e/)",
                proc_.name
            );
        }
        if TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{} did not listen on {port} within 30 s", proc_.name);
        }
        thread::sleep(Duration::from_millis(100));
    }
}

// ---- a minimal WebDriver client ---------------------------------------------------------------

/// One WebDriver command to chromedriver; the JSON `value` of its answer.
///
/// chromedriver keeps connections alive whatever the request says, so the answer is read by
/// its framing (ureq), never to end of stream.
fn webdriver_call(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<Value> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(120)))
        // WebDriver errors come as 4xx/5xx with a JSON body that says what went wrong.
        .http_status_as_error(false)
        .build()
        .into();
    let url = format!("http://127.0.0.1:{port}{path}");
    let response = match method {
        "GET" => agent.get(&url).call(),
        "DELETE" => agent.delete(&url).call(),
        "POST" => agent
            .post(&url)
            .send_json(body.cloned().unwrap_or(json!({}))),
        other => bail!("unsupported WebDriver method {other}"),
    };
    let mut response = response.with_context(|| format!("WebDriver {method} {path}"))?;
    let status = response.status();
    let answer: Value = response
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_json()
        .with_context(|| format!("chromedriver's answer to {method} {path} ({status})"))?;
    let value = answer.get("value").cloned().unwrap_or(Value::Null);
    if let Some(error) = value.get("error").and_then(Value::as_str) {
        let message = value.get("message").and_then(Value::as_str).unwrap_or("");
        bail!("WebDriver {method} {path}: {error}: {message}");
    }
    Ok(value)
}

/// A browser session.
struct Browser {
    port: u16,
    session: String,
    shots: PathBuf,
}

impl Browser {
    fn open(port: u16, shots: PathBuf) -> Result<Browser> {
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless", "--no-sandbox", "--disable-gpu",
                         "--disable-background-networking", "--disable-component-update",
                         "--no-first-run", "--window-size=1280,1000", "--lang=ja"],
            },
        }}});
        let value = webdriver_call(port, "POST", "/session", Some(&caps))?;
        let session = value
            .get("sessionId")
            .and_then(Value::as_str)
            .context("no sessionId from chromedriver")?
            .to_owned();
        Ok(Browser {
            port,
            session,
            shots,
        })
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        webdriver_call(
            self.port,
            method,
            &format!("/session/{}{path}", self.session),
            body.as_ref(),
        )
    }

    fn goto(&self, url: &str) -> Result<()> {
        self.call("POST", "/url", Some(json!({"url": url})))
            .map(|_| ())
    }

    fn js(&self, script: &str) -> Result<Value> {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    fn element(&self, css: &str) -> Result<String> {
        let value = self
            .call(
                "POST",
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .with_context(|| format!("finding {css}"))?;
        value
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .map(str::to_owned)
            .with_context(|| format!("no element id for {css}"))
    }

    /// Clicks `css` as a user would (WebDriver's element click: scrolled into view, hit-tested).
    fn click(&self, css: &str) -> Result<()> {
        let id = self.element(css)?;
        self.call("POST", &format!("/element/{id}/click"), Some(json!({})))
            .with_context(|| format!("clicking {css}"))
            .map(|_| ())
    }

    fn type_into(&self, css: &str, text: &str) -> Result<()> {
        let id = self.element(css)?;
        self.call("POST", &format!("/element/{id}/clear"), Some(json!({})))?;
        self.call(
            "POST",
            &format!("/element/{id}/value"),
            Some(json!({"text": text})),
        )
        .map(|_| ())
    }

    fn text(&self, css: &str) -> Result<String> {
        let id = self.element(css)?;
        Ok(self
            .call("GET", &format!("/element/{id}/text"), None)?
            .as_str()
            .unwrap_or("")
            .to_owned())
    }

    /// Waits until the JS expression `condition` is truthy.
    fn wait(&self, what: &str, condition: &str, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let script = format!("return Boolean({condition});");
        loop {
            if self.js(&script)?.as_bool() == Some(true) {
                return Ok(());
            }
            if Instant::now() > deadline {
                let state = self.js(
                    "return `phase=${document.body.dataset.phase} outcome=${document.body.dataset.outcome} \
                     error=${document.getElementById('error-text').textContent} \
                     bridge=${document.getElementById('bridge-chip').textContent} \
                     card=${document.getElementById('card-chip').textContent}`;",
                )?;
                let _ = self.screenshot(&format!("FAILED-{}", what.replace(' ', "-")));
                bail!("timed out waiting for {what} ({condition}); page: {state}");
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let data = self.call("GET", "/screenshot", None)?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().context("screenshot is not a string")?)
            .context("decoding the screenshot")?;
        let path = self.shots.join(format!("{name}.png"));
        fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    fn outcome(&self) -> Result<String> {
        Ok(self
            .js("return document.body.dataset.outcome ?? '';")?
            .as_str()
            .unwrap_or("")
            .to_owned())
    }

    fn quit(&self) {
        let _ = webdriver_call(
            self.port,
            "DELETE",
            &format!("/session/{}", self.session),
            None,
        );
    }
}

// ---- the stack ----------------------------------------------------------------------------------

struct Stack {
    root: PathBuf,
    work: PathBuf,
    bin: PathBuf,
    demo_port: u16,
    db: PathBuf,
    demo: Option<Proc>,
    card: Option<Proc>,
    bridge_port: u16,
    bridge: Option<Proc>,
}

impl Stack {
    fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.demo_port)
    }

    fn start_demo(&mut self) -> Result<()> {
        let mut demo = Proc::start(
            "myna-demo",
            &self.bin.join("myna-demo"),
            &[
                "serve".into(),
                "--listen".into(),
                format!("127.0.0.1:{}", self.demo_port),
                "--db".into(),
                self.db.display().to_string(),
                "--pkg-dir".into(),
                self.root.join("pkg").display().to_string(),
            ],
            &self.work.join("demo.log"),
        )?;
        wait_listening(&mut demo, self.demo_port)?;
        self.demo = Some(demo);
        Ok(())
    }

    fn stop_demo(&mut self) {
        self.demo = None;
    }

    /// The bridge on the real PC/SC path (no `--simulate`), allowing only the page's origin.
    fn start_bridge(&mut self) -> Result<()> {
        let mut bridge = Proc::start(
            "myna-bridge",
            &self.bin.join("myna-bridge"),
            &[
                "--listen".into(),
                format!("127.0.0.1:{}", self.bridge_port),
                "--allow-origin".into(),
                self.origin(),
            ],
            &self.work.join("bridge.log"),
        )?;
        wait_listening(&mut bridge, self.bridge_port)?;
        self.bridge = Some(bridge);
        Ok(())
    }

    /// The bridge dies at once (SIGKILL: a crash, not a clean stop).
    fn crash_bridge(&mut self) {
        if let Some(bridge) = self.bridge.take() {
            bridge.kill_now();
        }
    }

    /// Puts `persona`'s card in the vpcd reader (replacing the one there).
    fn insert(&mut self, persona: &str, realistic: bool) -> Result<()> {
        self.remove();
        let mut args = vec![
            "virtual-card".into(),
            "--vpcd".into(),
            VPCD.into(),
            "--persona".into(),
            persona.into(),
        ];
        if realistic {
            args.push("--realistic-timing".into());
        }
        let card = Proc::start(
            "virtual card",
            &self.bin.join("myna-bridge"),
            &args,
            &self.work.join("virtual-card.log"),
        )?;
        self.card = Some(card);
        Ok(())
    }

    /// Pulls the card out (kills the virtual card at once).
    fn remove(&mut self) {
        if let Some(card) = self.card.take() {
            card.kill_now();
        }
    }
}

// ---- scenarios -----------------------------------------------------------------------------

const LONG: Duration = Duration::from_secs(60);
const SHORT: Duration = Duration::from_secs(20);

/// Waits until the page shows a card in the reader and (PIN mode) the tries left read from it.
fn wait_card(b: &Browser, pin_mode: bool) -> Result<()> {
    b.wait("the card", "document.body.dataset.card === 'present'", LONG)?;
    b.wait(
        "the start button",
        "!document.getElementById('start').disabled",
        SHORT,
    )?;
    if pin_mode {
        b.wait(
            "the PIN tries left",
            "document.getElementById('pin-status').textContent !== ''",
            SHORT,
        )?;
    }
    Ok(())
}

fn wait_card_gone(b: &Browser) -> Result<()> {
    b.wait(
        "the card to go",
        "document.body.dataset.card === 'absent'",
        LONG,
    )
}

fn swap(stack: &mut Stack, b: &Browser, persona: &str, realistic: bool) -> Result<()> {
    stack.remove();
    wait_card_gone(b)?;
    b.click("#reset")?;
    stack.insert(persona, realistic)?;
    Ok(())
}

fn set_mode(b: &Browser, mode: &str) -> Result<()> {
    b.click(&format!("#mode-{mode}"))?;
    b.wait(
        "the mode",
        &format!("document.body.dataset.mode === '{mode}'"),
        SHORT,
    )
}

fn enter_pin(b: &Browser, pin: &str) -> Result<()> {
    b.wait(
        "the PIN pad",
        "!document.getElementById('pinpad').hidden",
        SHORT,
    )?;
    for digit in pin.chars() {
        b.click(&format!(".keys button[data-key='{digit}']"))?;
    }
    b.click("#pin-ok")
}

fn wait_outcome(b: &Browser) -> Result<String> {
    b.wait(
        "the outcome",
        "document.body.dataset.outcome !== undefined",
        LONG,
    )?;
    b.outcome()
}

fn expect(condition: bool, what: impl FnOnce() -> String) -> Result<()> {
    if condition {
        Ok(())
    } else {
        Err(anyhow!(what()))
    }
}

fn activation(_: &mut Stack, b: &Browser) -> Result<()> {
    b.wait(
        "the activation form",
        "!document.getElementById('activation').hidden",
        SHORT,
    )?;
    b.screenshot("01-activation")?;
    b.type_into("#activation-form [name=facilityCode]", "1399999999")?;
    b.type_into("#activation-form [name=userId]", "W0000001")?;
    b.type_into("#activation-form [name=activationCode]", "WRONG")?;
    b.type_into("#activation-form [name=deviceName]", "E2E 受付1")?;
    b.click("#activation-form button[type=submit]")?;
    b.wait(
        "the activation refusal",
        "document.getElementById('activation-error').textContent !== ''",
        SHORT,
    )?;
    let refusal = b.text("#activation-error")?;
    expect(refusal.contains("正しくありません"), || {
        format!("wrong activation code: {refusal}")
    })?;
    b.type_into("#activation-form [name=activationCode]", "DEMO0001")?;
    b.click("#activation-form button[type=submit]")?;
    b.wait(
        "the terminal",
        "document.getElementById('activation').hidden",
        SHORT,
    )?;
    let chip = b.text("#terminal-chip")?;
    expect(chip.contains("E2E 受付1"), || {
        format!("terminal chip: {chip}")
    })?;
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
    let tries = b.text("#pin-status")?;
    expect(tries.contains("残り回数: 3回"), || {
        format!("tries: {tries}")
    })?;
    b.type_into("#v-insurer", "01130012")?;
    b.type_into("#v-symbol", "12345678")?;
    b.type_into("#v-number", "1001")?;
    b.click("#start")?;
    b.wait(
        "the PIN pad",
        "!document.getElementById('pinpad').hidden",
        SHORT,
    )?;
    b.click(".keys button[data-key='1']")?;
    b.click(".keys button[data-key='2']")?;
    b.screenshot("02-pin-pad")?;
    b.click(".keys button[data-key='3']")?;
    b.click(".keys button[data-key='4']")?;
    b.click("#pin-ok")?;
    let outcome = wait_outcome(b)?;
    expect(outcome == "ok pin 1", || format!("outcome {outcome}"))?;
    let panel = b.text("#result")?;
    expect(panel.contains("山田") && panel.contains("有効"), || {
        format!("panel: {panel}")
    })?;
    let voucher = b.text("#voucher-summary")?;
    expect(
        voucher.contains("一致") && !voucher.contains("不一致"),
        || format!("voucher: {voucher}"),
    )?;
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
    let voucher = b.text("#voucher-summary")?;
    expect(voucher.contains("不一致"), || {
        format!("voucher: {voucher}")
    })?;
    b.screenshot("04-voucher-mismatch")?;
    // The day's history, from the service.
    b.wait(
        "the history",
        "document.querySelectorAll('#history-table tbody tr').length >= 1",
        SHORT,
    )?;
    let history = b.text("#history-table")?;
    expect(
        history.contains("暗証番号") && history.contains("受付 佐々木"),
        || format!("history: {history}"),
    )?;
    Ok(())
}

fn visual_mode(stack: &mut Stack, b: &Browser) -> Result<()> {
    swap(stack, b, "kokuho", false)?;
    set_mode(b, "visual")?;
    b.wait("the card", "document.body.dataset.card === 'present'", LONG)?;
    let disabled = b.js("return document.getElementById('start').disabled;")?;
    expect(disabled == Value::Bool(true), || {
        "start is enabled before the photo check".into()
    })?;
    b.click("#visual-ok")?;
    wait_card(b, false)?;
    b.click("#start")?;
    let outcome = wait_outcome(b)?;
    expect(outcome == "ok visual 1", || format!("outcome {outcome}"))?;
    let panel = b.text("#result")?;
    expect(panel.contains("佐藤"), || format!("panel: {panel}"))?;
    b.screenshot("05-result-visual")?;
    // The mode is remembered by this terminal.
    b.call("POST", "/refresh", Some(json!({})))?;
    b.wait(
        "the remembered mode",
        "document.body.dataset.mode === 'visual'",
        SHORT,
    )?;
    Ok(())
}

fn wrong_then_right_pin(stack: &mut Stack, b: &Browser) -> Result<()> {
    swap(stack, b, "kouki", false)?;
    set_mode(b, "pin")?;
    wait_card(b, true)?;
    b.click("#start")?;
    enter_pin(b, "9999")?;
    let outcome = wait_outcome(b)?;
    expect(outcome == "error pin-incorrect", || {
        format!("outcome {outcome}")
    })?;
    let error = b.text("#error-text")?;
    expect(error.contains("残り2回"), || format!("error: {error}"))?;
    b.screenshot("06-pin-incorrect")?;
    b.click("#error-actions button")?;
    enter_pin(b, "3456")?;
    let outcome = wait_outcome(b)?;
    expect(outcome == "ok pin 1", || format!("outcome {outcome}"))?;
    Ok(())
}

fn last_try_consent(stack: &mut Stack, b: &Browser) -> Result<()> {
    swap(stack, b, "last-try", false)?;
    wait_card(b, true)?;
    let tries = b.text("#pin-status")?;
    expect(tries.contains("1回"), || format!("tries: {tries}"))?;
    // Declining sends nothing: the card still has its try.
    b.click("#start")?;
    enter_pin(b, "6666")?;
    b.wait(
        "the last-try dialog",
        "document.getElementById('last-try').open",
        SHORT,
    )?;
    b.screenshot("07-last-try-dialog")?;
    b.click("#last-try-cancel")?;
    b.wait(
        "the page back to idle",
        "document.body.dataset.phase === 'idle'",
        SHORT,
    )?;
    expect(b.outcome()?.is_empty(), || "declining ran a check".into())?;
    b.click("#start")?;
    enter_pin(b, "6666")?;
    b.wait(
        "the last-try dialog",
        "document.getElementById('last-try').open",
        SHORT,
    )?;
    b.click("#last-try-ok")?;
    let outcome = wait_outcome(b)?;
    expect(outcome == "ok pin 1", || format!("outcome {outcome}"))?;
    Ok(())
}

fn blocked_card(stack: &mut Stack, b: &Browser) -> Result<()> {
    swap(stack, b, "blocked", false)?;
    wait_card(b, true)?;
    let status = b.text("#pin-status")?;
    expect(status.contains("ロック"), || format!("status: {status}"))?;
    b.click("#start")?;
    let outcome = wait_outcome(b)?;
    expect(outcome == "error pin-blocked", || {
        format!("outcome {outcome}")
    })?;
    let error = b.text("#error-text")?;
    expect(error.contains("市区町村"), || format!("error: {error}"))?;
    b.screenshot("08-pin-blocked")?;
    // The page offers 目視; it works with this card.
    b.click("#error-actions button")?;
    b.wait(
        "visual mode",
        "document.body.dataset.mode === 'visual'",
        SHORT,
    )?;
    b.click("#visual-ok")?;
    wait_card(b, false)?;
    b.click("#start")?;
    let outcome = wait_outcome(b)?;
    expect(outcome == "ok visual 1", || format!("outcome {outcome}"))?;
    set_mode(b, "pin")?;
    Ok(())
}

fn card_removed(stack: &mut Stack, b: &Browser) -> Result<()> {
    swap(stack, b, "default", true)?;
    wait_card(b, true)?;
    b.click("#start")?;
    enter_pin(b, "1234")?;
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
    let error = b.text("#error-text")?;
    expect(error.contains("カード"), || format!("error: {error}"))?;
    b.screenshot("09-card-removed")?;
    Ok(())
}

fn unlinked(stack: &mut Stack, b: &Browser) -> Result<()> {
    b.click("#reset")?;
    stack.insert("unlinked", false)?;
    wait_card(b, true)?;
    b.click("#start")?;
    enter_pin(b, "2222")?;
    let outcome = wait_outcome(b)?;
    expect(outcome == "ok pin 4", || format!("outcome {outcome}"))?;
    let panel = b.text("#result")?;
    expect(panel.contains("該当資格なし"), || {
        format!("panel: {panel}")
    })?;
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
    wait_card(b, true)?;
    b.click("#start")?;
    enter_pin(b, pin)?;
    let outcome = wait_outcome(b)?;
    expect(outcome == "error service-error", || {
        format!("outcome {outcome}")
    })?;
    let error = b.text("#error-text")?;
    expect(error.contains(code) && error.contains(words), || {
        format!("error: {error}")
    })?;
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
    b.wait("the card", "document.body.dataset.card === 'present'", LONG)?;
    stack.crash_bridge();
    b.wait(
        "the page to notice",
        "document.getElementById('bridge-chip').textContent.includes('再接続中')",
        SHORT,
    )?;
    let card = b.js("return document.body.dataset.card;")?;
    expect(card != Value::String("present".into()), || {
        "the page still shows a card with the bridge gone".into()
    })?;
    let readers = b.text("#reader-state")?;
    expect(readers.contains("再接続"), || {
        format!("reader line: {readers}")
    })?;
    b.js("window.scrollTo(0, 0); return true;")?;
    b.screenshot("13-bridge-reconnecting")?;
    stack.start_bridge()?;
    // The page reconnects by itself (backoff 0.5 s, 1 s, 2 s, …) and sees the card again.
    b.wait(
        "the page to reconnect",
        "document.getElementById('bridge-chip').textContent.includes('接続済み')",
        LONG,
    )?;
    b.click("#visual-ok")?;
    wait_card(b, false)?;
    b.click("#start")?;
    let outcome = wait_outcome(b)?;
    expect(outcome == "ok visual 1", || format!("outcome {outcome}"))?;
    Ok(())
}

fn service_down(stack: &mut Stack, b: &Browser) -> Result<()> {
    swap(stack, b, "default", false)?;
    set_mode(b, "visual")?;
    b.click("#visual-ok")?;
    wait_card(b, false)?;
    stack.stop_demo();
    b.click("#start")?;
    let outcome = wait_outcome(b)?;
    expect(outcome == "error service-unreachable", || {
        format!("outcome {outcome}")
    })?;
    let error = b.text("#error-text")?;
    expect(
        error.contains("資格確認サービスに接続できません"),
        || format!("error: {error}"),
    )?;
    b.screenshot("14-service-down")?;
    // The fallback cannot be recorded while the service is down …
    b.click("#fallback-form input[value=notice]")?;
    b.click("#fallback-form button[type=submit]")?;
    b.wait(
        "the fallback message",
        "document.getElementById('fallback-message').textContent !== ''",
        SHORT,
    )?;
    let message = b.text("#fallback-message")?;
    expect(message.contains("紙の受付簿"), || {
        format!("fallback: {message}")
    })?;
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
        "document.getElementById('history-table').textContent.includes('代替確認')",
        SHORT,
    )?;
    b.screenshot("15-fallback-recorded")?;
    Ok(())
}

fn bridge_missing(stack: &mut Stack, b: &Browser) -> Result<()> {
    // A page whose bridge address has nothing listening: guidance on how to start it.
    let dead = free_port()?;
    b.goto(&format!(
        "{}/?bridge=ws://127.0.0.1:{dead}/v1",
        stack.origin()
    ))?;
    b.wait(
        "the bridge guidance",
        "!document.getElementById('bridge-help').hidden",
        LONG,
    )?;
    let help = b.text("#bridge-help")?;
    expect(help.contains("myna-bridge"), || format!("help: {help}"))?;
    b.screenshot("16-bridge-not-running")?;
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
    b.type_into("#v-insurer", "01130012")?;
    b.type_into("#v-symbol", "12345678")?;
    b.type_into("#v-number", "1001")?;
    // A paste whose tabs an editor turned into spaces: refused, kept in the box.
    let mangled = OFFICIAL_APP_TEXT.replace('\t', "    ");
    paste(b, &mangled)?;
    b.click("#official-app-read")?;
    b.wait(
        "the paste to be refused",
        "document.getElementById('official-app').dataset.error === 'copy-text-malformed'",
        SHORT,
    )?;
    let message = b.text("#official-app-message")?;
    expect(message.contains("崩れています"), || {
        format!("message: {message}")
    })?;
    // (A textarea's value reads CRLF back as LF; the parser takes either.)
    let kept = b.js("return document.getElementById('official-app-text').value;")?;
    expect(
        kept.as_str() == Some(mangled.replace("\r\n", "\n").as_str()),
        || format!("the refused paste was not kept: {kept}"),
    )?;
    // The app's text: the same panel, the 受診券 comparison, a record in the history.
    paste(b, OFFICIAL_APP_TEXT)?;
    b.click("#official-app-read")?;
    let outcome = wait_outcome(b)?;
    expect(outcome == "ok official-app 1", || {
        format!("outcome {outcome}")
    })?;
    let summary = b.text("#voucher-summary")?;
    expect(summary.contains("一致"), || format!("voucher: {summary}"))?;
    let panel = b.text("#result")?;
    expect(
        panel.contains("山田　太郎") && panel.contains("3割（法定・推定）"),
        || format!("panel: {panel}"),
    )?;
    expect(panel.contains("本日ではありません"), || {
        format!("the 確認日 notice is missing: {panel}")
    })?;
    b.wait(
        "the paste in the history",
        "document.getElementById('history-table').textContent.includes('マイナ資格確認アプリ')",
        SHORT,
    )?;
    b.screenshot("17-official-app-paste")?;
    Ok(())
}

type Scenario = fn(&mut Stack, &Browser) -> Result<()>;

const SCENARIOS: &[(&str, Scenario)] = &[
    ("terminal activation", activation),
    ("PIN mode with a 受診券", pin_mode),
    ("visual mode (目視), remembered", visual_mode),
    ("wrong PIN, then the right one", wrong_then_right_pin),
    ("last-try consent", last_try_consent),
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
    ("マイナ資格確認アプリの結果を貼り付け", official_app_paste),
    ("bridge not running", bridge_missing),
];

/// Builds, starts the stack, runs every scenario (stopping at the first failure, whose
/// screenshot is saved), stops everything. `pkg_is_fresh`: the npm package in `pkg/` was just
/// built by this process (the test command's browser-test step), so it is not built again.
pub fn run_e2e(pkg_is_fresh: bool) -> Result<()> {
    let started = Instant::now();
    let root = workspace_root();
    for tool in [CHROMIUM, CHROMEDRIVER] {
        if !Path::new(tool).exists() {
            bail!("{tool} is missing: install Debian's chromium and chromium-driver");
        }
    }
    if !pkg_is_fresh || !root.join("pkg/myna-web.js").exists() {
        pkg::run_pkg()?;
    }
    run(Command::new("cargo")
        .args(["build", "-p", "myna-bridge", "-p", "myna-demo", "--bins"])
        .current_dir(&root))?;
    let work = root.join("target/e2e");
    let shots = work.join("screenshots");
    let _ = fs::remove_dir_all(&shots);
    fs::create_dir_all(&shots)?;
    for log in [
        "bridge.log",
        "demo.log",
        "virtual-card.log",
        "chromedriver.log",
    ] {
        let _ = fs::remove_file(work.join(log));
    }
    let db = work.join(format!("e2e-{}.sqlite3", std::process::id()));
    let bin = root.join("target/debug");
    let pcscd = Pcscd::ensure_running()?;

    let bridge_port = free_port()?;
    let demo_port = free_port()?;
    let origin = format!("http://127.0.0.1:{demo_port}");
    let mut stack = Stack {
        root: root.clone(),
        work: work.clone(),
        bin,
        demo_port,
        db: db.clone(),
        demo: None,
        card: None,
        bridge_port,
        bridge: None,
    };
    stack.start_bridge()?;
    stack.start_demo()?;

    let driver_port = free_port()?;
    let mut driver = Proc::start(
        "chromedriver",
        Path::new(CHROMEDRIVER),
        &[format!("--port={driver_port}")],
        &work.join("chromedriver.log"),
    )?;
    wait_listening(&mut driver, driver_port)?;
    let browser = Browser::open(driver_port, shots.clone())?;
    let result = (|| -> Result<usize> {
        browser.goto(&format!("{origin}/?bridge=ws://127.0.0.1:{bridge_port}/v1"))?;
        let mut passed = 0;
        for (name, scenario) in SCENARIOS {
            let t = Instant::now();
            scenario(&mut stack, &browser).with_context(|| format!("e2e scenario {name:?}"))?;
            passed += 1;
            println!("e2e: ok   {name} ({:.1?})", t.elapsed());
        }
        Ok(passed)
    })();
    if let Err(err) = &result {
        println!("e2e: FAILED {err:#}");
        let _ = browser.screenshot("FAILED");
    }
    browser.quit();
    drop(driver);
    drop(stack);
    drop(pcscd);
    for suffix in ["", "-wal", "-shm"] {
        let _ = fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let passed = result.with_context(|| {
        format!(
            "logs in {}, screenshots in {}",
            work.display(),
            shots.display()
        )
    })?;
    println!(
        "e2e: {passed} scenarios passed in {:.0?}; screenshots in {}",
        started.elapsed(),
        shots.display()
    );
    Ok(())
}
