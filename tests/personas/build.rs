//! Embeds `tests/fixtures/personas/**` into the binary, so `myna-bridge` and the eligibility
//! service find the personas from any working directory.
//!
//! Writes `$OUT_DIR/embedded_personas.rs`: one `include_bytes!` per file, keyed by its path
//! relative to the personas directory (with `/` separators), sorted.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, base: &Path, out: &mut Vec<(String, PathBuf)>) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, base, out)?;
        } else if path.is_file() && wanted(&path, base) {
            let relative = path
                .strip_prefix(base)
                .expect("walked from base")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            out.push((relative, path));
        }
    }
    Ok(())
}

/// Everything the loader reads; not the CA's private keys (only `cargo xtask personas`
/// signs with them) nor documentation.
fn wanted(path: &Path, base: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let in_ca = path.parent().is_some_and(|p| p == base.join("ca"));
    !(name.ends_with(".md") || (in_ca && name.contains(".key")))
}

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let dir = manifest.join("../fixtures/personas");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files = Vec::new();
    if dir.is_dir() {
        collect(&dir, &dir, &mut files).expect("reading the personas directory");
    }
    files.sort();
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"))
        .join("embedded_personas.rs");
    let mut code = Vec::new();
    writeln!(
        code,
        "/// Every file under `tests/fixtures/personas`, by relative path."
    )
    .unwrap();
    writeln!(code, "pub(crate) static FILES: &[(&str, &[u8])] = &[").unwrap();
    for (name, path) in &files {
        let absolute = path.canonicalize().expect("an existing file");
        println!("cargo:rerun-if-changed={}", absolute.display());
        writeln!(
            code,
            "    ({name:?}, include_bytes!({:?})),",
            absolute.display().to_string()
        )
        .unwrap();
    }
    writeln!(code, "];").unwrap();
    fs::write(&out, code).expect("writing embedded_personas.rs");
}
