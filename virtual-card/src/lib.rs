//! The virtual My Number Card: a deterministic, in-memory card that answers APDUs the way
//! the real card does, built from a persona.
//!
//! Its layout (applications, files, access rules, PIN tries, key size, token label) comes
//! from [`myna_core::profile::MY_NUMBER_CARD`]; commands are decoded with
//! [`myna_core::apdu::Command::decode`] and answered with [`myna_core::apdu::Response`].
//! The behaviour is taken from OpenSC's JPKI driver, the `myna-card` crate (which documents
//! what real cards answer) and the project's `card.md`; where they leave a choice open, the
//! choice is written next to the code and listed here.
//!
//! # Behaviour
//! - **Applications**: JPKI-AP, 券面事項入力補助AP and 券面AP, selected with
//!   `00 A4 04 0C <AID>`. A *prefix* of an AID selects the first application it matches
//!   (JICSAP allows selection by partial DF name; the order between applications is a
//!   guess). Unknown AID → `6A82` (whatever `P2`: OpenSC's other drivers probe with
//!   `P2 = 00`); a known one with `P2` other than `0C` → `6A86` (uncertain: whether real
//!   cards return FCI for `P2 = 00` is not documented).
//! - **EFs**: `00 A4 02 0C 02 <FID>` inside the current application (`6A82` unknown, or
//!   when no application is selected). MF selection `00 A4 00 00` answers `6A86` right after
//!   power-on and `9000` *without changing anything* while an application is current (what
//!   `myna-card` observed on real cards); `3F00` by file ID → `6A82`.
//! - **READ BINARY** `00 B0 <offset> <Le>`, short (`Le` 1–256) or extended (`Le` up to
//!   65536) and in the short-EF form `P1 = 80|SFI` (offset in `P2`; the EF becomes current).
//!   An offset at or past the end → `6B00` (JICSAP 7.3.1). A read that reaches the end
//!   returns what is left with `9000` (JICSAP 6.4.1: "reads to the end of the file within
//!   Le"); [`CardOptions::partial_read`] can make it `6282` instead. Both OpenSC and
//!   `myna-card` accept either. No current EF → `6986`. A key or PIN EF → `6981`.
//!   A protected file without its PIN → `6982`.
//! - **VERIFY** `00 20 00 80` (current EF) or `00 20 00 80|SFI`: wrong → `63Cx` (tries
//!   left), the exhausting try → `63C0`, any try on a blocked PIN → `6984`; no data → `63Cx`
//!   without using a try (`63C0` when blocked, as `myna-card` saw a blocked key reference
//!   answer), also when already verified — OpenSC's JPKI driver treats anything but `63xx`
//!   as an error there ([`CardOptions::verify_status_when_verified`] can answer `9000`, as
//!   some cards do). A card without a PIN answers `6984` to both. A correct PIN resets the
//!   counter.
//! - **CHANGE REFERENCE DATA** `00 24 01 80[|SFI] <new PIN>` after a successful VERIFY.
//! - **COMPUTE DIGITAL SIGNATURE** `80 2A <P1> 80[|SFI] <data> 00` with the key EF current or
//!   named by SFI, after its PIN: `P1` is the scheme `myna-card` established on real cards
//!   (`00` PKCS#1 v1.5 type-1 padding over the data as given — the DigestInfo form OpenSC
//!   and this project use, 1..=k−11 bytes; `01` SHA-256 on the card, bare hash; `02` a
//!   32-byte hash the card wraps in a DigestInfo; `03` SHA-256 + DigestInfo on the card;
//!   `04`/`05` RSASSA-PSS over a given/card-computed SHA-256). Wrong input length → `6700`
//!   (the real card answers `6700` or `6985`; which one when is not known). `Le` below the
//!   signature size → `6C00`.
//! - **Security state**: a verified PIN stays verified while its application stays
//!   selected, *including* when the same application is selected again (`myna-card`
//!   observed this); selecting another application, reset and power-off clear it. PIN
//!   counters persist (they are EEPROM). `myna-card` also reports that a *warm reset* does
//!   not clear it on real cards; this card clears it on reset (the conservative choice —
//!   code must not rely on a reset to log out either way). Closing a PC/SC connection with
//!   `SCARD_LEAVE_CARD` sends the card nothing, so the verified state survives it here as
//!   on a real card: another process could then use the key without the PIN.
//! - CLA other than `00`/`80` → `6E00`; unknown INS → `6D00`; lengths that match no
//!   ISO case → `6700`; `GET RESPONSE` with nothing pending → `6985` (this card never
//!   answers `61xx`).

