//! JPKI-AP (公的個人認証AP) client operations, written once over [`Transport`].
//!
//! Every constant (AID, file IDs, PIN reference, tries, read size, key size, token labels)
//! comes from [`MY_NUMBER_CARD`]; every command is built with an [`crate::apdu::Command`]
//! builder. The same functions run in the browser (over the bridge's WebSocket), in the bridge
//! (over PC/SC) and in tests (over a scripted transport or the virtual card).
//!
//! ## Files
//! This file holds the errors, [`exchange`] and the `SELECT`s; `jpki/certificate.rs` the
//! file reads (certificates, token info), `jpki/pin.rs` the PIN type and the `VERIFY`s,
//! `jpki/sign.rs` the signature; everything is re-exported here. The order in which the
//! bridge and the module call them is the card table's flows
//! ([`crate::profile::CardProfile::pin_flow`], [`crate::profile::CardProfile::visual_flow`]),
//! checked by a test in `jpki/tests.rs`.
//!
//! ## Byte flow
//! An operation builds a [`Command`], and [`exchange`] encodes it (into a zeroizing buffer,
//! since a `VERIFY` carries the PIN), hands the bytes to [`Transport::transmit`], decodes the
//! [`Response`], and follows the two "try again" status words itself, so no transport has to:
//!
//! - `61xx`: `GET RESPONSE` (`00 C0 00 00 xx`, `xx = 00` meaning 256), concatenating the data,
//!   at most [`MAX_GET_RESPONSE_ROUNDS`] rounds;
//! - `6Cxx`: the same command once more with `Le = xx` (only for commands that carry an `Le`,
//!   so a `VERIFY` is never sent twice).
//!
//! The operation then maps the final status word to a value or to its own [`JpkiError`]
//! variant.
//!
//! ## Which operations SELECT what
//! - [`read_auth_certificate`], [`read_auth_ca_certificate`] and [`read_token_info`] are whole
//!   flows: they start with `SELECT` of the JPKI-AP (which also identifies the card:
//!   `6A82` → [`JpkiError::ApplicationNotFound`]).
//! - [`read_certificate`], [`auth_pin_status`], [`verify_auth_pin`],
//!   [`verify_auth_pin_with_consent`] and [`sign_with_auth_key`] work inside the current application and `SELECT` only the EF they
//!   need. Call [`select_jpki_ap`] first. They never re-select the AP, because selecting an
//!   application may drop the verified state of the PIN between `VERIFY` and the signature.
//!
//! ## APDU counts (no `61xx` from the card; each `61xx` adds one `GET RESPONSE`)
//! With `n` the certificate's total DER length (header included; 1,300–1,600 bytes on real
//! cards) and 256 = [`crate::profile::CardProfile::max_short_read`]:
//!
//! | operation | short APDUs only | extended length supported |
//! |---|---|---|
//! | [`select_jpki_ap`], [`select_ef`] | 1 | 1 |
//! | [`read_certificate`] | 1 + ⌈n / 256⌉ (n = 1,400: 7) | 1 + 1 if n ≤ 256, else 1 + 2 (3) |
//! | [`read_auth_certificate`], [`read_auth_ca_certificate`] | 2 + ⌈n / 256⌉ (8) | 4 |
//! | [`read_token_info`] | 3 | 3 |
//! | [`detect_token`] | 2 | 2 |
//! | [`auth_pin_status`], [`verify_auth_pin`], [`sign_with_auth_key`] | 2 | 2 |
//! | [`verify_auth_pin_with_consent`] | 3 (2 if no PIN is sent) | 3 |
//!
//! The certificate read is the minimum for short APDUs: its first `READ BINARY` asks for a
//! full 256 bytes (not the customary 4-byte header probe), takes the DER length from them, and
//! asks for exactly the rest, so no APDU is spent on the header alone and none past the end.
//! With extended length the rest comes in one `READ BINARY` with a two-byte `Le`. A card
//! that returns fewer bytes than asked (a short read) costs one more `READ BINARY` per short
//! answer; `6282`/`6B00` before the declared length is [`JpkiError::CertificateTruncated`].
//!
//! A complete PIN authentication (as the bridge's `authenticate` does it) is therefore
//! `SELECT AP`, `SELECT 0018`, `VERIFY` (status), `VERIFY` (PIN), `SELECT 0017`,
//! `COMPUTE DIGITAL SIGNATURE`: 6 APDUs ([`verify_auth_pin_with_consent`] checks the tries
//! left and the PIN under one `SELECT`).

mod certificate;
mod pin;
mod sign;
#[cfg(test)]
mod tests;

pub use certificate::{
    TokenInfo, TokenKind, certificate_length, detect_token, read_auth_ca_certificate,
    read_auth_certificate, read_certificate, read_token_info,
};
pub use pin::{
    Pin, PinError, PinStatus, auth_pin_status, verify_auth_pin, verify_auth_pin_with_consent,
};
pub use sign::sign_with_auth_key;

