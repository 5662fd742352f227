//! The service phase: RSA-2048 verifications per CPU-second, then PIN confirmations against
//! a release service on disk and on tmpfs, with and without its chain cache.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result};
use myna_harness::Proc;

use super::{Config, ORIGIN, PERSONA, Recorder, progress};
use crate::http::HttpConn;
use crate::procs::{self, SyncSampler, clock_ticks_per_second, free_port, sample};
use crate::service;
use crate::stats::median;

/// Starts the release service on a fresh database at `db`; its address.
/// `chain_cache`: whether `myna-demo` may remember verified certificate chains. The load
/// cycles through a dozen persona certificates, so with the cache nearly every request would
/// skip the CA signature check; a real morning brings a new card per patient. The headline
/// figures therefore run with the cache off (`--certificate-cache 0`): two RSA verifications
/// per confirmation, as for a card the service has never seen.
pub(super) fn start_service(
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

impl Recorder {
    /// Records the load's rate of `run` as `metric` (with `note`), or its failure.
    fn set_rate(&mut self, metric: &str, note: &str, run: Result<ServiceRun>) {
        match run {
            Ok(run) => self.set(metric, run.load.rate(), note),
            Err(e) => self.fail(&[metric], &e),
        }
    }
}

pub(super) async fn service_phase(config: &Config, rec: &mut Recorder) -> Result<()> {
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
        rec.set_rate(
            "service_pin_confirmations_per_s_tmpfs",
            "diagnostic: the same load with the database on tmpfs (fsync costs nothing)",
            result,
        );
        measure_rsa(&mut rsa)?;
    }
    // Diagnostic: the same disk load with the chain cache on (the shipped default). The
    // load's dozen certificates repeat, so this shows the cache, not a morning of new cards.
    let db = disk_dir.join("service-cached.sqlite3");
    let cached = service_run(config, "myna-demo-load-cached", &db, &chosen, true).await;
    rec.set_rate(
        "service_pin_confirmations_per_s_chain_cache",
        "diagnostic: on disk with the certificate chain cache on; the load's certificates repeat, so nearly every request skips the CA signature check",
        cached,
    );
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
