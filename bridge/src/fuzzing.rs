//! Fuzzing entry points (not API: hidden from the docs, no stability promise).
//!
//! Each function takes a fuzzer-built input and must return normally for every input: a
//! panic is a finding. [`bridge_frame`] checks the wire parser never panics and never lets
//! a PIN into a `Debug` or an error; [`policy`] checks the security property of `transmit`:
//! whatever a page sends, only the eligibility reads reach the card. The cargo-fuzz targets
//! in `fuzz/` are one line each calling these (the `arbitrary` glue that builds the inputs
//! lives there); regression tests call them with the inputs that once failed.

use std::sync::OnceLock;

use myna_core::apdu::Command;
use myna_core::jpki::{self, Pin};
use myna_core::profile::ins::{
    CHANGE_REFERENCE_DATA as INS_CHANGE_REFERENCE_DATA,
    COMPUTE_DIGITAL_SIGNATURE as INS_COMPUTE_DIGITAL_SIGNATURE, GET_RESPONSE as INS_GET_RESPONSE,
    READ_BINARY as INS_READ_BINARY, SELECT as INS_SELECT, VERIFY as INS_VERIFY,
};
use myna_core::profile::{CARD_INFO_INPUT_AID, CARD_SURFACE_AID, Fid, JPKI_AID, MY_NUMBER_CARD};
use serde_json::Value;

use crate::backend::{Apdu, LinkError};
use crate::cards::{self, Op};
use crate::last_try::LastTry;
use crate::personas::Personas;
use crate::policy::{Policy, READABLE_FILES};
use crate::protocol::{Call, ParseFailure, Request, answer};
use myna_virtual_card::{CardContents, VirtualCard};

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
    /// Another program on the PC, between two of the bridge's transactions, selects the
    /// 券面事項入力補助AP, verifies its PIN and selects EF `0001` (the 個人番号), and leaves the
    /// card so (issue 11).
    OtherProgram,
    /// The card is taken off the reader and presented again (power off and on; its PIN
    /// counters kept; a new presentation).
    PresentAgain,
    /// The bridge's own `readFile` of one of the readable files (by index into
    /// [`READABLE_FILES`], modulo its length).
    ReadFile(u8),
}

impl Step {
    /// `authenticate` with the persona's PIN (else a wrong one), with or without the page's
    /// consent to use the last try.
    pub const fn authenticate(correct_pin: bool, allow_last_attempt: bool) -> Step {
        Step::Authenticate {
            correct_pin,
            allow_last_attempt,
        }
    }

    /// A page's `transmit` of `apdu` written in hex, spaces allowed (`"00 A4 02 0C 02 00 0A"`);
    /// panics on anything else (for hand-written seeds and tests).
    pub fn transmit_hex(apdu: &str) -> Step {
        let digits: String = apdu.split_whitespace().collect();
        Step::Transmit(hex::decode(digits).expect("an APDU in hex"))
    }

    /// `authenticate` with the persona's PIN, without consent to use the last try.
    pub const RIGHT_PIN: Step = Step::authenticate(true, false);
    /// `authenticate` with a wrong PIN, without consent to use the last try.
    pub const WRONG_PIN: Step = Step::authenticate(false, false);
    /// `authenticate` with the persona's PIN and consent to use the last try.
    pub const RIGHT_PIN_LAST_TRY_ALLOWED: Step = Step::authenticate(true, true);
    /// `authenticate` with a wrong PIN and consent to use the last try (a hostile page's).
    pub const WRONG_PIN_LAST_TRY_ALLOWED: Step = Step::authenticate(false, true);
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

/// The card's state just before a command of the page's (or one the bridge sent for it).
struct PageCommand {
    log_index: usize,
    application: Option<&'static [u8]>,
    ef: Option<Fid>,
    response: Vec<u8>,
}

/// One transaction of the bridge on the virtual card: the bridge's own code
/// ([`crate::cards`]) runs over it. Every command of a page's `transmit` is recorded with the
/// card's state before it; `COMPUTE DIGITAL SIGNATURE` is answered here (the card's auth PIN
/// must be verified) without the RSA operation, which changes nothing on the card and costs
/// ~80 ms in an instrumented build.
struct FuzzTransaction<'a> {
    card: &'a mut VirtualCard,
    insertion: u64,
    reset: bool,
    page: Option<&'a mut Vec<PageCommand>>,
}

impl Apdu for FuzzTransaction<'_> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, LinkError> {
        if command.first() == Some(&0x80) && command.get(1) == Some(&INS_COMPUTE_DIGITAL_SIGNATURE)
        {
            let mut response = if self.card.auth_pin_verified() {
                vec![0x5A; 256]
            } else {
                Vec::new()
            };
            response.extend_from_slice(if response.is_empty() {
                &[0x69, 0x82]
            } else {
                &[0x90, 0x00]
            });
            return Ok(response);
        }
        let log_index = self.card.log().len();
        let application = self.card.current_application();
        let ef = self.card.current_ef();
        let response = self
            .card
            .transmit(command)
            .map_err(|_| LinkError::Unresponsive)?
            .response;
        if let Some(page) = &mut self.page {
            page.push(PageCommand {
                log_index,
                application,
                ef,
                response: response.clone(),
            });
        }
        Ok(response)
    }

    fn reset_at_end(&mut self) {
        self.reset = true;
    }

    fn insertion(&mut self) -> Option<u64> {
        Some(self.insertion)
    }
}

