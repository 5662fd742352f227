//! The measured reference of the end-to-end figure: what the bridge's `authenticate` sends
//! (`myna_core::jpki`'s certificate read, tries-left check + one VERIFY, signature, in the
//! detected token's order: an Android phone's certificate after the VERIFY), sent by
//! a direct PC/SC client in this process — the `pcsc` crate, one transaction on a shared
//! connection, ended with a warm reset as the bridge ends it — to the same card in the same
//! reader, in the same run. No WebSocket, no bridge, no service: what is left when those
//! are taken away.

use std::ffi::CString;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, ensure};
use myna_core::jpki::{self, Pin};
use myna_core::profile::FlowStep;
use myna_core::transport::{Transport, TransportError, TransportErrorKind};

/// One direct run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DirectRun {
    /// From the transaction's start to its end (the reset included).
    pub total: Duration,
    /// Commands sent.
    pub apdus: usize,
}

struct Direct<'t, 'c> {
    card: &'t pcsc::Transaction<'c>,
    buf: Vec<u8>,
    apdus: usize,
}

impl Transport for Direct<'_, '_> {
    async fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.apdus += 1;
        self.card
            .transmit(command, &mut self.buf)
            .map(<[u8]>::to_vec)
            .map_err(|e| TransportError::new(TransportErrorKind::Other, e.to_string()))
    }
}

/// Runs the bridge's `authenticate` sequence for `origin` and `nonce` straight over PC/SC
/// on the card in `reader`, and times it.
pub fn authenticate(reader: &str, origin: &str, nonce: &str, pin: &str) -> Result<DirectRun> {
    let ctx = pcsc::Context::establish(pcsc::Scope::User).context("pcscd")?;
    let mut card = ctx
        .connect(
            &CString::new(reader)?,
            pcsc::ShareMode::Shared,
            pcsc::Protocols::ANY,
        )
        .context("connecting to the card directly")?;
    let pin = Pin::auth(pin).map_err(|e| anyhow::anyhow!("{e}"))?;
    let digest_info =
        myna_core::auth::digest_info_sha256(&myna_core::auth::auth_message(origin, nonce));
    let started = Instant::now();
    let transaction = card.transaction().context("beginning a transaction")?;
    let mut direct = Direct {
        card: &transaction,
        buf: vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED],
        apdus: 0,
    };
    let signature = pollster::block_on(async {
        // The bridge's order with its token detection (issue 14), command for command: the
        // detected token's card table says whether the certificate comes before the VERIFY.
        jpki::select_jpki_ap(&mut direct).await?;
        let profile = jpki::detect_token(&mut direct).await?.served_profile()?;
        let step_at = |step| profile.pin_flow.iter().position(|s| *s == step);
        let certificate_first = step_at(FlowStep::ReadCertificate) < step_at(FlowStep::VerifyPin);
        if certificate_first {
            jpki::read_certificate(&mut direct, profile.auth_certificate).await?;
        }
        jpki::verify_auth_pin_with_consent(&mut direct, &pin, false).await?;
        if !certificate_first {
            jpki::read_certificate(&mut direct, profile.auth_certificate).await?;
        }
        jpki::sign_with_auth_key(&mut direct, &digest_info).await
    })
    .map_err(|e| anyhow::anyhow!("direct authenticate: {e}"))?;
    let apdus = direct.apdus;
    transaction
        .end(pcsc::Disposition::ResetCard)
        .map_err(|(_, e)| e)
        .context("ending the transaction with a reset")?;
    let total = started.elapsed();
    ensure!(
        signature.len() == 256,
        "a {}-byte signature",
        signature.len()
    );
    // Leave the card as it is for the bridge (pcsc::Card's drop would reset it again).
    let _ = card.disconnect(pcsc::Disposition::LeaveCard);
    Ok(DirectRun { total, apdus })
}