mod contents;
mod log;
mod timing;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use myna_core::apdu::{Command, Response};
use myna_core::profile::{Access, Application, CardProfile, Fid, MY_NUMBER_CARD};
use myna_core::sw::StatusWord;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, Pss, RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

pub use contents::{
    BasicInfo, CardContents, FAKE_MY_NUMBER, MY_NUMBER_CARD_ATR, TEST_SIGN_PASSWORD,
    basic_info_file, my_number_file, token_info,
};
pub use log::{ApduLog, LogEntry};
pub use timing::TimingModel;

use myna_personas::Persona;

// Files the profile lists but names no field for (it names only what eligibility uses).
// A unit test checks each against the profile's file table and access class.
/// JPKI-AP EF `0001`: 署名用電子証明書.
const SIGN_CERTIFICATE_FID: Fid = Fid(0x0001);
/// JPKI-AP EF `0002`: its CA certificate.
const SIGN_CA_CERTIFICATE_FID: Fid = Fid(0x0002);
/// JPKI-AP EF `001A`: the signing key.
const SIGN_KEY_FID: Fid = Fid(0x001A);
/// JPKI-AP EF `001B`: the signing password (署名用パスワード).
const SIGN_PASSWORD_FID: Fid = Fid(0x001B);
/// 券面事項入力補助AP EF `0001`: the 個人番号.
const MY_NUMBER_FID: Fid = Fid(0x0001);
/// 券面事項入力補助AP EF `0002`: 基本4情報.
const BASIC_INFO_FID: Fid = Fid(0x0002);
/// 券面事項入力補助AP EF `0011`: its PIN.
const CARD_INFO_PIN_FID: Fid = Fid(0x0011);

/// `6981`: command incompatible with file structure (reading a key, verifying a certificate).
const SW_INCOMPATIBLE_FILE: StatusWord = StatusWord(0x6981);

/// The DER prefix of a SHA-256 DigestInfo (RFC 8017 §9.2 note 1).
const SHA256_DIGEST_INFO_PREFIX: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// Why card contents cannot make a card.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CardBuildError {
    /// A PIN or password does not have the format its PIN object requires.
    #[error("the {which} does not have the required format ({expected})")]
    InvalidPin {
        /// Which PIN ("auth PIN", "signing password", "券面事項入力補助 PIN").
        which: &'static str,
        /// The format expected.
        expected: &'static str,
    },
    /// More tries left than the PIN object allows.
    #[error("the {which} has {remaining} tries left; at most {max} are possible")]
    TooManyTries {
        /// Which PIN.
        which: &'static str,
        /// Tries left asked for.
        remaining: u8,
        /// The PIN object's limit.
        max: u8,
    },
    /// A key is not of the size the profile prescribes.
    #[error("the {which} has {bits} bits; the card's keys have {expected}")]
    WrongKeySize {
        /// Which key.
        which: &'static str,
        /// Its modulus size.
        bits: usize,
        /// The profile's size.
        expected: usize,
    },
    /// A file would be larger than READ BINARY offsets can address (32767 bytes).
    #[error("EF {fid} would hold {len} bytes; at most 32767 are addressable")]
    FileTooLarge {
        /// The file.
        fid: Fid,
        /// Its length.
        len: usize,
    },
    /// The ATR is empty or longer than ISO 7816-3 allows (33 bytes).
    #[error("an ATR of {len} bytes is not valid (1–33)")]
    InvalidAtr {
        /// Its length.
        len: usize,
    },
}

/// The card was asked to process a command while it is powered off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the card is powered off")]
pub struct PoweredOff;

/// What a READ BINARY that reaches the end of the file before `Le` bytes answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PartialRead {
    /// The bytes left and `9000` (JICSAP 6.4.1).
    #[default]
    Success,
    /// The bytes left and `6282` (ISO 7816-4's end-of-file warning; some cards).
    EndOfFileWarning,
}

/// What a data-less VERIFY answers for a PIN verified in this session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum VerifyStatusWhenVerified {
    /// `63Cx` with the tries left, as when not verified (what OpenSC requires).
    #[default]
    TriesLeft,
    /// `9000` (some cards).
    Success,
}

