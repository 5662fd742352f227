//! The page in one headless browser, as a receptionist uses it: click, type, read the text
//! staff see, wait for a state, screenshot. Driven by puppeteer-core through
//! `xtask/browser/drive.mjs` ([`myna_harness::Driver`]; see [`crate::browser`]).

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use myna_harness::Driver;
use serde_json::{Value, json};

use crate::browser;

/// A page in one headless browser, driven by puppeteer-core (see [`crate::browser`]).
pub struct Browser {
    driver: RefCell<Driver>,
    shots: PathBuf,
}

impl Browser {
    /// Starts browser `name` (of [`browser::BROWSERS`]); screenshots go to `shots`, the
    /// driver's log to `log`.
    pub fn open(name: &str, shots: PathBuf, log: &Path) -> Result<Browser> {
        let driver = Driver::start(&browser::drive_script(), name, log)?;
        println!("e2e: {name} is {}", driver.version());
        Ok(Browser {
            driver: RefCell::new(driver),
            shots,
        })
    }

    fn call(&self, op: &str, args: Value) -> Result<Value> {
        Ok(self.driver.borrow_mut().call(op, args)?)
    }

    pub fn goto(&self, url: &str) -> Result<()> {
        self.call("goto", json!({"url": url})).map(|_| ())
    }

    /// Reloads the page (as the receptionist pressing F5).
    pub fn reload(&self) -> Result<()> {
        self.call("reload", json!({})).map(|_| ())
    }

    /// Runs `script`, a function body (`return …;`), in the page; its result.
    pub fn js(&self, script: &str) -> Result<Value> {
        self.call("js", json!({"script": script}))
    }

    /// Clicks `css` as a user would (scrolled into view, a real mouse click at its centre).
    pub fn click(&self, css: &str) -> Result<()> {
        self.call("click", json!({"css": css}))
            .with_context(|| format!("clicking {css}"))
            .map(|_| ())
    }

    /// Clears `css` and types `text` into it, key by key.
    pub fn type_into(&self, css: &str, text: &str) -> Result<()> {
        self.call("type", json!({"css": css, "text": text}))
            .map(|_| ())
    }

    /// The text staff see in `css` (its rendered text).
    pub fn text(&self, css: &str) -> Result<String> {
        Ok(self
            .call("text", json!({"css": css}))?
            .as_str()
            .unwrap_or("")
            .to_owned())
    }

    /// Waits until the JS expression `condition` is truthy.
    pub fn wait(&self, what: &str, condition: &str, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let script = format!("return Boolean({condition});");
        loop {
            if self.js(&script)?.as_bool() == Some(true) {
                return Ok(());
            }
            if Instant::now() > deadline {
                let state = self.js(
                    "return `phase=${document.body.dataset.phase} outcome=${document.body.dataset.outcome} \
                     error=${document.getElementById('error-text').textContent} \
                     bridge=${document.getElementById('bridge-chip').textContent} \
                     card=${document.getElementById('card-chip').textContent}`;",
                )?;
                let _ = self.screenshot(&format!("FAILED-{}", what.replace(' ', "-")));
                bail!("timed out waiting for {what} ({condition}); page: {state}");
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let path = self.shots.join(format!("{name}.png"));
        self.call("screenshot", json!({"path": path}))
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    pub fn outcome(&self) -> Result<String> {
        Ok(self
            .js("return document.body.dataset.outcome ?? '';")?
            .as_str()
            .unwrap_or("")
            .to_owned())
    }
}
