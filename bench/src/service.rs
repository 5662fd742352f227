//! The eligibility service's PIN-confirmation throughput against raw RSA verification.
//!
//! The service (`myna-demo serve`, release build) runs as its own process on a real SQLite
//! file; the client holds `concurrency` keep-alive connections and sends confirmations whose
//! challenges were issued and whose signatures were made with the personas' keys *before*
//! the clock starts, so during the measurement the client does no RSA work and asks for no
//! challenges: only `POST /api/v1/confirmations`.
//!
//! The reference is single-core RSA-2048 PKCS#1 v1.5 verification with the `rsa` crate in
//! this (release) process, measured in the same run.

use std::cell::{Cell, RefCell};
use std::fs::OpenOptions;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use hyper::StatusCode;
use hyper::body::Bytes;
use myna_personas::{CertificateKind, Persona};
use rsa::Pkcs1v15Sign;
use rsa::RsaPublicKey;
use sha2::{Digest as _, Sha256};

use crate::http::{HttpConn, check_confirmation, pin_confirmation_body};
use crate::stats::{ms, percentile};

/// Single-thread RSA-2048 PKCS#1 v1.5 (SHA-256) verification rates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RsaRate {
    /// Verifications per second of the thread's own CPU time: what one core can do, whatever
    /// else the machine runs.
    pub per_cpu_second: f64,
    /// Verifications per second of wall time (lower when other programs take the core).
    pub per_wall_second: f64,
}

/// This thread's CPU time (user + system), from `/proc/thread-self/stat` (clock ticks).
fn thread_cpu_time() -> Result<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat")
        .context("reading /proc/thread-self/stat")?;
    let ticks = crate::procs::parse_stat_cpu_ticks(&stat).context("parsing it")?;
    Ok(Duration::from_secs_f64(
        ticks as f64 / crate::procs::clock_ticks_per_second() as f64,
    ))
}

/// Verifies on this thread until it has used `cpu` of CPU time (or ten times that of wall
/// time): the DigestInfo hash is computed once, so this is the public-key operation and the
/// padding check only.
pub fn rsa_verify_rate(
    key: &RsaPublicKey,
    signature: &[u8],
    hash: &[u8],
    cpu: Duration,
) -> Result<RsaRate> {
    key.verify(Pkcs1v15Sign::new::<Sha256>(), hash, signature)
        .context("the reference signature does not verify")?;
    let cpu_start = thread_cpu_time()?;
    let started = Instant::now();
    let mut count = 0u64;
    loop {
        for _ in 0..16 {
            let ok = key
                .verify(
                    Pkcs1v15Sign::new::<Sha256>(),
                    std::hint::black_box(hash),
                    std::hint::black_box(signature),
                )
                .is_ok();
            std::hint::black_box(ok);
        }
        count += 16;
        let used = thread_cpu_time()?.saturating_sub(cpu_start);
        if used >= cpu || started.elapsed() >= cpu * 10 {
            let wall = started.elapsed().as_secs_f64();
            let used = used.as_secs_f64();
            if used <= 0.0 {
                bail!("no CPU time was accounted to the measuring thread");
            }
            return Ok(RsaRate {
                per_cpu_second: count as f64 / used,
                per_wall_second: count as f64 / wall,
            });
        }
    }
}

/// A reference signature for [`rsa_verify_rate`]: `persona` signs SHA-256 of a message.
pub fn reference_signature(persona: &Persona) -> Result<(RsaPublicKey, Vec<u8>, Vec<u8>)> {
    let hash = Sha256::digest(b"myna-bench rsa reference").to_vec();
    let signature = persona
        .auth_key
        .sign(Pkcs1v15Sign::new::<Sha256>(), &hash)
        .context("signing the reference")?;
    Ok((persona.auth_key.to_public_key(), signature, hash))
}

/// The personas a load cycles through: valid certificates linked to insurance.
pub fn load_personas(personas: &myna_personas::Personas) -> Vec<&Persona> {
    personas
        .iter()
        .filter(|p| p.certificate_kind == CertificateKind::Valid && p.insurance.is_some())
        .collect()
}

