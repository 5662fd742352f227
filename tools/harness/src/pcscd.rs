//! The PC/SC daemon for what runs on the real pcscd + vpcd path.
//!
//! pcscd does not start by itself on these machines (no systemd socket activation), so the
//! tools start it in the foreground as a child and stop it when done. If a pcscd already
//! answers on its socket, that one is used and left alone.

use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::{Error, Output, Proc, Result};

/// Where Debian's pcscd listens.
pub const PCSCD_SOCKET: &str = "/run/pcscd/pcscd.comm";

/// How long pcscd may take to open its socket.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// A pcscd: the one already running, or one this process started (stopped on drop: SIGTERM
/// lets pcscd remove its socket and pid file).
#[derive(Debug)]
pub struct Pcscd {
    _child: Option<Proc>,
}

fn answering() -> bool {
    UnixStream::connect(PCSCD_SOCKET).is_ok()
}

impl Pcscd {
    /// Uses the running pcscd, or starts one and waits until its socket answers.
    pub fn ensure_running() -> Result<Pcscd> {
        if answering() {
            println!("harness: using the pcscd already running");
            return Ok(Pcscd { _child: None });
        }
        let program = ["/usr/sbin/pcscd", "/usr/bin/pcscd"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .ok_or_else(|| Error::Missing("pcscd".into()))?;
        let mut cmd = Command::new(program);
        cmd.arg("--foreground");
        let mut child = Proc::spawn("pcscd", cmd, Output::Discard)?;
        let deadline = Instant::now() + START_TIMEOUT;
        while !answering() {
            if child.exited() {
                // Another pcscd holding the socket is the usual reason.
                child.check_running()?;
            }
            if Instant::now() > deadline {
                return Err(Error::Timeout {
                    what: format!("pcscd to open {PCSCD_SOCKET}"),
                    after: START_TIMEOUT,
                    detail: None,
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        println!("harness: started pcscd");
        Ok(Pcscd {
            _child: Some(child),
        })
    }
}
