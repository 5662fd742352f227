//! `cargo xtask` — the project's commands. See the README.
//!
//! - `test`: the one test command (installs what a fresh Debian machine lacks, starts pcscd).
//! - `bench`: every benchmark in one run (`target/bench/report.json`).
//! - `demo`: the reception page on a simulated reader, one command.
//! - `dist`: the bridge's installers into `target/dist/` (Windows MSI, .deb; macOS checked).
//! - `personas`: regenerates the persona fixtures (test CA, keys, certificates, CRL).

mod bench;
mod browser;
mod demo;
mod dist;
mod e2e;
mod fuzz;
mod labels;
mod personas;
mod pkg;
mod system;
mod test;
mod tsc;
mod wasm_test;
mod wine;

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "myna-web's project commands")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run every check and test (what CI runs).
    Test,
    /// (Re)generate the test CA, persona keys, certificates and CRL from
    /// tests/fixtures/personas/personas.toml.
    Personas(personas::Args),
    /// Build the npm package `myna-web` into pkg/ (prints the gzipped .wasm size).
    Pkg,
    /// Run the browser module's tests in headless Chromium and Firefox ESR against a real
    /// bridge and service.
    WasmTests,
    /// Run the cargo-fuzz targets of fuzz/, bounded (see fuzz/README.md).
    Fuzz(fuzz::Args),
    /// Measure everything (APDUs, latency, throughput, idle cost, WASM) in one run; write
    /// target/bench/report.json; fail if a target is missed.
    Bench(bench::Args),
    /// Start the demo: a simulated card reader and the reception page at
    /// http://127.0.0.1:8787/ (Ctrl-C stops it).
    Demo,
    /// Run the reception page's end-to-end tests in headless Chromium and Firefox ESR through
    /// pcscd + vpcd.
    E2e,
    /// Type-check the reference page (web-demo/static, `// @ts-check`) against the package's
    /// .d.ts with the pinned typescript (`tsc --noEmit`; builds pkg/ when it is missing).
    Tsc,
    /// Build the bridge's installers into target/dist/: the per-user Windows MSI (and the bare
    /// .exe), the .deb with the systemd user unit; `cargo check` for both macOS targets.
    Dist,
    /// Test the Windows bridge under Wine: the socket-level suite against the .exe, and the
    /// MSI installed, started, checked and uninstalled (runs `dist` first).
    WineTests,
}

fn main() -> Result<()> {
    match Cli::parse().cmd {
        Cmd::Test => test::run_all(),
        Cmd::Personas(args) => personas::run(&args),
        Cmd::Pkg => pkg::run_pkg().map(|_| ()),
        Cmd::WasmTests => wasm_test::run_wasm_tests(),
        Cmd::Fuzz(args) => fuzz::run_with(&args),
        Cmd::Bench(args) => bench::run_bench(&args),
        Cmd::Demo => demo::run_demo(),
        Cmd::E2e => e2e::run_e2e(false),
        Cmd::Tsc => tsc::check_page(),
        Cmd::Dist => dist::check_deb(&dist::run_dist()?),
        Cmd::WineTests => {
            let dist = dist::run_dist()?;
            wine::run_wine_tests(&dist)
        }
    }
}

/// The repository root (xtask lives one level below it).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is inside the workspace")
        .to_path_buf()
}

/// Runs a command with inherited stdio; an error if it cannot start or exits non-zero.
pub fn run(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    let status = cmd.status().with_context(|| format!("starting {shown}"))?;
    if !status.success() {
        bail!("{shown} failed: {status}");
    }
    Ok(())
}
