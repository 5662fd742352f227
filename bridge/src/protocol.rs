//! Wire protocol v1: the JSON frames between a web page and the bridge.
//!
//! The contract — frames, parsing ([`Request::parse`]), the typed results, [`ErrorCode`] and
//! the mapping of card and PC/SC failures to codes, the time limits — is
//! [`myna_core::wire`], shared with the browser module, the benchmark and the tests; this
//! module re-exports it so the daemon's code names it as its own protocol.
//! `docs/bridge-protocol.md` describes it for readers.

pub use myna_core::wire::frame::*;
pub use myna_core::wire::text::*;
pub use myna_core::wire::timeouts;
pub use myna_core::wire::{ErrorCode, PROTOCOL_VERSION, WireError};
