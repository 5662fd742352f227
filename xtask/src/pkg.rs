//! `cargo xtask pkg` — builds the npm package `myna-web` into `pkg/`.
//!
//! 1. `cargo build -p myna-web --target wasm32-unknown-unknown --profile wasm-release`
//!    (opt-level "z", fat LTO, one codegen unit; see the root `Cargo.toml`).
//! 2. Drops the `target_features` custom section, so that wasm-bindgen emits no
//!    reference-types instructions (`table.fill`) that Debian's binaryen (wasm-opt 108)
//!    cannot read; the module then needs only MVP + bulk-memory, sign-ext, multivalue,
//!    mutable-globals and non-trapping float-to-int, which every browser that runs the rest
//!    of the package has.
//! 3. `wasm-bindgen --target web` (the CLI at the `Cargo.lock` version) → `myna-web.js`
//!    (ES module, default export `init`), `myna-web.d.ts`, `myna-web_bg.wasm`.
//! 4. `wasm-opt -Oz` when it is installed; its output is kept only when it is smaller
//!    gzipped (old binaryen's `-Oz` can grow the compressed size).
//! 5. Copies `wasm/npm/{package.json, README.md, myna-web.css}` (the version from the
//!    workspace) and prints the gzipped `.wasm` size, failing above [`MAX_GZIP_BYTES`].

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::{run, system, workspace_root};

/// The size budget of the gzipped `.wasm`.
pub const MAX_GZIP_BYTES: u64 = 200 * 1024;

/// The package's output name (files `myna-web.js`, `myna-web_bg.wasm`, …).
const OUT_NAME: &str = "myna-web";

/// The wasm features the module uses once `target_features` is gone (see the module docs).
const WASM_OPT_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-sign-ext",
    "--enable-multivalue",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
];

/// Builds `pkg/` and returns the gzipped size of its `.wasm`.
pub fn run_pkg() -> Result<u64> {
    let root = workspace_root();
    system::ensure_rust_toolchain()?;
    system::ensure_wasm_bindgen_cli(&root)?;
    let raw = build_wasm(&root)?;
    let out = root.join("pkg");
    bindgen(&root, &raw, &out)?;
    let wasm = out.join(format!("{OUT_NAME}_bg.wasm"));
    optimize(&wasm)?;
    copy_package_files(&root, &out)?;
    let size = gzip_size(&wasm)?;
    println!(
        "xtask pkg: {} — {} bytes, {} bytes gzipped ({:.1} KiB; budget {} KiB)",
        wasm.display(),
        fs::metadata(&wasm)?.len(),
        size,
        size as f64 / 1024.0,
        MAX_GZIP_BYTES / 1024
    );
    if size > MAX_GZIP_BYTES {
        bail!("the gzipped .wasm is {size} bytes, over the {MAX_GZIP_BYTES}-byte budget");
    }
    Ok(size)
}

/// `cargo build` of the cdylib; returns the `.wasm` path.
fn build_wasm(root: &Path) -> Result<PathBuf> {
    run(Command::new("cargo")
        .args([
            "build",
            "--package",
            "myna-web",
            "--lib",
            "--target",
            "wasm32-unknown-unknown",
            "--profile",
            "wasm-release",
        ])
        .current_dir(root))?;
    let path = root.join("target/wasm32-unknown-unknown/wasm-release/myna_web.wasm");
    if !path.exists() {
        bail!("cargo did not produce {}", path.display());
    }
    Ok(path)
}

/// Runs wasm-bindgen on a copy of `raw` without its `target_features` section.
fn bindgen(root: &Path, raw: &Path, out: &Path) -> Result<()> {
    let bytes = fs::read(raw).with_context(|| format!("reading {}", raw.display()))?;
    let stripped = without_custom_section(&bytes, "target_features")?;
    let staging = root.join("target/myna-web-pkg");
    fs::create_dir_all(&staging)?;
    let input = staging.join("myna_web.wasm");
    fs::write(&input, stripped)?;
    if out.exists() {
        fs::remove_dir_all(out).with_context(|| format!("cleaning {}", out.display()))?;
    }
    run(Command::new("wasm-bindgen")
        .args(["--target", "web", "--out-name", OUT_NAME])
        .args(["--remove-name-section", "--remove-producers-section"])
        .arg("--out-dir")
        .arg(out)
        .arg(&input))
}

