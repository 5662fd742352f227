//! JPKI-AP (公的個人認証AP) client operations, written once over [`Transport`].
//!
//! Every constant (AID, file IDs, PIN reference, tries, read size, key size, token labels)
//! comes from [`MY_NUMBER_CARD`]; every command is built with an [`crate::apdu::Command`]
//! builder. The same functions run in the browser (over the bridge's WebSocket), in the bridge
//! (over PC/SC) and in tests (over a scripted transport or the virtual card).
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

use zeroize::Zeroizing;

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

/// Bytes of PKCS#1 v1.5 type-1 padding overhead: a DigestInfo may fill the modulus but these.
const PKCS1_V15_OVERHEAD: usize = 11;

/// The DER tag of a SEQUENCE (a certificate is one).
const DER_SEQUENCE: u8 = 0x30;

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

/// Why a string is not a valid PIN. Never contains the PIN itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PinError {
    /// The PIN has the wrong number of characters.
    #[error("the PIN must be {expected} digits; {actual} characters were given")]
    WrongLength {
        /// The number of digits required.
        expected: usize,
        /// The number of characters given.
        actual: usize,
    },
    /// The PIN contains something other than the ASCII digits `0`–`9` (full-width digits
    /// included).
    #[error("the PIN must contain only the digits 0-9")]
    NotDigits,
}

/// A PIN, held in a buffer zeroized on drop. Neither `Debug` nor anything else shows it.
pub struct Pin {
    digits: Zeroizing<Vec<u8>>,
}

impl Pin {
    /// The auth PIN (利用者証明用暗証番号): exactly
    /// [`crate::profile::CardProfile::auth_pin_length`] (4) ASCII digits.
    pub fn auth(digits: &str) -> Result<Self, PinError> {
        let expected = MY_NUMBER_CARD.auth_pin_length;
        let actual = digits.chars().count();
        if actual != expected {
            return Err(PinError::WrongLength { expected, actual });
        }
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PinError::NotDigits);
        }
        let mut buffer = Zeroizing::new(Vec::with_capacity(expected));
        buffer.extend_from_slice(digits.as_bytes());
        Ok(Pin { digits: buffer })
    }

    fn as_bytes(&self) -> &[u8] {
        &self.digits
    }
}

impl core::fmt::Debug for Pin {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Pin(<redacted>)")
    }
}

/// The state of the auth PIN, read without using a try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinStatus {
    /// Tries left. `0` when blocked. When [`Self::verified`], the card reported no count and
    /// this is the full count ([`crate::profile::CardProfile::auth_pin_tries`]), which is what
    /// a successful `VERIFY` resets the counter to.
    pub remaining: u8,
    /// The PIN is blocked (`6984`, `6983`, or `63C0`).
    pub blocked: bool,
    /// The card answered `9000`: the PIN is already verified in this card session.
    pub verified: bool,
}

impl PinStatus {
    /// Exactly one try is left: one more wrong PIN blocks the card.
    pub fn is_last_attempt(&self) -> bool {
        !self.blocked && self.remaining == 1
    }
}

/// Which card a token-info label names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenKind {
    /// `JPKIAPICCTOKEN2`: a My Number Card.
    MyNumberCard,
    /// `JPKIAPICCTOKEN`: an old 住民基本台帳カード.
    JukiCard,
    /// Any other label.
    Unknown,
}

/// The token-info EF (`0006`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// The label, trailing spaces and NULs removed (non-ASCII bytes replaced by U+FFFD).
    pub label: String,
    /// What the label says the card is.
    pub kind: TokenKind,
}

