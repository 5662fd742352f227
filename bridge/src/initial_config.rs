//! `myna-bridge init-config`: the first `bridge.toml`, written by an installer.
//!
//! The Windows MSI takes the reception page's origin as a property
//! (`msiexec /i myna-bridge.msi ALLOW_ORIGIN=https://…`, for mass deployment) and runs
//! `myna-bridge init-config --allow-origin <it>` after copying the files. The rule that makes
//! this safe to run on every install and every upgrade: **an existing `bridge.toml` is never
//! touched.** The file is the clinic's (IT may have added origins or a port by hand); the
//! installer only seeds a missing one. The file is created with `create_new`, so even two
//! installers at once cannot overwrite each other's. When the existing file does not allow an
//! origin the installer was given, the command says so (the MSI's custom action writes it to
//! the bridge's log) and still succeeds: the installed bridge keeps the clinic's settings.
//!
//! Every origin is validated before anything is written: a typo in a deployment script
//! (`https://reception.example.jp/`, a missing scheme) fails the install instead of producing
//! a bridge that refuses every page.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::config;

/// What `init-config` did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The file did not exist and now allows the given origins.
    Created,
    /// The file existed and was left as it is; these of the given origins it does not allow.
    KeptExisting {
        /// Origins given to `init-config` that the existing file does not list.
        not_allowed: Vec<String>,
    },
}

/// Why `init-config` wrote nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InitConfigError {
    /// No origin was given: a config without one would refuse every page.
    #[error("give at least one origin to allow (--allow-origin https://reception.example.jp)")]
    NoOrigin,
    /// An origin that is not `scheme://host[:port]`, or an existing file that cannot be read.
    #[error(transparent)]
    Config(#[from] Box<config::ConfigError>),
    /// The file or its directory cannot be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// Writes `path` allowing `origins`, unless it exists (then it is left untouched).
pub fn init_config(path: &Path, origins: &[String]) -> Result<Outcome, InitConfigError> {
    if origins.is_empty() {
        return Err(InitConfigError::NoOrigin);
    }
    // The same validation the bridge applies at start.
    let checked =
        config::Config::resolve(None, origins, config::FileConfig::default()).map_err(Box::new)?;
    if path.exists() {
        let existing = config::load_file(path, true).map_err(Box::new)?;
        let not_allowed = checked
            .allowed_origins
            .into_iter()
            .filter(|o| !existing.allow_origins.contains(o))
            .collect();
        return Ok(Outcome::KeptExisting { not_allowed });
    }
    let write_error = |source| InitConfigError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(write_error)?;
    }
    let mut table = toml::Table::new();
    table.insert(
        "allow_origins".into(),
        toml::Value::Array(
            checked
                .allowed_origins
                .into_iter()
                .map(toml::Value::String)
                .collect(),
        ),
    );
    let text = format!(
        "# myna-bridge: which web pages may use this computer's card reader.\n\
         # Written once by the installer; edit freely, installers never overwrite this file.\n\
         # listen = \"127.0.0.1:{}\"   # the default; loopback addresses only\n{}",
        config::DEFAULT_PORT,
        toml::to_string(&table).expect("a table of strings serialises")
    );
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(file) => file,
        // Created by someone else since the check above: theirs stands.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return init_config(path, origins);
        }
        Err(e) => return Err(write_error(e)),
    };
    file.write_all(text.as_bytes()).map_err(write_error)?;
    Ok(Outcome::Created)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "myna-bridge-init-config-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("nested").join("bridge.toml")
    }

    #[test]
    fn a_missing_file_is_created_and_the_bridge_reads_it_back() {
        let path = temp("create");
        let origins = vec!["https://reception.clinic.example.jp".to_string()];
        assert_eq!(init_config(&path, &origins).unwrap(), Outcome::Created);
        let read = config::load_file(&path, true).unwrap();
        assert_eq!(read.allow_origins, origins);
        assert_eq!(read.listen, None);
        std::fs::remove_dir_all(path.parent().unwrap().parent().unwrap()).unwrap();
    }

    #[test]
    fn an_existing_file_is_never_overwritten() {
        let path = temp("keep");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let clinic = "allow_origins = [\"https://a.example.jp\"]\nlisten = \"127.0.0.1:27451\"\n";
        std::fs::write(&path, clinic).unwrap();
        let outcome = init_config(
            &path,
            &["https://a.example.jp".into(), "https://b.example.jp".into()],
        )
        .unwrap();
        assert_eq!(
            outcome,
            Outcome::KeptExisting {
                not_allowed: vec!["https://b.example.jp".into()]
            }
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), clinic);
        std::fs::remove_dir_all(path.parent().unwrap().parent().unwrap()).unwrap();
    }

    #[test]
    fn bad_origins_write_nothing() {
        let path = temp("bad");
        for bad in [
            vec![],
            vec!["https://reception.example.jp/".to_string()],
            vec!["reception.example.jp".to_string()],
            vec!["https://ok.example.jp".to_string(), "\" evil".to_string()],
        ] {
            assert!(init_config(&path, &bad).is_err(), "{bad:?}");
            assert!(!path.exists(), "{bad:?}");
        }
    }
}
