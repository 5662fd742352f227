//! The one error type of the browser module and its JavaScript form.
//!
//! Every failure becomes a JS `Error` whose `name` is `"MynaWebError"`, whose `code` is a
//! stable kebab-case string ([`WebError::code`]), and which carries the extra fields a caller
//! acts on (`remaining`, `errorCode`, `errorMessage`, `status`, `readers`, `timeoutMs`, …).
//! Codes the bridge sends are passed through unchanged, so `pin-incorrect` from the bridge is
//! `pin-incorrect` in the page.

use js_sys::{Array, Reflect};
use myna_core::jpki::{JpkiError, PinError};
use myna_core::oqs::{CopyTextError, OqsError};
use myna_core::wareki::WarekiError;
use wasm_bindgen::{JsCast, JsValue};

/// Why an operation of the browser module failed.
#[derive(Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum WebError {
    /// A JS argument is missing or of the wrong shape (`invalid-argument`).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// Nothing answers at the bridge's address (`bridge-not-running`).
    #[error("the bridge is not running at {url}")]
    BridgeNotRunning {
        /// The address tried.
        url: String,
    },
    /// The user (or policy) blocked this site's access to the local network
    /// (`permission-denied`).
    #[error(
        "the browser denied this site access to the local bridge (Local Network Access); allow it in the site settings"
    )]
    PermissionDenied,
    /// The Local Network Access prompt was dismissed without an answer (`permission-pending`).
    #[error(
        "the browser is waiting for permission to reach the local bridge (Local Network Access); answer the browser's prompt"
    )]
    PermissionPending,
    /// The bridge answered 403: this page's origin is not in its allowlist (`origin-refused`).
    #[error("the bridge refuses this page's origin {origin}; add it with --allow-origin")]
    OriginRefused {
        /// The page's origin.
        origin: String,
    },
    /// The bridge speaks another protocol version (`protocol-mismatch`).
    #[error("the bridge speaks protocol {found}, this module speaks {expected}")]
    ProtocolMismatch {
        /// The version this module speaks.
        expected: u32,
        /// What the bridge announced (`"none"` when it announced nothing).
        found: String,
    },
    /// The WebSocket to the bridge closed, or the session belongs to an earlier connection
    /// (`connection-lost`).
    #[error("the connection to the bridge was lost: {0}")]
    ConnectionLost(String),
    /// [`crate::bridge::Bridge::close`] was called (`bridge-closed`).
    #[error("the bridge connection was closed by the page")]
    Closed,
    /// The bridge did not answer in time (`timeout`).
    #[error("the bridge did not answer {method} within {millis} ms")]
    Timeout {
        /// The request.
        method: String,
        /// The time waited.
        millis: u32,
    },
    /// The bridge answered an error; its code is passed through (`pin-incorrect`,
    /// `last-attempt-needs-consent`, `last-attempt-needs-representation`, `pin-blocked`,
    /// `no-card`, `card-removed`, `policy-denied`, …).
    #[error("{message}")]
    Bridge {
        /// The bridge's error code.
        code: String,
        /// The bridge's message.
        message: String,
        /// Tries left, for PIN errors.
        remaining: Option<u8>,
    },
    /// The bridge sent something that is not protocol v1 (`bad-frame`).
    #[error("the bridge sent an unexpected frame: {0}")]
    BadFrame(String),
    /// The PIN is not 4 ASCII digits; nothing was sent (`invalid-pin`).
    #[error("{0}")]
    InvalidPin(PinError),
    /// A JPKI-AP operation failed on the card's answer (see [`card_error_code`]).
    #[error("card: {0}")]
    Card(JpkiError),
    /// No reader holds a card, or the named reader is empty (`no-card`).
    #[error("no card: {0}")]
    NoCard(String),
    /// No reader by that name (`no-reader`).
    #[error("no reader named {0:?}")]
    NoReader(String),
    /// Several readers hold a card and none was chosen (`several-cards`).
    #[error("several readers hold a card ({}); choose one with `reader`", .0.join(", "))]
    SeveralCards(Vec<String>),
    /// Not a certificate, or not one this module can read (`invalid-certificate`).
    #[error("not a readable certificate: {0}")]
    InvalidCertificate(String),
    /// The `XmlMsg` could not be parsed (the core's `oqs-…` code).
    #[error("{0}")]
    Qualification(OqsError),
    /// Bytes that are not valid in the document's encoding, found by the browser's decoder
    /// (`oqs-invalid-bytes`; the core's own check gives the offset).
    #[error("invalid {0} bytes")]
    InvalidBytes(&'static str),
    /// Not a valid `yyyyMMdd` date, or outside the 和暦 eras (`invalid-date`).
    #[error("{0}")]
    InvalidDate(WarekiError),
    /// The eligibility service could not be reached (`service-unreachable`).
    #[error("the eligibility service at {url} could not be reached: {detail}")]
    ServiceUnreachable {
        /// The address tried.
        url: String,
        /// What the browser said.
        detail: String,
    },
    /// The eligibility service took the request but gave no complete answer in time
    /// (`service-timeout`); the request was aborted.
    ///
    /// The service may or may not have acted on it. After a timeout at `confirmation` the
    /// card has already signed that challenge's single-use nonce: the only way on is a new
    /// attempt (a new `confirmQualification`, hence a new challenge), and whether to ask the
    /// patient for the PIN again is the page's decision — the module never re-sends a PIN.
    #[error("the eligibility service at {url} did not answer within {after_ms} ms")]
    ServiceTimeout {
        /// The address tried.
        url: String,
        /// The time limit that passed, in milliseconds.
        after_ms: u32,
    },
    /// The eligibility service answered an error (`service-error`), e.g. an `XmlMsg` with
    /// `SegmentOfResult` 9.
    #[error("the eligibility service answered an error{}: {}", .error_code.as_deref().map(|c| format!(" {c}")).unwrap_or_default(), .error_message.as_deref().unwrap_or("(no message)"))]
    Service {
        /// HTTP status.
        status: u16,
        /// The service's `ErrorCode`.
        error_code: Option<String>,
        /// The service's `ErrorMessage`.
        error_message: Option<String>,
    },
    /// The eligibility service answered something that is not its API (`service-bad-response`).
    #[error("the eligibility service answered unexpectedly (HTTP {status}): {detail}")]
    ServiceBadResponse {
        /// HTTP status.
        status: u16,
        /// What was wrong.
        detail: String,
    },
    /// Something the browser should always provide is missing (`unsupported-environment`).
    #[error("this browser environment lacks {0}")]
    Environment(String),
    /// `connectBridge` was given a bridge URL whose host is not this computer, without
    /// `allowNonLoopbackBridge: true` (`bridge-not-loopback`); nothing was connected.
    #[error(
        "refusing to connect to {url}: the bridge must be on this computer (ws://127.0.0.1, ws://[::1], ws://localhost); pass allowNonLoopbackBridge: true only for a bridge your own code chose"
    )]
    BridgeNotLoopback {
        /// The URL refused.
        url: String,
    },
    /// The text is not the official マイナ資格確認アプリ's copied result, or is mangled or
    /// cut short (the core's `copy-text-…` code; `line` when the problem is on one).
    #[error("{0}")]
    CopyText(CopyTextError),
    /// A roster file cannot be read at all (the core's `roster-…` code; row errors are
    /// reported in `parseRoster`'s answer, not thrown).
    #[error("{0}")]
    Roster(myna_core::checkup::roster::RosterError),
}

