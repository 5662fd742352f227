//! `myna-bench run`: every benchmark of the project in one run (started by
//! `cargo xtask bench`, which builds the release binaries it needs first).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, Result};
use clap::{Parser, Subcommand};
use myna_bench::report;
use myna_bench::run::{self, Config};

#[derive(Debug, Parser)]
#[command(
    name = "myna-bench",
    about = "myna-web's benchmarks (run by `cargo xtask bench`)"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Measure everything, print the table, write the report; exit 1 if a target fails.
    Run(RunArgs),
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// The release myna-bridge binary.
    #[arg(long)]
    bridge: PathBuf,
    /// The release myna-demo binary.
    #[arg(long)]
    demo: PathBuf,
    /// The npm package directory (omit when the package is not built).
    #[arg(long)]
    pkg: Option<PathBuf>,
    /// Scratch directory (databases, logs).
    #[arg(long, default_value = "target/bench")]
    work: PathBuf,
    /// Where to write the JSON report.
    #[arg(long, default_value = "target/bench/report.json")]
    report: PathBuf,
    /// The vpcd port for the virtual card (35963 = `Virtual PCD 00 00`).
    #[arg(long, default_value_t = 35963)]
    vpcd_port: u16,
    /// Interleaved rounds of the bridge-overhead measurement.
    #[arg(long, default_value_t = 30)]
    overhead_rounds: usize,
    /// READ BINARYs per path and round.
    #[arg(long, default_value_t = 100)]
    overhead_per_round: usize,
    /// End-to-end confirmations of each kind: through the bridge and the direct PC/SC
    /// reference (instant card), and with the modelled (realistic) card timing.
    /// The added figures are medians of per-round paired differences (a bridge run minus the
    /// direct run right after it), so a few more rounds than for a plain median.
    #[arg(long, default_value_t = 25)]
    e2e_runs: usize,
    /// Seconds of the idle-bridge sample (more than the bridge's 20 s ping interval, so the
    /// window contains a ping).
    #[arg(long, default_value_t = 30)]
    idle_seconds: u64,
    /// Seconds the main service load aims to last.
    #[arg(long, default_value_t = 4.0)]
    service_seconds: f64,
    /// Client connections of the service load.
    #[arg(long, default_value_t = 16)]
    service_concurrency: usize,
    /// The browser driver (puppeteer-core, `npm ci` done in its folder), which starts
    /// Debian's headless Chromium for the WASM start-up.
    #[arg(long, default_value = "xtask/browser/drive.mjs")]
    browser_driver: PathBuf,
    /// Sessions per step of the memory phase: RSS is read after N and after 2N
    /// connect–authenticate–disconnect sessions on a `--simulate` bridge.
    #[arg(long, default_value_t = 2000)]
    memory_sessions: usize,
    /// The workspace root, whose largest non-test source file is reported.
    #[arg(long, default_value = ".")]
    source_root: PathBuf,
    /// Phases to run (for working on one; a partial run fails its report).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "card,wasm,service,memory"
    )]
    phases: Vec<String>,
}

fn main() -> ExitCode {
    match real_main() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("myna-bench: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn real_main() -> Result<bool> {
    let Cmd::Run(args) = Cli::parse().command;
    if let Some(unknown) = args
        .phases
        .iter()
        .find(|p| !["card", "wasm", "service", "memory"].contains(&p.as_str()))
    {
        anyhow::bail!("unknown phase {unknown:?} (card, wasm, service, memory)");
    }
    let config = Config {
        bridge: args.bridge,
        demo: args.demo,
        pkg: args.pkg,
        work: args.work,
        vpcd_port: args.vpcd_port,
        overhead_rounds: args.overhead_rounds,
        overhead_per_round: args.overhead_per_round,
        e2e_runs: args.e2e_runs,
        idle: Duration::from_secs(args.idle_seconds),
        service_seconds: args.service_seconds,
        service_concurrency: args.service_concurrency,
        memory_sessions: args.memory_sessions,
        browser_driver: args.browser_driver,
        source_root: args.source_root,
        phases: args.phases,
    };
    let measurements = run::run(&config)?;
    let entries = report::evaluate(&measurements);
    println!("{}", report::table(&entries));
    if let Some(dir) = args.report.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.report, report::to_json(&entries))
        .with_context(|| format!("writing {}", args.report.display()))?;
    let pass = report::all_pass(&entries);
    println!(
        "report: {} — {}",
        args.report.display(),
        if pass {
            "every target met"
        } else {
            "TARGETS MISSED"
        }
    );
    Ok(pass)
}
