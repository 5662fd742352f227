//! `cargo xtask wasm-tests` — the browser module's tests in headless Chromium and Firefox ESR,
//! against real processes.
//!
//! 1. Builds `myna-bridge` and `myna-demo` (host) and the npm package (`pkg::run_pkg`, which
//!    prints the gzipped `.wasm` size and enforces its budget).
//! 2. Fixes the test page's address (`WASM_BINDGEN_TEST_ADDRESS=127.0.0.1:PORT`), so its origin
//!    `http://127.0.0.1:PORT` is known before the browser starts, and starts:
//!    - `myna-bridge --simulate --listen 127.0.0.1:B --allow-origin <page origin>` (it also
//!      allows `http://reception.test:PORT`, the same page made to look public for the Local
//!      Network Access runs below);
//!    - a second bridge that allows only another origin (the page must see `origin-refused`);
//!    - `myna-demo serve --listen 127.0.0.1:D --db <fresh> --facility-origin <page origin>`;
//!    - two tiny HTTP stand-ins: one answering 403 without CORS headers, one announcing
//!      protocol 2 on `/health` (`origin-refused` / `protocol-mismatch` without a bridge);
//!    - an eligibility service that takes requests and never answers them, or answers the
//!      challenge and then stalls the confirmation's body ([`SlowService`]: `service-timeout`);
//!    - a static server for `pkg/` and `wasm/examples/` on its own origin (allowed by the
//!      bridge and registered with the service too): a test loads the example page in an
//!      iframe and has it run a PIN-mode and a visual-mode confirmation.
//! 3. For each browser of [`browser::BROWSERS`]: runs `cargo test -p myna-web --target
//!    wasm32-unknown-unknown` with `node xtask/browser/drive.mjs wasm-test <browser>` as the
//!    runner (it runs `wasm-bindgen-test-runner` in its interactive mode and drives the page with
//!    puppeteer-core; see [`crate::browser`]), passing the addresses as compile-time environment
//!    variables (`MYNA_TEST_*`, read with `option_env!`). Then `wasm/tests/lna.rs` once per
//!    Local Network Access mode ([`LNA_MODES`]: the page public, the permission granted,
//!    denied, left to a prompt nobody answers, or decided by docs/install.md's policy files,
//!    which the browser sees in a private mount namespace: `unshare`, root). The test binaries are built once.
//!    A test whose variable is unset fails; `MYNA_TEST_ALLOW_SKIP=1` (compile time) skips it
//!    instead, for a run by hand without these processes — never here: it is removed from the
//!    tests' environment.
//! 4. Stops every process it started (also on failure).
//!
//! The test page is served without cross-origin isolation
//! (`WASM_BINDGEN_TEST_NO_ORIGIN_ISOLATION`): COEP would block the `no-cors` probe that tells a
//! refused origin from a dead port, as it would on a real page that enabled COEP.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use myna_harness::{LoopbackServer, Output, Proc, free_port};

use crate::{browser, pkg, run, system, workspace_root};

/// The Local Network Access modes `wasm/tests/lna.rs` runs under, in every browser
/// (`xtask/browser/drive.mjs` says what each sets up).
const LNA_MODES: &[&str] = &["granted", "denied", "prompt", "policy"];

/// Starts `program args… --listen 127.0.0.1:PORT` (output into `log`, stopped on drop) and
/// waits until it answers HTTP on `GET /health` on `port` (any status).
fn start(name: &str, program: &Path, args: &[String], log: &Path, port: u16) -> Result<Proc> {
    let mut args = args.to_vec();
    args.extend(["--listen".into(), format!("127.0.0.1:{port}")]);
    let mut cmd = Command::new(program);
    cmd.args(&args);
    let mut child = Proc::spawn(name, cmd, Output::Fresh(log))?;
    println!(
        "xtask wasm-tests: started {name} ({} {})",
        program.display(),
        args.join(" ")
    );
    child.wait_http(
        SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        "/health",
        |_| true,
    )?;
    Ok(child)
}

/// A minimal HTTP server answering every request with `response`.
fn stand_in(response: String) -> Result<LoopbackServer> {
    Ok(LoopbackServer::serve(move |mut stream, _| {
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf);
        let _ = stream.write_all(response.as_bytes());
    })?)
}