/// The module's Japanese message for a code whose English message would not help the
/// patient or staff at the desk (issue 14), else `None`.
pub fn japanese_message(code: &str) -> Option<&'static str> {
    match code {
        "pin-required" => Some("スマートフォンのマイナ保険証は暗証番号で確認してください"),
        "token-not-supported" => Some(
            "このスマートフォン（iPhone など）またはカードはこの読み取りでは確認できません。\
             マイナンバーカード本体、または資格確認書か資格情報のお知らせで確認してください",
        ),
        _ => None,
    }
}

/// The code for a failed JPKI-AP operation: the wire contract's one mapping
/// ([`myna_core::wire::ErrorCode::of_jpki`]), the same the bridge answers with.
pub fn card_error_code(error: &JpkiError) -> &'static str {
    myna_core::wire::ErrorCode::of_jpki(error).as_str()
}

impl WebError {
    /// The stable code JavaScript sees as `error.code`.
    pub fn code(&self) -> &str {
        match self {
            WebError::InvalidArgument(_) => "invalid-argument",
            WebError::BridgeNotRunning { .. } => "bridge-not-running",
            WebError::PermissionDenied => "permission-denied",
            WebError::PermissionPending => "permission-pending",
            WebError::OriginRefused { .. } => "origin-refused",
            WebError::ProtocolMismatch { .. } => "protocol-mismatch",
            WebError::ConnectionLost(_) => "connection-lost",
            WebError::Closed => "bridge-closed",
            WebError::Timeout { .. } => "timeout",
            WebError::Bridge { code, .. } => code,
            WebError::BadFrame(_) => "bad-frame",
            WebError::InvalidPin(_) => "invalid-pin",
            WebError::Card(e) => card_error_code(e),
            WebError::NoCard(_) => "no-card",
            WebError::NoReader(_) => "no-reader",
            WebError::SeveralCards(_) => "several-cards",
            WebError::InvalidCertificate(_) => "invalid-certificate",
            WebError::Qualification(e) => e.code(),
            WebError::InvalidBytes(_) => "oqs-invalid-bytes",
            WebError::InvalidDate(_) => "invalid-date",
            WebError::ServiceUnreachable { .. } => "service-unreachable",
            WebError::ServiceTimeout { .. } => "service-timeout",
            WebError::Service { .. } => "service-error",
            WebError::ServiceBadResponse { .. } => "service-bad-response",
            WebError::Environment(_) => "unsupported-environment",
            WebError::BridgeNotLoopback { .. } => "bridge-not-loopback",
            WebError::CopyText(e) => e.code(),
            WebError::Roster(e) => e.code(),
        }
    }

