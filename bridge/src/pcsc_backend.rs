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
//!
//! ## Windows
//! The Windows smart-card service (SCardSvr) stops when the last reader is unplugged and
//! starts again when one is plugged in. A context made before the stop is dead for good:
//! every call on it fails with `SCARD_E_SERVICE_STOPPED` (or `SCARD_E_NO_SERVICE`), even after
//! the service is back, and `SCardEstablishContext` fails with `SCARD_E_NO_SERVICE` while it
//! is stopped. So the monitor treats both as "service gone": it publishes `service: false`
//! (pages get `no-service`), drops the context and establishes a new one until that works —
//! logging the outage once, not every second (a clinic PC without a reader would otherwise
//! fill the log). `SCARD_E_NO_READERS_AVAILABLE` from `SCardListReaders` is an empty list,
//! not an error, and the wait over `\\?PnP?\Notification` alone then reports the next reader
//! plugged in. Wine's `winscard.dll` is a stub, so this is tested with a scripted service
//! ([`MonitorPcsc`]) in this module's tests.

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
    monitor_context: Arc<Mutex<Option<Canceller>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl PcscBackend {
    /// Starts the monitor thread.
    pub fn start() -> Arc<Self> {
        let (rx, monitor_context, stop) = start_monitor(SystemPcsc, Pauses::REAL);
        Arc::new(PcscBackend {
            snapshot: rx,
            monitor_context,
            stop,
        })
    }
}

/// Cancels a context's blocking wait from another thread (`SCardCancel`).
type Canceller = Arc<dyn Fn() + Send + Sync>;

/// The PC/SC calls the monitor makes: the system's (WinSCard, pcsc-lite) or, in tests, a
/// script playing the Windows smart-card service.
trait MonitorPcsc: Send + 'static {
    /// One context.
    type Context: MonitorContext;
    /// `SCardEstablishContext`.
    fn establish(&self) -> Result<Self::Context, pcsc::Error>;
}

/// What the monitor does with one context.
trait MonitorContext {
    /// `SCardListReaders`.
    fn list_readers(&self) -> Result<Vec<CString>, pcsc::Error>;
    /// `SCardGetStatusChange` with no timeout: blocks until a state differs from `current`,
    /// then fills in `event` and `atr`.
    fn wait_change(&self, watched: &mut [Watched]) -> Result<(), pcsc::Error>;
    /// How to cancel [`MonitorContext::wait_change`] from another thread.
    fn canceller(&self) -> Canceller;
}

/// One reader (or the `\\?PnP?\Notification` pseudo reader) the monitor watches.
#[derive(Debug, Clone)]
struct Watched {
    name: CString,
    current: State,
    event: State,
    atr: Vec<u8>,
}

/// The system's PC/SC, through the `pcsc` crate.
struct SystemPcsc;

impl MonitorPcsc for SystemPcsc {
    type Context = Context;
    fn establish(&self) -> Result<Context, pcsc::Error> {
        Context::establish(Scope::User)
    }
}

impl MonitorContext for Context {
    fn list_readers(&self) -> Result<Vec<CString>, pcsc::Error> {
        self.list_readers_owned()
    }

    fn wait_change(&self, watched: &mut [Watched]) -> Result<(), pcsc::Error> {
        let mut states: Vec<ReaderState> = watched
            .iter()
            .map(|w| ReaderState::new(w.name.clone(), w.current))
            .collect();
        self.get_status_change(None, &mut states)?;
        for (w, rs) in watched.iter_mut().zip(&states) {
            w.event = rs.event_state();
            w.atr = rs.atr().to_vec();
        }
        Ok(())
    }

    fn canceller(&self) -> Canceller {
        let ctx = self.clone();
        Arc::new(move || {
            let _ = ctx.cancel();
        })
    }
}

/// How long the monitor waits before establishing a context again.
#[derive(Debug, Clone, Copy)]
struct Pauses {
    /// After a context died (service stopped, pcscd restarted).
    after_loss: Duration,
    /// Between failed `SCardEstablishContext` calls.
    between_attempts: Duration,
}

impl Pauses {
    const REAL: Pauses = Pauses {
        after_loss: Duration::from_millis(500),
        between_attempts: Duration::from_secs(1),
    };
}

type MonitorParts = (
    watch::Receiver<Snapshot>,
    Arc<Mutex<Option<Canceller>>>,
    Arc<std::sync::atomic::AtomicBool>,
);

fn start_monitor<P: MonitorPcsc>(pcsc: P, pauses: Pauses) -> MonitorParts {
    let (tx, rx) = watch::channel(Snapshot::default());
    let monitor_context = Arc::new(Mutex::new(None));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let monitor_context = monitor_context.clone();
        let stop = stop.clone();
        thread::Builder::new()
            .name("pcsc-monitor".into())
            .spawn(move || monitor(pcsc, pauses, tx, monitor_context, stop))
            .expect("spawning the PC/SC monitor thread");
    }
    (rx, monitor_context, stop)
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

