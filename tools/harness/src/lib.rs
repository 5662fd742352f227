//! # myna-harness — what the project's tools share
//!
//! `cargo xtask` (the end-to-end scenarios, the browser tests, the test command) and
//! `myna-bench` start the same kinds of things and wait for them the same way. This crate is
//! that one copy:
//! - [`free_port`]: a loopback port nobody listens on right now;
//! - [`Proc`]: a child process with its output in a log file, stopped on drop (SIGTERM, then
//!   SIGKILL after 5 s), so a failing test or measurement never leaves a bridge behind; it
//!   waits for its own port ([`Proc::wait_tcp`]) or HTTP answer ([`Proc::wait_http`]) and
//!   fails at once, with the end of its log, if the process dies meanwhile;
//! - [`wait_until`]: polling a condition with a deadline;
//! - [`run_tool`]: a command-line tool run to completion with its output captured and a
//!   deadline, and [`opensc`]'s facts about OpenSC (OpenSC's tools in the benchmark and the
//!   virtual card's interop tests);
//! - [`LoopbackServer`]: a TCP server on threads for the stand-ins of the browser tests;
//! - [`Pcscd`]: the PC/SC daemon, used if one answers, else started and stopped on drop;
//! - [`Driver`]: a headless browser driven by `xtask/browser/drive.mjs` (puppeteer-core) in
//!   JSON lines — the one browser driver of the project;
//! - `vpcd` (feature `vpcd`): a persona's virtual card in a vpcd reader of pcscd, for the
//!   benchmark's card phase and the virtual card's OpenSC interop tests;
//! - [`source_size`]: issue 15's size rule (no non-test source file over 900 lines), checked
//!   by `cargo xtask test` and reported by `myna-bench`.
//!
//! ## What it does not do
//! No async runtime and no HTTP client: everything blocks the calling thread, and the one
//! HTTP request it makes ([`http_get_status`]) is a plain HTTP/1.1 `GET` on loopback. It builds
//! nothing and installs nothing (`cargo xtask` does); it only runs what it is given. Unix only
//! (signals are sent with `kill(1)`: the workspace forbids `unsafe`).
#![forbid(unsafe_code)]

mod browser;
mod error;
pub mod opensc;
mod pcscd;
mod process;
mod server;
pub mod source_size;
mod tool;
#[cfg(feature = "vpcd")]
pub mod vpcd;
mod wait;

pub use browser::Driver;
pub use error::{Error, Result};
pub use pcscd::{PCSCD_SOCKET, Pcscd};
pub use process::{Output, Proc};
pub use server::LoopbackServer;
pub use tool::{ToolOutput, run_tool, wait_for_exit};
pub use wait::{free_port, http_get_status, wait_until};
