//! The real `myna-bridge` binary as a child process, and a small WebSocket client for it.
//!
//! Tests that make promises about the process — what reaches stderr, how much memory it
//! holds, how it exits — run the binary itself, not the library in the test's process.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use myna_bridge::cards::Cards;
use myna_bridge::gate::Gate;
use myna_bridge::server::{self, AppState, Simulator, Timeouts};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

pub const BIN: &str = env!("CARGO_BIN_EXE_myna-bridge");
pub const ORIGIN: &str = "https://reception.clinic.example.jp";
/// The simulated reader's name (`sim_backend::READER_NAME`).
pub const READER: &str = "myna-web Virtual Reader";

/// A running bridge; killed on drop.
pub struct Bridge {
    pub child: Child,
    pub addr: SocketAddr,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

fn drain(stream: impl std::io::Read + Send + 'static, into: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stream);
        let mut line = Vec::new();
        while lines.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
            into.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&line));
            line.clear();
        }
    });
}

impl Bridge {
    /// Starts `sh -c "<prefix> exec myna-bridge --listen 127.0.0.1:0 --allow-origin ORIGIN
    /// --config /dev/null <args>"` with `env`, and waits until it listens.
    pub fn start_with(shell_prefix: &str, args: &[&str], env: &[(&str, &str)]) -> Bridge {
        let mut argv = vec![
            "--listen",
            "127.0.0.1:0",
            "--allow-origin",
            ORIGIN,
            "--config",
            "/dev/null",
        ];
        argv.extend_from_slice(args);
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(format!("{shell_prefix} exec \"$0\" \"$@\""))
            .arg(BIN)
            .args(&argv)
            .env_remove("RUST_LOG")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawning myna-bridge");
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        drain(child.stdout.take().unwrap(), stdout.clone());
        drain(child.stderr.take().unwrap(), stderr.clone());
        let deadline = Instant::now() + Duration::from_secs(30);
        let addr = loop {
            if let Some(addr) = stderr
                .lock()
                .unwrap()
                .split("listening on ws://")
                .nth(1)
                .and_then(|rest| rest.split("/v1").next())
                .and_then(|a| a.parse::<SocketAddr>().ok())
            {
                break addr;
            }
            if let Some(status) = child.try_wait().unwrap() {
                panic!("myna-bridge exited ({status}): {}", stderr.lock().unwrap());
            }
            assert!(Instant::now() < deadline, "myna-bridge did not start");
            std::thread::sleep(Duration::from_millis(20));
        };
        Bridge {
            child,
            addr,
            stdout,
            stderr,
        }
    }

    /// `--simulate` with `RUST_LOG` as given.
    pub fn simulate(rust_log: &str) -> Bridge {
        Bridge::start_with("", &["--simulate"], &[("RUST_LOG", rust_log)])
    }

    /// Everything written to stdout and stderr so far.
    pub fn output(&self) -> (String, String) {
        (
            self.stdout.lock().unwrap().clone(),
            self.stderr.lock().unwrap().clone(),
        )
    }

    /// Resident set size now, in KiB (Linux: `/proc/PID/status`).
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("reading /proc/PID/status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/PID/status")
    }

    /// CPU time used so far (user + system), from `/proc/PID/stat`.
    pub fn cpu_time(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        let fields: Vec<&str> = rest.split(' ').collect();
        let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
        // USER_HZ is 100 on every Linux this project targets.
        Duration::from_millis(ticks * 10)
    }

    /// Stops the bridge (SIGTERM, then SIGKILL) and returns its output.
    pub fn stop(mut self) -> (String, String) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait().unwrap().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::thread::sleep(Duration::from_millis(100));
        self.output()
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `command` to its exit, killing it after `timeout` (a bridge that should have
/// refused to start but serves instead must fail the test, not hang it).
pub fn run_to_exit(command: &mut Command, timeout: Duration) -> std::process::Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + timeout;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Runs `command` to its exit (see [`run_to_exit`]), which must be a failure; its stderr.
pub fn refused(command: &mut Command) -> String {
    let out = run_to_exit(command, Duration::from_secs(20));
    assert!(!out.status.success(), "not refused: {out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens `ws://ADDR/v1` from [`ORIGIN`]; `Err` carries the HTTP status of a refusal.
pub async fn open(addr: SocketAddr) -> Result<Ws, Option<u16>> {
    let mut request = format!("ws://{addr}/v1").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Origin", ORIGIN.parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            Err(Some(response.status().as_u16()))
        }
        Err(_) => Err(None),
    }
}

/// A bridge served by the library in this test's process on a free loopback port, allowing
/// [`ORIGIN`].
pub async fn serve(
    cards: Arc<Cards>,
    timeouts: Timeouts,
    simulator: Option<Arc<dyn Simulator>>,
) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = Arc::new(AppState {
        timeouts,
        gate: Gate::new(addr.port(), [ORIGIN.to_string()]),
        cards,
        simulator,
        sockets: Default::default(),
    });
    tokio::spawn(server::serve(listener, state, std::future::pending()));
    addr
}

