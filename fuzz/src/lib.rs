//! # myna-fuzz — the `arbitrary` glue of the fuzz targets
//!
//! The targets in `fuzz_targets/` are one line each, calling the `#[doc(hidden)] fuzzing`
//! modules of `myna-core` and `myna-bridge`, where the properties are asserted. The targets
//! that take raw bytes (`apdu`, `x509`, `oqs`) need nothing here; `bridge_frame` and `policy`
//! take structured inputs, built here from the fuzzer's bytes with [`arbitrary`].
//!
//! The byte formats are simple on purpose — one kind byte per item, then its fields as bytes,
//! lengths as one byte — so that the committed seed corpus (`seeds/`) can be written from
//! real frames and APDU sequences by [`encode_frame`] and [`encode_steps`]; `decode(encode(x))
//! == x` is tested. Kinds and choices are taken modulo their count, so every byte string
//! decodes to something.

#![forbid(unsafe_code)]

use arbitrary::{Arbitrary, Unstructured};
use myna_bridge::fuzzing::{Frame, PinFrame, PinValue, Step};
use myna_core::apdu::Command;
use myna_core::profile::{
    CARD_INFO_INPUT_AID, CARD_SURFACE_AID, JPKI_AID, MY_NUMBER_CARD, cla, ins, select,
};

/// The persona test root (what the `x509` target verifies against).
pub const PERSONA_ROOT: &[u8] = include_bytes!("../../tests/fixtures/personas/ca/root.crt.der");
/// The `default` persona's auth certificate (the `x509` target's leaf).
pub const PERSONA_LEAF: &[u8] =
    include_bytes!("../../tests/fixtures/personas/default/auth.crt.der");

/// At most this many steps per `policy` input (a bound on one run's time).
pub const MAX_STEPS: usize = 64;

fn byte(u: &mut Unstructured<'_>) -> u8 {
    u8::arbitrary(u).unwrap_or(0)
}

/// A length byte, then up to that many bytes (fewer if the input ends).
fn short_bytes<'a>(u: &mut Unstructured<'a>) -> &'a [u8] {
    let len = usize::from(byte(u)).min(u.len());
    u.bytes(len).unwrap_or(&[])
}

/// Index into `options`, or (for the byte `0xFF`) a length-prefixed raw string.
fn choice(u: &mut Unstructured<'_>, options: &[&str]) -> String {
    let b = byte(u);
    if b == RAW {
        String::from_utf8_lossy(short_bytes(u)).into_owned()
    } else {
        options[usize::from(b) % options.len()].to_owned()
    }
}

const RAW: u8 = 0xFF;

fn encode_choice(out: &mut Vec<u8>, options: &[&str], value: &str) {
    match options.iter().position(|o| *o == value) {
        Some(i) => out.push(u8::try_from(i).expect("few options")),
        None => {
            out.push(RAW);
            encode_short_bytes(out, value.as_bytes());
        }
    }
}

fn encode_short_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(u8::try_from(bytes.len()).expect("seed fields are at most 255 bytes"));
    out.extend_from_slice(bytes);
}

// ---------------------------------------------------------------------------------------
// bridge_frame

/// The `bridge_frame` target's input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameInput(pub Frame);

const IDS: &[&str] = &[
    "1",
    "\"a\"",
    "null",
    "-1",
    "1.5",
    "{}",
    "18446744073709551616",
];
const METHODS: &[&str] = &[
    "authenticate",
    "transmit",
    "connect",
    "pinStatus",
    "simulate",
    "hello",
    "disconnect",
];
const PARAM_NAMES: &[&str] = &[
    "handle",
    "nonce",
    "allowLastAttempt",
    "apdu",
    "reader",
    "action",
    "persona",
    "pin",
];
const TOKENS: &[&str] = &[
    "1",
    "\"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\"",
    "true",
    "null",
    "{}",
    "[]",
    "\"insert\"",
    "-1",
    "4294967296",
];
const TRAILERS: &[&str] = &["", " ", "}", ",", "\n{\"id\":2}"];

const FRAME_RAW: u8 = 0;
const FRAME_PIN: u8 = 1;
const PIN_TEXT: u8 = 0;
const PIN_NUMBER: u8 = 1;

