//! One certificate: [`parse_certificate`] and what it yields ([`CertificateInfo`]), and the
//! JPKI user-authentication profile check.
//!
//! cRLDistributionPoints and authorityKeyIdentifier are kept as their DER and decoded by their
//! accessors ([`CertificateInfo::crl_distribution_points`],
//! [`CertificateInfo::authority_key_id`]). [`parse_certificate`] decodes both while it parses,
//! so it refuses a certificate whose CRL DP or AKI is malformed; [`parse_certificate_lazy`]
//! does not, so a caller that never asks for them does not link the `GeneralName` decoders
//! (−11.8 KB gzipped in the browser module, docs/benchmarks.md). The browser module now reads
//! neither: its `parseCertificate` uses [`parse_certificate_view`](super::parse_certificate_view),
//! which refuses what the lazy parse refuses and is held to it by tests and fuzzing.

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5280::ID_KP_CLIENT_AUTH;
use const_oid::db::rfc5912::{
    ID_CE_AUTHORITY_KEY_IDENTIFIER, ID_CE_BASIC_CONSTRAINTS, ID_CE_CERTIFICATE_POLICIES,
    ID_CE_CRL_DISTRIBUTION_POINTS, ID_CE_EXT_KEY_USAGE, ID_CE_ISSUER_ALT_NAME, ID_CE_KEY_USAGE,
    ID_CE_SUBJECT_ALT_NAME, ID_CE_SUBJECT_KEY_IDENTIFIER, ID_PE_AUTHORITY_INFO_ACCESS,
};
use der::{Decode, Encode};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints as PkixBasicConstraints, CertificatePolicies,
    CrlDistributionPoints, ExtendedKeyUsage, KeyUsage as PkixKeyUsage, SubjectKeyIdentifier,
};
use x509_cert::name::Name;

use super::decode::{check_unique, decode_signed, serial_hex};
use super::error::{CertificateError, JpkiProfileError, SignatureError};
use super::names::{DistinguishedName, distinguished_name, names_match};
use super::signature::{KeyKind, PublicKey, SignatureAlgorithm, verify_rs256};
use super::time::{iso8601_utc, unix_seconds};
use super::{JPKI_AUTH_POLICY, MIN_RSA_BITS};

/// A certificate's key usage bits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyUsage {
    /// digitalSignature (the JPKI auth key's only usage)
    pub digital_signature: bool,
    /// nonRepudiation / contentCommitment
    pub non_repudiation: bool,
    /// keyEncipherment
    pub key_encipherment: bool,
    /// dataEncipherment
    pub data_encipherment: bool,
    /// keyAgreement
    pub key_agreement: bool,
    /// keyCertSign
    pub key_cert_sign: bool,
    /// cRLSign
    pub crl_sign: bool,
    /// encipherOnly
    pub encipher_only: bool,
    /// decipherOnly
    pub decipher_only: bool,
}

impl KeyUsage {
    /// From the keyUsage BIT STRING's bits, bit 0 (digitalSignature) the lowest; bits after
    /// decipherOnly (8) are ignored, as `x509-cert` ignores them.
    pub(super) fn from_bits(bits: u16) -> Self {
        let bit = |i: u16| bits & (1 << i) != 0;
        Self {
            digital_signature: bit(0),
            non_repudiation: bit(1),
            key_encipherment: bit(2),
            data_encipherment: bit(3),
            key_agreement: bit(4),
            key_cert_sign: bit(5),
            crl_sign: bit(6),
            encipher_only: bit(7),
            decipher_only: bit(8),
        }
    }
}

/// basicConstraints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BasicConstraints {
    /// cA
    pub ca: bool,
    /// pathLenConstraint
    pub path_len: Option<u8>,
}

/// Where a CRL can be found (one name of a distribution point).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CrlLocation {
    /// A directory name (the JPKI cards' form).
    Directory(DistinguishedName),
    /// A URI.
    Uri(String),
    /// Some other name form, or a distribution point given only relative to the issuer.
    Other,
}

impl AsRef<PublicKey> for CertificateInfo {
    fn as_ref(&self) -> &PublicKey {
        &self.public_key
    }
}

