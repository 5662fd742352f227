//! The transport seam: one command APDU in, one raw response APDU out, asynchronously.
//!
//! [`crate::jpki`] is written once against [`Transport`]; three implementations exist:
//!
//! - the browser (`wasm/`): each call becomes a bridge `transmit {handle, apdu}` frame over the
//!   WebSocket, and the bridge's `{"error":{"code":…}}` becomes a [`TransportError`] through
//!   [`TransportErrorKind::from_code`];
//! - the bridge (`bridge/`): a PC/SC `Card::transmit` on the worker thread that owns the card,
//!   the future driven by a simple `block_on`;
//! - tests: [`testing::ScriptedTransport`] here, and the virtual card in the bridge.
//!
//! A transport moves bytes and nothing else: it does not follow `61xx`/`6Cxx` (that is
//! [`crate::jpki::exchange`]'s job, so every transport behaves the same) and does not interpret
//! status words. Futures carry no `Send` bound because wasm futures are `!Send`.

use core::future::Future;

/// Carries command APDUs to a card and brings its responses back.
pub trait Transport {
    /// One command APDU in, one raw response APDU (data + SW1SW2) out.
    ///
    /// The command bytes may contain a PIN: implementations must not log them.
    fn transmit(&mut self, command: &[u8])
    -> impl Future<Output = Result<Vec<u8>, TransportError>>;

    /// Whether the reader/link supports extended-length APDUs (default `false`).
    ///
    /// When `true`, [`crate::jpki`] reads the rest of a certificate in one extended
    /// `READ BINARY` instead of 256-byte chunks.
    fn supports_extended_length(&self) -> bool {
        false
    }
}

impl<T: Transport + ?Sized> Transport for &mut T {
    fn transmit(
        &mut self,
        command: &[u8],
    ) -> impl Future<Output = Result<Vec<u8>, TransportError>> {
        (**self).transmit(command)
    }

    fn supports_extended_length(&self) -> bool {
        (**self).supports_extended_length()
    }
}

/// What went wrong below the APDU layer, in the categories a caller acts on.
///
/// Each kind has a stable wire code ([`Self::code`]) matching the bridge protocol's error
/// codes (`ARCHITECTURE.md`), so the bridge can report a PC/SC failure and the browser can turn
/// the bridge's error back into the same kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The reader holds no card (`no-card`).
    NoCard,
    /// The card was removed (or reset by someone else) during the exchange (`card-removed`).
    CardRemoved,
    /// The reader is gone or unusable (`no-reader`).
    ReaderUnavailable,
    /// The card, reader or link did not answer in time (`timeout`).
    Timeout,
    /// The bridge's APDU policy refused the command; it never reached the card
    /// (`policy-denied`).
    PolicyDenied,
    /// Another application holds the card exclusively (`sharing-violation`).
    Busy,
    /// The smart-card service (pcscd / the Windows service) or the bridge link is not
    /// available (`no-service`).
    ServiceUnavailable,
    /// The card is in the reader but does not answer (mute, unpowered) (`card-error`).
    Unresponsive,
    /// Anything else (`internal`).
    Other,
}

impl TransportErrorKind {
    /// Every kind.
    pub const ALL: [TransportErrorKind; 9] = [
        TransportErrorKind::NoCard,
        TransportErrorKind::CardRemoved,
        TransportErrorKind::ReaderUnavailable,
        TransportErrorKind::Timeout,
        TransportErrorKind::PolicyDenied,
        TransportErrorKind::Busy,
        TransportErrorKind::ServiceUnavailable,
        TransportErrorKind::Unresponsive,
        TransportErrorKind::Other,
    ];

    /// The bridge wire protocol's error code for this kind: the contract's mapping
    /// ([`crate::wire::ErrorCode::of_transport`]), spelled out here because going through
    /// the contract's 20-entry table cost the browser module 217 B gzipped; the tests of
    /// `wire::code` hold the two equal.
    pub const fn code(self) -> &'static str {
        match self {
            TransportErrorKind::NoCard => "no-card",
            TransportErrorKind::CardRemoved => "card-removed",
            TransportErrorKind::ReaderUnavailable => "no-reader",
            TransportErrorKind::Timeout => "timeout",
            TransportErrorKind::PolicyDenied => "policy-denied",
            TransportErrorKind::Busy => "sharing-violation",
            TransportErrorKind::ServiceUnavailable => "no-service",
            TransportErrorKind::Unresponsive => "card-error",
            TransportErrorKind::Other => "internal",
        }
    }

    /// The kind for a bridge wire error code; codes that name no transport failure map to
    /// [`TransportErrorKind::Other`].
    pub fn from_code(code: &str) -> Self {
        crate::wire::ErrorCode::parse(code).map_or(
            TransportErrorKind::Other,
            crate::wire::ErrorCode::transport_kind,
        )
    }

    /// A short English description.
    pub const fn description(self) -> &'static str {
        match self {
            TransportErrorKind::NoCard => "no card in the reader",
            TransportErrorKind::CardRemoved => "the card was removed or reset",
            TransportErrorKind::ReaderUnavailable => "the reader is not available",
            TransportErrorKind::Timeout => "timed out",
            TransportErrorKind::PolicyDenied => "the command was refused by the bridge's policy",
            TransportErrorKind::Busy => "the card is in use by another application",
            TransportErrorKind::ServiceUnavailable => "the smart-card service is not available",
            TransportErrorKind::Unresponsive => "the card does not respond",
            TransportErrorKind::Other => "transport failure",
        }
    }
}