/// An eligibility service that is up but does not answer, on a thread; stops when dropped.
///
/// - `/silent/…`: takes every request (the CORS preflight included) and never answers.
/// - `/unanswered/…`: answers the CORS preflight, then takes the request and never answers.
/// - `/stalling/…`: answers the preflight and `POST …/api/v1/challenges` as the real service
///   does (a nonce the bridge accepts, CORS headers), and `POST …/api/v1/confirmations` with
///   the status line and headers and the first bytes of an `XmlMsg`, then nothing more.
/// - `GET /held`: `{"silent": n, "unanswered": n, "stalling": n}`, how many connections it
///   holds unanswered right now; a connection leaves the count when the browser closes it
///   (an aborted request).
struct SlowService;

/// Connections held unanswered, by route.
#[derive(Default)]
struct Held {
    silent: AtomicUsize,
    unanswered: AtomicUsize,
    stalling: AtomicUsize,
}

impl SlowService {
    const CORS: &'static str = "access-control-allow-origin: *";
    const NONCE: &'static str = "c3RhbGxpbmctc2VydmljZS1ub25jZS0wMDAwMDAwMDAwMA";

    fn serve() -> Result<LoopbackServer> {
        let held = Held::default();
        Ok(LoopbackServer::serve(move |stream, stop| {
            Self::answer(stream, stop, &held);
        })?)
    }

    /// Reads one request: its request line and, for a body announced by `content-length`,
    /// the body (so closing the socket later does not reset it under the browser).
    fn read_request(stream: &mut TcpStream) -> Option<(String, String)> {
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let mut parts = line.split_whitespace();
        let (method, target) = (parts.next()?.to_string(), parts.next()?.to_string());
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).ok()?;
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().ok()?;
            }
        }
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body).ok()?;
        Some((method, target))
    }

    fn answer(mut stream: TcpStream, stop: &AtomicBool, held: &Held) {
        let Some((method, target)) = Self::read_request(&mut stream) else {
            return;
        };
        let preflight = "access-control-allow-methods: POST";
        let allowed = "access-control-allow-headers: authorization, content-type";
        match (method.as_str(), target.as_str()) {
            (_, t) if t.starts_with("/silent/") => Self::hold(stream, stop, &held.silent),
            ("OPTIONS", t) if t.starts_with("/stalling/") || t.starts_with("/unanswered/") => {
                let answer = http_answer("204 No Content", &[Self::CORS, preflight, allowed], "");
                let _ = stream.write_all(answer.as_bytes());
            }
            ("POST", t) if t.starts_with("/unanswered/") => {
                Self::hold(stream, stop, &held.unanswered);
            }
            ("POST", "/stalling/api/v1/challenges") => {
                let body = format!(
                    r#"{{"nonce":"{}","expiresAt":"2099-01-01T00:00:00Z"}}"#,
                    Self::NONCE
                );
                let headers = [Self::CORS, "content-type: application/json"];
                let answer = http_answer("201 Created", &headers, &body);
                let _ = stream.write_all(answer.as_bytes());
            }
            ("POST", "/stalling/api/v1/confirmations") => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\n{}\r\ncontent-type: application/xml; charset=utf-8\r\ncontent-length: 4096\r\n\r\n<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XmlMsg>",
                    Self::CORS
                );
                if stream.write_all(head.as_bytes()).is_ok() {
                    Self::hold(stream, stop, &held.stalling);
                }
            }
            ("GET", "/held") => {
                let body = format!(
                    r#"{{"silent":{},"unanswered":{},"stalling":{}}}"#,
                    held.silent.load(Ordering::SeqCst),
                    held.unanswered.load(Ordering::SeqCst),
                    held.stalling.load(Ordering::SeqCst)
                );
                let headers = [Self::CORS, "content-type: application/json"];
                let _ = stream.write_all(http_answer("200 OK", &headers, &body).as_bytes());
            }
            _ => {
                let _ =
                    stream.write_all(http_answer("404 Not Found", &[Self::CORS], "").as_bytes());
            }
        }
    }

    /// Keeps the connection open, answering nothing, until the peer closes it or the
    /// stand-in stops; counted in `count` meanwhile.
    fn hold(mut stream: TcpStream, stop: &AtomicBool, count: &AtomicUsize) {
        count.fetch_add(1, Ordering::SeqCst);
        let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
        let mut buf = [0u8; 1024];
        while !stop.load(Ordering::Relaxed) {
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => break,
            }
        }
        count.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Serves `pkg/` and `wasm/examples/` of the repository over HTTP (the example page and the
/// package it imports), on a thread; stops when dropped.
struct StaticFiles;

impl StaticFiles {
    const ROOTS: [&'static str; 2] = ["pkg/", "wasm/examples/"];

    fn serve(root: PathBuf) -> Result<LoopbackServer> {
        Ok(LoopbackServer::serve(move |stream, _| {
            Self::answer(&root, stream);
        })?)
    }

    fn answer(root: &Path, mut stream: TcpStream) {
        let mut line = String::new();
        if BufReader::new(&mut stream).read_line(&mut line).is_err() {
            return;
        }
        let target = line.split_whitespace().nth(1).unwrap_or("/");
        let path = target
            .split(['?', '#'])
            .next()
            .unwrap_or("/")
            .trim_start_matches('/');
        let allowed = Self::ROOTS.iter().any(|r| path.starts_with(r)) && !path.contains("..");
        let file = allowed.then(|| root.join(path)).filter(|f| f.is_file());
        let Some(file) = file else {
            let _ = stream.write_all(http_answer("404 Not Found", &[], "not found\n").as_bytes());
            return;
        };
        let content_type = match file.extension().and_then(|e| e.to_str()) {
            Some("html") => "text/html; charset=utf-8",
            Some("js") => "text/javascript; charset=utf-8",
            Some("css") => "text/css; charset=utf-8",
            Some("wasm") => "application/wasm",
            Some("json") => "application/json",
            _ => "application/octet-stream",
        };
        let Ok(body) = fs::read(&file) else { return };
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n",
            body.len()
        );
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(&body);
    }
}

/// An HTTP/1.1 answer that closes the connection.
fn http_answer(status: &str, headers: &[&str], body: &str) -> String {
    let mut answer = format!("HTTP/1.1 {status}\r\n");
    for h in headers {
        answer.push_str(h);
        answer.push_str("\r\n");
    }
    answer.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    ));
    answer
}

