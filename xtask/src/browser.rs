//! The browsers the tests run in, and the one tool that drives them.
//!
//! Every browser test runs in **Chromium** (Debian's `chromium`) and **Firefox ESR** (Debian's
//! `firefox-esr`), both headless, both driven by `puppeteer-core` from npm — Chromium over the
//! DevTools protocol, Firefox over WebDriver BiDi — through `xtask/browser/drive.mjs`:
//! - `cargo xtask wasm-tests` uses it as the cargo runner of the wasm32 tests
//!   (`node drive.mjs wasm-test <browser> …` runs wasm-bindgen-test-runner in its
//!   interactive mode and drives the page);
//! - `cargo xtask e2e` talks to `node drive.mjs serve <browser>` in JSON lines
//!   ([`myna_harness::Driver`]);
//! - `myna-bench` times the module's start-up in Chromium through the same `serve` mode.
//!
//! Why puppeteer-core for both, and not chromedriver for Chromium plus a second path for
//! Firefox: Firefox has no classic WebDriver without geckodriver (not in Debian; building it
//! from crates.io costs minutes on a fresh machine), and wasm-bindgen-test-runner speaks only
//! classic WebDriver. With one driver for both, the launch options, clicks, typing,
//! screenshots and the Local Network Access switches exist once, the scenarios do not care
//! which browser runs them, and the hand-written WebDriver client is gone (a kept library
//! replaces it). The cost: Node and 81 npm packages (56 MB) in `xtask/browser/node_modules`,
//! pinned by the committed `package-lock.json` and installed with `npm ci`; puppeteer-core
//! downloads no browser (and `PUPPETEER_SKIP_DOWNLOAD` is set all the same). Every browser test
//! passes inside `/work/tools/isolated`, which has no network: nothing is fetched at run time.
//!
//! What Firefox adds to CI (measured here, 2 cores shared with other builds, two runs each):
//! `cargo xtask wasm-tests` 117–199 s for Firefox next to 105–146 s for Chromium (each with
//! its five Local Network Access runs of `lna.rs`, 3–10 s apiece); `cargo xtask e2e` 33–37 s
//! for Firefox's 13 scenarios next to 26–31 s for Chromium's; `npm ci` 7–13 s; on a fresh
//! machine the download of `firefox-esr` (80 MB) and `fonts-noto-cjk` (57 MB), not measured
//! here (both were installed). About 3–4 minutes in all.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::{run, workspace_root};

/// Every browser the browser tests run in, with its Debian binary.
pub const BROWSERS: &[(&str, &str)] = &[
    ("chromium", "/usr/bin/chromium"),
    ("firefox", "/usr/bin/firefox-esr"),
];

/// `xtask/browser/`: package.json, package-lock.json, drive.mjs.
pub fn driver_dir() -> PathBuf {
    workspace_root().join("xtask/browser")
}

/// The driver script.
pub fn drive_script() -> PathBuf {
    driver_dir().join("drive.mjs")
}

/// The puppeteer-core version `package.json` pins.
fn pinned_version(dir: &Path) -> Result<String> {
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("package.json")).context("reading package.json")?,
    )?;
    manifest["dependencies"]["puppeteer-core"]
        .as_str()
        .map(str::to_owned)
        .context("package.json pins no puppeteer-core")
}

/// The puppeteer-core version installed in `node_modules`, if any.
fn installed_version(dir: &Path) -> Option<String> {
    let text =
        std::fs::read_to_string(dir.join("node_modules/puppeteer-core/package.json")).ok()?;
    let manifest: Value = serde_json::from_str(&text).ok()?;
    manifest["version"].as_str().map(str::to_owned)
}

/// `npm ci` in `xtask/browser/` unless the pinned puppeteer-core is installed there already;
/// checks the browsers are where the driver looks for them.
pub fn ensure_driver() -> Result<()> {
    for (name, binary) in BROWSERS {
        if !Path::new(binary).exists() {
            bail!(
                "{binary} is missing: install Debian's package for {name} (cargo xtask test does)"
            );
        }
    }
    let dir = driver_dir();
    let pinned = pinned_version(&dir)?;
    if installed_version(&dir).as_deref() == Some(pinned.as_str()) {
        return Ok(());
    }
    println!(
        "xtask: npm ci in {} (puppeteer-core {pinned})",
        dir.display()
    );
    run(Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .env("PUPPETEER_SKIP_DOWNLOAD", "1")
        .current_dir(&dir))
}

/// The cargo runner that runs a wasm32 test binary in `browser`.
pub fn wasm_runner(browser: &str) -> String {
    format!("node {} wasm-test {browser}", drive_script().display())
}
