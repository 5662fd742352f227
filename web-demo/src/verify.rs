//! Certificate and signature checks for confirmations, on `myna_core::x509` and
//! `myna_core::auth`, and the mapping of their failures to the service's error codes.
//!
//! PIN mode: the certificate chains to a configured trust anchor at the current time
//! (leaf, intermediates-free path: the card's auth certificate is issued directly by the
//! 利用者証明用 CA), has the JPKI user-authentication profile (keyUsage digitalSignature,
//! EKU clientAuth, policy `1.2.392.200149.8.5.1.0.30`, RSA ≥ 2048, not a CA), and its key
//! verifies the card's RS256 signature over `auth_message(origin, nonce)`. Visual mode: the
//! same certificate checks, no signature. Revocation is checked by the caller against the
//! `revoked_serials` table (seeded from the CA's CRL, extended by the admin command).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use myna_core::x509::{self, CertificateInfo, ChainError, TrustAnchor};
use time::OffsetDateTime;

use crate::errors::ErrorCode;

/// Why trust anchors could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustAnchorError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file is neither a DER nor a PEM certificate.
    #[error("{path}: not a DER or PEM X.509 certificate: {reason}")]
    NotACertificate {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        reason: String,
    },
    /// No anchors.
    #[error("no trust anchors")]
    Empty,
}

/// The certificates a confirmation's certificate must chain to.
#[derive(Debug, Clone)]
pub struct TrustAnchors {
    anchors: Arc<Vec<TrustAnchor>>,
}

