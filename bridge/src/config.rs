//! Configuration: where to listen and which web origins may connect.
//!
//! Sources, merged: the command line (`--listen`, `--allow-origin` …) and a TOML file
//! (`bridge.toml` in the platform's config directory, or `--config PATH`):
//!
//! ```toml
//! # which reception pages may use the card reader
//! allow_origins = ["https://reception.clinic.example.jp"]
//! # optional; loopback only
//! listen = "127.0.0.1:27450"
//! ```
//!
//! Every origin is validated at start (`scheme://host[:port]`, nothing else), and the listen
//! address must be loopback: a bridge reachable from the network is refused, not warned about.
//! An `http://` origin is accepted only for a loopback host (`localhost`, `127.0.0.0/8`,
//! `[::1]`; [`myna_core::loopback`]): anyone on the network path to any other plain-http
//! page can inject script into it, and that script would then be an allowed page
//! (docs/security.md T20). The demo's `http://127.0.0.1:8787` stays allowed.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The default port: below the Linux ephemeral range, unassigned by IANA.
pub const DEFAULT_PORT: u16 = 27450;

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `--listen` or `listen` is not a loopback address.
    #[error(
        "refusing to listen on {0}: the bridge must only be reachable from this computer; \
         use 127.0.0.1:PORT or [::1]:PORT"
    )]
    NotLoopback(SocketAddr),
    /// An origin that is not `scheme://host[:port]`.
    #[error("allowed origin {origin:?} is not valid: {why}")]
    BadOrigin {
        /// The value given.
        origin: String,
        /// What is wrong with it.
        why: String,
    },
    /// An `http://` origin whose host is not loopback.
    #[error(
        "refusing allowed origin {0:?}: plain http is accepted only for this computer \
         (http://localhost, http://127.0.0.1, http://[::1]); anyone on the network path to \
         another http page can inject script into it — serve the reception page over https"
    )]
    InsecureOrigin(String),
    /// The config file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The config file is not valid TOML of the expected shape.
    #[error("{path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        source: toml::de::Error,
    },
}

/// The config file's contents.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Web origins allowed to connect.
    #[serde(default)]
    pub allow_origins: Vec<String>,
    /// Where to listen.
    pub listen: Option<SocketAddr>,
}

/// The platform's default config file (`bridge.toml` in the user's config directory).
pub fn default_config_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("jp", "myna-web", "myna-bridge")
        .map(|dirs| dirs.config_dir().join("bridge.toml"))
}

/// Reads a config file; a missing default file is an empty config.
pub fn load_file(path: &Path, required: bool) -> Result<FileConfig, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_path_buf(),
            source,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
            Ok(FileConfig::default())
        }
        Err(source) => Err(ConfigError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The checked configuration the server runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// A loopback address.
    pub listen: SocketAddr,
    /// Validated origins, deduplicated.
    pub allowed_origins: Vec<String>,
}

