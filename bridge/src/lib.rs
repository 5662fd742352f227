//! # myna-bridge — the local bridge between a web page and the card reader
//!
//! The bridge is the trust boundary of myna-web: a browser page talks to it over a loopback
//! WebSocket, and it alone talks to the card, enforcing an APDU policy and performing
//! PIN-and-sign itself (see `ARCHITECTURE.md`). This crate is the daemon only: the virtual
//! card and its vpcd adapter are the crate `myna-virtual-card`, which the `--simulate`
//! backend ([`sim_backend`]) and the `myna-bridge virtual-card` command use.
//!
//! ## Modules
//! - [`personas`]: the test card holders (certificates, keys, PINs, insurance records),
//!   embedded in the binary; shared with the eligibility service simulator.
//! - [`policy`]: what `transmit` may send to the card (profile `eligibility`), read from
//!   the card table `myna_core::profile`.
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
//! in `myna-core`, which does no I/O; this crate adds sockets, threads and time. It does not
//! simulate cards (`myna-virtual-card` does).
//!
//! ## Threads
//! `myna-bridge` (serving) runs these, and nothing else:
//!
//! - **The main thread** parses flags, loads `bridge.toml`, picks the backend, then blocks
//!   in `Runtime::block_on(server::run(…))` until a shutdown signal.
//! - **A tokio multi-thread runtime with two workers** ([`server`]): the accept loop (one
//!   task; at most [`server::MAX_HTTP_CONNECTIONS`] connections, each its own task with a
//!   request-head timeout), and per WebSocket two tasks — the reader, which parses frames
//!   and awaits card jobs, and a writer that owns the socket's sink, sends answers, reader
//!   events and the ping every [`server::PING_INTERVAL`]. Ctrl-C / SIGTERM
//!   ([`server::shutdown_signal`]) ends the accept loop and closes the connections. Nothing
//!   on the runtime blocks: PC/SC calls never run there.
//! - **One card worker thread per reader** (`card <reader name>`, [`cards`]), started on the
//!   first request for that reader. It owns the reader's card link (its own PC/SC context and
//!   card handle) and runs jobs from a FIFO channel one at a time, each inside one PC/SC
//!   transaction; the async side waits for the answer on a oneshot channel with a timeout
//!   ([`cards::OPERATION_TIMEOUT`], [`cards::AUTHENTICATE_TIMEOUT`]), so a hung reader answers
//!   `timeout`, never a hang, and a job whose waiter gave up is not started.
//! - **The hot-plug monitor thread** (`pcsc-monitor`, [`pcsc_backend`]) owns one PC/SC context
//!   and blocks in `SCardGetStatusChange` over every reader plus the PnP pseudo reader; it
//!   publishes each change as a [`backend::Snapshot`] on a `tokio::sync::watch` channel,
//!   which every connection's reader task turns into `readers` events. When the service goes
//!   away (pcscd restart, Windows stopping SCardSvr) it reports `service: false` and
//!   re-establishes its context. Shutdown cancels its wait from another thread.
//!
//! With `--simulate` there is no monitor thread: the virtual reader publishes its snapshots
//! itself when a page inserts or removes a card, and the card worker drives the in-process
//! virtual card under its mutex, sleeping the card's timing model there (never on the
//! runtime). `myna-bridge virtual-card` runs no server at all: the vpcd adapter's thread
//! (`myna_virtual_card::vpcd`) and the main thread waiting for Ctrl-C.
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
