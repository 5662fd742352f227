//! # myna-virtual-card — the virtual My Number Card
//!
//! A deterministic, in-memory card that answers APDUs the way the real card does, built from
//! a persona, and [`vpcd`], the adapter that puts it into a real `pcscd` reader through
//! vsmartcard's `vpcd` driver. Used by the bridge's `--simulate` backend and its
//! `myna-bridge virtual-card` command, the tests (in-process, and on real pcscd for the
//! OpenSC and `myna-card` interop tests of this crate), `myna-bench` and the fuzzers. It is
//! card simulation only: no WebSocket, no policy, no PC/SC client.
//!
//! ## Layout
//! - this file: [`VirtualCard`] (its state, power, building it from [`CardContents`]) and
//!   [`CardOptions`]; `commands`: the answer to each instruction; `pin`: PIN objects;
//!   [`SharedCard`]: the card behind a mutex; [`ApduLog`]: the bounded log of what the card
//!   got (PINs redacted); [`TimingModel`]: how long a real card would take.
//!
//! ## Threads and blocking
//! The card is plain synchronous state; shared, it sits behind a mutex ([`SharedCard`]). It
//! never sleeps — it *returns* the delay its timing model asks for. The vpcd adapter runs on
//! its own thread with blocking sockets and sleeps that delay before answering; the bridge's
//! simulated reader sleeps it on its card worker thread.
//!
//! Its layout (applications, files, access rules, PIN tries, key size, token label) comes
//! from the card table of its token ([`CardContents::profile`]): the card's
//! [`myna_core::profile::MY_NUMBER_CARD`], or an Android phone's
//! [`myna_core::profile::ANDROID_PHONE`] (EF `000A` behind the auth PIN); commands are decoded with
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

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod commands;
mod contents;
mod log;
mod pin;
mod shared;
mod timing;
pub mod vpcd;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use myna_core::apdu::Response;
use myna_core::profile::{Access, Application, CardProfile, Fid};
use myna_core::sw::StatusWord;
use myna_personas::Persona;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};

pub use contents::{
    BasicInfo, CardContents, FAKE_MY_NUMBER, MY_NUMBER_CARD_ATR, TEST_SIGN_PASSWORD,
    basic_info_file, my_number_file, token_info,
};
pub use log::{ApduLog, LogEntry};
use pin::{PinFormat, PinObject};
pub use shared::SharedCard;
pub use timing::TimingModel;

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
        let profile = contents.profile();
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
            if bits != profile.auth_algorithm.key_bits {
                return Err(CardBuildError::WrongKeySize {
                    which,
                    bits,
                    expected: profile.auth_algorithm.key_bits,
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
            (profile.sign_certificate, contents.sign_certificate),
            (profile.sign_ca_certificate, contents.sign_ca_certificate),
        ]);
        let jpki_keys = BTreeMap::from([
            (profile.auth_key, contents.auth_key),
            (profile.sign_key, contents.sign_key),
        ]);
        let jpki_pins = BTreeMap::from([
            (profile.auth_pin, auth_pin),
            (profile.sign_password, sign_password),
        ]);
        let jpki = build_app(profile, &profile.jpki, jpki_data, jpki_keys, jpki_pins)?;
        let card_info_input = build_app(
            profile,
            &profile.card_info_input,
            BTreeMap::from([
                (profile.my_number, contents.my_number_file),
                (profile.basic_info, contents.basic_info_file),
            ]),
            BTreeMap::new(),
            BTreeMap::from([(profile.card_info_input_pin, card_info_pin)]),
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
            Access::AuthKey | Access::AuthPin => Some(profile.auth_pin),
            Access::SignKey | Access::SignPassword => Some(profile.sign_password),
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

#[cfg(test)]
mod tests;
