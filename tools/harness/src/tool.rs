//! Running a command-line tool to completion (OpenSC's `opensc-tool`, `pkcs15-tool`,
//! `pkcs11-tool`: the benchmark's OpenSC count and the virtual card's interop tests run them
//! the same way, through this one copy).

use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::{Error, Result};

/// What a finished tool said.
#[derive(Debug, Clone)]
pub struct ToolOutput {
    /// How it ended.
    pub status: ExitStatus,
    /// Its standard output (lossy UTF-8).
    pub stdout: String,
    /// Its standard error (lossy UTF-8).
    pub stderr: String,
}

impl ToolOutput {
    /// Whether it exited with status 0.
    pub fn success(&self) -> bool {
        self.status.success()
    }
}

/// Runs `command` with no standard input and both outputs captured (read while it runs, so a
/// chatty tool cannot fill a pipe and stall), and waits for it to exit. After `timeout` it is
/// killed and the answer is [`Error::Timeout`]; a tool that cannot start is [`Error::Io`].
/// A non-zero exit is not an error here: the caller reads [`ToolOutput::success`].
pub fn run_tool(mut command: Command, timeout: Duration) -> Result<ToolOutput> {
    let name = command.get_program().to_string_lossy().into_owned();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(Error::io(format!("starting {name}")))?;
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let status = wait_for_exit(&mut child, &name, timeout)?;
    Ok(ToolOutput {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

/// Waits up to `timeout` for `child` to exit; kills it (and reaps it) after that, answering
/// [`Error::Timeout`] naming `name`.
pub fn wait_for_exit(child: &mut Child, name: &str, timeout: Duration) -> Result<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child
            .try_wait()
            .map_err(Error::io(format!("waiting for {name}")))?
        {
            return Ok(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Error::Timeout {
                what: format!("{name} to finish"),
                after: timeout,
                detail: None,
            });
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn drain(pipe: Option<impl std::io::Read + Send + 'static>) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_and_status_are_captured() {
        let mut sh = Command::new("sh");
        sh.args(["-c", "echo out; echo err >&2; exit 3"]);
        let out = run_tool(sh, Duration::from_secs(10)).unwrap();
        assert!(!out.success());
        assert_eq!(out.status.code(), Some(3));
        assert_eq!(
            (out.stdout.as_str(), out.stderr.as_str()),
            ("out\n", "err\n")
        );
    }

    #[test]
    fn a_large_output_does_not_stall_and_a_hung_tool_is_killed() {
        let mut sh = Command::new("sh");
        sh.args(["-c", "head -c 1000000 /dev/zero | tr '\\0' x"]);
        let out = run_tool(sh, Duration::from_secs(30)).unwrap();
        assert!(out.success());
        assert_eq!(out.stdout.len(), 1_000_000);
        let mut sleep = Command::new("sleep");
        sleep.arg("30");
        let started = Instant::now();
        let err = run_tool(sleep, Duration::from_millis(200)).unwrap_err();
        assert!(matches!(err, Error::Timeout { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(10));
        let missing = run_tool(Command::new("/nonexistent/tool"), Duration::from_secs(1));
        assert!(matches!(missing, Err(Error::Io { .. })));
    }
}
