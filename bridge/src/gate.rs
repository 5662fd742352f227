//! The door: who may open the WebSocket, checked before the upgrade.
//!
//! Threats 1 and 2 of `docs/security.md`: any website the receptionist visits can try
//! `ws://127.0.0.1:PORT`, and a DNS-rebinding page can reach it under its own host name. The
//! browser always sends `Origin` on a WebSocket handshake and a page cannot forge it; `Host`
//! is what the page's URL said. So before any message is exchanged the bridge answers
//! **403** unless:
//! - `Origin` is present, is not `null`, and is exactly (byte for byte) one of the allowed
//!   origins; and
//! - `Host` is `127.0.0.1:PORT`, `localhost:PORT` or `[::1]:PORT` for the port it listens on.
//!
//! The origin that passed is the one the bridge binds into what the card signs.

use std::collections::BTreeSet;

use axum::http::HeaderMap;
use axum::http::header::{HOST, ORIGIN};

/// Why a handshake was refused (logged; the client only sees 403).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// No `Origin` header: not a browser page, or a page hiding it.
    #[error("no Origin header")]
    MissingOrigin,
    /// `Origin: null` (sandboxed iframes, file: pages, some redirects).
    #[error("Origin is null")]
    NullOrigin,
    /// An origin not in the allowlist.
    #[error("origin {0:?} is not allowed")]
    OriginNotAllowed(String),
    /// No `Host` header.
    #[error("no Host header")]
    MissingHost,
    /// A `Host` that is not a loopback name with our port (DNS rebinding, wrong port).
    #[error("host {0:?} is not this bridge's loopback address")]
    ForeignHost(String),
}

/// The allowlist and the port, immutable once the bridge runs.
#[derive(Debug, Clone)]
pub struct Gate {
    port: u16,
    origins: BTreeSet<String>,
}

impl Gate {
    /// A gate for `port` admitting exactly `origins` (already validated ASCII serialisations).
    pub fn new(port: u16, origins: impl IntoIterator<Item = String>) -> Self {
        Gate {
            port,
            origins: origins.into_iter().collect(),
        }
    }

    /// The allowed origins.
    pub fn origins(&self) -> impl Iterator<Item = &str> {
        self.origins.iter().map(String::as_str)
    }

    /// Whether `origin` is allowed (for CORS on `/health`).
    pub fn allows(&self, origin: &str) -> bool {
        self.origins.contains(origin)
    }

    /// Checks `Host` alone (for `/health`, which non-browser tools may call without `Origin`).
    pub fn check_host(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        let host = headers
            .get(HOST)
            .ok_or(Refusal::MissingHost)?
            .to_str()
            .map_err(|_| Refusal::ForeignHost("<not ASCII>".into()))?;
        let port = self.port.to_string();
        let loopback = ["127.0.0.1", "localhost", "[::1]"].iter().any(|name| {
            host.len() == name.len() + 1 + port.len()
                && host[..name.len()].eq_ignore_ascii_case(name)
                && host[name.len()..].starts_with(':')
                && host[name.len() + 1..] == port
        });
        if loopback {
            Ok(())
        } else {
            Err(Refusal::ForeignHost(host.chars().take(100).collect()))
        }
    }

    /// Checks a WebSocket handshake; on success returns the origin to bind.
    pub fn check_handshake(&self, headers: &HeaderMap) -> Result<String, Refusal> {
        self.check_host(headers)?;
        let origin = headers.get(ORIGIN).ok_or(Refusal::MissingOrigin)?;
        let origin = origin
            .to_str()
            .map_err(|_| Refusal::OriginNotAllowed("<not ASCII>".into()))?;
        if origin == "null" {
            return Err(Refusal::NullOrigin);
        }
        if self.origins.contains(origin) {
            Ok(origin.to_string())
        } else {
            Err(Refusal::OriginNotAllowed(
                origin.chars().take(200).collect(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(host: Option<&str>, origin: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(host) = host {
            h.insert(HOST, host.parse().unwrap());
        }
        if let Some(origin) = origin {
            h.insert(ORIGIN, origin.parse().unwrap());
        }
        h
    }

    fn gate() -> Gate {
        Gate::new(
            27450,
            [
                "https://clinic.example.jp".to_string(),
                "http://localhost:8080".to_string(),
            ],
        )
    }

    #[test]
    fn the_handshake_matrix() {
        let g = gate();
        let allowed = "https://clinic.example.jp";
        let ok = Some(allowed);
        for host in [
            "127.0.0.1:27450",
            "localhost:27450",
            "LOCALHOST:27450",
            "[::1]:27450",
        ] {
            assert_eq!(
                g.check_handshake(&headers(Some(host), ok)).unwrap(),
                allowed,
                "{host}"
            );
        }
        let refused: &[(Option<&str>, Option<&str>, Refusal)] = &[
            (Some("127.0.0.1:27450"), None, Refusal::MissingOrigin),
            (Some("127.0.0.1:27450"), Some("null"), Refusal::NullOrigin),
            (None, ok, Refusal::MissingHost),
        ];
        for (host, origin, why) in refused {
            assert_eq!(
                g.check_handshake(&headers(*host, *origin)).as_ref(),
                Err(why)
            );
        }
        for origin in [
            "https://evil.example",
            "https://clinic.example.jp.evil.example", // look-alike suffix
            "https://evilclinic.example.jp",
            "http://clinic.example.jp",      // other scheme
            "https://clinic.example.jp:443", // not the serialisation the browser sends
            "https://clinic.example.jp/",
            "https://CLINIC.example.jp",
            "https://clinic.example.jp:8443",
            "http://localhost:8081",
            " https://clinic.example.jp",
        ] {
            assert!(
                matches!(
                    g.check_handshake(&headers(Some("127.0.0.1:27450"), Some(origin))),
                    Err(Refusal::OriginNotAllowed(_))
                ),
                "{origin}"
            );
        }
        for host in [
            "127.0.0.1:27451",    // wrong port
            "127.0.0.1",          // no port
            "evil.example:27450", // DNS rebinding
            "127.0.0.1.nip.io:27450",
            "localhost.:27450",
            "127.0.0.2:27450",
            "0.0.0.0:27450",
            "[::1]:274500",
            "localhost:27450 ",
        ] {
            assert!(
                matches!(
                    g.check_handshake(&headers(Some(host), ok)),
                    Err(Refusal::ForeignHost(_))
                ),
                "{host}"
            );
        }
    }

    #[test]
    fn health_needs_only_a_loopback_host() {
        let g = gate();
        assert!(
            g.check_host(&headers(Some("localhost:27450"), None))
                .is_ok()
        );
        assert!(
            g.check_host(&headers(Some("rebind.example:27450"), None))
                .is_err()
        );
        assert!(g.allows("http://localhost:8080"));
        assert!(!g.allows("http://localhost:8081"));
    }
}
