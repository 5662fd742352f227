//! Ports and waiting.

use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use crate::{Error, Result};

/// A loopback port nobody listens on right now (bound, then released: another process may
/// take it in between, which on a test machine it does not).
pub fn free_port() -> Result<u16> {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(Error::io("binding a free port"))?;
    Ok(listener
        .local_addr()
        .map_err(Error::io("reading the bound port"))?
        .port())
}

/// Polls `done` every `period` until it says `true` (`Ok`), fails (its error) or `timeout`
/// passes ([`Error::Timeout`] naming `what`).
pub fn wait_until(
    what: &str,
    timeout: Duration,
    period: Duration,
    mut done: impl FnMut() -> Result<bool>,
) -> Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if done()? {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(Error::Timeout {
                what: what.to_owned(),
                after: timeout,
                detail: None,
            });
        }
        std::thread::sleep(period);
    }
}

/// `GET path` on `addr` with HTTP/1.1 and `Connection: close`; the status code.
pub fn http_get_status(addr: SocketAddr, path: &str) -> Result<u16> {
    let what = || format!("GET {path} on {addr}");
    let mut stream =
        TcpStream::connect_timeout(&addr, Duration::from_secs(1)).map_err(Error::io(what()))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(Error::io(what()))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .map_err(Error::io(what()))?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).map_err(Error::io(what()))?;
    std::str::from_utf8(&head)
        .ok()
        .and_then(|text| text.strip_prefix("HTTP/1.1 "))
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| Error::Protocol(format!("{}: not an HTTP/1.1 answer", what())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_free_port_can_be_bound() {
        let port = free_port().unwrap();
        assert_ne!(port, 0);
        TcpListener::bind((Ipv4Addr::LOCALHOST, port)).unwrap();
    }

    #[test]
    fn waiting_ends_when_done_fails_or_times_out() {
        let mut calls = 0;
        wait_until(
            "three calls",
            Duration::from_secs(5),
            Duration::ZERO,
            || {
                calls += 1;
                Ok(calls == 3)
            },
        )
        .unwrap();
        assert_eq!(calls, 3);
        let timeout = wait_until("never", Duration::ZERO, Duration::ZERO, || Ok(false));
        assert!(matches!(timeout, Err(Error::Timeout { what, .. }) if what == "never"));
        let failed = wait_until("a failure", Duration::from_secs(5), Duration::ZERO, || {
            Err(Error::Protocol("no".into()))
        });
        assert!(matches!(failed, Err(Error::Protocol(_))));
    }

    #[test]
    fn reads_the_status_of_an_http_answer() {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            for answer in ["HTTP/1.1 404 Not Found\r\n\r\n", "SSH-2.0-OpenSSH_9.2\r\n"] {
                let (mut stream, _) = listener.accept().unwrap();
                // Read the whole request: closing with unread bytes would reset the answer.
                let mut request = Vec::new();
                let mut buf = [0u8; 256];
                while !request.ends_with(b"\r\n\r\n") {
                    let n = stream.read(&mut buf).unwrap();
                    assert_ne!(n, 0, "the client closed early");
                    request.extend_from_slice(&buf[..n]);
                }
                stream.write_all(answer.as_bytes()).unwrap();
            }
        });
        assert_eq!(http_get_status(addr, "/health").unwrap(), 404);
        assert!(matches!(
            http_get_status(addr, "/health"),
            Err(Error::Protocol(_))
        ));
        server.join().unwrap();
    }
}
