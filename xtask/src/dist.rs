//! `cargo xtask dist` — the bridge's installers, built on this Debian machine, into `target/dist/`.
//!
//! | file | what | how |
//! |---|---|---|
//! | `myna-bridge-<v>-x64.msi` | Windows 10/11, per-user, no administrator rights | cross-compiled for `x86_64-pc-windows-gnu` with mingw-w64; `wixl` (msitools) from `bridge/dist/windows/myna-bridge.wxs` |
//! | `myna-bridge-<v>-windows-x64.exe` | the same bridge, bare (IT's own deployment tools) | |
//! | `myna-bridge_<v>_amd64.deb` | Debian/Ubuntu: `/usr/bin/myna-bridge` + systemd user unit | `dpkg-deb` from a staging tree |
//!
//! and `cargo check` of the bridge for `x86_64-apple-darwin` and `aarch64-apple-darwin`, so the
//! macOS build never silently breaks. (Linking for macOS needs Apple's SDK and linker, which
//! cannot be installed on Debian from its archive; checking type-checks every `cfg(target_os =
//! "macos")` path, including the `pcsc` crate's PC/SC.framework bindings, without linking.)
//!
//! Every version number comes from `[workspace.package] version` in the root `Cargo.toml`: the
//! binaries' `--version`, the MSI's ProductVersion, the .deb's Version and the file names.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::{run, workspace_root};

/// The Windows target the MSI is built for.
pub const WINDOWS_TARGET: &str = "x86_64-pc-windows-gnu";
/// The macOS targets `dist` type-checks.
pub const MACOS_TARGETS: [&str; 2] = ["x86_64-apple-darwin", "aarch64-apple-darwin"];

/// What `dist` produced.
pub struct Dist {
    /// The workspace version.
    pub version: String,
    /// `target/dist/myna-bridge-<v>-x64.msi`.
    pub msi: PathBuf,
    /// The release `myna-bridge.exe` (also copied bare into target/dist/).
    pub windows_exe: PathBuf,
    /// `target/dist/myna-bridge_<v>_amd64.deb`.
    pub deb: PathBuf,
}

/// `[workspace.package] version` of the root Cargo.toml.
pub fn workspace_version(root: &Path) -> Result<String> {
    let text = fs::read_to_string(root.join("Cargo.toml")).context("reading Cargo.toml")?;
    let manifest: toml::Table = toml::from_str(&text).context("parsing Cargo.toml")?;
    manifest
        .get("workspace")
        .and_then(|w| w.get("package"))
        .and_then(|p| p.get("version"))
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .context("Cargo.toml has no [workspace.package] version")
}

