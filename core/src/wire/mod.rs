//! The wire contract: every frame, code, time limit and body that crosses a process
//! boundary, as serde types, written once.
//!
//! - [`frame`]: the bridge protocol v1 (`docs/bridge-protocol.md` describes it; this module is
//!   its source of truth): every method's params and typed result, readers, events;
//! - `text` (feature `json`, on by default): frames as text — `Request::parse` for the bridge,
//!   `answer` and `readers_event` for what it writes.
//! - [`code`]: [`ErrorCode`], every code the bridge sends, and the one mapping from card status
//!   words and PC/SC failures to codes ([`ErrorCode::of_jpki`], [`ErrorCode::of_transport`]).
//! - [`timeouts`]: the bridge's and the module's time limits.
//! - [`service`]: the eligibility service's JSON bodies (`web-demo/openapi.yaml`).
//!
//! Who reads it: the bridge (`bridge/src/protocol.rs` re-exports it), the service
//! (`myna-demo`'s handlers), the benchmark client and the browser module. The module reads
//! frames by hand against these names rather than with serde derives (the derives cost the
//! `.wasm` several KB gzipped; see `docs/benchmarks.md`), and its TypeScript declarations
//! are tested against [`ErrorCode::ALL`] and the fields of these types (`wasm/src/types.rs`).
//!
//! What it does not do: no I/O, no clock; the bridge's policy (which APDUs pass) is
//! `bridge/src/policy.rs`, the card's facts are [`crate::profile`].

pub mod code;
pub mod frame;
pub mod service;
#[cfg(feature = "json")]
pub mod text;
pub mod timeouts;

pub use code::{ErrorCode, WireError};
pub use frame::{
    AuthenticateParams, AuthenticateResult, BridgeId, Call, ConnectParams, ConnectResult,
    HandleParams, Health, Hello, PinStatusResult, READERS_EVENT, ReadFileParams, ReadFileResult,
    Reader, ReaderState, ReadersEvent, ReadersResult, SimulateParams, Simulation, Token,
    TransmitParams, TransmitResult, method,
};
#[cfg(feature = "json")]
pub use text::{ParseFailure, Request, answer, readers_event};

/// The protocol version this contract describes.
pub const PROTOCOL_VERSION: u32 = 1;
/// The bridge's default port.
pub const DEFAULT_PORT: u16 = 27450;
