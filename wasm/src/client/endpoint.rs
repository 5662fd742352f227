//! Where the bridge is: the URL a page passes to `connectBridge`, normalised to the
//! WebSocket and `/health` addresses, and the loopback rule (issue 11).

use crate::error::{WebError, WebResult};

/// The bridge's default port.
pub const DEFAULT_PORT: u16 = myna_core::wire::DEFAULT_PORT;

/// The two addresses of a bridge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// The WebSocket, `ws://host:port/v1`.
    pub websocket: String,
    /// `http://host:port/health`.
    pub health: String,
}

/// Normalises a bridge URL: `ws`/`wss` (or `http`/`https`, mapped to them), a host, and the
/// path `/v1` when none is given.
pub fn endpoints(url: &str) -> WebResult<Endpoints> {
    let bad = |why: &str| WebError::InvalidArgument(format!("bridge URL {url:?}: {why}"));
    let url = url.trim();
    let (scheme, rest) =
        myna_core::loopback::split_scheme(url).ok_or_else(|| bad("expected ws://host:port/v1"))?;
    let (ws_scheme, http_scheme) = match scheme.to_ascii_lowercase().as_str() {
        "ws" | "http" => ("ws", "http"),
        "wss" | "https" => ("wss", "https"),
        _ => return Err(bad("the scheme must be ws or wss")),
    };
    let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    if authority.is_empty() || authority.contains('@') {
        return Err(bad("expected a host and port"));
    }
    if path.contains(['?', '#']) {
        return Err(bad("no query or fragment expected"));
    }
    let path = match path.trim_end_matches('/') {
        "" => "/v1",
        p => p,
    };
    Ok(Endpoints {
        websocket: format!("{ws_scheme}://{authority}{path}"),
        health: format!("{http_scheme}://{authority}/health"),
    })
}

/// Refuses a bridge whose host is not loopback (`bridge-not-loopback`).
pub fn check_loopback(endpoints: &Endpoints) -> WebResult<()> {
    let host = myna_core::loopback::host_of(&endpoints.websocket)
        .unwrap_or_default()
        .to_ascii_lowercase();
    if myna_core::loopback::is_loopback_host(&host) {
        Ok(())
    } else {
        Err(WebError::BridgeNotLoopback {
            url: endpoints.websocket.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_normalised() {
        let e = endpoints("ws://127.0.0.1:27450").unwrap();
        assert_eq!(e.websocket, "ws://127.0.0.1:27450/v1");
        assert_eq!(e.health, "http://127.0.0.1:27450/health");
        let e = endpoints("http://localhost:1234/").unwrap();
        assert_eq!(e.websocket, "ws://localhost:1234/v1");
        let e = endpoints("wss://[::1]:9/v1").unwrap();
        assert_eq!(e.websocket, "wss://[::1]:9/v1");
        assert_eq!(e.health, "https://[::1]:9/health");
    }

    #[test]
    fn bad_bridge_urls_are_refused() {
        for bad in [
            "127.0.0.1:27450",
            "ftp://127.0.0.1/",
            "ws://",
            "ws:///v1",
            "ws://u:p@127.0.0.1:1/v1",
            "ws://127.0.0.1:1/v1?x=1",
        ] {
            let e = endpoints(bad).unwrap_err();
            assert_eq!(e.code(), "invalid-argument", "{bad}");
        }
    }

    /// Issue 11 item 6: the module connected to any ws/wss host a URL named.
    #[test]
    fn issue_11_only_loopback_bridges_without_the_option() {
        for ok in [
            "ws://127.0.0.1:27450/v1",
            "ws://localhost:27450",
            "ws://LOCALHOST:1/v1",
            "wss://[::1]:9/v1",
            "ws://127.8.9.10:1",
        ] {
            check_loopback(&endpoints(ok).unwrap()).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in [
            "ws://attacker.example:27450/v1",
            "wss://bridge.clinic.example.jp/v1",
            "ws://192.168.1.5:27450",
            "ws://localhost.attacker.example:1",
            "ws://127.0.0.1.nip.io:27450",
            "ws://[::2]:1",
            "ws://0.0.0.0:27450",
        ] {
            let e = check_loopback(&endpoints(bad).unwrap()).unwrap_err();
            assert_eq!(e.code(), "bridge-not-loopback", "{bad}");
        }
    }
}