/// Choices the real cards do not agree on, plus timing and randomness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct CardOptions {
    /// The delay model reported with each response.
    pub timing: TimingModel,
    /// See [`PartialRead`].
    pub partial_read: PartialRead,
    /// See [`VerifyStatusWhenVerified`].
    pub verify_status_when_verified: VerifyStatusWhenVerified,
    /// Seed of the generator behind RSASSA-PSS salts (the only randomness the card uses).
    pub rng_seed: u64,
}

impl CardOptions {
    /// These options with another timing model.
    pub fn with_timing(mut self, timing: TimingModel) -> Self {
        self.timing = timing;
        self
    }

    /// These options with another partial-read answer.
    pub fn with_partial_read(mut self, partial_read: PartialRead) -> Self {
        self.partial_read = partial_read;
        self
    }

    /// These options with another data-less VERIFY answer.
    pub fn with_verify_status_when_verified(mut self, answer: VerifyStatusWhenVerified) -> Self {
        self.verify_status_when_verified = answer;
        self
    }
}

/// The answer to one command: the response bytes (data + SW1 SW2) and how long a real card
/// would have taken.
#[derive(Clone, PartialEq, Eq)]
pub struct Exchange {
    /// The response APDU.
    pub response: Vec<u8>,
    /// The delay the timing model asks for.
    pub delay: Duration,
}

impl core::fmt::Debug for Exchange {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "Exchange({} bytes, {:?})",
            self.response.len(),
            self.delay
        )
    }
}

/// The format a PIN object accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PinFormat {
    /// Exactly this many ASCII digits.
    Digits(usize),
    /// 6–16 upper-case letters and digits (署名用パスワード).
    SignPassword,
}

impl PinFormat {
    fn accepts(self, value: &[u8]) -> bool {
        match self {
            PinFormat::Digits(n) => value.len() == n && value.iter().all(u8::is_ascii_digit),
            PinFormat::SignPassword => {
                (6..=16).contains(&value.len())
                    && value
                        .iter()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            }
        }
    }

    fn describe(self) -> &'static str {
        match self {
            PinFormat::Digits(_) => "ASCII digits of the profile's PIN length",
            PinFormat::SignPassword => "6–16 upper-case letters and digits",
        }
    }
}

/// A PIN object (an internal EF that VERIFY checks).
struct PinObject {
    value: Option<Zeroizing<Vec<u8>>>,
    remaining: u8,
    max: u8,
    format: PinFormat,
}

impl PinObject {
    fn new(
        which: &'static str,
        value: Option<&Zeroizing<String>>,
        remaining: u8,
        max: u8,
        format: PinFormat,
    ) -> Result<Self, CardBuildError> {
        if let Some(v) = value
            && !format.accepts(v.as_bytes())
        {
            return Err(CardBuildError::InvalidPin {
                which,
                expected: format.describe(),
            });
        }
        if remaining > max {
            return Err(CardBuildError::TooManyTries {
                which,
                remaining,
                max,
            });
        }
        Ok(PinObject {
            value: value.map(|v| Zeroizing::new(v.as_bytes().to_vec())),
            remaining,
            max,
            format,
        })
    }

    /// Compares without an early exit on the first differing byte.
    fn matches(&self, candidate: &[u8]) -> bool {
        let Some(value) = &self.value else {
            return false;
        };
        let mut diff = u8::from(value.len() != candidate.len());
        for (i, b) in value.iter().enumerate() {
            diff |= b ^ candidate.get(i).copied().unwrap_or(0);
        }
        diff == 0
    }
}

/// One elementary file.
enum Ef {
    /// A transparent EF, readable when its guarding PIN (if any) is verified.
    Binary { data: Vec<u8>, guard: Option<Fid> },
    /// A private key, usable (never readable) when its guarding PIN is verified.
    Key { key: Box<RsaPrivateKey>, guard: Fid },
    /// A PIN object.
    Pin(PinObject),
}

/// One application with its files.
struct App {
    def: &'static Application,
    files: BTreeMap<Fid, Ef>,
}

/// A virtual My Number Card. See the [module documentation](self) for its behaviour.
pub struct VirtualCard {
    profile: &'static CardProfile,
    atr: Vec<u8>,
    apps: Vec<App>,
    powered: bool,
    current_app: Option<usize>,
    current_ef: Option<Fid>,
    /// PIN objects of the current application verified since it was selected.
    verified: BTreeSet<Fid>,
    options: CardOptions,
    log: ApduLog,
    rng: ChaCha20Rng,
}

