//! What the bridge adds to one APDU: the same `SELECT` of the JPKI-AP on the same virtual card
//! in the same pcscd + vpcd reader, once through WebSocket + bridge (`transmit`) and once
//! straight through PC/SC (the `pcsc` crate, a shared connection of this process).
//!
//! The `SELECT` of the JPKI-AP by its AID is the one command a page's `transmit` sends to the
//! card alone: a `READ BINARY` through `transmit` is preceded, in its own transaction, by the
//! `SELECT`s it relies on (issue 11: the card's selection is never trusted across
//! transactions), so it is three card commands — the flows read with `readFile` instead.
//!
//! The two paths alternate in rounds (A-B, B-A, …) so drift on a shared machine hits both
//! alike. The target is the ratio of the two paths' medians (`bridge_apdu_over_direct_pcsc_
//! ratio`), both measured here.
//!
//! [`loopback_rtt_ms`] times a one-byte round trip over a loopback TCP connection in the same
//! run: the direct PC/SC APDU (this process → pcscd → vpcd → the card and back, two socket
//! hops) against it guards against the delayed ACK that made every vpcd APDU wait ~40 ms
//! before the adapter set `TCP_NODELAY` (`direct_pcsc_apdu_over_loopback_rtt_ratio`). Each bridge sample minus the median direct sample *of its own round* is one
//! overhead sample; the figures are percentiles of those. (A difference of the two tails'
//! percentiles would compare unrelated outliers and can even come out negative.)

use std::ffi::CString;
use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use myna_core::profile::{MY_NUMBER_CARD, cla, ins, select};

use crate::stats::{median, ms, percentile};
use crate::ws::BridgeClient;

/// `SELECT` JPKI-AP (`00 A4 04 0C 0A <AID>`), from the card table.
pub const SELECT_JPKI_AP: [u8; 15] = {
    let aid = MY_NUMBER_CARD.jpki.aid;
    let mut apdu = [0; 15];
    apdu[0] = cla::ISO;
    apdu[1] = ins::SELECT;
    apdu[2] = select::P1_DF_NAME;
    apdu[3] = select::P2_NO_RESPONSE_DATA;
    apdu[4] = aid.len() as u8;
    let mut i = 0;
    while i < aid.len() {
        apdu[5 + i] = aid[i];
        i += 1;
    }
    apdu
};
/// `SELECT` EF `000A` (the auth certificate).
pub const SELECT_AUTH_CERTIFICATE: [u8; 7] = {
    let [hi, lo] = MY_NUMBER_CARD.auth_certificate.to_bytes();
    [
        cla::ISO,
        ins::SELECT,
        select::P1_EF,
        select::P2_NO_RESPONSE_DATA,
        2,
        hi,
        lo,
    ]
};
/// `READ BINARY` of 256 bytes at offset 0: the commonest command of every flow.
pub const READ_256: [u8; 5] = [cla::ISO, ins::READ_BINARY, 0x00, 0x00, 0x00];

/// Per-APDU latencies of both paths in one round, in milliseconds.
#[derive(Debug, Clone, Default)]
pub struct Round {
    /// Through the bridge.
    pub bridge_ms: Vec<f64>,
    /// Direct PC/SC.
    pub direct_ms: Vec<f64>,
}

/// Every round.
#[derive(Debug, Clone, Default)]
pub struct Latencies {
    /// The rounds, in order.
    pub rounds: Vec<Round>,
}

impl Latencies {
    /// Every bridge sample.
    pub fn bridge_ms(&self) -> Vec<f64> {
        self.rounds
            .iter()
            .flat_map(|r| r.bridge_ms.iter().copied())
            .collect()
    }

    /// Every direct sample.
    pub fn direct_ms(&self) -> Vec<f64> {
        self.rounds
            .iter()
            .flat_map(|r| r.direct_ms.iter().copied())
            .collect()
    }

    /// Each bridge sample minus the median direct sample of its round.
    pub fn overhead_samples(&self) -> Vec<f64> {
        self.rounds
            .iter()
            .filter_map(|r| {
                let baseline = median(&r.direct_ms)?;
                Some(r.bridge_ms.iter().map(move |b| b - baseline))
            })
            .flatten()
            .collect()
    }

    /// A percentile of [`Self::overhead_samples`].
    pub fn overhead(&self, p: f64) -> Option<f64> {
        percentile(&self.overhead_samples(), p)
    }
}

/// The command measured on both paths.
pub const MEASURED: [u8; 15] = SELECT_JPKI_AP;

fn check_read(response: &[u8]) -> Result<()> {
    if response != [0x90, 0x00] {
        bail!(
            "SELECT JPKI-AP answered {} bytes ending {:02X?}",
            response.len(),
            &response[response.len().saturating_sub(2)..]
        );
    }
    Ok(())
}