/// What a certificate says, decoded. Built by [`parse_certificate`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CertificateInfo {
    /// The serial number as upper-case hex, without the DER sign byte (`227B13`, not
    /// `00227B13`; `00` for zero).
    pub serial: String,
    /// The issuer.
    pub issuer: DistinguishedName,
    /// The subject.
    pub subject: DistinguishedName,
    /// notBefore, unix seconds.
    pub not_before: i64,
    /// notAfter, unix seconds.
    pub not_after: i64,
    /// The subject public key.
    pub public_key: PublicKey,
    /// The subject public key size in bits.
    pub key_bits: usize,
    /// The DER SubjectPublicKeyInfo.
    pub spki_der: Vec<u8>,
    /// The algorithm the issuer signed this certificate with.
    pub signature_algorithm: SignatureAlgorithm,
    /// keyUsage, if present.
    pub key_usage: Option<KeyUsage>,
    /// extendedKeyUsage purposes (empty if absent).
    pub extended_key_usage: Vec<ObjectIdentifier>,
    /// certificatePolicies policy identifiers (empty if absent).
    pub policies: Vec<ObjectIdentifier>,
    /// basicConstraints, if present.
    pub basic_constraints: Option<BasicConstraints>,
    /// subjectKeyIdentifier, if present.
    pub subject_key_id: Option<Vec<u8>>,
    /// Critical extensions this module does not process.
    pub unknown_critical_extensions: Vec<ObjectIdentifier>,
    der: Vec<u8>,
    /// The cRLDistributionPoints extension's value (DER), if present.
    crl_distribution_points_der: Option<Vec<u8>>,
    /// The authorityKeyIdentifier extension's value (DER), if present.
    authority_key_id_der: Option<Vec<u8>>,
    pub(super) tbs_der: Vec<u8>,
    pub(super) signature: Vec<u8>,
    pub(super) issuer_name: Name,
    pub(super) subject_name: Name,
}

impl CertificateInfo {
    /// The certificate's DER bytes.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// SHA-256 of the whole DER certificate, computed on each call (the browser module, which
    /// does not show it, then links no SHA-256).
    pub fn sha256_fingerprint(&self) -> [u8; 32] {
        Sha256::digest(&self.der).into()
    }

    /// The key algorithm's name (`"RSA"`, or `"EC"` for a P-384 key).
    pub fn key_algorithm(&self) -> &'static str {
        self.public_key.algorithm()
    }

    /// notBefore as ISO 8601 UTC (`2025-04-01T00:00:00Z`).
    pub fn not_before_iso(&self) -> String {
        iso8601_utc(self.not_before)
    }

    /// notAfter as ISO 8601 UTC.
    pub fn not_after_iso(&self) -> String {
        iso8601_utc(self.not_after)
    }

    /// Whether `at_unix` lies within notBefore..=notAfter.
    pub fn is_valid_at(&self, at_unix: i64) -> bool {
        self.not_before <= at_unix && at_unix <= self.not_after
    }

    /// cRLDistributionPoints names (empty if absent), decoded on each call. An error only
    /// for a certificate from [`parse_certificate_lazy`]: [`parse_certificate`] has refused
    /// one whose extension does not decode, with this same error.
    pub fn crl_distribution_points(&self) -> Result<Vec<CrlLocation>, CertificateError> {
        let Some(value) = &self.crl_distribution_points_der else {
            return Ok(Vec::new());
        };
        decode_crl_distribution_points(value).map_err(|source| CertificateError::BadExtension {
            oid: ID_CE_CRL_DISTRIBUTION_POINTS,
            source,
        })
    }

    /// authorityKeyIdentifier's keyIdentifier, if present, decoded on each call. An error
    /// only for a certificate from [`parse_certificate_lazy`], as for
    /// [`Self::crl_distribution_points`].
    pub fn authority_key_id(&self) -> Result<Option<Vec<u8>>, CertificateError> {
        let Some(value) = &self.authority_key_id_der else {
            return Ok(None);
        };
        decode_authority_key_id(value).map_err(|source| CertificateError::BadExtension {
            oid: ID_CE_AUTHORITY_KEY_IDENTIFIER,
            source,
        })
    }

    /// Whether a cRLDistributionPoints extension names at least one place (`false` when it
    /// does not decode).
    pub fn has_crl_distribution_point(&self) -> bool {
        self.crl_distribution_points()
            .is_ok_and(|places| !places.is_empty())
    }

    /// Whether subject and issuer names are the same (a root, or a JPKI link certificate).
    pub fn is_self_issued(&self) -> bool {
        names_match(&self.subject_name, &self.issuer_name)
    }

    /// Checks the JPKI user-authentication profile: keyUsage digitalSignature, extended key
    /// usage clientAuth, the policy [`JPKI_AUTH_POLICY`], an RSA key of at least
    /// [`MIN_RSA_BITS`] or a P-384 key (the announced next-generation card's, issue 14), and
    /// not a CA. Says nothing about who issued it: that is
    /// [`verify_chain`](super::verify_chain)'s job.
    pub fn check_jpki_auth(&self) -> Result<(), JpkiProfileError> {
        check_jpki_auth(&JpkiFacts {
            key_usage: self.key_usage,
            extended_key_usage: &self.extended_key_usage,
            policies: &self.policies,
            key: self.public_key.kind(),
            key_bits: self.key_bits,
            basic_constraints: self.basic_constraints,
        })
    }

    /// Whether [`Self::check_jpki_auth`] passes.
    pub fn is_jpki_auth(&self) -> bool {
        self.check_jpki_auth().is_ok()
    }

    /// Verifies an RS256 signature with this certificate's key (see [`verify_rs256`]).
    pub fn verify_rs256(&self, message: &[u8], signature: &[u8]) -> Result<(), SignatureError> {
        verify_rs256(&self.public_key, message, signature)
    }
}

