//! The wire contract: every frame, code, time limit and body that crosses a process
//! boundary, as serde types, written once.
//!
//! - [`frame`]: the bridge protocol v1 (`docs/bridge-protocol.md` describes it; this module is
//!   its source of truth): requests as the bridge parses them ([`Request::parse`]), answers and
//!   events as it writes them, and the typed result of every method.
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
pub mod timeouts;

pub use code::{ErrorCode, WireError};
pub use frame::{
    AuthenticateParams, AuthenticateResult, BridgeId, Call, ConnectParams, ConnectResult,
    HandleParams, Health, Hello, ParseFailure, PinStatusResult, READERS_EVENT, ReadFileParams,
    ReadFileResult, Reader, ReaderState, ReadersEvent, ReadersResult, Request, SimulateParams,
    Simulation, TransmitParams, TransmitResult, answer, method, readers_event,
};

/// The protocol version this contract describes.
pub const PROTOCOL_VERSION: u32 = 1;
/// The bridge's default port.
pub const DEFAULT_PORT: u16 = 27450;
