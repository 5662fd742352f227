//! The vpcd adapter: puts a [`VirtualCard`](crate::VirtualCard) into a
//! `pcscd` reader through vsmartcard's `vpcd` driver.
//!
//! `vpcd` (a pcscd reader driver) listens on TCP — `Virtual PCD 00 00` on port 35963,
//! `Virtual PCD 00 01` on 35964 — and the virtual card connects to it as a client. Every
//! message is a 2-byte big-endian length and a payload. A 1-byte payload from the reader is
//! a control: `0` power off, `1` power on, `2` reset, `4` "send the ATR" (the card answers
//! with the ATR; the other controls get no answer). Any longer payload is a command APDU,
//! answered with the response APDU.
//!
//! Latency: vpcd writes the length and the payload in separate segments, so with default
//! TCP settings every APDU waits for a delayed ACK (~40 ms). The adapter sets `TCP_NODELAY`
//! and re-arms `TCP_QUICKACK` (Linux) before every read.
//!
//! [`spawn_vpcd`] runs the adapter on its own thread. It reconnects with exponential backoff
//! whenever vpcd is not there or goes away (pcscd restarts), so a long-running virtual card
//! survives them; [`VpcdHandle::detach`] / [`VpcdHandle::attach`] simulate pulling the card
//! out of the reader and putting it back.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::SharedCard;

/// The vpcd port of `Virtual PCD 00 00`.
pub const DEFAULT_PORT: u16 = 35963;
/// The largest payload the 2-byte length can announce.
pub const MAX_FRAME: usize = 0xFFFF;

/// Why a frame cannot be read or written, or the connection failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VpcdError {
    /// A frame announced a zero-length payload (vpcd never sends one).
    #[error("zero-length vpcd frame")]
    EmptyFrame,
    /// A frame is longer than allowed.
    #[error("vpcd frame of {len} bytes exceeds the limit of {max}")]
    FrameTooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A 1-byte control message with an unknown code.
    #[error("unknown vpcd control code {code}")]
    UnknownControl {
        /// The code.
        code: u8,
    },
    /// The connection closed in the middle of a frame.
    #[error("vpcd connection closed mid-frame ({received} of {expected} bytes)")]
    Truncated {
        /// Bytes the frame needed (length header included).
        expected: usize,
        /// Bytes received.
        received: usize,
    },
    /// The socket failed.
    #[error("vpcd socket error: {0}")]
    Io(#[from] io::Error),
}

/// A message from the reader.
#[derive(Clone, PartialEq, Eq)]
pub enum ReaderMessage {
    /// Power the card off.
    PowerOff,
    /// Power the card on (no answer).
    PowerOn,
    /// Warm reset (no answer).
    Reset,
    /// Send the ATR.
    AtrRequest,
    /// A command APDU to answer.
    Apdu(Vec<u8>),
}

impl core::fmt::Debug for ReaderMessage {
    /// APDUs show their length only: a VERIFY carries a PIN.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ReaderMessage::PowerOff => f.write_str("PowerOff"),
            ReaderMessage::PowerOn => f.write_str("PowerOn"),
            ReaderMessage::Reset => f.write_str("Reset"),
            ReaderMessage::AtrRequest => f.write_str("AtrRequest"),
            ReaderMessage::Apdu(bytes) => write!(f, "Apdu({} bytes)", bytes.len()),
        }
    }
}

impl ReaderMessage {
    /// The control messages, each one byte on the wire.
    const CONTROLS: [ReaderMessage; 4] = [
        ReaderMessage::PowerOff,
        ReaderMessage::PowerOn,
        ReaderMessage::Reset,
        ReaderMessage::AtrRequest,
    ];

    /// Classifies a frame payload: one byte is a control message, more an APDU.
    pub fn decode(payload: &[u8]) -> Result<Self, VpcdError> {
        match payload {
            [] => Err(VpcdError::EmptyFrame),
            [code] => Self::CONTROLS
                .into_iter()
                .find(|m| m.encode() == [*code])
                .ok_or(VpcdError::UnknownControl { code: *code }),
            apdu => Ok(ReaderMessage::Apdu(apdu.to_vec())),
        }
    }