impl core::fmt::Debug for VirtualCard {
    /// Shows the state, never a PIN or key.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("VirtualCard")
            .field("powered", &self.powered)
            .field("application", &self.current_application().map(hex_string))
            .field("current_ef", &self.current_ef)
            .field("verified", &self.verified)
            .field("log_entries", &self.log.len())
            .finish_non_exhaustive()
    }
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn status(sw: StatusWord) -> (Response, u32) {
    (Response::status(sw), 0)
}

impl VirtualCard {
    /// The card `persona` holds ([`CardContents::for_persona`]). Powered on, default options.
    pub fn from_persona(persona: &Persona) -> Result<Self, CardBuildError> {
        Self::new(CardContents::for_persona(persona))
    }

    /// A card with these contents and default options, powered on (as after insertion).
    pub fn new(contents: CardContents) -> Result<Self, CardBuildError> {
        Self::with_options(contents, CardOptions::default())
    }

    /// A card with these contents and options, powered on.
    pub fn with_options(
        contents: CardContents,
        options: CardOptions,
    ) -> Result<Self, CardBuildError> {
        let profile = &MY_NUMBER_CARD;
        if contents.atr.is_empty() || contents.atr.len() > 33 {
            return Err(CardBuildError::InvalidAtr {
                len: contents.atr.len(),
            });
        }
        for (which, key) in [
            ("auth key", &contents.auth_key),
            ("signing key", &contents.sign_key),
        ] {
            let bits = key.size() * 8;
            if bits != profile.auth_key_bits {
                return Err(CardBuildError::WrongKeySize {
                    which,
                    bits,
                    expected: profile.auth_key_bits,
                });
            }
        }
        let auth_pin = PinObject::new(
            "auth PIN",
            contents.auth_pin.as_ref(),
            contents.auth_pin_remaining,
            profile.auth_pin_tries,
            PinFormat::Digits(profile.auth_pin_length),
        )?;
        let sign_password = PinObject::new(
            "signing password",
            contents.sign_password.as_ref(),
            contents.sign_password_remaining,
            myna_core::profile::SIGN_PASSWORD_TRIES,
            PinFormat::SignPassword,
        )?;
        let card_info_pin = PinObject::new(
            "券面事項入力補助 PIN",
            contents.card_info_pin.as_ref(),
            contents.card_info_pin_remaining,
            myna_core::profile::CARD_INFO_INPUT_PIN_TRIES,
            PinFormat::Digits(profile.auth_pin_length),
        )?;

        // Which file holds what, by FID; the profile says who guards each one.
        let jpki_data = BTreeMap::from([
            (profile.auth_certificate, contents.auth_certificate),
            (profile.auth_ca_certificate, contents.auth_ca_certificate),
            (profile.token_info, contents.token_info),
            (SIGN_CERTIFICATE_FID, contents.sign_certificate),
            (SIGN_CA_CERTIFICATE_FID, contents.sign_ca_certificate),
        ]);
        let jpki_keys = BTreeMap::from([
            (profile.auth_key, contents.auth_key),
            (SIGN_KEY_FID, contents.sign_key),
        ]);
        let jpki_pins = BTreeMap::from([
            (profile.auth_pin, auth_pin),
            (SIGN_PASSWORD_FID, sign_password),
        ]);
        let jpki = build_app(profile, &profile.jpki, jpki_data, jpki_keys, jpki_pins)?;
        let card_info_input = build_app(
            profile,
            &profile.card_info_input,
            BTreeMap::from([
                (MY_NUMBER_FID, contents.my_number_file),
                (BASIC_INFO_FID, contents.basic_info_file),
            ]),
            BTreeMap::new(),
            BTreeMap::from([(CARD_INFO_PIN_FID, card_info_pin)]),
        )?;
        let card_surface = build_app(
            profile,
            &profile.card_surface,
            BTreeMap::new(),
            BTreeMap::new(),
            BTreeMap::new(),
        )?;

        Ok(VirtualCard {
            profile,
            atr: contents.atr,
            apps: vec![jpki, card_info_input, card_surface],
            powered: true,
            current_app: None,
            current_ef: None,
            verified: BTreeSet::new(),
            rng: ChaCha20Rng::seed_from_u64(options.rng_seed),
            options,
            log: ApduLog::new(),
        })
    }

    /// The ATR.
    pub fn atr(&self) -> &[u8] {
        &self.atr
    }