/// Asks for `count` challenges over `concurrency` connections.
pub async fn issue_challenges(
    addr: SocketAddr,
    token: &str,
    count: usize,
    concurrency: usize,
) -> Result<Vec<String>> {
    let nonces = Rc::new(RefCell::new(Vec::with_capacity(count)));
    let left = Rc::new(Cell::new(count));
    let mut workers = Vec::new();
    for _ in 0..concurrency.max(1) {
        let nonces = Rc::clone(&nonces);
        let left = Rc::clone(&left);
        let token = token.to_owned();
        workers.push(async move {
            let mut conn = HttpConn::connect(addr).await?;
            while left.get() > 0 {
                left.set(left.get() - 1);
                let nonce = conn.challenge(&token).await?;
                nonces.borrow_mut().push(nonce);
            }
            Ok::<_, anyhow::Error>(())
        });
    }
    for result in futures_util::future::join_all(workers).await {
        result?;
    }
    Ok(Rc::try_unwrap(nonces)
        .map_err(|_| anyhow::anyhow!("workers still hold the nonces"))?
        .into_inner())
}

/// Signs each nonce's auth message with the personas' keys in turn (on every core), and
/// builds the confirmation bodies.
pub fn presign(nonces: &[String], personas: &[&Persona], origin: &str) -> Result<Vec<Bytes>> {
    if personas.is_empty() {
        bail!("no persona to sign with");
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = nonces.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = nonces
            .chunks(chunk)
            .enumerate()
            .map(|(c, part)| {
                scope.spawn(move || {
                    part.iter()
                        .enumerate()
                        .map(|(i, nonce)| {
                            let persona = personas[(c * chunk + i) % personas.len()];
                            let message = myna_core::auth::auth_message(origin, nonce);
                            let signature = persona
                                .auth_key
                                .sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(&message))?;
                            Ok(pin_confirmation_body(
                                &persona.auth_cert_der,
                                &signature,
                                // Signed just above with the persona's RSA key.
                                myna_core::profile::AuthAlgorithm::Rs256,
                                nonce,
                                origin,
                            ))
                        })
                        .collect::<Result<Vec<Bytes>>>()
                })
            })
            .collect();
        let mut bodies = Vec::with_capacity(nonces.len());
        for h in handles {
            bodies.extend(
                h.join()
                    .map_err(|_| anyhow::anyhow!("a signer panicked"))??,
            );
        }
        Ok(bodies)
    })
}

/// The result of a load.
#[derive(Debug, Clone)]
pub struct Load {
    /// Confirmations answered 200.
    pub confirmations: usize,
    /// From the first request sent to the last answer.
    pub elapsed: Duration,
    /// Each confirmation's latency, ms.
    pub latencies_ms: Vec<f64>,
}

impl Load {
    /// Confirmations per second.
    pub fn rate(&self) -> f64 {
        self.confirmations as f64 / self.elapsed.as_secs_f64()
    }

    /// A latency percentile, ms.
    pub fn latency(&self, p: f64) -> Option<f64> {
        percentile(&self.latencies_ms, p)
    }
}

/// Sends every body as a confirmation over `concurrency` keep-alive connections (connected
/// before the clock starts). Every answer must be 200; the first and last answers of each
/// connection are parsed as `XmlMsg`s with a qualification.
pub async fn load(
    addr: SocketAddr,
    token: &str,
    bodies: Vec<Bytes>,
    concurrency: usize,
) -> Result<Load> {
    let total = bodies.len();
    let queue = Rc::new(RefCell::new(bodies.into_iter()));
    let latencies = Rc::new(RefCell::new(Vec::with_capacity(total)));
    let mut conns = Vec::new();
    for _ in 0..concurrency.max(1) {
        conns.push(HttpConn::connect(addr).await?);
    }
    let started = Instant::now();
    let workers = conns.into_iter().map(|mut conn| {
        let queue = Rc::clone(&queue);
        let latencies = Rc::clone(&latencies);
        let token = token.to_owned();
        async move {
            let mut last: Option<(StatusCode, Bytes)> = None;
            let mut first = true;
            loop {
                let next = queue.borrow_mut().next();
                let Some(body) = next else { break };
                let t = Instant::now();
                let (status, xml) = conn.confirm(&token, body).await?;
                latencies.borrow_mut().push(ms(t.elapsed()));
                if status != StatusCode::OK {
                    bail!(
                        "a confirmation answered {status}: {}",
                        String::from_utf8_lossy(&xml)
                    );
                }
                if first {
                    check_confirmation(status, &xml)?;
                    first = false;
                }
                last = Some((status, xml));
            }
            if let Some((status, xml)) = last {
                check_confirmation(status, &xml)?;
            }
            Ok::<_, anyhow::Error>(())
        }
    });
    for result in futures_util::future::join_all(workers).await {
        result?;
    }
    let elapsed = started.elapsed();
    let latencies_ms = Rc::try_unwrap(latencies)
        .map_err(|_| anyhow::anyhow!("workers still hold the latencies"))?
        .into_inner();
    Ok(Load {
        confirmations: latencies_ms.len(),
        elapsed,
        latencies_ms,
    })
}

