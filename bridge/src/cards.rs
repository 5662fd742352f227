//! Card sessions: one worker thread per reader, owning the card link.
//!
//! Every request — one `transmit`, a `readFile`, a `pinStatus`, a whole `authenticate` —
//! becomes one job on the reader's worker, run inside one PC/SC transaction. Jobs run in
//! arrival order (a FIFO channel), so many clients on one card are served fairly and their
//! APDUs never interleave. Each handle has its own [`Policy`]: what *its page* selected.
//!
//! ## Nothing is trusted across transactions (issue 11)
//! Between two transactions the card is not ours: any other PC/SC program (shared mode) can
//! select another application, verify its PIN, select the 個人番号 file and leave the card
//! so. So a command whose meaning depends on the card's selection is only ever sent inside a
//! transaction that itself (re)established that selection ([`transmit_page_command`]): a
//! page's `SELECT` of an EF goes after a `SELECT` of the JPKI-AP, a page's `READ BINARY`
//! after `SELECT` JPKI-AP and `SELECT` of the EF the page chose, all in the one transaction.
//! That costs a `transmit` of `READ BINARY` two more APDUs; flows use `readFile` (and
//! `authenticate`), which select, then read a whole file, in one transaction — the APDU
//! minimum of `docs/benchmarks.md`. `pinStatus` and `authenticate` start with `SELECT` of
//! the JPKI-AP themselves.
//!
//! A handle belongs to one card connection: once the card is removed (or reset by another
//! program) every handle issued before answers `card-removed`, and the page connects again.
//! When the last handle of a reader is released the worker drops the card connection.
//!
//! ## The PIN
//! An `authenticate` that sent a `VERIFY` with the PIN ends its transaction with a warm reset
//! of the card, so the verified state never outlives the request. One that sent no PIN (its
//! certificate read failed, the PIN is blocked, consent or a new presentation is missing)
//! leaves the card as it is: other programs' sessions are not reset for nothing.
//!
//! The last try needs the card presented again (issue 11, [`crate::last_try`]): the worker
//! remembers, per reader, the card presentation ([`Apdu::insertion`]) in which it first saw
//! one try left on a card (through `pinStatus`, or `authenticate` — its tries-left check, or
//! the wrong PIN that left one) and which card (its certificate's SHA-256). With one try left,
//! `authenticate` sends the PIN only with `allowLastAttempt: true` *and* for that card on a
//! later presentation; otherwise `last-attempt-needs-consent` (no consent) or
//! `last-attempt-needs-representation`, and nothing more reaches the card. A page cannot take a
//! card off the reader; a card that arrives with one try left is seen with one left on its
//! first check, so it too needs one re-placement.
//!
//! The async side waits for a job's answer with a timeout, so a hung reader gives `timeout`,
//! never a hang.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use myna_core::apdu::Command;
use myna_core::jpki::{self, JpkiError, Pin, PinStatus};
use myna_core::profile::{CardProfile, Fid, FlowStep, MY_NUMBER_CARD, cla, ins};
use myna_core::sw::{Status, StatusWord};
use myna_core::transport::{Transport, TransportError};
use sha2::{Digest as _, Sha256};
use tokio::sync::oneshot;
use zeroize::Zeroizing;

use crate::backend::{Apdu, Backend, CardLink, LinkError};
use crate::last_try::{CardId, LastTry};
use crate::policy::{Policy, READABLE_FILES, Reliance};
use crate::protocol::{AuthenticateResult, ErrorCode, Token, WireError, timeouts};

/// How long a `transmit`, `connect` or `pinStatus` may take before the client gets `timeout`.
pub const OPERATION_TIMEOUT: Duration = Duration::from_millis(timeouts::BRIDGE_OPERATION_MS as u64);
/// How long an `authenticate` may take (a PIN check and an RSA signature on a slow card).
pub const AUTHENTICATE_TIMEOUT: Duration =
    Duration::from_millis(timeouts::BRIDGE_AUTHENTICATE_MS as u64);

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
    /// Which token signed (the card or an Android phone).
    pub token: Token,
    /// The token's card table (its key algorithm names the signature's).
    pub profile: &'static CardProfile,
}

impl Authentication {
    /// The wire form `{certificate, signature, algorithm, token}`.
    pub fn to_wire(&self) -> AuthenticateResult {
        AuthenticateResult {
            certificate: BASE64.encode(&self.certificate),
            signature: BASE64.encode(&self.signature),
            algorithm: self.profile.auth_algorithm.jose,
            token: self.token,
        }
    }
}

