//! The Windows bridge tested on this Linux machine, under Debian's Wine 8 (`wine64`).
//!
//! 0. The launcher the Run entry starts is a GUI-subsystem program (no console window); the
//!    bridge a console one.
//! 1. A fresh 64-bit Wine prefix in `target/wine/prefix` (`wineboot -i`, headless: no
//!    `DISPLAY`, `WINEDEBUG=-all`, Mono and Gecko disabled so no installer dialog is asked for).
//! 2. The test-only `bcryptprimitives.dll` (xtask/wine/bcryptprimitives.c: `ProcessPrng` over
//!    `RtlGenRandom`; Wine 8 lacks the DLL and Rust's std needs it) built with mingw.
//! 3. bridge/tests/bridge_ws.rs's suite — handshake matrix, policy matrix, PIN paths, signature
//!    binding, fifty clients, frame limits — against `myna-bridge.exe --simulate` under Wine
//!    (`MYNA_BRIDGE_EXE` + `MYNA_BRIDGE_LAUNCHER`), the shim next to the exe.
//! 4. The MSI: a malformed `ALLOW_ORIGIN` fails the install and leaves nothing; then
//!    `msiexec /i … /qn ALLOW_ORIGIN=…` installs into the user's
//!    `AppData\Local\Programs\myna-bridge` and starts the bridge; `/health` answers with CORS for
//!    exactly that origin (so `bridge.toml` landed and the installed bridge read it); the Run
//!    entry and the uninstall entry exist. The clinic then edits `bridge.toml`; a higher version
//!    (same binaries, the next patch version in the MSI) upgrades in place with a different
//!    `ALLOW_ORIGIN`, and the file is byte for byte the clinic's. `msiexec /x` stops the bridge
//!    and removes the program, the Run entry and the uninstall entry; `bridge.toml` stays.
//!    (The shim goes into the prefix's `system32` for this part, so the install directory holds
//!    only what the MSI put there.)
//!
//! What Wine cannot show: PC/SC (Wine 8's `winscard.dll` is a stub — the installed bridge logs
//! "PC/SC service unavailable" and reports 0 readers); the Windows smart-card service's own
//! behaviour is covered through the backend seam in `bridge/src/pcsc_backend.rs`'s tests.
//! Every Wine call runs under `timeout`, and `wineserver -k` ends whatever is left in the
//! prefix, pass or fail. The prefix (~700 MB) is removed after a green run and kept after a
//! red one.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

use crate::dist::Dist;
use crate::{run, workspace_root};

/// Debian's 64-bit Wine loader (the `wine` wrapper is in another package).
const WINE: &str = "/usr/lib/wine/wine64";
const WINESERVER: &str = "/usr/lib/wine/wineserver";
const ORIGIN: &str = "https://reception.clinic.example.jp";
const OTHER_ORIGIN: &str = "https://other.clinic.example.jp";
/// The port the installed bridge listens on (its default).
const PORT: u16 = 27450;
const RUN_KEY: &str = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run";

struct Wine {
    prefix: PathBuf,
}

impl Wine {
    fn command(&self, seconds: u32) -> Command {
        let mut c = Command::new("timeout");
        c.args(["--kill-after=10", &seconds.to_string(), WINE]);
        self.env(&mut c);
        c
    }

    fn env(&self, c: &mut Command) {
        c.env("WINEPREFIX", &self.prefix)
            .env("WINEDEBUG", "-all")
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY");
    }

    /// Runs a Wine program; its exit status and what it printed. The output goes through a
    /// file, not a pipe: a program it starts (the MSI starts the bridge) inherits the handles
    /// and would hold a pipe open for as long as it runs.
    fn output(&self, seconds: u32, args: &[&str]) -> Result<(ExitStatus, String)> {
        let log = self.prefix.with_file_name("last-command.log");
        let file = fs::File::create(&log)?;
        let status = self
            .command(seconds)
            .args(args)
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file)
            .status()
            .with_context(|| format!("wine {args:?}"))?;
        Ok((status, fs::read_to_string(&log).unwrap_or_default()))
    }

    fn ok(&self, seconds: u32, args: &[&str]) -> Result<()> {
        let (status, printed) = self.output(seconds, args)?;
        if !status.success() {
            bail!("wine {args:?}: {status}\n{printed}");
        }
        Ok(())
    }

    /// `reg query KEY [/v NAME]`: the output, or `None` when the key or value is absent.
    fn reg_query(&self, key: &str, value: Option<&str>) -> Result<Option<String>> {
        let mut args = vec!["reg", "query", key];
        if let Some(v) = value {
            args.extend(["/v", v]);
        }
        let (status, printed) = self.output(60, &args)?;
        Ok(status.success().then_some(printed))
    }

    /// Ends every process of the prefix (the bridge the MSI started, wineserver itself).
    fn kill_all(&self) {
        let mut c = Command::new(WINESERVER);
        c.arg("-k");
        self.env(&mut c);
        let _ = c.status();
    }

    /// `C:\users\<user>\` of the prefix, as a Linux path.
    fn profile(&self) -> Result<PathBuf> {
        let users = self.prefix.join("drive_c/users");
        for entry in fs::read_dir(&users).context("reading the prefix's users")? {
            let path = entry?.path();
            if path.join("AppData").is_dir() && path.file_name() != Some("Public".as_ref()) {
                return Ok(path);
            }
        }
        bail!("no user profile in {}", users.display())
    }

    fn windows_path(path: &Path) -> String {
        format!("Z:{}", path.display()).replace('/', "\\")
    }
}

