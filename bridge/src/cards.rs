//! Card sessions: one worker thread per reader, owning the card link.
//!
//! Every request — one `transmit`, a `pinStatus`, a whole `authenticate` — becomes one job
//! on the reader's worker, run inside one PC/SC transaction. Jobs run in arrival order (a
//! FIFO channel), so many clients on one card are served fairly and their APDUs never
//! interleave. Each handle has its own [`Policy`] and thus its own idea of what is selected;
//! when the worker switches from one handle to another it re-selects what the new handle had
//! selected, so a session never reads a file another session chose.
//!
//! A handle belongs to one card insertion: once the card is removed (or reset by another
//! program) every handle issued before answers `card-removed`, and the page connects again.
//! When the last handle of a reader is released the worker drops the card connection.
//!
//! An `authenticate` that may have verified the PIN ends its transaction with a warm reset of
//! the card, so the verified state never outlives the request; every handle's selection is
//! then restored before its next request, as after a switch of handles.
//!
//! The async side waits for a job's answer with a timeout, so a hung reader gives `timeout`,
//! never a hang.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use myna_core::jpki::{self, JpkiError, Pin, PinStatus};
use myna_core::transport::{Transport, TransportError, TransportErrorKind};
use tokio::sync::oneshot;
use zeroize::Zeroizing;

use crate::backend::{Apdu, Backend, CardLink, LinkError};
use crate::policy::{Policy, READABLE_FILES, Selection};
use crate::protocol::{ErrorCode, WireError};

/// How long a `transmit`, `connect` or `pinStatus` may take before the client gets `timeout`.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(30);
/// How long an `authenticate` may take (a PIN check and an RSA signature on a slow card).
pub const AUTHENTICATE_TIMEOUT: Duration = Duration::from_secs(60);

/// How long card operations may take before the client gets `timeout` (the defaults are
/// [`OPERATION_TIMEOUT`] and [`AUTHENTICATE_TIMEOUT`]; tests shorten them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardTimeouts {
    /// `connect`, `transmit`, `pinStatus`, `disconnect`.
    pub operation: Duration,
    /// `authenticate`.
    pub authenticate: Duration,
}

impl Default for CardTimeouts {
    fn default() -> Self {
        CardTimeouts {
            operation: OPERATION_TIMEOUT,
            authenticate: AUTHENTICATE_TIMEOUT,
        }
    }
}

/// The result of `authenticate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authentication {
    /// The auth certificate (DER).
    pub certificate: Vec<u8>,
    /// RSASSA-PKCS1-v1_5 with SHA-256 over the auth message.
    pub signature: Vec<u8>,
}

impl Authentication {
    /// The wire form `{certificate, signature, algorithm}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "certificate": BASE64.encode(&self.certificate),
            "signature": BASE64.encode(&self.signature),
            "algorithm": "RS256",
        })
    }
}

type Job = Box<dyn FnOnce(&mut WorkerState) + Send>;

struct Session {
    epoch: u64,
    policy: Policy,
}

struct WorkerState {
    backend: Arc<dyn Backend>,
    reader: String,
    link: Option<Box<dyn CardLink>>,
    /// Bumped each time a new card connection is opened.
    epoch: u64,
    sessions: HashMap<u32, Session>,
    /// The handle whose selection the card currently has.
    last_handle: Option<u32>,
}

/// The card sessions of every reader.
pub struct Cards {
    backend: Arc<dyn Backend>,
    timeouts: CardTimeouts,
    workers: Mutex<HashMap<String, mpsc::Sender<Job>>>,
    next_handle: AtomicU32,
}

/// What the worker gives an operation.
pub struct Op<'a> {
    apdu: &'a mut dyn Apdu,
    policy: &'a mut Policy,
    extended: bool,
    /// The operation's transaction ends with a warm reset of the card.
    reset: bool,
}

struct LinkTransport<'a, 'b> {
    apdu: &'a mut (dyn Apdu + 'b),
    extended: bool,
}

impl Transport for LinkTransport<'_, '_> {
    async fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.apdu.transmit(command).map_err(|e| {
            let kind = match e {
                LinkError::NoService => TransportErrorKind::ServiceUnavailable,
                LinkError::NoReader => TransportErrorKind::ReaderUnavailable,
                LinkError::NoCard => TransportErrorKind::NoCard,
                LinkError::CardRemoved => TransportErrorKind::CardRemoved,
                LinkError::SharingViolation => TransportErrorKind::Busy,
                LinkError::Timeout => TransportErrorKind::Timeout,
                LinkError::Unresponsive | LinkError::Other(_) => TransportErrorKind::Other,
            };
            TransportError::new(kind, e.to_string())
        })
    }

    fn supports_extended_length(&self) -> bool {
        self.extended
    }
}

