//! Certificate revocation lists: [`Crl::parse`], its issuer's signature, its time window,
//! and "is this serial listed?".

use const_oid::db::rfc5912::{
    ID_CE_AUTHORITY_KEY_IDENTIFIER, ID_CE_CRL_NUMBER, ID_CE_CRL_REASONS,
    ID_CE_ISSUING_DISTRIBUTION_POINT,
};
use der::Decode;
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, CrlNumber};
use x509_cert::name::Name;

use super::certificate::CertificateInfo;
use super::chain::TrustAnchor;
use super::decode::{check_unique, decode_signed, serial_hex};
use super::error::{CrlError, SignatureError};
use super::names::{DistinguishedName, distinguished_name, names_match};
use super::signature::{SignatureAlgorithm, verify_signed};
use super::time::unix_seconds;

/// One entry of a CRL.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RevokedCertificate {
    /// The serial number, in [`CertificateInfo::serial`]'s form.
    pub serial: String,
    /// When it was revoked, unix seconds.
    pub revocation_date: i64,
}

/// A parsed certificate revocation list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Crl {
    /// Who issued it.
    pub issuer: DistinguishedName,
    /// thisUpdate, unix seconds.
    pub this_update: i64,
    /// nextUpdate, unix seconds, if given.
    pub next_update: Option<i64>,
    /// cRLNumber as upper-case hex, if present.
    pub crl_number: Option<String>,
    /// authorityKeyIdentifier's keyIdentifier, if present.
    pub authority_key_id: Option<Vec<u8>>,
    /// Whether it carries an issuingDistributionPoint: it then covers only part of the
    /// issuer's certificates (the real JPKI CRLs are split by municipality), so "not listed"
    /// means "not revoked" only for certificates in its scope.
    pub partitioned: bool,
    /// The signature algorithm.
    pub signature_algorithm: SignatureAlgorithm,
    /// The revoked certificates.
    pub revoked: Vec<RevokedCertificate>,
    tbs_der: Vec<u8>,
    signature: Vec<u8>,
    issuer_name: Name,
}

impl Crl {
    /// Parses a DER CRL. Bytes after it are an error, and so are critical extensions other
    /// than issuingDistributionPoint (delta CRLs and indirect CRLs are not supported).
    pub fn parse(der: &[u8]) -> Result<Self, CrlError> {
        let (list, tbs_der, signature) = decode_signed::<CertificateList>(der)?;
        let tbs = &list.tbs_cert_list;
        let extensions = tbs.crl_extensions.as_deref().unwrap_or_default();
        check_unique(extensions).map_err(|oid| CrlError::DuplicateExtension { oid })?;
        let mut crl = Self {
            issuer: distinguished_name(&tbs.issuer),
            this_update: unix_seconds(&tbs.this_update),
            next_update: tbs.next_update.as_ref().map(unix_seconds),
            crl_number: None,
            authority_key_id: None,
            partitioned: false,
            signature_algorithm: SignatureAlgorithm::from_identifier(&list.signature_algorithm),
            revoked: Vec::new(),
            tbs_der,
            signature,
            issuer_name: tbs.issuer.clone(),
        };
        for ext in extensions {
            let bad = |source| CrlError::BadExtension {
                oid: ext.extn_id,
                source,
            };
            let value = ext.extn_value.as_bytes();
            match ext.extn_id {
                ID_CE_CRL_NUMBER => {
                    let number = CrlNumber::from_der(value).map_err(bad)?;
                    crl.crl_number = Some(serial_hex(number.0.as_bytes()));
                }
                ID_CE_AUTHORITY_KEY_IDENTIFIER => {
                    crl.authority_key_id = AuthorityKeyIdentifier::from_der(value)
                        .map_err(bad)?
                        .key_identifier
                        .map(|k| k.into_bytes());
                }
                ID_CE_ISSUING_DISTRIBUTION_POINT => crl.partitioned = true,
                oid if ext.critical => return Err(CrlError::UnsupportedCriticalExtension { oid }),
                _ => {}
            }
        }
        for entry in tbs.revoked_certificates.iter().flatten() {
            for ext in entry.crl_entry_extensions.iter().flatten() {
                if ext.critical && ext.extn_id != ID_CE_CRL_REASONS {
                    return Err(CrlError::UnsupportedCriticalExtension { oid: ext.extn_id });
                }
            }
            crl.revoked.push(RevokedCertificate {
                serial: serial_hex(entry.serial_number.as_bytes()),
                revocation_date: unix_seconds(&entry.revocation_date),
            });
        }
        Ok(crl)
    }

