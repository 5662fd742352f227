//! Which hosts are this computer: the one fact behind three rules — the bridge accepts
//! `http://` origins only for loopback hosts (anyone on the network path to any other `http`
//! origin can inject script into it), the module's `connectBridge` connects only to loopback
//! bridges unless its caller opts in, and the demo page's CSP.
//!
//! Loopback here is what a browser and the OS both treat as this computer without asking a
//! resolver: the name `localhost`, IPv4 `127.0.0.0/8` (canonical dotted decimal) and IPv6
//! `::1` (in brackets, as URLs and origins write it). Names that merely resolve to
//! 127.0.0.1 (`evil.example`, `*.localhost`) are not loopback for these rules: their
//! resolution is not ours to trust.

use std::net::{Ipv4Addr, Ipv6Addr};

/// Whether `host` (as it appears in a URL or origin: lower-case name, dotted IPv4 or
/// bracketed IPv6, no port) is a loopback host.
pub fn is_loopback_host(host: &str) -> bool {
    if host == "localhost" {
        return true;
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner
            .parse::<Ipv6Addr>()
            .is_ok_and(|ip| ip == Ipv6Addr::LOCALHOST);
    }
    host.parse::<Ipv4Addr>()
        .is_ok_and(|ip| ip.is_loopback() && ip.to_string() == host)
}

/// The host of `scheme://host[:port]` (an origin, or a URL's authority without user info),
/// `None` if it has no `://`. The path, query and fragment, if any, are cut off.
pub fn host_of(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    if authority.contains('@') {
        return None;
    }
    if authority.starts_with('[') {
        let end = authority.find(']')?;
        return Some(&authority[..=end]);
    }
    Some(authority.split(':').next().unwrap_or(authority))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for yes in [
            "localhost",
            "127.0.0.1",
            "127.1.2.3",
            "127.255.255.255",
            "[::1]",
        ] {
            assert!(is_loopback_host(yes), "{yes}");
        }
        for no in [
            "clinic.example.jp",
            "localhost.example.jp",
            "a.localhost",
            "128.0.0.1",
            "0.0.0.0",
            "10.0.0.1",
            "127.000.0.1",
            "127.1",
            "::1",
            "[::]",
            "[::ffff:127.0.0.1]",
            "LOCALHOST",
            "",
        ] {
            assert!(!is_loopback_host(no), "{no}");
        }
    }

    #[test]
    fn hosts_of_urls() {
        assert_eq!(host_of("ws://127.0.0.1:27450/v1"), Some("127.0.0.1"));
        assert_eq!(host_of("ws://[::1]:27450/v1"), Some("[::1]"));
        assert_eq!(host_of("http://localhost"), Some("localhost"));
        assert_eq!(host_of("wss://evil.example/v1?x"), Some("evil.example"));
        assert_eq!(host_of("ws://127.0.0.1@evil.example/"), None);
        assert_eq!(host_of("127.0.0.1:80"), None);
    }
}