/// Measures `rounds` × `per_round` [`MEASURED`] commands on each path (after `warmup` of each).
/// `handle` is a bridge session on the card in `reader`.
pub async fn measure(
    client: &mut BridgeClient,
    handle: u64,
    reader: &str,
    rounds: usize,
    per_round: usize,
    warmup: usize,
) -> Result<Latencies> {
    for apdu in [&SELECT_JPKI_AP[..], &SELECT_AUTH_CERTIFICATE[..]] {
        let response = client.transmit(handle, apdu).await??;
        if response != [0x90, 0x00] {
            bail!("SELECT through the bridge answered {response:02X?}");
        }
    }
    let ctx = pcsc::Context::establish(pcsc::Scope::User).context("pcscd")?;
    let card = LeaveCard(Some(
        ctx.connect(
            &CString::new(reader)?,
            pcsc::ShareMode::Shared,
            pcsc::Protocols::ANY,
        )
        .context("connecting to the card directly")?,
    ));
    let card = card.0.as_ref().expect("just connected");
    let mut buf = vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED];
    // The direct connection shares the card state the bridge's SELECTs set up.
    let direct = |buf: &mut [u8]| -> Result<f64> {
        let t = Instant::now();
        let response = card.transmit(&MEASURED, buf).context("direct transmit")?;
        let elapsed = ms(t.elapsed());
        check_read(response)?;
        Ok(elapsed)
    };
    for _ in 0..warmup {
        direct(&mut buf)?;
        check_read(&client.transmit(handle, &MEASURED).await??)?;
    }
    let mut out = Latencies::default();
    for round in 0..rounds {
        let mut r = Round::default();
        for path in if round % 2 == 0 { [0, 1] } else { [1, 0] } {
            for _ in 0..per_round {
                if path == 0 {
                    let t = Instant::now();
                    let response = client.transmit(handle, &MEASURED).await??;
                    r.bridge_ms.push(ms(t.elapsed()));
                    check_read(&response)?;
                } else {
                    r.direct_ms.push(direct(&mut buf)?);
                }
            }
        }
        out.rounds.push(r);
    }
    Ok(out)
}

/// The median of `samples` one-byte round trips over a loopback TCP connection with
/// `TCP_NODELAY` on both ends (an echo thread), in milliseconds.
pub fn loopback_rtt_ms(samples: usize) -> Result<f64> {
    use std::io::{Read as _, Write as _};
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    let addr = listener.local_addr()?;
    let echo = std::thread::spawn(move || -> std::io::Result<()> {
        let (mut stream, _) = listener.accept()?;
        stream.set_nodelay(true)?;
        let mut byte = [0u8; 1];
        while stream.read(&mut byte)? == 1 {
            stream.write_all(&byte)?;
        }
        Ok(())
    });
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    let mut times = Vec::with_capacity(samples);
    let mut byte = [0u8; 1];
    for i in 0..samples + 20 {
        let t = Instant::now();
        stream.write_all(&[7])?;
        stream.read_exact(&mut byte)?;
        if i >= 20 {
            times.push(ms(t.elapsed()));
        }
    }
    drop(stream);
    let _ = echo.join();
    median(&times).context("no round trip")
}

/// A direct connection that leaves the card as it is when closed. (`pcsc::Card`'s own drop
/// resets the card, which would end the bridge's session on it.)
struct LeaveCard(Option<pcsc::Card>);

impl Drop for LeaveCard {
    fn drop(&mut self) {
        if let Some(card) = self.0.take() {
            let _ = card.disconnect(pcsc::Disposition::LeaveCard);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The constant APDUs are the client's commands, built from the card table.
    #[test]
    fn the_measured_apdus_are_the_clients() {
        use myna_core::apdu::Command;
        let p = &MY_NUMBER_CARD;
        assert_eq!(
            SELECT_JPKI_AP[..],
            Command::select_application(p.jpki.aid).encode()[..]
        );
        assert_eq!(
            SELECT_AUTH_CERTIFICATE[..],
            Command::select_ef(p.auth_certificate).encode()[..]
        );
        assert_eq!(
            READ_256[..],
            Command::read_binary(0, 256).unwrap().encode()[..]
        );
        assert_eq!(hex::encode_upper(SELECT_AUTH_CERTIFICATE), "00A4020C02000A");
    }

    #[test]
    fn overhead_is_against_the_direct_median_of_the_same_round() {
        let l = Latencies {
            rounds: vec![
                Round {
                    bridge_ms: vec![0.5, 0.6, 0.7],
                    direct_ms: vec![0.3, 0.2, 9.0],
                },
                // A slower round: drift cancels.
                Round {
                    bridge_ms: vec![1.5, 1.6, 3.0],
                    direct_ms: vec![1.3, 1.2, 1.4],
                },
            ],
        };
        let samples = l.overhead_samples();
        let expected = [0.2, 0.3, 0.4, 0.2, 0.3, 1.7];
        assert_eq!(samples.len(), expected.len());
        for (a, b) in samples.iter().zip(expected) {
            assert!((a - b).abs() < 1e-9, "{samples:?}");
        }
        assert!((l.overhead(50.0).unwrap() - 0.3).abs() < 1e-9);
        assert!((l.overhead(99.0).unwrap() - 1.7).abs() < 1e-9);
        assert_eq!(l.bridge_ms().len(), 6);
        assert_eq!(l.direct_ms().len(), 6);
        assert_eq!(Latencies::default().overhead(50.0), None);
    }
}
