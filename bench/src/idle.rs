//! What an idle bridge costs: resident memory, CPU and wake-ups over a quiet period with one
//! page connected (a WebSocket that said `hello` and holds a card session), read from
//! `/proc`. A busy or polling loop shows as CPU time and as context switches.
//!
//! The quiet period must be longer than the bridge's WebSocket ping interval
//! ([`myna_bridge::server::PING_INTERVAL`], 20 s) plus the second of settling, so the
//! window contains at least one ping (and its pong): the bridge's one periodic activity is
//! part of what is measured. [`measure`] refuses a shorter window.

use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::json;

use crate::procs::{clock_ticks_per_second, sample};
use crate::ws::BridgeClient;

/// The idle figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Idle {
    /// Resident set at the end, MiB.
    pub rss_mib: f64,
    /// CPU time over wall time, percent of one core.
    pub cpu_percent: f64,
    /// Context switches of all threads per second (each is a wake-up).
    pub wakeups_per_s: f64,
    /// Threads.
    pub threads: u64,
}

/// Connects one page to the bridge (`hello`, `connect`), lets things settle for a second,
/// then samples `pid` across `quiet`.
pub async fn measure(
    pid: u32,
    port: u16,
    origin: &str,
    reader: &str,
    quiet: Duration,
) -> Result<Idle> {
    anyhow::ensure!(
        quiet > myna_bridge::server::PING_INTERVAL,
        "an idle window of {quiet:?} cannot contain the bridge's ping (every {:?})",
        myna_bridge::server::PING_INTERVAL
    );
    let mut client = BridgeClient::connect(port, origin).await?;
    client.call_ok("hello", json!({})).await?;
    let handle = client.open(reader).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = sample(pid)?;
    let started = Instant::now();
    tokio::time::sleep(quiet).await;
    let after = sample(pid)?;
    let wall = started.elapsed().as_secs_f64();
    let _ = client.call("disconnect", json!({ "handle": handle })).await;
    client.close().await;
    let ticks = after.cpu_ticks.saturating_sub(before.cpu_ticks) as f64;
    Ok(Idle {
        rss_mib: after.rss_kib as f64 / 1024.0,
        cpu_percent: ticks / clock_ticks_per_second() as f64 / wall * 100.0,
        wakeups_per_s: after
            .context_switches
            .saturating_sub(before.context_switches) as f64
            / wall,
        threads: after.threads,
    })
}
