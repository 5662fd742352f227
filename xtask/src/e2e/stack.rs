//! The processes one browser's scenarios run against: the bridge on the real PC/SC path, the
//! virtual card in pcscd's vpcd reader (swapped by restarting it with another persona, pulled
//! out by killing it), and the service with the page. Each is a [`Proc`]: its output in
//! `target/e2e/<browser>/NAME.log`, stopped on drop.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;
use myna_harness::{Output, Proc, free_port};

/// The vpcd reader pcscd offers (`Virtual PCD 00 00`).
const VPCD: &str = "127.0.0.1:35963";

/// The bridge, the service and the card of one browser's run (fresh ports, fresh database).
pub struct Stack {
    root: PathBuf,
    work: PathBuf,
    bin: PathBuf,
    demo_port: u16,
    db: PathBuf,
    demo: Option<Proc>,
    card: Option<Proc>,
    bridge_port: u16,
    bridge: Option<Proc>,
}

impl Stack {
    /// A stack (nothing started yet) with the binaries of `bin`, logs in `work`, the
    /// service's database at `db` and two free ports.
    pub fn new(root: &Path, work: &Path, bin: PathBuf, db: PathBuf) -> Result<Stack> {
        Ok(Stack {
            root: root.to_path_buf(),
            work: work.to_path_buf(),
            bin,
            demo_port: free_port()?,
            db,
            demo: None,
            card: None,
            bridge_port: free_port()?,
            bridge: None,
        })
    }

    /// The page's origin (the service serves it).
    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.demo_port)
    }

    /// The bridge's port.
    pub fn bridge_port(&self) -> u16 {
        self.bridge_port
    }

    /// Starts `name` (`program` of the binaries, with `args`), appending its output to `log`
    /// in the work directory.
    fn start(&self, name: &str, program: &str, args: &[String], log: &str) -> Result<Proc> {
        let mut cmd = Command::new(self.bin.join(program));
        cmd.args(args);
        Ok(Proc::spawn(
            name,
            cmd,
            Output::Append(&self.work.join(log)),
        )?)
    }

    /// Starts `program` with `args` (its output in `log`), which make it listen on
    /// `127.0.0.1:port`; returns once it accepts connections there.
    fn serve(&self, program: &str, args: &[String], port: u16, log: &str) -> Result<Proc> {
        let mut server = self.start(program, program, args, log)?;
        server.wait_tcp(port)?;
        Ok(server)
    }

    /// The service with the page (fresh database on first start; kept across restarts).
    pub fn start_demo(&mut self) -> Result<()> {
        let args = [
            "serve".into(),
            "--listen".into(),
            format!("127.0.0.1:{}", self.demo_port),
            "--db".into(),
            self.db.display().to_string(),
            "--pkg-dir".into(),
            self.root.join("pkg").display().to_string(),
            "--bridge-url".into(),
            format!("ws://127.0.0.1:{}/v1", self.bridge_port),
        ];
        let demo = self.serve("myna-demo", &args, self.demo_port, "demo.log")?;
        self.demo = Some(demo);
        Ok(())
    }

    /// The service goes away (SIGTERM: a network outage as the page sees it).
    pub fn stop_demo(&mut self) {
        self.demo = None;
    }

    /// The bridge on the real PC/SC path (no `--simulate`), allowing only the page's origin.
    pub fn start_bridge(&mut self) -> Result<()> {
        let args = [
            "--listen".into(),
            format!("127.0.0.1:{}", self.bridge_port),
            "--allow-origin".into(),
            self.origin(),
        ];
        let bridge = self.serve("myna-bridge", &args, self.bridge_port, "bridge.log")?;
        self.bridge = Some(bridge);
        Ok(())
    }

    /// The bridge dies at once (SIGKILL: a crash, not a clean stop).
    pub fn crash_bridge(&mut self) {
        if let Some(bridge) = self.bridge.take() {
            bridge.kill_now();
        }
    }

    /// Puts `persona`'s card in the vpcd reader (replacing the one there).
    pub fn insert(&mut self, persona: &str, realistic: bool) -> Result<()> {
        self.remove();
        let mut args = vec![
            "virtual-card".into(),
            "--vpcd".into(),
            VPCD.into(),
            "--persona".into(),
            persona.into(),
        ];
        if realistic {
            args.push("--realistic-timing".into());
        }
        let card = self.start("virtual card", "myna-bridge", &args, "virtual-card.log")?;
        self.card = Some(card);
        Ok(())
    }

    /// Pulls the card out (kills the virtual card at once).
    pub fn remove(&mut self) {
        if let Some(card) = self.card.take() {
            card.kill_now();
        }
    }
}