use crate::apdu::{ApduError, Command, Response};
use crate::profile::{Fid, MY_NUMBER_CARD};
use crate::sw::{Status, StatusWord};
use crate::transport::{Transport, TransportError};

/// The most `GET RESPONSE` rounds [`exchange`] follows for one command (64 × 256 bytes, far
/// more than any JPKI response).
pub const MAX_GET_RESPONSE_ROUNDS: usize = 64;

/// The largest certificate [`read_certificate`] accepts, DER header included. Real JPKI
/// certificates are about 1.3–1.6 KB; the bound stops a corrupt length from driving reads.
pub const MAX_CERTIFICATE_LEN: usize = 8 * 1024;

/// Length of the label at the start of the token-info EF: 32 bytes of space-padded ASCII.
pub const TOKEN_INFO_LABEL_LEN: usize = 32;

/// The card operation during which a status word came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    /// `SELECT` of an application by AID.
    SelectApplication,
    /// `SELECT` of an elementary file.
    SelectFile,
    /// `READ BINARY`.
    ReadBinary,
    /// `VERIFY` with no data (asking for the tries left).
    PinStatus,
    /// `VERIFY` with the PIN.
    Verify,
    /// `COMPUTE DIGITAL SIGNATURE`.
    ComputeSignature,
}

impl core::fmt::Display for Operation {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Operation::SelectApplication => "SELECT application",
            Operation::SelectFile => "SELECT file",
            Operation::ReadBinary => "READ BINARY",
            Operation::PinStatus => "VERIFY (tries left)",
            Operation::Verify => "VERIFY",
            Operation::ComputeSignature => "COMPUTE DIGITAL SIGNATURE",
        })
    }
}

