//! Starting the PC/SC daemon for the tests that run on the real pcscd + vpcd path.
//!
//! pcscd does not start by itself on these machines (no systemd socket activation), so the
//! test command starts it in the foreground as a child and stops it when done. If a pcscd is
//! already answering on its socket, that one is used and left alone.

use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// Where Debian's pcscd listens.
pub const SOCKET: &str = "/run/pcscd/pcscd.comm";

/// A pcscd this process started; stopped on drop.
pub struct Pcscd {
    child: Option<Child>,
}

fn answering() -> bool {
    UnixStream::connect(SOCKET).is_ok()
}

impl Pcscd {
    /// Uses the running pcscd, or starts one and waits until its socket answers.
    pub fn ensure_running() -> Result<Pcscd> {
        if answering() {
            println!("xtask: using the pcscd already running");
            return Ok(Pcscd { child: None });
        }
        let program = ["/usr/sbin/pcscd", "/usr/bin/pcscd"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .context("pcscd is not installed")?;
        let child = Command::new(program)
            .arg("--foreground")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {program}"))?;
        let mut guard = Pcscd { child: Some(child) };
        let deadline = Instant::now() + Duration::from_secs(15);
        while !answering() {
            if let Some(status) = guard
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                bail!("pcscd exited at start ({status}); is another one holding {SOCKET}?");
            }
            if Instant::now() > deadline {
                bail!("pcscd did not open {SOCKET} within 15 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        println!("xtask: started pcscd");
        Ok(guard)
    }
}

impl Drop for Pcscd {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGTERM lets pcscd remove its socket and pid file.
            let _ = Command::new("kill").arg(child.id().to_string()).status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
