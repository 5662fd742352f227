//! The bridge's error codes and the one mapping from card and PC/SC failures to them.
//!
//! Every code the bridge sends is a variant of [`ErrorCode`]; the browser module passes them
//! through unchanged as `error.code`, and its TypeScript `ErrorCode` union is tested against
//! [`ErrorCode::ALL`] (`wasm/src/types.rs`). Failures of a JPKI-AP operation become codes in
//! one place, [`ErrorCode::of_jpki`], used by the bridge (its answers) and the module (errors of
//! operations it runs itself) alike; failures below the APDU layer (PC/SC, the link) go
//! through [`ErrorCode::of_transport`].
//!
//! One decision recorded here (issue 15): status word `6982` on `COMPUTE DIGITAL SIGNATURE`
//! (the PIN was not verified) is `security-status-not-satisfied` on both sides. Before, the
//! bridge sent the generic `card-error` for it while the module said
//! `security-status-not-satisfied`; the specific code was kept because pages (the reference
//! page among them) already act on it, and `card-error` stays for status words no operation
//! expects.

use serde::{Deserialize, Serialize};

use crate::jpki::JpkiError;
use crate::transport::TransportErrorKind;

macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $text:literal,)*) => {
        /// Stable error codes of the bridge protocol, sent as kebab-case strings.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $($(#[$doc])* #[serde(rename = $text)] $variant,)*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as sent on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $text,)*
                }
            }

            /// The code a wire string names, if any.
            pub fn parse(text: &str) -> Option<ErrorCode> {
                match text {
                    $($text => Some(ErrorCode::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

error_codes! {
    /// The frame or its params are not what the method takes.
    BadRequest = "bad-request",
    /// No such method.
    UnknownMethod = "unknown-method",
    /// No reader by that name (or no reader at all).
    NoReader = "no-reader",
    /// The reader holds no card.
    NoCard = "no-card",
    /// The card was taken out (or reset) during or since `connect`.
    CardRemoved = "card-removed",
    /// Another program holds the card exclusively.
    SharingViolation = "sharing-violation",
    /// The APDU is outside the policy; it did not reach the card.
    PolicyDenied = "policy-denied",
    /// The PIN was wrong; `remaining` tries are left.
    PinIncorrect = "pin-incorrect",
    /// Only one try is left and the request did not carry `allowLastAttempt: true`.
    LastAttemptNeedsConsent = "last-attempt-needs-consent",
    /// Only one try is left, consent was given, but the card has not been taken off the
    /// reader and presented again since the bridge saw one try left; nothing was sent.
    LastAttemptNeedsRepresentation = "last-attempt-needs-representation",
    /// The PIN is blocked (or the card has none); only the municipal office can reset it.
    PinBlocked = "pin-blocked",
    /// The PC/SC service is not running.
    NoService = "no-service",
    /// The card or reader did not answer in time.
    Timeout = "timeout",
    /// The handle is unknown to this connection (never issued, or disconnected).
    UnknownHandle = "unknown-handle",
    /// This connection already holds the most handles a connection may hold; `disconnect`
    /// one first.
    TooManyHandles = "too-many-handles",
    /// The card is not a My Number Card (no JPKI-AP).
    NotMyNumberCard = "not-my-number-card",
    /// The token gives this file only after its PIN is verified (an Android phone's auth
    /// certificate: 目視 is impossible, use the PIN). No PIN was sent.
    PinRequired = "pin-required",
    /// The token is one this product does not serve (an iPhone, a 住基カード, an unknown
    /// token-info label); nothing was sent after reading its label, no PIN among it.
    TokenNotSupported = "token-not-supported",
    /// `6982` on signing: the PIN has not been verified (see the module note).
    SecurityStatusNotSatisfied = "security-status-not-satisfied",
    /// The card answered with an unexpected status word, or does not answer at all.
    CardError = "card-error",
    /// A `simulate` call to a bridge not started with `--simulate`, or an unknown persona.
    NotSimulating = "not-simulating",
    /// A bug or an unexpected system failure; details are in the bridge's log.
    Internal = "internal",
}

impl ErrorCode {
    /// The code for a failure below the APDU layer.
    pub const fn of_transport(kind: TransportErrorKind) -> ErrorCode {
        match kind {
            TransportErrorKind::NoCard => ErrorCode::NoCard,
            TransportErrorKind::CardRemoved => ErrorCode::CardRemoved,
            TransportErrorKind::ReaderUnavailable => ErrorCode::NoReader,
            TransportErrorKind::Timeout => ErrorCode::Timeout,
            TransportErrorKind::PolicyDenied => ErrorCode::PolicyDenied,
            TransportErrorKind::Busy => ErrorCode::SharingViolation,
            TransportErrorKind::ServiceUnavailable => ErrorCode::NoService,
            TransportErrorKind::Unresponsive => ErrorCode::CardError,
            TransportErrorKind::Other => ErrorCode::Internal,
        }
    }

    /// The transport failure a code names, for a client that gets the code back from the
    /// bridge; codes that name no transport failure give [`TransportErrorKind::Other`].
    pub const fn transport_kind(self) -> TransportErrorKind {
        match self {
            ErrorCode::NoCard => TransportErrorKind::NoCard,
            ErrorCode::CardRemoved => TransportErrorKind::CardRemoved,
            ErrorCode::NoReader => TransportErrorKind::ReaderUnavailable,
            ErrorCode::Timeout => TransportErrorKind::Timeout,
            ErrorCode::PolicyDenied => TransportErrorKind::PolicyDenied,
            ErrorCode::SharingViolation => TransportErrorKind::Busy,
            ErrorCode::NoService => TransportErrorKind::ServiceUnavailable,
            _ => TransportErrorKind::Other,
        }
    }

    /// The code for a failed JPKI-AP operation: the one mapping from the card's status words
    /// (already typed by [`crate::jpki`]) and transport failures to codes.
    pub fn of_jpki(error: &JpkiError) -> ErrorCode {
        match error {
            JpkiError::Transport(t) => ErrorCode::of_transport(t.kind()),
            JpkiError::ApplicationNotFound => ErrorCode::NotMyNumberCard,
            JpkiError::PinIncorrect { remaining: 0 } | JpkiError::PinBlocked => {
                ErrorCode::PinBlocked
            }
            JpkiError::PinIncorrect { .. } => ErrorCode::PinIncorrect,
            JpkiError::SecurityStatusNotSatisfied => ErrorCode::SecurityStatusNotSatisfied,
            JpkiError::LastAttemptNeedsConsent => ErrorCode::LastAttemptNeedsConsent,
            JpkiError::PinRequired { .. } => ErrorCode::PinRequired,
            JpkiError::TokenNotSupported { .. } => ErrorCode::TokenNotSupported,
            _ => ErrorCode::CardError,
        }
    }
}

impl core::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error answer: `{"code", "message", "remaining"?}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireError {
    /// The stable code.
    pub code: ErrorCode,
    /// A human-readable English explanation (never contains a PIN or card data).
    pub message: String,
    /// Tries left, where it applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining: Option<u8>,
}

impl WireError {
    /// An error with a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        WireError {
            code,
            message: message.into(),
            remaining: None,
        }
    }

    /// The same error carrying `remaining` tries.
    pub fn with_remaining(mut self, remaining: u8) -> Self {
        self.remaining = Some(remaining);
        self
    }

    /// The answer for a failed JPKI-AP operation: its code ([`ErrorCode::of_jpki`]), an
    /// English message, and the tries left where they apply.
    pub fn of_jpki(error: JpkiError) -> Self {
        let code = ErrorCode::of_jpki(&error);
        match error {
            JpkiError::PinIncorrect { remaining: 0 } => {
                WireError::new(code, "wrong PIN; the PIN is now blocked").with_remaining(0)
            }
            JpkiError::PinIncorrect { remaining } => {
                WireError::new(code, "wrong PIN").with_remaining(remaining)
            }
            JpkiError::PinBlocked => WireError::new(code, "the PIN is blocked").with_remaining(0),
            JpkiError::LastAttemptNeedsConsent => WireError::new(
                code,
                "one try left: ask the patient, then send allowLastAttempt: true",
            )
            .with_remaining(1),
            JpkiError::ApplicationNotFound => {
                WireError::new(code, "the card has no JPKI application")
            }
            JpkiError::Transport(t) => WireError::new(code, t.to_string()),
            other => WireError::new(code, other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Fid;
    use crate::sw::StatusWord;
    use crate::transport::TransportError;

    #[test]
    fn every_code_round_trips_through_its_text_and_serde() {
        for &code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), code);
        }
        assert_eq!(ErrorCode::parse("card_error"), None);
    }

    /// Issue 15: the same card error (`6982` on signing) was `card-error` in the bridge and
    /// `security-status-not-satisfied` in the module; both now read this one mapping.
    #[test]
    fn issue_15_sw_6982_has_one_code_on_both_sides() {
        let e = JpkiError::SecurityStatusNotSatisfied;
        assert_eq!(
            ErrorCode::of_jpki(&e).as_str(),
            "security-status-not-satisfied"
        );
        assert_eq!(
            WireError::of_jpki(e).code,
            ErrorCode::SecurityStatusNotSatisfied
        );
    }

    #[test]
    fn card_failures_map_to_their_codes() {
        let cases = [
            (
                JpkiError::ApplicationNotFound,
                ErrorCode::NotMyNumberCard,
                None,
            ),
            (
                JpkiError::PinIncorrect { remaining: 2 },
                ErrorCode::PinIncorrect,
                Some(2),
            ),
            (
                JpkiError::PinIncorrect { remaining: 0 },
                ErrorCode::PinBlocked,
                Some(0),
            ),
            (JpkiError::PinBlocked, ErrorCode::PinBlocked, Some(0)),
            (
                JpkiError::LastAttemptNeedsConsent,
                ErrorCode::LastAttemptNeedsConsent,
                Some(1),
            ),
            (JpkiError::MalformedLength, ErrorCode::CardError, None),
            (
                JpkiError::PinRequired { fid: Fid(0x000A) },
                ErrorCode::PinRequired,
                None,
            ),
            (
                JpkiError::TokenNotSupported {
                    label: "JPKIAPIOSTOKEN".into(),
                },
                ErrorCode::TokenNotSupported,
                None,
            ),
            (
                JpkiError::UnexpectedStatus {
                    sw: StatusWord::new(0x6A, 0x86),
                    during: crate::jpki::Operation::ReadBinary,
                },
                ErrorCode::CardError,
                None,
            ),
            (
                JpkiError::Transport(TransportError::new(TransportErrorKind::Busy, "x")),
                ErrorCode::SharingViolation,
                None,
            ),
            (
                JpkiError::Transport(TransportError::new(TransportErrorKind::Unresponsive, "x")),
                ErrorCode::CardError,
                None,
            ),
        ];
        for (error, code, remaining) in cases {
            let text = format!("{error:?}");
            assert_eq!(ErrorCode::of_jpki(&error), code, "{text}");
            let wire = WireError::of_jpki(error);
            assert_eq!((wire.code, wire.remaining), (code, remaining), "{text}");
        }
    }

    #[test]
    fn transport_kinds_round_trip_through_their_codes() {
        for kind in TransportErrorKind::ALL {
            assert_eq!(kind.code(), ErrorCode::of_transport(kind).as_str());
            if kind != TransportErrorKind::Unresponsive {
                assert_eq!(ErrorCode::of_transport(kind).transport_kind(), kind);
            }
        }
    }
}