/// `SELECT` of the JPKI-AP, then [`jpki::detect_token`] (2 APDUs, the same transaction):
/// the token's card table, or `token-not-supported` (an iPhone, a 住基カード, an unknown
/// label) before anything else, a PIN above all, is sent. `docs/phones.md` §1 and §3.
pub async fn select_and_detect<T: Transport + ?Sized>(
    transport: &mut T,
) -> Result<(&'static CardProfile, Token), JpkiError> {
    jpki::select_jpki_ap(transport).await?;
    let info = jpki::detect_token(transport).await?;
    let profile = info.served_profile()?;
    let token = info
        .kind
        .wire()
        .ok_or_else(|| JpkiError::TokenNotSupported {
            label: info.label.clone(),
        })?;
    Ok((profile, token))
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
    /// Where this reader last showed exactly one PIN try left ([`LastTry`]).
    last_try: LastTry,
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
    /// A `VERIFY` with the PIN went out: the transaction ends with a warm reset of the card.
    reset: bool,
    last_try: &'a mut LastTry,
}

/// `myna-core`'s transport over one transaction. A `VERIFY` carrying data (the PIN) asks for
/// the warm reset at the end of the transaction *before* it is sent, so even an answer lost
/// after it leaves no verified PIN behind.
struct LinkTransport<'a, 'b> {
    apdu: &'a mut (dyn Apdu + 'b),
    extended: bool,
    pin_sent: &'a mut bool,
}

impl Transport for LinkTransport<'_, '_> {
    async fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        if command.get(1) == Some(&ins::VERIFY) && command.len() > 4 {
            *self.pin_sent = true;
            self.apdu.reset_at_end();
        }
        self.apdu
            .transmit(command)
            .map_err(|e| TransportError::new(e.kind(), e.to_string()))
    }

    fn supports_extended_length(&self) -> bool {
        self.extended
    }
}

/// Maps a JPKI client error to the wire (the contract's one mapping,
/// [`WireError::of_jpki`]).
pub fn wire_error(e: JpkiError) -> WireError {
    WireError::of_jpki(e)
}

/// The error a page gets when one try is left, consent was given, and the card has not been
/// presented again since the bridge saw one try left.
fn needs_representation() -> WireError {
    WireError::new(
        ErrorCode::LastAttemptNeedsRepresentation,
        "one try left: the last try needs the card taken off the reader and presented again, \
         then allowLastAttempt: true",
    )
    .with_remaining(1)
}

/// A page's `transmit` inside one transaction: the policy decides; what the command relies
/// on is re-selected first, in this same transaction (never trusted from an earlier one);
/// the card answers; a `61xx` is followed here with `GET RESPONSE` (bounded), so the page
/// gets the whole answer; the policy records.
///
/// APDUs: the page's command, plus 1 for an EF `SELECT` (the JPKI-AP again), plus 2 for a
/// `READ BINARY` (the JPKI-AP and the EF), plus one per `61xx` round.
pub fn transmit_page_command(
    apdu: &mut dyn Apdu,
    policy: &mut Policy,
    command: &[u8],
) -> Result<Vec<u8>, WireError> {
    let allowed = policy
        .authorize(command)
        .map_err(|denied| WireError::new(ErrorCode::PolicyDenied, denied.to_string()))?;
    let select_ap = || Command::select_application(MY_NUMBER_CARD.jpki.aid);
    let establish = match allowed.relies_on() {
        Reliance::Nothing => vec![],
        Reliance::JpkiAp => vec![select_ap()],
        Reliance::JpkiFile(fid) => vec![select_ap(), Command::select_ef(fid)],
    };
    for select in establish {
        let response = apdu.transmit(&select.encode())?;
        if !response.ends_with(&StatusWord::OK.to_bytes()) {
            // The card refuses what the page selected earlier: nothing the page relies on
            // holds any more, and its command is not sent.
            policy.internal_selection(None);
            let sw = &response[response.len().saturating_sub(2)..];
            return Err(WireError::new(
                ErrorCode::CardError,
                format!(
                    "re-selecting what this handle selected failed ({}); select again",
                    hex::encode_upper(sw)
                ),
            ));
        }
    }
    let mut response = apdu.transmit(command)?;
    let mut data = Vec::new();
    let mut rounds = 0;
    while let [.., 0x61, available] = response[..] {
        if rounds == jpki::MAX_GET_RESPONSE_ROUNDS {
            break;
        }
        rounds += 1;
        data.extend_from_slice(&response[..response.len() - 2]);
        response = apdu.transmit(&[cla::ISO, ins::GET_RESPONSE, 0x00, 0x00, available])?;
    }
    if !data.is_empty() {
        data.extend_from_slice(&response);
        response = data;
    }
    policy.record(allowed, &response);
    Ok(response)
}

