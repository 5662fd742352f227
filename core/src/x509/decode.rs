//! What certificates and CRLs share in decoding: a signed structure read from exactly the
//! given bytes together with the received bytes its signature covers, the "each extension
//! once" rule, and serial numbers as hex.

use const_oid::ObjectIdentifier;
use der::{Decode, Reader, SliceReader};
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

/// A decode failure of [`decode_exact`].
pub(super) enum ExactError {
    Der(der::Error),
    Trailing(usize),
}

impl ExactError {
    pub(super) fn into_cert_error(self) -> CertificateError {
        match self {
            Self::Der(e) => CertificateError::Malformed(e),
            Self::Trailing(count) => CertificateError::TrailingBytes { count },
        }
    }

    pub(super) fn into_crl_error(self) -> CrlError {
        match self {
            Self::Der(e) => CrlError::Malformed(e),
            Self::Trailing(count) => CrlError::TrailingBytes { count },
        }
    }
}

impl From<der::Error> for ExactError {
    fn from(e: der::Error) -> Self {
        Self::Der(e)
    }
}

/// Decodes a signed structure `SEQUENCE { tbs, algorithm, signature }` from exactly `der`,
/// returning it and the **received** bytes of its first element (what the signature covers;
/// re-encoding could differ from what was signed).
pub(super) fn decode_exact<'a, T: Decode<'a>>(der: &'a [u8]) -> Result<(T, Vec<u8>), ExactError> {
    let mut reader = SliceReader::new(der)?;
    let value = T::decode(&mut reader)?;
    let rest = usize::try_from(reader.remaining_len())
        .map_err(|_| der::Error::from(der::ErrorKind::Overflow))?;
    if rest != 0 {
        return Err(ExactError::Trailing(rest));
    }
    // `value` decoded, so `der` is SEQUENCE { tbs, … }: skip the outer header, take the first TLV.
    let mut outer = SliceReader::new(der)?;
    der::Header::decode(&mut outer)?;
    let tbs = outer.tlv_bytes()?.to_vec();
    Ok((value, tbs))
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
