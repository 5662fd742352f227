//! The browser module's cost: its `.wasm` gzip-compressed (what a page downloads from a
//! server that compresses) and its start-up in headless Chromium.
//!
//! Start-up is timed inside the page with `performance.now()`: from just before
//! `import()` of the package's JS glue to the resolution of its default `init()` (fetch of
//! the `.wasm` from a loopback server, compile, instantiate). Every load is a new headless
//! Chromium started by `xtask/browser/drive.mjs` (puppeteer-core, the project's one browser
//! driver, through [`myna_harness::Driver`]), so a new browser profile: no HTTP cache and no
//! cached compiled code. The browser's flags are the driver's (no GPU, no sandbox, no
//! background traffic).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use flate2::Compression;
use flate2::write::GzEncoder;
use myna_harness::Driver;
use serde_json::json;

/// The package's files the benchmark uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageFiles {
    /// The `.wasm` module.
    pub wasm: PathBuf,
    /// The JS glue that loads it (wasm-bindgen `--target web`: default export `init`).
    pub glue: PathBuf,
}

/// Finds `NAME_bg.wasm` and `NAME.js` in `pkg`.
pub fn package_files(pkg: &Path) -> Result<PackageFiles> {
    let mut wasm: Vec<PathBuf> = std::fs::read_dir(pkg)
        .with_context(|| format!("reading {}", pkg.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
        .collect();
    wasm.sort();
    let [wasm] = wasm.as_slice() else {
        bail!(
            "{} holds {} .wasm files; one expected",
            pkg.display(),
            wasm.len()
        );
    };
    let stem = wasm
        .file_stem()
        .and_then(|s| s.to_str())
        .context("a non-UTF-8 file name")?;
    let glue = pkg.join(format!("{}.js", stem.strip_suffix("_bg").unwrap_or(stem)));
    if !glue.is_file() {
        bail!("no JS glue {} next to {}", glue.display(), wasm.display());
    }
    Ok(PackageFiles {
        wasm: wasm.clone(),
        glue,
    })
}

/// The `.wasm`'s size raw and gzip-compressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Size {
    /// The file.
    pub file: PathBuf,
    /// Bytes on disk.
    pub raw_bytes: u64,
    /// Bytes after gzip at level 9.
    pub gzip_bytes: u64,
}

/// Gzips the package's `.wasm` (level 9, as `gzip -9`).
pub fn gzip_size(pkg: &Path) -> Result<Size> {
    let files = package_files(pkg)?;
    let bytes = std::fs::read(&files.wasm)?;
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(&bytes)?;
    let gz = encoder.finish()?;
    Ok(Size {
        file: files.wasm,
        raw_bytes: bytes.len() as u64,
        gzip_bytes: gz.len() as u64,
    })
}

/// The page that times the start-up.
fn bench_page(glue: &str) -> String {
    format!(
        r#"<!doctype html>
<meta charset="utf-8">
<title>myna-web start-up</title>
<script type="module">
const t0 = performance.now();
try {{
  const m = await import("/pkg/{glue}");
  await m.default();
  window.__bench = {{ ok: true, ms: performance.now() - t0 }};
}} catch (e) {{
  window.__bench = {{ ok: false, error: String(e) }};
}}
</script>
"#
    )
}

#[derive(Clone)]
struct Files {
    pkg: PathBuf,
    page: String,
}

async fn page(State(files): State<Files>) -> Html<String> {
    Html(files.page.clone())
}

async fn pkg_file(State(files): State<Files>, UrlPath(name): UrlPath<String>) -> Response {
    if name.contains('/') || name.contains("..") {
        return StatusCode::NOT_FOUND.into_response();
    }
    let content_type = match Path::new(&name).extension().and_then(|e| e.to_str()) {
        Some("wasm") => "application/wasm",
        Some("js") => "text/javascript",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    };
    match std::fs::read(files.pkg.join(&name)) {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "no-store"),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Loads the package in `loads` fresh headless Chromiums (each started by `drive.mjs serve`,
/// so each with a new profile); the start-up times, ms. `driver`: `xtask/browser/drive.mjs`,
/// with its `node_modules` installed (`cargo xtask bench` does).
pub async fn init_times(pkg: &Path, driver: &Path, loads: usize, logs: &Path) -> Result<Vec<f64>> {
    let files = package_files(pkg)?;
    let glue = files
        .glue
        .file_name()
        .and_then(|n| n.to_str())
        .context("a non-UTF-8 file name")?
        .to_owned();
    let state = Files {
        pkg: pkg.to_path_buf(),
        page: bench_page(&glue),
    };
    let app = Router::new()
        .route("/bench.html", get(page))
        .route("/pkg/{name}", get(pkg_file))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let site = listener.local_addr()?;
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    std::fs::create_dir_all(logs).with_context(|| format!("creating {}", logs.display()))?;
    let (driver, log) = (driver.to_path_buf(), logs.join("chromium.log"));
    // The driver blocks; the page's server runs on this (single-threaded) runtime meanwhile.
    let times = tokio::task::spawn_blocking(move || {
        (0..loads)
            .map(|_| load_once(&driver, &log, &format!("http://{site}/bench.html")))
            .collect::<Result<Vec<f64>>>()
    })
    .await
    .context("the browser thread panicked")?;
    server.abort();
    times
}

/// One fresh Chromium loading `url`; the time the page measured, ms.
fn load_once(driver: &Path, log: &Path, url: &str) -> Result<f64> {
    let mut browser = Driver::start(driver, "chromium", log).context("starting Chromium")?;
    browser.call("goto", json!({ "url": url }))?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let value = browser.call("js", json!({"script": "return window.__bench || null;"}))?;
        if !value.is_null() {
            if value["ok"] != true {
                bail!("the module failed to start: {}", value["error"]);
            }
            return value["ms"].as_f64().context("no time");
        }
        if Instant::now() > deadline {
            bail!("the module did not start within 30 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_pkg(files: &[(&str, &[u8])]) -> PathBuf {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("myna-bench-pkg-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in files {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
        dir
    }

    #[test]
    fn finds_the_module_and_its_glue() {
        let dir = temp_pkg(&[
            ("myna_web_bg.wasm", &[0u8; 4096]),
            ("myna_web.js", b"export default async function init() {}"),
            ("myna_web.d.ts", b""),
        ]);
        let files = package_files(&dir).unwrap();
        assert_eq!(files.wasm, dir.join("myna_web_bg.wasm"));
        assert_eq!(files.glue, dir.join("myna_web.js"));
        let size = gzip_size(&dir).unwrap();
        assert_eq!(size.raw_bytes, 4096);
        assert!(size.gzip_bytes < 100, "zeros compress: {}", size.gzip_bytes);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn refuses_a_package_without_module_or_glue() {
        let dir = temp_pkg(&[("myna_web.js", b"")]);
        assert!(package_files(&dir).is_err());
        let dir2 = temp_pkg(&[("myna_web_bg.wasm", b"\0asm")]);
        assert!(package_files(&dir2).is_err());
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::remove_dir_all(&dir2);
    }

    #[test]
    fn the_page_imports_the_glue_and_reports() {
        let page = bench_page("myna_web.js");
        assert!(page.contains(r#"import("/pkg/myna_web.js")"#));
        assert!(page.contains("await m.default()"));
        assert!(page.contains("window.__bench"));
    }
}