impl TrustAnchors {
    /// Anchors from DER certificates.
    pub fn from_der<'a>(
        ders: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<Self, TrustAnchorError> {
        let anchors = ders
            .into_iter()
            .map(|der| {
                TrustAnchor::from_der(der).map_err(|e| TrustAnchorError::NotACertificate {
                    path: PathBuf::from("<embedded>"),
                    reason: e.to_string(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(anchors)
    }

    /// Anchors from files, each a DER or PEM (`-----BEGIN CERTIFICATE-----`) certificate.
    pub fn from_files(paths: &[PathBuf]) -> Result<Self, TrustAnchorError> {
        let anchors = paths
            .iter()
            .map(|path| load_file(path))
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(anchors)
    }

    fn new(anchors: Vec<TrustAnchor>) -> Result<Self, TrustAnchorError> {
        if anchors.is_empty() {
            return Err(TrustAnchorError::Empty);
        }
        Ok(Self {
            anchors: Arc::new(anchors),
        })
    }

    /// The anchors.
    pub fn as_slice(&self) -> &[TrustAnchor] {
        &self.anchors
    }
}

fn load_file(path: &Path) -> Result<TrustAnchor, TrustAnchorError> {
    let bytes = std::fs::read(path).map_err(|source| TrustAnchorError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let not_a_certificate = |reason: String| TrustAnchorError::NotACertificate {
        path: path.to_path_buf(),
        reason,
    };
    let der = if bytes.trim_ascii_start().starts_with(b"-----BEGIN") {
        let (label, der) =
            der::pem::decode_vec(&bytes).map_err(|e| not_a_certificate(e.to_string()))?;
        if label != "CERTIFICATE" {
            return Err(not_a_certificate(format!(
                "PEM label {label}, not CERTIFICATE"
            )));
        }
        der
    } else {
        bytes
    };
    TrustAnchor::from_der(&der).map_err(|e| not_a_certificate(e.to_string()))
}

/// A certificate that passed [`check_certificate`].
#[derive(Debug, Clone)]
pub struct CheckedCertificate {
    info: CertificateInfo,
}

impl CheckedCertificate {
    /// The serial in the stored form (upper-case hex, see [`crate::store::normalize_serial`]).
    pub fn serial(&self) -> &str {
        &self.info.serial
    }

    /// notAfter.
    pub fn not_after(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(self.info.not_after)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// What the certificate says.
    pub fn info(&self) -> &CertificateInfo {
        &self.info
    }
}

/// Checks a card's user-authentication certificate at `now`: it parses, chains to one of
/// `anchors` within its validity, and has the JPKI auth profile.
pub fn check_certificate(
    anchors: &TrustAnchors,
    der: &[u8],
    now: OffsetDateTime,
) -> Result<CheckedCertificate, ErrorCode> {
    let path = x509::verify_chain(der, &[], anchors.as_slice(), now.unix_timestamp())
        .map_err(|err| chain_error_code(&err))?;
    let info = path.leaf().clone();
    info.check_jpki_auth().map_err(|err| {
        tracing::info!(%err, "certificate profile refused");
        ErrorCode::CertificateProfile
    })?;
    Ok(CheckedCertificate { info })
}

/// The error code for a chain failure: the leaf's own validity gets its own codes;
/// anything wrong further up means the certificate is not trusted.
pub fn chain_error_code(err: &ChainError) -> ErrorCode {
    tracing::info!(%err, "certificate chain refused");
    match err {
        ChainError::Leaf(_) => ErrorCode::CertificateMalformed,
        ChainError::Expired { depth: 0, .. } => ErrorCode::CertificateExpired,
        ChainError::NotYetValid { depth: 0, .. } => ErrorCode::CertificateNotYetValid,
        ChainError::UnsupportedCriticalExtension { depth: 0, .. } => ErrorCode::CertificateProfile,
        ChainError::NoTrustAnchors => ErrorCode::Internal,
        _ => ErrorCode::UntrustedCertificate,
    }
}

/// Checks the card's RS256 signature over the authentication message for `origin` and
/// `nonce` with the certificate's key.
pub fn check_signature(
    certificate: &CheckedCertificate,
    origin: &str,
    nonce: &str,
    signature: &[u8],
) -> Result<(), ErrorCode> {
    myna_core::auth::verify_auth_signature(&certificate.info, origin, nonce, signature).map_err(
        |err| match err {
            myna_core::auth::AuthError::Signature(_) => ErrorCode::BadSignature,
            _ => ErrorCode::BadRequest,
        },
    )
}

/// A nonce must look like one this service issues (base64url, 43–128 characters).
pub fn check_nonce_syntax(nonce: &str) -> Result<(), ErrorCode> {
    myna_core::auth::validate_nonce(nonce).map_err(|_| ErrorCode::BadRequest)
}

/// An origin must be an ASCII serialised web origin (`https://host[:port]`).
pub fn check_origin_syntax(origin: &str) -> Result<(), ErrorCode> {
    myna_core::auth::validate_origin(origin).map_err(|_| ErrorCode::BadRequest)
}

/// A 保険者番号 with a valid check digit; returns its normalised digits.
pub fn check_insurer_number(input: &str) -> Result<String, ErrorCode> {
    myna_core::identifiers::InsurerNumber::parse(input)
        .map(|n| n.as_str().to_owned())
        .map_err(|_| ErrorCode::InvalidInsurerNumber)
}

/// Standard base64 with or without padding (what the bridge sends), at most `max` bytes
/// decoded.
pub fn decode_base64(text: &str, max: usize) -> Option<Vec<u8>> {
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    if text.len() > max.div_ceil(3) * 4 + 4 {
        return None;
    }
    let bytes = LENIENT.decode(text.trim()).ok()?;
    (!bytes.is_empty() && bytes.len() <= max).then_some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_is_bounded_and_lenient_about_padding() {
        assert_eq!(decode_base64("AQID", 3), Some(vec![1, 2, 3]));
        assert_eq!(decode_base64("AQI=", 3), Some(vec![1, 2]));
        assert_eq!(decode_base64("AQI", 3), Some(vec![1, 2]));
        assert_eq!(decode_base64("AQIDBA==", 3), None);
        assert_eq!(decode_base64("", 3), None);
        assert_eq!(decode_base64("!!!!", 3), None);
    }

    #[test]
    fn insurer_numbers_need_their_check_digit() {
        assert_eq!(check_insurer_number("  138057"), Ok("138057".to_owned()));
        assert_eq!(check_insurer_number("01130012"), Ok("01130012".to_owned()));
        assert_eq!(
            check_insurer_number("01130013"),
            Err(ErrorCode::InvalidInsurerNumber)
        );
        assert_eq!(
            check_insurer_number("0113"),
            Err(ErrorCode::InvalidInsurerNumber)
        );
    }
}