/// A client with request ids; the events that arrive are kept in `events`.
pub struct Client {
    pub ws: Ws,
    next: u64,
    pub events: Vec<Value>,
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> Client {
        Client::from_ws(open(addr).await.expect("the bridge accepts the WebSocket"))
    }

    pub fn from_ws(ws: Ws) -> Client {
        Client {
            ws,
            next: 1,
            events: Vec::new(),
        }
    }

    /// Sends `text` as is (a text frame) and returns the next answer that is not an event.
    pub async fn frame(&mut self, text: String) -> Value {
        self.ws.send(Message::Text(text.into())).await.unwrap();
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(30), self.ws.next())
                .await
                .expect("an answer")
                .expect("open")
                .unwrap();
            let Message::Text(t) = msg else { continue };
            let v: Value = serde_json::from_str(&t).unwrap();
            if v.get("event").is_some() {
                self.events.push(v);
                continue;
            }
            return v;
        }
    }

    /// Sends `frame` as is and returns the answer with its id.
    pub async fn send_raw(&mut self, id: u64, frame: String) -> Result<Value, Value> {
        let v = self.frame(frame).await;
        assert_eq!(v["id"], id);
        match v.get("result") {
            Some(r) => Ok(r.clone()),
            None => Err(v["error"].clone()),
        }
    }

    /// A request; the whole answer (`{"id", "result"}` or `{"id", "error"}`).
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id();
        let v = self
            .frame(json!({"id": id, "method": method, "params": params}).to_string())
            .await;
        assert_eq!(v["id"], id);
        v
    }

    pub async fn call(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        let id = self.next_id();
        self.send_raw(
            id,
            json!({"id": id, "method": method, "params": params}).to_string(),
        )
        .await
    }

    /// `pinStatus` on `handle`.
    pub async fn pin_status(&mut self, handle: u64) -> Result<Value, Value> {
        self.call("pinStatus", json!({"handle": handle})).await
    }

    /// `transmit` of `apdu` (hex) on `handle`.
    pub async fn transmit(&mut self, handle: u64, apdu: &str) -> Result<Value, Value> {
        self.call("transmit", json!({"handle": handle, "apdu": apdu}))
            .await
    }

    /// `readFile` of `file` (hex file ID) on `handle`.
    pub async fn read_file(&mut self, handle: u64, file: &str) -> Result<Value, Value> {
        self.call("readFile", json!({"handle": handle, "file": file}))
            .await
    }

    /// `connect` to `reader`: the session's handle.
    pub async fn open(&mut self, reader: &str) -> u64 {
        let v = self.request("connect", json!({"reader": reader})).await;
        v["result"]["handle"]
            .as_u64()
            .unwrap_or_else(|| panic!("{v}"))
    }

    pub fn next_id(&mut self) -> u64 {
        let id = self.next;
        self.next += 1;
        id
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
        // Wait for the bridge's close (or the end of the stream).
        let _ = tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(Ok(_)) = self.ws.next().await {}
        })
        .await;
    }
}

/// Polls `until` every 20 ms until it holds or `within` has passed; whether it held.
pub async fn eventually(within: Duration, mut until: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    while !until() {
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    true
}

/// One connect–authenticate–disconnect session (what a reception check does), PIN `pin`.
pub async fn session(addr: SocketAddr, nonce: &str, pin: &str) -> Value {
    let mut c = Client::connect(addr).await;
    c.call("hello", json!({})).await.unwrap();
    let handle = c.open(READER).await;
    let auth = c
        .call(
            "authenticate",
            json!({"handle": handle, "nonce": nonce, "pin": pin, "allowLastAttempt": false}),
        )
        .await;
    c.call("disconnect", json!({"handle": handle}))
        .await
        .unwrap();
    c.close().await;
    auth.expect("authenticate succeeds")
}
