//! `cargo xtask bench` — every benchmark in one run (issue 7; method and figures in
//! `docs/benchmarks.md`).
//!
//! The measuring happens in release binaries, never in this (debug) xtask: it installs what
//! a fresh Debian machine lacks, builds `myna-bridge`, `myna-demo` and `myna-bench` with
//! `--release` (and the npm package when the workspace has the browser module), starts
//! pcscd, then runs `myna-bench run`, which prints the table and writes
//! `target/bench/report.json`. A missed target makes the command fail.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};
use myna_harness::Pcscd;

use crate::{run, system, workspace_root};

/// `cargo xtask bench [-- MYNA-BENCH-OPTIONS]`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Options passed to `myna-bench run` (e.g. `-- --idle-seconds 25`; see
    /// `target/release/myna-bench run --help`).
    #[arg(last = true)]
    pub extra: Vec<String>,
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

/// Builds, starts pcscd, measures.
pub fn run_bench(args: &Args) -> Result<()> {
    let root = workspace_root();
    system::ensure_debian_packages()?;
    system::ensure_rust_toolchain()?;
    println!("xtask: building the measured programs in release mode");
    run(Command::new("cargo")
        .args([
            "build",
            "--release",
            "-p",
            "myna-bridge",
            "-p",
            "myna-demo",
            "-p",
            "myna-bench",
        ])
        .current_dir(&root))?;
    let pkg = build_package(&root)?;
    if pkg.is_some() {
        // The WASM start-up is timed in Chromium through the project's browser driver.
        crate::browser::ensure_driver()?;
    }
    let release = target_dir(&root).join("release");
    let work = target_dir(&root).join("bench");
    let pcscd = Pcscd::ensure_running()?;
    let mut cmd = Command::new(release.join("myna-bench"));
    cmd.arg("run")
        .arg("--bridge")
        .arg(release.join("myna-bridge"))
        .arg("--demo")
        .arg(release.join("myna-demo"))
        .arg("--work")
        .arg(&work)
        .arg("--report")
        .arg(work.join("report.json"))
        .arg("--browser-driver")
        .arg(crate::browser::drive_script())
        .current_dir(&root);
    if let Some(pkg) = &pkg {
        cmd.arg("--pkg").arg(pkg);
    }
    cmd.args(&args.extra);
    let status = cmd.status().context("starting myna-bench")?;
    drop(pcscd);
    match status.code() {
        Some(0) => Ok(()),
        Some(1) => bail!("benchmark targets missed (see the table above)"),
        _ => bail!("myna-bench failed ({status})"),
    }
}

/// Builds the npm package if the workspace has the browser module; its directory.
fn build_package(root: &Path) -> Result<Option<PathBuf>> {
    if !root.join("wasm/Cargo.toml").is_file() {
        println!("xtask: no wasm/ crate here: the WASM figures will be reported as missing");
        return Ok(None);
    }
    println!("xtask: building the npm package (cargo xtask pkg)");
    let pkg = root.join("pkg");
    if let Err(e) = crate::pkg::run_pkg() {
        // Over its size budget the package is still built: the report shows the miss.
        let built = std::fs::read_dir(&pkg).is_ok_and(|entries| {
            entries
                .filter_map(Result::ok)
                .any(|e| e.path().extension().is_some_and(|x| x == "wasm"))
        });
        if !built {
            return Err(e.context("building the npm package"));
        }
        println!("xtask: cargo xtask pkg: {e:#}; measuring the package it left in pkg/");
    }
    Ok(Some(pkg))
}
