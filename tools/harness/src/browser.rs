//! A headless browser driven by `xtask/browser/drive.mjs serve` (puppeteer-core), one JSON
//! line per command and per answer. Why that script drives every browser of the project
//! (Chromium over CDP, Firefox ESR over WebDriver BiDi) is said at its top and in xtask's
//! `browser.rs`.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{Error, Result};

/// How long the driver may take to close its browser after `quit`.
const QUIT_GRACE: Duration = Duration::from_secs(10);

/// One browser (a fresh profile each time it starts), driven by `drive.mjs serve`.
#[derive(Debug)]
pub struct Driver {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
    version: String,
}

impl Driver {
    /// Starts `node SCRIPT serve BROWSER off` (`browser`: `chromium` or `firefox`); the
    /// driver's stderr goes to `log`. Returns once the browser runs.
    pub fn start(script: &Path, browser: &str, log: &Path) -> Result<Driver> {
        let log_file =
            std::fs::File::create(log).map_err(Error::io(format!("creating {}", log.display())))?;
        let mut child = Command::new("node")
            .arg(script)
            .args(["serve", browser, "off"])
            .env("PUPPETEER_SKIP_DOWNLOAD", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .map_err(Error::io(format!("starting node {}", script.display())))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            unreachable!("both are piped above");
        };
        let mut driver = Driver {
            child,
            stdin,
            stdout: BufReader::new(stdout),
            next_id: 1,
            version: String::new(),
        };
        let hello = driver.read_answer("start")?;
        driver.version = hello["ok"].as_str().unwrap_or("").to_owned();
        Ok(driver)
    }

    /// What the browser says it is (`Chrome/156…`, `firefox/153…`).
    pub fn version(&self) -> &str {
        &self.version
    }

    fn read_answer(&mut self, op: &str) -> Result<Value> {
        let mut line = String::new();
        let read = self
            .stdout
            .read_line(&mut line)
            .map_err(Error::io(format!("reading the driver's answer to {op}")))?;
        if read == 0 {
            return Err(Error::Protocol(format!(
                "the browser driver exited during {op} (see its log)"
            )));
        }
        serde_json::from_str(&line)
            .map_err(|e| Error::Protocol(format!("driver answer {line:?}: {e}")))
    }

    /// Sends `op` with `args` (a JSON object); the answer's `ok` value.
    pub fn call(&mut self, op: &str, args: Value) -> Result<Value> {
        let id = self.next_id;
        self.next_id += 1;
        let mut request = args;
        request["id"] = json!(id);
        request["op"] = json!(op);
        writeln!(self.stdin, "{request}")
            .and_then(|()| self.stdin.flush())
            .map_err(Error::io(format!("sending {op} to the browser driver")))?;
        let answer = self.read_answer(op)?;
        if answer["id"] != json!(id) {
            return Err(Error::Protocol(format!(
                "driver answered {} to request {id}",
                answer["id"]
            )));
        }
        if let Some(error) = answer.get("error") {
            return Err(Error::Driver {
                op: op.to_owned(),
                message: error.as_str().unwrap_or("error").to_owned(),
            });
        }
        Ok(answer.get("ok").cloned().unwrap_or(Value::Null))
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "{}", json!({"op": "quit"}));
        let _ = self.stdin.flush();
        let deadline = Instant::now() + QUIT_GRACE;
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