fn monitor<P: MonitorPcsc>(
    pcsc: P,
    pauses: Pauses,
    tx: watch::Sender<Snapshot>,
    shared: Arc<Mutex<Option<Canceller>>>,
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
    // One warning per outage: Windows stops its smart-card service whenever no reader is
    // plugged in, which on a reception PC can be all day.
    let mut outage_reported = false;
    while !stop.load(Ordering::SeqCst) {
        let ctx = match pcsc.establish() {
            Ok(ctx) => ctx,
            Err(e) => {
                if outage_reported {
                    tracing::debug!("PC/SC service still unavailable ({e})");
                } else {
                    tracing::warn!(
                        "PC/SC service unavailable ({e}); retrying every {:?}",
                        pauses.between_attempts
                    );
                    outage_reported = true;
                }
                publish(Snapshot {
                    service: false,
                    readers: Vec::new(),
                });
                thread::sleep(pauses.between_attempts);
                continue;
            }
        };
        if outage_reported {
            tracing::info!("PC/SC service available again");
            outage_reported = false;
        }
        *shared.lock().expect("monitor context lock") = Some(ctx.canceller());
        if let Err(e) = watch_readers(&ctx, &publish, &stop) {
            tracing::warn!("PC/SC monitor lost the service ({e}); re-establishing");
            outage_reported = true;
            publish(Snapshot {
                service: false,
                readers: Vec::new(),
            });
            thread::sleep(pauses.after_loss);
        }
        *shared.lock().expect("monitor context lock") = None;
    }
}

