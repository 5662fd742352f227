//! The real PC/SC stack (pcsc-lite on Linux and macOS, WinSCard on Windows).
//!
//! - A monitor thread owns one context and blocks in `SCardGetStatusChange` over every
//!   reader plus the `\\?PnP?\Notification` pseudo reader — no polling. When the service goes
//!   away (pcscd stopped, or Windows stopping the smart-card service after the last reader
//!   is unplugged) it publishes `service: false`, waits, and re-establishes the context.
//!   [`Backend::shutdown`] cancels the wait from another thread.
//! - Each [`CardLink`] owns its own context and card handle (one context per thread, as
//!   pcsc's docs ask) and connects in shared mode: other programs can use the reader between
//!   our transactions, never during one.

use std::ffi::CString;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use pcsc::{
    Attribute, Card, Context, Disposition, Protocols, ReaderState, Scope, ShareMode, State,
};
use tokio::sync::watch;

use crate::backend::{Apdu, Backend, CardLink, LinkError, Snapshot};
use crate::protocol::{Reader, ReaderState as WireState};

impl From<pcsc::Error> for LinkError {
    fn from(e: pcsc::Error) -> Self {
        use pcsc::Error as E;
        match e {
            E::NoService | E::ServiceStopped | E::InvalidHandle | E::CommError => {
                LinkError::NoService
            }
            E::UnknownReader | E::ReaderUnavailable | E::NoReadersAvailable => LinkError::NoReader,
            E::NoSmartcard => LinkError::NoCard,
            // A reset (by another program) loses the selection and the verified state, so
            // sessions must start over exactly as after a removal.
            E::RemovedCard | E::ResetCard => LinkError::CardRemoved,
            E::SharingViolation => LinkError::SharingViolation,
            E::Timeout => LinkError::Timeout,
            E::UnresponsiveCard | E::UnpoweredCard | E::UnsupportedCard => LinkError::Unresponsive,
            other => LinkError::Other(other.to_string()),
        }
    }
}

/// The PC/SC backend.
pub struct PcscBackend {
    snapshot: watch::Receiver<Snapshot>,
    monitor_context: Arc<Mutex<Option<Context>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl PcscBackend {
    /// Starts the monitor thread.
    pub fn start() -> Arc<Self> {
        let (tx, rx) = watch::channel(Snapshot::default());
        let monitor_context = Arc::new(Mutex::new(None));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        {
            let monitor_context = monitor_context.clone();
            let stop = stop.clone();
            thread::Builder::new()
                .name("pcsc-monitor".into())
                .spawn(move || monitor(tx, monitor_context, stop))
                .expect("spawning the PC/SC monitor thread");
        }
        Arc::new(PcscBackend {
            snapshot: rx,
            monitor_context,
            stop,
        })
    }
}

fn wire_state(state: State) -> WireState {
    if state.intersects(State::UNAVAILABLE | State::UNKNOWN | State::IGNORE) {
        WireState::Unavailable
    } else if state.contains(State::EMPTY) {
        WireState::Empty
    } else if state.contains(State::MUTE) {
        WireState::Mute
    } else if state.intersects(State::INUSE | State::EXCLUSIVE) {
        WireState::Inuse
    } else if state.contains(State::PRESENT) {
        WireState::Present
    } else {
        WireState::Unavailable
    }
}

fn monitor(
    tx: watch::Sender<Snapshot>,
    shared: Arc<Mutex<Option<Context>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) {
    use std::sync::atomic::Ordering;
    let publish = |snapshot: Snapshot| {
        tx.send_if_modified(|current| {
            if *current == snapshot {
                false
            } else {
                *current = snapshot;
                true
            }
        });
    };
    while !stop.load(Ordering::SeqCst) {
        let ctx = match Context::establish(Scope::User) {
            Ok(ctx) => ctx,
            Err(e) => {
                tracing::warn!("PC/SC service unavailable ({e}); retrying");
                publish(Snapshot {
                    service: false,
                    readers: Vec::new(),
                });
                thread::sleep(Duration::from_secs(1));
                continue;
            }
        };
        *shared.lock().expect("monitor context lock") = Some(ctx.clone());
        if let Err(e) = watch_readers(&ctx, &publish, &stop) {
            tracing::warn!("PC/SC monitor lost the service ({e}); re-establishing");
            publish(Snapshot {
                service: false,
                readers: Vec::new(),
            });
            thread::sleep(Duration::from_millis(500));
        }
        *shared.lock().expect("monitor context lock") = None;
    }
}

fn watch_readers(
    ctx: &Context,
    publish: &dyn Fn(Snapshot),
    stop: &std::sync::atomic::AtomicBool,
) -> Result<(), pcsc::Error> {
    use std::sync::atomic::Ordering;
    let mut states = vec![ReaderState::new(pcsc::PNP_NOTIFICATION(), State::UNAWARE)];
    loop {
        // Refresh the reader list: drop vanished readers, add new ones.
        let names = match ctx.list_readers_owned() {
            Ok(names) => names,
            Err(pcsc::Error::NoReadersAvailable) => Vec::new(),
            Err(e) => return Err(e),
        };
        states.retain(|rs| {
            rs.name() == pcsc::PNP_NOTIFICATION() || names.iter().any(|n| n.as_c_str() == rs.name())
        });
        for name in names {
            if !states.iter().any(|rs| rs.name() == name.as_c_str()) {
                states.push(ReaderState::new(name, State::UNAWARE));
            }
        }
        match ctx.get_status_change(None, &mut states) {
            Ok(()) => {}
            Err(pcsc::Error::Cancelled) if stop.load(Ordering::SeqCst) => return Ok(()),
            Err(pcsc::Error::Cancelled | pcsc::Error::Timeout) => continue,
            Err(pcsc::Error::UnknownReader) => continue,
            Err(e) => return Err(e),
        }
        for rs in &mut states {
            rs.sync_current_state();
        }
        let readers = states
            .iter()
            .filter(|rs| rs.name() != pcsc::PNP_NOTIFICATION())
            .map(|rs| {
                let state = wire_state(rs.event_state());
                let atr = matches!(
                    state,
                    WireState::Present | WireState::Inuse | WireState::Mute
                )
                .then(|| hex::encode_upper(rs.atr()))
                .filter(|a| !a.is_empty());
                Reader {
                    name: rs.name().to_string_lossy().into_owned(),
                    state,
                    atr,
                }
            })
            .collect();
        publish(Snapshot {
            service: true,
            readers,
        });
        if stop.load(Ordering::SeqCst) {
            return Ok(());
        }
    }
}

impl Backend for PcscBackend {
    fn watch(&self) -> watch::Receiver<Snapshot> {
        self.snapshot.clone()
    }

