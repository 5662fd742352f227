//! Reading files: certificates (length from the DER header) and the token-info label.

use super::{
    JpkiError, MAX_CERTIFICATE_LEN, Operation, TOKEN_INFO_LABEL_LEN, exchange, select_ef,
    select_jpki_ap, unexpected,
};
use crate::apdu::Command;
use crate::profile::{ANDROID_PHONE, CardProfile, Fid, MY_NUMBER_CARD, token_label};
use crate::sw::Status;
use crate::transport::Transport;
use crate::wire::Token;

/// The DER tag of a SEQUENCE (a certificate is one).
const DER_SEQUENCE: u8 = 0x30;

/// Which token a token-info label names (the labels: [`token_label`], `docs/phones.md` §1).
///
/// This is the one place a label becomes a kind; [`TokenKind::profile`] gives the card table
/// of a token this project serves, [`TokenKind::wire`] the name pages see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenKind {
    /// `JPKIAPICCTOKEN2`: a My Number Card.
    MyNumberCard,
    /// `JPKIAPICCTOKEN`: an old 住民基本台帳カード.
    JukiCard,
    /// `JPKIAPGPSETOKEN`: an Android phone's スマホ用電子証明書.
    Android,
    /// `JPKIAPIOSTOKEN`: an iPhone. Not served: its applet's behaviour toward a PC/SC reader
    /// is not public (`docs/phones.md` §3).
    Iphone,
    /// Any other label. Never treated as a card.
    Unknown,
}

impl TokenKind {
    /// The kind a label (trailing spaces and NULs already removed) names.
    pub fn of_label(label: &str) -> TokenKind {
        match label {
            token_label::MY_NUMBER_CARD => TokenKind::MyNumberCard,
            token_label::JUKI_CARD => TokenKind::JukiCard,
            token_label::ANDROID => TokenKind::Android,
            token_label::IPHONE => TokenKind::Iphone,
            _ => TokenKind::Unknown,
        }
    }

    /// The card table of a token this project serves: the card or an Android phone. `None`
    /// for an iPhone, a 住基カード and unknown labels (the bridge answers
    /// `token-not-supported` before any PIN is sent).
    pub fn profile(self) -> Option<&'static CardProfile> {
        match self {
            TokenKind::MyNumberCard => Some(&MY_NUMBER_CARD),
            TokenKind::Android => Some(&ANDROID_PHONE),
            TokenKind::JukiCard | TokenKind::Iphone | TokenKind::Unknown => None,
        }
    }

    /// The name pages see (`QualificationResult.token`), for the tokens that have one.
    pub fn wire(self) -> Option<Token> {
        match self {
            TokenKind::MyNumberCard => Some(Token::Card),
            TokenKind::Android => Some(Token::Android),
            TokenKind::Iphone => Some(Token::Iphone),
            TokenKind::JukiCard | TokenKind::Unknown => None,
        }
    }
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
        let kind = TokenKind::of_label(&label);
        TokenInfo { label, kind }
    }

    /// The card table of this token, or [`JpkiError::TokenNotSupported`] for a token this
    /// project does not serve (iPhone, 住基カード, an unknown label).
    pub fn served_profile(&self) -> Result<&'static CardProfile, JpkiError> {
        self.kind
            .profile()
            .ok_or_else(|| JpkiError::TokenNotSupported {
                label: self.label.clone(),
            })
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

/// The token-info label (EF `0006`): `SELECT` JPKI-AP, then [`detect_token`]. 3 APDUs.
pub async fn read_token_info<T: Transport + ?Sized>(
    transport: &mut T,
) -> Result<TokenInfo, JpkiError> {
    select_jpki_ap(transport).await?;
    detect_token(transport).await
}

/// Which token answers as the current JPKI-AP ([`crate::profile::TOKEN_DETECTION`]):
/// `SELECT 0006`, `READ BINARY` of [`TOKEN_INFO_LABEL_LEN`] bytes. 2 APDUs; call
/// [`select_jpki_ap`] first. No PIN is needed on the card, nor (as both peers that serve
/// phones rely on) on an Android phone (`docs/phones.md` §1).
///
/// A shorter file (`6282` with fewer bytes, `6B00`) gives a shorter (possibly empty) label.
pub async fn detect_token<T: Transport + ?Sized>(
    transport: &mut T,
) -> Result<TokenInfo, JpkiError> {
    select_ef(transport, MY_NUMBER_CARD.token_info).await?;
    let chunk = read_chunk(transport, 0, TOKEN_INFO_LABEL_LEN).await?;
    Ok(TokenInfo::from_label_bytes(&chunk.data))
}