/// What the JPKI user-authentication profile looks at, borrowed from a [`CertificateInfo`] or
/// a [`CertificateView`](super::CertificateView).
pub(super) struct JpkiFacts<'a> {
    pub(super) key_usage: Option<KeyUsage>,
    pub(super) extended_key_usage: &'a [ObjectIdentifier],
    pub(super) policies: &'a [ObjectIdentifier],
    pub(super) key: KeyKind,
    pub(super) key_bits: usize,
    pub(super) basic_constraints: Option<BasicConstraints>,
}

/// The profile check of [`CertificateInfo::check_jpki_auth`].
pub(super) fn check_jpki_auth(facts: &JpkiFacts<'_>) -> Result<(), JpkiProfileError> {
    if !facts.key_usage.is_some_and(|k| k.digital_signature) {
        return Err(JpkiProfileError::NoDigitalSignature);
    }
    if !facts.extended_key_usage.contains(&ID_KP_CLIENT_AUTH) {
        return Err(JpkiProfileError::NoClientAuth);
    }
    if !facts.policies.contains(&JPKI_AUTH_POLICY) {
        return Err(JpkiProfileError::NoJpkiAuthPolicy);
    }
    if facts.key == KeyKind::Rsa && facts.key_bits < MIN_RSA_BITS {
        return Err(JpkiProfileError::WeakKey {
            bits: facts.key_bits,
        });
    }
    if facts.basic_constraints.is_some_and(|b| b.ca) {
        return Err(JpkiProfileError::IsCa);
    }
    Ok(())
}

/// Parses one DER X.509 certificate. Bytes after it are an error, and so is any extension
/// this module reads that does not decode (cRLDistributionPoints and authorityKeyIdentifier
/// included).
pub fn parse_certificate(der: &[u8]) -> Result<CertificateInfo, CertificateError> {
    parse::<true>(der)
}

/// [`parse_certificate`] without decoding cRLDistributionPoints and authorityKeyIdentifier:
/// a certificate whose CRL DP or AKI does not decode is accepted, and the accessors
/// ([`CertificateInfo::crl_distribution_points`], [`CertificateInfo::authority_key_id`])
/// return the error [`parse_certificate`] would have. For showing a certificate (the measure
/// [`parse_certificate_view`](super::parse_certificate_view) is held to), never for a trust
/// decision: [`verify_chain`](super::verify_chain) and [`TrustAnchor`](super::TrustAnchor)
/// parse with [`parse_certificate`].
pub fn parse_certificate_lazy(der: &[u8]) -> Result<CertificateInfo, CertificateError> {
    parse::<false>(der)
}