/// Why a JPKI-AP operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JpkiError {
    /// The APDU did not reach the card or its answer did not come back.
    #[error("transport: {0}")]
    Transport(#[from] TransportError),
    /// A command could not be built, or the card's answer is not a response APDU.
    #[error("APDU: {0}")]
    Apdu(#[from] ApduError),
    /// The card answered a status word this operation does not expect.
    #[error("unexpected status {sw} during {during}")]
    UnexpectedStatus {
        /// The status word.
        sw: StatusWord,
        /// The operation that received it.
        during: Operation,
    },
    /// `6A82` on `SELECT` of the JPKI-AP: the card is not a My Number Card (or 住基カード).
    #[error("the card has no JPKI application: not a My Number Card")]
    ApplicationNotFound,
    /// `6A82` on `SELECT` of an elementary file.
    #[error("file {fid} not found")]
    FileNotFound {
        /// The file asked for.
        fid: Fid,
    },
    /// `63Cx` on `VERIFY`: the PIN is wrong. `remaining == 0` means this try blocked it.
    #[error("incorrect PIN, {remaining} tries left")]
    PinIncorrect {
        /// Tries left.
        remaining: u8,
    },
    /// `6984`/`6983` on `VERIFY`: the PIN is blocked (only the municipal office can reset it).
    #[error("the PIN is blocked")]
    PinBlocked,
    /// [`verify_auth_pin_with_consent`] found one try left and had no consent to use it: no
    /// PIN was sent.
    #[error("one PIN try left: the holder's consent is needed before it is used")]
    LastAttemptNeedsConsent,
    /// `6982` on `COMPUTE DIGITAL SIGNATURE`: the PIN has not been verified.
    #[error("security status not satisfied: the PIN has not been verified")]
    SecurityStatusNotSatisfied,
    /// A `61xx` chain went on for more than [`MAX_GET_RESPONSE_ROUNDS`] rounds.
    #[error("the card asked for more than {rounds} GET RESPONSE rounds")]
    ResponseChainTooLong {
        /// The rounds followed before giving up.
        rounds: usize,
    },
    /// The token gives this file only after its PIN is verified (an Android phone's auth
    /// certificate, [`crate::profile::Access::AuthPin`]); nothing was sent for it.
    #[error("file {fid} needs the PIN on this token")]
    PinRequired {
        /// The file asked for.
        fid: Fid,
    },
    /// The token-info label names a token this project does not serve (an iPhone, a
    /// 住基カード, an unknown label): `docs/phones.md` §3.
    #[error("token {label:?} is not supported")]
    TokenNotSupported {
        /// The label read (trailing spaces and NULs removed).
        label: String,
    },
    /// The certificate EF does not start with a DER SEQUENCE (e.g. an empty `FF…` file).
    #[error("the file does not hold a certificate: first byte {tag:#04X}, not a SEQUENCE")]
    UnexpectedTag {
        /// The first byte found.
        tag: u8,
    },
    /// The certificate's DER length is indefinite, non-minimal, or has more than 4 octets.
    #[error("the certificate's DER length is malformed")]
    MalformedLength,
    /// The certificate's declared length exceeds [`MAX_CERTIFICATE_LEN`].
    #[error("the certificate declares {declared} bytes; at most {max} are accepted")]
    CertificateTooLarge {
        /// The declared total length, header included.
        declared: u64,
        /// The largest accepted.
        max: usize,
    },
    /// The file ended (`6282`, `6B00` or an empty read) before the declared length.
    #[error("the file ended after {read} of the {expected} bytes expected")]
    CertificateTruncated {
        /// The bytes needed (the DER length, or the header while it is incomplete).
        expected: usize,
        /// The bytes the card gave.
        read: usize,
    },
    /// The DigestInfo to sign is empty or too long for the key's PKCS#1 v1.5 padding.
    #[error("a DigestInfo of {len} bytes cannot be signed; 1 to {max} bytes are accepted")]
    InvalidDigestInfoLength {
        /// Its length.
        len: usize,
        /// The longest the key accepts.
        max: usize,
    },
    /// The card's signature is not as long as the key's modulus.
    #[error("the card returned a {actual}-byte signature; {expected} bytes were expected")]
    UnexpectedSignatureLength {
        /// The modulus length.
        expected: usize,
        /// What came back.
        actual: usize,
    },
}

fn unexpected(sw: StatusWord, during: Operation) -> JpkiError {
    JpkiError::UnexpectedStatus { sw, during }
}

async fn transmit<T: Transport + ?Sized>(
    transport: &mut T,
    command: &Command,
) -> Result<Response, JpkiError> {
    let bytes = command.encode();
    let raw = transport.transmit(&bytes).await?;
    Ok(Response::decode(&raw)?)
}

/// Sends `command`; on `6Cxx` sends it once more with `Le = xx` if it carries an `Le`.
async fn transmit_fixing_le<T: Transport + ?Sized>(
    transport: &mut T,
    command: &Command,
) -> Result<Response, JpkiError> {
    let response = transmit(transport, command).await?;
    match response.sw.status() {
        Status::WrongLe(exact) if command.le().is_some() => {
            transmit(transport, &command.with_le(u32::from(exact))?).await
        }
        _ => Ok(response),
    }
}

/// Sends one command and returns the card's final answer: follows `61xx` with
/// `GET RESPONSE` (concatenating the data, at most [`MAX_GET_RESPONSE_ROUNDS`] rounds) and
/// `6Cxx` by resending once with the corrected `Le` (only commands that carry an `Le`; a
/// `GET RESPONSE` does, so a round costs at most two: the chain is at most
/// 2 × [`MAX_GET_RESPONSE_ROUNDS`] commands after the first).
///
/// Any other status word is returned as is, for the caller to interpret.
pub async fn exchange<T: Transport + ?Sized>(
    transport: &mut T,
    command: &Command,
) -> Result<Response, JpkiError> {
    let mut response = transmit_fixing_le(transport, command).await?;
    let mut rounds = 0;
    while let Status::BytesAvailable(available) = response.sw.status() {
        if rounds == MAX_GET_RESPONSE_ROUNDS {
            return Err(JpkiError::ResponseChainTooLong { rounds });
        }
        rounds += 1;
        let next = transmit_fixing_le(transport, &Command::get_response(available)?).await?;
        response.data.extend_from_slice(&next.data);
        response.sw = next.sw;
    }
    Ok(response)
}

/// `SELECT` the JPKI-AP (`00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01`). 1 APDU.
///
/// `6A82` → [`JpkiError::ApplicationNotFound`]: not a My Number Card.
pub async fn select_jpki_ap<T: Transport + ?Sized>(transport: &mut T) -> Result<(), JpkiError> {
    let response = exchange(
        transport,
        &Command::select_application(MY_NUMBER_CARD.jpki.aid),
    )
    .await?;
    match response.sw.status() {
        Status::Success => Ok(()),
        Status::FileNotFound => Err(JpkiError::ApplicationNotFound),
        _ => Err(unexpected(response.sw, Operation::SelectApplication)),
    }
}

/// `SELECT` an EF of the current application (`00 A4 02 0C 02 <FID>`). 1 APDU.
///
/// `6A82` → [`JpkiError::FileNotFound`].
pub async fn select_ef<T: Transport + ?Sized>(
    transport: &mut T,
    fid: Fid,
) -> Result<(), JpkiError> {
    let response = exchange(transport, &Command::select_ef(fid)).await?;
    match response.sw.status() {
        Status::Success => Ok(()),
        Status::FileNotFound => Err(JpkiError::FileNotFound { fid }),
        _ => Err(unexpected(response.sw, Operation::SelectFile)),
    }
}