/// Latency of appending 4 KiB to a file and `fdatasync`ing it in `dir`, `count` times; ms
/// each. This is what a SQLite commit in WAL mode with `synchronous=FULL` waits for (WAL
/// frames appended, then synced; a growing file also commits the file system's journal).
pub fn fsync_latencies(dir: &Path, count: usize) -> Result<Vec<f64>> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("fsync-probe");
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.sync_all()?;
    let block = [0x5Au8; 4096];
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let t = Instant::now();
        file.write_all(&block)?;
        file.sync_data()?;
        out.push(ms(t.elapsed()));
    }
    drop(file);
    let _ = std::fs::remove_file(&path);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsa_reference_verifies_and_counts() {
        let personas = myna_personas::Personas::embedded();
        let persona = personas.get("default").unwrap();
        let (key, signature, hash) = reference_signature(persona).unwrap();
        let rate = rsa_verify_rate(&key, &signature, &hash, Duration::from_millis(30)).unwrap();
        assert!(rate.per_cpu_second > 0.0 && rate.per_wall_second > 0.0);
        // A wrong signature is refused before any timing.
        let mut bad = signature.clone();
        bad[10] ^= 1;
        assert!(rsa_verify_rate(&key, &bad, &hash, Duration::from_millis(1)).is_err());
    }

    #[test]
    fn load_personas_are_valid_and_linked() {
        let personas = myna_personas::Personas::embedded();
        let chosen = load_personas(&personas);
        assert!(chosen.iter().any(|p| p.name == "default"));
        assert!(
            chosen
                .iter()
                .all(|p| p.certificate_kind == CertificateKind::Valid)
        );
        assert!(
            !chosen
                .iter()
                .any(|p| p.name == "revoked-cert" || p.name == "unlinked")
        );
    }

    #[test]
    fn presigned_bodies_verify() {
        let personas = myna_personas::Personas::embedded();
        let chosen = load_personas(&personas);
        let nonces: Vec<String> = (0..3).map(crate::apdus::bench_nonce).collect();
        let origin = "https://reception.bench.example";
        let bodies = presign(&nonces, &chosen[..2], origin).unwrap();
        assert_eq!(bodies.len(), 3);
        for (i, body) in bodies.iter().enumerate() {
            let v: serde_json::Value = serde_json::from_slice(body).unwrap();
            assert_eq!(v["nonce"], nonces[i]);
            assert_eq!(v["mode"], "pin");
            use base64::Engine as _;
            let b64 = base64::engine::general_purpose::STANDARD;
            let signature = b64.decode(v["signature"].as_str().unwrap()).unwrap();
            let persona = chosen[i % 2];
            let message = myna_core::auth::auth_message(origin, &nonces[i]);
            persona
                .auth_key
                .to_public_key()
                .verify(
                    Pkcs1v15Sign::new::<Sha256>(),
                    &Sha256::digest(&message),
                    &signature,
                )
                .unwrap();
        }
    }

    #[test]
    fn fsync_probe_measures_and_cleans_up() {
        let dir = std::env::temp_dir().join(format!("myna-bench-fsync-{}", std::process::id()));
        let times = fsync_latencies(&dir, 3).unwrap();
        assert_eq!(times.len(), 3);
        assert!(times.iter().all(|t| *t >= 0.0));
        assert!(!dir.join("fsync-probe").exists());
        let _ = std::fs::remove_dir(&dir);
    }
}