    fn open(&self, reader: &str) -> Result<Box<dyn CardLink>, LinkError> {
        let name = CString::new(reader).map_err(|_| LinkError::NoReader)?;
        let ctx = Context::establish(Scope::User)?;
        let card = ctx.connect(&name, ShareMode::Shared, Protocols::ANY)?;
        // Readers report their largest command in SCARD_ATTR_MAXINPUT; extended length needs
        // more than a short APDU's 261 bytes. Readers that don't say are treated as short-only.
        let extended = card
            .get_attribute_owned(Attribute::Maxinput)
            .ok()
            .and_then(|v| {
                v.get(..4)
                    .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            })
            .is_some_and(|max| max > 261);
        Ok(Box::new(PcscLink {
            ctx,
            reader: name,
            card: Some(card),
            extended,
        }))
    }

    fn shutdown(&self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(ctx) = self
            .monitor_context
            .lock()
            .expect("monitor context lock")
            .as_ref()
        {
            let _ = ctx.cancel();
        }
    }
}

struct PcscLink {
    ctx: Context,
    reader: CString,
    card: Option<Card>,
    extended: bool,
}

struct TxApdu<'a> {
    card: &'a Card,
    ctx: &'a Context,
    reader: &'a CString,
    buf: Vec<u8>,
    reset: bool,
}

/// The reader's card-event counter as the PC/SC service reports it in the upper 16 bits of
/// `dwEventState` (pcsc-lite counts every card insertion and removal it detects; Windows
/// documents the same high word), read with `SCardGetStatusChange` and an `UNAWARE` state,
/// which answers at once. Measured on pcscd + vpcd (bridge_ws): a removal and a new
/// presentation move it, the bridge's own warm reset and reopening a connection do not.
/// `None` without a card, or when the service cannot tell.
fn insertion_of(ctx: &Context, reader: &CString) -> Option<u64> {
    let mut states = [ReaderState::new(reader.clone(), State::UNAWARE)];
    ctx.get_status_change(Duration::ZERO, &mut states).ok()?;
    let state = states[0].event_state();
    if !state.contains(State::PRESENT) || state.contains(State::EMPTY) {
        return None;
    }
    Some(u64::from(states[0].event_count()))
}