impl core::fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.description())
    }
}

/// A failure to carry an APDU to the card or its response back.
///
/// `message` is free text for logs (e.g. the PC/SC error name); it must never contain APDU
/// bytes, which may hold a PIN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
#[non_exhaustive]
pub struct TransportError {
    /// What kind of failure, for the caller to act on.
    pub kind: TransportErrorKind,
    /// Details for logs.
    pub message: String,
}

impl TransportError {
    /// A transport error of `kind` with a log message.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        TransportError {
            kind,
            message: message.into(),
        }
    }

    /// Its kind.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// The bridge wire error code of its kind.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }
}

/// Test helpers: a scripted transport. **For tests only** (this crate's, the bridge's, the
/// wasm crate's); it panics on any deviation from its script, which is what a test wants.
pub mod testing {
    use std::collections::VecDeque;

    use super::{Transport, TransportError};

    /// One scripted step: the command expected and what to answer.
    type Step = (Vec<u8>, Result<Vec<u8>, TransportError>);

    /// A transport that plays back a script of expected command → response pairs.
    ///
    /// Each [`Transport::transmit`] must send exactly the next expected command (else it
    /// panics, naming the step, expected and actual bytes); it answers with the scripted
    /// response or transport error and records what was sent. Call
    /// [`ScriptedTransport::assert_finished`] at the end to check the whole script was used.
    ///
    /// ```
    /// use myna_core::transport::{Transport, testing::ScriptedTransport};
    ///
    /// let mut card = ScriptedTransport::new().expect_hex("00 A4 04 0C 01 AA", "90 00");
    /// let response = pollster::block_on(card.transmit(&[0x00, 0xA4, 0x04, 0x0C, 0x01, 0xAA]));
    /// assert_eq!(response.unwrap(), vec![0x90, 0x00]);
    /// card.assert_finished();
    /// ```
    #[derive(Default)]
    pub struct ScriptedTransport {
        script: VecDeque<Step>,
        sent: Vec<Vec<u8>>,
        extended_length: bool,
    }