impl<'a> Arbitrary<'a> for FrameInput {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        if byte(u) % 2 == FRAME_RAW {
            let rest = u.bytes(u.len()).unwrap_or(&[]);
            let text = String::from_utf8_lossy(rest).into_owned();
            return Ok(FrameInput(Frame::Raw(text)));
        }
        let id = choice(u, IDS);
        let method = choice(u, METHODS);
        let count = usize::from(byte(u) % 5);
        let params = (0..count)
            .map(|_| (choice(u, PARAM_NAMES), choice(u, TOKENS)))
            .collect();
        let pin_at = usize::from(byte(u));
        let pin = if byte(u) % 2 == PIN_TEXT {
            PinValue::Text(String::from_utf8_lossy(short_bytes(u)).into_owned())
        } else {
            PinValue::Number(
                short_bytes(u)
                    .iter()
                    .map(|b| char::from(b'0' + b % 10))
                    .collect(),
            )
        };
        let trailer = choice(u, TRAILERS);
        Ok(FrameInput(Frame::Pin(PinFrame {
            id,
            method,
            params,
            pin_at,
            pin,
            trailer,
        })))
    }
}

/// The bytes that [`FrameInput::arbitrary`] turns into `frame` (for seeds). `Number` PINs
/// must be ASCII digits; raw strings at most 255 bytes.
pub fn encode_frame(frame: &Frame) -> Vec<u8> {
    let mut out = Vec::new();
    match frame {
        Frame::Raw(text) => {
            out.push(FRAME_RAW);
            out.extend_from_slice(text.as_bytes());
        }
        Frame::Pin(f) => {
            out.push(FRAME_PIN);
            encode_choice(&mut out, IDS, &f.id);
            encode_choice(&mut out, METHODS, &f.method);
            out.push(u8::try_from(f.params.len()).expect("at most 4 params"));
            for (name, token) in &f.params {
                encode_choice(&mut out, PARAM_NAMES, name);
                encode_choice(&mut out, TOKENS, token);
            }
            out.push(u8::try_from(f.pin_at).expect("a small position"));
            match &f.pin {
                PinValue::Text(text) => {
                    out.push(PIN_TEXT);
                    encode_short_bytes(&mut out, text.as_bytes());
                }
                PinValue::Number(digits) => {
                    out.push(PIN_NUMBER);
                    let values: Vec<u8> = digits.bytes().map(|b| b - b'0').collect();
                    encode_short_bytes(&mut out, &values);
                }
            }
            encode_choice(&mut out, TRAILERS, &f.trailer);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// policy

/// The `policy` target's input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySteps(pub Vec<Step>);

/// Step kinds, by their first byte modulo [`KINDS`].
const RAW_APDU: u8 = 0;
const SELECT_AID: u8 = 1;
const SELECT_FILE: u8 = 2;
const READ_BINARY: u8 = 3;
const VERIFY: u8 = 4;
const SIGN: u8 = 5;
const GET_RESPONSE: u8 = 6;
const ANY_HEADER: u8 = 7;
const PIN_STATUS: u8 = 8;
const AUTHENTICATE: u8 = 9;
const RESET: u8 = 10;
const OTHER_PROGRAM: u8 = 11;
const PRESENT_AGAIN: u8 = 12;
const READ_FILE: u8 = 13;
const KINDS: u8 = 14;

/// AIDs worth trying: the card's three, prefixes of them, and a near miss.
const AIDS: &[&[u8]] = &[
    JPKI_AID,
    CARD_INFO_INPUT_AID,
    CARD_SURFACE_AID,
    JPKI_AID.split_at(2).0,
    JPKI_AID.split_at(3).0,
    CARD_INFO_INPUT_AID.split_at(5).0,
    // Near misses: the JPKI AID with its last byte changed, and with a byte appended.
    &[0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x02],
    &[
        0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00,
    ],
];
/// File IDs worth trying: the readable three, the JPKI-AP's others (signing certificate,
/// keys, PINs), the 券面事項入力補助AP's (個人番号 `0001`, its PIN `0011`), and the MF.
const FIDS: &[u16] = &[
    MY_NUMBER_CARD.auth_certificate.0,
    MY_NUMBER_CARD.auth_ca_certificate.0,
    MY_NUMBER_CARD.token_info.0,
    MY_NUMBER_CARD.sign_certificate.0,
    MY_NUMBER_CARD.sign_ca_certificate.0,
    MY_NUMBER_CARD.auth_key.0,
    MY_NUMBER_CARD.auth_pin.0,
    MY_NUMBER_CARD.sign_key.0,
    MY_NUMBER_CARD.sign_password.0,
    MY_NUMBER_CARD.card_info_input_pin.0,
    MF,
];
/// The master file's identifier.
const MF: u16 = 0x3F00;
/// Class bytes: the card's two, then secure messaging, chaining, channels, nonsense.
const CLAS: &[u8] = &[
    cla::ISO,
    cla::PROPRIETARY,
    0x04,
    0x0C,
    0x01,
    0x10,
    0x84,
    0xFF,
];
/// Instructions: the card table's six, then ISO 7816-4 ones the card must never get (MSE,
/// GET CHALLENGE, INTERNAL AUTHENTICATE, READ BINARY odd, UPDATE BINARY, READ RECORD,
/// GET DATA, RESET RETRY COUNTER, ERASE BINARY).
const INSES: &[u8] = &[
    ins::SELECT,
    ins::READ_BINARY,
    ins::GET_RESPONSE,
    ins::VERIFY,
    ins::CHANGE_REFERENCE_DATA,
    ins::COMPUTE_DIGITAL_SIGNATURE,
    0x22,
    0x84,
    0x88,
    0xB1,
    0xD6,
    0xB2,
    0xCA,
    0x2C,
    0x0E,
];

fn pick<T: Copy>(u: &mut Unstructured<'_>, options: &[T]) -> T {
    options[usize::from(byte(u)) % options.len()]
}

/// A P2 for SELECT: mostly the ones the policy knows (`0C`, `00`), else any byte.
fn select_p2(u: &mut Unstructured<'_>) -> u8 {
    match byte(u) % 4 {
        0 | 1 => 0x0C,
        2 => 0x00,
        _ => byte(u),
    }
}

/// `Le`: none, a short one, or an extended one.
fn le(u: &mut Unstructured<'_>) -> Option<u32> {
    match byte(u) % 4 {
        0 => None,
        1 => Some(256),
        2 => Some(u32::from(byte(u)).max(1)),
        _ => Some(u32::from(u16::from_be_bytes([byte(u), byte(u)])).max(1)),
    }
}

/// Builds a well-formed command (extended when `extended` or when lengths need it).
fn command(header: [u8; 4], data: &[u8], le: Option<u32>, extended: bool) -> Vec<u8> {
    let [cla, ins, p1, p2] = header;
    let built = match (data.is_empty(), le) {
        (true, None) => Ok(Command::case1(cla, ins, p1, p2)),
        (true, Some(le)) => Command::case2(cla, ins, p1, p2, le),
        (false, None) => Command::case3(cla, ins, p1, p2, data.to_vec()),
        (false, Some(le)) => Command::case4(cla, ins, p1, p2, data.to_vec(), le),
    };
    let cmd = built.expect("lengths are in range");
    let cmd = if extended { cmd.into_extended() } else { cmd };
    cmd.encode().to_vec()
}

fn step(u: &mut Unstructured<'_>) -> Step {
    let kind = byte(u) % KINDS;
    let extended = byte(u).is_multiple_of(4);
    match kind {
        RAW_APDU => Step::Transmit(short_bytes(u).to_vec()),
        SELECT_AID => {
            let aid = match byte(u) {
                RAW => short_bytes(u).to_vec(),
                b => AIDS[usize::from(b) % AIDS.len()].to_vec(),
            };
            let p2 = select_p2(u);
            let data = if aid.is_empty() { vec![0] } else { aid };
            let header = [cla::ISO, ins::SELECT, select::P1_DF_NAME, p2];
            Step::Transmit(command(header, &data, le(u), extended))
        }
        SELECT_FILE => {
            let p1 = pick(u, &[0x02, 0x02, 0x00, 0x01, 0x03, 0x04, 0x08, 0x09]);
            let p2 = select_p2(u);
            let fid = match byte(u) {
                RAW => u16::from_be_bytes([byte(u), byte(u)]),
                b => FIDS[usize::from(b) % FIDS.len()],
            };
            let data = fid.to_be_bytes();
            Step::Transmit(command(
                [cla::ISO, ins::SELECT, p1, p2],
                &data,
                le(u),
                extended,
            ))
        }
        READ_BINARY => {
            let p1 = match byte(u) % 4 {
                0 | 1 => 0x00,
                // The short-EF-identifier form: 80 | SFI.
                2 => 0x80 | (byte(u) & 0x1F),
                _ => byte(u),
            };
            let p2 = byte(u);
            let le = le(u).unwrap_or(256);
            let header = [cla::ISO, ins::READ_BINARY, p1, p2];
            Step::Transmit(command(header, &[], Some(le), extended))
        }
        VERIFY => {
            let p2 = pick(u, &[0x80, 0x80, 0x81, 0x91, 0x98, 0x9B, 0x00]);
            let data = short_bytes(u).to_vec();
            Step::Transmit(command(
                [cla::ISO, ins::VERIFY, 0x00, p2],
                &data,
                None,
                extended,
            ))
        }
        SIGN => {
            let cla = pick(u, &[0x80, 0x00, 0x84]);
            let p1 = byte(u) % 8;
            let p2 = pick(u, &[0x80, 0x97, 0x9A, 0x80 | 0x17]);
            let mut data = short_bytes(u).to_vec();
            if data.is_empty() {
                data = myna_core::auth::digest_info_sha256(b"fuzz").to_vec();
            }
            let header = [cla, ins::COMPUTE_DIGITAL_SIGNATURE, p1, p2];
            Step::Transmit(command(header, &data, Some(256), extended))
        }
        GET_RESPONSE => {
            let (p1, p2) = if byte(u).is_multiple_of(4) {
                (byte(u), byte(u))
            } else {
                (0, 0)
            };
            let le = le(u).unwrap_or(256);
            let header = [cla::ISO, ins::GET_RESPONSE, p1, p2];
            Step::Transmit(command(header, &[], Some(le), extended))
        }
        ANY_HEADER => {
            let header = [pick(u, CLAS), pick(u, INSES), byte(u), byte(u)];
            let data = short_bytes(u).to_vec();
            Step::Transmit(command(header, &data, le(u), extended))
        }
        PIN_STATUS => Step::PinStatus,
        AUTHENTICATE => Step::Authenticate {
            correct_pin: byte(u).is_multiple_of(2),
            allow_last_attempt: byte(u).is_multiple_of(2),
        },
        RESET => Step::Reset {
            noticed: byte(u).is_multiple_of(2),
        },
        OTHER_PROGRAM => Step::OtherProgram,
        PRESENT_AGAIN => Step::PresentAgain,
        _ => Step::ReadFile(byte(u)),
    }
}

impl<'a> Arbitrary<'a> for PolicySteps {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let mut steps = Vec::new();
        while !u.is_empty() && steps.len() < MAX_STEPS {
            steps.push(step(u));
        }
        Ok(PolicySteps(steps))
    }
}

/// The bytes that [`PolicySteps::arbitrary`] turns into `steps` (for seeds): `Transmit` as a
/// raw APDU (at most 255 bytes), the others by kind.
pub fn encode_steps(steps: &[Step]) -> Vec<u8> {
    let mut out = Vec::new();
    for step in steps {
        match step {
            Step::Transmit(apdu) => {
                out.extend([RAW_APDU, 1]);
                encode_short_bytes(&mut out, apdu);
            }
            Step::PinStatus => out.extend([PIN_STATUS, 1]),
            Step::Authenticate {
                correct_pin,
                allow_last_attempt,
            } => out.extend([
                AUTHENTICATE,
                1,
                u8::from(!correct_pin),
                u8::from(!allow_last_attempt),
            ]),
            Step::Reset { noticed } => out.extend([RESET, 1, u8::from(!noticed)]),
            Step::OtherProgram => out.extend([OTHER_PROGRAM, 1]),
            Step::PresentAgain => out.extend([PRESENT_AGAIN, 1]),
            Step::ReadFile(index) => out.extend([READ_FILE, 1, *index]),
        }
    }
    out
}