fn link_error_of(e: &TransportError) -> Option<LinkError> {
    match e.kind() {
        TransportErrorKind::CardRemoved => Some(LinkError::CardRemoved),
        TransportErrorKind::NoCard => Some(LinkError::NoCard),
        TransportErrorKind::ServiceUnavailable => Some(LinkError::NoService),
        _ => None,
    }
}

/// Maps a JPKI client error to the wire.
pub fn wire_error(e: JpkiError) -> WireError {
    match e {
        JpkiError::PinIncorrect { remaining: 0 } => {
            WireError::new(ErrorCode::PinBlocked, "wrong PIN; the PIN is now blocked")
                .with_remaining(0)
        }
        JpkiError::PinIncorrect { remaining } => {
            WireError::new(ErrorCode::PinIncorrect, "wrong PIN").with_remaining(remaining)
        }
        JpkiError::PinBlocked => {
            WireError::new(ErrorCode::PinBlocked, "the PIN is blocked").with_remaining(0)
        }
        JpkiError::LastAttemptNeedsConsent => WireError::new(
            ErrorCode::LastAttemptNeedsConsent,
            "one try left: ask the patient, then send allowLastAttempt: true",
        )
        .with_remaining(1),
        JpkiError::ApplicationNotFound => WireError::new(
            ErrorCode::NotMyNumberCard,
            "the card has no JPKI application",
        ),
        JpkiError::Transport(t) => match link_error_of(&t) {
            Some(link) => link.into(),
            None => WireError::new(
                match t.kind() {
                    TransportErrorKind::Timeout => ErrorCode::Timeout,
                    TransportErrorKind::Busy => ErrorCode::SharingViolation,
                    TransportErrorKind::ReaderUnavailable => ErrorCode::NoReader,
                    _ => ErrorCode::CardError,
                },
                t.to_string(),
            ),
        },
        other => WireError::new(ErrorCode::CardError, other.to_string()),
    }
}

impl Op<'_> {
    /// `transmit`: the policy decides, the card answers, the policy records.
    pub fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, WireError> {
        let allowed = self
            .policy
            .authorize(command)
            .map_err(|denied| WireError::new(ErrorCode::PolicyDenied, denied.to_string()))?;
        let response = self.apdu.transmit(command)?;
        self.policy.record(allowed, &response);
        Ok(response)
    }

    fn transport(&mut self) -> LinkTransport<'_, '_> {
        LinkTransport {
            apdu: &mut *self.apdu,
            extended: self.extended,
        }
    }

    /// `pinStatus`: tries left without using one.
    pub fn pin_status(&mut self) -> Result<PinStatus, WireError> {
        let mut t = self.transport();
        let result = pollster::block_on(async {
            jpki::select_jpki_ap(&mut t).await?;
            jpki::auth_pin_status(&mut t).await
        });
        self.policy
            .internal_selection(Some(myna_core::profile::MY_NUMBER_CARD.auth_pin));
        result.map_err(wire_error)
    }

    /// `authenticate`: tries-left check, consent for the last try, ONE verify, then the card
    /// signs the auth message for `origin` (the one the gate saw) and `nonce`.
    pub fn authenticate(
        &mut self,
        origin: &str,
        nonce: &str,
        pin: &Pin,
        allow_last_attempt: bool,
    ) -> Result<Authentication, WireError> {
        let result = self.authenticate_steps(origin, nonce, pin, allow_last_attempt);
        if self.reset {
            // The card is reset when the transaction ends: nothing is selected then.
            self.policy.internal_selection(None);
        } else {
            // The certificate read failed: the card's current EF may be anything.
            self.policy
                .internal_selection(Some(myna_core::profile::MY_NUMBER_CARD.auth_key));
        }
        result
    }

    fn authenticate_steps(
        &mut self,
        origin: &str,
        nonce: &str,
        pin: &Pin,
        allow_last_attempt: bool,
    ) -> Result<Authentication, WireError> {
        use pollster::block_on;
        let message = myna_core::auth::auth_message(origin, nonce);
        let digest_info = myna_core::auth::digest_info_sha256(&message);
        // The certificate first: if the card cannot even give it, no PIN try is at stake.
        let certificate =
            block_on(jpki::read_auth_certificate(&mut self.transport())).map_err(wire_error)?;
        // From here on the PIN may be verified on the card. However this ends — signed, wrong
        // PIN, an error or a lost answer after the VERIFY — the transaction ends with a warm
        // reset, so a verified PIN never outlives this request: no later command, ours or
        // another program's, finds the auth key unlocked.
        self.reset = true;
        self.apdu.reset_at_end();
        let mut t = self.transport();
        // Tries left, then (blocked: nothing; one left without consent: nothing) exactly one
        // VERIFY, under one SELECT.
        block_on(jpki::verify_auth_pin_with_consent(
            &mut t,
            pin,
            allow_last_attempt,
        ))
        .map_err(wire_error)?;
        let signature =
            block_on(jpki::sign_with_auth_key(&mut t, &digest_info)).map_err(wire_error)?;
        Ok(Authentication {
            certificate,
            signature,
        })
    }
}