    /// The frame payload, as vpcd sends it: the control byte (`0` power off, `1` power on,
    /// `2` reset, `4` ATR request) or the APDU.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            ReaderMessage::PowerOff => vec![0],
            ReaderMessage::PowerOn => vec![1],
            ReaderMessage::Reset => vec![2],
            ReaderMessage::AtrRequest => vec![4],
            ReaderMessage::Apdu(apdu) => apdu.clone(),
        }
    }
}

/// Reads one frame's payload. `Ok(None)` means the peer closed the connection cleanly
/// between frames. A payload longer than `max` is refused without being read: the stream
/// is then out of step, and the caller must drop the connection.
pub fn read_frame(reader: &mut impl Read, max: usize) -> Result<Option<Vec<u8>>, VpcdError> {
    let mut header = [0u8; 2];
    let got = read_full(reader, &mut header)?;
    if got == 0 {
        return Ok(None);
    }
    if got < 2 {
        return Err(VpcdError::Truncated {
            expected: 2,
            received: got,
        });
    }
    let len = usize::from(u16::from_be_bytes(header));
    if len == 0 {
        return Err(VpcdError::EmptyFrame);
    }
    if len > max {
        return Err(VpcdError::FrameTooLarge { len, max });
    }
    let mut payload = vec![0u8; len];
    let got = read_full(reader, &mut payload)?;
    if got < len {
        return Err(VpcdError::Truncated {
            expected: 2 + len,
            received: 2 + got,
        });
    }
    Ok(Some(payload))
}

/// Reads until `buf` is full or EOF; returns how many bytes were read.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Writes one frame (length and payload in a single write, so they leave in one segment).
pub fn write_frame(writer: &mut impl Write, payload: &[u8]) -> Result<(), VpcdError> {
    if payload.is_empty() {
        return Err(VpcdError::EmptyFrame);
    }
    let len = u16::try_from(payload.len()).map_err(|_| VpcdError::FrameTooLarge {
        len: payload.len(),
        max: MAX_FRAME,
    })?;
    let mut frame = Vec::with_capacity(2 + payload.len());
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(payload);
    writer.write_all(&frame)?;
    writer.flush()?;
    Ok(())
}

/// Tuning of the adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct VpcdOptions {
    /// First wait before reconnecting.
    pub reconnect_min: Duration,
    /// Longest wait between reconnection attempts.
    pub reconnect_max: Duration,
    /// Largest frame accepted from the reader.
    pub max_frame: usize,
}

impl Default for VpcdOptions {
    fn default() -> Self {
        VpcdOptions {
            reconnect_min: Duration::from_millis(50),
            reconnect_max: Duration::from_secs(2),
            max_frame: MAX_FRAME,
        }
    }
}

#[derive(Default)]
struct ControlState {
    attached: bool,
    stop: bool,
    /// A clone of the live connection, so another thread can shut it down.
    stream: Option<TcpStream>,
    connected: bool,
    connections: u64,
    last_error: Option<String>,
}

#[derive(Default)]
struct Control {
    state: Mutex<ControlState>,
    changed: Condvar,
}

