//! One benchmark run: every figure, in one process, in a fixed order.
//!
//! 1. **Card** (pcscd + vpcd, the release bridge on PC/SC, the virtual card in this process):
//!    APDU counts of the PIN and visual flows and of OpenSC; the bridge's per-APDU latency
//!    against direct PC/SC (and direct PC/SC against a loopback round trip); the end-to-end
//!    PIN confirmation (with a release service) against the same APDUs sent by a direct
//!    PC/SC client, with an instant card, then once more with the realistic timing model
//!    (modelled card time); the idle bridge over a window that contains its ping.
//! 2. **WASM**: the npm package's gzip size and start-up time in headless Chromium.
//! 3. **Service**: RSA-2048 verifications per CPU-second of one thread, then PIN
//!    confirmations on an on-disk SQLite file, counted per CPU-second of the service
//!    process (like with like: a confirmation verifies two RSA signatures), with the wall
//!    rate, the fsync latency, and the same load on a tmpfs file to separate the disk.
//!
//! A phase that fails records why for each of its figures and the run goes on.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use serde_json::{Value, json};

use crate::apdus::{self, FlowCount};
use crate::card::InsertedCard;
use crate::http::HttpConn;
use crate::procs::{self, SyncSampler, clock_ticks_per_second, free_port, sample};
use myna_harness::Proc;
use crate::report::Measurement;
use crate::stats::{median, ms, percentile};
use crate::ws::BridgeClient;
use crate::{e2e, idle, overhead, service, wasm};

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
        })
        .collect();
    let skipped = || anyhow::anyhow!("phase skipped (--phases)");
    if !config.runs("card") {
        rec.fail(&card_metrics, &skipped());
    } else if let Err(e) = runtime.block_on(card_phase(config, &mut rec)) {
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
    } else if let Err(e) = runtime.block_on(service_phase(config, &mut rec)) {
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

/// Starts the release bridge on PC/SC, allowing [`ORIGIN`]; its port.
fn start_bridge(config: &Config) -> Result<(Proc, u16)> {
    let port = free_port()?;
    // An empty config file: nothing from the user's own bridge.toml leaks in.
    let config_file = config.work.join("bridge.toml");
    std::fs::write(&config_file, "")?;
    let args: Vec<String> = [
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--allow-origin",
        ORIGIN,
        "--config",
        config_file.to_str().context("a non-UTF-8 path")?,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let mut child = procs::spawn(
        "myna-bridge",
        &config.bridge,
        &args,
        &[],
        &config.work.join("logs"),
    )?;
    procs::wait_http_ok(&mut child, SocketAddr::from(([127, 0, 0, 1], port)), "/health")?;
    Ok((child, port))
}

/// Starts the release service on a fresh database at `db`; its address.
/// `chain_cache`: whether `myna-demo` may remember verified certificate chains. The load
/// cycles through a dozen persona certificates, so with the cache nearly every request would
/// skip the CA signature check; a real morning brings a new card per patient. The headline
/// figures therefore run with the cache off (`--certificate-cache 0`): two RSA verifications
/// per confirmation, as for a card the service has never seen.
fn start_service(
    config: &Config,
    name: &str,
    db: &Path,
    chain_cache: bool,
) -> Result<(Proc, SocketAddr)> {
    for suffix in ["", "-wal", "-shm"] {
        let mut path = db.as_os_str().to_owned();
        path.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(path));
    }
    if let Some(dir) = db.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let port = free_port()?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let args: Vec<String> = vec![
        "serve".into(),
        "--listen".into(),
        addr.to_string(),
        "--db".into(),
        db.to_str().context("a non-UTF-8 path")?.into(),
        "--facility-origin".into(),
        ORIGIN.into(),
    ];
    let mut args = args;
    if !chain_cache {
        args.extend(["--certificate-cache".into(), "0".into()]);
    }
    let mut child = procs::spawn(name, &config.demo, &args, &[], &config.work.join("logs"))?;
    procs::wait_http_ok(&mut child, addr, "/api/v1/openapi.yaml")?;
    Ok((child, addr))
}

/// Waits until the bridge lists `reader` with a card present.
async fn wait_reader_present(client: &mut BridgeClient, reader: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let listed: Value = client.call_ok("listReaders", json!({})).await?;
        let present = listed["readers"].as_array().is_some_and(|readers| {
            readers
                .iter()
                .any(|r| r["name"] == reader && r["state"] == "present")
        });
        if present {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the bridge does not see a card in {reader:?}: {listed}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn card_phase(config: &Config, rec: &mut Recorder) -> Result<()> {
    let personas = myna_personas::Personas::embedded();
    let persona = personas.get(PERSONA).context("the default persona")?;
    let pin = persona
        .pin
        .as_deref()
        .context("the persona has no PIN")?
        .to_owned();
    let key = persona.auth_key.to_public_key();

    progress("inserting the virtual card into vpcd, starting the release bridge");
    let inserted = InsertedCard::insert(persona, config.vpcd_port)?;
    let (mut bridge, port) = start_bridge(config)?;
    let mut client = BridgeClient::connect(port, ORIGIN).await?;
    client.call_ok("hello", json!({})).await?;
    wait_reader_present(&mut client, &inserted.reader).await?;
    let handle = client.open(&inserted.reader).await?;

    // APDU counts.
    let result: Result<()> = async {
        progress("counting the PIN flow (bridge authenticate)");
        let pin_flow =
            apdus::pin_flow(&mut client, handle, &inserted.log, ORIGIN, &pin, &key).await?;
        progress(&format!("PIN flow:\n{}", indent(&pin_flow.listing())));
        progress("counting the visual flow (bridge readFile)");
        let visual =
            apdus::visual_flow(&mut client, handle, &inserted.log, &persona.auth_cert_der).await?;
        progress(&format!("visual flow:\n{}", indent(&visual.listing())));
        record_flows(rec, &pin_flow, &visual);
        Ok(())
    }
    .await;
    if let Err(e) = result {
        rec.fail(
            &[
                "pin_flow_apdus",
                "pin_flow_apdus_minimum",
                "pin_flow_apdus_minimum_sfi",
                "visual_flow_apdus",
                "visual_flow_apdus_minimum",
            ],
            &e,
        );
    }

    // OpenSC, with the bridge's session closed so OpenSC starts from a card nobody holds.
    client
        .call_ok("disconnect", json!({ "handle": handle }))
        .await?;
    progress("counting OpenSC (one pkcs11-tool session: log in, sign, read the certificate)");
    match apdus::opensc_flow(
        &inserted.reader,
        &inserted.log,
        &pin,
        &persona.auth_cert_der,
        &config.work,
    ) {
        Ok(flow) => {
            progress(&format!("OpenSC:\n{}", indent(&flow.listing())));
            rec.set(
                "opensc_apdus_same_operations",
                flow.apdus() as f64,
                "one pkcs11-tool process: --login --sign (SHA256-RSA-PKCS) --read-object (cert), \
                 card-driver probing included, counted in the card's log on pcscd + vpcd",
            );
        }
        Err(e) => rec.fail(&["opensc_apdus_same_operations"], &e),
    }

    // Overhead.
    let handle = client.open(&inserted.reader).await?;
    progress(&format!(
        "bridge overhead: {} rounds x {} READ BINARY per path",
        config.overhead_rounds, config.overhead_per_round
    ));
    match overhead::measure(
        &mut client,
        handle,
        &inserted.reader,
        config.overhead_rounds,
        config.overhead_per_round,
        50,
    )
    .await
    {
        Ok(l) => {
            let (bridge, direct) = (l.bridge_ms(), l.direct_ms());
            let note = format!(
                "{} READ BINARY (256 B) per path in {} interleaved rounds; each bridge APDU minus the median direct PC/SC APDU of its round",
                bridge.len(),
                config.overhead_rounds
            );
            if let (Some(p50), Some(p99)) = (l.overhead(50.0), l.overhead(99.0)) {
                rec.set("bridge_overhead_ms_p50", p50, note.clone());
                rec.set("bridge_overhead_ms_p99", p99, note);
            }
            if let (Some(b), Some(d)) = (percentile(&bridge, 50.0), percentile(&direct, 50.0)) {
                rec.set("bridge_apdu_ms_p50", b, "WebSocket + bridge + pcscd + vpcd");
                rec.set("direct_pcsc_apdu_ms_p50", d, "pcsc crate + pcscd + vpcd");
                rec.set(
                    "bridge_apdu_over_direct_pcsc_ratio",
                    b / d,
                    "bridge_apdu_ms_p50 / direct_pcsc_apdu_ms_p50, the same READ BINARY on the same card, interleaved in this run",
                );
                match overhead::loopback_rtt_ms(2_000) {
                    Ok(rtt) => {
                        rec.set(
                            "loopback_tcp_rtt_ms_p50",
                            rtt,
                            "one byte there and back over loopback TCP, TCP_NODELAY, 2,000 times",
                        );
                        rec.set(
                            "direct_pcsc_apdu_over_loopback_rtt_ratio",
                            d / rtt,
                            "delayed-ACK guard: a vpcd link without TCP_NODELAY adds ~40 ms per APDU",
                        );
                    }
                    Err(e) => rec.fail(
                        &[
                            "loopback_tcp_rtt_ms_p50",
                            "direct_pcsc_apdu_over_loopback_rtt_ratio",
                        ],
                        &e,
                    ),
                }
            }
        }
        Err(e) => rec.fail(
            &[
                "bridge_overhead_ms_p50",
                "bridge_overhead_ms_p99",
                "bridge_apdu_ms_p50",
                "direct_pcsc_apdu_ms_p50",
                "bridge_apdu_over_direct_pcsc_ratio",
                "loopback_tcp_rtt_ms_p50",
                "direct_pcsc_apdu_over_loopback_rtt_ratio",
            ],
            &e,
        ),
    }
    inserted.log.clear();

    // End to end: against the direct PC/SC reference, then with the modelled card timing.
    let mut handle = handle;
    let e2e_result = e2e_phase(config, rec, &mut client, &mut handle, &inserted, &pin).await;
    inserted
        .card
        .lock()
        .set_timing(myna_bridge::virtual_card::TimingModel::instant());
    if let Err(e) = e2e_result {
        rec.fail(
            &[
                "e2e_added_ms",
                "e2e_bridge_and_client_ms",
                "e2e_service_ms",
                "e2e_pin_confirmation_ms",
                "e2e_direct_pcsc_same_apdus_ms",
                "e2e_over_direct_pcsc_ratio",
                "e2e_pin_confirmation_ms_modelled_card",
                "e2e_card_time_modelled_ms",
            ],
            &e,
        );
    }
    let _ = client.call("disconnect", json!({ "handle": handle })).await;
    client.close().await;

    // Idle.
    progress(&format!(
        "idle bridge: one page connected, sampling /proc for {:?}",
        config.idle
    ));
    bridge.check_running()?;
    match idle::measure(bridge.pid(), port, ORIGIN, &inserted.reader, config.idle).await {
        Ok(idle) => {
            let note = format!(
                "release bridge after the card measurements, one WebSocket (hello + connect), {:?}, {} threads",
                config.idle, idle.threads
            );
            rec.set("bridge_idle_rss_mib", idle.rss_mib, note.clone());
            rec.set("bridge_idle_cpu_percent", idle.cpu_percent, note.clone());
            rec.set("bridge_idle_wakeups_per_s", idle.wakeups_per_s, note);
        }
        Err(e) => rec.fail(
            &[
                "bridge_idle_rss_mib",
                "bridge_idle_cpu_percent",
                "bridge_idle_wakeups_per_s",
            ],
            &e,
        ),
    }
    bridge.check_running()?;
    drop(bridge);
    drop(inserted);
    Ok(())
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn record_flows(rec: &mut Recorder, pin_flow: &FlowCount, visual: &FlowCount) {
    let extended = apdus::used_extended_reads(&pin_flow.entries);
    let len = pin_flow.certificate_len;
    let link = if extended {
        "extended length"
    } else {
        "short APDUs"
    };
    rec.set(
        "pin_flow_apdus",
        pin_flow.apdus() as f64,
        "bridge authenticate on pcscd + vpcd, counted in the card's log",
    );
    rec.set(
        "pin_flow_apdus_minimum",
        apdus::total(&apdus::pin_flow_minimum(len, extended)) as f64,
        format!("{len}-byte certificate, {link}, EFs selected (docs/benchmarks.md)"),
    );
    rec.set(
        "pin_flow_apdus_minimum_sfi",
        apdus::total(&apdus::pin_flow_minimum_sfi(len, extended)) as f64,
        "reference: EFs named by short EF identifier, no SELECT of an EF",
    );
    rec.set(
        "visual_flow_apdus",
        visual.apdus() as f64,
        "bridge readFile 000A (one transaction), what the module runs in 目視 mode",
    );
    rec.set(
        "visual_flow_apdus_minimum",
        apdus::total(&apdus::visual_flow_minimum(
            visual.certificate_len,
            apdus::used_extended_reads(&visual.entries),
        )) as f64,
        "SELECT AP, SELECT 000A, the READ BINARYs",
    );
}

async fn e2e_phase(
    config: &Config,
    rec: &mut Recorder,
    client: &mut BridgeClient,
    handle: &mut u64,
    inserted: &InsertedCard,
    pin: &str,
) -> Result<()> {
    progress("end to end: starting the release service");
    let (service, addr) = start_service(
        config,
        "myna-demo-e2e",
        &config.work.join("e2e.sqlite3"),
        false,
    )?;
    let mut http = HttpConn::connect(addr).await?;
    let token = http.activate("bench e2e").await?;
    // Warm-up with an instant card (connections, caches), not counted.
    e2e::run_once(
        client,
        *handle,
        &inserted.log,
        &mut http,
        &token,
        ORIGIN,
        pin,
    )
    .await?;

    // Measured: an instant card (no timing model), the confirmation through the bridge and
    // the same APDUs from a direct PC/SC client, alternating.
    let mut runs = Vec::new();
    let mut direct_runs = Vec::new();
    for i in 0..config.e2e_runs {
        let run = e2e::run_once(
            client,
            *handle,
            &inserted.log,
            &mut http,
            &token,
            ORIGIN,
            pin,
        )
        .await?;
        let reader = inserted.reader.clone();
        let pin_owned = pin.to_owned();
        let direct_run = tokio::task::spawn_blocking(move || {
            crate::direct::authenticate(&reader, ORIGIN, e2e::REFERENCE_NONCE, &pin_owned)
        })
        .await??;
        anyhow::ensure!(
            direct_run.apdus == run.apdus,
            "the direct client sent {} APDUs, the bridge {}",
            direct_run.apdus,
            run.apdus
        );
        // The direct client's reset ends the bridge's link to the card: a new session.
        let _ = client
            .call("disconnect", json!({ "handle": *handle }))
            .await;
        *handle = client.open(&inserted.reader).await?;
        progress(&format!(
            "  run {}: total {:.2} ms (service {:.2} ms), direct PC/SC {:.2} ms, {} APDUs",
            i + 1,
            ms(run.total),
            ms(run.service),
            ms(direct_run.total),
            run.apdus
        ));
        runs.push(run);
        direct_runs.push(direct_run);
    }
    let totals: Vec<f64> = runs.iter().map(|r| ms(r.total)).collect();
    let services: Vec<f64> = runs.iter().map(|r| ms(r.service)).collect();
    let directs: Vec<f64> = direct_runs.iter().map(|r| ms(r.total)).collect();
    // Paired per round: the bridge run and the direct run right after it saw the same machine
    // state, so their difference cancels most of the noise that separate medians keep (a
    // difference of medians once came out negative, 2026-12-06).
    let added: Vec<f64> = runs
        .iter()
        .zip(&direct_runs)
        .map(|(r, d)| ms(r.total) - ms(d.total))
        .collect();
    let bridge_and_client: Vec<f64> = runs
        .iter()
        .zip(&direct_runs)
        .map(|(r, d)| ms(r.authenticate) - ms(d.total))
        .collect();
    let total = median(&totals).context("no run")?;
    let service_ms = median(&services).context("no run")?;
    let direct = median(&directs).context("no run")?;
    let spread = |v: &[f64]| {
        format!(
            "p10 {:.3} ms, p90 {:.3} ms",
            percentile(v, 10.0).unwrap_or(f64::NAN),
            percentile(v, 90.0).unwrap_or(f64::NAN)
        )
    };
    let n = runs.len();
    rec.set(
        "e2e_pin_confirmation_ms",
        total,
        format!("median of {n}: challenge, bridge authenticate on pcscd + vpcd (instant card), confirmation, XmlMsg parsed"),
    );
    rec.set(
        "e2e_direct_pcsc_same_apdus_ms",
        direct,
        format!("median of {n}: the same APDUs (certificate, tries left, VERIFY, signature) and reset from a direct PC/SC client, same card and reader"),
    );
    rec.set(
        "e2e_added_ms",
        median(&added).context("no run")?,
        format!(
            "median of {n} paired rounds of (confirmation through the bridge - direct PC/SC run right after it): WebSocket, bridge, our client and the two service requests; {}",
            spread(&added)
        ),
    );
    rec.set(
        "e2e_service_ms",
        service_ms,
        "median: the challenge and confirmation requests, timed at the client",
    );
    rec.set(
        "e2e_bridge_and_client_ms",
        median(&bridge_and_client).context("no run")?,
        format!(
            "median of {n} paired rounds of (the authenticate request timed at the client - the direct PC/SC run right after it): WebSocket, bridge, JSON and the client's own work; {}",
            spread(&bridge_and_client)
        ),
    );
    rec.set(
        "e2e_over_direct_pcsc_ratio",
        total / direct,
        "e2e_pin_confirmation_ms / e2e_direct_pcsc_same_apdus_ms",
    );

    // Modelled: the same confirmation with TimingModel::realistic (the vpcd adapter sleeps
    // each command's modelled delay). Its card time is an assumption, not a measurement.
    inserted
        .card
        .lock()
        .set_timing(myna_bridge::virtual_card::TimingModel::realistic());
    let mut modelled = Vec::new();
    for _ in 0..config.e2e_runs {
        modelled.push(
            e2e::run_once(
                client,
                *handle,
                &inserted.log,
                &mut http,
                &token,
                ORIGIN,
                pin,
            )
            .await?,
        );
    }
    drop(service);
    let totals: Vec<f64> = modelled.iter().map(|r| ms(r.total)).collect();
    let cards: Vec<f64> = modelled.iter().map(|r| ms(r.card)).collect();
    rec.set(
        "e2e_pin_confirmation_ms_modelled_card",
        median(&totals).context("no run")?,
        format!("MODELLED card time: median of {n} confirmations with TimingModel::realistic (12 ms/APDU, 1.02 ms/byte, 400 ms/signature, slept by the vpcd adapter)"),
    );
    rec.set(
        "e2e_card_time_modelled_ms",
        median(&cards).context("no run")?,
        "MODELLED: the sum of the card log's delays (an assumption, docs/benchmarks.md)",
    );
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
    let init = wasm::init_times(
        pkg,
        &config.browser_driver,
        5,
        &config.work.join("logs"),
    )
    .await?;
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

struct ServiceRun {
    load: service::Load,
    cpu_ms_per_confirmation: f64,
    /// Share of the load's wall time with a service thread inside fsync/fdatasync.
    sync_share: f64,
}

/// One service instance on `db`: calibrate, prepare, load.
async fn service_run(
    config: &Config,
    name: &str,
    db: &Path,
    personas: &[&myna_personas::Persona],
    chain_cache: bool,
) -> Result<ServiceRun> {
    let (mut child, addr) = start_service(config, name, db, chain_cache)?;
    let mut http = HttpConn::connect(addr).await?;
    let token = http.activate("bench load").await?;
    let c = config.service_concurrency;
    // Calibration: a small load sizes the real one to about `service_seconds`.
    let nonces = service::issue_challenges(addr, &token, 4 * c, c).await?;
    let bodies = service::presign(&nonces, personas, ORIGIN)?;
    let calibration = service::load(addr, &token, bodies, c).await?;
    let count = ((calibration.rate() * config.service_seconds) as usize).clamp(8 * c, 6_000);
    progress(&format!(
        "  {name}: calibration {:.0}/s; preparing {count} challenges and signatures",
        calibration.rate()
    ));
    let nonces = service::issue_challenges(addr, &token, count, c).await?;
    let bodies = service::presign(&nonces, personas, ORIGIN)?;
    let before = sample(child.pid())?;
    let sampler = SyncSampler::start(child.pid(), Duration::from_micros(500));
    let load = service::load(addr, &token, bodies, c).await;
    let (sync_share, _) = sampler.finish();
    let load = load?;
    let after = sample(child.pid())?;
    child.check_running()?;
    let cpu_ms = after.cpu_ticks.saturating_sub(before.cpu_ticks) as f64 * 1e3
        / clock_ticks_per_second() as f64;
    progress(&format!(
        "  {name}: {} confirmations in {:.2} s = {:.0}/s, p50 {:.2} ms, p99 {:.2} ms, service CPU {:.2} ms each, a thread in fsync {:.0} % of the time",
        load.confirmations,
        load.elapsed.as_secs_f64(),
        load.rate(),
        load.latency(50.0).unwrap_or(f64::NAN),
        load.latency(99.0).unwrap_or(f64::NAN),
        cpu_ms / load.confirmations as f64,
        sync_share * 100.0
    ));
    Ok(ServiceRun {
        sync_share,
        cpu_ms_per_confirmation: cpu_ms / load.confirmations.max(1) as f64,
        load,
    })
}

async fn service_phase(config: &Config, rec: &mut Recorder) -> Result<()> {
    let personas = myna_personas::Personas::embedded();
    let chosen = service::load_personas(&personas);
    let reference = personas.get(PERSONA).context("the default persona")?;
    let (key, signature, hash) = service::reference_signature(reference)?;
    let mut rsa: Vec<service::RsaRate> = Vec::new();
    let measure_rsa = |rsa: &mut Vec<service::RsaRate>| -> Result<()> {
        let rate = service::rsa_verify_rate(&key, &signature, &hash, Duration::from_secs(1))?;
        progress(&format!(
            "  RSA-2048 verify, one thread: {:.0} per CPU second ({:.0} per wall second)",
            rate.per_cpu_second, rate.per_wall_second
        ));
        rsa.push(rate);
        Ok(())
    };
    progress("service: RSA-2048 reference, then the release service on an on-disk SQLite file");
    measure_rsa(&mut rsa)?;

    let disk_dir = config.work.join("service");
    let fsync = service::fsync_latencies(&disk_dir, 50)?;
    rec.set(
        "disk_fsync_ms_p50",
        median(&fsync).context("no fsync")?,
        format!(
            "append 4 KiB + fdatasync in {}, 50 times",
            disk_dir.display()
        ),
    );
    let disk = service_run(
        config,
        "myna-demo-load",
        &disk_dir.join("service.sqlite3"),
        &chosen,
        false,
    )
    .await;
    measure_rsa(&mut rsa)?;
    let note = format!(
        "wall clock, every core the service gets: release myna-demo, SQLite in {} (synchronous=FULL), {} keep-alive connections, pre-signed, certificate chain cache off (every confirmation verifies the CA signature and the card's: two RSA verifications)",
        disk_dir.display(),
        config.service_concurrency
    );
    match disk {
        Ok(run) => {
            rec.set(
                "service_pin_confirmations_per_s",
                run.load.rate(),
                note.clone(),
            );
            if let (Some(p50), Some(p99)) = (run.load.latency(50.0), run.load.latency(99.0)) {
                rec.set("service_pin_confirmation_ms_p50", p50, note.clone());
                rec.set("service_pin_confirmation_ms_p99", p99, note);
            }
            rec.set(
                "service_cpu_ms_per_confirmation",
                run.cpu_ms_per_confirmation,
                "the service process's user + system time over the load / confirmations",
            );
            rec.set(
                "service_pin_confirmations_per_cpu_s",
                1e3 / run.cpu_ms_per_confirmation,
                "per core: confirmations per second of the service process's CPU time (user + system, all its threads), chain cache off",
            );
            rec.set(
                "service_fsync_share_percent",
                run.sync_share * 100.0,
                "share of the load's wall time in which a service thread was inside fsync/fdatasync (/proc/PID/task/*/syscall every 0.5 ms)",
            );
        }
        Err(e) => rec.fail(
            &[
                "service_pin_confirmations_per_s",
                "service_pin_confirmation_ms_p50",
                "service_pin_confirmation_ms_p99",
                "service_cpu_ms_per_confirmation",
                "service_pin_confirmations_per_cpu_s",
                "service_fsync_share_percent",
            ],
            &e,
        ),
    }

    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        let dir = shm.join(format!("myna-bench-{}", std::process::id()));
        let result = service_run(
            config,
            "myna-demo-load-tmpfs",
            &dir.join("service.sqlite3"),
            &chosen,
            false,
        )
        .await;
        let _ = std::fs::remove_dir_all(&dir);
        match result {
            Ok(run) => rec.set(
                "service_pin_confirmations_per_s_tmpfs",
                run.load.rate(),
                "diagnostic: the same load with the database on tmpfs (fsync costs nothing)",
            ),
            Err(e) => rec.fail(&["service_pin_confirmations_per_s_tmpfs"], &e),
        }
        measure_rsa(&mut rsa)?;
    }
    // Diagnostic: the same disk load with the chain cache on (the shipped default). The
    // load's dozen certificates repeat, so this shows the cache, not a morning of new cards.
    match service_run(
        config,
        "myna-demo-load-cached",
        &disk_dir.join("service-cached.sqlite3"),
        &chosen,
        true,
    )
    .await
    {
        Ok(run) => rec.set(
            "service_pin_confirmations_per_s_chain_cache",
            run.load.rate(),
            "diagnostic: on disk with the certificate chain cache on; the load's certificates repeat, so nearly every request skips the CA signature check",
        ),
        Err(e) => rec.fail(&["service_pin_confirmations_per_s_chain_cache"], &e),
    }
    measure_rsa(&mut rsa)?;
    let per_cpu: Vec<f64> = rsa.iter().map(|r| r.per_cpu_second).collect();
    let per_wall: Vec<f64> = rsa.iter().map(|r| r.per_wall_second).collect();
    let rsa_per_cpu_s = median(&per_cpu).context("no RSA figure")?;
    rec.set(
        "rsa2048_verify_per_cpu_s",
        rsa_per_cpu_s,
        format!(
            "rsa crate, PKCS#1 v1.5 SHA-256, one thread, per second of its CPU time (per wall second {:.0}), \
             median of {} runs of 1 CPU-second around the loads",
            median(&per_wall).unwrap_or(f64::NAN),
            rsa.len()
        ),
    );
    rec.set(
        "rsa2048_two_verifications_per_cpu_s",
        rsa_per_cpu_s / 2.0,
        "rsa2048_verify_per_cpu_s / 2: confirmations per CPU-second if one were nothing but its two RSA verifications",
    );
    Ok(())
}
