//! The size rule of issue 15: no non-test source file over [`MAX_SOURCE_LINES`] lines.
//! `cargo xtask test` checks it and `myna-bench` reports the largest file.
//!
//! - **Source files**: `.rs`, `.js`, `.mjs` and `.ts` files below the workspace root, except
//!   in `target/`, `node_modules/`, `pkg/` (generated) and hidden folders.
//! - **Test files** (not held to the rule): anything inside a `tests/` or `benches/` folder,
//!   files named `tests.rs` or `*_tests.rs`, and fuzz targets (`fuzz/fuzz_targets/`).
//!
//! Why a line count: a file past a few hundred lines usually holds more than one layer, and a
//! newcomer has to read all of it to change one part. 900 is the ceiling the issue set, not a
//! goal.

use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// The most lines a non-test source file may have.
pub const MAX_SOURCE_LINES: usize = 900;

/// Folders never walked into (generated or installed files).
const SKIPPED_DIRS: &[&str] = &["target", "node_modules", "pkg"];
/// The extensions that count as source.
const SOURCE_EXTENSIONS: &[&str] = &["rs", "js", "mjs", "ts"];

/// A source file and its line count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// The path relative to the root that was walked.
    pub path: PathBuf,
    /// Its lines.
    pub lines: usize,
}

/// Whether `relative` (a path below the workspace root) is a test file under the rule.
pub fn is_test_file(relative: &Path) -> bool {
    let mut components = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy());
    let in_test_dir = relative.parent().is_some_and(|dir| {
        dir.components()
            .any(|c| matches!(c.as_os_str().to_str(), Some("tests" | "benches")))
    });
    let fuzz_target = components.next().as_deref() == Some("fuzz")
        && components.next().as_deref() == Some("fuzz_targets");
    let name = relative
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    in_test_dir || fuzz_target || name == "tests.rs" || name.ends_with("_tests.rs")
}

/// Every non-test source file below `root`, largest first.
pub fn non_test_sources(root: &Path) -> Result<Vec<SourceFile>> {
    let mut found = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(dir) = pending.pop() {
        let full = root.join(&dir);
        let entries =
            std::fs::read_dir(&full).map_err(Error::io(format!("listing {}", full.display())))?;
        for entry in entries {
            let entry = entry.map_err(Error::io(format!("listing {}", full.display())))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let relative = dir.join(&name);
            let kind = entry
                .file_type()
                .map_err(Error::io(format!("reading {}", relative.display())))?;
            if kind.is_dir() {
                if !name.starts_with('.') && !SKIPPED_DIRS.contains(&name.as_str()) {
                    pending.push(relative);
                }
                continue;
            }
            let source = Path::new(&name)
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| SOURCE_EXTENSIONS.contains(&e));
            if kind.is_file() && source && !is_test_file(&relative) {
                let text = std::fs::read(entry.path())
                    .map_err(Error::io(format!("reading {}", relative.display())))?;
                let lines = text.split(|b| *b == b'\n').count()
                    - usize::from(text.ends_with(b"\n") || text.is_empty());
                found.push(SourceFile {
                    path: relative,
                    lines,
                });
            }
        }
    }
    found.sort_by(|a, b| b.lines.cmp(&a.lines).then_with(|| a.path.cmp(&b.path)));
    Ok(found)
}

/// The files of `sources` over [`MAX_SOURCE_LINES`].
pub fn oversized(sources: &[SourceFile]) -> Vec<&SourceFile> {
    sources
        .iter()
        .filter(|f| f.lines > MAX_SOURCE_LINES)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_test_files_from_sources() {
        for test in [
            "bridge/tests/bridge_ws.rs",
            "tests/personas/src/lib.rs",
            "bridge/src/virtual_card/tests.rs",
            "core/src/jpki_tests.rs",
            "bench/benches/apdus.rs",
            "fuzz/fuzz_targets/tlv.rs",
        ] {
            assert!(is_test_file(Path::new(test)), "{test}");
        }
        for source in [
            "core/src/jpki.rs",
            "xtask/src/e2e/mod.rs",
            "web-demo/static/app.js",
            "fuzz/src/lib.rs",
            "core/src/contests.rs",
            "core/src/tests_support.rs",
        ] {
            assert!(!is_test_file(Path::new(source)), "{source}");
        }
    }

    #[test]
    fn finds_the_oversized_sources_and_only_those() {
        let root = std::env::temp_dir().join(format!("myna-harness-sizes-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let lines = |n: usize| "x\n".repeat(n);
        for (path, text) in [
            ("core/src/big.rs", lines(MAX_SOURCE_LINES + 1)),
            ("core/src/ok.rs", lines(MAX_SOURCE_LINES)),
            (
                "core/src/no_newline.rs",
                format!("{}x", lines(MAX_SOURCE_LINES)),
            ),
            ("core/tests/huge.rs", lines(5000)),
            ("core/src/tests.rs", lines(5000)),
            ("target/debug/build/gen.rs", lines(5000)),
            ("xtask/browser/node_modules/p/index.js", lines(5000)),
            ("web-demo/static/app.js", lines(MAX_SOURCE_LINES + 7)),
            ("docs/long.md", lines(5000)),
        ] {
            let file = root.join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, text).unwrap();
        }
        let sources = non_test_sources(&root).unwrap();
        let over: Vec<_> = oversized(&sources)
            .iter()
            .map(|f| (f.path.to_string_lossy().into_owned(), f.lines))
            .collect();
        assert_eq!(
            over,
            [
                ("web-demo/static/app.js".to_string(), MAX_SOURCE_LINES + 7),
                ("core/src/big.rs".to_string(), MAX_SOURCE_LINES + 1),
                ("core/src/no_newline.rs".to_string(), MAX_SOURCE_LINES + 1),
            ]
        );
        assert_eq!(sources.len(), 4);
        let _ = std::fs::remove_dir_all(&root);
    }
}