impl Drop for Wine {
    fn drop(&mut self) {
        self.kill_all();
    }
}

/// Builds the shim DLL into `dir`.
fn build_shim(root: &Path, dir: &Path) -> Result<PathBuf> {
    let dll = dir.join("bcryptprimitives.dll");
    run(Command::new("x86_64-w64-mingw32-gcc")
        .args(["-shared", "-O2", "-s", "-o"])
        .arg(&dll)
        .arg(root.join("xtask/wine/bcryptprimitives.c"))
        .arg("-ladvapi32"))?;
    Ok(dll)
}

/// The product code wixl gave this MSI (`Id="*"`: a new one per build).
fn product_code(msi: &Path) -> Result<String> {
    let out = Command::new("msiinfo")
        .args(["export"])
        .arg(msi)
        .arg("Property")
        .output()
        .context("msiinfo (Debian package msitools)")?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("ProductCode\t"))
        .map(|c| c.trim().to_string())
        .context("no ProductCode in the MSI")
}

/// `GET /health` with an `Origin`; the status, the `Access-Control-Allow-Origin`, the body.
fn health(origin: &str) -> Result<(u16, Option<String>, String)> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(5)))
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent
        .get(&format!("http://127.0.0.1:{PORT}/health"))
        .header("Origin", origin)
        .call()?;
    let acao = r
        .headers()
        .get("access-control-allow-origin")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    Ok((r.status().as_u16(), acao, r.body_mut().read_to_string()?))
}

