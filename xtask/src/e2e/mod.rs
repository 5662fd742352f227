//! End-to-end tests of the reception page in headless Chromium and Firefox ESR, through the
//! real PC/SC stack.
//!
//! [`run_e2e`] builds the npm package and the binaries, then, for each browser of
//! [`browser::BROWSERS`] in turn (one stack each: fresh ports, fresh database), starts:
//! - pcscd (if none answers; see [`myna_harness::Pcscd`]) with its vpcd reader;
//! - `myna-bridge --listen 127.0.0.1:B --allow-origin http://127.0.0.1:D` **without**
//!   `--simulate`: the bridge reads the vpcd reader through pcscd as it would a USB reader;
//! - `myna-bridge virtual-card --vpcd 127.0.0.1:35963 --persona NAME` (restarted with another
//!   persona to swap cards, killed to pull the card out);
//! - `myna-demo serve --listen 127.0.0.1:D --db <fresh> --pkg-dir pkg` (the page and service);
//! - the browser, headless, driven by puppeteer-core (`xtask/browser/drive.mjs`, see
//!   [`crate::browser`] for why one driver serves both browsers).
//!
//! and runs each scenario in one browser session as a receptionist would: click, type on the
//! PIN pad, read what the page says. The page's `data-phase` / `data-outcome` attributes are
//! only used to wait for a state; every check also reads the text staff see. Screenshots of
//! the key states go to `target/e2e/screenshots/<browser>/`, process logs to
//! `target/e2e/<browser>/`. `docs/screenshots/` (shown in the README) holds copies of
//! Chromium's `02-pin-pad`, `03-result-pin`, `07-last-try-dialog`, `16-bridge-not-running`,
//! `21-android-pin-required` and `22-result-android` (among others) from this run, rendered with Debian's `fonts-noto-cjk`; copy them again when the page changes.
//!
//! The parts: [`stack`] (the processes), [`page`] (driving the page), [`scenarios`] (one
//! function per scenario, one row of [`scenarios::SCENARIOS`] each; every scenario runs in
//! every browser), [`phones`] (the smartphone scenarios of issue 14). Ports, processes, waiting, pcscd and the browser driver come from
//! `myna-harness` (`tools/harness`). The driver is a child process answering JSON lines, so
//! no async runtime is needed.

mod page;
mod phones;
mod scenarios;
mod stack;

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result};
use myna_harness::Pcscd;

use self::page::Browser;
use self::scenarios::SCENARIOS;
use self::stack::Stack;
use crate::browser;
use crate::{pkg, run, workspace_root};

/// Builds, starts the stack, runs every scenario in every browser of [`browser::BROWSERS`]
/// (stopping at the first failure, whose screenshot is saved), stops everything.
/// `pkg_is_fresh`: the npm package in `pkg/` was just built by this process (the test command's
/// browser-test step), so it is not built again.
pub fn run_e2e(pkg_is_fresh: bool) -> Result<()> {
    let started = Instant::now();
    let root = workspace_root();
    browser::ensure_driver()?;
    if !pkg_is_fresh || !root.join("pkg/myna-web.js").exists() {
        pkg::run_pkg()?;
    }
    run(Command::new("cargo")
        .args(["build", "-p", "myna-bridge", "-p", "myna-demo", "--bins"])
        .current_dir(&root))?;
    let work = root.join("target/e2e");
    let _ = fs::remove_dir_all(work.join("screenshots"));
    let pcscd = Pcscd::ensure_running()?;
    let mut summary = Vec::new();
    for (name, _) in browser::BROWSERS {
        let t = Instant::now();
        let passed = run_in(name, &root, &work)?;
        summary.push(format!("{name}: {passed} scenarios in {:.0?}", t.elapsed()));
    }
    drop(pcscd);
    println!(
        "e2e: all passed in {:.0?} ({}); screenshots in {}",
        started.elapsed(),
        summary.join(", "),
        work.join("screenshots").display()
    );
    Ok(())
}

/// Every scenario in one browser, against a stack of its own (fresh database, fresh ports).
fn run_in(browser_name: &str, root: &Path, work: &Path) -> Result<usize> {
    let work = work.join(browser_name);
    let shots = root.join("target/e2e/screenshots").join(browser_name);
    fs::create_dir_all(&shots)?;
    fs::create_dir_all(&work)?;
    for log in ["bridge.log", "demo.log", "virtual-card.log", "browser.log"] {
        let _ = fs::remove_file(work.join(log));
    }
    let db = work.join(format!("e2e-{}.sqlite3", std::process::id()));
    let mut stack = Stack::new(root, &work, root.join("target/debug"), db.clone())?;
    let origin = stack.origin();
    stack.start_bridge()?;
    stack.start_demo()?;
    let browser = Browser::open(browser_name, shots.clone(), &work.join("browser.log"))?;
    let result = (|| -> Result<usize> {
        browser.goto(&origin)?;
        let mut passed = 0;
        for (name, scenario) in SCENARIOS {
            let t = Instant::now();
            scenario(&mut stack, &browser)
                .with_context(|| format!("e2e scenario {name:?} in {browser_name}"))?;
            passed += 1;
            println!("e2e: ok   {browser_name}: {name} ({:.1?})", t.elapsed());
        }
        Ok(passed)
    })();
    if let Err(err) = &result {
        println!("e2e: FAILED {err:#}");
        let _ = browser.screenshot("FAILED");
    }
    drop(browser);
    drop(stack);
    for suffix in ["", "-wal", "-shm"] {
        let _ = fs::remove_file(format!("{}{suffix}", db.display()));
    }
    result.with_context(|| {
        format!(
            "logs in {}, screenshots in {}",
            work.display(),
            shots.display()
        )
    })
}
