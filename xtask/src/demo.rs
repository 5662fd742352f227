//! `cargo xtask demo` — the whole product on this machine, with no card reader.
//!
//! 1. Installs the Debian packages the build needs if missing (as `cargo xtask test` does),
//!    builds the npm package into `pkg/` (`pkg::run_pkg`) and `myna-bridge` + `myna-demo`.
//! 2. Checks that ports 27450 (bridge) and 8787 (service and page) are free.
//! 3. Starts `myna-bridge --simulate` (a simulated reader holding the `default` persona's
//!    card, pages may swap personas) allowing the page's origin, and `myna-demo serve` on
//!    `target/demo/myna-demo.sqlite3` (created and seeded with the demo facility and the
//!    personas on first start) serving the reception page with `pkg/`.
//! 4. Prints the URL and what to try, then waits. Ctrl-C (or either process exiting) stops
//!    both: SIGTERM, a few seconds to finish, then SIGKILL; every child is waited for.

use std::fs;
use std::net::{Ipv4Addr, TcpListener};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use myna_harness::{Output, Proc};

use crate::{pkg, run, system, workspace_root};

/// The bridge's address (the package's default `ws://127.0.0.1:27450/v1`).
pub const BRIDGE_PORT: u16 = 27450;
/// The service's and page's address.
pub const DEMO_PORT: u16 = 8787;

/// Starts `program args…` with its output on this terminal (stopped on drop: SIGTERM, a few
/// seconds, SIGKILL) and waits until it listens on `port`.
fn start(name: &str, program: &Path, args: &[&str], port: u16) -> Result<Proc> {
    let mut cmd = Command::new(program);
    cmd.args(args);
    let mut child = Proc::spawn(name, cmd, Output::Terminal)?;
    child.wait_tcp(port)?;
    Ok(child)
}

/// Fails clearly when `port` on 127.0.0.1 is taken.
fn ensure_free(port: u16, what: &str) -> Result<()> {
    match TcpListener::bind((Ipv4Addr::LOCALHOST, port)) {
        Ok(_) => Ok(()),
        Err(err) => bail!(
            "port 127.0.0.1:{port} ({what}) is taken ({err}); stop what uses it \
             (e.g. `ss -ltnp 'sport = :{port}'` shows it) and run `cargo xtask demo` again"
        ),
    }
}

/// `cargo xtask demo`.
pub fn run_demo() -> Result<()> {
    let root = workspace_root();
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst))
            .context("installing the Ctrl-C handler")?;
    }
    ensure_free(BRIDGE_PORT, "myna-bridge")?;
    ensure_free(DEMO_PORT, "myna-demo")?;

    // From a fresh clone the demo may be the first command run: the bridge links
    // libpcsclite even when it only simulates, and the package needs the wasm tools.
    system::ensure_debian_packages()?;
    pkg::run_pkg()?;
    run(Command::new("cargo")
        .args(["build", "-p", "myna-bridge", "-p", "myna-demo", "--bins"])
        .current_dir(&root))?;
    // The build took a while: check again, so a port taken meanwhile fails clearly too.
    ensure_free(BRIDGE_PORT, "myna-bridge")?;
    ensure_free(DEMO_PORT, "myna-demo")?;

    let bin = root.join("target/debug");
    let data = root.join("target/demo");
    fs::create_dir_all(&data).with_context(|| format!("creating {}", data.display()))?;
    let db = data.join("myna-demo.sqlite3");
    let pkg_dir = root.join("pkg");
    let origin = format!("http://127.0.0.1:{DEMO_PORT}");
    let bridge_listen = format!("127.0.0.1:{BRIDGE_PORT}");
    let demo_listen = format!("127.0.0.1:{DEMO_PORT}");

    let mut bridge = start(
        "myna-bridge",
        &bin.join("myna-bridge"),
        &[
            "--simulate",
            "--listen",
            &bridge_listen,
            "--allow-origin",
            &origin,
        ],
        BRIDGE_PORT,
    )?;
    let mut demo = start(
        "myna-demo",
        &bin.join("myna-demo"),
        &[
            "serve",
            "--listen",
            &demo_listen,
            "--db",
            &db.display().to_string(),
            "--pkg-dir",
            &pkg_dir.display().to_string(),
        ],
        DEMO_PORT,
    )?;

    println!(
        "
==================================================================
 myna-web demo — open  {origin}/
==================================================================
 What to try:
 - First use: register the terminal with
     医療機関等コード 1399999999 / ユーザーID W0000001 /
     アクティベーションコード DEMO0001 (any device name).
 - Type a staff name (担当者) at the top, choose 暗証番号 or 目視.
 - The simulated reader holds the `default` persona's card: PIN 1234.
   Swap cards with テストカード (each persona's PIN is in
   tests/fixtures/personas/personas.toml): kokuho 2345, kouki 3456,
   unlinked 2222 (該当資格なし), expired-cert 3333, revoked-cert 4444,
   blocked (PIN locked: use 目視), last-try 6666 (one try left),
   no-pin (目視 only), lost (資格喪失).
 - Enter a 受診券 (insurer number 01130012 …) to see the comparison.
 - The day's history comes from the service; the 印刷 button prints
   the result only.
 Service data: {db}
 Ctrl-C stops both processes.
==================================================================",
        db = db.display()
    );

    while !stop.load(Ordering::SeqCst) {
        if let Some(status) = bridge.exit_status() {
            println!("xtask demo: myna-bridge exited ({status}); stopping");
            break;
        }
        if let Some(status) = demo.exit_status() {
            println!("xtask demo: myna-demo exited ({status}); stopping");
            break;
        }
        thread::sleep(Duration::from_millis(200));
    }
    println!("xtask demo: stopping");
    drop(demo);
    drop(bridge);
    println!("xtask demo: stopped myna-demo and myna-bridge");
    Ok(())
}
