//! `cargo xtask fuzz [--seconds N] [TARGET]` — the cargo-fuzz targets of `fuzz/`, bounded.
//!
//! Installs `cargo-fuzz` at [`CARGO_FUZZ_VERSION`] if it is missing, builds every target once,
//! then runs each (or only `TARGET`) for `N` seconds from its committed seeds
//! (`fuzz/seeds/<target>/`), the inputs of past findings (`fuzz/regressions/<target>/`,
//! committed) and what earlier runs found (`fuzz/corpus/<target>/`, not committed), and
//! prints executions per second and coverage. A crash, a timeout or an out-of-memory input
//! fails the run; libFuzzer leaves it in `fuzz/artifacts/<target>/`.
//!
//! cargo-fuzz passes nightly-only flags to rustc; the machine has the stable toolchain only,
//! so they are enabled with `RUSTC_BOOTSTRAP=1` for these builds (and nothing else). The
//! targets are built without a sanitizer by default: every crate of ours forbids `unsafe`,
//! so AddressSanitizer would mostly slow the search down; `--sanitizer address` is there for
//! longer campaigns (see `fuzz/README.md`).

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::{run, workspace_root};

/// The cargo-fuzz release these targets are built with.
pub const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// `cargo xtask fuzz` options.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// How long to run each target, in seconds.
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
    /// libFuzzer's memory limit per target, in MiB.
    #[arg(long, default_value_t = 2048)]
    pub rss_limit_mb: u64,
    /// A slower input than this many seconds is reported as a hang.
    #[arg(long, default_value_t = 10)]
    pub timeout: u64,
    /// `none` (default), `address`, … — passed to `cargo fuzz -s`.
    #[arg(long, default_value = "none")]
    pub sanitizer: String,
    /// libFuzzer's random seed (default: a new one each run). With a seed and
    /// `--fresh-corpus` a run tries the same inputs in the same order; how many it gets
    /// through in the time given depends on the machine.
    #[arg(long)]
    pub seed: Option<u32>,
    /// Start from the committed seeds and findings only, not from what earlier runs found
    /// (`fuzz/corpus/`); new inputs go to a scratch directory, emptied first.
    #[arg(long)]
    pub fresh_corpus: bool,
    /// Only this target (default: every target of `fuzz/Cargo.toml`).
    pub target: Option<String>,
}

impl Args {
    fn bounded(seconds: u64) -> Self {
        Args {
            seconds,
            rss_limit_mb: 2048,
            timeout: 10,
            sanitizer: "none".to_owned(),
            seed: Some(GATE_SEED),
            fresh_corpus: true,
            target: None,
        }
    }
}

/// The seed of the bounded run in `cargo xtask test`. The test command is a gate: the same
/// commit must pass or fail the same way on every run, so it fuzzes the same way every time
/// (fixed seed, committed inputs only); what the bounded run explores differs from one
/// machine to another only in how far it gets in its time. Finding new bugs is the job of
/// longer campaigns with fresh seeds (`cargo xtask fuzz`, fuzz/README.md), whose findings
/// are committed to `fuzz/regressions/` and so join the gate.
pub const GATE_SEED: u32 = 20_241_202;

/// What `cargo xtask test` runs: every target for `seconds` each, with the fixed seed and
/// the committed inputs only (time-bounded: how far it gets depends on the machine).
pub fn run_bounded(seconds: u64) -> Result<()> {
    run_with(&Args::bounded(seconds))
}

/// `cargo xtask fuzz`.
pub fn run_with(args: &Args) -> Result<()> {
    let started = Instant::now();
    let root = workspace_root();
    let fuzz_dir = root.join("fuzz");
    ensure_cargo_fuzz()?;

    let all = list_targets(&root)?;
    let targets = match &args.target {
        Some(t) if all.contains(t) => vec![t.clone()],
        Some(t) => bail!("no fuzz target {t:?}; the targets are {}", all.join(", ")),
        None => all,
    };

    let build = Instant::now();
    run(cargo_fuzz(&root).args(["build", "--fuzz-dir", "fuzz", "-s", &args.sanitizer]))
        .context("building the fuzz targets")?;
    println!("xtask fuzz: built in {:.0?}", build.elapsed());

    let mut reports = Vec::new();
    for target in &targets {
        reports.push(run_target(&root, &fuzz_dir, target, args)?);
    }
    print_table(&reports);
    println!(
        "xtask fuzz: {} target(s), no crash, in {:.0?}",
        reports.len(),
        started.elapsed()
    );
    Ok(())
}