impl TokenInfo {
    /// Interprets the first [`TOKEN_INFO_LABEL_LEN`] bytes of the token-info EF.
    pub fn from_label_bytes(bytes: &[u8]) -> Self {
        let field = &bytes[..bytes.len().min(TOKEN_INFO_LABEL_LEN)];
        let end = field
            .iter()
            .rposition(|&b| b != b' ' && b != 0)
            .map_or(0, |i| i + 1);
        let label = String::from_utf8_lossy(&field[..end]).into_owned();
        let kind = if label == MY_NUMBER_CARD.token_label_my_number_card {
            TokenKind::MyNumberCard
        } else if label == MY_NUMBER_CARD.token_label_juki_card {
            TokenKind::JukiCard
        } else {
            TokenKind::Unknown
        };
        TokenInfo { label, kind }
    }
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

/// One `READ BINARY` answer: its data, and whether the card said the file ends there.
struct Chunk {
    data: Vec<u8>,
    at_end: bool,
}

async fn read_chunk<T: Transport + ?Sized>(
    transport: &mut T,
    offset: usize,
    le: usize,
) -> Result<Chunk, JpkiError> {
    // `le` is at most MAX_CERTIFICATE_LEN here, so it fits in u32.
    let command = Command::read_binary(offset, le as u32)?;
    let response = exchange(transport, &command).await?;
    match response.sw.status() {
        Status::Success => Ok(Chunk {
            at_end: response.data.is_empty(),
            data: response.data,
        }),
        Status::EndOfFile => Ok(Chunk {
            data: response.data,
            at_end: true,
        }),
        Status::WrongP1P2 => Ok(Chunk {
            data: Vec::new(),
            at_end: true,
        }),
        _ => Err(unexpected(response.sw, Operation::ReadBinary)),
    }
}

/// The total length (header included) a DER certificate declares in its first bytes.
///
/// Accepts a SEQUENCE with a short-form length or a minimal long-form length of 1–4 octets;
/// rejects indefinite, non-minimal and longer forms ([`JpkiError::MalformedLength`]), other
/// tags ([`JpkiError::UnexpectedTag`]), totals above [`MAX_CERTIFICATE_LEN`]
/// ([`JpkiError::CertificateTooLarge`]), and too few bytes to hold the header
/// ([`JpkiError::CertificateTruncated`]).
pub fn certificate_length(head: &[u8]) -> Result<usize, JpkiError> {
    let truncated = |expected: usize| JpkiError::CertificateTruncated {
        expected,
        read: head.len(),
    };
    let (&tag, rest) = head.split_first().ok_or(truncated(2))?;
    if tag != DER_SEQUENCE {
        return Err(JpkiError::UnexpectedTag { tag });
    }
    let (&first, rest) = rest.split_first().ok_or(truncated(2))?;
    let (header_len, content_len) = match first {
        0x00..=0x7F => (2, u64::from(first)),
        0x81..=0x84 => {
            let octets = usize::from(first & 0x7F);
            let bytes = rest.get(..octets).ok_or(truncated(2 + octets))?;
            let minimal = bytes[0] != 0 && (octets > 1 || bytes[0] >= 0x80);
            if !minimal {
                return Err(JpkiError::MalformedLength);
            }
            let value = bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
            (2 + octets, value)
        }
        // 0x80 is the indefinite form (not DER); 0x85.. would exceed any bound; 0xFF reserved.
        _ => return Err(JpkiError::MalformedLength),
    };
    let declared = header_len as u64 + content_len;
    if declared > MAX_CERTIFICATE_LEN as u64 {
        return Err(JpkiError::CertificateTooLarge {
            declared,
            max: MAX_CERTIFICATE_LEN,
        });
    }
    Ok(declared as usize)
}

/// Reads the DER certificate in EF `fid` of the current application: `SELECT` the EF, one
/// `READ BINARY` with `Le = 00` (256) at offset 0, the DER length from its header, then the
/// rest: in chunks of ≤ 256 bytes, or, when [`Transport::supports_extended_length`], in one
/// extended `READ BINARY`. Returns exactly the certificate's bytes (any filler after it in the
/// EF is dropped).
///
/// APDUs: 1 + ⌈n / 256⌉ short; 1 + 2 extended (1 + 1 if n ≤ 256); plus one per short read or
/// `GET RESPONSE`.
pub async fn read_certificate<T: Transport + ?Sized>(
    transport: &mut T,
    fid: Fid,
) -> Result<Vec<u8>, JpkiError> {
    select_ef(transport, fid).await?;
    let max_short = MY_NUMBER_CARD.max_short_read;
    let first = read_chunk(transport, 0, max_short).await?;
    let total = certificate_length(&first.data)?;
    let extended = transport.supports_extended_length();
    let mut certificate = first.data;
    let mut at_end = first.at_end;
    while certificate.len() < total {
        if at_end {
            return Err(JpkiError::CertificateTruncated {
                expected: total,
                read: certificate.len(),
            });
        }
        let remaining = total - certificate.len();
        let le = if extended {
            remaining
        } else {
            remaining.min(max_short)
        };
        let chunk = read_chunk(transport, certificate.len(), le).await?;
        certificate.extend_from_slice(&chunk.data);
        at_end = chunk.at_end;
    }
    certificate.truncate(total);
    Ok(certificate)
}

/// The user-authentication certificate (利用者証明用電子証明書, EF `000A`), DER:
/// `SELECT` JPKI-AP, then [`read_certificate`]. 2 + ⌈n / 256⌉ APDUs short, 4 extended.
pub async fn read_auth_certificate<T: Transport + ?Sized>(
    transport: &mut T,
) -> Result<Vec<u8>, JpkiError> {
    select_jpki_ap(transport).await?;
    read_certificate(transport, MY_NUMBER_CARD.auth_certificate).await
}

/// The CA certificate that issued the auth certificate (EF `000B`), DER: `SELECT` JPKI-AP,
/// then [`read_certificate`]. 2 + ⌈n / 256⌉ APDUs short, 4 extended.
pub async fn read_auth_ca_certificate<T: Transport + ?Sized>(
    transport: &mut T,
) -> Result<Vec<u8>, JpkiError> {
    select_jpki_ap(transport).await?;
    read_certificate(transport, MY_NUMBER_CARD.auth_ca_certificate).await
}

/// The token-info label (EF `0006`): `SELECT` JPKI-AP, `SELECT 0006`,
/// `READ BINARY` of [`TOKEN_INFO_LABEL_LEN`] bytes. 3 APDUs.
///
/// A shorter file (`6282` with fewer bytes, `6B00`) gives a shorter (possibly empty) label.
pub async fn read_token_info<T: Transport + ?Sized>(
    transport: &mut T,
) -> Result<TokenInfo, JpkiError> {
    select_jpki_ap(transport).await?;
    select_ef(transport, MY_NUMBER_CARD.token_info).await?;
    let chunk = read_chunk(transport, 0, TOKEN_INFO_LABEL_LEN).await?;
    Ok(TokenInfo::from_label_bytes(&chunk.data))
}

/// The auth PIN's tries left, without using one: `SELECT 0018`, then `VERIFY` with no data
/// (`00 20 00 80`). 2 APDUs. The JPKI-AP must be the current application.
///
/// `63Cx` → `x` tries left (`63C0` → blocked); `6984`/`6983` → blocked (`remaining` 0);
/// `9000` → already verified in this session ([`PinStatus::verified`], `remaining` = the full
/// count).
pub async fn auth_pin_status<T: Transport + ?Sized>(
    transport: &mut T,
) -> Result<PinStatus, JpkiError> {
    select_ef(transport, MY_NUMBER_CARD.auth_pin).await?;
    selected_pin_status(transport).await
}

/// `VERIFY` with no data on the current EF (the auth PIN's, selected by the caller).
async fn selected_pin_status<T: Transport + ?Sized>(
    transport: &mut T,
) -> Result<PinStatus, JpkiError> {
    let command = Command::verify_status(MY_NUMBER_CARD.current_ef_reference);
    let response = exchange(transport, &command).await?;
    let blocked = PinStatus {
        remaining: 0,
        blocked: true,
        verified: false,
    };
    match response.sw.status() {
        Status::Success => Ok(PinStatus {
            remaining: MY_NUMBER_CARD.auth_pin_tries,
            blocked: false,
            verified: true,
        }),
        Status::VerifyFailed { remaining: 0 }
        | Status::ReferenceDataNotUsable
        | Status::AuthMethodBlocked => Ok(blocked),
        Status::VerifyFailed { remaining } => Ok(PinStatus {
            remaining,
            blocked: false,
            verified: false,
        }),
        _ => Err(unexpected(response.sw, Operation::PinStatus)),
    }
}

/// Verifies the auth PIN: `SELECT 0018`, then exactly one `VERIFY` (`00 20 00 80 04 <PIN>`),
/// never a retry. 2 APDUs. The JPKI-AP must be the current application.
///
/// `63Cx` → [`JpkiError::PinIncorrect`] (`63C0`: this try blocked the PIN);
/// `6984`/`6983` → [`JpkiError::PinBlocked`].
pub async fn verify_auth_pin<T: Transport + ?Sized>(
    transport: &mut T,
    pin: &Pin,
) -> Result<(), JpkiError> {
    select_ef(transport, MY_NUMBER_CARD.auth_pin).await?;
    selected_verify(transport, pin).await
}

/// The PIN check an eligibility flow makes: `SELECT 0018`, `VERIFY` with no data (the tries
/// left, none used), then — unless the PIN is blocked, or one try is left and
/// `allow_last_attempt` is false — exactly one `VERIFY` with the PIN. 3 APDUs (2 when no PIN
/// is sent), one fewer than [`auth_pin_status`] then [`verify_auth_pin`].
///
/// Errors: [`JpkiError::PinBlocked`] (nothing sent), [`JpkiError::LastAttemptNeedsConsent`]
/// (nothing sent), [`JpkiError::PinIncorrect`] (the one try was used; never retried). A PIN
/// already verified in this card session is verified again: each check is the holder's.
pub async fn verify_auth_pin_with_consent<T: Transport + ?Sized>(
    transport: &mut T,
    pin: &Pin,
    allow_last_attempt: bool,
) -> Result<(), JpkiError> {
    select_ef(transport, MY_NUMBER_CARD.auth_pin).await?;
    let status = selected_pin_status(transport).await?;
    if status.blocked {
        return Err(JpkiError::PinBlocked);
    }
    if status.is_last_attempt() && !allow_last_attempt {
        return Err(JpkiError::LastAttemptNeedsConsent);
    }
    selected_verify(transport, pin).await
}

/// `VERIFY` with the PIN on the current EF (the auth PIN's, selected by the caller).
async fn selected_verify<T: Transport + ?Sized>(
    transport: &mut T,
    pin: &Pin,
) -> Result<(), JpkiError> {
    let command = Command::verify(MY_NUMBER_CARD.current_ef_reference, pin.as_bytes());
    let response = exchange(transport, &command).await?;
    match response.sw.status() {
        Status::Success => Ok(()),
        Status::VerifyFailed { remaining } => Err(JpkiError::PinIncorrect { remaining }),
        Status::ReferenceDataNotUsable | Status::AuthMethodBlocked => Err(JpkiError::PinBlocked),
        _ => Err(unexpected(response.sw, Operation::Verify)),
    }
}

/// Signs a DER DigestInfo with the auth key (the card adds PKCS#1 v1.5 type-1 padding):
/// `SELECT 0017`, then `80 2A 00 80 <Lc> <DigestInfo> 00`. 2 APDUs. The auth PIN must have
/// been verified in the current application.
///
/// Returns the signature, exactly as long as the modulus (256 bytes for RSA-2048).
/// `6982` → [`JpkiError::SecurityStatusNotSatisfied`]. A DigestInfo that is empty or longer
/// than the modulus minus 11 bytes is refused before any APDU is sent.
pub async fn sign_with_auth_key<T: Transport + ?Sized>(
    transport: &mut T,
    digest_info: &[u8],
) -> Result<Vec<u8>, JpkiError> {
    let modulus_len = MY_NUMBER_CARD.auth_algorithm.signature_len();
    let max = modulus_len - PKCS1_V15_OVERHEAD;
    if digest_info.is_empty() || digest_info.len() > max {
        return Err(JpkiError::InvalidDigestInfoLength {
            len: digest_info.len(),
            max,
        });
    }
    select_ef(transport, MY_NUMBER_CARD.auth_key).await?;
    let command = Command::compute_digital_signature(digest_info)?;
    let response = exchange(transport, &command).await?;
    match response.sw.status() {
        Status::Success if response.data.len() == modulus_len => Ok(response.data),
        Status::Success => Err(JpkiError::UnexpectedSignatureLength {
            expected: modulus_len,
            actual: response.data.len(),
        }),
        Status::SecurityStatusNotSatisfied => Err(JpkiError::SecurityStatusNotSatisfied),
        _ => Err(unexpected(response.sw, Operation::ComputeSignature)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::TransportErrorKind;
    use crate::transport::testing::{ScriptedTransport, hex};
    use pollster::block_on;

    const SELECT_AP: &str = "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01";
    const SELECT_000A: &str = "00 A4 02 0C 02 00 0A";
    const SELECT_000B: &str = "00 A4 02 0C 02 00 0B";
    const SELECT_0006: &str = "00 A4 02 0C 02 00 06";
    const SELECT_0017: &str = "00 A4 02 0C 02 00 17";
    const SELECT_0018: &str = "00 A4 02 0C 02 00 18";
    const PIN_STATUS: &str = "00 20 00 80";
    const VERIFY_1234: &str = "00 20 00 80 04 31 32 33 34";
    const OK: &[u8] = &[0x90, 0x00];

    /// A DER-shaped certificate of `total` bytes (`30 82 LL LL` + filler), then `padding`
    /// bytes of `FF` as an EF larger than its certificate would hold.
    fn certificate_file(total: usize, padding: usize) -> (Vec<u8>, Vec<u8>) {
        let content = total - 4;
        let mut cert = vec![0x30, 0x82, (content >> 8) as u8, content as u8];
        cert.extend((0..content).map(|i| (i * 7 + 3) as u8));
        let mut file = cert.clone();
        file.extend(std::iter::repeat_n(0xFF, padding));
        (cert, file)
    }

    fn with_sw(data: &[u8], sw: &[u8]) -> Vec<u8> {
        [data, sw].concat()
    }

    fn digest_info() -> Vec<u8> {
        let mut d = hex("30 31 30 0D 06 09 60 86 48 01 65 03 04 02 01 05 00 04 20");
        d.extend([0x5A; 32]);
        d
    }

    // ---- exchange -------------------------------------------------------------------------

    #[test]
    fn exchange_follows_61xx_including_6100_as_256() {
        let mut t = ScriptedTransport::new()
            .expect_hex("80 2A 00 80 01 AA 00", "61 00")
            .expect(&hex("00 C0 00 00 00"), &with_sw(&[1; 256], &hex("61 10")))
            .expect(&hex("00 C0 00 00 10"), &with_sw(&[2; 16], OK));
        let cmd = Command::compute_digital_signature(&[0xAA]).unwrap();
        let response = block_on(exchange(&mut t, &cmd)).unwrap();
        assert_eq!(response.sw, StatusWord::OK);
        assert_eq!(response.data, [vec![1; 256], vec![2; 16]].concat());
        assert_eq!(t.sent().len(), 3);
        t.assert_finished();
    }

    #[test]
    fn exchange_keeps_data_that_came_with_61xx() {
        let mut t = ScriptedTransport::new()
            .expect(&hex("00 B0 00 00 04"), &with_sw(&[1, 2], &hex("61 02")))
            .expect(&hex("00 C0 00 00 02"), &with_sw(&[3, 4], OK));
        let cmd = Command::read_binary(0, 4).unwrap();
        let response = block_on(exchange(&mut t, &cmd)).unwrap();
        assert_eq!(response.data, vec![1, 2, 3, 4]);
        t.assert_finished();
    }

    #[test]
    fn exchange_bounds_the_get_response_chain() {
        let mut t = ScriptedTransport::new().expect_hex("00 B0 00 00 00", "61 01");
        for _ in 0..MAX_GET_RESPONSE_ROUNDS {
            t = t.expect_hex("00 C0 00 00 01", "AA 61 01");
        }
        let cmd = Command::read_binary(0, 256).unwrap();
        assert_eq!(
            block_on(exchange(&mut t, &cmd)),
            Err(JpkiError::ResponseChainTooLong {
                rounds: MAX_GET_RESPONSE_ROUNDS
            })
        );
        t.assert_finished();
    }

    /// Found by the `apdu` fuzz target: a card that answers every `GET RESPONSE` with
    /// `6Cxx` first costs two `GET RESPONSE`s per round; the chain is still bounded, at
    /// 2 × [`MAX_GET_RESPONSE_ROUNDS`] commands.
    #[test]
    fn a_6cxx_on_every_get_response_keeps_the_chain_bounded() {
        let mut t = ScriptedTransport::new().expect_hex("00 B0 00 00 00", "61 02");
        for _ in 0..MAX_GET_RESPONSE_ROUNDS {
            t = t
                .expect_hex("00 C0 00 00 02", "6C 01")
                .expect_hex("00 C0 00 00 01", "AA 61 02");
        }
        let cmd = Command::read_binary(0, 256).unwrap();
        assert_eq!(
            block_on(exchange(&mut t, &cmd)),
            Err(JpkiError::ResponseChainTooLong {
                rounds: MAX_GET_RESPONSE_ROUNDS
            })
        );
        let get_responses = t.sent().iter().filter(|c| c[1] == 0xC0).count();
        assert_eq!(get_responses, 2 * MAX_GET_RESPONSE_ROUNDS);
        t.assert_finished();
    }

    #[test]
    fn exchange_resends_once_on_6cxx_with_the_exact_le() {
        let mut t = ScriptedTransport::new()
            .expect_hex("00 B0 00 00 00", "6C 20")
            .expect(&hex("00 B0 00 00 20"), &with_sw(&[9; 32], OK));
        let cmd = Command::read_binary(0, 256).unwrap();
        let response = block_on(exchange(&mut t, &cmd)).unwrap();
        assert_eq!(response.data, vec![9; 32]);
        t.assert_finished();

        // Only once: a second 6Cxx is returned to the operation, which reports it.
        let mut t = ScriptedTransport::new()
            .expect_hex(SELECT_000A, "90 00")
            .expect_hex("00 B0 00 00 00", "6C 20")
            .expect_hex("00 B0 00 00 20", "6C 10");
        assert_eq!(
            block_on(read_certificate(&mut t, Fid(0x000A))),
            Err(JpkiError::UnexpectedStatus {
                sw: StatusWord(0x6C10),
                during: Operation::ReadBinary
            })
        );
        t.assert_finished();
    }

    #[test]
    fn exchange_then_61xx_after_a_6cxx_resend() {
        let mut t = ScriptedTransport::new()
            .expect_hex("00 B0 00 00 00", "6C 00")
            .expect_hex("00 B0 00 00 00", "61 00")
            .expect(&hex("00 C0 00 00 00"), &with_sw(&[5; 256], OK));
        let cmd = Command::read_binary(0, 256).unwrap();
        assert_eq!(block_on(exchange(&mut t, &cmd)).unwrap().data, vec![5; 256]);
        t.assert_finished();
    }

    #[test]
    fn exchange_reports_transport_failures_and_short_responses() {
        let mut t = ScriptedTransport::new().expect_error(
            &hex(SELECT_AP),
            TransportError::new(TransportErrorKind::NoCard, "SCARD_E_NO_SMARTCARD"),
        );
        match block_on(select_jpki_ap(&mut t)) {
            Err(JpkiError::Transport(e)) => assert_eq!(e.kind(), TransportErrorKind::NoCard),
            other => panic!("{other:?}"),
        }
        let mut t = ScriptedTransport::new().expect_hex(SELECT_AP, "90");
        assert_eq!(
            block_on(select_jpki_ap(&mut t)),
            Err(JpkiError::Apdu(ApduError::ResponseTooShort { len: 1 }))
        );
    }

    // ---- SELECT ---------------------------------------------------------------------------

    #[test]
    fn select_maps_6a82_to_not_a_my_number_card_or_file_not_found() {
        let mut t = ScriptedTransport::new().expect_hex(SELECT_AP, "6A 82");
        assert_eq!(
            block_on(read_auth_certificate(&mut t)),
            Err(JpkiError::ApplicationNotFound)
        );
        assert_eq!(t.sent().len(), 1);

        let mut t = ScriptedTransport::new()
            .expect_hex(SELECT_AP, "90 00")
            .expect_hex(SELECT_000B, "6A 82");
        assert_eq!(
            block_on(read_auth_ca_certificate(&mut t)),
            Err(JpkiError::FileNotFound { fid: Fid(0x000B) })
        );
        t.assert_finished();

        let mut t = ScriptedTransport::new().expect_hex(SELECT_AP, "6D 00");
        assert_eq!(
            block_on(select_jpki_ap(&mut t)),
            Err(JpkiError::UnexpectedStatus {
                sw: StatusWord::INS_NOT_SUPPORTED,
                during: Operation::SelectApplication
            })
        );
        let mut t = ScriptedTransport::new().expect_hex(SELECT_0006, "69 86");
        assert_eq!(
            block_on(select_ef(&mut t, Fid(0x0006))),
            Err(JpkiError::UnexpectedStatus {
                sw: StatusWord::COMMAND_NOT_ALLOWED,
                during: Operation::SelectFile
            })
        );
    }

    // ---- certificates ---------------------------------------------------------------------

    #[test]
    fn auth_certificate_of_1400_bytes_in_short_apdus_takes_8_apdus() {
        let (cert, file) = certificate_file(1400, 600);
        let mut t = ScriptedTransport::new()
            .expect_hex(SELECT_AP, "90 00")
            .expect_hex(SELECT_000A, "90 00")
            .expect(&hex("00 B0 00 00 00"), &with_sw(&file[0..256], OK))
            .expect(&hex("00 B0 01 00 00"), &with_sw(&file[256..512], OK))
            .expect(&hex("00 B0 02 00 00"), &with_sw(&file[512..768], OK))
            .expect(&hex("00 B0 03 00 00"), &with_sw(&file[768..1024], OK))
            .expect(&hex("00 B0 04 00 00"), &with_sw(&file[1024..1280], OK))
            .expect(&hex("00 B0 05 00 78"), &with_sw(&file[1280..1400], OK));
        let read = block_on(read_auth_certificate(&mut t)).unwrap();
        assert_eq!(read, cert);
        assert_eq!(t.sent().len(), 8);
        t.assert_finished();
    }

    #[test]
    fn auth_certificate_of_1400_bytes_with_extended_length_takes_4_apdus() {
        let (cert, file) = certificate_file(1400, 600);
        let mut t = ScriptedTransport::new()
            .with_extended_length(true)
            .expect_hex(SELECT_AP, "90 00")
            .expect_hex(SELECT_000A, "90 00")
            .expect(&hex("00 B0 00 00 00"), &with_sw(&file[0..256], OK))
            // 1400 - 256 = 1144 = 0x0478, one extended READ BINARY.
            .expect(&hex("00 B0 01 00 00 04 78"), &with_sw(&file[256..1400], OK));
        let read = block_on(read_auth_certificate(&mut t)).unwrap();
        assert_eq!(read, cert);
        assert_eq!(t.sent().len(), 4);
        t.assert_finished();
    }

    #[test]
    fn ca_certificate_of_1636_bytes_in_short_and_extended_mode() {
        // 1636 = 6 × 256 + 100: ⌈1636/256⌉ = 7 reads short.
        let (cert, file) = certificate_file(1636, 0);
        let mut t = ScriptedTransport::new()
            .expect_hex(SELECT_AP, "90 00")
            .expect_hex(SELECT_000B, "90 00");
        for (i, offset) in (0..1536).step_by(256).enumerate() {
            let cmd = format!("00 B0 {i:02X} 00 00");
            t = t.expect(&hex(&cmd), &with_sw(&file[offset..offset + 256], OK));
        }
        t = t.expect(&hex("00 B0 06 00 64"), &with_sw(&file[1536..1636], OK));
        assert_eq!(block_on(read_auth_ca_certificate(&mut t)).unwrap(), cert);
        assert_eq!(t.sent().len(), 9);
        t.assert_finished();

        let mut t = ScriptedTransport::new()
            .with_extended_length(true)
            .expect_hex(SELECT_000B, "90 00")
            .expect(&hex("00 B0 00 00 00"), &with_sw(&file[..256], OK))
            .expect(&hex("00 B0 01 00 00 05 64"), &with_sw(&file[256..], OK));
        assert_eq!(
            block_on(read_certificate(&mut t, Fid(0x000B))).unwrap(),
            cert
        );
        assert_eq!(t.sent().len(), 3);
        t.assert_finished();
    }

    #[test]
    fn short_reads_continue_from_where_the_card_stopped() {
        let (cert, file) = certificate_file(1300, 0);
        let mut t = ScriptedTransport::new()
            .expect_hex(SELECT_000A, "90 00")
            .expect(&hex("00 B0 00 00 00"), &with_sw(&file[0..256], OK))
            // The card gives 200 of the 256 asked for…
            .expect(&hex("00 B0 01 00 00"), &with_sw(&file[256..456], OK))
            // …so the next read starts at 456 = 0x01C8.
            .expect(&hex("00 B0 01 C8 00"), &with_sw(&file[456..712], OK))
            .expect(&hex("00 B0 02 C8 00"), &with_sw(&file[712..968], OK))
            .expect(&hex("00 B0 03 C8 00"), &with_sw(&file[968..1224], OK))
            .expect(&hex("00 B0 04 C8 4C"), &with_sw(&file[1224..1300], OK));
        assert_eq!(
            block_on(read_certificate(&mut t, Fid(0x000A))).unwrap(),
            cert
        );
        t.assert_finished();

        // An extended read answered short is followed by another extended read of the rest.
        let mut t = ScriptedTransport::new()
            .with_extended_length(true)
            .expect_hex(SELECT_000A, "90 00")
            .expect(&hex("00 B0 00 00 00"), &with_sw(&file[0..256], OK))
            .expect(&hex("00 B0 01 00 00 04 14"), &with_sw(&file[256..1000], OK))
            .expect(
                &hex("00 B0 03 E8 00 01 2C"),
                &with_sw(&file[1000..1300], OK),
            );
        assert_eq!(
            block_on(read_certificate(&mut t, Fid(0x000A))).unwrap(),
            cert
        );
        t.assert_finished();
    }

    #[test]
    fn certificate_reads_through_61xx_and_6cxx() {
        let (cert, file) = certificate_file(300, 0);
        let mut t = ScriptedTransport::new()
            .expect_hex(SELECT_000A, "90 00")
            .expect_hex("00 B0 00 00 00", "61 00")
            .expect(&hex("00 C0 00 00 00"), &with_sw(&file[..256], OK))
            .expect_hex("00 B0 01 00 2C", "6C 2C")
            .expect(&hex("00 B0 01 00 2C"), &with_sw(&file[256..], OK));
        assert_eq!(
            block_on(read_certificate(&mut t, Fid(0x000A))).unwrap(),
            cert
        );
        t.assert_finished();
    }

    #[test]
    fn end_of_file_6282_with_the_last_bytes_is_success() {
        // A 200-byte certificate in a 200-byte EF: Le = 256 runs past the end.
        let mut cert = vec![0x30, 0x81, 0xC5];
        cert.extend((0..0xC5).map(|i| i as u8));
        let mut t = ScriptedTransport::new()
            .expect_hex(SELECT_000A, "90 00")
            .expect(&hex("00 B0 00 00 00"), &with_sw(&cert, &hex("62 82")));
        assert_eq!(
            block_on(read_certificate(&mut t, Fid(0x000A))).unwrap(),
            cert
        );
        assert_eq!(t.sent().len(), 2);
        t.assert_finished();
    }

    #[test]
    fn a_file_shorter_than_its_certificate_is_truncated() {
        let (_, file) = certificate_file(1300, 0);
        // 6282 with some data, before the declared end.
        let mut t = ScriptedTransport::new()
            .expect_hex(SELECT_000A, "90 00")
            .expect(&hex("00 B0 00 00 00"), &with_sw(&file[..256], OK))
            .expect(
                &hex("00 B0 01 00 00"),
                &with_sw(&file[256..300], &hex("62 82")),
            );
        assert_eq!(
            block_on(read_certificate(&mut t, Fid(0x000A))),
            Err(JpkiError::CertificateTruncated {
                expected: 1300,
                read: 300
            })
        );
        t.assert_finished();

        // 6B00: the offset is already past the end of the EF.
        let mut t = ScriptedTransport::new()
            .expect_hex(SELECT_000A, "90 00")
            .expect(&hex("00 B0 00 00 00"), &with_sw(&file[..256], OK))
            .expect_hex("00 B0 01 00 00", "6B 00");
        assert_eq!(
            block_on(read_certificate(&mut t, Fid(0x000A))),
            Err(JpkiError::CertificateTruncated {
                expected: 1300,
                read: 256
            })
        );
        t.assert_finished();

        // An empty 9000 answer would otherwise loop forever.
        let mut t = ScriptedTransport::new()
            .expect_hex(SELECT_000A, "90 00")
            .expect(&hex("00 B0 00 00 00"), &with_sw(&file[..256], OK))
            .expect_hex("00 B0 01 00 00", "90 00");
        assert!(matches!(
            block_on(read_certificate(&mut t, Fid(0x000A))),
            Err(JpkiError::CertificateTruncated { read: 256, .. })
        ));
        t.assert_finished();

        // An empty EF: 6B00 at offset 0.
        let mut t = ScriptedTransport::new()
            .expect_hex(SELECT_000A, "90 00")
            .expect_hex("00 B0 00 00 00", "6B 00");
        assert_eq!(
            block_on(read_certificate(&mut t, Fid(0x000A))),
            Err(JpkiError::CertificateTruncated {
                expected: 2,
                read: 0
            })
        );
        t.assert_finished();
    }

    #[test]
    fn other_read_statuses_are_unexpected() {
        let mut t = ScriptedTransport::new()
            .expect_hex(SELECT_000A, "90 00")
            .expect_hex("00 B0 00 00 00", "69 82");
        assert_eq!(
            block_on(read_certificate(&mut t, Fid(0x000A))),
            Err(JpkiError::UnexpectedStatus {
                sw: StatusWord::SECURITY_STATUS_NOT_SATISFIED,
                during: Operation::ReadBinary
            })
        );
    }

    #[test]
    fn der_headers_are_parsed_strictly() {
        let ok = [
            ("30 82 05 74", 1400),
            ("30 82 01 00", 260),
            ("30 81 C5", 200),
            ("30 81 80", 131),
            ("30 7F", 129),
            ("30 00", 2),
        ];
        for (head, total) in ok {
            assert_eq!(certificate_length(&hex(head)), Ok(total), "{head}");
        }
        let cases = [
            ("FF FF FF FF", JpkiError::UnexpectedTag { tag: 0xFF }),
            ("31 82 05 74", JpkiError::UnexpectedTag { tag: 0x31 }),
            ("30 80 00 00", JpkiError::MalformedLength),
            ("30 81 7F", JpkiError::MalformedLength),
            ("30 82 00 FF", JpkiError::MalformedLength),
            ("30 83 00 1F FC", JpkiError::MalformedLength),
            ("30 85 01 00 00 00 00", JpkiError::MalformedLength),
            ("30 FF", JpkiError::MalformedLength),
            (
                "30 82 1F FD",
                JpkiError::CertificateTooLarge {
                    declared: 0x1FFD + 4,
                    max: 8192,
                },
            ),
            (
                "30 83 01 00 00",
                JpkiError::CertificateTooLarge {
                    declared: 0x10000 + 5,
                    max: 8192,
                },
            ),
            (
                "30 84 FF FF FF FF",
                JpkiError::CertificateTooLarge {
                    declared: 0xFFFF_FFFF + 6,
                    max: 8192,
                },
            ),
            (
                "",
                JpkiError::CertificateTruncated {
                    expected: 2,
                    read: 0,
                },
            ),
            (
                "30",
                JpkiError::CertificateTruncated {
                    expected: 2,
                    read: 1,
                },
            ),
            (
                "30 82 05",
                JpkiError::CertificateTruncated {
                    expected: 4,
                    read: 3,
                },
            ),
        ];
        for (head, error) in cases {
            assert_eq!(certificate_length(&hex(head)), Err(error), "{head}");
        }
        assert_eq!(
            certificate_length(&hex("30 82 1F FC")),
            Ok(MAX_CERTIFICATE_LEN)
        );
    }

    #[test]
    fn a_malformed_header_stops_after_the_first_read() {
        let mut first = hex("30 80");
        first.resize(256, 0xAB);
        let mut t = ScriptedTransport::new()
            .with_extended_length(true)
            .expect_hex(SELECT_000A, "90 00")
            .expect(&hex("00 B0 00 00 00"), &with_sw(&first, OK));
        assert_eq!(
            block_on(read_certificate(&mut t, Fid(0x000A))),
            Err(JpkiError::MalformedLength)
        );
        t.assert_finished();

        let mut first = hex("30 82 40 00");
        first.resize(256, 0xAB);
        let mut t = ScriptedTransport::new()
            .expect_hex(SELECT_000A, "90 00")
            .expect(&hex("00 B0 00 00 00"), &with_sw(&first, OK));
        assert!(matches!(
            block_on(read_certificate(&mut t, Fid(0x000A))),
            Err(JpkiError::CertificateTooLarge { .. })
        ));
        t.assert_finished();
    }

    // ---- token info -----------------------------------------------------------------------

    fn token_info_card(label: &[u8], sw: &str) -> ScriptedTransport {
        ScriptedTransport::new()
            .expect_hex(SELECT_AP, "90 00")
            .expect_hex(SELECT_0006, "90 00")
            .expect(&hex("00 B0 00 00 20"), &with_sw(label, &hex(sw)))
    }

    #[test]
    fn token_info_names_the_card() {
        let mut label = b"JPKIAPICCTOKEN2".to_vec();
        label.resize(32, b' ');
        let mut t = token_info_card(&label, "90 00");
        let info = block_on(read_token_info(&mut t)).unwrap();
        assert_eq!(info.label, "JPKIAPICCTOKEN2");
        assert_eq!(info.kind, TokenKind::MyNumberCard);
        assert_eq!(t.sent().len(), 3);
        t.assert_finished();

        let mut label = b"JPKIAPICCTOKEN".to_vec();
        label.resize(32, b' ');
        let mut t = token_info_card(&label, "90 00");
        assert_eq!(
            block_on(read_token_info(&mut t)).unwrap().kind,
            TokenKind::JukiCard
        );

        let mut t = token_info_card(b"SOMEOTHERTOKEN\0\0", "62 82");
        let info = block_on(read_token_info(&mut t)).unwrap();
        assert_eq!(info.label, "SOMEOTHERTOKEN");
        assert_eq!(info.kind, TokenKind::Unknown);

        let info = TokenInfo::from_label_bytes(&[0xFF; 40]);
        assert_eq!(info.kind, TokenKind::Unknown);
        assert_eq!(info.label.chars().count(), 32);
        assert_eq!(TokenInfo::from_label_bytes(b"").label, "");
    }

    // ---- PIN ------------------------------------------------------------------------------

    fn pin_status_card(sw: &str) -> ScriptedTransport {
        ScriptedTransport::new()
            .expect_hex(SELECT_0018, "90 00")
            .expect_hex(PIN_STATUS, sw)
    }

    #[test]
    fn pin_status_reads_every_answer_without_using_a_try() {
        let not_verified = |remaining| PinStatus {
            remaining,
            blocked: false,
            verified: false,
        };
        let blocked = PinStatus {
            remaining: 0,
            blocked: true,
            verified: false,
        };
        let cases = [
            ("63 C3", not_verified(3)),
            ("63 C2", not_verified(2)),
            ("63 C1", not_verified(1)),
            ("63 C0", blocked),
            ("69 84", blocked),
            ("69 83", blocked),
            (
                "90 00",
                PinStatus {
                    remaining: 3,
                    blocked: false,
                    verified: true,
                },
            ),
        ];
        for (sw, status) in cases {
            let mut t = pin_status_card(sw);
            assert_eq!(block_on(auth_pin_status(&mut t)), Ok(status), "{sw}");
            // Nothing but the SELECT carries data: no PIN, so no try is used.
            assert_eq!(t.sent()[1], hex(PIN_STATUS));
            t.assert_finished();
        }
        assert!(not_verified(1).is_last_attempt());
        assert!(!not_verified(2).is_last_attempt());
        assert!(!blocked.is_last_attempt());

        let mut t = pin_status_card("67 00");
        assert_eq!(
            block_on(auth_pin_status(&mut t)),
            Err(JpkiError::UnexpectedStatus {
                sw: StatusWord::WRONG_LENGTH,
                during: Operation::PinStatus
            })
        );
        let mut t = ScriptedTransport::new().expect_hex(SELECT_0018, "6A 82");
        assert_eq!(
            block_on(auth_pin_status(&mut t)),
            Err(JpkiError::FileNotFound { fid: Fid(0x0018) })
        );
    }

    fn verify_card(sw: &str) -> ScriptedTransport {
        ScriptedTransport::new()
            .expect_hex(SELECT_0018, "90 00")
            .expect_hex(VERIFY_1234, sw)
    }

    #[test]
    fn verify_sends_exactly_one_verify_and_maps_every_answer() {
        let pin = Pin::auth("1234").unwrap();
        let cases = [
            ("90 00", Ok(())),
            ("63 C2", Err(JpkiError::PinIncorrect { remaining: 2 })),
            ("63 C1", Err(JpkiError::PinIncorrect { remaining: 1 })),
            ("63 C0", Err(JpkiError::PinIncorrect { remaining: 0 })),
            ("69 84", Err(JpkiError::PinBlocked)),
            ("69 83", Err(JpkiError::PinBlocked)),
            (
                "69 85",
                Err(JpkiError::UnexpectedStatus {
                    sw: StatusWord::CONDITIONS_NOT_SATISFIED,
                    during: Operation::Verify,
                }),
            ),
            // 6Cxx is not resent for a VERIFY: it has no Le, and the PIN goes out once.
            (
                "6C 04",
                Err(JpkiError::UnexpectedStatus {
                    sw: StatusWord(0x6C04),
                    during: Operation::Verify,
                }),
            ),
        ];
        for (sw, expected) in cases {
            let mut t = verify_card(sw);
            assert_eq!(block_on(verify_auth_pin(&mut t, &pin)), expected, "{sw}");
            let verifies = t.sent().iter().filter(|c| c[1] == 0x20).count();
            assert_eq!(verifies, 1, "{sw}");
            t.assert_finished();
        }

        let mut t = ScriptedTransport::new()
            .expect_hex(SELECT_0018, "90 00")
            .expect_error(
                &hex(VERIFY_1234),
                TransportError::new(TransportErrorKind::CardRemoved, "removed"),
            );
        assert!(matches!(
            block_on(verify_auth_pin(&mut t, &pin)),
            Err(JpkiError::Transport(_))
        ));
        t.assert_finished();
    }

    #[test]
    fn the_consented_check_sends_the_pin_once_and_only_when_it_may() {
        let pin = Pin::auth("1234").unwrap();
        // (tries left answer, consent, the PIN's answer if it is sent, expected)
        type Case = (
            &'static str,
            bool,
            Option<&'static str>,
            Result<(), JpkiError>,
        );
        let cases: [Case; 8] = [
            ("63 C3", false, Some("90 00"), Ok(())),
            (
                "63 C2",
                false,
                Some("63 C1"),
                Err(JpkiError::PinIncorrect { remaining: 1 }),
            ),
            (
                "63 C1",
                false,
                None,
                Err(JpkiError::LastAttemptNeedsConsent),
            ),
            ("63 C1", true, Some("90 00"), Ok(())),
            (
                "63 C1",
                true,
                Some("63 C0"),
                Err(JpkiError::PinIncorrect { remaining: 0 }),
            ),
            ("63 C0", true, None, Err(JpkiError::PinBlocked)),
            ("69 84", true, None, Err(JpkiError::PinBlocked)),
            // Verified earlier in this card session: the holder still proves the PIN now.
            ("90 00", false, Some("90 00"), Ok(())),
        ];
        for (status, consent, answer, expected) in cases {
            let mut t = pin_status_card(status);
            if let Some(answer) = answer {
                t = t.expect_hex(VERIFY_1234, answer);
            }
            let result = block_on(verify_auth_pin_with_consent(&mut t, &pin, consent));
            assert_eq!(result, expected, "{status} consent={consent}");
            let with_pin = t
                .sent()
                .iter()
                .filter(|c| c[1] == 0x20 && c.len() > 4)
                .count();
            assert_eq!(with_pin, usize::from(answer.is_some()), "{status}");
            assert_eq!(t.sent().len(), 2 + usize::from(answer.is_some()));
            t.assert_finished();
        }
    }

    #[test]
    fn pins_are_exactly_four_ascii_digits() {
        assert!(Pin::auth("1234").is_ok());
        assert!(Pin::auth("0000").is_ok());
        for (bad, error) in [
            (
                "",
                PinError::WrongLength {
                    expected: 4,
                    actual: 0,
                },
            ),
            (
                "123",
                PinError::WrongLength {
                    expected: 4,
                    actual: 3,
                },
            ),
            (
                "12345",
                PinError::WrongLength {
                    expected: 4,
                    actual: 5,
                },
            ),
            ("12a4", PinError::NotDigits),
            (" 123", PinError::NotDigits),
            ("１２３４", PinError::NotDigits),
            ("12.4", PinError::NotDigits),
        ] {
            assert_eq!(Pin::auth(bad).unwrap_err(), error, "{bad:?}");
        }
    }

    #[test]
    fn debug_never_shows_pin_digits() {
        let pin = Pin::auth("9876").unwrap();
        let text = format!("{pin:?}");
        assert!(!text.contains("9876") && !text.contains('9'), "{text}");
        let cmd = Command::verify(MY_NUMBER_CARD.current_ef_reference, pin.as_bytes());
        let text = format!("{cmd:?}");
        assert!(!text.contains("9876") && !text.contains("39 38"), "{text}");
        let text = format!("{}", Pin::auth("98a6").unwrap_err());
        assert!(!text.contains("98"), "{text}");
    }

    // ---- signing --------------------------------------------------------------------------

    fn sign_command() -> Vec<u8> {
        let d = digest_info();
        [hex("80 2A 00 80 33"), d, vec![0x00]].concat()
    }

    #[test]
    fn sign_returns_the_256_byte_signature() {
        let signature: Vec<u8> = (0..256).map(|i| i as u8).collect();
        let mut t = ScriptedTransport::new()
            .expect_hex(SELECT_0017, "90 00")
            .expect(&sign_command(), &with_sw(&signature, OK));
        assert_eq!(
            block_on(sign_with_auth_key(&mut t, &digest_info())).unwrap(),
            signature
        );
        assert_eq!(t.sent().len(), 2);
        t.assert_finished();

        // T=0 style: the signature comes through GET RESPONSE.
        let mut t = ScriptedTransport::new()
            .expect_hex(SELECT_0017, "90 00")
            .expect(&sign_command(), &hex("61 00"))
            .expect(&hex("00 C0 00 00 00"), &with_sw(&signature, OK));
        assert_eq!(
            block_on(sign_with_auth_key(&mut t, &digest_info())).unwrap(),
            signature
        );
        t.assert_finished();
    }

    #[test]
    fn sign_maps_6982_and_other_failures() {
        let mut t = ScriptedTransport::new()
            .expect_hex(SELECT_0017, "90 00")
            .expect(&sign_command(), &hex("69 82"));
        assert_eq!(
            block_on(sign_with_auth_key(&mut t, &digest_info())),
            Err(JpkiError::SecurityStatusNotSatisfied)
        );
        t.assert_finished();

        let mut t = ScriptedTransport::new()
            .expect_hex(SELECT_0017, "90 00")
            .expect(&sign_command(), &with_sw(&[1; 128], OK));
        assert_eq!(
            block_on(sign_with_auth_key(&mut t, &digest_info())),
            Err(JpkiError::UnexpectedSignatureLength {
                expected: 256,
                actual: 128
            })
        );

        let mut t = ScriptedTransport::new()
            .expect_hex(SELECT_0017, "90 00")
            .expect(&sign_command(), &hex("6A 80"));
        assert_eq!(
            block_on(sign_with_auth_key(&mut t, &digest_info())),
            Err(JpkiError::UnexpectedStatus {
                sw: StatusWord::WRONG_DATA,
                during: Operation::ComputeSignature
            })
        );

        let mut t = ScriptedTransport::new().expect_hex(SELECT_0017, "6A 82");
        assert_eq!(
            block_on(sign_with_auth_key(&mut t, &digest_info())),
            Err(JpkiError::FileNotFound { fid: Fid(0x0017) })
        );
    }

    #[test]
    fn sign_refuses_bad_digest_info_lengths_before_sending_anything() {
        for len in [0, 246, 300] {
            let mut t = ScriptedTransport::new();
            assert_eq!(
                block_on(sign_with_auth_key(&mut t, &vec![0; len])),
                Err(JpkiError::InvalidDigestInfoLength { len, max: 245 })
            );
            assert!(t.sent().is_empty());
        }
    }

    // ---- a whole authentication -----------------------------------------------------------

    #[test]
    fn pin_authentication_is_six_apdus() {
        let signature = vec![0x42; 256];
        let mut t = ScriptedTransport::new()
            .expect_hex(SELECT_AP, "90 00")
            .expect_hex(SELECT_0018, "90 00")
            .expect_hex(PIN_STATUS, "63 C3")
            .expect_hex(VERIFY_1234, "90 00")
            .expect_hex(SELECT_0017, "90 00")
            .expect(&sign_command(), &with_sw(&signature, OK));
        let pin = Pin::auth("1234").unwrap();
        let result = block_on(async {
            select_jpki_ap(&mut t).await?;
            verify_auth_pin_with_consent(&mut t, &pin, false).await?;
            sign_with_auth_key(&mut t, &digest_info()).await
        });
        assert_eq!(result.unwrap(), signature);
        assert_eq!(t.sent().len(), 6);
        t.assert_finished();
    }
}
