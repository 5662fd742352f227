//! A whole PIN-mode confirmation, as a reception page runs it, against the card's own time.
//!
//! challenge (`POST /api/v1/challenges`) → bridge `authenticate` (certificate, tries left,
//! VERIFY, signature on the virtual card with the realistic timing model, through pcscd +
//! vpcd) → `POST /api/v1/confirmations` → the `XmlMsg` parsed.
//!
//! The ratio divides the wall time of all of it by what nobody but the card and the service
//! can take: the card's modelled time (the `delay` of each logged command, which the vpcd
//! adapter sleeps) plus the two service requests' time (timed around each request on its
//! keep-alive loopback connection). What is left is ours: WebSocket, bridge, PC/SC, JSON.

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use base64::Engine as _;
use myna_bridge::virtual_card::ApduLog;
use serde_json::json;

use crate::http::{HttpConn, check_confirmation, pin_confirmation_body};
use crate::ws::BridgeClient;

/// One confirmation's times.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct E2eRun {
    /// From asking for the challenge to the parsed answer.
    pub total: Duration,
    /// The card's modelled time (sum of the log's delays).
    pub card: Duration,
    /// The two service requests.
    pub service: Duration,
    /// Commands the card answered.
    pub apdus: usize,
}

impl E2eRun {
    /// `total / (card + service)`.
    pub fn ratio(&self) -> f64 {
        self.total.as_secs_f64() / (self.card + self.service).as_secs_f64()
    }
}

/// Runs one confirmation.
#[allow(clippy::too_many_arguments)]
pub async fn run_once(
    client: &mut BridgeClient,
    handle: u64,
    log: &ApduLog,
    http: &mut HttpConn,
    token: &str,
    origin: &str,
    pin: &str,
) -> Result<E2eRun> {
    log.clear();
    let started = Instant::now();
    let nonce = http.challenge(token).await?;
    let challenge_time = started.elapsed();
    let authenticated = client
        .call_ok(
            "authenticate",
            json!({"handle": handle, "nonce": nonce, "pin": pin, "allowLastAttempt": false}),
        )
        .await
        .context("authenticate")?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let certificate = b64.decode(
        authenticated["certificate"]
            .as_str()
            .context("no certificate")?,
    )?;
    let signature = b64.decode(
        authenticated["signature"]
            .as_str()
            .context("no signature")?,
    )?;
    let body = pin_confirmation_body(&certificate, &signature, &nonce, origin);
    let t = Instant::now();
    let (status, xml) = http.confirm(token, body).await?;
    let confirm_time = t.elapsed();
    let validity = check_confirmation(status, &xml)?;
    let total = started.elapsed();
    anyhow::ensure!(
        validity == "1",
        "the persona's qualification is not valid: {validity}"
    );
    let entries = log.entries();
    Ok(E2eRun {
        total,
        card: entries.iter().map(|e| e.delay).sum(),
        service: challenge_time + confirm_time,
        apdus: entries.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ratio_is_total_over_card_plus_service() {
        let run = E2eRun {
            total: Duration::from_millis(2_200),
            card: Duration::from_millis(1_950),
            service: Duration::from_millis(50),
            apdus: 14,
        };
        assert!((run.ratio() - 1.1).abs() < 1e-9);
    }
}
