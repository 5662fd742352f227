//! The harness's errors: what failed and, for a child process, the end of its log.

use std::process::ExitStatus;
use std::time::Duration;

/// What went wrong starting, waiting for or talking to something.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O error while doing `what`.
    #[error("{what}: {source}")]
    Io {
        /// What was being done (`starting /usr/sbin/pcscd`, …).
        what: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A child process exited while it was expected to run.
    #[error("{name} exited ({status}); its log ends with:\n{log_tail}")]
    Exited {
        /// The process's name.
        name: String,
        /// How it ended.
        status: ExitStatus,
        /// The last lines of its log.
        log_tail: String,
    },
    /// A wait ran past its deadline.
    #[error("timed out after {after:?} waiting for {what}{}", detail.as_deref().map(|d| format!("; {d}")).unwrap_or_default())]
    Timeout {
        /// What was awaited.
        what: String,
        /// The deadline.
        after: Duration,
        /// What was seen meanwhile (a process's log, a page's state), if anything.
        detail: Option<String>,
    },
    /// An answer that is not what the protocol says (not HTTP/1.1, not a driver line).
    #[error("{0}")]
    Protocol(String),
    /// The browser driver refused a command.
    #[error("browser driver: {op}: {message}")]
    Driver {
        /// The command (`click`, `goto`, …).
        op: String,
        /// The driver's message.
        message: String,
    },
    /// Something the harness needs does not answer or is not there (pcscd, a vpcd reader).
    #[error("{0}")]
    Unavailable(String),
    /// A program the harness needs is not installed.
    #[error("{0} is not installed")]
    Missing(String),
}

impl Error {
    /// An [`Error::Io`] for `what`.
    pub fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let what = what.into();
        move |source| Error::Io { what, source }
    }
}

/// The harness's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;
