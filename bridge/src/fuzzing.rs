//! Fuzzing entry points (not API: hidden from the docs, no stability promise).
//!
//! Each function takes a fuzzer-built input and must return normally for every input: a
//! panic is a finding. [`bridge_frame`] checks the wire parser never panics and never lets
//! a PIN into a `Debug` or an error; [`policy`] checks the security property of `transmit`:
//! whatever a page sends, only the eligibility reads reach the card. The cargo-fuzz targets
//! in `fuzz/` are one line each calling these (the `arbitrary` glue that builds the inputs
//! lives there); regression tests call them with the inputs that once failed.

use std::sync::OnceLock;

use myna_core::jpki::{self, Pin};
use myna_core::profile::{CARD_INFO_INPUT_AID, CARD_SURFACE_AID, Fid, JPKI_AID, MY_NUMBER_CARD};
use myna_core::transport::{Transport, TransportError, TransportErrorKind};
use serde_json::Value;

use crate::personas::Personas;
use crate::policy::{Policy, READABLE_FILES, Selection};
use crate::protocol::{Call, ParseFailure, Request, answer};
use crate::virtual_card::{CardContents, VirtualCard};

/// One frame for [`bridge_frame`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// Any text, parsed as it is.
    Raw(String),
    /// A frame built around a PIN (see [`PinFrame`]).
    Pin(PinFrame),
}

/// How the PIN is written in a [`PinFrame`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinValue {
    /// A JSON string holding this text.
    Text(String),
    /// A JSON number with these digits (`1234`): serde would quote it in a type error.
    Number(String),
}

/// A frame `{"id":…,"method":…,"params":{…,"pin":<pin>,…}}` whose parts are raw JSON
/// tokens from the fuzzer (so it may be broken JSON); the PIN appears only as `"pin"`'s
/// value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinFrame {
    /// The raw `id` token.
    pub id: String,
    /// The method name (written as a JSON string).
    pub method: String,
    /// Other params as `(name, raw token)`, written in order; the PIN goes at `pin_at`.
    pub params: Vec<(String, String)>,
    /// Where among `params` the PIN goes.
    pub pin_at: usize,
    /// The PIN.
    pub pin: PinValue,
    /// Raw text appended after the frame.
    pub trailer: String,
}

impl PinFrame {
    fn render(&self, pin: &PinValue) -> String {
        let quote = |s: &str| Value::String(s.to_owned()).to_string();
        let pin = match pin {
            PinValue::Text(text) => quote(text),
            PinValue::Number(digits) => digits.clone(),
        };
        let mut params: Vec<String> = self
            .params
            .iter()
            .map(|(name, token)| format!("{}:{token}", quote(name)))
            .collect();
        params.insert(self.pin_at.min(params.len()), format!("\"pin\":{pin}"));
        format!(
            "{{\"id\":{},\"method\":{},\"params\":{{{}}}}}{}",
            self.id,
            quote(&self.method),
            params.join(","),
            self.trailer
        )
    }
}

/// Another PIN of the same shape: digits and ASCII letters moved on by one (`1234` →
/// `2345`), everything else kept, so a frame with either parses the same way.
fn other_pin(pin: &PinValue) -> PinValue {
    let shift = |c: char, first: char, len: u32| {
        char::from_u32(first as u32 + (c as u32 - first as u32 + 1) % len).unwrap_or(c)
    };
    match pin {
        PinValue::Text(text) => PinValue::Text(
            text.chars()
                .map(|c| match c {
                    '0'..='9' => shift(c, '0', 10),
                    'a'..='z' => shift(c, 'a', 26),
                    'A'..='Z' => shift(c, 'A', 26),
                    c => c,
                })
                .collect(),
        ),
        // 1–9 only: a leading zero must stay one (and a non-zero stay non-zero).
        PinValue::Number(digits) => PinValue::Number(
            digits
                .chars()
                .map(|c| match c {
                    '1'..='9' => shift(c, '1', 9),
                    c => c,
                })
                .collect(),
        ),
    }
}

/// What a client could ever see or a log could ever hold of one parse.
fn observable(text: &str) -> String {
    match Request::parse(text) {
        Ok(request) => format!("{request:?}"),
        Err(ParseFailure { id, error }) => {
            let frame = answer(&id, Err(error.clone()));
            let reparsed: Value = serde_json::from_str(&frame).expect("answers are JSON");
            assert_eq!(
                reparsed["error"]["message"],
                Value::String(error.message.clone())
            );
            format!("{id:?} {error:?} {frame}")
        }
    }
}

