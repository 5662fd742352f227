//! `--simulate`: one virtual reader holding a virtual My Number Card, in-process.
//!
//! For web developers without a reader (and for the bridge's own tests): the same sessions,
//! policy and operations as with PC/SC, but the card is a [`VirtualCard`] built from a
//! persona. `simulate {action:"insert", persona}` / `{action:"remove"}` swap cards and fire
//! `readers` events; `{action:"reinsert"}` takes the card out and presents the same card again
//! (its PIN counters kept), as staff do before a patient's last PIN try. Each insertion has a number; a link opened on an earlier insertion
//! answers `card-removed`, also in the middle of a transaction — exactly what a pulled card
//! does on PC/SC.

use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use crate::backend::{Apdu, Backend, CardLink, LinkError, Snapshot};
use crate::personas::Personas;
use crate::protocol::{ErrorCode, Reader, ReaderState, WireError};
use crate::server::Simulator;
use myna_virtual_card::{SharedCard, TimingModel, VirtualCard};

/// The virtual reader's name.
pub const READER_NAME: &str = "myna-web Virtual Reader";

struct Slot {
    card: Option<SharedCard>,
    insertion: u64,
}

/// The simulated backend.
pub struct SimBackend {
    personas: Personas,
    slot: Arc<Mutex<Slot>>,
    snapshot: watch::Sender<Snapshot>,
    realistic_timing: bool,
}

impl SimBackend {
    /// A virtual reader, empty or holding `persona`'s card; with `realistic_timing` every
    /// APDU takes as long as the card's timing model says (for demos and benchmarks).
    pub fn new(
        personas: Personas,
        persona: Option<&str>,
        realistic_timing: bool,
    ) -> Result<Arc<Self>, WireError> {
        let (snapshot, _) = watch::channel(Snapshot::default());
        let sim = Arc::new(SimBackend {
            personas,
            slot: Arc::new(Mutex::new(Slot {
                card: None,
                insertion: 0,
            })),
            snapshot,
            realistic_timing,
        });
        match persona {
            Some(name) => sim.insert(name)?,
            None => sim.publish(),
        }
        Ok(sim)
    }

    /// The card now in the reader (tests read its APDU log and state).
    pub fn card(&self) -> Option<SharedCard> {
        self.slot.lock().expect("slot lock").card.clone()
    }

    fn publish(&self) {
        let slot = self.slot.lock().expect("slot lock");
        let reader = match &slot.card {
            Some(card) => Reader {
                name: READER_NAME.to_string(),
                state: ReaderState::Present,
                atr: Some(hex::encode_upper(card.lock().atr())),
            },
            None => Reader {
                name: READER_NAME.to_string(),
                state: ReaderState::Empty,
                atr: None,
            },
        };
        drop(slot);
        self.snapshot.send_replace(Snapshot {
            service: true,
            readers: vec![reader],
        });
    }
}

impl Simulator for SimBackend {
    fn personas(&self) -> Vec<String> {
        self.personas.names().map(str::to_string).collect()
    }

    fn insert(&self, persona: &str) -> Result<(), WireError> {
        let p = self.personas.get(persona).ok_or_else(|| {
            WireError::new(ErrorCode::NotSimulating, format!("no persona {persona:?}"))
        })?;
        let mut card = VirtualCard::from_persona(p)
            .map_err(|e| WireError::new(ErrorCode::Internal, e.to_string()))?;
        if self.realistic_timing {
            card.set_timing(TimingModel::realistic());
        }
        card.power_on();
        {
            let mut slot = self.slot.lock().expect("slot lock");
            slot.card = Some(SharedCard::new(card));
            slot.insertion += 1;
        }
        tracing::info!(persona, "virtual card inserted");
        self.publish();
        Ok(())
    }

    fn reinsert(&self) -> Result<(), WireError> {
        let card = {
            let mut slot = self.slot.lock().expect("slot lock");
            let card = slot.card.take().ok_or_else(|| {
                WireError::new(ErrorCode::NoCard, "no card in the virtual reader")
            })?;
            slot.insertion += 1;
            card
        };
        self.publish();
        // Off the reader the card loses power: selection and verified state go, the PIN
        // counters stay.
        card.lock().power_off();
        card.lock().power_on();
        {
            let mut slot = self.slot.lock().expect("slot lock");
            slot.card = Some(card);
            slot.insertion += 1;
        }
        tracing::info!("virtual card presented again");
        self.publish();
        Ok(())
    }

    fn remove(&self) {
        {
            let mut slot = self.slot.lock().expect("slot lock");
            slot.card = None;
            slot.insertion += 1;
        }
        tracing::info!("virtual card removed");
        self.publish();
    }
}

impl Backend for SimBackend {
    fn watch(&self) -> watch::Receiver<Snapshot> {
        self.snapshot.subscribe()
    }

    fn open(&self, reader: &str) -> Result<Box<dyn CardLink>, LinkError> {
        if reader != READER_NAME {
            return Err(LinkError::NoReader);
        }
        let slot = self.slot.lock().expect("slot lock");
        let card = slot.card.clone().ok_or(LinkError::NoCard)?;
        Ok(Box::new(SimLink {
            slot: self.slot.clone(),
            card,
            insertion: slot.insertion,
            reset: false,
        }))
    }

    fn shutdown(&self) {}
}

struct SimLink {
    slot: Arc<Mutex<Slot>>,
    card: SharedCard,
    insertion: u64,
    /// The running transaction asked to end with a warm reset.
    reset: bool,
}

impl SimLink {
    fn still_inserted(&self) -> Result<(), LinkError> {
        if self.slot.lock().expect("slot lock").insertion == self.insertion {
            Ok(())
        } else {
            Err(LinkError::CardRemoved)
        }
    }
}

impl Apdu for SimLink {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, LinkError> {
        self.still_inserted()?;
        let exchange = self
            .card
            .transmit(command)
            .map_err(|_| LinkError::Unresponsive)?;
        // The card's timing model (instant unless --realistic-timing or a test sets one).
        if !exchange.delay.is_zero() {
            std::thread::sleep(exchange.delay);
        }
        // Removed while the card was working: the response never arrives.
        self.still_inserted()?;
        Ok(exchange.response)
    }

    fn reset_at_end(&mut self) {
        self.reset = true;
    }

    fn insertion(&mut self) -> Option<u64> {
        // The slot's number moves on every `simulate` remove and insert.
        self.still_inserted().ok().map(|()| self.insertion)
    }
}

impl CardLink for SimLink {
    fn transaction(
        &mut self,
        body: &mut dyn FnMut(&mut dyn Apdu) -> Result<(), LinkError>,
    ) -> Result<(), LinkError> {
        self.still_inserted()?;
        // One worker thread per reader already serialises this reader's sessions; the
        // shared card's own lock is taken per APDU.
        self.reset = false;
        let result = body(self);
        if std::mem::take(&mut self.reset) && self.still_inserted().is_ok() {
            self.card.lock().reset();
        }
        result
    }

    fn supports_extended_length(&self) -> bool {
        false
    }
}
