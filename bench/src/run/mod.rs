//! One benchmark run: every figure, in one process, in a fixed order.
//!
//! 1. **Card** (pcscd + vpcd, the release bridge on PC/SC, the virtual card in this process):
//!    APDU counts of the PIN and visual flows and of OpenSC; the bridge's per-APDU latency
//!    against direct PC/SC (and direct PC/SC against a loopback round trip); the end-to-end
//!    PIN confirmation (with a release service) against the same APDUs sent by a direct
//!    PC/SC client, with an instant card, the same paired rounds with the Android persona's
//!    phone in the next vpcd reader (issue 14), then once more with the realistic timing model
//!    (modelled card time); the idle bridge over a window that contains its ping.
//! 2. **WASM**: the npm package's gzip size and start-up time in headless Chromium.
//! 3. **Service**: RSA-2048 verifications per CPU-second of one thread, then PIN
//!    confirmations on an on-disk SQLite file, counted per CPU-second of the service
//!    process (like with like: a confirmation verifies two RSA signatures), with the wall
//!    rate, the fsync latency, and the same load on a tmpfs file to separate the disk.
//!
//! A phase that fails records why for each of its figures and the run goes on.
//!
//! Here: the run, its figures ([`METRICS`]), the memory and WASM phases; the card phase (with
//! the bridge) in `card.rs`, its end-to-end part in `e2e.rs`, the service phase in
//! `service.rs`.

mod card;
mod e2e;
mod service;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};

use crate::procs::free_port;
use crate::report::Measurement;
use crate::stats::median;
use crate::wasm;

/// The web origin the bridge allows and the service's demo facility registers.
pub const ORIGIN: &str = "https://reception.bench.example";

/// The persona whose card is used (PIN 1234, valid, linked).
pub const PERSONA: &str = "default";

/// Every figure of a run, in report order, with its unit.
pub const METRICS: &[(&str, &str)] = &[
    ("pin_flow_apdus", "apdus"),
    ("pin_flow_apdus_minimum", "apdus"),
    ("pin_flow_apdus_minimum_sfi", "apdus"),
    ("visual_flow_apdus", "apdus"),
    ("visual_flow_apdus_minimum", "apdus"),
    ("pin_flow_apdus_minimum_android", "apdus"),
    ("visual_flow_apdus_minimum_android", "apdus"),
    ("opensc_apdus_same_operations", "apdus"),
    ("bridge_apdu_over_direct_pcsc_ratio", "ratio"),
    ("bridge_apdu_ms_p50", "ms"),
    ("direct_pcsc_apdu_ms_p50", "ms"),
    ("bridge_overhead_ms_p50", "ms"),
    ("bridge_overhead_ms_p99", "ms"),
    ("direct_pcsc_apdu_over_loopback_rtt_ratio", "ratio"),
    ("loopback_tcp_rtt_ms_p50", "ms"),
    ("e2e_added_ms", "ms"),
    ("e2e_bridge_and_client_ms", "ms"),
    ("e2e_service_ms", "ms"),
    ("e2e_pin_confirmation_ms", "ms"),
    ("e2e_direct_pcsc_same_apdus_ms", "ms"),
    ("e2e_over_direct_pcsc_ratio", "ratio"),
    ("e2e_android_pin_confirmation_ms", "ms"),
    ("e2e_android_direct_pcsc_same_apdus_ms", "ms"),
    ("e2e_android_added_ms", "ms"),
    ("e2e_android_over_direct_pcsc_ratio", "ratio"),
    ("e2e_pin_confirmation_ms_modelled_card", "ms"),
    ("e2e_card_time_modelled_ms", "ms"),
    ("wasm_gzip_bytes", "bytes"),
    ("wasm_init_ms", "ms"),
    ("service_pin_confirmations_per_cpu_s", "1/s"),
    ("rsa2048_two_verifications_per_cpu_s", "1/s"),
    ("rsa2048_verify_per_cpu_s", "1/s"),
    ("service_cpu_ms_per_confirmation", "ms"),
    ("service_pin_confirmations_per_s", "1/s"),
    ("service_pin_confirmation_ms_p50", "ms"),
    ("service_pin_confirmation_ms_p99", "ms"),
    ("service_fsync_share_percent", "%"),
    ("disk_fsync_ms_p50", "ms"),
    ("service_pin_confirmations_per_s_tmpfs", "1/s"),
    ("service_pin_confirmations_per_s_chain_cache", "1/s"),
    ("bridge_idle_rss_mib", "MiB"),
    ("bridge_idle_cpu_percent", "%"),
    ("bridge_idle_wakeups_per_s", "1/s"),
    ("bridge_sim_rss_mib_after_n_sessions", "MiB"),
    ("bridge_sim_rss_growth_2n_over_n", "ratio"),
    ("machine_load_avg_1min", "procs"),
    ("largest_source_file_lines", "lines"),
];

