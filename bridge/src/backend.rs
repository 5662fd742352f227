//! The seam between the bridge's sessions and where cards live: the real PC/SC stack
//! ([`crate::pcsc_backend`]) or the in-process virtual reader of `--simulate`
//! ([`crate::sim_backend`]).
//!
//! Both are blocking: a [`CardLink`] is owned by one reader worker thread
//! ([`crate::cards`]), never by the async runtime. Reader state reaches the async side
//! through a `tokio::sync::watch` channel that the backend's monitor keeps current.

use tokio::sync::watch;

use myna_core::transport::TransportErrorKind;

use crate::protocol::{ErrorCode, Reader, WireError};

/// What went wrong talking to a reader or card.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// The PC/SC service is not running.
    #[error("the PC/SC service is not available")]
    NoService,
    /// No reader by that name.
    #[error("no such reader")]
    NoReader,
    /// The reader is empty.
    #[error("no card in the reader")]
    NoCard,
    /// The card was removed or reset.
    #[error("the card was removed or reset")]
    CardRemoved,
    /// Another program holds the card exclusively.
    #[error("the card is used exclusively by another program")]
    SharingViolation,
    /// The reader or card did not answer in time.
    #[error("the reader or card did not answer in time")]
    Timeout,
    /// The card does not answer (mute, unpowered).
    #[error("the card does not respond")]
    Unresponsive,
    /// Anything else, with the system's description.
    #[error("reader failure: {0}")]
    Other(String),
}

impl LinkError {
    /// The transport failure this is, as the core's card operations see it; its wire code is
    /// the contract's ([`ErrorCode::of_transport`]).
    pub fn kind(&self) -> TransportErrorKind {
        match self {
            LinkError::NoService => TransportErrorKind::ServiceUnavailable,
            LinkError::NoReader => TransportErrorKind::ReaderUnavailable,
            LinkError::NoCard => TransportErrorKind::NoCard,
            LinkError::CardRemoved => TransportErrorKind::CardRemoved,
            LinkError::SharingViolation => TransportErrorKind::Busy,
            LinkError::Timeout => TransportErrorKind::Timeout,
            LinkError::Unresponsive => TransportErrorKind::Unresponsive,
            LinkError::Other(_) => TransportErrorKind::Other,
        }
    }
}

impl From<LinkError> for WireError {
    fn from(e: LinkError) -> Self {
        WireError::new(ErrorCode::of_transport(e.kind()), e.to_string())
    }
}

/// One transaction's access to the card: APDU exchanges, and how the transaction ends.
pub trait Apdu {
    /// Sends a command APDU, returns the raw response (data + SW1 SW2).
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, LinkError>;

    /// Ends this transaction with a warm reset of the card (PC/SC `SCARD_RESET_CARD`), still
    /// holding the card, so that no other program's command can reach it in between. The
    /// reset clears the card's security state (a verified PIN) and its selection. The link
    /// stays usable: the backend re-attaches its own connection after the reset.
    fn reset_at_end(&mut self);

    /// Which presentation of a card the reader holds now: a value that changes every time a
    /// card is taken off the reader and presented again (and never otherwise — not on a
    /// reset, not when a connection is reopened). `None` when it cannot be told; callers then
    /// treat the card as not presented again. Used for the last PIN try (issue 11): see
    /// `cards.rs`.
    fn insertion(&mut self) -> Option<u64>;
}

/// A connection to the card in one reader, owned by that reader's worker thread.
pub trait CardLink: Send {
    /// Runs `body` inside one PC/SC transaction: no other program's APDU comes in between.
    /// The transaction ends leaving the card as it is, unless `body` asked for
    /// [`Apdu::reset_at_end`].
    fn transaction(
        &mut self,
        body: &mut dyn FnMut(&mut dyn Apdu) -> Result<(), LinkError>,
    ) -> Result<(), LinkError>;

    /// Whether the reader passes extended-length APDUs.
    fn supports_extended_length(&self) -> bool;
}

/// What the readers look like now.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snapshot {
    /// `false` while the PC/SC service is gone.
    pub service: bool,
    /// The readers and their states.
    pub readers: Vec<Reader>,
}

/// A source of readers and cards.
pub trait Backend: Send + Sync + 'static {
    /// The current snapshot, updated by the backend's monitor.
    fn watch(&self) -> watch::Receiver<Snapshot>;

    /// Connects to the card in `reader`. Called on the reader's worker thread.
    fn open(&self, reader: &str) -> Result<Box<dyn CardLink>, LinkError>;

    /// Stops monitoring (graceful shutdown).
    fn shutdown(&self);
}