impl WorkerState {
    fn ensure_link(&mut self) -> Result<(), LinkError> {
        if self.link.is_none() {
            self.link = Some(self.backend.open(&self.reader)?);
            self.epoch += 1;
            self.last_handle = None;
        }
        Ok(())
    }

    fn drop_link(&mut self) {
        self.link = None;
        self.last_handle = None;
    }

    fn connect(&mut self, handle: u32) -> Result<(), LinkError> {
        // A link opened for an earlier insertion fails its next transaction: probe it.
        if let Some(link) = self.link.as_mut() {
            if link.transaction(&mut |_| Ok(())).is_err() {
                self.drop_link();
            }
        }
        self.ensure_link()?;
        self.sessions.insert(
            handle,
            Session {
                epoch: self.epoch,
                policy: Policy::eligibility(),
            },
        );
        Ok(())
    }

    fn disconnect(&mut self, handle: u32) {
        self.sessions.remove(&handle);
        if self.last_handle == Some(handle) {
            self.last_handle = None;
        }
        if self.sessions.is_empty() {
            self.drop_link();
        }
    }

    fn run<R>(
        &mut self,
        handle: u32,
        op: impl FnOnce(&mut Op<'_>) -> Result<R, WireError>,
    ) -> Result<R, WireError> {
        let epoch = self.epoch;
        let session = self
            .sessions
            .get_mut(&handle)
            .ok_or_else(|| WireError::new(ErrorCode::UnknownHandle, "no such handle"))?;
        if session.epoch != epoch || self.link.is_none() {
            return Err(LinkError::CardRemoved.into());
        }
        let link = self.link.as_mut().expect("checked above");
        let extended = link.supports_extended_length();
        let restore = self.last_handle != Some(handle);
        let mut outcome: Option<Result<R, WireError>> = None;
        let mut reset = false;
        let mut op = Some(op);
        let policy = &mut session.policy;
        let tx = link.transaction(&mut |apdu| {
            if restore {
                restore_selection(apdu, policy)?;
            }
            let f = op.take().expect("a transaction body runs once");
            let mut ctx = Op {
                apdu,
                policy,
                extended,
                reset: false,
            };
            let result = f(&mut ctx);
            // After a reset the card has nothing selected, for every handle.
            reset |= ctx.reset;
            // Card-level failures end the transaction as failures so the link is dropped.
            if let Err(e) = &result {
                if matches!(
                    e.code,
                    ErrorCode::CardRemoved | ErrorCode::NoService | ErrorCode::NoCard
                ) {
                    outcome = Some(result);
                    return Err(LinkError::CardRemoved);
                }
            }
            outcome = Some(result);
            Ok(())
        });
        match tx {
            Ok(()) => {
                // After a reset every handle's selection must be restored before its next
                // request, this one's included.
                self.last_handle = (!reset).then_some(handle);
                outcome.expect("the body ran")
            }
            Err(e) => {
                // The card may be left anywhere: every handle restores its selection next.
                self.last_handle = None;
                if matches!(
                    e,
                    LinkError::CardRemoved | LinkError::NoCard | LinkError::NoService
                ) {
                    self.drop_link();
                }
                match outcome {
                    Some(Err(wire)) => Err(wire),
                    _ => Err(e.into()),
                }
            }
        }
    }
}

/// Puts the card back in the selection `policy` believes in (another handle may have moved it).
fn restore_selection(apdu: &mut dyn Apdu, policy: &mut Policy) -> Result<(), LinkError> {
    let Selection::Jpki(ef) = policy.selection() else {
        return Ok(());
    };
    let ok = |r: Vec<u8>| r.ends_with(&[0x90, 0x00]);
    let select_ap = myna_core::apdu::Command::select_application(myna_core::profile::JPKI_AID);
    if !ok(apdu.transmit(&select_ap.encode())?) {
        policy.internal_selection(None);
        return Ok(());
    }
    match ef {
        Some(fid) if READABLE_FILES.contains(&fid) => {
            let select_ef = myna_core::apdu::Command::select_ef(fid);
            if !ok(apdu.transmit(&select_ef.encode())?) {
                policy.internal_selection(None);
            }
        }
        // The bridge's own PIN/key selections are not readable: nothing worth restoring.
        Some(_) => policy.internal_selection(None),
        None => {}
    }
    Ok(())
}

impl Cards {
    /// Sessions over `backend`, with the default timeouts.
    pub fn new(backend: Arc<dyn Backend>) -> Arc<Self> {
        Self::with_timeouts(backend, CardTimeouts::default())
    }

