//! The reference page's type check: `tsc --noEmit` over `web-demo/static/` (every module
//! starts with `// @ts-check`) against the npm package's `.d.ts` in `pkg/`, with the
//! `typescript` that `xtask/tsc/package.json` pins (`npm ci`, lockfile committed).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};
use serde_json::Value;

use crate::{run, workspace_root};

fn tsc_dir() -> PathBuf {
    workspace_root().join("xtask/tsc")
}

fn version(manifest: &Path, pointer: &str) -> Option<String> {
    let text = std::fs::read_to_string(manifest).ok()?;
    let value: Value = serde_json::from_str(&text).ok()?;
    value.pointer(pointer)?.as_str().map(str::to_owned)
}

/// Builds `pkg/` when its declarations are missing, installs the pinned `typescript` when it
/// is not installed, and runs `tsc --noEmit -p xtask/tsc`.
pub fn check_page() -> Result<()> {
    let root = workspace_root();
    let dir = tsc_dir();
    if !root.join("pkg/myna-web.d.ts").exists()
        || !root.join("pkg").join(crate::labels::DTS_FILE).exists()
    {
        crate::pkg::run_pkg()?;
    }
    let pinned = version(&dir.join("package.json"), "/devDependencies/typescript")
        .context("xtask/tsc/package.json pins no typescript")?;
    let installed = version(
        &dir.join("node_modules/typescript/package.json"),
        "/version",
    );
    if installed.as_deref() != Some(pinned.as_str()) {
        println!("xtask: npm ci in {} (typescript {pinned})", dir.display());
        run(Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir))?;
    }
    run(Command::new("node")
        .arg(dir.join("node_modules/typescript/bin/tsc"))
        .args(["--noEmit", "-p"])
        .arg(dir.join("tsconfig.json"))
        .current_dir(&dir))?;
    println!("xtask tsc: the reference page type-checks against pkg/ (typescript {pinned})");
    Ok(())
}