impl Apdu for TxApdu<'_> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, LinkError> {
        match self.card.transmit(command, &mut self.buf) {
            // A response without its status word is no answer: vpcd, for one, reports
            // success with zero bytes when the card goes away mid-exchange.
            Ok(response) if response.len() < 2 => Err(classify_transmit_failure(
                self.card,
                TransmitFailure::ShortResponse(response.len()),
            )),
            Ok(response) => Ok(response.to_vec()),
            Err(e) => Err(classify_transmit_failure(
                self.card,
                TransmitFailure::Pcsc(e),
            )),
        }
    }

    fn reset_at_end(&mut self) {
        self.reset = true;
    }

    fn insertion(&mut self) -> Option<u64> {
        insertion_of(self.ctx, self.reader)
    }
}

/// Why a transmit gave no usable answer.
#[derive(Debug, thiserror::Error)]
enum TransmitFailure {
    #[error("{0}")]
    Pcsc(pcsc::Error),
    #[error("a response of {0} bytes (no status word)")]
    ShortResponse(usize),
}

/// How long a failed transmit waits for the reader to report a removed card.
const REMOVAL_SETTLE: Duration = Duration::from_millis(1500);

/// What a failed `SCardTransmit` means for the page.
///
/// A card pulled out while a command is on its way does not always surface as
/// `SCARD_W_REMOVED_CARD`: depending on where the reader driver was, pcsc-lite may report a
/// communication or transaction failure first (vpcd: the socket closes mid-exchange). The
/// card's own status says which it was: no card present means `card-removed`, whatever the
/// transmit error said.
fn classify_transmit_failure(card: &Card, failure: TransmitFailure) -> LinkError {
    let direct = match failure {
        TransmitFailure::Pcsc(e) => LinkError::from(e),
        TransmitFailure::ShortResponse(_) => LinkError::Unresponsive,
    };
    if matches!(direct, LinkError::CardRemoved | LinkError::NoService) {
        return direct;
    }
    // The reader driver notices an absent card on its next presence poll (pcsc-lite polls
    // every few hundred milliseconds), so ask for a short while before trusting "present".
    let deadline = std::time::Instant::now() + REMOVAL_SETTLE;
    let removed = loop {
        let removed = match card.status2_owned() {
            Ok(status) => !status.status().contains(pcsc::Status::PRESENT),
            Err(pcsc::Error::RemovedCard | pcsc::Error::ResetCard | pcsc::Error::NoSmartcard) => {
                true
            }
            Err(_) => false,
        };
        if removed || std::time::Instant::now() >= deadline {
            break removed;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    tracing::warn!(%failure, removed, "transmit failed");
    if removed {
        LinkError::CardRemoved
    } else {
        direct
    }
}

impl CardLink for PcscLink {
    fn transaction(
        &mut self,
        body: &mut dyn FnMut(&mut dyn Apdu) -> Result<(), LinkError>,
    ) -> Result<(), LinkError> {
        let card = self.card.as_mut().ok_or(LinkError::CardRemoved)?;
        let tx = card.transaction()?;
        let mut apdu = TxApdu {
            card: &tx,
            ctx: &self.ctx,
            reader: &self.reader,
            buf: vec![0; pcsc::MAX_BUFFER_SIZE_EXTENDED],
            reset: false,
        };
        let result = body(&mut apdu);
        let reset = apdu.reset;
        // With SCARD_RESET_CARD the reset happens before the transaction's lock is released:
        // no other program's command finds the card as this transaction left it.
        let disposition = if reset {
            Disposition::ResetCard
        } else {
            Disposition::LeaveCard
        };
        if let Err((_, e)) = tx.end(disposition) {
            return result.and(Err(e.into()));
        }
        if reset {
            // pcsc-lite answers SCARD_W_RESET_CARD to every later call on this handle too,
            // until the handle reconnects (measured with pcscd + vpcd); reconnecting with
            // LeaveCard acknowledges the reset without a second one.
            if let Err(e) =
                card.reconnect(ShareMode::Shared, Protocols::ANY, Disposition::LeaveCard)
            {
                // The operation's answer still stands. The next request on this link fails
                // with `card-removed` (pcsc-lite keeps reporting the reset), the worker drops
                // the link, and the page's next `connect` opens a new one.
                tracing::warn!("re-attaching after the card reset failed: {e}");
            }
        }
        result
    }

    fn supports_extended_length(&self) -> bool {
        self.extended
    }
}

impl Drop for PcscLink {
    fn drop(&mut self) {
        if let Some(card) = self.card.take() {
            let _ = card.disconnect(Disposition::LeaveCard);
        }
    }
}