    /// Sessions over `backend` whose operations time out after `timeouts`.
    pub fn with_timeouts(backend: Arc<dyn Backend>, timeouts: CardTimeouts) -> Arc<Self> {
        Arc::new(Cards {
            backend,
            timeouts,
            workers: Mutex::new(HashMap::new()),
            next_handle: AtomicU32::new(1),
        })
    }

    /// The backend (for reader snapshots).
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    fn worker(&self, reader: &str) -> mpsc::Sender<Job> {
        let mut workers = self.workers.lock().expect("workers lock");
        workers
            .entry(reader.to_string())
            .or_insert_with(|| {
                let (tx, rx) = mpsc::channel::<Job>();
                let mut state = WorkerState {
                    backend: self.backend.clone(),
                    reader: reader.to_string(),
                    link: None,
                    epoch: 0,
                    sessions: HashMap::new(),
                    last_handle: None,
                };
                std::thread::Builder::new()
                    .name(format!("card {reader}"))
                    .spawn(move || {
                        for job in rx {
                            job(&mut state);
                        }
                    })
                    .expect("spawning a card worker");
                tx
            })
            .clone()
    }

    async fn job<R: Send + 'static>(
        &self,
        reader: &str,
        timeout: Duration,
        f: impl FnOnce(&mut WorkerState) -> Result<R, WireError> + Send + 'static,
    ) -> Result<R, WireError> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |state| {
            let _ = tx.send(f(state));
        });
        self.worker(reader)
            .send(job)
            .map_err(|_| WireError::new(ErrorCode::Internal, "card worker stopped"))?;
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(WireError::new(ErrorCode::Internal, "card worker failed")),
            Err(_) => Err(WireError::new(
                ErrorCode::Timeout,
                "the reader did not answer in time",
            )),
        }
    }

    /// Opens a session on the card in `reader`; returns its handle.
    pub async fn connect(&self, reader: &str) -> Result<u32, WireError> {
        let snapshot = self.backend.watch().borrow().clone();
        if !snapshot.service {
            return Err(LinkError::NoService.into());
        }
        if !snapshot.readers.iter().any(|r| r.name == reader) {
            return Err(WireError::new(
                ErrorCode::NoReader,
                format!("no reader named {reader:?}"),
            ));
        }
        let handle = self.next_handle.fetch_add(1, Ordering::Relaxed);
        self.job(reader, self.timeouts.operation, move |state| {
            state.connect(handle).map_err(WireError::from)?;
            Ok(handle)
        })
        .await
    }

    /// Releases a handle (the card connection goes when its last handle does).
    pub async fn disconnect(&self, reader: &str, handle: u32) {
        let _ = self
            .job(reader, self.timeouts.operation, move |state| {
                state.disconnect(handle);
                Ok(())
            })
            .await;
    }

    /// `transmit` under the handle's policy.
    pub async fn transmit(
        &self,
        reader: &str,
        handle: u32,
        apdu: Vec<u8>,
    ) -> Result<Vec<u8>, WireError> {
        self.job(reader, self.timeouts.operation, move |state| {
            state.run(handle, |op| op.transmit(&apdu))
        })
        .await
    }

    /// `pinStatus`.
    pub async fn pin_status(&self, reader: &str, handle: u32) -> Result<PinStatus, WireError> {
        self.job(reader, self.timeouts.operation, move |state| {
            state.run(handle, |op| op.pin_status())
        })
        .await
    }

    /// `authenticate`. The PIN is parsed (and its string zeroized) before anything is sent.
    pub async fn authenticate(
        &self,
        reader: &str,
        handle: u32,
        origin: String,
        nonce: String,
        pin: Zeroizing<String>,
        allow_last_attempt: bool,
    ) -> Result<Authentication, WireError> {
        myna_core::auth::validate_nonce(&nonce)
            .map_err(|e| WireError::new(ErrorCode::BadRequest, e.to_string()))?;
        let pin =
            Pin::auth(&pin).map_err(|e| WireError::new(ErrorCode::BadRequest, e.to_string()))?;
        self.job(reader, self.timeouts.authenticate, move |state| {
            state.run(handle, |op| {
                op.authenticate(&origin, &nonce, &pin, allow_last_attempt)
            })
        })
        .await
    }
}
