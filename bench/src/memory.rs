//! Memory over many checks: the resident set of a `--simulate` bridge (what the demo runs for
//! weeks) after N and after 2N connect–authenticate–disconnect sessions, read from `/proc`.
//!
//! A bridge whose memory is bounded shows a ratio RSS(2N) / RSS(N) near 1; one that keeps
//! something per session grows linearly (issue 11: the virtual card kept every APDU it
//! answered, ~1.7 KiB per session). The ratio, not the MiB, is held to a target.

use std::path::Path;

use anyhow::{Result, bail};
use serde_json::json;

use crate::procs::{self, sample};
use crate::ws::BridgeClient;

/// The simulated reader of `myna-bridge --simulate`.
const SIM_READER: &str = "myna-web Virtual Reader";
/// A nonce in the bridge's accepted shape (43–128 base64url characters).
const NONCE: &str = "bWVtb3J5LWJlbmNoLW5vbmNlLTAxMjM0NTY3ODlhYmNkZWZnaGlqa2xtbm9w";
/// Persona `default`'s PIN.
const PIN: &str = "1234";

/// The memory figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Memory {
    /// Sessions per step (N).
    pub sessions: usize,
    /// Resident set after the warm-up, KiB.
    pub rss_start_kib: u64,
    /// After N sessions, KiB.
    pub rss_n_kib: u64,
    /// After 2N sessions, KiB.
    pub rss_2n_kib: u64,
}

impl Memory {
    /// RSS(2N) / RSS(N).
    pub fn growth_ratio(&self) -> f64 {
        self.rss_2n_kib as f64 / self.rss_n_kib as f64
    }
}

/// One session as a reception check makes it.
async fn session(port: u16, origin: &str) -> Result<()> {
    let mut client = BridgeClient::connect(port, origin).await?;
    client.call_ok("hello", json!({})).await?;
    let handle = client.open(SIM_READER).await?;
    client.authenticate(handle, NONCE, PIN).await?;
    client
        .call_ok("disconnect", json!({ "handle": handle }))
        .await?;
    client.close().await;
    Ok(())
}

/// Starts `bridge --simulate` on `port`, runs `warm_up` sessions, then N and N more.
pub async fn measure(
    bridge: &Path,
    port: u16,
    origin: &str,
    logs: &Path,
    sessions: usize,
    warm_up: usize,
) -> Result<Memory> {
    if sessions == 0 {
        bail!("--memory-sessions must be at least 1");
    }
    let mut child = procs::start_bridge(
        bridge,
        "myna-bridge-simulate",
        port,
        origin,
        &["--simulate"],
        &[("RUST_LOG", "warn")],
        logs,
    )?;
    for _ in 0..warm_up {
        session(port, origin).await?;
    }
    let rss_start_kib = sample(child.pid())?.rss_kib;
    for _ in 0..sessions {
        session(port, origin).await?;
    }
    let rss_n_kib = sample(child.pid())?.rss_kib;
    for _ in 0..sessions {
        session(port, origin).await?;
    }
    let rss_2n_kib = sample(child.pid())?.rss_kib;
    child.check_running()?;
    Ok(Memory {
        sessions,
        rss_start_kib,
        rss_n_kib,
        rss_2n_kib,
    })
}
