//! What certificates and CRLs share in decoding: a signed structure read from exactly the
//! given bytes, its algorithms checked, with the received bytes its signature covers; the
//! "each extension once" rule; serial numbers as hex.

use const_oid::ObjectIdentifier;
use der::asn1::BitString;
use der::{Decode, Reader, SliceReader};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_cert::crl::CertificateList;
use x509_cert::ext::Extension;

use super::error::{CertificateError, CrlError};

/// The first duplicated extension OID, if any.
pub(super) fn check_unique(extensions: &[Extension]) -> Result<(), ObjectIdentifier> {
    for (i, ext) in extensions.iter().enumerate() {
        if extensions[..i].iter().any(|e| e.extn_id == ext.extn_id) {
            return Err(ext.extn_id);
        }
    }
    Ok(())
}

/// A certificate or a CRL: a signed structure `SEQUENCE { tbs, algorithm, signature }` whose
/// `tbs` repeats the algorithm.
pub(super) trait Signed {
    /// The algorithm named inside the signed part.
    fn inner_algorithm(&self) -> &AlgorithmIdentifierOwned;
    /// The algorithm named outside it.
    fn outer_algorithm(&self) -> &AlgorithmIdentifierOwned;
    /// The signature BIT STRING.
    fn signature_bits(&self) -> &BitString;
}

impl Signed for Certificate {
    fn inner_algorithm(&self) -> &AlgorithmIdentifierOwned {
        &self.tbs_certificate.signature
    }
    fn outer_algorithm(&self) -> &AlgorithmIdentifierOwned {
        &self.signature_algorithm
    }
    fn signature_bits(&self) -> &BitString {
        &self.signature
    }
}

impl Signed for CertificateList {
    fn inner_algorithm(&self) -> &AlgorithmIdentifierOwned {
        &self.tbs_cert_list.signature
    }
    fn outer_algorithm(&self) -> &AlgorithmIdentifierOwned {
        &self.signature_algorithm
    }
    fn signature_bits(&self) -> &BitString {
        &self.signature
    }
}

/// A decoded signed structure with the bytes its signature is checked on.
pub(super) struct SignedParts<T> {
    /// The structure.
    pub(super) value: T,
    /// The **received** bytes of its first element, what the signature covers (re-encoding
    /// could differ from what was signed).
    pub(super) tbs_der: Vec<u8>,
    /// The signature bytes.
    pub(super) signature: Vec<u8>,
}

/// Why [`decode_signed`] failed, in the order it checks.
pub(super) enum SignedError {
    Der(der::Error),
    Trailing(usize),
    AlgorithmMismatch,
    BadSignatureEncoding,
}

impl From<der::Error> for SignedError {
    fn from(e: der::Error) -> Self {
        Self::Der(e)
    }
}

impl From<SignedError> for CertificateError {
    fn from(e: SignedError) -> Self {
        match e {
            SignedError::Der(e) => Self::Malformed(e),
            SignedError::Trailing(count) => Self::TrailingBytes { count },
            SignedError::AlgorithmMismatch => Self::SignatureAlgorithmMismatch,
            SignedError::BadSignatureEncoding => Self::BadSignatureEncoding,
        }
    }
}

impl From<SignedError> for CrlError {
    fn from(e: SignedError) -> Self {
        match e {
            SignedError::Der(e) => Self::Malformed(e),
            SignedError::Trailing(count) => Self::TrailingBytes { count },
            SignedError::AlgorithmMismatch => Self::SignatureAlgorithmMismatch,
            SignedError::BadSignatureEncoding => Self::BadSignatureEncoding,
        }
    }
}

/// Decodes a signed structure from exactly `der`: no bytes after it, the inner and outer
/// signature algorithms equal (RFC 5280 §4.1.1.2, §5.1.1.2), and a signature of whole bytes.
pub(super) fn decode_signed<'a, T: Decode<'a> + Signed>(
    der: &'a [u8],
) -> Result<SignedParts<T>, SignedError> {
    let mut reader = SliceReader::new(der)?;
    let value = T::decode(&mut reader)?;
    let rest = usize::try_from(reader.remaining_len())
        .map_err(|_| der::Error::from(der::ErrorKind::Overflow))?;
    if rest != 0 {
        return Err(SignedError::Trailing(rest));
    }
    if value.inner_algorithm() != value.outer_algorithm() {
        return Err(SignedError::AlgorithmMismatch);
    }
    let signature = value
        .signature_bits()
        .as_bytes()
        .ok_or(SignedError::BadSignatureEncoding)?
        .to_vec();
    // `value` decoded, so `der` is SEQUENCE { tbs, … }: skip the outer header, take the first TLV.
    let mut outer = SliceReader::new(der)?;
    der::Header::decode(&mut outer)?;
    let tbs_der = outer.tlv_bytes()?.to_vec();
    Ok(SignedParts {
        value,
        tbs_der,
        signature,
    })
}

/// Upper-case hex of a DER INTEGER's bytes without leading zero bytes (at least one byte).
pub(super) fn serial_hex(bytes: &[u8]) -> String {
    let first = bytes
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(bytes.len().saturating_sub(1));
    let bytes = &bytes[first.min(bytes.len())..];
    if bytes.is_empty() {
        return "00".to_owned();
    }
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_hex_strips_the_sign_byte_only() {
        assert_eq!(serial_hex(&[0x00, 0xBF, 0xCD]), "BFCD");
        assert_eq!(serial_hex(&[0x22, 0x7B, 0x13]), "227B13");
        assert_eq!(serial_hex(&[0x00]), "00");
        assert_eq!(serial_hex(&[]), "00");
    }
}
