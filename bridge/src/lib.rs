//! # myna-bridge — the local bridge between a web page and the card reader
//!
//! The bridge is the trust boundary of myna-web: a browser page talks to it over a loopback
//! WebSocket, and it alone talks to the card, enforcing an APDU policy and performing
//! PIN-and-sign itself (see `ARCHITECTURE.md`).
//!
//! ## Modules
//! - [`personas`]: the test card holders (certificates, keys, PINs, insurance records),
//!   embedded in the binary; shared with the eligibility service simulator.
//! - [`virtual_card`]: a virtual My Number Card that answers APDUs like the real one, with
//!   an APDU log and a timing model, for tests, benchmarks and the demo.
//! - [`vpcd`]: connects a virtual card to `pcscd` through vsmartcard's `vpcd` reader driver,
//!   so real PC/SC clients (OpenSC, the bridge's own PC/SC path) see it as a card in a reader.
//!
//! - [`policy`]: what `transmit` may send to the card (profile `eligibility`).
//! - [`protocol`], [`gate`], [`server`], [`config`]: wire protocol v1 frames, the Origin/Host
//!   checks before the WebSocket upgrade, the loopback HTTP/WebSocket server, configuration.
//! - [`logging`]: the log subscriber, with a cap `RUST_LOG` cannot lift on other crates'
//!   targets (a WebSocket library logs frames, PINs included, at `trace`).
//! - [`initial_config`]: the first `bridge.toml`, written by installers, never overwritten.
//! - [`cards`]: one worker thread per reader owning the card link; sessions, transactions,
//!   `readFile`, `pinStatus` and `authenticate` over `myna-core`'s JPKI client.
//! - [`last_try`]: the last PIN try needs the card presented again.
//! - [`backend`], [`pcsc_backend`], [`sim_backend`]: where cards live — the real PC/SC stack
//!   or the in-process virtual reader of `--simulate`.
//!
//! ## What it does not do
//! The card protocol itself (building APDUs, reading certificates, the signed message) lives
//! in `myna-core`, which does no I/O; this crate adds sockets, threads and time.
//!
//! ## Threads and blocking
//! The virtual card is plain synchronous state behind a mutex ([`virtual_card::SharedCard`]);
//! it never sleeps — it *returns* the delay its timing model asks for. The vpcd adapter runs
//! on its own thread with blocking sockets and sleeps that delay before answering.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod backend;
pub mod cards;
pub mod config;
#[doc(hidden)]
pub mod fuzzing;
pub mod gate;
pub mod initial_config;
pub mod last_try;
pub mod logging;
pub mod pcsc_backend;
pub use myna_personas as personas;
pub mod policy;
pub mod protocol;
pub mod server;
pub mod sim_backend;
pub mod virtual_card;
pub mod vpcd;