/// Whether this process may make a private mount namespace (`unshare --mount`, root), which the
/// `policy` LNA mode needs to show the browsers their policy files without installing them.
/// Without it the mode is skipped, loudly — except in CI (`CI` set), where it is an error.
fn can_unshare_mounts() -> Result<bool> {
    let ok = Command::new("unshare")
        .args(["--mount", "true"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        if std::env::var_os("CI").is_some() {
            bail!("`unshare --mount` failed: the LNA policy mode needs root");
        }
        println!(
            "xtask wasm-tests: SKIPPED the LNA policy mode: `unshare --mount` needs root here"
        );
    }
    Ok(ok)
}

/// Builds what the tests need, starts the processes, runs the tests, stops the processes.
pub fn run_wasm_tests() -> Result<()> {
    let root = workspace_root();
    system::ensure_wasm_bindgen_cli(&root)?;
    browser::ensure_driver()?;
    pkg::run_pkg()?;
    run(Command::new("cargo")
        .args(["build", "-p", "myna-bridge", "-p", "myna-demo", "--bins"])
        .current_dir(&root))?;
    let bin = root.join("target/debug");
    let work = root.join("target/wasm-tests");
    fs::create_dir_all(&work)?;

    let page_port = free_port()?;
    let origin = format!("http://127.0.0.1:{page_port}");
    // The same page as a public site would have it (drive.mjs, LNA modes).
    let public_origin = format!("http://reception.test:{page_port}");
    let examples = StaticFiles::serve(root.clone())?;
    let example_origin = format!("http://127.0.0.1:{}", examples.port());
    let bridge_port = free_port()?;
    let foreign_port = free_port()?;
    let demo_port = free_port()?;
    let closed_port = free_port()?;

    let bridge = start(
        "myna-bridge --simulate",
        &bin.join("myna-bridge"),
        &[
            "--allow-origin".into(),
            origin.clone(),
            "--allow-origin".into(),
            example_origin.clone(),
            // Plain http and not loopback: refused unless asked for by this name (T20).
            "--allow-insecure-http-origin".into(),
            public_origin,
            "--simulate".into(),
        ],
        &work.join("bridge.log"),
        bridge_port,
    )?;
    let foreign = start(
        "myna-bridge (foreign origin only)",
        &bin.join("myna-bridge"),
        &[
            "--allow-origin".into(),
            "https://reception.example.jp".into(),
            "--simulate".into(),
        ],
        &work.join("bridge-foreign.log"),
        foreign_port,
    )?;
    let db = work.join(format!("demo-{}.sqlite3", std::process::id()));
    // A fresh service (fresh database, same port) for each browser: each browser's run
    // activates terminals, and the service allows 20 per facility.
    let start_demo = || -> Result<Proc> {
        for suffix in ["", "-wal", "-shm"] {
            let _ = fs::remove_file(format!("{}{suffix}", db.display()));
        }
        start(
            "myna-demo serve",
            &bin.join("myna-demo"),
            &[
                "serve".into(),
                "--db".into(),
                db.display().to_string(),
                "--facility-origin".into(),
                origin.clone(),
                "--facility-origin".into(),
                example_origin.clone(),
            ],
            &work.join("demo.log"),
            demo_port,
        )
    };
    // What the bridge answers a foreign origin: 403, no CORS headers.
    let refusing = stand_in(http_answer(
        "403 Forbidden",
        &["content-type: text/plain"],
        "forbidden\n",
    ))?;
    // A future bridge that speaks only protocol 2.
    let v2 = stand_in(http_answer(
        "200 OK",
        &[
            "content-type: application/json",
            "access-control-allow-origin: *",
        ],
        r#"{"name":"myna-bridge","version":"9.0.0","protocol":2,"readers":0}"#,
    ))?;
    // An eligibility service that is up but never answers, or stalls its answer's body.
    let slow = SlowService::serve()?;

    let page: SocketAddr = (Ipv4Addr::LOCALHOST, page_port).into();
    // One `cargo test` in `browser`; `lna`: the LNA mode (`off`: the page on loopback).
    let cargo_test = |browser_name: &str, lna: &str, args: &[&str]| {
        println!("\nxtask wasm-tests: {browser_name}, Local Network Access mode {lna}");
        let mut cmd = Command::new("cargo");
        cmd.args([
            "test",
            "-p",
            "myna-web",
            "--target",
            "wasm32-unknown-unknown",
        ])
        .args(args)
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
            browser::wasm_runner(browser_name),
        )
        .env("MYNA_LNA", lna)
        .env("PUPPETEER_SKIP_DOWNLOAD", "1")
        .env("WASM_BINDGEN_TEST_ADDRESS", page.to_string())
        .env("WASM_BINDGEN_TEST_NO_ORIGIN_ISOLATION", "1")
        .env("WASM_BINDGEN_TEST_TIMEOUT", "180")
        .env_remove("MYNA_TEST_ALLOW_SKIP")
        .env("MYNA_TEST_PAGE_ORIGIN", &origin)
        .env(
            "MYNA_TEST_BRIDGE_URL",
            format!("ws://127.0.0.1:{bridge_port}/v1"),
        )
        .env(
            "MYNA_TEST_FOREIGN_BRIDGE_URL",
            format!("ws://127.0.0.1:{foreign_port}/v1"),
        )
        .env(
            "MYNA_TEST_SERVICE_URL",
            format!("http://127.0.0.1:{demo_port}"),
        )
        .env(
            "MYNA_TEST_CLOSED_URL",
            format!("ws://127.0.0.1:{closed_port}/v1"),
        )
        .env(
            "MYNA_TEST_CLOSED_SERVICE_URL",
            format!("http://127.0.0.1:{closed_port}"),
        )
        .env(
            "MYNA_TEST_REFUSING_URL",
            format!("ws://127.0.0.1:{}/v1", refusing.port()),
        )
        .env(
            "MYNA_TEST_V2_URL",
            format!("ws://127.0.0.1:{}/v1", v2.port()),
        )
        .env(
            "MYNA_TEST_SLOW_SERVICE_URL",
            format!("http://127.0.0.1:{}", slow.port()),
        )
        .env(
            "MYNA_TEST_EXAMPLE_URL",
            format!("{example_origin}/wasm/examples/index.html"),
        )
        .current_dir(&root);
        run(&mut cmd)
    };
    let result = (|| -> Result<()> {
        for (name, _) in browser::BROWSERS {
            let t = Instant::now();
            let demo = start_demo()?;
            cargo_test(name, "off", &[])?;
            drop(demo);
            for lna in LNA_MODES {
                if *lna == "policy" && !can_unshare_mounts()? {
                    continue;
                }
                cargo_test(name, lna, &["--test", "lna"])?;
            }
            println!("xtask wasm-tests: {name} passed in {:.0?}", t.elapsed());
        }
        Ok(())
    })();
    drop((examples, refusing, v2, slow, foreign, bridge));
    if result.is_err() {
        println!(
            "xtask wasm-tests: process logs are in {} (bridge.log, bridge-foreign.log, demo.log)",
            work.display()
        );
    }
    result
}