/// ISO 7816-4 instructions that write or change files or objects.
const WRITES: [u8; 12] = [
    0xD0, 0xD1, 0xD6, 0xD7, 0xDC, 0xDD, 0xE2, 0xE0, 0xE4, 0x0E, 0x0F, 0xDA,
];

/// What the other program sends (its PIN is the persona's: the virtual card sets the
/// 券面事項入力補助AP's PIN to the auth PIN).
fn other_program(card: &mut VirtualCard, pin: &str) -> std::ops::Range<usize> {
    let first = card.log().len();
    let profile = &MY_NUMBER_CARD;
    for command in [
        Command::select_application(CARD_INFO_INPUT_AID),
        Command::select_ef(profile.card_info_input_pin),
        Command::verify(profile.current_ef_reference, pin.as_bytes()),
        Command::select_ef(profile.my_number),
    ] {
        card.transmit(&command.encode())
            .expect("the card is powered");
    }
    first..card.log().len()
}

/// `policy` target: `steps` run against the `eligibility` policy in front of a virtual card
/// of the `default` persona, through the bridge's own operations (`cards::Op`:
/// `transmit_page_command`, `readFile`, `pinStatus`, `authenticate`), with resets, another
/// program's visits to the 個人番号 file and re-presentations of the card in between.
/// Asserted over the card's own APDU log:
/// - of a page's `transmit`, only CLA `00` SELECT (of the JPKI-AP, of EF `000A`/`000B`/`0006`
///   in it) and READ BINARY ever reached the card, and a READ BINARY that answered data did
///   so with the JPKI-AP and one of those EFs current on the card — **whatever another
///   program selected before** (issue 11);
/// - apart from the other program's own commands, no other application was ever current and
///   the 券面事項入力補助AP and 券面AP were never selected;
/// - no PIN try used by a page; at most one `VERIFY` with the PIN per `authenticate`; the last
///   try only with consent and after the card was presented again since its counter reached
///   one; the card reset after an `authenticate` exactly when a `VERIFY` with the PIN went
///   out, so no verified PIN outlives one.
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
    let mut last_try = LastTry::default();
    let mut insertion = 1;
    let mut page = Vec::new();
    let mut other = Vec::new();
    // The model of the last try, kept apart from `LastTry`: whether the card was presented
    // again since its counter last came down to one.
    let mut presented_since_one_left = false;

    for step in steps {
        let tries = card.auth_pin_remaining();
        let mut tx = FuzzTransaction {
            card: &mut card,
            insertion,
            reset: false,
            page: None,
        };
        match step {
            Step::Transmit(apdu) => {
                let before = log.len();
                tx.page = Some(&mut page);
                let _ = cards::transmit_page_command(&mut tx, &mut policy, apdu);
                assert_eq!(card.auth_pin_remaining(), tries, "a page used a PIN try");
                assert!(log.len() - before <= 3 + 2 * jpki::MAX_GET_RESPONSE_ROUNDS);
            }
            Step::ReadFile(index) => {
                let fid = READABLE_FILES[usize::from(*index) % READABLE_FILES.len()];
                let mut op = Op::for_fuzzing(&mut tx, &mut policy, &mut last_try);
                let _ = op.read_file(fid);
                assert!(!op.resets());
                assert_eq!(card.auth_pin_remaining(), tries, "readFile used a PIN try");
            }
            Step::PinStatus => {
                let mut op = Op::for_fuzzing(&mut tx, &mut policy, &mut last_try);
                let _ = op.pin_status();
                assert!(!op.resets());
                assert_eq!(card.auth_pin_remaining(), tries, "pinStatus used a PIN try");
            }
            Step::Authenticate {
                correct_pin,
                allow_last_attempt,
            } => {
                let pin = if *correct_pin { &right } else { &wrong };
                let before = log.len();
                let mut op = Op::for_fuzzing(&mut tx, &mut policy, &mut last_try);
                let _ = op.authenticate(
                    "https://fuzz.example",
                    FUZZ_NONCE,
                    pin,
                    *allow_last_attempt,
                    &|| true,
                );
                let reset = op.resets() || tx.reset;
                let pins_sent = log.entries()[before..]
                    .iter()
                    .filter(|e| e.ins() == Some(INS_VERIFY) && e.redacted_len.is_some())
                    .count();
                assert!(pins_sent <= 1, "authenticate sent {pins_sent} PINs");
                assert_eq!(
                    reset,
                    pins_sent == 1,
                    "reset without a PIN, or a PIN without reset"
                );
                if pins_sent == 1 && tries == 1 {
                    assert!(
                        *allow_last_attempt && presented_since_one_left,
                        "the last try went without consent or without a new presentation"
                    );
                }
                if reset {
                    card.reset();
                }
                assert!(
                    !card.any_pin_verified(),
                    "a verified PIN outlived authenticate"
                );
                let now = card.auth_pin_remaining();
                if now == 1 && tries != 1 {
                    presented_since_one_left = false;
                }
            }
            Step::Reset { noticed } => {
                card.reset();
                if *noticed {
                    policy.internal_selection(None);
                }
            }
            Step::OtherProgram => other.extend(other_program(&mut card, right_pin)),
            Step::PresentAgain => {
                card.power_off();
                card.power_on();
                insertion += 2;
                presented_since_one_left = true;
            }
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
    for (i, entry) in entries.iter().enumerate() {
        if other.contains(&i) {
            continue;
        }
        if entry.ins() == Some(INS_SELECT) {
            for (aid, name) in [
                (CARD_INFO_INPUT_AID, "券面事項入力補助AP"),
                (CARD_SURFACE_AID, "券面AP"),
            ] {
                assert!(
                    !entry.selects_application(aid),
                    "the {name} was selected: {entry:?}"
                );
            }
        }
        // After a command of the bridge's, only the JPKI-AP or nothing is current — unless
        // the command failed and left the other program's application where it was.
        if let Some(aid) = entry.application
            && entry.sw.is_success()
        {
            assert_eq!(aid, JPKI_AID, "another application was current: {entry:?}");
        }
    }
}

/// A nonce of the valid shape (the bridge checks it before anything is sent).
const FUZZ_NONCE: &str = "ZnV6ei1ub25jZS1mb3ItdGhlLXBvbGljeS1tb2RlbC0wMTIzNDU2Nzg5";

#[cfg(test)]
mod tests {
    use super::*;

    /// A property run of the model without libFuzzer (in every `cargo test`): random step
    /// sequences from a vocabulary of the commands that matter — the JPKI-AP and the
    /// 券面事項入力補助AP, the readable EFs and `0001`, reads, `GET RESPONSE`, the bridge's own
    /// operations with right and wrong PINs, resets, another program, re-presentations.
    #[test]
    fn random_sequences_keep_the_model() {
        let apdus = [
            "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01",
            "00 A4 04 00 0A D3 92 F0 00 26 01 00 00 00 01",
            "00 A4 04 0C 0A D3 92 10 00 31 00 01 01 04 08",
            "00 A4 02 0C 02 00 0A",
            "00 A4 02 0C 02 00 0B",
            "00 A4 02 00 02 00 06",
            "00 A4 02 0C 02 00 01",
            "00 A4 02 0C 02 00 18",
            "00 B0 00 00 00",
            "00 B0 01 00 00",
            "00 B0 04 00 20",
            "00 B0 81 00 00",
            "00 C0 00 00 00",
            "00 20 00 80 04 31 32 33 34",
        ]
        .map(Step::transmit_hex);
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        for _ in 0..400 {
            let steps: Vec<Step> = (0..next(40))
                .map(|_| match next(10) {
                    0..=3 => apdus[next(apdus.len() as u64) as usize].clone(),
                    4 => Step::PinStatus,
                    5 => Step::authenticate(next(3) == 0, next(2) == 0),
                    6 => Step::Reset {
                        noticed: next(2) == 0,
                    },
                    7 => Step::OtherProgram,
                    8 => Step::PresentAgain,
                    _ => Step::ReadFile(next(3) as u8),
                })
                .collect();
            policy(&steps);
        }
    }

    /// Issue 11: another program's selection between a page's requests, and a hostile page
    /// that tries the last PIN try; the model holds through both.
    #[test]
    fn the_model_holds_with_another_program_and_a_hostile_page() {
        policy(&[
            Step::transmit_hex("00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01"),
            Step::transmit_hex("00 A4 02 0C 02 00 0A"),
            Step::OtherProgram,
            Step::transmit_hex("00 B0 00 00 00"),
            Step::OtherProgram,
            Step::transmit_hex("00 A4 02 0C 02 00 0B"),
            Step::OtherProgram,
            Step::transmit_hex("00 C0 00 00 00"),
            Step::ReadFile(0),
            Step::OtherProgram,
            Step::PinStatus,
            Step::WRONG_PIN_LAST_TRY_ALLOWED,
            Step::WRONG_PIN_LAST_TRY_ALLOWED,
            Step::WRONG_PIN_LAST_TRY_ALLOWED,
            Step::Reset { noticed: false },
            Step::WRONG_PIN_LAST_TRY_ALLOWED,
            Step::PresentAgain,
            Step::RIGHT_PIN_LAST_TRY_ALLOWED,
            Step::OtherProgram,
            Step::transmit_hex("00 B0 00 00 00"),
        ]);
    }
}