/// `bridge_frame` target: `Request::parse` never panics, answers are valid JSON, and a PIN
/// given in a frame leaves no trace in the parse result's `Debug`, the error, or the answer.
pub fn bridge_frame(frame: &Frame) {
    match frame {
        Frame::Raw(text) => {
            let seen = observable(text);
            if let Ok(Request {
                call: Call::Authenticate(params),
                ..
            }) = Request::parse(text)
            {
                assert!(seen.contains("<redacted>"), "{seen}");
                let _ = Pin::auth(&params.pin);
            }
        }
        Frame::Pin(frame) => {
            let text = frame.render(&frame.pin);
            let seen = observable(&text);
            // The PIN must not matter: the same frame with another PIN of the same shape
            // shows exactly the same.
            let other = frame.render(&other_pin(&frame.pin));
            let seen_other = observable(&other);
            assert_eq!(seen, seen_other, "the PIN shows through:\n{text}\n{other}");
            if let (Ok(request), PinValue::Text(pin)) = (Request::parse(&text), &frame.pin)
                && let Call::Authenticate(params) = request.call
            {
                assert_eq!(
                    params.pin.as_str(),
                    pin,
                    "the PIN parsed is not the one sent"
                );
            }
        }
    }
}

/// One step of a [`policy`] run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A page's `transmit` of these bytes.
    Transmit(Vec<u8>),
    /// The bridge's own `pinStatus`.
    PinStatus,
    /// The bridge's own `authenticate`, with the right PIN or a wrong one.
    Authenticate {
        /// Send the persona's PIN (else a wrong one).
        correct_pin: bool,
        /// The page's consent to use the last try.
        allow_last_attempt: bool,
    },
    /// The card is reset; the bridge notices (as PC/SC reports a reset) or not.
    Reset {
        /// Whether the session learns of it.
        noticed: bool,
    },
}

/// The `default` persona's card contents and PIN, built once.
fn default_card() -> &'static (CardContents, String) {
    static CARD: OnceLock<(CardContents, String)> = OnceLock::new();
    CARD.get_or_init(|| {
        let personas = Personas::embedded();
        let persona = personas.get("default").expect("the default persona exists");
        let pin = persona.pin.as_ref().expect("the default persona has a PIN");
        (CardContents::for_persona(persona), pin.as_str().to_owned())
    })
}

/// The virtual card as a transport, for the bridge's own operations.
struct CardTransport<'a>(&'a mut VirtualCard);

impl Transport for CardTransport<'_> {
    fn transmit(
        &mut self,
        command: &[u8],
    ) -> impl Future<Output = Result<Vec<u8>, TransportError>> {
        core::future::ready(
            self.0
                .transmit(command)
                .map(|exchange| exchange.response)
                .map_err(|e| TransportError::new(TransportErrorKind::CardRemoved, e.to_string())),
        )
    }
}

/// The bridge's `pinStatus` as `cards::Op::pin_status` runs it.
fn bridge_pin_status(card: &mut VirtualCard, policy: &mut Policy) {
    let mut t = CardTransport(card);
    let _ = pollster::block_on(async {
        jpki::select_jpki_ap(&mut t).await?;
        jpki::auth_pin_status(&mut t).await
    });
    policy.internal_selection(Some(MY_NUMBER_CARD.auth_pin));
}

/// The bridge's `authenticate` as `cards::Op::authenticate` runs it: the certificate, the
/// PIN, the signature, then (once the PIN may have reached the card) a warm reset at the end
/// of the transaction. The RSA operation itself is skipped — it changes nothing on the card
/// and costs ~80 ms in an instrumented build, which would slow this target down a
/// hundredfold.
fn bridge_authenticate(card: &mut VirtualCard, policy: &mut Policy, pin: &Pin, allow_last: bool) {
    let mut t = CardTransport(card);
    if pollster::block_on(jpki::read_auth_certificate(&mut t)).is_err() {
        policy.internal_selection(Some(MY_NUMBER_CARD.auth_key));
        return;
    }
    let _ = pollster::block_on(async {
        jpki::verify_auth_pin_with_consent(&mut t, pin, allow_last).await?;
        // `sign_with_auth_key` starts with this SELECT, then signs.
        jpki::select_ef(&mut t, MY_NUMBER_CARD.auth_key).await
    });
    card.reset();
    policy.internal_selection(None);
}

/// What the card had selected just before a page's command reached it.
struct PageCommand {
    log_index: usize,
    application: Option<&'static [u8]>,
    ef: Option<Fid>,
    response: Vec<u8>,
}

const INS_SELECT: u8 = 0xA4;
const INS_READ_BINARY: u8 = 0xB0;
const INS_GET_RESPONSE: u8 = 0xC0;
const INS_VERIFY: u8 = 0x20;
const INS_CHANGE_REFERENCE_DATA: u8 = 0x24;
const INS_COMPUTE_DIGITAL_SIGNATURE: u8 = 0x2A;
/// ISO 7816-4 instructions that write or change files or objects.
const WRITES: [u8; 12] = [
    0xD0, 0xD1, 0xD6, 0xD7, 0xDC, 0xDD, 0xE2, 0xE0, 0xE4, 0x0E, 0x0F, 0xDA,
];

