//! A loopback TCP server on threads, for the stand-ins the browser tests talk to (a refusing
//! bridge, a stalling service, static files).

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use crate::{Error, Result};

/// Accepts connections on a free loopback port and hands each, on a thread of its own, to a
/// handler; stops accepting when dropped (handlers see the stop flag and should end soon).
#[derive(Debug)]
pub struct LoopbackServer {
    stop: Arc<AtomicBool>,
    port: u16,
}

impl LoopbackServer {
    /// Starts serving. `handle` gets each connection (blocking, with a 5 s read timeout) and
    /// the stop flag (set once the server is dropped).
    pub fn serve(
        handle: impl Fn(TcpStream, &AtomicBool) + Send + Sync + 'static,
    ) -> Result<LoopbackServer> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .map_err(Error::io("binding a loopback server"))?;
        listener
            .set_nonblocking(true)
            .map_err(Error::io("setting up a loopback server"))?;
        let port = listener
            .local_addr()
            .map_err(Error::io("reading the bound port"))?
            .port();
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, handle) = (stop.clone(), Arc::new(handle));
        thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (flag, handle) = (flag.clone(), handle.clone());
                        thread::spawn(move || {
                            let _ = stream.set_nonblocking(false);
                            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                            handle(stream, &flag);
                        });
                    }
                    Err(_) => thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Ok(LoopbackServer { stop, port })
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read as _, Write as _};

    use super::*;

    #[test]
    fn hands_connections_to_the_handler_until_dropped() {
        let server = LoopbackServer::serve(|mut stream, _| {
            let mut byte = [0u8; 1];
            if stream.read_exact(&mut byte).is_ok() {
                let _ = stream.write_all(&[byte[0] + 1]);
            }
        })
        .unwrap();
        let port = server.port();
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
        stream.write_all(&[41]).unwrap();
        let mut answer = [0u8; 1];
        stream.read_exact(&mut answer).unwrap();
        assert_eq!(answer, [42]);
        drop(server);
        // The accept loop notices within its 10 ms poll and releases the port.
        crate::wait_until(
            "the port to be released",
            Duration::from_secs(5),
            Duration::from_millis(20),
            || Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok()),
        )
        .unwrap();
    }
}