    /// The shared APDU log (clones see every later entry).
    pub fn log(&self) -> ApduLog {
        self.log.clone()
    }

    /// The options in force.
    pub fn options(&self) -> CardOptions {
        self.options
    }

    /// Replaces the timing model.
    pub fn set_timing(&mut self, timing: TimingModel) {
        self.options.timing = timing;
    }

    /// Whether the card is powered.
    pub fn is_powered(&self) -> bool {
        self.powered
    }

    /// Cold start: clears selection and security state, returns the ATR.
    pub fn power_on(&mut self) -> &[u8] {
        self.clear_volatile_state();
        self.powered = true;
        &self.atr
    }

    /// Deactivates the card: clears selection and security state.
    pub fn power_off(&mut self) {
        self.clear_volatile_state();
        self.powered = false;
    }

    /// Warm reset: clears selection and security state, returns the ATR.
    pub fn reset(&mut self) -> &[u8] {
        self.power_on()
    }

    fn clear_volatile_state(&mut self) {
        self.current_app = None;
        self.current_ef = None;
        self.verified.clear();
    }

    /// The AID of the current application, if any.
    pub fn current_application(&self) -> Option<&'static [u8]> {
        self.current_app.map(|i| self.apps[i].def.aid)
    }

    /// The current EF, if any.
    pub fn current_ef(&self) -> Option<Fid> {
        self.current_ef
    }

    /// Tries left on the auth PIN (JPKI-AP EF `0018`).
    pub fn auth_pin_remaining(&self) -> u8 {
        self.pin_remaining(&self.profile.jpki, self.profile.auth_pin)
            .unwrap_or(0)
    }

    /// Tries left on the PIN object `fid` of `application`, if it has one.
    pub fn pin_remaining(&self, application: &Application, fid: Fid) -> Option<u8> {
        let app = self.apps.iter().find(|a| a.def.aid == application.aid)?;
        match app.files.get(&fid)? {
            Ef::Pin(pin) => Some(pin.remaining),
            _ => None,
        }
    }

    /// Whether any PIN of any application is verified (security state not cleared).
    pub fn any_pin_verified(&self) -> bool {
        !self.verified.is_empty()
    }

    /// Whether the auth PIN is verified in the current session.
    pub fn auth_pin_verified(&self) -> bool {
        self.current_application() == Some(self.profile.jpki.aid)
            && self.verified.contains(&self.profile.auth_pin)
    }

    /// The public half of the auth key.
    pub fn auth_public_key(&self) -> Option<RsaPublicKey> {
        match self.apps[0].files.get(&self.profile.auth_key)? {
            Ef::Key { key, .. } => Some(key.to_public_key()),
            _ => None,
        }
    }

    /// Answers one command APDU and logs it.
    pub fn transmit(&mut self, command: &[u8]) -> Result<Exchange, PoweredOff> {
        if !self.powered {
            return Err(PoweredOff);
        }
        let (response, signatures) = self.process(command);
        let encoded = response.encode();
        let delay = self
            .options
            .timing
            .delay(command.len(), encoded.len(), signatures);
        self.log.push(LogEntry::new(
            command,
            response.sw,
            response.data.len(),
            self.current_application(),
            delay,
        ));
        Ok(Exchange {
            response: encoded,
            delay,
        })
    }

    /// The response and the number of RSA operations performed.
    fn process(&mut self, raw: &[u8]) -> (Response, u32) {
        let (Some(&cla), Some(&ins)) = (raw.first(), raw.get(1)) else {
            return status(StatusWord::WRONG_LENGTH);
        };
        match (cla, ins) {
            (0x00, 0xA4 | 0xB0 | 0x20 | 0x24 | 0xC0) | (0x80, 0x2A) => {}
            (0x00 | 0x80, _) => return status(StatusWord::INS_NOT_SUPPORTED),
            _ => return status(StatusWord::CLA_NOT_SUPPORTED),
        }
        let Ok(cmd) = Command::decode(raw) else {
            return status(StatusWord::WRONG_LENGTH);
        };
        match ins {
            0xA4 => status(self.select(&cmd)),
            0xB0 => (self.read_binary(&cmd), 0),
            0x20 => status(self.verify(&cmd)),
            0x24 => status(self.change_reference_data(&cmd)),
            0x2A => self.compute_signature(&cmd),
            // GET RESPONSE: this card never leaves response bytes waiting.
            _ => status(StatusWord::CONDITIONS_NOT_SATISFIED),
        }
    }

    fn select(&mut self, cmd: &Command) -> StatusWord {
        match cmd.p1() {
            0x04 => self.select_application(cmd),
            0x02 => self.select_ef(cmd),
            0x00 => self.select_mf_or_file(cmd),
            _ => StatusWord::INCORRECT_P1_P2,
        }
    }

    fn select_application(&mut self, cmd: &Command) -> StatusWord {
        let name = cmd.data();
        if name.is_empty() || name.len() > 16 {
            return StatusWord::WRONG_LENGTH;
        }
        // An unknown AID is "not found" whatever P2 asks for (OpenSC's other drivers probe
        // with P2 = 00); only the applications the card has are picky about P2.
        let Some(index) = self.apps.iter().position(|a| a.def.aid.starts_with(name)) else {
            return StatusWord::FILE_NOT_FOUND;
        };
        if cmd.p2() != 0x0C {
            return StatusWord::INCORRECT_P1_P2;
        }
        if self.current_app != Some(index) {
            self.verified.clear();
        }
        self.current_app = Some(index);
        self.current_ef = None;
        StatusWord::OK
    }

    fn select_ef(&mut self, cmd: &Command) -> StatusWord {
        if cmd.p2() != 0x0C {
            return StatusWord::INCORRECT_P1_P2;
        }
        let [hi, lo] = cmd.data() else {
            return StatusWord::WRONG_LENGTH;
        };
        let fid = Fid(u16::from_be_bytes([*hi, *lo]));
        match self.current_app {
            Some(app) if self.apps[app].files.contains_key(&fid) => {
                self.current_ef = Some(fid);
                StatusWord::OK
            }
            _ => StatusWord::FILE_NOT_FOUND,
        }
    }

    /// `P1 = 00`: the MF without data, or a file ID.
    fn select_mf_or_file(&mut self, cmd: &Command) -> StatusWord {
        if !matches!(cmd.p2(), 0x00 | 0x0C) {
            return StatusWord::INCORRECT_P1_P2;
        }
        if cmd.data().is_empty() {
            // Real cards: 6A86 straight after reset; 9000 and no change inside an AP.
            return if self.current_app.is_some() {
                StatusWord::OK
            } else {
                StatusWord::INCORRECT_P1_P2
            };
        }
        let [hi, lo] = cmd.data() else {
            return StatusWord::WRONG_LENGTH;
        };
        let fid = Fid(u16::from_be_bytes([*hi, *lo]));
        match self.current_app {
            Some(app) if self.apps[app].files.contains_key(&fid) => {
                self.current_ef = Some(fid);
                StatusWord::OK
            }
            _ => StatusWord::FILE_NOT_FOUND,
        }
    }

    /// Resolves a short EF identifier in the current application and makes it current.
    fn select_by_sfi(&mut self, sfi: u8) -> Result<Fid, StatusWord> {
        if sfi == 0 || sfi > 0x1E {
            return Err(StatusWord::INCORRECT_P1_P2);
        }
        let fid = Fid(u16::from(sfi));
        match self.current_app {
            Some(app) if self.apps[app].files.contains_key(&fid) => {
                self.current_ef = Some(fid);
                Ok(fid)
            }
            _ => Err(StatusWord::FILE_NOT_FOUND),
        }
    }

    /// The EF a `P2` of `80` (current EF) or `80|SFI` names.
    fn ef_from_p2(&mut self, p2: u8) -> Result<Fid, StatusWord> {
        if p2 & 0xE0 != 0x80 {
            return Err(StatusWord::INCORRECT_P1_P2);
        }
        match p2 & 0x1F {
            0 => self.current_ef.ok_or(StatusWord::COMMAND_NOT_ALLOWED),
            sfi => self.select_by_sfi(sfi),
        }
    }

    fn current_file(&self, fid: Fid) -> Option<&Ef> {
        self.apps[self.current_app?].files.get(&fid)
    }

    fn read_binary(&mut self, cmd: &Command) -> Response {
        let fail = Response::status;
        if !cmd.data().is_empty() {
            return fail(StatusWord::WRONG_LENGTH);
        }
        let Some(le) = cmd.le() else {
            return fail(StatusWord::WRONG_LENGTH);
        };
        let (fid, offset) = if cmd.p1() & 0x80 != 0 {
            if cmd.p1() & 0x60 != 0 {
                return fail(StatusWord::INCORRECT_P1_P2);
            }
            match self.select_by_sfi(cmd.p1() & 0x1F) {
                Ok(fid) => (fid, usize::from(cmd.p2())),
                Err(sw) => return fail(sw),
            }
        } else {
            let Some(fid) = self.current_ef else {
                return fail(StatusWord::COMMAND_NOT_ALLOWED);
            };
            (fid, usize::from(u16::from_be_bytes([cmd.p1(), cmd.p2()])))
        };
        let (data, guard) = match self.current_file(fid) {
            Some(Ef::Binary { data, guard }) => (data, *guard),
            Some(_) => return fail(SW_INCOMPATIBLE_FILE),
            None => return fail(StatusWord::COMMAND_NOT_ALLOWED),
        };
        if let Some(pin) = guard
            && !self.verified.contains(&pin)
        {
            return fail(StatusWord::SECURITY_STATUS_NOT_SATISFIED);
        }
        if offset >= data.len() {
            return fail(StatusWord::WRONG_P1_P2);
        }
        let wanted = le as usize;
        let end = data.len().min(offset.saturating_add(wanted));
        let sw = if end - offset < wanted
            && self.options.partial_read == PartialRead::EndOfFileWarning
        {
            StatusWord::END_OF_FILE
        } else {
            StatusWord::OK
        };
        Response::new(data[offset..end].to_vec(), sw)
    }

    /// The PIN object `P2` names, made current.
    fn pin_from_p2(&mut self, p2: u8) -> Result<Fid, StatusWord> {
        let fid = self.ef_from_p2(p2)?;
        match self.current_file(fid) {
            Some(Ef::Pin(_)) => Ok(fid),
            _ => Err(SW_INCOMPATIBLE_FILE),
        }
    }

    fn pin_mut(&mut self, fid: Fid) -> Option<&mut PinObject> {
        match self.apps[self.current_app?].files.get_mut(&fid)? {
            Ef::Pin(pin) => Some(pin),
            _ => None,
        }
    }

    fn verify(&mut self, cmd: &Command) -> StatusWord {
        if cmd.p1() != 0x00 {
            return StatusWord::INCORRECT_P1_P2;
        }
        if cmd.le().is_some() || cmd.data().len() > 16 {
            return StatusWord::WRONG_LENGTH;
        }
        let fid = match self.pin_from_p2(cmd.p2()) {
            Ok(fid) => fid,
            Err(sw) => return sw,
        };
        let already_verified = self.verified.contains(&fid);
        let when_verified = self.options.verify_status_when_verified;
        let Some(pin) = self.pin_mut(fid) else {
            return StatusWord::COMMAND_NOT_ALLOWED;
        };
        if pin.value.is_none() {
            return StatusWord::REFERENCE_DATA_NOT_USABLE;
        }
        if cmd.data().is_empty() {
            if already_verified && when_verified == VerifyStatusWhenVerified::Success {
                return StatusWord::OK;
            }
            return StatusWord::verify_failed(pin.remaining);
        }
        if pin.remaining == 0 {
            return StatusWord::REFERENCE_DATA_NOT_USABLE;
        }
        if pin.matches(cmd.data()) {
            pin.remaining = pin.max;
            self.verified.insert(fid);
            StatusWord::OK
        } else {
            pin.remaining -= 1;
            let left = pin.remaining;
            self.verified.remove(&fid);
            StatusWord::verify_failed(left)
        }
    }

    fn change_reference_data(&mut self, cmd: &Command) -> StatusWord {
        if cmd.p1() != 0x01 {
            return StatusWord::INCORRECT_P1_P2;
        }
        if cmd.le().is_some() || cmd.data().is_empty() || cmd.data().len() > 16 {
            return StatusWord::WRONG_LENGTH;
        }
        let fid = match self.pin_from_p2(cmd.p2()) {
            Ok(fid) => fid,
            Err(sw) => return sw,
        };
        let verified = self.verified.contains(&fid);
        let Some(pin) = self.pin_mut(fid) else {
            return StatusWord::COMMAND_NOT_ALLOWED;
        };
        if pin.value.is_none() || pin.remaining == 0 {
            return StatusWord::REFERENCE_DATA_NOT_USABLE;
        }
        if !verified {
            return StatusWord::SECURITY_STATUS_NOT_SATISFIED;
        }
        if !pin.format.accepts(cmd.data()) {
            return StatusWord::WRONG_DATA;
        }
        pin.value = Some(Zeroizing::new(cmd.data().to_vec()));
        StatusWord::OK
    }

    fn compute_signature(&mut self, cmd: &Command) -> (Response, u32) {
        let scheme = cmd.p1();
        if scheme > 0x05 {
            return status(StatusWord::INCORRECT_P1_P2);
        }
        let fid = match self.ef_from_p2(cmd.p2()) {
            Ok(fid) => fid,
            Err(sw) => return status(sw),
        };
        let Some(app) = self.current_app else {
            return status(StatusWord::COMMAND_NOT_ALLOWED);
        };
        let (key, guard) = match self.apps[app].files.get(&fid) {
            Some(Ef::Key { key, guard }) => (key.as_ref(), *guard),
            Some(_) => return status(SW_INCOMPATIBLE_FILE),
            None => return status(StatusWord::COMMAND_NOT_ALLOWED),
        };
        let data = cmd.data();
        let k = key.size();
        let length_ok = match scheme {
            0x00 => (1..=k.saturating_sub(11)).contains(&data.len()),
            0x02 | 0x04 => data.len() == 32,
            _ => !data.is_empty(),
        };
        if !length_ok {
            return status(StatusWord::WRONG_LENGTH);
        }
        if let Some(le) = cmd.le()
            && (le as usize) < k
        {
            // 6Cxx: resend with Le = xx (00 meaning 256, the size of a 2048-bit signature).
            return status(StatusWord::wrong_le(k as u8));
        }
        if !self.verified.contains(&guard) {
            return status(StatusWord::SECURITY_STATUS_NOT_SATISFIED);
        }
        let pkcs1 = Pkcs1v15Sign::new_unprefixed;
        let rng = &mut self.rng;
        let signed = match scheme {
            0x00 => key.sign(pkcs1(), data),
            0x01 => key.sign(pkcs1(), &Sha256::digest(data)),
            0x02 => key.sign(pkcs1(), &digest_info(data)),
            0x03 => key.sign(pkcs1(), &digest_info(&Sha256::digest(data))),
            0x04 => key.sign_with_rng(rng, Pss::new::<Sha256>(), data),
            _ => key.sign_with_rng(rng, Pss::new::<Sha256>(), &Sha256::digest(data)),
        };
        match signed {
            Ok(signature) => (Response::new(signature, StatusWord::OK), 1),
            Err(_) => status(StatusWord::NO_PRECISE_DIAGNOSIS),
        }
    }
}