/// What a run needs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The release `myna-bridge`.
    pub bridge: PathBuf,
    /// The release `myna-demo`.
    pub demo: PathBuf,
    /// The npm package directory (`pkg/`), if built.
    pub pkg: Option<PathBuf>,
    /// Scratch directory (databases, logs, OpenSC files): `target/bench`.
    pub work: PathBuf,
    /// The vpcd port the virtual card plugs into.
    pub vpcd_port: u16,
    /// `READ BINARY` rounds per path for the overhead, and APDUs per round.
    pub overhead_rounds: usize,
    /// APDUs per round.
    pub overhead_per_round: usize,
    /// End-to-end confirmations (the median ratio is reported).
    pub e2e_runs: usize,
    /// Idle period sampled.
    pub idle: Duration,
    /// How long the main service load should last.
    pub service_seconds: f64,
    /// Client connections of the service load.
    pub service_concurrency: usize,
    /// `xtask/browser/drive.mjs`, which starts headless Chromium for the WASM start-up.
    pub browser_driver: PathBuf,
    /// Connect–authenticate–disconnect sessions per step of the memory phase (N).
    pub memory_sessions: usize,
    /// The workspace whose source files are sized (`largest_source_file_lines`).
    pub source_root: PathBuf,
    /// The phases to run (`card`, `wasm`, `service`, `memory`); the others' figures are
    /// reported as skipped (and their targets as failed).
    pub phases: Vec<String>,
}

impl Config {
    fn runs(&self, phase: &str) -> bool {
        self.phases.iter().any(|p| p == phase)
    }
}

/// Measurements by name; turned into report order at the end.
#[derive(Default)]
struct Recorder {
    values: BTreeMap<String, Measurement>,
}

impl Recorder {
    fn set(&mut self, name: &str, value: f64, note: impl Into<String>) {
        let unit = METRICS
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, u)| u);
        self.values
            .insert(name.to_owned(), Measurement::new(name, value, unit, note));
    }

    /// Marks every figure of `names` not yet measured as missing because of `error`.
    fn fail(&mut self, names: &[&str], error: &anyhow::Error) {
        eprintln!("myna-bench: FAILED: {error:#}");
        for name in names {
            if !self.values.contains_key(*name) {
                let unit = METRICS
                    .iter()
                    .find(|(n, _)| n == name)
                    .map_or("", |(_, u)| u);
                self.values.insert(
                    (*name).to_owned(),
                    Measurement::missing(name, unit, format!("not measured: {error:#}")),
                );
            }
        }
    }

    fn finish(mut self) -> Vec<Measurement> {
        METRICS
            .iter()
            .map(|(name, unit)| {
                self.values
                    .remove(*name)
                    .unwrap_or_else(|| Measurement::missing(name, unit, "not measured"))
            })
            .collect()
    }
}

/// The 1-minute load average (`/proc/loadavg`).
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn progress(text: &str) {
    eprintln!("myna-bench: {text}");
}

