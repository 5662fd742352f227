//! # myna-bench — the measuring instruments behind `cargo xtask bench`
//!
//! `cargo xtask bench` builds the bridge, the service and this crate in release mode, starts
//! pcscd, and runs `myna-bench run`, which measures everything in one process and one run
//! (see [`run`] for the order), holds the figures to their targets ([`report::TARGETS`]),
//! prints a table and writes `target/bench/report.json`. Method and latest figures:
//! `docs/benchmarks.md`.
//!
//! ## What is measured where
//! - The **virtual card** runs in this process, in a vpcd reader of the real pcscd
//!   ([`myna_harness::vpcd`]), so its APDU log — every command, with the timing model's
//!   delay — is read directly. The **bridge** and the **service** run as their release binaries in child
//!   processes ([`procs`]), reached over real loopback sockets as a page reaches them
//!   ([`ws`], [`http`]).
//! - [`apdus`]: the PIN and visual flows' commands, the minimum for the same operations,
//!   OpenSC's commands. [`overhead`]: one APDU through WebSocket + bridge against direct
//!   PC/SC, and direct PC/SC against a loopback TCP round trip. [`e2e`]: a whole PIN
//!   confirmation against the same APDUs sent by a direct PC/SC client ([`direct`]) in the
//!   same run, for the card and for the Android persona's phone (its order); with the virtual card's timing model (modelled, not measured) as a second,
//!   reported figure. [`service`]: confirmations per CPU-second of the service against
//!   RSA-2048 verifications per CPU-second. [`idle`]: the idle bridge from `/proc`.
//!   [`wasm`]: the npm package in headless Chromium.
//!
//! ## What it does not do
//! It asserts no absolute speed anywhere: the machine is shared and noisy. Speed targets are
//! ratios of figures taken side by side in the same run; unit tests check the arithmetic and
//! the parsing, never a duration.
#![forbid(unsafe_code)]

pub mod apdus;
pub mod direct;
pub mod e2e;
pub mod http;
pub mod idle;
pub mod memory;
pub mod overhead;
pub mod procs;
pub mod report;
pub mod run;
pub mod service;
pub mod stats;
pub mod wasm;
pub mod ws;