    /// Tries left, for the PIN errors.
    pub fn remaining(&self) -> Option<u8> {
        match self {
            WebError::Bridge { remaining, .. } => *remaining,
            WebError::Card(JpkiError::PinIncorrect { remaining }) => Some(*remaining),
            WebError::Card(JpkiError::PinBlocked) => Some(0),
            _ => None,
        }
    }

    /// The JS `Error` for this failure.
    pub fn to_js(&self) -> JsValue {
        let error = match japanese_message(self.code()) {
            Some(message) => js_sys::Error::new(message),
            None => js_sys::Error::new(&self.to_string()),
        };
        error.set_name("MynaWebError");
        let set = |key: &str, value: JsValue| {
            // Setting a property on a fresh Error cannot fail.
            let _ = Reflect::set(&error, &JsValue::from_str(key), &value);
        };
        set("code", JsValue::from_str(self.code()));
        if let Some(remaining) = self.remaining() {
            set("remaining", JsValue::from(remaining));
        }
        match self {
            WebError::Service {
                status,
                error_code,
                error_message,
            } => {
                set("status", JsValue::from(*status));
                if let Some(code) = error_code {
                    set("errorCode", JsValue::from_str(code));
                }
                if let Some(message) = error_message {
                    set("errorMessage", JsValue::from_str(message));
                }
            }
            WebError::ServiceBadResponse { status, .. } => set("status", JsValue::from(*status)),
            WebError::ServiceUnreachable { url, .. }
            | WebError::BridgeNotRunning { url }
            | WebError::BridgeNotLoopback { url } => {
                set("url", JsValue::from_str(url));
            }
            WebError::ServiceTimeout { url, after_ms } => {
                set("url", JsValue::from_str(url));
                set("timeoutMs", JsValue::from(*after_ms));
            }
            WebError::SeveralCards(readers) => {
                let list: Array = readers.iter().map(|r| JsValue::from_str(r)).collect();
                set("readers", list.into());
            }
            WebError::NoReader(reader) => set("reader", JsValue::from_str(reader)),
            WebError::OriginRefused { origin } => set("origin", JsValue::from_str(origin)),
            WebError::ProtocolMismatch { expected, found } => {
                set("expected", JsValue::from(*expected));
                set("found", JsValue::from_str(found));
            }
            WebError::Qualification(e) => {
                if let Some(position) = e.position() {
                    set("line", JsValue::from(position.line as u32));
                    set("column", JsValue::from(position.column as u32));
                }
            }
            WebError::CopyText(e) => {
                if let Some(line) = e.line() {
                    set("line", JsValue::from(line as u32));
                }
            }
            WebError::Card(JpkiError::UnexpectedStatus { sw, .. }) => {
                set("statusWord", JsValue::from_str(&sw.to_string()));
            }
            _ => {}
        }
        error.unchecked_into()
    }
}