fn cargo_fuzz(root: &Path) -> Command {
    let mut cmd = Command::new("cargo");
    cmd.arg("fuzz")
        .env("RUSTC_BOOTSTRAP", "1")
        .current_dir(root);
    cmd
}

/// Installs cargo-fuzz at the pinned version unless that version is already installed.
fn ensure_cargo_fuzz() -> Result<()> {
    let installed = Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    let wanted = format!("cargo-fuzz {CARGO_FUZZ_VERSION}");
    if installed.as_deref() == Some(wanted.as_str()) {
        return Ok(());
    }
    println!(
        "xtask fuzz: installing {wanted} (found: {})",
        installed.as_deref().unwrap_or("none")
    );
    run(Command::new("cargo").args([
        "install",
        "cargo-fuzz",
        "--version",
        CARGO_FUZZ_VERSION,
        "--force",
    ]))
    .context("installing cargo-fuzz")
}

fn list_targets(root: &Path) -> Result<Vec<String>> {
    let out = cargo_fuzz(root)
        .args(["list", "--fuzz-dir", "fuzz"])
        .output()
        .context("cargo fuzz list")?;
    if !out.status.success() {
        bail!(
            "cargo fuzz list failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let targets: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    if targets.is_empty() {
        bail!("fuzz/Cargo.toml declares no targets");
    }
    Ok(targets)
}

/// The figures libFuzzer prints about one run.
#[derive(Debug, Default)]
struct Report {
    target: String,
    seconds: f64,
    execs: u64,
    execs_per_sec: u64,
    /// Edges covered (`cov:`) and features (`ft:`) at the end.
    cov: u64,
    ft: u64,
    corpus: u64,
    new_units: u64,
    peak_rss_mb: u64,
}

fn run_target(root: &Path, fuzz_dir: &Path, target: &str, args: &Args) -> Result<Report> {
    let corpus = if args.fresh_corpus {
        let scratch = fuzz_dir.join("target").join("fresh-corpus").join(target);
        if scratch.exists() {
            fs::remove_dir_all(&scratch)
                .with_context(|| format!("emptying {}", scratch.display()))?;
        }
        scratch
    } else {
        fuzz_dir.join("corpus").join(target)
    };
    let seeds = fuzz_dir.join("seeds").join(target);
    let artifacts = fuzz_dir.join("artifacts").join(target);
    fs::create_dir_all(&corpus).with_context(|| format!("creating {}", corpus.display()))?;
    fs::create_dir_all(&artifacts)?;
    if !seeds.is_dir() {
        bail!(
            "{} is missing: every target has committed seeds",
            seeds.display()
        );
    }
    let log_path = artifacts.join("last-run.log");
    println!(
        "\nxtask fuzz: {target} for {} s, seed {} (log: {})",
        args.seconds,
        args.seed
            .map_or_else(|| "random".to_owned(), |s| s.to_string()),
        log_path.display()
    );

    let started = Instant::now();
    let mut command = cargo_fuzz(root);
    command
        .args(["run", "--fuzz-dir", "fuzz", "-s", &args.sanitizer, target])
        .arg(&corpus)
        .arg(&seeds);
    // Inputs that once failed a target (committed, `fuzz/regressions/<target>/`): replayed
    // first on every run, so a fixed finding stays fixed.
    let regressions = fuzz_dir.join("regressions").join(target);
    if regressions.is_dir() {
        command.arg(&regressions);
    }
    let mut child = command
        .arg("--")
        .arg(format!("-max_total_time={}", args.seconds))
        .arg(format!("-rss_limit_mb={}", args.rss_limit_mb))
        .arg(format!("-timeout={}", args.timeout))
        .arg("-print_final_stats=1")
        .args(args.seed.map(|s| format!("-seed={s}")))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting cargo fuzz run {target}"))?;

    let mut log = String::new();
    let mut report = Report {
        target: target.to_owned(),
        ..Report::default()
    };
    let stderr = child.stderr.take().expect("piped stderr");
    for line in BufReader::new(stderr).lines() {
        let line = line.context("reading libFuzzer's output")?;
        parse_line(&line, &mut report);
        if line.contains("INITED") || line.contains("DONE") {
            println!("  {line}");
        }
        log.push_str(&line);
        log.push('\n');
    }
    let status = child.wait()?;
    report.seconds = started.elapsed().as_secs_f64();
    fs::write(&log_path, &log).with_context(|| format!("writing {}", log_path.display()))?;
    if !status.success() {
        let tail: Vec<&str> = log.lines().rev().take(60).collect();
        for line in tail.into_iter().rev() {
            println!("  | {line}");
        }
        let seed = log
            .lines()
            .find_map(|l| l.strip_prefix("INFO: Seed: "))
            .unwrap_or("unknown");
        bail!(
            "fuzz target {target} failed ({status}, libFuzzer seed {seed}); the input is in {} \
             — reproduce with `RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir fuzz -s {} {target} \
             <file>`, then commit it to fuzz/regressions/{target}/ (fuzz/README.md)",
            artifacts.display(),
            args.sanitizer
        );
    }
    Ok(report)
}

/// Picks the figures out of libFuzzer's status lines (`#123 DONE cov: 45 ft: 67 corp: 8/90b
/// …`) and final stats (`stat::average_exec_per_sec: 1234`).
fn parse_line(line: &str, report: &mut Report) {
    let number = |s: &str| s.trim().trim_end_matches('b').parse::<u64>().ok();
    if let Some((key, value)) = line
        .strip_prefix("stat::")
        .and_then(|rest| rest.split_once(':'))
    {
        let Some(value) = number(value) else { return };
        match key {
            "number_of_executed_units" => report.execs = value,
            "average_exec_per_sec" => report.execs_per_sec = value,
            "new_units_added" => report.new_units = value,
            "peak_rss_mb" => report.peak_rss_mb = value,
            _ => {}
        }
        return;
    }
    if !line.starts_with('#') {
        return;
    }
    let mut words = line.split_whitespace();
    while let Some(word) = words.next() {
        match word {
            "cov:" => report.cov = words.next().and_then(number).unwrap_or(report.cov),
            "ft:" => report.ft = words.next().and_then(number).unwrap_or(report.ft),
            "corp:" => {
                if let Some(n) = words.next().and_then(|w| w.split('/').next()) {
                    report.corpus = number(n).unwrap_or(report.corpus);
                }
            }
            _ => {}
        }
    }
}

fn print_table(reports: &[Report]) {
    println!(
        "\n{:<14} {:>7} {:>11} {:>9} {:>7} {:>7} {:>7} {:>6} {:>8}",
        "target", "time s", "execs", "exec/s", "cov", "ft", "corpus", "new", "rss MiB"
    );
    for r in reports {
        println!(
            "{:<14} {:>7.0} {:>11} {:>9} {:>7} {:>7} {:>7} {:>6} {:>8}",
            r.target,
            r.seconds,
            r.execs,
            r.execs_per_sec,
            r.cov,
            r.ft,
            r.corpus,
            r.new_units,
            r.peak_rss_mb
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_libfuzzer_status_and_final_stats() {
        let mut r = Report::default();
        for line in [
            "INFO: Seed: 1234",
            "#2\tINITED cov: 100 ft: 150 corp: 5/2000b exec/s: 0 rss: 40Mb",
            "#65536\tpulse  cov: 180 ft: 400 corp: 40/9Kb lim: 4 exec/s: 21845 rss: 50Mb",
            "#81234\tDONE   cov: 201 ft: 456 corp: 52/11Kb lim: 4 exec/s: 27078 rss: 52Mb",
            "stat::number_of_executed_units: 81234",
            "stat::average_exec_per_sec:     27078",
            "stat::new_units_added:          47",
            "stat::peak_rss_mb:              52",
        ] {
            parse_line(line, &mut r);
        }
        assert_eq!((r.cov, r.ft, r.corpus), (201, 456, 52));
        assert_eq!(
            (r.execs, r.execs_per_sec, r.new_units, r.peak_rss_mb),
            (81234, 27078, 47, 52)
        );
    }
}