impl Config {
    /// Merges the command line over the file and checks the result.
    pub fn resolve(
        cli_listen: Option<SocketAddr>,
        cli_origins: &[String],
        file: FileConfig,
    ) -> Result<Config, ConfigError> {
        let listen = cli_listen
            .or(file.listen)
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT)));
        if !listen.ip().is_loopback() {
            return Err(ConfigError::NotLoopback(listen));
        }
        let mut allowed_origins = Vec::new();
        for origin in cli_origins.iter().chain(&file.allow_origins) {
            myna_core::auth::validate_origin(origin).map_err(|e| ConfigError::BadOrigin {
                origin: origin.clone(),
                why: e.to_string(),
            })?;
            if origin.starts_with("http://")
                && !myna_core::loopback::host_of(origin)
                    .is_some_and(myna_core::loopback::is_loopback_host)
            {
                return Err(ConfigError::InsecureOrigin(origin.clone()));
            }
            if !allowed_origins.contains(origin) {
                allowed_origins.push(origin.clone());
            }
        }
        Ok(Config {
            listen,
            allowed_origins,
        })
    }

    /// Allows a plain-`http://` origin whose host is not loopback — what [`Config::resolve`]
    /// refuses (docs/security.md T20). Only the command line's
    /// `--allow-insecure-http-origin` comes here, never the config file: it exists for test
    /// rigs that make a page look like a public site (the browsers' Local Network Access
    /// tests), and anyone on the network path to such a page can inject script into it.
    pub fn allow_insecure_http_origin(&mut self, origin: &str) -> Result<(), ConfigError> {
        myna_core::auth::validate_origin(origin).map_err(|e| ConfigError::BadOrigin {
            origin: origin.to_string(),
            why: e.to_string(),
        })?;
        if !origin.starts_with("http://") {
            return Err(ConfigError::BadOrigin {
                origin: origin.to_string(),
                why: "--allow-insecure-http-origin takes http:// origins only; use --allow-origin"
                    .into(),
            });
        }
        if !self.allowed_origins.iter().any(|o| o == origin) {
            self.allowed_origins.push(origin.to_string());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_addresses_are_accepted() {
        for ok in ["127.0.0.1:1", "[::1]:27450", "127.0.0.2:80"] {
            Config::resolve(Some(ok.parse().unwrap()), &[], FileConfig::default()).unwrap();
        }
        for bad in ["0.0.0.0:27450", "192.168.1.10:27450", "[::]:27450"] {
            let e = Config::resolve(Some(bad.parse().unwrap()), &[], FileConfig::default())
                .unwrap_err();
            assert!(matches!(e, ConfigError::NotLoopback(_)), "{bad}");
            assert!(
                e.to_string()
                    .contains("only be reachable from this computer")
            );
        }
        let file = FileConfig {
            listen: Some("10.0.0.1:1".parse().unwrap()),
            ..Default::default()
        };
        assert!(Config::resolve(None, &[], file).is_err());
    }

    #[test]
    fn origins_merge_validate_and_deduplicate() {
        let file: FileConfig = toml::from_str(
            r#"allow_origins = ["https://clinic.example.jp", "http://localhost:8080"]"#,
        )
        .unwrap();
        let c = Config::resolve(None, &["https://clinic.example.jp".into()], file).unwrap();
        assert_eq!(
            c.allowed_origins,
            ["https://clinic.example.jp", "http://localhost:8080"]
        );
        assert_eq!(c.listen, SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT)));
        for bad in [
            "https://clinic.example.jp/",
            "clinic.example.jp",
            "https://a.example/path",
            "null",
            "",
        ] {
            let e = Config::resolve(None, &[bad.to_string()], FileConfig::default()).unwrap_err();
            assert!(matches!(e, ConfigError::BadOrigin { .. }), "{bad}");
        }
    }

    /// The explicit opt-out for test rigs: only http origins, only through this call.
    #[test]
    fn an_insecure_http_origin_only_when_asked_for_by_name() {
        let mut c = Config::resolve(None, &[], FileConfig::default()).unwrap();
        c.allow_insecure_http_origin("http://reception.test:8080")
            .unwrap();
        assert_eq!(c.allowed_origins, ["http://reception.test:8080"]);
        for bad in [
            "https://clinic.example.jp",
            "http://reception.test/path",
            "ws://x",
        ] {
            assert!(c.allow_insecure_http_origin(bad).is_err(), "{bad}");
        }
        assert!(
            Config::resolve(
                None,
                &["http://reception.test:8080".into()],
                FileConfig::default()
            )
            .is_err()
        );
    }

    /// Issue 11 item 5: `http://` origins of any host were accepted.
    #[test]
    fn issue_11_plain_http_origins_only_for_loopback_hosts() {
        for ok in [
            "http://127.0.0.1:8787",
            "http://localhost:8080",
            "http://[::1]:3000",
            "http://127.0.0.2",
            "https://clinic.example.jp",
            "https://192.168.1.10:8443",
        ] {
            Config::resolve(None, &[ok.to_string()], FileConfig::default()).unwrap();
        }
        for bad in [
            "http://clinic.example.jp",
            "http://192.168.1.10:8080",
            "http://localhost.example.jp",
            "http://a.localhost",
            "http://[::2]",
            "http://10.0.0.1",
        ] {
            let e = Config::resolve(None, &[bad.to_string()], FileConfig::default()).unwrap_err();
            assert!(
                matches!(&e, ConfigError::InsecureOrigin(o) if o == bad),
                "{bad}"
            );
            let text = e.to_string();
            assert!(text.contains(bad) && text.contains("https"), "{text}");
            // The same from the config file.
            let file = FileConfig {
                allow_origins: vec![bad.to_string()],
                ..Default::default()
            };
            assert!(matches!(
                Config::resolve(None, &[], file),
                Err(ConfigError::InsecureOrigin(_))
            ));
        }
    }

    #[test]
    fn config_files_are_strict() {
        let dir = std::env::temp_dir().join(format!("myna-bridge-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bridge.toml");
        std::fs::write(&path, "allow_origin = [\"https://typo.example\"]\n").unwrap();
        assert!(matches!(
            load_file(&path, true),
            Err(ConfigError::Parse { .. })
        ));
        std::fs::remove_file(&path).unwrap();
        assert!(load_file(&path, false).unwrap().allow_origins.is_empty());
        assert!(matches!(
            load_file(&path, true),
            Err(ConfigError::Read { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