impl Control {
    fn lock(&self) -> MutexGuard<'_, ControlState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits up to `timeout` for a change; returns the guard.
    fn wait_timeout<'a>(
        &self,
        guard: MutexGuard<'a, ControlState>,
        timeout: Duration,
    ) -> MutexGuard<'a, ControlState> {
        match self.changed.wait_timeout(guard, timeout) {
            Ok((guard, _)) => guard,
            Err(poisoned) => poisoned.into_inner().0,
        }
    }

    fn drop_connection(state: &mut ControlState) {
        if let Some(stream) = state.stream.take() {
            // The reading thread then sees EOF or an error and leaves its loop.
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

/// Stops an adapter from another thread (e.g. a Ctrl-C handler).
#[derive(Clone)]
pub struct VpcdStopper {
    control: Arc<Control>,
}

impl core::fmt::Debug for VpcdStopper {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("VpcdStopper")
    }
}

impl VpcdStopper {
    /// Asks the adapter to close its connection and end its thread.
    pub fn stop(&self) {
        let mut state = self.control.lock();
        state.stop = true;
        Control::drop_connection(&mut state);
        self.control.changed.notify_all();
    }
}

/// A running adapter. Dropping it stops the adapter and waits for its thread.
pub struct VpcdHandle {
    control: Arc<Control>,
    card: SharedCard,
    thread: Option<JoinHandle<()>>,
}

impl core::fmt::Debug for VpcdHandle {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let state = self.control.lock();
        f.debug_struct("VpcdHandle")
            .field("attached", &state.attached)
            .field("connected", &state.connected)
            .field("connections", &state.connections)
            .finish_non_exhaustive()
    }
}

/// Connects `card` to the vpcd at `addr` on a new thread, with default options.
pub fn spawn_vpcd(addr: SocketAddr, card: SharedCard) -> io::Result<VpcdHandle> {
    spawn_vpcd_with(addr, card, VpcdOptions::default())
}

/// Connects `card` to the vpcd at `addr` on a new thread.
pub fn spawn_vpcd_with(
    addr: SocketAddr,
    card: SharedCard,
    options: VpcdOptions,
) -> io::Result<VpcdHandle> {
    let control = Arc::new(Control::default());
    control.lock().attached = true;
    let thread = std::thread::Builder::new()
        .name(format!("vpcd {addr}"))
        .spawn({
            let control = Arc::clone(&control);
            let card = card.clone();
            move || run(addr, &card, &control, options)
        })?;
    Ok(VpcdHandle {
        control,
        card,
        thread: Some(thread),
    })
}

impl VpcdHandle {
    /// The card this adapter serves.
    pub fn card(&self) -> &SharedCard {
        &self.card
    }

    /// A handle that can stop the adapter from elsewhere.
    pub fn stopper(&self) -> VpcdStopper {
        VpcdStopper {
            control: Arc::clone(&self.control),
        }
    }

    /// Pulls the card out of the reader: closes the connection (pcscd then reports the
    /// reader empty) and stays disconnected until [`VpcdHandle::attach`].
    pub fn detach(&self) {
        let mut state = self.control.lock();
        state.attached = false;
        Control::drop_connection(&mut state);
        self.control.changed.notify_all();
    }

    /// Puts the card back: connects again.
    pub fn attach(&self) {
        let mut state = self.control.lock();
        state.attached = true;
        self.control.changed.notify_all();
    }

    /// Whether the adapter is connected to vpcd now.
    pub fn is_connected(&self) -> bool {
        self.control.lock().connected
    }

    /// How many connections to vpcd have been made so far.
    pub fn connections(&self) -> u64 {
        self.control.lock().connections
    }

    /// The most recent connection error, if any (e.g. vpcd not listening); a later
    /// successful connection does not clear it.
    pub fn last_error(&self) -> Option<String> {
        self.control.lock().last_error.clone()
    }

    /// Waits until connected (or `timeout` passes); returns whether connected.
    pub fn wait_connected(&self, timeout: Duration) -> bool {
        self.wait_for(timeout, |s| s.connected)
    }

    /// Waits until disconnected (or `timeout` passes); returns whether disconnected.
    pub fn wait_disconnected(&self, timeout: Duration) -> bool {
        self.wait_for(timeout, |s| !s.connected)
    }

    fn wait_for(&self, timeout: Duration, done: impl Fn(&ControlState) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = self.control.lock();
        loop {
            if done(&state) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            state = self.control.wait_timeout(state, deadline - now);
        }
    }