fn digest_info(hash: &[u8]) -> Vec<u8> {
    let mut out = SHA256_DIGEST_INFO_PREFIX.to_vec();
    out.extend_from_slice(hash);
    out
}

/// Builds an application from the profile's file list and the data, keys and PINs given by
/// FID; guards come from each file's [`Access`].
fn build_app(
    profile: &'static CardProfile,
    def: &'static Application,
    mut data: BTreeMap<Fid, Vec<u8>>,
    mut keys: BTreeMap<Fid, RsaPrivateKey>,
    mut pins: BTreeMap<Fid, PinObject>,
) -> Result<App, CardBuildError> {
    // The PIN object that guards each access class in this application.
    let app_pin = def
        .files
        .iter()
        .find(|f| f.access == Access::PinObject)
        .map(|f| f.fid);
    let guard_of = |access: Access| -> Option<Fid> {
        match access {
            Access::Free | Access::PinObject => None,
            Access::AuthKey => Some(profile.auth_pin),
            Access::SignKey | Access::SignPassword => Some(SIGN_PASSWORD_FID),
            Access::AppPin => app_pin,
        }
    };
    let mut files = BTreeMap::new();
    for entry in def.files {
        let ef = match entry.access {
            Access::PinObject => pins.remove(&entry.fid).map(Ef::Pin),
            Access::AuthKey | Access::SignKey => keys.remove(&entry.fid).and_then(|key| {
                guard_of(entry.access).map(|guard| Ef::Key {
                    key: Box::new(key),
                    guard,
                })
            }),
            access => data.remove(&entry.fid).map(|data| Ef::Binary {
                data,
                guard: guard_of(access),
            }),
        };
        if let Some(ef) = ef {
            if let Ef::Binary { data, .. } = &ef
                && data.len() > 0x7FFF
            {
                return Err(CardBuildError::FileTooLarge {
                    fid: entry.fid,
                    len: data.len(),
                });
            }
            files.insert(entry.fid, ef);
        }
    }
    Ok(App { def, files })
}

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

#[cfg(test)]
mod tests;
