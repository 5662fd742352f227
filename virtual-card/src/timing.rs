//! How long a real card would take to answer: a delay the caller may sleep.
//!
//! The card logic never sleeps; [`crate::VirtualCard::transmit`] returns the
//! [`Duration`] this model computes next to the response, and the vpcd adapter sleeps it
//! before answering. Unit tests use the default (zero) model and stay fast.

use std::time::Duration;

/// Per-APDU latency, per-byte transfer time and RSA signature time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimingModel {
    /// Fixed cost of one command/response exchange (link framing, reader, card OS).
    pub per_apdu: Duration,
    /// Time to move one byte over the card interface, in either direction.
    pub per_byte: Duration,
    /// Extra time of one RSA private-key operation (`COMPUTE DIGITAL SIGNATURE`).
    pub signature: Duration,
}

impl TimingModel {
    /// No delay at all (the default): what unit tests want.
    pub const fn instant() -> Self {
        TimingModel {
            per_apdu: Duration::ZERO,
            per_byte: Duration::ZERO,
            signature: Duration::ZERO,
        }
    }

    /// A contact My Number Card in an ordinary USB CCID reader.
    ///
    /// - `per_byte` = 1.02 ms. *Derived from the ATR*: `3B E0 00 FF 81 31 FE 45 14` has no
    ///   `TA1`, so the card runs at the default Fi = 372, Di = 1 and no faster PPS can be
    ///   negotiated; at the usual 4 MHz reader clock one etu is 93 µs, and a T=1 character
    ///   with `TC1 = FF` takes 11 etu (≈ 10.75 kbit/s).
    /// - `per_apdu` = 12 ms. *Estimate*: T=1 block framing (prologue + LRC, both directions,
    ///   ≈ 8 characters ≈ 8 ms) plus about 4 ms for the reader's USB round trip and the card
    ///   OS (file system access).
    /// - `signature` = 400 ms. *Assumption*: an RSA-2048 CRT private-key operation on a
    ///   smart-card crypto co-processor of this generation takes roughly 0.1–0.5 s; no public
    ///   measurement of the My Number Card was found.
    ///
    /// With these figures reading a 1.5 KB certificate takes about 1.7 s and a PIN + signature
    /// about 0.45 s — contactless readers are faster.
    pub const fn realistic() -> Self {
        TimingModel {
            per_apdu: Duration::from_millis(12),
            per_byte: Duration::from_micros(1023),
            signature: Duration::from_millis(400),
        }
    }

    /// The delay of one exchange of `command_len` command bytes and `response_len` response
    /// bytes (status word included), with `signatures` RSA operations on the card.
    pub fn delay(&self, command_len: usize, response_len: usize, signatures: u32) -> Duration {
        let bytes = u32::try_from(command_len.saturating_add(response_len)).unwrap_or(u32::MAX);
        self.per_apdu
            .saturating_add(self.per_byte.saturating_mul(bytes))
            .saturating_add(self.signature.saturating_mul(signatures))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_model_never_waits() {
        assert_eq!(TimingModel::default(), TimingModel::instant());
        assert_eq!(TimingModel::default().delay(300, 258, 1), Duration::ZERO);
    }

    #[test]
    fn the_realistic_model_adds_its_parts() {
        let t = TimingModel::realistic();
        // READ BINARY of 256 bytes: 5 command bytes + 258 response bytes.
        let read = t.delay(5, 258, 0);
        assert_eq!(
            read,
            Duration::from_millis(12) + Duration::from_micros(1023 * 263)
        );
        // A signature adds the RSA time on top of its transfer.
        let sign = t.delay(57, 258, 1);
        assert_eq!(
            sign,
            Duration::from_millis(412) + Duration::from_micros(1023 * 315)
        );
        // Absurd sizes saturate instead of overflowing.
        let huge = TimingModel {
            per_apdu: Duration::MAX,
            ..t
        };
        assert_eq!(huge.delay(usize::MAX, usize::MAX, u32::MAX), Duration::MAX);
    }
}
