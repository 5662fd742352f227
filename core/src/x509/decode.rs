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
    first_repeated(extensions, |e| e.extn_id).map_or(Ok(()), Err)
}

/// The first item whose OID (`id`) an earlier item has, by that OID: the "each extension
/// once" rule over any list of extensions.
pub(super) fn first_repeated<T>(
    items: &[T],
    id: impl Fn(&T) -> ObjectIdentifier,
) -> Option<ObjectIdentifier> {
    items.iter().enumerate().find_map(|(i, item)| {
        let oid = id(item);
        items[..i].iter().any(|e| id(e) == oid).then_some(oid)
    })
}

/// Of a signed structure: the algorithm named inside `tbs`, the one named outside it, and the
/// signature BIT STRING.
pub(super) type SignedFields<'a> = (
    &'a AlgorithmIdentifierOwned,
    &'a AlgorithmIdentifierOwned,
    &'a BitString,
);

/// A signed structure `SEQUENCE { tbs, algorithm, signature }`: a certificate or a CRL.
pub(super) trait Signed {
    fn signed_fields(&self) -> SignedFields<'_>;
}

impl Signed for Certificate {
    fn signed_fields(&self) -> SignedFields<'_> {
        let tbs = &self.tbs_certificate;
        (&tbs.signature, &self.signature_algorithm, &self.signature)
    }
}

impl Signed for CertificateList {
    fn signed_fields(&self) -> SignedFields<'_> {
        let tbs = &self.tbs_cert_list;
        (&tbs.signature, &self.signature_algorithm, &self.signature)
    }
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

/// Both error types name the four failures alike.
macro_rules! from_signed_error {
    ($($error:ident),*) => {$(
        impl From<SignedError> for $error {
            fn from(e: SignedError) -> Self {
                match e {
                    SignedError::Der(e) => Self::Malformed(e),
                    SignedError::Trailing(count) => Self::TrailingBytes { count },
                    SignedError::AlgorithmMismatch => Self::SignatureAlgorithmMismatch,
                    SignedError::BadSignatureEncoding => Self::BadSignatureEncoding,
                }
            }
        }
    )*};
}

from_signed_error!(CertificateError, CrlError);

/// Decodes a signed structure from exactly `der`: no bytes after it, the inner and outer
/// signature algorithms equal (RFC 5280 §4.1.1.2, §5.1.1.2), and a signature of whole bytes.
/// Returns the structure, the **received** bytes of its first element (what the signature
/// covers; re-encoding could differ from what was signed) and the signature bytes.
pub(super) fn decode_signed<'a, T: Decode<'a> + Signed>(
    der: &'a [u8],
) -> Result<(T, Vec<u8>, Vec<u8>), SignedError> {
    let mut reader = SliceReader::new(der)?;
    let value = T::decode(&mut reader)?;
    let rest = usize::try_from(reader.remaining_len())
        .map_err(|_| der::Error::from(der::ErrorKind::Overflow))?;
    if rest != 0 {
        return Err(SignedError::Trailing(rest));
    }
    let (inner_algorithm, outer_algorithm, bits) = value.signed_fields();
    if inner_algorithm != outer_algorithm {
        return Err(SignedError::AlgorithmMismatch);
    }
    let signature = bits
        .as_bytes()
        .ok_or(SignedError::BadSignatureEncoding)?
        .to_vec();
    // `value` decoded, so `der` is SEQUENCE { tbs, … }: skip the outer header, take the first TLV.
    let mut outer = SliceReader::new(der)?;
    der::Header::decode(&mut outer)?;
    let tbs_der = outer.tlv_bytes()?.to_vec();
    Ok((value, tbs_der, signature))
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
