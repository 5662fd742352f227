//! The authentication message: what the card signs to prove "this card, for this web origin,
//! for this challenge". One definition, used by the bridge (which signs) and the eligibility
//! service (which verifies).
//!
//! ```text
//! M = "myna-web auth v1" ‖ 0x00 ‖ SHA-256(origin) ‖ SHA-256(nonce)      (81 bytes)
//! ```
//!
//! - `origin` is the ASCII serialisation of the web origin the **bridge** saw in the
//!   WebSocket handshake (`https://host[:port]`), never one the page claims;
//!   [`validate_origin`] accepts exactly that form.
//! - `nonce` is the exact string the service issued (43–128 base64url characters, at least
//!   256 bits); [`validate_nonce`].
//! - The card is given [`digest_info_sha256`]`(M)`, the DER DigestInfo of SHA-256(M), and
//!   applies PKCS#1 v1.5 type-1 padding to it, so the result is an ordinary RSASSA-PKCS1-v1_5
//!   SHA-256 ("RS256") signature over `M`: [`verify_auth_signature`].
//!
//! Hashing the origin and the nonce gives `M` a fixed layout, so no choice of origin and nonce
//! can be read as another pair; the version string and the zero byte keep these signatures
//! apart from anything else the same key might sign.

use sha2::{Digest, Sha256};

use crate::x509::{PublicKey, SignatureError, verify_rs256};

/// The domain-separation prefix of [`auth_message`].
pub const AUTH_MESSAGE_PREFIX: &[u8] = b"myna-web auth v1";

/// The length of [`auth_message`]'s result: prefix, zero byte, two SHA-256 hashes.
pub const AUTH_MESSAGE_LEN: usize = AUTH_MESSAGE_PREFIX.len() + 1 + 32 + 32;

pub use crate::profile::SHA256_DIGEST_INFO_PREFIX;

/// The length of a SHA-256 DigestInfo: 19 bytes of prefix and the 32-byte hash.
pub const SHA256_DIGEST_INFO_LEN: usize = 51;

/// The shortest accepted nonce, in characters (43 base64url characters carry 256 bits).
pub const NONCE_MIN_LEN: usize = 43;

/// The longest accepted nonce, in characters.
pub const NONCE_MAX_LEN: usize = 128;

/// Why a nonce was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NonceError {
    /// Fewer than [`NONCE_MIN_LEN`] characters.
    #[error("nonce has {len} characters; at least {NONCE_MIN_LEN} are required")]
    TooShort {
        /// The nonce's length.
        len: usize,
    },
    /// More than [`NONCE_MAX_LEN`] characters.
    #[error("nonce has {len} characters; at most {NONCE_MAX_LEN} are allowed")]
    TooLong {
        /// The nonce's length.
        len: usize,
    },
    /// A character outside the base64url alphabet `A–Z a–z 0–9 - _` (no `=` padding).
    #[error("nonce character {position} is not base64url")]
    InvalidCharacter {
        /// Its byte offset.
        position: usize,
    },
}

/// Why an origin was refused. Only the ASCII serialisation of an `https` or `http` origin is
/// accepted: `scheme://host[:port]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OriginError {
    /// The empty string.
    #[error("origin is empty")]
    Empty,
    /// The opaque origin `null` (sandboxed frames, `file:` pages…): it names nobody.
    #[error("the opaque origin \"null\" cannot be authenticated")]
    Opaque,
    /// Not ASCII (an internationalised host must be in its `xn--` form).
    #[error("origin is not ASCII")]
    NotAscii,
    /// Not `https://` or `http://`.
    #[error("origin scheme must be https or http")]
    UnsupportedScheme,
    /// Upper-case letters in the scheme or host (the serialisation is lower-case).
    #[error("origin must be lower-case")]
    NotLowercase,
    /// `user@` or `user:pass@` before the host.
    #[error("origin must not contain user information")]
    HasUserinfo,
    /// A path (even `/`), query or fragment after the host.
    #[error("origin must not have a path, query or fragment (nor a trailing slash)")]
    HasPath,
    /// No host.
    #[error("origin has no host")]
    MissingHost,
    /// A host that is not a lower-case DNS name, a canonical IPv4 address or a bracketed
    /// canonical IPv6 address.
    #[error("origin host is not valid")]
    InvalidHost,
    /// A port that is empty, not decimal, has a leading zero, or is outside 1–65535.
    #[error("origin port is not valid")]
    InvalidPort,
    /// The scheme's default port written out (`:443` for https, `:80` for http): the
    /// serialisation omits it.
    #[error("origin must omit the default port")]
    DefaultPort,
}

