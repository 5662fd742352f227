//! The bridge's log: `tracing` to stderr, filtered by `RUST_LOG` — under a cap that
//! `RUST_LOG` cannot lift.
//!
//! Why the cap: the PIN reaches the bridge inside a WebSocket text frame
//! (`{"method":"authenticate","params":{…,"pin":"…"}}`). Before the bridge's own code sees it,
//! the WebSocket library has parsed that frame, and at `trace` it logs every frame it receives
//! — `tungstenite` writes `Received message {…"pin":"1234"…}` and the frame's payload in
//! hex. With `RUST_LOG=trace` (the first thing anyone debugging a reader problem sets) the
//! PIN would land in a log file (issue 11). The bridge cannot stop a library from parsing
//! the frame, so it stops the library's words from reaching any output:
//!
//! - events of the bridge's own crates (`myna_bridge`, `myna_core`) pass at whatever level
//!   `RUST_LOG` asks for — they never carry a PIN (docs/security.md T14, and a test that
//!   runs the binary at `trace`);
//! - every other target — the WebSocket, HTTP and runtime libraries, and whatever a future
//!   dependency logs — is capped at [`DEPENDENCY_CAP`] (`info`), whatever `RUST_LOG` says.
//!   Libraries log payloads at `debug`/`trace`, not at `info`.
//!
//! The cap is an allowlist of our targets, not a denylist of known chatty libraries, so a
//! new dependency cannot bring the leak back. `log`-crate records (tungstenite uses `log`)
//! reach `tracing` through `tracing-log` with their module path as the target and are capped
//! the same way. What is lost: `RUST_LOG=hyper=trace` no longer shows hyper's internals;
//! debug those in a test build, never in a clinic.

use tracing::level_filters::LevelFilter;
use tracing_subscriber::Layer as _;
use tracing_subscriber::filter::{EnvFilter, FilterExt as _, Targets};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// The highest level at which other crates' events are written.
pub const DEPENDENCY_CAP: LevelFilter = LevelFilter::INFO;

/// The crates whose events pass at any level.
pub const OWN_TARGETS: [&str; 2] = ["myna_bridge", "myna_core"];

/// The cap: our targets at any level, everything else at most [`DEPENDENCY_CAP`].
pub fn cap() -> Targets {
    OWN_TARGETS
        .iter()
        .fold(Targets::new(), |t, target| {
            t.with_target(*target, LevelFilter::TRACE)
        })
        .with_default(DEPENDENCY_CAP)
}

/// Installs the bridge's subscriber: `RUST_LOG` (default `info`) under [`cap`], to stderr.
pub fn init() {
    let from_env = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_filter(from_env.and(cap()));
    tracing_subscriber::registry().with(layer).init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_trace_filter_does_not_lift_the_cap_on_dependencies() {
        let sink = Sink::default();
        let writer = sink.clone();
        let layer = tracing_subscriber::fmt::layer()
            .with_writer(move || writer.clone())
            .with_filter(EnvFilter::new("trace").and(cap()));
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            tracing::trace!(target: "tungstenite::protocol", "frame-payload-secret");
            tracing::debug!(target: "hyper::proto::h1", "hyper-debug-secret");
            tracing::info!(target: "hyper::server", "dependency-info-visible");
            tracing::trace!(target: "myna_bridge::cards", "own-trace-visible");
            tracing::trace!(target: "myna_core::jpki", "core-trace-visible");
        });
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert!(!text.contains("secret"), "{text}");
        for visible in ["dependency-info", "own-trace", "core-trace"] {
            assert!(text.contains(visible), "{visible} missing: {text}");
        }
    }
}