/// `DECODE_ALL`: whether CRL DP and AKI are decoded here (a constant, so that the lazy
/// parse does not link their decoders).
fn parse<const DECODE_ALL: bool>(der: &[u8]) -> Result<CertificateInfo, CertificateError> {
    if der.is_empty() {
        return Err(CertificateError::Empty);
    }
    let (cert, tbs_der, signature) = decode_signed::<Certificate>(der)?;
    let tbs = &cert.tbs_certificate;
    let spki_der = tbs.subject_public_key_info.to_der()?;
    let public_key = PublicKey::from_spki_der(&spki_der)?;

    let mut info = CertificateInfo {
        serial: serial_hex(tbs.serial_number.as_bytes()),
        issuer: distinguished_name(&tbs.issuer),
        subject: distinguished_name(&tbs.subject),
        not_before: unix_seconds(&tbs.validity.not_before),
        not_after: unix_seconds(&tbs.validity.not_after),
        key_bits: public_key.bits(),
        public_key,
        spki_der,
        signature_algorithm: SignatureAlgorithm::from_identifier(&cert.signature_algorithm),
        key_usage: None,
        extended_key_usage: Vec::new(),
        policies: Vec::new(),
        basic_constraints: None,
        subject_key_id: None,
        unknown_critical_extensions: Vec::new(),
        der: der.to_vec(),
        crl_distribution_points_der: None,
        authority_key_id_der: None,
        tbs_der,
        signature,
        issuer_name: tbs.issuer.clone(),
        subject_name: tbs.subject.clone(),
    };
    let extensions = tbs.extensions.as_deref().unwrap_or_default();
    check_unique(extensions).map_err(|oid| CertificateError::DuplicateExtension { oid })?;
    for ext in extensions {
        read_extension::<DECODE_ALL>(&mut info, ext).map_err(|source| {
            CertificateError::BadExtension {
                oid: ext.extn_id,
                source,
            }
        })?;
    }
    Ok(info)
}

fn read_extension<const DECODE_ALL: bool>(
    info: &mut CertificateInfo,
    ext: &Extension,
) -> der::Result<()> {
    let value = ext.extn_value.as_bytes();
    match ext.extn_id {
        ID_CE_KEY_USAGE => {
            info.key_usage = Some(KeyUsage::from_bits(PkixKeyUsage::from_der(value)?.0.bits()));
        }
        ID_CE_EXT_KEY_USAGE => info.extended_key_usage = ExtendedKeyUsage::from_der(value)?.0,
        ID_CE_CERTIFICATE_POLICIES => {
            info.policies = CertificatePolicies::from_der(value)?
                .0
                .into_iter()
                .map(|p| p.policy_identifier)
                .collect();
        }
        ID_CE_CRL_DISTRIBUTION_POINTS => {
            if DECODE_ALL {
                decode_crl_distribution_points(value)?;
            }
            info.crl_distribution_points_der = Some(value.to_vec());
        }
        ID_CE_BASIC_CONSTRAINTS => {
            let bc = PkixBasicConstraints::from_der(value)?;
            info.basic_constraints = Some(BasicConstraints {
                ca: bc.ca,
                path_len: bc.path_len_constraint,
            });
        }
        ID_CE_SUBJECT_KEY_IDENTIFIER => {
            info.subject_key_id = Some(SubjectKeyIdentifier::from_der(value)?.0.into_bytes());
        }
        ID_CE_AUTHORITY_KEY_IDENTIFIER => {
            if DECODE_ALL {
                decode_authority_key_id(value)?;
            }
            info.authority_key_id_der = Some(value.to_vec());
        }
        // Read by nobody here, but harmless to accept when critical: they constrain nothing
        // this module decides.
        ID_CE_SUBJECT_ALT_NAME | ID_CE_ISSUER_ALT_NAME | ID_PE_AUTHORITY_INFO_ACCESS => {}
        oid if ext.critical => info.unknown_critical_extensions.push(oid),
        _ => {}
    }
    Ok(())
}

fn decode_crl_distribution_points(value: &[u8]) -> der::Result<Vec<CrlLocation>> {
    Ok(CrlDistributionPoints::from_der(value)?
        .0
        .iter()
        .flat_map(crl_locations)
        .collect())
}

fn decode_authority_key_id(value: &[u8]) -> der::Result<Option<Vec<u8>>> {
    Ok(AuthorityKeyIdentifier::from_der(value)?
        .key_identifier
        .map(|k| k.into_bytes()))
}

fn crl_locations(dp: &DistributionPoint) -> Vec<CrlLocation> {
    match &dp.distribution_point {
        Some(DistributionPointName::FullName(names)) => names
            .iter()
            .map(|name| match name {
                GeneralName::DirectoryName(dn) => CrlLocation::Directory(distinguished_name(dn)),
                GeneralName::UniformResourceIdentifier(uri) => {
                    CrlLocation::Uri(uri.as_str().to_owned())
                }
                _ => CrlLocation::Other,
            })
            .collect(),
        _ => vec![CrlLocation::Other],
    }
}
