//! `cargo xtask test` — the project's one test command (the README names it; CI runs it).
//!
//! From a fresh clone on Debian it installs what is missing (see [`crate::system`]), starts
//! pcscd, then runs, failing on the first red step:
//! formatting, clippy with warnings as errors, the core's wasm32 build, the persona fixtures'
//! reproducibility, every test of the workspace with `MYNA_REQUIRE_PCSC=1` (which turns
//! "pcscd not reachable" from a skip into a failure in the tests that need the real PC/SC
//! path), the browser tests of the npm package in headless Chromium and Firefox ESR against a
//! real bridge and eligibility service, and the end-to-end scenarios of the reception page
//! (both browsers, the bridge on the real pcscd + vpcd path; see [`crate::e2e`]), the fuzz
//! workspace's own tests (every committed seed and past finding replayed), a bounded,
//! fixed-seed run of every fuzz target (see [`crate::fuzz`]), and the installers: `cargo xtask
//! dist` (the Windows bridge, its MSI, the .deb, the macOS checks; see [`crate::dist`]) and the
//! Windows bridge under Wine (see [`crate::wine`]).

use std::process::Command;
use std::time::Instant;

use anyhow::Result;
use myna_harness::Pcscd;

use crate::{run, system, workspace_root};

/// How long `cargo xtask test` fuzzes each target: a smoke run that replays the committed
/// seeds and every regression input, then searches a little from a fixed seed
/// ([`crate::fuzz::GATE_SEED`]). Longer campaigns with fresh seeds:
/// `cargo xtask fuzz --seconds N` (fuzz/README.md).
const FUZZ_SECONDS: u64 = 20;

/// Runs the whole suite.
pub fn run_all() -> Result<()> {
    let started = Instant::now();
    let root = workspace_root();
    step("system packages", system::ensure_debian_packages)?;
    step("rust toolchain", system::ensure_rust_toolchain)?;
    step("wasm-bindgen-cli", || {
        system::ensure_wasm_bindgen_cli(&root)
    })?;
    step(
        "browser driver (npm ci in xtask/browser)",
        crate::browser::ensure_driver,
    )?;
    step("cargo fmt --check", || {
        run(Command::new("cargo")
            .args(["fmt", "--all", "--", "--check"])
            .current_dir(&root))
    })?;
    step("cargo clippy -D warnings", || {
        run(Command::new("cargo")
            .args([
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ])
            .current_dir(&root))
    })?;
    step("myna-core for wasm32-unknown-unknown", || {
        run(Command::new("cargo")
            .args([
                "build",
                "-p",
                "myna-core",
                "--target",
                "wasm32-unknown-unknown",
            ])
            .current_dir(&root))
    })?;
    step("persona fixtures reproduce byte for byte", || {
        crate::personas::run(&crate::personas::Args::check())
    })?;
    let pcscd = Pcscd::ensure_running()?;
    step("cargo test --workspace (real pcscd + vpcd)", || {
        run(Command::new("cargo")
            .args(["test", "--workspace"])
            .env("MYNA_REQUIRE_PCSC", "1")
            .current_dir(&root))
    })?;
    step(
        "browser tests (headless Chromium and Firefox ESR)",
        crate::wasm_test::run_wasm_tests,
    )?;
    step(
        "end-to-end: the reception page in headless Chromium and Firefox ESR, real pcscd + vpcd",
        || crate::e2e::run_e2e(true),
    )?;
    step(
        "fuzz/: the committed seeds and every past finding (cargo test)",
        || {
            run(Command::new("cargo")
                .arg("test")
                .current_dir(root.join("fuzz")))
        },
    )?;
    step(
        &format!(
            "fuzz: every target for {FUZZ_SECONDS} s, seed {}",
            crate::fuzz::GATE_SEED
        ),
        || crate::fuzz::run_bounded(FUZZ_SECONDS),
    )?;
    drop(pcscd);
    let mut dist = None;
    step(
        "dist: the Windows bridge + per-user MSI, the .deb, cargo check for macOS",
        || {
            let built = crate::dist::run_dist()?;
            crate::dist::check_deb(&built)?;
            dist = Some(built);
            Ok(())
        },
    )?;
    step(
        "the Windows bridge under Wine: the socket suite on the .exe, the MSI's life cycle",
        || crate::wine::run_wine_tests(dist.as_ref().expect("dist ran")),
    )?;
    println!("xtask: all green in {:.0?}", started.elapsed());
    Ok(())
}

fn step(name: &str, f: impl FnOnce() -> Result<()>) -> Result<()> {
    let t = Instant::now();
    println!("\n=== xtask: {name}");
    let result = f();
    match &result {
        Ok(()) => println!("=== xtask: {name}: ok ({:.1?})", t.elapsed()),
        Err(e) => println!("=== xtask: {name}: FAILED: {e:#}"),
    }
    result
}