/// Reads a whole file the policy lets a page read, in one transaction: `SELECT` JPKI-AP,
/// the token's label ([`select_and_detect`], 2 APDUs), `SELECT` the EF, `READ BINARY` until
/// done. A certificate (`000A`, `000B`) is read to the length its DER header declares
/// (4 + ⌈n/256⌉ APDUs with short APDUs, the minimum with detection); another file (`0006`)
/// 256 bytes at a time until the card says it ends or gives fewer bytes than asked (at most
/// [`jpki::MAX_CERTIFICATE_LEN`] bytes).
///
/// A file the token gives only after its PIN (an Android phone's `000A`) answers
/// [`JpkiError::PinRequired`] without a command for it reaching the token; an unserved token
/// [`JpkiError::TokenNotSupported`].
pub async fn read_allowed_file<T: Transport + ?Sized>(
    transport: &mut T,
    fid: Fid,
) -> Result<Vec<u8>, JpkiError> {
    let (profile, _) = select_and_detect(transport).await?;
    if !profile.eligibility_readable.contains(&fid) {
        return Err(JpkiError::PinRequired { fid });
    }
    if fid == MY_NUMBER_CARD.auth_certificate || fid == MY_NUMBER_CARD.auth_ca_certificate {
        return jpki::read_certificate(transport, fid).await;
    }
    jpki::select_ef(transport, fid).await?;
    let chunk = MY_NUMBER_CARD.max_short_read;
    let mut data = Vec::new();
    while data.len() < jpki::MAX_CERTIFICATE_LEN {
        let command = Command::read_binary(data.len(), chunk as u32)?;
        let response = jpki::exchange(transport, &command).await?;
        let got = response.data.len();
        data.extend_from_slice(&response.data);
        match response.sw.status() {
            Status::Success if got == chunk => continue,
            // Fewer bytes than asked, `6282` (end of file), or `6B00` (offset past the end).
            Status::Success | Status::EndOfFile | Status::WrongP1P2 => break,
            _ => {
                return Err(JpkiError::UnexpectedStatus {
                    sw: response.sw,
                    during: jpki::Operation::ReadBinary,
                });
            }
        }
    }
    Ok(data)
}

impl<'a> Op<'a> {
    /// An operation on one transaction's `apdu` outside a worker: the fuzz model runs the
    /// bridge's own operations this way (not API).
    #[doc(hidden)]
    pub fn for_fuzzing(
        apdu: &'a mut dyn Apdu,
        policy: &'a mut Policy,
        last_try: &'a mut LastTry,
    ) -> Self {
        Op {
            apdu,
            policy,
            extended: false,
            reset: false,
            last_try,
        }
    }

    /// Whether the transaction is to end with a warm reset (a `VERIFY` with the PIN went out).
    #[doc(hidden)]
    pub fn resets(&self) -> bool {
        self.reset
    }
}