/// `policy` target: `steps` run against the `eligibility` policy in front of a virtual card
/// of the `default` persona, the bridge's own operations interleaved. Asserted over the
/// card's own APDU log: of the page's commands, only CLA `00` SELECT (of the JPKI-AP and of
/// EF `000A`/`000B`/`0006` in it), READ BINARY of those EFs, and GET RESPONSE ever reached
/// the card; no other application was ever selected, the 券面事項入力補助AP never touched,
/// no PIN try used by a page. While the card was not reset behind the bridge's back, what
/// the policy believes is selected is what the card has selected.
pub fn policy(steps: &[Step]) {
    let (contents, right_pin) = default_card();
    let mut card = VirtualCard::new(contents.clone()).expect("the default persona's card");
    let log = card.log();
    let right = Pin::auth(right_pin).expect("the persona's PIN is 4 digits");
    let wrong_digits: String = right_pin
        .chars()
        .map(|c| {
            if c == '9' {
                '0'
            } else {
                char::from(c as u8 + 1)
            }
        })
        .collect();
    let wrong = Pin::auth(&wrong_digits).expect("a 4-digit PIN");
    let mut policy = Policy::eligibility();
    let mut page = Vec::new();
    // Whether the card was reset without the session knowing (its beliefs are then stale).
    let mut stale = false;

    for step in steps {
        match step {
            Step::Transmit(apdu) => {
                let Ok(allowed) = policy.authorize(apdu) else {
                    continue;
                };
                let tries = card.auth_pin_remaining();
                let log_index = log.len();
                let application = card.current_application();
                let ef = card.current_ef();
                let exchange = card.transmit(apdu).expect("the card is powered");
                assert_eq!(log.len(), log_index + 1, "one command, one log entry");
                assert_eq!(card.auth_pin_remaining(), tries, "a page used a PIN try");
                if let Some(aid) = card.current_application() {
                    assert_eq!(
                        aid, JPKI_AID,
                        "a page's command selected another application"
                    );
                }
                policy.record(allowed, &exchange.response);
                page.push(PageCommand {
                    log_index,
                    application,
                    ef,
                    response: exchange.response,
                });
            }
            Step::PinStatus => bridge_pin_status(&mut card, &mut policy),
            Step::Authenticate {
                correct_pin,
                allow_last_attempt,
            } => {
                let pin = if *correct_pin { &right } else { &wrong };
                bridge_authenticate(&mut card, &mut policy, pin, *allow_last_attempt);
            }
            Step::Reset { noticed } => {
                card.reset();
                if *noticed {
                    policy.internal_selection(None);
                    stale = false;
                } else {
                    stale = true;
                }
            }
        }
        if !stale
            && let Selection::Jpki(Some(fid)) = policy.selection()
            && READABLE_FILES.contains(&fid)
        {
            assert_eq!(
                (card.current_application(), card.current_ef()),
                (Some(JPKI_AID), Some(fid)),
                "the policy believes {fid} is selected; the card has something else"
            );
        }
    }

    let entries = log.entries();
    for command in &page {
        let entry = &entries[command.log_index];
        let ins = entry
            .ins()
            .expect("a command that passed the policy has an INS");
        assert_eq!(
            entry.cla(),
            Some(0x00),
            "CLA other than 00 reached the card: {entry:?}"
        );
        assert_ne!(
            ins, INS_VERIFY,
            "a page's VERIFY reached the card: {entry:?}"
        );
        assert_ne!(
            ins, INS_CHANGE_REFERENCE_DATA,
            "CHANGE REFERENCE DATA: {entry:?}"
        );
        assert_ne!(
            ins, INS_COMPUTE_DIGITAL_SIGNATURE,
            "a page's signing: {entry:?}"
        );
        assert!(
            !WRITES.contains(&ins),
            "a write reached the card: {entry:?}"
        );
        assert!(
            [INS_SELECT, INS_READ_BINARY, INS_GET_RESPONSE].contains(&ins),
            "INS {ins:02X} reached the card: {entry:?}"
        );
        if ins == INS_READ_BINARY {
            let from_allowed = command.application == Some(JPKI_AID)
                && command.ef.is_some_and(|fid| READABLE_FILES.contains(&fid));
            let nothing_read = command.response.len() == 2 && entry.sw.0 != 0x9000;
            assert!(
                from_allowed || nothing_read,
                "READ BINARY answered from {:?} in {:02X?}: {entry:?}",
                command.ef,
                command.application
            );
        }
    }
    for entry in &entries {
        if let Some(aid) = entry.application {
            assert_eq!(aid, JPKI_AID, "another application was current: {entry:?}");
        }
    }
    for (aid, name) in [
        (CARD_INFO_INPUT_AID, "券面事項入力補助AP"),
        (CARD_SURFACE_AID, "券面AP"),
    ] {
        assert!(
            !log.touched_application(aid),
            "the {name} was touched: {log:?}"
        );
    }
}