/// Windows Installer versions are `major.minor.build` with numbers only (each < 65536 for the
/// first two): a pre-release suffix cannot go into an MSI.
fn msi_version(version: &str) -> Result<&str> {
    let parts: Vec<&str> = version.split('.').collect();
    let numeric = parts.len() == 3
        && parts
            .iter()
            .zip([255u32, 255, 65535])
            .all(|(p, max)| p.parse::<u32>().is_ok_and(|n| n <= max));
    if !numeric {
        bail!("version {version:?} cannot be an MSI ProductVersion (needs N.N.N, no suffix)");
    }
    Ok(version)
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Cross-compiles the bridge and its launcher for Windows (release).
pub fn build_windows(root: &Path) -> Result<PathBuf> {
    run(cargo()
        .args(["build", "--release", "--target", WINDOWS_TARGET])
        .args(["-p", "myna-bridge", "-p", "myna-bridge-launcher"])
        .current_dir(root))?;
    Ok(root.join("target").join(WINDOWS_TARGET).join("release"))
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    fs::copy(from, to)
        .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    Ok(())
}

/// Builds the MSI from the Windows binaries in `bin`.
fn build_msi(root: &Path, bin: &Path, version: &str, out: &Path) -> Result<()> {
    let stage = root.join("target/dist/stage-msi");
    let _ = fs::remove_dir_all(&stage);
    fs::create_dir_all(&stage)?;
    for exe in ["myna-bridge.exe", "myna-bridge-launcher.exe"] {
        copy(&bin.join(exe), &stage.join(exe))?;
    }
    // wixl finds `Source=` files relative to its working directory only.
    run(Command::new("wixl")
        .args(["-a", "x64", "-D"])
        .arg(format!("Version={}", msi_version(version)?))
        .arg("-o")
        .arg(out)
        .arg(root.join("bridge/dist/windows/myna-bridge.wxs"))
        .current_dir(&stage))
    .context("wixl (Debian package `wixl`) building the MSI")?;
    fs::remove_dir_all(&stage)?;
    Ok(())
}

/// The highest `GLIBC_x.y` symbol version `binary` needs (for the .deb's `Depends`).
fn glibc_needed(binary: &Path) -> Result<String> {
    let out = Command::new("objdump")
        .arg("-T")
        .arg(binary)
        .output()
        .context("running objdump")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut best: Option<(u32, u32)> = None;
    for word in text.split(|c: char| c.is_whitespace() || c == '(' || c == ')') {
        if let Some(v) = word.strip_prefix("GLIBC_") {
            let mut it = v.split('.').map(|n| n.parse::<u32>());
            if let (Some(Ok(a)), Some(Ok(b))) = (it.next(), it.next()) {
                best = best.max(Some((a, b)));
            }
        }
    }
    let (a, b) = best.context("no GLIBC symbol versions in the bridge binary")?;
    Ok(format!("{a}.{b}"))
}

/// The systemd user unit as the .deb installs it: the repository's unit with the binary at
/// `/usr/bin` instead of `~/.local/bin`.
pub fn packaged_unit(root: &Path) -> Result<String> {
    let unit = fs::read_to_string(root.join("bridge/dist/myna-bridge.service"))?;
    let from = "ExecStart=%h/.local/bin/myna-bridge";
    if !unit.contains(from) {
        bail!("bridge/dist/myna-bridge.service no longer has {from:?}; update xtask/src/dist.rs");
    }
    // The install steps in its comment are for the manual route; the package did them.
    let body: String = unit
        .lines()
        .skip_while(|l| l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    Ok(format!(
        "# systemd user unit of the myna-bridge package: `systemctl --user enable --now \
         myna-bridge`\n# (the package enables it for every user; see /usr/share/doc/myna-bridge/).\n{}",
        body.replace(from, "ExecStart=/usr/bin/myna-bridge")
    ))
}

/// Builds the .deb of the Linux bridge.
fn build_deb(root: &Path, version: &str, out: &Path) -> Result<()> {
    run(cargo()
        .args(["build", "--release", "-p", "myna-bridge"])
        .current_dir(root))?;
    let binary = root.join("target/release/myna-bridge");
    let stage = root.join("target/dist/stage-deb");
    let _ = fs::remove_dir_all(&stage);
    let dir = |p: &str| -> Result<PathBuf> {
        let d = stage.join(p);
        fs::create_dir_all(&d)?;
        Ok(d)
    };
    copy(&binary, &dir("usr/bin")?.join("myna-bridge"))?;
    run(Command::new("strip").arg(stage.join("usr/bin/myna-bridge")))?;
    fs::write(
        dir("usr/lib/systemd/user")?.join("myna-bridge.service"),
        packaged_unit(root)?,
    )?;
    let doc = dir("usr/share/doc/myna-bridge")?;
    copy(&root.join("docs/install.md"), &doc.join("install.md"))?;
    fs::write(
        doc.join("copyright"),
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\
         Upstream-Name: myna-web\nSource: https://github.com/myna-web/myna-web\n\n\
         Files: *\nLicense: MIT or Apache-2.0\n",
    )?;
    let installed_kb = walk_size(&stage)?.div_ceil(1024);
    let control = format!(
        "Package: myna-bridge\n\
         Version: {version}\n\
         Architecture: amd64\n\
         Maintainer: myna-web <dev@myna-web.invalid>\n\
         Installed-Size: {installed_kb}\n\
         Depends: libc6 (>= {glibc}), libgcc-s1, libpcsclite1, pcscd\n\
         Section: utils\n\
         Priority: optional\n\
         Homepage: https://github.com/myna-web/myna-web\n\
         Description: card-reader bridge for web-based health insurance eligibility checks\n \
         myna-bridge lets the reception web pages a clinic allows read a My Number Card in\n \
         this computer's PC/SC reader for オンライン資格確認 (資格確認限定型), and nothing\n \
         else. It listens on 127.0.0.1 only and runs in each user's session (systemd user\n \
         unit). Allowed origins: ~/.config/myna-bridge/bridge.toml.\n",
        glibc = glibc_needed(&binary)?,
    );
    let debian = dir("DEBIAN")?;
    fs::write(debian.join("control"), control)?;
    // Like Debian's dh_installsystemduser: enabled for every user, started at their next login
    // (a package cannot start a unit inside running user sessions it does not own).
    let postinst = "#!/bin/sh\nset -e\n\
        if [ \"$1\" = configure ] && command -v systemctl >/dev/null; then\n\
        \tsystemctl --global enable myna-bridge.service >/dev/null || true\nfi\n";
    let prerm = "#!/bin/sh\nset -e\n\
        if [ \"$1\" = remove ] && command -v systemctl >/dev/null; then\n\
        \tsystemctl --global disable myna-bridge.service >/dev/null || true\nfi\n";
    for (name, text) in [("postinst", postinst), ("prerm", prerm)] {
        let path = debian.join(name);
        fs::write(&path, text)?;
        run(Command::new("chmod").arg("0755").arg(&path))?;
    }
    run(Command::new("dpkg-deb")
        .args(["--root-owner-group", "-Zxz", "--build"])
        .arg(&stage)
        .arg(out))?;
    fs::remove_dir_all(&stage)?;
    Ok(())
}

fn walk_size(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            walk_size(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}

/// What the .deb holds, checked from the outside: its control fields, its files unpacked
/// (`dpkg-deb -x`), the packaged binary's `--version`, and the user unit through
/// `systemd-analyze verify` where systemd is installed.
pub fn check_deb(dist: &Dist) -> Result<()> {
    let field = |name: &str| -> Result<String> {
        let out = Command::new("dpkg-deb")
            .args(["-f"])
            .arg(&dist.deb)
            .arg(name)
            .output()?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    if field("Version")? != dist.version || field("Package")? != "myna-bridge" {
        bail!("{}: wrong Package/Version", dist.deb.display());
    }
    let depends = field("Depends")?;
    if !depends.contains("pcscd") || !depends.contains("libpcsclite1") {
        bail!("Depends: {depends}");
    }
    let root = workspace_root().join("target/dist/deb-check");
    let _ = fs::remove_dir_all(&root);
    run(Command::new("dpkg-deb").arg("-x").arg(&dist.deb).arg(&root))?;
    let out = Command::new(root.join("usr/bin/myna-bridge"))
        .arg("--version")
        .output()
        .context("running the packaged myna-bridge")?;
    let shown = String::from_utf8_lossy(&out.stdout);
    if shown.trim() != format!("myna-bridge {}", dist.version) {
        bail!("packaged myna-bridge --version: {shown:?}");
    }
    let unit = root.join("usr/lib/systemd/user/myna-bridge.service");
    if !fs::read_to_string(&unit)?.contains("ExecStart=/usr/bin/myna-bridge ") {
        bail!("{} does not start /usr/bin/myna-bridge", unit.display());
    }
    if Path::new("/usr/bin/systemd-analyze").exists() {
        // verify checks ExecStart= exists: point it at the unpacked binary.
        let checked = root.join("myna-bridge.service");
        fs::write(
            &checked,
            fs::read_to_string(&unit)?.replace(
                "ExecStart=/usr/bin/myna-bridge",
                &format!("ExecStart={}", root.join("usr/bin/myna-bridge").display()),
            ),
        )?;
        let out = Command::new("systemd-analyze")
            .args(["verify", "--man=no"])
            .arg(&checked)
            .output()?;
        if !out.status.success() {
            bail!(
                "systemd-analyze verify: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    fs::remove_dir_all(&root)?;
    println!("xtask: {} checked", dist.deb.display());
    Ok(())
}

/// `cargo check` of the bridge for both macOS targets.
pub fn check_macos(root: &Path) -> Result<()> {
    for target in MACOS_TARGETS {
        run(cargo()
            .args(["check", "-p", "myna-bridge", "-p", "myna-bridge-launcher"])
            .args(["--target", target])
            .current_dir(root))
        .with_context(|| format!("cargo check for {target}"))?;
    }
    Ok(())
}

/// Everything: the MSI, the bare .exe, the .deb, the macOS checks.
pub fn run_dist() -> Result<Dist> {
    let root = workspace_root();
    let version = workspace_version(&root)?;
    let out = root.join("target/dist");
    fs::create_dir_all(&out)?;
    let bin = build_windows(&root)?;
    let windows_exe = bin.join("myna-bridge.exe");
    copy(
        &windows_exe,
        &out.join(format!("myna-bridge-{version}-windows-x64.exe")),
    )?;
    let msi = out.join(format!("myna-bridge-{version}-x64.msi"));
    build_msi(&root, &bin, &version, &msi)?;
    let deb = out.join(format!("myna-bridge_{version}_amd64.deb"));
    build_deb(&root, &version, &deb)?;
    check_macos(&root)?;
    for f in [&msi, &deb] {
        println!(
            "xtask: {} ({} KiB)",
            f.display(),
            fs::metadata(f)?.len() / 1024
        );
    }
    Ok(Dist {
        version,
        msi,
        windows_exe,
        deb,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_come_from_the_workspace_and_fit_an_msi() {
        let root = workspace_root();
        let v = workspace_version(&root).unwrap();
        assert_eq!(v, env!("CARGO_PKG_VERSION"));
        assert_eq!(msi_version(&v).unwrap(), v);
        for bad in ["1.2", "1.2.3-rc.1", "1.2.3.4", "256.0.0", "a.b.c"] {
            assert!(msi_version(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_packaged_unit_runs_the_packaged_binary() {
        let unit = packaged_unit(&workspace_root()).unwrap();
        assert!(unit.contains("ExecStart=/usr/bin/myna-bridge --listen 127.0.0.1:27450"));
        assert!(!unit.contains(".local/bin"));
        assert!(unit.contains("[Install]\nWantedBy=default.target"));
    }
}
