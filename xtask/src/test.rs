//! `cargo xtask test` — the project's one test command (the README names it; CI runs it).
//!
//! From a fresh clone on Debian it installs what is missing (see [`crate::system`]), starts
//! pcscd, then runs, failing on the first red step:
//! the size rule (no non-test source file over 900 lines; see [`check_source_size`]),
//! formatting, clippy with warnings as errors, the core's wasm32 build, the persona fixtures'
//! reproducibility, every test of the workspace with `MYNA_REQUIRE_PCSC=1` (which turns
//! "pcscd not reachable" from a skip into a failure in the tests that need the real PC/SC
//! path), the browser tests of the npm package in headless Chromium and Firefox ESR against a
//! real bridge and eligibility service, the reference page's type check (`tsc --noEmit` with the
//! pinned `typescript` over `web-demo/static/`, see [`crate::tsc`]), and the end-to-end scenarios of the reception page
//! (both browsers, the bridge on the real pcscd + vpcd path; see [`crate::e2e`]), the fuzz
//! workspace's own tests (every committed seed and past finding replayed), a bounded,
//! fixed-seed run of every fuzz target (see [`crate::fuzz`]), and the installers: `cargo xtask
//! dist` (the Windows bridge, its MSI, the .deb, the macOS checks; see [`crate::dist`]) and the
//! Windows bridge under Wine (see [`crate::wine`]).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Result, bail};
use myna_harness::{Pcscd, source_size};

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
    step(
        &format!(
            "no non-test source file over {} lines",
            source_size::MAX_SOURCE_LINES
        ),
        || check_source_size(&root),
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
        "the reference page: tsc --noEmit (// @ts-check) against pkg/*.d.ts",
        crate::tsc::check_page,
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

/// Issue 15's size rule: no non-test source file over [`source_size::MAX_SOURCE_LINES`]
/// lines. Source files are the `.rs`, `.js`, `.mjs` and `.ts` files of the workspace outside
/// `target/`, `node_modules/`, `pkg/` and hidden folders; test files (not held to the rule)
/// are those in `tests/` and `benches/` folders, files named `tests.rs` or `*_tests.rs`, and
/// fuzz targets (`fuzz/fuzz_targets/`) — see [`myna_harness::source_size`]. Fails naming every
/// offender.
fn check_source_size(root: &Path) -> Result<()> {
    let sources = source_size::non_test_sources(root)?;
    let over = source_size::oversized(&sources);
    if over.is_empty() {
        if let Some(largest) = sources.first() {
            println!(
                "xtask: the largest non-test source file is {} ({} lines)",
                largest.path.display(),
                largest.lines
            );
        }
        return Ok(());
    }
    let list = over
        .iter()
        .map(|f| format!("{} ({} lines)", f.path.display(), f.lines))
        .collect::<Vec<_>>()
        .join(", ");
    bail!(
        "over {} lines: {list}; split them along their seams",
        source_size::MAX_SOURCE_LINES
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_size_step_names_every_offender_and_fails() {
        let root = std::env::temp_dir().join(format!("xtask-size-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let too_long = "x\n".repeat(source_size::MAX_SOURCE_LINES + 1);
        for path in ["core/src/jpki.rs", "wasm/src/view.rs", "core/tests/jpki.rs"] {
            let file = root.join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, &too_long).unwrap();
        }
        let err = check_source_size(&root).unwrap_err().to_string();
        assert!(err.contains("core/src/jpki.rs (901 lines)"), "{err}");
        assert!(err.contains("wasm/src/view.rs (901 lines)"), "{err}");
        assert!(!err.contains("core/tests"), "a test file was named: {err}");
        std::fs::remove_file(root.join("core/src/jpki.rs")).unwrap();
        std::fs::remove_file(root.join("wasm/src/view.rs")).unwrap();
        check_source_size(&root).unwrap();
        let _ = std::fs::remove_dir_all(&root);
    }
}