impl Op<'_> {
    /// `transmit`: see [`transmit_page_command`].
    pub fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, WireError> {
        transmit_page_command(self.apdu, self.policy, command)
    }

    fn transport(&mut self) -> LinkTransport<'_, '_> {
        LinkTransport {
            apdu: &mut *self.apdu,
            extended: self.extended,
            pin_sent: &mut self.reset,
        }
    }

    /// `readFile`: one of the files the policy lets a page read, whole, in one transaction.
    /// What the page selected through `transmit` is left as it was.
    pub fn read_file(&mut self, fid: Fid) -> Result<Vec<u8>, WireError> {
        if !READABLE_FILES.contains(&fid) {
            return Err(WireError::new(
                ErrorCode::PolicyDenied,
                format!("readFile reads 000A, 000B or 0006 only, not {fid}"),
            ));
        }
        pollster::block_on(read_allowed_file(&mut self.transport(), fid)).map_err(wire_error)
    }

    /// `pinStatus`: tries left without using one. One try left is remembered with this
    /// presentation of the card.
    pub fn pin_status(&mut self) -> Result<PinStatus, WireError> {
        let mut t = self.transport();
        let result = pollster::block_on(async {
            select_and_detect(&mut t).await?;
            jpki::auth_pin_status(&mut t).await
        });
        self.policy
            .internal_selection(Some(MY_NUMBER_CARD.auth_pin));
        if let Ok(status) = &result {
            if status.is_last_attempt() {
                let insertion = self.apdu.insertion();
                self.last_try.one_left(insertion, None);
            } else {
                self.last_try.clear();
            }
        }
        result.map_err(wire_error)
    }

    /// `authenticate`: tries-left check, consent and a new presentation for the last try,
    /// ONE verify, then the card signs the auth message for `origin` (the one the gate saw)
    /// and `nonce`.
    pub fn authenticate(
        &mut self,
        origin: &str,
        nonce: &str,
        pin: &Pin,
        allow_last_attempt: bool,
        still_wanted: &dyn Fn() -> bool,
    ) -> Result<Authentication, WireError> {
        let message = myna_core::auth::auth_message(origin, nonce);
        let digest_info = myna_core::auth::digest_info_sha256(&message);
        let result = self.authenticate_steps(&digest_info, pin, allow_last_attempt, still_wanted);
        if self.reset {
            // The card is reset when the transaction ends: nothing is selected then.
            self.policy.internal_selection(None);
        } else {
            // The PIN or key EF may be current: reading "whatever is selected" stays closed.
            self.policy
                .internal_selection(Some(MY_NUMBER_CARD.auth_key));
        }
        result
    }

    /// [`Self::authenticate`]'s card steps, ending with the card's signature of
    /// `digest_info` (the auth message's).
    fn authenticate_steps(
        &mut self,
        digest_info: &[u8],
        pin: &Pin,
        allow_last_attempt: bool,
        still_wanted: &dyn Fn() -> bool,
    ) -> Result<Authentication, WireError> {
        use pollster::block_on;
        // Which token answers, inside this transaction: an unserved one (an iPhone) is refused
        // here, before any PIN could go out.
        let (profile, token) =
            block_on(select_and_detect(&mut self.transport())).map_err(wire_error)?;
        // The token's order (its card table): the card gives its certificate first — if it
        // cannot even do that, no PIN try is at stake; an Android phone gives it only after
        // the PIN (docs/phones.md §2), so there it follows the one VERIFY.
        let step_at = |step| profile.pin_flow.iter().position(|s| *s == step);
        let certificate_first = step_at(FlowStep::ReadCertificate) < step_at(FlowStep::VerifyPin);
        let certificate = if certificate_first {
            Some(
                block_on(jpki::read_certificate(
                    &mut self.transport(),
                    profile.auth_certificate,
                ))
                .map_err(wire_error)?,
            )
        } else {
            None
        };
        // The last try may be used only by this card (its certificate, just read), on a
        // presentation after the one where it was seen with one try left (read before
        // anything else is sent, inside this transaction). A token that gives no
        // certificate before the PIN (an Android phone) is known only by its token label:
        // the re-presentation rule holds, but any phone counts as the same one.
        let card: CardId = match &certificate {
            Some(der) => Sha256::digest(der).into(),
            None => Sha256::digest(profile.token_label.as_bytes()).into(),
        };
        let insertion = self.apdu.insertion();
        let may_use_last = allow_last_attempt && self.last_try.may_use_last(insertion, card);
        // Tries left, then (blocked: nothing; one left without consent or a new
        // presentation: nothing) exactly one VERIFY, under one SELECT. If that VERIFY goes
        // out, the transport has already asked for the warm reset that ends the transaction
        // (however this ends: signed, wrong PIN, an error or a lost answer), so a verified
        // PIN never outlives this request.
        // A request the page was already answered `timeout` for (the transaction waited for
        // another program, or the card was slow) must not spend a try later, when nobody
        // expects it: checked here, the last moment before the PIN could go out.
        if !still_wanted() {
            return Err(WireError::new(
                ErrorCode::Timeout,
                "the request timed out before the PIN was sent; nothing was sent",
            ));
        }
        let verified = block_on(jpki::verify_auth_pin_with_consent(
            &mut self.transport(),
            pin,
            may_use_last,
        ));
        match verified {
            Ok(()) => self.last_try.clear(),
            Err(JpkiError::LastAttemptNeedsConsent) => {
                self.last_try.one_left(insertion, Some(card));
                return Err(if allow_last_attempt {
                    needs_representation()
                } else {
                    wire_error(JpkiError::LastAttemptNeedsConsent)
                });
            }
            Err(e @ JpkiError::PinIncorrect { remaining: 1 }) => {
                // The check before this try showed two: this presentation is the first with one.
                self.last_try.clear();
                self.last_try.one_left(insertion, Some(card));
                return Err(wire_error(e));
            }
            Err(e @ (JpkiError::PinIncorrect { .. } | JpkiError::PinBlocked)) => {
                self.last_try.clear();
                return Err(wire_error(e));
            }
            Err(e) => return Err(wire_error(e)),
        }
        let certificate = match certificate {
            Some(der) => der,
            // After the one VERIFY, under the same SELECT of the application.
            None => block_on(jpki::read_certificate(
                &mut self.transport(),
                profile.auth_certificate,
            ))
            .map_err(wire_error)?,
        };
        let signature = block_on(jpki::sign_with_auth_key(&mut self.transport(), digest_info))
            .map_err(wire_error)?;
        Ok(Authentication {
            certificate,
            signature,
            token,
            profile,
        })
    }
}