/// `wasm-opt -Oz` in place, when it is installed and its output compresses smaller.
fn optimize(wasm: &Path) -> Result<()> {
    let available = Command::new("wasm-opt")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        println!("xtask pkg: wasm-opt not found (Debian package binaryen); skipping it");
        return Ok(());
    }
    let optimized = wasm.with_extension("opt.wasm");
    let status = Command::new("wasm-opt")
        .arg("-Oz")
        // Inlining single-caller functions grows the gzipped size with binaryen 108.
        .args([
            "--one-caller-inline-max-function-size=0",
            "--flexible-inline-max-function-size=0",
        ])
        .args(WASM_OPT_FEATURES)
        .arg(wasm)
        .arg("-o")
        .arg(&optimized)
        .status()
        .context("running wasm-opt")?;
    if !status.success() {
        bail!("wasm-opt failed: {status}");
    }
    let (before, after) = (gzip_size(wasm)?, gzip_size(&optimized)?);
    if after < before {
        fs::rename(&optimized, wasm)?;
        println!("xtask pkg: wasm-opt -Oz: {before} → {after} bytes gzipped");
    } else {
        fs::remove_file(&optimized)?;
        println!(
            "xtask pkg: wasm-opt -Oz would grow the gzipped size ({before} → {after}); kept the wasm-bindgen output"
        );
    }
    Ok(())
}

fn copy_package_files(root: &Path, out: &Path) -> Result<()> {
    let npm = root.join("wasm/npm");
    for file in ["README.md", "myna-web.css"] {
        fs::copy(npm.join(file), out.join(file)).with_context(|| format!("copying {file}"))?;
    }
    let manifest = fs::read_to_string(npm.join("package.json"))?;
    let version = env!("CARGO_PKG_VERSION");
    let marker = "\"version\": \"0.0.0\"";
    if !manifest.contains(marker) {
        bail!("wasm/npm/package.json must carry the placeholder {marker}");
    }
    fs::write(
        out.join("package.json"),
        manifest.replace(marker, &format!("\"version\": \"{version}\"")),
    )?;
    Ok(())
}

/// The size of `path` compressed with `gzip -9`.
pub fn gzip_size(path: &Path) -> Result<u64> {
    let output = Command::new("gzip")
        .args(["-9", "-n", "-c"])
        .arg(path)
        .output()
        .context("running gzip")?;
    if !output.status.success() {
        bail!("gzip failed on {}", path.display());
    }
    Ok(output.stdout.len() as u64)
}

fn read_leb_u32(bytes: &[u8], at: &mut usize) -> Result<u32> {
    let mut value: u32 = 0;
    for shift in (0..35).step_by(7) {
        let byte = *bytes.get(*at).context("truncated LEB128")?;
        *at += 1;
        value |= u32::from(byte & 0x7F) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    bail!("LEB128 longer than 5 bytes")
}

/// A copy of a wasm module without the custom section(s) named `name`.
pub fn without_custom_section(module: &[u8], name: &str) -> Result<Vec<u8>> {
    const HEADER: usize = 8;
    if module.len() < HEADER || &module[..4] != b"\0asm" {
        bail!("not a wasm module");
    }
    let mut out = module[..HEADER].to_vec();
    let mut at = HEADER;
    while at < module.len() {
        let start = at;
        let id = module[at];
        at += 1;
        let size = read_leb_u32(module, &mut at)? as usize;
        let body = at;
        let end = body.checked_add(size).filter(|&e| e <= module.len());
        let end = end.context("section runs past the end of the module")?;
        let drop = id == 0 && {
            let mut p = body;
            let len = read_leb_u32(module, &mut p)? as usize;
            module.get(p..p + len) == Some(name.as_bytes())
        };
        if !drop {
            out.extend_from_slice(&module[start..end]);
        }
        at = end;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn custom(name: &str, payload: &[u8]) -> Vec<u8> {
        let mut body = vec![name.len() as u8];
        body.extend_from_slice(name.as_bytes());
        body.extend_from_slice(payload);
        let mut s = vec![0, body.len() as u8];
        s.extend(body);
        s
    }

    #[test]
    fn drops_only_the_named_custom_section() {
        let mut module = b"\0asm\x01\0\0\0".to_vec();
        module.extend([1, 1, 0]); // an empty type section
        module.extend(custom("target_features", b"\x01+\x0breference-types"));
        module.extend(custom("producers", b"\0"));
        let out = without_custom_section(&module, "target_features").unwrap();
        let mut expected = b"\0asm\x01\0\0\0".to_vec();
        expected.extend([1, 1, 0]);
        expected.extend(custom("producers", b"\0"));
        assert_eq!(out, expected);
    }

    #[test]
    fn refuses_what_is_not_wasm() {
        assert!(without_custom_section(b"hello", "x").is_err());
        let mut truncated = b"\0asm\x01\0\0\0".to_vec();
        truncated.extend([0, 50, 1]);
        assert!(without_custom_section(&truncated, "x").is_err());
    }
}