impl From<WebError> for JsValue {
    fn from(error: WebError) -> JsValue {
        error.to_js()
    }
}

/// `From` for the core's errors that a variant wraps as they are.
macro_rules! wrap_errors {
    ($($error:ty => $variant:ident),* $(,)?) => {$(
        impl From<$error> for WebError {
            fn from(e: $error) -> Self {
                WebError::$variant(e)
            }
        }
    )*};
}

wrap_errors! {
    PinError => InvalidPin,
    OqsError => Qualification,
    CopyTextError => CopyText,
    WarekiError => InvalidDate,
    myna_core::checkup::roster::RosterError => Roster,
}

/// The result type of the module's internals.
pub type WebResult<T> = Result<T, WebError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bridge_codes_pass_through() {
        let e = WebError::Bridge {
            code: "pin-incorrect".into(),
            message: "wrong PIN".into(),
            remaining: Some(2),
        };
        assert_eq!(e.code(), "pin-incorrect");
        assert_eq!(e.remaining(), Some(2));
    }

    /// Issue 14: the two phone codes reach the page with Japanese messages, from the bridge
    /// and from the module's own card operations alike; other codes keep theirs.
    #[test]
    fn issue_14_phone_codes_have_japanese_messages() {
        let bridge = WebError::Bridge {
            code: "pin-required".into(),
            message: "file 000A needs the PIN on this token".into(),
            remaining: None,
        };
        assert_eq!(
            japanese_message(bridge.code()),
            Some("スマートフォンのマイナ保険証は暗証番号で確認してください")
        );
        let card = WebError::Card(JpkiError::TokenNotSupported {
            label: "JPKIAPIOSTOKEN".into(),
        });
        assert_eq!(card.code(), "token-not-supported");
        let text = japanese_message(card.code()).unwrap();
        assert!(text.contains("マイナンバーカード本体") && text.contains("資格確認書"));
        assert!(text.contains("資格情報のお知らせ"));
        assert_eq!(japanese_message("pin-incorrect"), None);
    }

    #[test]
    fn card_errors_have_their_own_codes() {
        assert_eq!(
            WebError::Card(JpkiError::ApplicationNotFound).code(),
            "not-my-number-card"
        );
        assert_eq!(
            WebError::Card(JpkiError::PinIncorrect { remaining: 0 }).code(),
            "pin-blocked"
        );
        assert_eq!(
            WebError::Card(JpkiError::MalformedLength).code(),
            "card-error"
        );
        assert_eq!(
            WebError::SeveralCards(vec!["a".into()]).code(),
            "several-cards"
        );
    }

    #[test]
    fn a_service_timeout_is_not_an_unreachable_service() {
        let timeout = WebError::ServiceTimeout {
            url: "https://relay.example.jp/api/v1/confirmations".into(),
            after_ms: 30_000,
        };
        assert_eq!(timeout.code(), "service-timeout");
        assert_eq!(
            timeout.to_string(),
            "the eligibility service at https://relay.example.jp/api/v1/confirmations did not answer within 30000 ms"
        );
        let unreachable = WebError::ServiceUnreachable {
            url: "https://relay.example.jp/api/v1/challenges".into(),
            detail: "Failed to fetch".into(),
        };
        assert_eq!(unreachable.code(), "service-unreachable");
        assert_eq!(timeout.remaining(), None);
    }
}