    /// Verifies that `issuer` signed this CRL: its subject is the CRL's issuer, its key
    /// usage (if present) allows cRLSign, and the signature verifies with its key.
    pub fn verify_signature(&self, issuer: &TrustAnchor) -> Result<(), CrlError> {
        let cert = &issuer.certificate;
        if !names_match(&self.issuer_name, &cert.subject_name) {
            return Err(CrlError::IssuerMismatch);
        }
        if cert.key_usage.is_some_and(|k| !k.crl_sign) {
            return Err(CrlError::NotACrlSigner);
        }
        if let SignatureAlgorithm::Other(oid) = self.signature_algorithm {
            return Err(CrlError::UnsupportedSignatureAlgorithm { oid });
        }
        match verify_signed(
            &cert.public_key,
            self.signature_algorithm,
            &self.tbs_der,
            &self.signature,
        ) {
            Ok(()) => Ok(()),
            Err(SignatureError::WeakKey { bits }) => Err(CrlError::WeakKey { bits }),
            Err(_) => Err(CrlError::BadSignature),
        }
    }

    /// Checks that `at_unix` lies within thisUpdate..=nextUpdate.
    pub fn check_time(&self, at_unix: i64) -> Result<(), CrlError> {
        if at_unix < self.this_update {
            return Err(CrlError::NotYetValid {
                this_update: self.this_update,
            });
        }
        match self.next_update {
            Some(next_update) if at_unix > next_update => Err(CrlError::Stale { next_update }),
            _ => Ok(()),
        }
    }

    /// The entry for `serial` (hex, any case, `:` separators and leading zeros allowed), if
    /// listed. A string that is not hex is never listed.
    pub fn entry(&self, serial: &str) -> Option<&RevokedCertificate> {
        let wanted = normalise_serial(serial)?;
        self.revoked.iter().find(|r| r.serial == wanted)
    }

    /// Whether `serial` is listed (see [`Self::entry`]).
    pub fn is_revoked(&self, serial: &str) -> bool {
        self.entry(serial).is_some()
    }

    /// The entry for `certificate`, if this CRL's issuer is its issuer and its serial is
    /// listed.
    pub fn revocation_of(&self, certificate: &CertificateInfo) -> Option<&RevokedCertificate> {
        if !names_match(&self.issuer_name, &certificate.issuer_name) {
            return None;
        }
        self.entry(&certificate.serial)
    }
}

/// `serial` in [`CertificateInfo::serial`]'s form, or `None` if it is not hex.
fn normalise_serial(serial: &str) -> Option<String> {
    let digits: String = serial.chars().filter(|&c| c != ':').collect();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let trimmed = digits.trim_start_matches('0');
    let padded = if trimmed.len() % 2 == 1 {
        format!("0{trimmed}")
    } else {
        trimmed.to_owned()
    };
    Some(if padded.is_empty() {
        "00".to_owned()
    } else {
        padded.to_ascii_uppercase()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_normalisation() {
        assert_eq!(normalise_serial("00bf:cd").as_deref(), Some("BFCD"));
        assert_eq!(normalise_serial("1").as_deref(), Some("01"));
        assert_eq!(normalise_serial("000").as_deref(), Some("00"));
        assert_eq!(normalise_serial("xyz"), None);
        assert_eq!(normalise_serial(""), None);
    }
}
