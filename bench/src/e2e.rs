//! A whole PIN-mode confirmation, as a reception page runs it.
//!
//! challenge (`POST /api/v1/challenges`) → bridge `authenticate` (certificate, tries left,
//! VERIFY, signature on the virtual card, through pcscd + vpcd) → `POST
//! /api/v1/confirmations` → the `XmlMsg` parsed. Each run reports its wall time, the two
//! service requests' time (timed around each request on its keep-alive loopback
//! connection), the commands the card answered, and the card's **modelled** time (the
//! `delay` of each logged command, which the vpcd adapter sleeps: zero with an instant card).
//!
//! The measured reference is [`crate::direct`]: the same commands from a direct PC/SC
//! client, in the same run.

use std::time::{Duration, Instant};

use anyhow::Result;
use myna_virtual_card::ApduLog;

use crate::http::{HttpConn, check_confirmation, pin_confirmation_body};
use crate::ws::BridgeClient;

/// A nonce for the direct reference (any well-formed nonce: no service checks it).
pub const REFERENCE_NONCE: &str = "cmVmZXJlbmNlLW5vbmNlLWZvci10aGUtZGlyZWN0LXBjc2MtcnVu";

/// One confirmation's times.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct E2eRun {
    /// From asking for the challenge to the parsed answer.
    pub total: Duration,
    /// The card's modelled time (sum of the log's delays; not a measurement).
    pub card: Duration,
    /// The two service requests.
    pub service: Duration,
    /// The bridge's `authenticate` request, timed at the client (WebSocket, bridge, pcscd,
    /// card and our JSON on both sides).
    pub authenticate: Duration,
    /// Commands the card answered.
    pub apdus: usize,
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
    let t = Instant::now();
    let signed = client.authenticate(handle, &nonce, pin).await?;
    let authenticate = t.elapsed();
    // The algorithm as the bridge named it, passed on as the browser module does.
    let body = pin_confirmation_body(
        &signed.certificate,
        &signed.signature,
        signed.algorithm,
        &nonce,
        origin,
    );
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
        authenticate,
        apdus: entries.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_nonce_is_one_the_bridge_accepts() {
        myna_core::auth::validate_nonce(REFERENCE_NONCE).unwrap();
    }
}
