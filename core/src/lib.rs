//! # myna-core — the pure protocol core of myna-web
//!
//! Everything in myna-web that can be computed without touching the outside world:
//!
//! - [`apdu`], [`sw`]: command/response APDUs (short and extended) and status words.
//! - [`profile`]: the My Number Card as data (AIDs, file IDs, PIN references, limits).
//! - [`transport`], [`jpki`]: JPKI-AP client operations written once over an async
//!   one-APDU-in, one-response-out transport, so the same code runs in the browser (over the
//!   bridge's WebSocket), in the bridge (over PC/SC) and in tests (over the virtual card).
//! - [`x509`]: the user-authentication certificate (利用者証明用電子証明書) and chain
//!   verification to given trust anchors at a given date.
//! - [`auth`]: the message the card signs, binding the web origin and the service's nonce.
//! - [`identifiers`], [`wareki`]: 保険者番号 / 公費負担者番号 check digits, 記号・番号・枝番
//!   normalisation, and 和暦 dates.
//! - [`oqs`]: the OQS `XmlMsg` eligibility result (資格情報) with its code tables.
//! - [`wire`]: the wire contract — the bridge's frames, error codes and time limits, and the
//!   eligibility service's JSON bodies, as serde types shared by every side.
//! - [`checkup`]: 受診券 / 利用券 validation and comparison, and the day's roster (CSV in/out).
//!
//! ## What it does not do
//! No I/O of any kind: no sockets, no files, no clocks, no randomness, no threads, no pcsc,
//! no wasm-bindgen. Callers pass bytes, the current date and nonces in. It builds for
//! `wasm32-unknown-unknown` and the host alike.
//!
//! ## Byte flow
//! `jpki` builds [`apdu::Command`]s from [`profile::MY_NUMBER_CARD`], hands their bytes to a
//! [`transport::Transport`], decodes the [`apdu::Response`], follows `61xx`/`6Cxx` itself,
//! and maps status words to typed errors. PIN bytes live in zeroizing buffers.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod apdu;
pub mod auth;
#[cfg(test)]
mod cases;
pub mod checkup;
#[doc(hidden)]
pub mod fuzzing;
pub mod identifiers;
pub mod jpki;
pub mod loopback;
pub mod oqs;
pub mod profile;
pub mod sw;
pub mod transport;
pub mod wareki;
pub mod wire;
pub mod x509;