    /// Stops the adapter and waits for its thread.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    /// Waits until the adapter ends (after a [`VpcdStopper::stop`]).
    pub fn join(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    fn stop_and_join(&mut self) {
        self.stopper().stop();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for VpcdHandle {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// The adapter thread: connect, serve, reconnect with backoff, until stopped.
fn run(addr: SocketAddr, card: &SharedCard, control: &Control, options: VpcdOptions) {
    let mut backoff = options.reconnect_min;
    loop {
        {
            let mut state = control.lock();
            while !state.attached && !state.stop {
                state = control.wait_timeout(state, Duration::from_secs(1));
            }
            if state.stop {
                return;
            }
        }
        let stream = match TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
            Ok(stream) => stream,
            Err(e) => {
                tracing::debug!(%addr, error = %e, "vpcd not reachable; retrying");
                let mut state = control.lock();
                state.last_error = Some(e.to_string());
                if !state.stop {
                    let _unused = control.wait_timeout(state, backoff);
                }
                backoff = (backoff * 2).min(options.reconnect_max);
                continue;
            }
        };
        if let Err(e) = configure(&stream) {
            tracing::warn!(error = %e, "cannot set TCP options on the vpcd connection");
        }
        {
            let mut state = control.lock();
            if state.stop || !state.attached {
                let _ = stream.shutdown(Shutdown::Both);
                continue;
            }
            state.stream = stream.try_clone().ok();
            state.connected = true;
            state.connections += 1;
            control.changed.notify_all();
        }
        tracing::info!(%addr, "virtual card inserted into vpcd");
        backoff = options.reconnect_min;
        let result = serve(stream, card, options.max_frame);
        // Out of the reader: no power.
        card.lock().power_off();
        let mut state = control.lock();
        state.connected = false;
        state.stream = None;
        control.changed.notify_all();
        if state.stop || !state.attached {
            // We closed it ourselves (stop or detach); errors from that are expected.
            tracing::info!(%addr, "virtual card removed from vpcd");
            continue;
        }
        match result {
            Ok(()) => tracing::info!(%addr, "vpcd closed the connection; reconnecting"),
            Err(e) => {
                tracing::warn!(%addr, error = %e, "vpcd connection failed; reconnecting");
                state.last_error = Some(e.to_string());
            }
        }
        let _unused = control.wait_timeout(state, backoff);
    }
}

fn configure(stream: &TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    quickack(stream)
}

/// Re-arms `TCP_QUICKACK` (Linux clears it after a while, so it is set before every read).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn quickack(stream: &TcpStream) -> io::Result<()> {
    socket2::SockRef::from(stream).set_tcp_quickack(true)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn quickack(_stream: &TcpStream) -> io::Result<()> {
    Ok(())
}

/// Serves one connection until vpcd closes it (`Ok`) or something fails.
fn serve(mut stream: TcpStream, card: &SharedCard, max_frame: usize) -> Result<(), VpcdError> {
    loop {
        let _ = quickack(&stream);
        let Some(frame) = read_frame(&mut stream, max_frame)? else {
            return Ok(());
        };
        match ReaderMessage::decode(&frame) {
            Ok(ReaderMessage::PowerOff) => card.lock().power_off(),
            Ok(ReaderMessage::PowerOn) => {
                card.lock().power_on();
            }
            Ok(ReaderMessage::Reset) => {
                card.lock().reset();
            }
            Ok(ReaderMessage::AtrRequest) => {
                let atr = card.lock().atr().to_vec();
                write_frame(&mut stream, &atr)?;
            }
            Ok(ReaderMessage::Apdu(command)) => {
                let response = match card.transmit(&command) {
                    Ok(exchange) => {
                        if tracing::enabled!(tracing::Level::DEBUG)
                            && let Some(entry) = card.log().last()
                        {
                            tracing::debug!(apdu = ?entry, "answered");
                        }
                        if !exchange.delay.is_zero() {
                            std::thread::sleep(exchange.delay);
                        }
                        exchange.response
                    }
                    Err(e) => {
                        // vpcd powers the card on first; answer rather than hang the reader.
                        tracing::warn!(error = %e, "APDU for a powered-off card");
                        vec![0x6F, 0x00]
                    }
                };
                write_frame(&mut stream, &response)?;
            }
            Err(VpcdError::UnknownControl { code }) => {
                tracing::warn!(code, "ignoring unknown vpcd control code");
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests;