/// Runs everything; the measurements in report order.
pub fn run(config: &Config) -> Result<Vec<Measurement>> {
    std::fs::create_dir_all(&config.work)
        .with_context(|| format!("creating {}", config.work.display()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut rec = Recorder::default();
    let load_at_start = load_average();
    let card_metrics: Vec<&str> = METRICS
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| {
            !n.starts_with("service_")
                && !n.starts_with("rsa")
                && !n.starts_with("disk_")
                && !n.starts_with("wasm_")
                && !n.starts_with("machine_")
                && !n.starts_with("bridge_sim_")
                && !n.starts_with("largest_")
        })
        .collect();
    let skipped = || anyhow::anyhow!("phase skipped (--phases)");
    if !config.runs("card") {
        rec.fail(&card_metrics, &skipped());
    } else if let Err(e) = runtime.block_on(card::card_phase(config, &mut rec)) {
        rec.fail(&card_metrics, &e);
    }
    let wasm_metrics = ["wasm_gzip_bytes", "wasm_init_ms"];
    if !config.runs("wasm") {
        rec.fail(&wasm_metrics, &skipped());
    } else if let Err(e) = runtime.block_on(wasm_phase(config, &mut rec)) {
        rec.fail(&wasm_metrics, &e);
    }
    let service_metrics = [
        "service_pin_confirmations_per_cpu_s",
        "rsa2048_two_verifications_per_cpu_s",
        "rsa2048_verify_per_cpu_s",
        "service_pin_confirmations_per_s",
        "service_pin_confirmation_ms_p50",
        "service_pin_confirmation_ms_p99",
        "service_cpu_ms_per_confirmation",
        "service_fsync_share_percent",
        "disk_fsync_ms_p50",
        "service_pin_confirmations_per_s_tmpfs",
        "service_pin_confirmations_per_s_chain_cache",
    ];
    if !config.runs("service") {
        rec.fail(&service_metrics, &skipped());
    } else if let Err(e) = runtime.block_on(service::service_phase(config, &mut rec)) {
        rec.fail(&service_metrics, &e);
    }
    let memory_metrics = [
        "bridge_sim_rss_mib_after_n_sessions",
        "bridge_sim_rss_growth_2n_over_n",
    ];
    if !config.runs("memory") {
        rec.fail(&memory_metrics, &skipped());
    } else if let Err(e) = runtime.block_on(memory_phase(config, &mut rec)) {
        rec.fail(&memory_metrics, &e);
    }
    record_source_size(config, &mut rec);
    let load_at_end = load_average();
    if let (Some(a), Some(b)) = (load_at_start, load_at_end) {
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        rec.set(
            "machine_load_avg_1min",
            a.max(b),
            format!(
                "context: the 1-minute load average was {a:.2} at the start and {b:.2} at the end, on {cores} cores"
            ),
        );
    }
    Ok(rec.finish())
}

/// The largest non-test source file (issue 15: at most 900 lines; informational here, the
/// rule is `cargo xtask test`'s).
fn record_source_size(config: &Config, rec: &mut Recorder) {
    use myna_harness::source_size::{MAX_SOURCE_LINES, non_test_sources, oversized};
    match non_test_sources(&config.source_root) {
        Ok(sources) => {
            let Some(largest) = sources.first() else {
                rec.fail(
                    &["largest_source_file_lines"],
                    &anyhow::anyhow!("no source file in {}", config.source_root.display()),
                );
                return;
            };
            rec.set(
                "largest_source_file_lines",
                largest.lines as f64,
                format!(
                    "{}; target <= {MAX_SOURCE_LINES} (informational), {} non-test files over it",
                    largest.path.display(),
                    oversized(&sources).len()
                ),
            );
        }
        Err(e) => rec.fail(&["largest_source_file_lines"], &e.into()),
    }
}

/// RSS of a `--simulate` bridge after N and 2N sessions ([`crate::memory`]).
async fn memory_phase(config: &Config, rec: &mut Recorder) -> Result<()> {
    let n = config.memory_sessions;
    progress(&format!(
        "memory: --simulate bridge, {n} + {n} connect-authenticate-disconnect sessions"
    ));
    let warm_up = n.min(200);
    let m = crate::memory::measure(
        &config.bridge,
        free_port()?,
        ORIGIN,
        &config.work.join("logs"),
        n,
        warm_up,
    )
    .await?;
    let note = format!(
        "release bridge --simulate; RSS {:.1} MiB after {warm_up} warm-up sessions, {:.1} after N = {n} more, {:.1} after 2N",
        m.rss_start_kib as f64 / 1024.0,
        m.rss_n_kib as f64 / 1024.0,
        m.rss_2n_kib as f64 / 1024.0
    );
    rec.set(
        "bridge_sim_rss_mib_after_n_sessions",
        m.rss_n_kib as f64 / 1024.0,
        note.clone(),
    );
    rec.set("bridge_sim_rss_growth_2n_over_n", m.growth_ratio(), note);
    Ok(())
}

async fn wasm_phase(config: &Config, rec: &mut Recorder) -> Result<()> {
    let Some(pkg) = &config.pkg else {
        bail!("the npm package was not built (no wasm/ crate in this checkout)");
    };
    progress("WASM: gzip size and start-up in headless Chromium");
    let size = wasm::gzip_size(pkg)?;
    rec.set(
        "wasm_gzip_bytes",
        size.gzip_bytes as f64,
        format!(
            "{} ({} bytes raw), gzip -9",
            size.file.display(),
            size.raw_bytes
        ),
    );
    let init = wasm::init_times(pkg, &config.browser_driver, 5, &config.work.join("logs")).await?;
    rec.set(
        "wasm_init_ms",
        median(&init).context("no start-up measured")?,
        format!(
            "median of {} fresh page loads: import + init() of the module, performance.now() in headless Chromium",
            init.len()
        ),
    );
    Ok(())
}