fn wait_health(origin: &str, timeout: Duration) -> Result<(u16, Option<String>, String)> {
    let deadline = Instant::now() + timeout;
    loop {
        match health(origin) {
            Ok(answer) => return Ok(answer),
            Err(e) if Instant::now() > deadline => {
                bail!("the installed bridge did not answer /health within {timeout:?}: {e}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

fn wait_gone(timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + timeout;
    while health(ORIGIN).is_ok() {
        ensure!(
            Instant::now() < deadline,
            "the bridge still answers /health after uninstalling"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(())
}

/// Everything above; `dist` built the binaries and the MSI.
pub fn run_wine_tests(dist: &Dist) -> Result<()> {
    let root = workspace_root();
    let work = root.join("target/wine");
    ensure!(
        Path::new(WINE).exists(),
        "{WINE} missing (Debian package wine64)"
    );
    // A fresh prefix: nothing from an earlier run (an installed product, a config) counts.
    if work.exists() {
        let stale = Wine {
            prefix: work.join("prefix"),
        };
        stale.kill_all();
        std::mem::forget(stale);
        fs::remove_dir_all(&work).context("removing the old target/wine")?;
    }
    // Started at logon from the Run entry, the launcher must not open a console window: it is
    // a GUI-subsystem program (the bridge itself stays a console program for `--help`).
    for (exe, subsystem) in [
        ("myna-bridge-launcher.exe", "(Windows GUI)"),
        ("myna-bridge.exe", "(Windows CUI)"),
    ] {
        let out = Command::new("x86_64-w64-mingw32-objdump")
            .arg("-p")
            .arg(dist.windows_exe.with_file_name(exe))
            .output()
            .context("x86_64-w64-mingw32-objdump")?;
        let headers = String::from_utf8_lossy(&out.stdout);
        let line = headers
            .lines()
            .find(|l| l.starts_with("Subsystem"))
            .unwrap_or("");
        ensure!(
            line.ends_with(subsystem),
            "{exe}: {line:?}, want {subsystem}"
        );
    }
    let bin = work.join("bin");
    fs::create_dir_all(&bin)?;
    let shim = build_shim(&root, &bin)?;
    let exe = bin.join("myna-bridge.exe");
    fs::copy(&dist.windows_exe, &exe)?;

    let wine = Wine {
        prefix: work.join("prefix"),
    };
    let t = Instant::now();
    wine.ok(600, &["wineboot", "-i"])?;
    let mut wait = Command::new(WINESERVER);
    wait.arg("-w");
    wine.env(&mut wait);
    let _ = wait.status();
    println!("xtask: fresh Wine prefix in {:.1?}", t.elapsed());

    let t = Instant::now();
    let mut suite = Command::new("timeout");
    suite
        .args([
            "600",
            "cargo",
            "test",
            "-p",
            "myna-bridge",
            "--test",
            "bridge_ws",
        ])
        .args(["protocol_suite_against_an_external_bridge", "--", "--exact"])
        .env("MYNA_BRIDGE_EXE", &exe)
        .env("MYNA_BRIDGE_LAUNCHER", WINE)
        .current_dir(&root);
    wine.env(&mut suite);
    run(&mut suite).context("the socket-level suite against myna-bridge.exe under Wine")?;
    println!(
        "xtask: the suite against the .exe under Wine in {:.1?}",
        t.elapsed()
    );

    let t = Instant::now();
    msi_lifecycle(&wine, &root, dist, &shim)?;
    println!(
        "xtask: MSI install, upgrade, uninstall under Wine in {:.1?}",
        t.elapsed()
    );
    // The prefix is ~700 MB; kept only when something failed, for a look inside.
    drop(wine);
    fs::remove_dir_all(&work).context("removing target/wine")?;
    Ok(())
}

fn msi_lifecycle(wine: &Wine, root: &Path, dist: &Dist, shim: &Path) -> Result<()> {
    if health(ORIGIN).is_ok() {
        bail!(
            "something already answers on 127.0.0.1:{PORT}; stop it (or run in /work/tools/isolated)"
        );
    }
    fs::copy(
        shim,
        wine.prefix
            .join("drive_c/windows/system32/bcryptprimitives.dll"),
    )?;
    let msi = Wine::windows_path(&dist.msi);
    let code = product_code(&dist.msi)?;
    let uninstall_key = format!(r"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\{code}");

    // A malformed origin (a path, here) fails the install and leaves nothing behind.
    let (status, printed) = wine.output(
        300,
        &[
            "msiexec",
            "/i",
            &msi,
            "/qn",
            &format!("ALLOW_ORIGIN={ORIGIN}/reception"),
        ],
    )?;
    ensure!(
        !status.success(),
        "a malformed ALLOW_ORIGIN installed: {printed}"
    );
    ensure!(
        wine.reg_query(&uninstall_key, None)?.is_none()
            && wine.reg_query(RUN_KEY, Some("myna-bridge"))?.is_none(),
        "a failed install left entries behind"
    );
    let leftovers = wine.profile().map(|p| {
        (
            p.join("AppData/Local/Programs/myna-bridge/myna-bridge.exe")
                .exists(),
            p.join("AppData/Roaming/myna-web/myna-bridge/config/bridge.toml")
                .exists(),
        )
    });
    ensure!(
        matches!(leftovers, Ok((false, false)) | Err(_)),
        "a failed install left files behind: {leftovers:?}"
    );

    // Install with the origin, as a deployment script would.
    wine.ok(
        300,
        &[
            "msiexec",
            "/i",
            &msi,
            "/qn",
            &format!("ALLOW_ORIGIN={ORIGIN}"),
        ],
    )?;
    let profile = wine.profile()?;
    let install_dir = profile.join("AppData/Local/Programs/myna-bridge");
    let mut installed: Vec<String> = fs::read_dir(&install_dir)
        .with_context(|| format!("{} after installing", install_dir.display()))?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()?;
    installed.sort();
    ensure!(
        installed == ["myna-bridge-launcher.exe", "myna-bridge.exe"],
        "installed files: {installed:?}"
    );
    let config = profile.join("AppData/Roaming/myna-web/myna-bridge/config/bridge.toml");
    let written = fs::read_to_string(&config)
        .with_context(|| format!("{} after installing", config.display()))?;
    ensure!(
        written.contains(&format!("allow_origins = [\"{ORIGIN}\"]")),
        "bridge.toml: {written}"
    );
    let run_entry = wine
        .reg_query(RUN_KEY, Some("myna-bridge"))?
        .context("no Run entry after installing")?;
    ensure!(
        run_entry.contains(r"AppData\Local\Programs\myna-bridge\myna-bridge-launcher.exe"),
        "Run entry: {run_entry}"
    );
    ensure!(
        wine.reg_query(&uninstall_key, None)?.is_some(),
        "no uninstall entry {uninstall_key}"
    );
    // The MSI started the bridge (as the next logon will): it answers, and allows exactly the
    // origin the installer was given.
    let (status, acao, body) = wait_health(ORIGIN, Duration::from_secs(30))?;
    ensure!(status == 200, "/health: {status} {body}");
    ensure!(acao.as_deref() == Some(ORIGIN), "/health CORS: {acao:?}");
    let reported: serde_json::Value = serde_json::from_str(&body)?;
    ensure!(
        reported["name"] == "myna-bridge" && reported["version"] == dist.version.as_str(),
        "/health: {body}"
    );
    let (status, acao, _) = health(OTHER_ORIGIN)?;
    ensure!(
        status == 403 && acao.is_none(),
        "/health for an origin the installer did not allow: {status} {acao:?}"
    );
    let log = profile.join("AppData/Local/myna-web/myna-bridge/data/bridge.log");
    let log_text = fs::read_to_string(&log).with_context(|| format!("{}", log.display()))?;
    ensure!(
        log_text.contains("config written"),
        "bridge.log: {log_text}"
    );

    // The clinic edits its config; an upgrade with another origin leaves it as it is.
    let edited = format!("{written}# edited by the clinic's IT\n");
    fs::write(&config, &edited)?;
    let upgrade_dir = root.join("target/wine/upgrade");
    fs::create_dir_all(&upgrade_dir)?;
    for exe in ["myna-bridge.exe", "myna-bridge-launcher.exe"] {
        fs::copy(dist.windows_exe.with_file_name(exe), upgrade_dir.join(exe))?;
    }
    let next = next_patch(&dist.version)?;
    let upgrade_msi = root.join(format!("target/wine/myna-bridge-{next}-x64.msi"));
    run(Command::new("wixl")
        .args(["-a", "x64", "-D", &format!("Version={next}"), "-o"])
        .arg(&upgrade_msi)
        .arg(root.join("bridge/dist/windows/myna-bridge.wxs"))
        .current_dir(&upgrade_dir))?;
    let upgrade_code = product_code(&upgrade_msi)?;
    wine.ok(
        300,
        &[
            "msiexec",
            "/i",
            &Wine::windows_path(&upgrade_msi),
            "/qn",
            &format!("ALLOW_ORIGIN={OTHER_ORIGIN}"),
        ],
    )?;
    ensure!(
        fs::read_to_string(&config)? == edited,
        "the upgrade changed bridge.toml"
    );
    ensure!(
        wine.reg_query(&uninstall_key, None)?.is_none(),
        "the old version is still registered after the upgrade"
    );
    let upgrade_key =
        format!(r"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\{upgrade_code}");
    ensure!(
        wine.reg_query(&upgrade_key, None)?.is_some(),
        "the new version is not registered"
    );
    let (status, acao, _) = wait_health(ORIGIN, Duration::from_secs(30))?;
    ensure!(
        status == 200 && acao.as_deref() == Some(ORIGIN),
        "after the upgrade: {status} {acao:?}"
    );
    ensure!(
        health(OTHER_ORIGIN)?.0 == 403,
        "the upgrade's ALLOW_ORIGIN reached the clinic's config"
    );

    // Uninstall: the bridge stops, the program and its entries go; the clinic's config stays.
    wine.ok(
        300,
        &["msiexec", "/x", &Wine::windows_path(&upgrade_msi), "/qn"],
    )?;
    wait_gone(Duration::from_secs(15))?;
    ensure!(
        !install_dir.exists(),
        "{} still exists after uninstalling",
        install_dir.display()
    );
    ensure!(
        wine.reg_query(RUN_KEY, Some("myna-bridge"))?.is_none(),
        "the Run entry survived uninstalling"
    );
    ensure!(
        wine.reg_query(&upgrade_key, None)?.is_none(),
        "the uninstall entry survived uninstalling"
    );
    ensure!(
        fs::read_to_string(&config)? == edited,
        "uninstalling changed bridge.toml"
    );
    Ok(())
}

fn next_patch(version: &str) -> Result<String> {
    let (head, patch) = version
        .rsplit_once('.')
        .context("version without a patch number")?;
    Ok(format!("{head}.{}", patch.parse::<u32>()? + 1))
}
