//! Child processes with their output in a log file, stopped on drop.

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::{Error, Result, http_get_status};

/// How long a start-up wait ([`Proc::wait_tcp`], [`Proc::wait_http`]) lasts.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long [`Proc::stop`] gives a process between SIGTERM and SIGKILL.
const TERM_GRACE: Duration = Duration::from_secs(5);
/// How many lines of its log an error shows.
const TAIL_LINES: usize = 15;

/// Where a child's stdout and stderr go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output<'a> {
    /// A log file, truncated first.
    Fresh(&'a Path),
    /// A log file, appended to (a bridge restarted within one scenario writes on in the same
    /// file).
    Append(&'a Path),
    /// This process's terminal (`cargo xtask demo`).
    Terminal,
    /// Nowhere.
    Discard,
}

/// A running child process, stopped (SIGTERM, then SIGKILL after 5 s) and reaped on drop.
#[derive(Debug)]
pub struct Proc {
    name: String,
    child: Child,
    log: Option<PathBuf>,
}

impl Proc {
    /// Spawns `cmd` as `name`, stdin closed, stdout and stderr to `output` (a log's folder
    /// is created).
    pub fn spawn(name: &str, mut cmd: Command, output: Output<'_>) -> Result<Proc> {
        let log = match output {
            Output::Fresh(path) | Output::Append(path) => {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)
                        .map_err(Error::io(format!("creating {}", dir.display())))?;
                }
                let opened = || Error::io(format!("opening {}", path.display()));
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .write(true)
                    .append(matches!(output, Output::Append(_)))
                    .truncate(matches!(output, Output::Fresh(_)))
                    .open(path)
                    .map_err(opened())?;
                cmd.stdout(file.try_clone().map_err(opened())?).stderr(file);
                Some(path.to_path_buf())
            }
            Output::Terminal => None,
            Output::Discard => {
                cmd.stdout(Stdio::null()).stderr(Stdio::null());
                None
            }
        };
        let child = cmd.stdin(Stdio::null()).spawn().map_err(Error::io(format!(
            "starting {}",
            cmd.get_program().to_string_lossy()
        )))?;
        Ok(Proc {
            name: name.to_owned(),
            child,
            log,
        })
    }

    /// The name it was started under.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// How it ended, if it has.
    pub fn exit_status(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Whether the process has exited.
    pub fn exited(&mut self) -> bool {
        self.exit_status().is_some()
    }

    /// [`Error::Exited`] (with the end of its log) if the process has exited.
    pub fn check_running(&mut self) -> Result<()> {
        match self.child.try_wait() {
            Ok(Some(status)) => Err(Error::Exited {
                name: self.name.clone(),
                status,
                log_tail: self.log_tail(),
            }),
            Ok(None) => Ok(()),
            Err(e) => Err(Error::io(format!("waiting for {}", self.name))(e)),
        }
    }

    /// The last lines of the process's log (empty without a log file).
    pub fn log_tail(&self) -> String {
        let Some(log) = &self.log else {
            return String::new();
        };
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
    }

    /// Polls `ready` until it says yes; fails if the process exits first or 30 s pass.
    fn wait_ready(&mut self, what: &str, mut ready: impl FnMut() -> bool) -> Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            self.check_running()?;
            if ready() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(Error::Timeout {
                    what: format!("{} to {what}", self.name),
                    after: START_TIMEOUT,
                    detail: Some(format!("its log ends with:\n{}", self.log_tail())),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until something accepts connections on loopback `port`.
    pub fn wait_tcp(&mut self, port: u16) -> Result<()> {
        self.wait_ready(&format!("listen on port {port}"), || {
            TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok()
        })
    }

    /// Waits until `GET path` on `addr` answers with a status `accept` takes (e.g.
    /// `|s| s == 200`, or `|_| true` for any HTTP answer).
    pub fn wait_http(
        &mut self,
        addr: SocketAddr,
        path: &str,
        accept: impl Fn(u16) -> bool,
    ) -> Result<()> {
        self.wait_ready(&format!("answer GET {path} on {addr}"), || {
            http_get_status(addr, path).is_ok_and(&accept)
        })
    }

    /// SIGTERM, then SIGKILL if it has not exited within 5 s; reaps it.
    pub fn stop(&mut self) {
        if !self.exited() {
            let _ = Command::new("kill")
                .arg(self.child.id().to_string())
                .stderr(Stdio::null())
                .status();
            let deadline = Instant::now() + TERM_GRACE;
            while Instant::now() < deadline && !self.exited() {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }

    /// SIGKILL at once (a crash, or a card pulled out of the reader), and reaps it.
    pub fn kill_now(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Drop finds it exited and does nothing more.
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_log(name: &str) -> PathBuf {
        std::env::temp_dir()
            .join(format!("myna-harness-{}", std::process::id()))
            .join(name)
    }

    fn sh(script: &str) -> Command {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", script]);
        cmd
    }

    #[test]
    fn a_dead_process_is_reported_with_its_log() {
        let log = temp_log("dies.log");
        let mut p = Proc::spawn(
            "dies",
            sh("echo first; echo last words; exit 3"),
            Output::Fresh(&log),
        )
        .unwrap();
        let err = p.wait_tcp(free_port_for_test()).unwrap_err();
        let Error::Exited { name, log_tail, .. } = err else {
            panic!("not Exited: {err}");
        };
        assert_eq!(name, "dies");
        assert!(log_tail.ends_with("last words"), "{log_tail}");
    }

    #[test]
    fn logs_are_fresh_or_appended() {
        let log = temp_log("modes.log");
        for (output, line) in [(Output::Fresh(&log), "one"), (Output::Append(&log), "two")] {
            let mut p = Proc::spawn("echo", sh(&format!("echo {line}")), output).unwrap();
            p.child.wait().unwrap();
        }
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "one\ntwo\n");
        let mut p = Proc::spawn("echo", sh("echo three"), Output::Fresh(&log)).unwrap();
        p.child.wait().unwrap();
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "three\n");
    }

    #[test]
    fn drop_stops_a_running_process() {
        let log = temp_log("sleeps.log");
        let mut p = Proc::spawn("sleeps", sh("exec sleep 60"), Output::Fresh(&log)).unwrap();
        p.check_running().unwrap();
        let pid = p.pid();
        let started = Instant::now();
        drop(p);
        assert!(started.elapsed() < TERM_GRACE, "SIGTERM was not enough");
        assert!(!Path::new(&format!("/proc/{pid}")).exists());
    }

    fn free_port_for_test() -> u16 {
        crate::free_port().unwrap()
    }
}
