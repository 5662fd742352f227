//! A card shared between threads.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::{ApduLog, Exchange, PoweredOff, VirtualCard};

/// A [`VirtualCard`] shared between threads (the vpcd adapter and a test holding its state).
#[derive(Clone)]
pub struct SharedCard {
    card: Arc<Mutex<VirtualCard>>,
    log: ApduLog,
}

impl core::fmt::Debug for SharedCard {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.lock().fmt(f)
    }
}

impl SharedCard {
    /// Shares `card`.
    pub fn new(card: VirtualCard) -> Self {
        let log = card.log();
        SharedCard {
            card: Arc::new(Mutex::new(card)),
            log,
        }
    }

    /// Locks the card (a panic elsewhere cannot leave it inconsistent: every command
    /// updates it in one step).
    pub fn lock(&self) -> MutexGuard<'_, VirtualCard> {
        self.card
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The card's APDU log.
    pub fn log(&self) -> ApduLog {
        self.log.clone()
    }

    /// [`VirtualCard::transmit`] under the lock.
    pub fn transmit(&self, command: &[u8]) -> Result<Exchange, PoweredOff> {
        self.lock().transmit(command)
    }
}
