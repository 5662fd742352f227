//! Making a fresh Debian machine able to build and test the project.
//!
//! Everything the README's commands need that cargo cannot fetch by itself is installed or
//! checked here: Debian packages (PC/SC stack, OpenSC, Chromium, Firefox ESR, a Japanese font,
//! Node.js), rustup components and targets, `wasm-bindgen-cli` at the exact version
//! `Cargo.lock` pins, and the browser driver's npm packages at the versions
//! `xtask/browser/package-lock.json` pins ([`crate::browser::ensure_driver`]). Nothing is downloaded at test run time beyond the package
//! registries, and nothing is reinstalled when it is already there.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::run;

/// The Debian packages the project needs, with why.
pub const DEBIAN_PACKAGES: &[(&str, &str)] = &[
    (
        "pcscd",
        "the PC/SC daemon the bridge and the interop tests talk to",
    ),
    (
        "libpcsclite-dev",
        "headers and pkg-config file for the pcsc crate",
    ),
    ("pkg-config", "finds libpcsclite when building pcsc-sys"),
    (
        "vsmartcard-vpcd",
        "virtual readers in pcscd that the virtual card plugs into",
    ),
    (
        "opensc",
        "an independent JPKI client to hold the virtual card against",
    ),
    ("openssl", "independent checks of the test certificates"),
    (
        "chromium",
        "headless browser for the WASM and end-to-end tests and the bench's WASM start-up",
    ),
    (
        "firefox-esr",
        "the second browser of those tests (driven over WebDriver BiDi by puppeteer-core)",
    ),
    (
        "fonts-noto-cjk",
        "a Japanese font, so the screenshots show 資格情報 instead of tofu",
    ),
    ("binaryen", "wasm-opt for the npm package"),
    (
        "gcc-mingw-w64-x86-64",
        "the linker and C runtime for the Windows bridge (x86_64-pc-windows-gnu), and the Wine test shim",
    ),
    ("wixl", "builds the Windows MSI on Linux (cargo xtask dist)"),
    (
        "msitools",
        "msiinfo: reads the MSI's ProductCode in the Wine tests",
    ),
    (
        "wine64",
        "runs the Windows bridge and its MSI in the tests (Wine 8; /usr/lib/wine/wine64)",
    ),
    ("binutils", "objdump and strip for the .deb"),
];

fn package_installed(name: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", name])
        .output()
        .map(|o| {
            o.status.success()
                && String::from_utf8_lossy(&o.stdout).contains("install ok installed")
        })
        .unwrap_or(false)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Node.js and npm run the browser driver (`xtask/browser/`). A machine that has them from
/// elsewhere (NodeSource's `nodejs` ships npm inside) keeps them; else Debian's packages.
const NODE_PACKAGES: &[&str] = &["nodejs", "npm"];

fn command_exists(name: &str) -> bool {
    Command::new(name)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `apt-get update` then `apt-get install` of whatever package is missing.
pub fn ensure_debian_packages() -> Result<()> {
    let mut missing: Vec<&str> = DEBIAN_PACKAGES
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| !package_installed(name))
        .collect();
    if !command_exists("node") || !command_exists("npm") {
        missing.extend(NODE_PACKAGES);
    }
    if missing.is_empty() {
        println!("xtask: Debian packages present");
        return Ok(());
    }
    if !Path::new("/usr/bin/apt-get").exists() {
        bail!(
            "missing system packages {missing:?} and no apt-get here; install their equivalents \
             (see xtask/src/system.rs for what each is for)"
        );
    }
    let sudo: &[&str] = if is_root() { &[] } else { &["sudo", "-n"] };
    println!("xtask: installing Debian packages {missing:?}");
    let apt = |args: &[&str]| -> Result<()> {
        let mut argv: Vec<&str> = sudo.to_vec();
        argv.push("apt-get");
        argv.extend_from_slice(args);
        let mut cmd = Command::new(argv[0]);
        cmd.args(&argv[1..])
            .env("DEBIAN_FRONTEND", "noninteractive");
        run(&mut cmd)
    };
    apt(&["update", "-q"])?;
    let mut install = vec!["install", "-y", "-q", "--no-install-recommends"];
    install.extend(missing.iter().copied());
    apt(&install)
}

/// The rustup targets: the browser module, the Windows bridge, and the macOS checks.
pub const RUST_TARGETS: &[&str] = &[
    "wasm32-unknown-unknown",
    crate::dist::WINDOWS_TARGET,
    crate::dist::MACOS_TARGETS[0],
    crate::dist::MACOS_TARGETS[1],
];

/// The rustup pieces: rustfmt, clippy and [`RUST_TARGETS`].
pub fn ensure_rust_toolchain() -> Result<()> {
    let components = Command::new("rustup")
        .args(["component", "list", "--installed"])
        .output()
        .context("running rustup")?;
    let components = String::from_utf8_lossy(&components.stdout);
    for component in ["rustfmt", "clippy"] {
        if !components.lines().any(|l| l.starts_with(component)) {
            run(Command::new("rustup").args(["component", "add", component]))?;
        }
    }
    let targets = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("running rustup")?;
    let installed = String::from_utf8_lossy(&targets.stdout);
    let missing: Vec<&str> = RUST_TARGETS
        .iter()
        .copied()
        .filter(|t| !installed.lines().any(|l| l.trim() == *t))
        .collect();
    if !missing.is_empty() {
        run(Command::new("rustup")
            .args(["target", "add"])
            .args(&missing))?;
    }
    Ok(())
}

/// The version of `package` that `Cargo.lock` pins, if the workspace uses it.
pub fn locked_version(root: &Path, package: &str) -> Result<Option<String>> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == format!("name = \"{package}\"") {
            if let Some(v) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = "))
            {
                return Ok(Some(v.trim_matches('"').to_string()));
            }
        }
    }
    Ok(None)
}

/// `wasm-bindgen-cli` at exactly the version `Cargo.lock` pins for `wasm-bindgen`.
pub fn ensure_wasm_bindgen_cli(root: &Path) -> Result<()> {
    let Some(version) = locked_version(root, "wasm-bindgen")? else {
        return Ok(());
    };
    let installed = Command::new("wasm-bindgen")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    if installed.as_deref().is_some_and(|v| v.ends_with(&version)) {
        return Ok(());
    }
    println!("xtask: installing wasm-bindgen-cli {version} (was {installed:?})");
    // No --locked: the registry mirror may lack a transitive version the CLI's lock pins.
    run(Command::new("cargo").args(["install", "wasm-bindgen-cli", "--version", &version]))
}