impl WorkerState {
    fn ensure_link(&mut self) -> Result<(), LinkError> {
        if self.link.is_none() {
            self.link = Some(self.backend.open(&self.reader)?);
            self.epoch += 1;
        }
        Ok(())
    }

    fn drop_link(&mut self) {
        self.link = None;
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
        let mut outcome: Option<Result<R, WireError>> = None;
        let mut op = Some(op);
        let policy = &mut session.policy;
        let last_try = &mut self.last_try;
        let tx = link.transaction(&mut |apdu| {
            let f = op.take().expect("a transaction body runs once");
            let mut ctx = Op {
                apdu,
                policy,
                extended,
                reset: false,
                last_try,
            };
            let result = f(&mut ctx);
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
            Ok(()) => outcome.expect("the body ran"),
            Err(e) => {
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
                    last_try: LastTry::default(),
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

    /// Runs `f` on the reader's worker and waits at most `timeout` for its answer. A job whose
    /// waiter has given up (the page was answered `timeout`) is not started; `f` gets a
    /// `still_wanted` check for what must not happen after that answer (the PIN's VERIFY).
    async fn job<R: Send + 'static>(
        &self,
        reader: &str,
        timeout: Duration,
        f: impl FnOnce(&mut WorkerState, &dyn Fn() -> bool) -> Result<R, WireError> + Send + 'static,
    ) -> Result<R, WireError> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |state| {
            if tx.is_closed() {
                return;
            }
            let still_wanted = || !tx.is_closed();
            let result = f(state, &still_wanted);
            let _ = tx.send(result);
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
        self.job(reader, self.timeouts.operation, move |state, _| {
            state.connect(handle).map_err(WireError::from)?;
            Ok(handle)
        })
        .await
    }

    /// Releases a handle (the card connection goes when its last handle does).
    pub async fn disconnect(&self, reader: &str, handle: u32) {
        let _ = self
            .job(reader, self.timeouts.operation, move |state, _| {
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
        self.job(reader, self.timeouts.operation, move |state, _| {
            state.run(handle, |op| op.transmit(&apdu))
        })
        .await
    }

    /// `readFile`: a whole allowed file in one transaction.
    pub async fn read_file(
        &self,
        reader: &str,
        handle: u32,
        fid: Fid,
    ) -> Result<Vec<u8>, WireError> {
        self.job(reader, self.timeouts.operation, move |state, _| {
            state.run(handle, |op| op.read_file(fid))
        })
        .await
    }

    /// `pinStatus`.
    pub async fn pin_status(&self, reader: &str, handle: u32) -> Result<PinStatus, WireError> {
        self.job(reader, self.timeouts.operation, move |state, _| {
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
        self.job(
            reader,
            self.timeouts.authenticate,
            move |state, still_wanted| {
                state.run(handle, |op| {
                    op.authenticate(&origin, &nonce, &pin, allow_last_attempt, still_wanted)
                })
            },
        )
        .await
    }
}