    impl core::fmt::Debug for ScriptedTransport {
        /// Counts only: scripted commands may hold PINs.
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            write!(
                f,
                "ScriptedTransport({} sent, {} to go, extended length {})",
                self.sent.len(),
                self.script.len(),
                self.extended_length
            )
        }
    }

    /// Parses hex with optional whitespace, e.g. `"00 A4 04 0C"`. Panics on bad hex (a test
    /// helper: a typo in a script should fail the test loudly).
    pub fn hex(text: &str) -> Vec<u8> {
        let digits: Vec<u8> = text
            .bytes()
            .filter(|b| !b.is_ascii_whitespace())
            .map(|b| match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                b'A'..=b'F' => b - b'A' + 10,
                _ => panic!("not a hex digit: {:?} in {text:?}", b as char),
            })
            .collect();
        assert!(
            digits.len() % 2 == 0,
            "odd number of hex digits in {text:?}"
        );
        digits.chunks(2).map(|p| (p[0] << 4) | p[1]).collect()
    }

    fn to_hex(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len() * 3);
        for (i, b) in bytes.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(&format!("{b:02X}"));
        }
        out
    }

    impl ScriptedTransport {
        /// An empty script, short APDUs only.
        pub fn new() -> Self {
            Self::default()
        }

        /// Whether [`Transport::supports_extended_length`] reports `true`.
        pub fn with_extended_length(mut self, supported: bool) -> Self {
            self.extended_length = supported;
            self
        }

        /// Appends a step: expect `command`, answer `response` (data + SW1SW2).
        pub fn expect(mut self, command: &[u8], response: &[u8]) -> Self {
            self.script
                .push_back((command.to_vec(), Ok(response.to_vec())));
            self
        }

        /// Appends a step written in hex (see [`hex`]).
        pub fn expect_hex(self, command: &str, response: &str) -> Self {
            self.expect(&hex(command), &hex(response))
        }

        /// Appends a step: expect `command`, fail with `error`.
        pub fn expect_error(mut self, command: &[u8], error: TransportError) -> Self {
            self.script.push_back((command.to_vec(), Err(error)));
            self
        }

        /// Every command sent so far, in order.
        pub fn sent(&self) -> &[Vec<u8>] {
            &self.sent
        }

        /// How many scripted steps are still to come.
        pub fn remaining(&self) -> usize {
            self.script.len()
        }

        /// Panics unless every scripted step was used.
        #[track_caller]
        pub fn assert_finished(&self) {
            assert!(
                self.script.is_empty(),
                "{} scripted step(s) not used; next expected: {}",
                self.script.len(),
                self.script
                    .front()
                    .map(|(c, _)| to_hex(c))
                    .unwrap_or_default()
            );
        }

        fn step(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
            let index = self.sent.len();
            self.sent.push(command.to_vec());
            let Some((expected, response)) = self.script.pop_front() else {
                panic!(
                    "step {index}: unexpected command {} after the end of the script",
                    to_hex(command)
                );
            };
            assert!(
                expected == command,
                "step {index}: expected command {}\n                 but got {}",
                to_hex(&expected),
                to_hex(command)
            );
            response
        }
    }

    impl Transport for ScriptedTransport {
        fn transmit(
            &mut self,
            command: &[u8],
        ) -> impl core::future::Future<Output = Result<Vec<u8>, TransportError>> {
            core::future::ready(self.step(command))
        }

        fn supports_extended_length(&self) -> bool {
            self.extended_length
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{ScriptedTransport, hex};
    use super::*;

    /// Takes any transport by value, so passing `&mut ScriptedTransport` exercises the
    /// blanket `impl Transport for &mut T`.
    async fn through_a_reference<U: Transport>(mut transport: U, cmd: &[u8]) -> Vec<u8> {
        assert!(transport.supports_extended_length());
        transport.transmit(cmd).await.unwrap()
    }

    #[test]
    fn scripted_transport_plays_back_in_order_and_records() {
        let mut t = ScriptedTransport::new()
            .with_extended_length(true)
            .expect_hex("00 B0 00 00 04", "30 82 05 00 90 00")
            .expect_error(
                &hex("00 B0 00 04 00"),
                TransportError::new(TransportErrorKind::CardRemoved, "SCARD_W_REMOVED_CARD"),
            );
        let first = pollster::block_on(through_a_reference(&mut t, &hex("00 B0 00 00 04")));
        assert_eq!(first, hex("30 82 05 00 90 00"));
        assert_eq!(t.remaining(), 1);
        let err = pollster::block_on(t.transmit(&hex("00 B0 00 04 00"))).unwrap_err();
        assert_eq!(err.kind(), TransportErrorKind::CardRemoved);
        assert_eq!(err.code(), "card-removed");
        assert_eq!(t.sent(), &[hex("00 B0 00 00 04"), hex("00 B0 00 04 00")]);
        t.assert_finished();
    }

    #[test]
    #[should_panic(expected = "step 0: expected command 00 A4")]
    fn scripted_transport_panics_on_an_unexpected_command() {
        let mut t = ScriptedTransport::new().expect_hex("00 A4 04 0C", "90 00");
        let _ = pollster::block_on(t.transmit(&hex("00 B0 00 00 00")));
    }

    #[test]
    #[should_panic(expected = "after the end of the script")]
    fn scripted_transport_panics_past_the_end() {
        let mut t = ScriptedTransport::new();
        let _ = pollster::block_on(t.transmit(&hex("00 B0 00 00 00")));
    }

    #[test]
    #[should_panic(expected = "1 scripted step(s) not used")]
    fn scripted_transport_reports_unused_steps() {
        ScriptedTransport::new()
            .expect_hex("00 A4 04 0C", "90 00")
            .assert_finished();
    }

    #[test]
    fn scripted_transport_debug_shows_no_bytes() {
        let t = ScriptedTransport::new().expect_hex("00 20 00 80 04 31 32 33 34", "90 00");
        let text = format!("{t:?}");
        assert!(!text.contains("31") && !text.contains("1234"), "{text}");
        assert!(!ScriptedTransport::new().supports_extended_length());
    }

    #[test]
    fn wire_codes_round_trip() {
        // `Unresponsive` is `card-error`, which also names status words: it reads back as
        // `Other`.
        let kinds = TransportErrorKind::ALL
            .into_iter()
            .filter(|k| *k != TransportErrorKind::Unresponsive);
        for kind in kinds {
            assert_eq!(TransportErrorKind::from_code(kind.code()), kind, "{kind:?}");
            assert!(!kind.to_string().is_empty());
        }
        assert_eq!(TransportErrorKind::Busy.code(), "sharing-violation");
        assert_eq!(
            TransportErrorKind::from_code("pin-blocked"),
            TransportErrorKind::Other
        );
        let err = TransportError::new(TransportErrorKind::Timeout, "no answer in 5 s");
        assert_eq!(err.to_string(), "timed out: no answer in 5 s");
    }
}