/// Why an authentication signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The origin is not a valid serialised origin.
    #[error("origin: {0}")]
    Origin(#[from] OriginError),
    /// The nonce is not a valid nonce.
    #[error("nonce: {0}")]
    Nonce(#[from] NonceError),
    /// The signature does not verify over the message for this origin and nonce.
    #[error("signature: {0}")]
    Signature(#[from] SignatureError),
}

/// `M = "myna-web auth v1" ‖ 0x00 ‖ SHA-256(origin) ‖ SHA-256(nonce)`, [`AUTH_MESSAGE_LEN`]
/// bytes. Builds the bytes for any strings; validate them first with [`validate_origin`] and
/// [`validate_nonce`] (as [`verify_auth_signature`] does).
pub fn auth_message(origin: &str, nonce: &str) -> Vec<u8> {
    let mut message = Vec::with_capacity(AUTH_MESSAGE_LEN);
    message.extend_from_slice(AUTH_MESSAGE_PREFIX);
    message.push(0x00);
    message.extend_from_slice(&Sha256::digest(origin.as_bytes()));
    message.extend_from_slice(&Sha256::digest(nonce.as_bytes()));
    message
}

/// The DER DigestInfo of SHA-256(`message`): [`SHA256_DIGEST_INFO_PREFIX`] then the hash.
/// These are the bytes the card signs (`80 2A 00 80`).
pub fn digest_info_sha256(message: &[u8]) -> [u8; SHA256_DIGEST_INFO_LEN] {
    let mut out = [0u8; SHA256_DIGEST_INFO_LEN];
    out[..SHA256_DIGEST_INFO_PREFIX.len()].copy_from_slice(&SHA256_DIGEST_INFO_PREFIX);
    out[SHA256_DIGEST_INFO_PREFIX.len()..].copy_from_slice(&Sha256::digest(message));
    out
}

/// Checks a nonce: 43–128 characters of base64url (`A–Z a–z 0–9 - _`), no padding.
pub fn validate_nonce(nonce: &str) -> Result<(), NonceError> {
    let len = nonce.len();
    if let Some(position) = nonce
        .bytes()
        .position(|b| !(b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    {
        return Err(NonceError::InvalidCharacter { position });
    }
    if len < NONCE_MIN_LEN {
        return Err(NonceError::TooShort { len });
    }
    if len > NONCE_MAX_LEN {
        return Err(NonceError::TooLong { len });
    }
    Ok(())
}

/// Checks that `origin` is the ASCII serialisation of an `https` or `http` origin, exactly as
/// a browser sends it in the `Origin` header: `scheme://host[:port]`, lower-case, no user
/// information, no path (not even `/`), no query or fragment, no default port. The host is a
/// DNS name of `a–z 0–9 -` labels (1–63 characters, no leading or trailing hyphen, at most
/// 253 characters in all, no trailing dot), a canonical IPv4 address, or a canonical IPv6
/// address in brackets.
pub fn validate_origin(origin: &str) -> Result<(), OriginError> {
    if origin.is_empty() {
        return Err(OriginError::Empty);
    }
    if origin == "null" {
        return Err(OriginError::Opaque);
    }
    if !origin.is_ascii() {
        return Err(OriginError::NotAscii);
    }
    let Some((scheme, rest)) = origin.split_once("://") else {
        return Err(OriginError::UnsupportedScheme);
    };
    let default_port = match scheme {
        "https" => 443,
        "http" => 80,
        s if s.eq_ignore_ascii_case("https") || s.eq_ignore_ascii_case("http") => {
            return Err(OriginError::NotLowercase);
        }
        _ => return Err(OriginError::UnsupportedScheme),
    };
    if rest.contains('@') {
        return Err(OriginError::HasUserinfo);
    }
    if rest.contains(['/', '?', '#']) {
        return Err(OriginError::HasPath);
    }
    let (host, port) = split_host_port(rest)?;
    if host.is_empty() {
        return Err(OriginError::MissingHost);
    }
    if host.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(OriginError::NotLowercase);
    }
    validate_host(host)?;
    if let Some(port) = port {
        let valid = !port.is_empty()
            && port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && !port.starts_with('0');
        let number: u32 = if valid {
            port.parse().map_err(|_| OriginError::InvalidPort)?
        } else {
            return Err(OriginError::InvalidPort);
        };
        if number > 65_535 {
            return Err(OriginError::InvalidPort);
        }
        if number == default_port {
            return Err(OriginError::DefaultPort);
        }
    }
    Ok(())
}

/// Splits `host[:port]` (the host may be a bracketed IPv6 address).
fn split_host_port(rest: &str) -> Result<(&str, Option<&str>), OriginError> {
    if rest.starts_with('[') {
        let end = rest.find(']').ok_or(OriginError::InvalidHost)?;
        let (host, after) = rest.split_at(end + 1);
        return match after {
            "" => Ok((host, None)),
            _ => match after.strip_prefix(':') {
                Some(port) => Ok((host, Some(port))),
                None => Err(OriginError::InvalidHost),
            },
        };
    }
    Ok(match rest.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (rest, None),
    })
}

fn validate_host(host: &str) -> Result<(), OriginError> {
    if let Some(inner) = host.strip_prefix('[') {
        let inner = inner.strip_suffix(']').ok_or(OriginError::InvalidHost)?;
        let address: std::net::Ipv6Addr = inner.parse().map_err(|_| OriginError::InvalidHost)?;
        // The serialisation uses the canonical (RFC 5952) form.
        return if address.to_string() == inner {
            Ok(())
        } else {
            Err(OriginError::InvalidHost)
        };
    }
    if host.len() > 253 {
        return Err(OriginError::InvalidHost);
    }
    let labels: Vec<&str> = host.split('.').collect();
    for label in &labels {
        let ok = (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return Err(OriginError::InvalidHost);
        }
    }
    // A host whose last label is numeric is an IPv4 address (WHATWG URL), and the
    // serialisation writes it in canonical dotted-decimal form.
    let last = labels.last().copied().unwrap_or_default();
    if last.bytes().all(|b| b.is_ascii_digit()) {
        let address: std::net::Ipv4Addr = host.parse().map_err(|_| OriginError::InvalidHost)?;
        if address.to_string() != host {
            return Err(OriginError::InvalidHost);
        }
    }
    Ok(())
}

/// Verifies an authentication signature: validates `origin` and `nonce`, builds
/// [`auth_message`] and checks an RS256 signature over it with `key` (a
/// [`PublicKey`] or a [`crate::x509::CertificateInfo`]). Whether the certificate is
/// trusted, valid and unrevoked is [`crate::x509`]'s question, asked separately.
pub fn verify_auth_signature(
    key: &impl AsRef<PublicKey>,
    origin: &str,
    nonce: &str,
    signature: &[u8],
) -> Result<(), AuthError> {
    validate_origin(origin)?;
    validate_nonce(nonce)?;
    verify_rs256(key, &auth_message(origin, nonce), signature)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_layout() {
        let m = auth_message("https://a.example", &"A".repeat(43));
        assert_eq!(m.len(), AUTH_MESSAGE_LEN);
        assert_eq!(AUTH_MESSAGE_LEN, 81);
        assert_eq!(&m[..16], b"myna-web auth v1");
        assert_eq!(m[16], 0);
    }

    #[test]
    fn digest_info_has_the_der_prefix() {
        let d = digest_info_sha256(b"abc");
        assert_eq!(d[..19], SHA256_DIGEST_INFO_PREFIX);
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(
            d[19..],
            [
                0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae,
                0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61,
                0xf2, 0x00, 0x15, 0xad
            ]
        );
    }
}