fn watch_readers(
    ctx: &impl MonitorContext,
    publish: &dyn Fn(Snapshot),
    stop: &std::sync::atomic::AtomicBool,
) -> Result<(), pcsc::Error> {
    use std::sync::atomic::Ordering;
    let pnp = pcsc::PNP_NOTIFICATION();
    let mut states = vec![Watched {
        name: pnp.to_owned(),
        current: State::UNAWARE,
        event: State::UNAWARE,
        atr: Vec::new(),
    }];
    loop {
        // Refresh the reader list: drop vanished readers, add new ones.
        let names = match ctx.list_readers() {
            Ok(names) => names,
            Err(pcsc::Error::NoReadersAvailable) => Vec::new(),
            Err(e) => return Err(e),
        };
        states.retain(|w| w.name.as_c_str() == pnp || names.contains(&w.name));
        for name in names {
            if !states.iter().any(|w| w.name == name) {
                states.push(Watched {
                    name,
                    current: State::UNAWARE,
                    event: State::UNAWARE,
                    atr: Vec::new(),
                });
            }
        }
        match ctx.wait_change(&mut states) {
            Ok(()) => {}
            Err(pcsc::Error::Cancelled) if stop.load(Ordering::SeqCst) => return Ok(()),
            Err(pcsc::Error::Cancelled | pcsc::Error::Timeout) => continue,
            Err(pcsc::Error::UnknownReader) => continue,
            Err(e) => return Err(e),
        }
        for w in &mut states {
            w.current = w.event;
        }
        let readers = states
            .iter()
            .filter(|w| w.name.as_c_str() != pnp)
            .map(|w| {
                let state = wire_state(w.event);
                let atr = matches!(
                    state,
                    WireState::Present | WireState::Inuse | WireState::Mute
                )
                .then(|| hex::encode_upper(&w.atr))
                .filter(|a| !a.is_empty());
                Reader {
                    name: w.name.to_string_lossy().into_owned(),
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
        if let Some(cancel) = self
            .monitor_context
            .lock()
            .expect("monitor context lock")
            .as_ref()
        {
            cancel();
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

#[cfg(test)]
mod tests {
    //! The Windows smart-card service, scripted: Wine's `winscard.dll` is a stub, and no CI
    //! machine has SCardSvr, so these play its documented behaviour against the monitor.

    use std::sync::Condvar;
    use std::time::Instant;

    use super::*;
    use crate::protocol::{ErrorCode, WireError};

    /// What the scripted service looks like now.
    #[derive(Default)]
    struct World {
        /// SCardSvr running.
        running: bool,
        /// Bumped at every service start: contexts of an earlier run are dead for good.
        run: u64,
        /// Readers and whether a card is in each.
        readers: Vec<(String, bool)>,
        /// `SCardEstablishContext` calls, successful or not.
        establish_calls: usize,
        /// Calls made on a context of an earlier run (each answered SERVICE_STOPPED).
        calls_on_dead_contexts: usize,
        cancelled: bool,
    }

    #[derive(Clone, Default)]
    struct Service(Arc<(Mutex<World>, Condvar)>);

    impl Service {
        fn change(&self, f: impl FnOnce(&mut World)) {
            let (world, cv) = &*self.0;
            f(&mut world.lock().unwrap());
            cv.notify_all();
        }
        fn start(&self, readers: &[(&str, bool)]) {
            self.change(|w| {
                w.running = true;
                w.run += 1;
                w.readers = readers.iter().map(|(n, c)| (n.to_string(), *c)).collect();
            });
        }
        /// The last reader unplugged: Windows stops the service with it.
        fn unplug_last_reader(&self) {
            self.change(|w| {
                w.readers.clear();
                w.running = false;
            });
        }
        fn world<T>(&self, f: impl FnOnce(&World) -> T) -> T {
            f(&self.0.0.lock().unwrap())
        }
    }

    struct ScriptedContext {
        service: Service,
        run: u64,
    }

    impl ScriptedContext {
        /// `SCARD_E_SERVICE_STOPPED` for a context of an earlier run or a stopped service.
        fn alive(&self, world: &mut World) -> Result<(), pcsc::Error> {
            if world.running && world.run == self.run {
                Ok(())
            } else {
                world.calls_on_dead_contexts += 1;
                Err(pcsc::Error::ServiceStopped)
            }
        }
    }

    impl MonitorPcsc for Service {
        type Context = ScriptedContext;
        fn establish(&self) -> Result<ScriptedContext, pcsc::Error> {
            let (world, _) = &*self.0;
            let mut w = world.lock().unwrap();
            w.establish_calls += 1;
            if !w.running {
                return Err(pcsc::Error::NoService);
            }
            Ok(ScriptedContext {
                service: self.clone(),
                run: w.run,
            })
        }
    }

    fn state_of(world: &World, name: &CStr) -> (State, Vec<u8>) {
        match world
            .readers
            .iter()
            .find(|(n, _)| n.as_bytes() == name.to_bytes())
        {
            Some((_, true)) => (State::PRESENT, vec![0x3B, 0xE0]),
            Some((_, false)) => (State::EMPTY, Vec::new()),
            None => (State::UNKNOWN, Vec::new()),
        }
    }

    use std::ffi::CStr;

    impl MonitorContext for ScriptedContext {
        fn list_readers(&self) -> Result<Vec<CString>, pcsc::Error> {
            let mut w = self.service.0.0.lock().unwrap();
            self.alive(&mut w)?;
            if w.readers.is_empty() {
                return Err(pcsc::Error::NoReadersAvailable);
            }
            Ok(w.readers
                .iter()
                .map(|(n, _)| CString::new(n.as_str()).unwrap())
                .collect())
        }

        fn wait_change(&self, watched: &mut [Watched]) -> Result<(), pcsc::Error> {
            let (world, cv) = &*self.service.0;
            let mut w = world.lock().unwrap();
            loop {
                if w.cancelled {
                    return Err(pcsc::Error::Cancelled);
                }
                self.alive(&mut w)?;
                let pnp = pcsc::PNP_NOTIFICATION();
                let watched_names = watched.iter().filter(|x| x.name.as_c_str() != pnp).count();
                let mut changed = false;
                for x in watched.iter_mut() {
                    let (event, atr) = if x.name.as_c_str() == pnp {
                        // The pseudo reader changes when readers come or go; like WinSCard
                        // and pcsc-lite, its high word counts the readers.
                        let count = if watched_names == w.readers.len() {
                            watched_names
                        } else {
                            w.readers.len()
                        };
                        let mut bits = State::empty().bits();
                        for _ in 0..count {
                            bits += 1 << 16;
                        }
                        (State::from_bits_retain(bits), Vec::new())
                    } else {
                        state_of(&w, &x.name)
                    };
                    // Bit arithmetic: bitflags' `!` would drop the count in the high word.
                    let changed_bit = State::CHANGED.bits();
                    if x.current == State::UNAWARE
                        || event.bits() & !changed_bit != x.current.bits() & !changed_bit
                    {
                        changed = true;
                        x.event = event | State::CHANGED;
                    } else {
                        x.event = x.current;
                    }
                    x.atr = atr;
                }
                if changed {
                    return Ok(());
                }
                w = cv.wait(w).unwrap();
            }
        }

        fn canceller(&self) -> Canceller {
            let service = self.service.clone();
            Arc::new(move || service.change(|w| w.cancelled = true))
        }
    }

    const FAST: Pauses = Pauses {
        after_loss: Duration::from_millis(5),
        between_attempts: Duration::from_millis(5),
    };
    const PASORI: &str = "SONY FeliCa Port/PaSoRi 4.0 0";
    const ACR: &str = "ACS ACR39U ICC Reader 0";

    fn wait_for(
        rx: &mut watch::Receiver<Snapshot>,
        what: &str,
        want: impl Fn(&Snapshot) -> bool,
    ) -> Snapshot {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let now = rx.borrow_and_update().clone();
            if want(&now) {
                return now;
            }
            assert!(Instant::now() < deadline, "never {what}; last {now:?}");
            thread::sleep(Duration::from_millis(2));
        }
    }

    fn reader<'a>(s: &'a Snapshot, name: &str) -> Option<&'a Reader> {
        s.readers.iter().find(|r| r.name == name)
    }

    #[test]
    fn the_service_stopping_with_the_last_reader_is_survived_by_a_new_context() {
        let service = Service::default();
        service.start(&[(PASORI, true)]);
        let (mut rx, cancel, stop) = start_monitor(service.clone(), FAST);
        let s = wait_for(&mut rx, "the card", |s| {
            s.service && reader(s, PASORI).is_some_and(|r| r.state == WireState::Present)
        });
        assert_eq!(reader(&s, PASORI).unwrap().atr.as_deref(), Some("3BE0"));

        // Unplugged: SCardSvr stops. The old context answers SERVICE_STOPPED; new ones
        // cannot be made (NO_SERVICE) until a reader comes back.
        service.unplug_last_reader();
        wait_for(&mut rx, "service: false", |s| {
            !s.service && s.readers.is_empty()
        });
        let attempts = service.world(|w| w.establish_calls);
        wait_for(&mut rx, "retries", |_| {
            service.world(|w| w.establish_calls) >= attempts + 3
        });
        // Pages asking now are told the service is gone.
        let e = WireError::from(LinkError::from(pcsc::Error::NoService));
        assert_eq!(e.code, ErrorCode::NoService);

        // A reader plugged in again starts the service: only a new context sees it.
        service.start(&[(ACR, false)]);
        let s = wait_for(&mut rx, "the new reader", |s| {
            s.service && reader(s, ACR).is_some()
        });
        assert_eq!(reader(&s, ACR).unwrap().state, WireState::Empty);
        assert!(reader(&s, PASORI).is_none());
        assert!(service.world(|w| w.calls_on_dead_contexts) >= 1);
        // The old context is not used after its SERVICE_STOPPED.
        let dead = service.world(|w| w.calls_on_dead_contexts);
        service.change(|w| w.readers[0].1 = true);
        wait_for(&mut rx, "the card in the new reader", |s| {
            reader(s, ACR).is_some_and(|r| r.state == WireState::Present)
        });
        assert_eq!(service.world(|w| w.calls_on_dead_contexts), dead);

        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        (cancel.lock().unwrap().as_ref().unwrap())();
    }

    #[test]
    fn no_readers_available_is_an_empty_list_and_pnp_reports_the_next_reader() {
        let service = Service::default();
        service.start(&[]);
        let (mut rx, cancel, stop) = start_monitor(service.clone(), FAST);
        // SCARD_E_NO_READERS_AVAILABLE: the service is there, with no reader.
        wait_for(&mut rx, "an empty, working service", |s| {
            s.service && s.readers.is_empty()
        });
        assert_eq!(service.world(|w| w.calls_on_dead_contexts), 0);
        let establish_calls = service.world(|w| w.establish_calls);
        // Hot-plug, through \\?PnP?\Notification: no new context, no polling.
        service.change(|w| w.readers.push((PASORI.into(), false)));
        wait_for(&mut rx, "the plugged reader", |s| {
            reader(s, PASORI).is_some()
        });
        service.change(|w| w.readers.push((ACR.into(), true)));
        let s = wait_for(&mut rx, "the second reader", |s| reader(s, ACR).is_some());
        assert_eq!(reader(&s, ACR).unwrap().state, WireState::Present);
        assert_eq!(service.world(|w| w.establish_calls), establish_calls);

        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        (cancel.lock().unwrap().as_ref().unwrap())();
    }

    /// What pages see for the Windows errors that reach a card link.
    #[test]
    fn windows_errors_become_the_wire_codes_pages_handle() {
        use pcsc::Error as E;
        for (error, code) in [
            (E::NoService, ErrorCode::NoService),
            (E::ServiceStopped, ErrorCode::NoService),
            (E::NoReadersAvailable, ErrorCode::NoReader),
            (E::UnknownReader, ErrorCode::NoReader),
            // Another program reset the card: the selection and verified state are gone,
            // so the page starts over as after a removal.
            (E::ResetCard, ErrorCode::CardRemoved),
            (E::RemovedCard, ErrorCode::CardRemoved),
            (E::SharingViolation, ErrorCode::SharingViolation),
            (E::NoSmartcard, ErrorCode::NoCard),
        ] {
            assert_eq!(
                WireError::from(LinkError::from(error)).code,
                code,
                "{error:?}"
            );
        }
    }
}
