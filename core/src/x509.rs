//! X.509 for the My Number Card: the user-authentication certificate (利用者証明用電子証明書),
//! chain verification to given trust anchors at a given time, CRLs, and RS256 signatures.
//!
//! Pure: the caller passes the DER bytes, the trust anchors and the time (`at_unix`, seconds
//! since 1970-01-01T00:00:00Z). Nothing here reads a clock, a file or the network.
//!
//! ## What is checked where
//! - [`parse_certificate`] decodes one DER certificate (rejecting trailing bytes), and
//!   extracts what a caller needs: serial, names, validity, the RSA key, key usage, extended
//!   key usage, policies, CRL distribution points, basic constraints and key identifiers.
//!   [`CertificateInfo::check_jpki_auth`] tells whether it has the JPKI authentication
//!   profile.
//! - [`verify_chain`] builds a path from a leaf to one of the [`TrustAnchor`]s through the
//!   given intermediates. **Issuers are matched by signature**: J-LIS root generations share
//!   one distinguished name, so a name only narrows the candidates (compared the RFC 5280
//!   §7.1 way: case-insensitive, whitespace-collapsed), and every candidate whose name
//!   matches is tried until one's signature verifies and every other check passes. For each
//!   certificate on the path it checks the validity period at `at_unix` (both ends
//!   inclusive), the signature algorithm (RSASSA-PKCS1-v1_5 with SHA-256/384/512), RSA keys
//!   of at least [`MIN_RSA_BITS`], unknown critical extensions, and, for every issuer,
//!   basicConstraints `cA`, keyUsage `keyCertSign` (when key usage is present) and
//!   `pathLenConstraint`.
//! - [`Crl`] parses a CRL, verifies its signature against an issuer and answers "is this
//!   serial listed?". Whether a CRL is recent enough is the caller's policy
//!   ([`Crl::check_time`] helps).
//! - [`verify_rs256`] verifies an RSASSA-PKCS1-v1_5 SHA-256 signature (what the card makes
//!   over the authentication message, see [`crate::auth`]).
//!
//! ## What it does not do
//! No policy-tree processing (policies are reported, [`CertificateInfo::check_jpki_auth`]
//! checks the JPKI one), no name constraints (a certificate marking them critical is
//! rejected as an unknown critical extension), no revocation fetching, no PEM.

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5280::ID_KP_CLIENT_AUTH;
use const_oid::db::rfc5912::{
    ID_CE_AUTHORITY_KEY_IDENTIFIER, ID_CE_BASIC_CONSTRAINTS, ID_CE_CERTIFICATE_POLICIES,
    ID_CE_CRL_DISTRIBUTION_POINTS, ID_CE_CRL_NUMBER, ID_CE_CRL_REASONS, ID_CE_EXT_KEY_USAGE,
    ID_CE_ISSUER_ALT_NAME, ID_CE_ISSUING_DISTRIBUTION_POINT, ID_CE_KEY_USAGE,
    ID_CE_SUBJECT_ALT_NAME, ID_CE_SUBJECT_KEY_IDENTIFIER, ID_PE_AUTHORITY_INFO_ACCESS,
    RSA_ENCRYPTION, SHA_256_WITH_RSA_ENCRYPTION, SHA_384_WITH_RSA_ENCRYPTION,
    SHA_512_WITH_RSA_ENCRYPTION,
};
use der::asn1::Any;
use der::{Decode, Encode, Reader, SliceReader, Tag, Tagged};
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use sha2::{Digest, Sha256, Sha384, Sha512};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_cert::crl::CertificateList;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints as PkixBasicConstraints, CertificatePolicies,
    CrlDistributionPoints, CrlNumber, ExtendedKeyUsage, KeyUsage as PkixKeyUsage,
    SubjectKeyIdentifier,
};
use x509_cert::name::Name;
use x509_cert::time::Time;

/// The JPKI user-authentication certificate policy (利用者証明用), `1.2.392.200149.8.5.1.0.30`.
pub const JPKI_AUTH_POLICY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.1.0.30");

/// The smallest RSA modulus accepted anywhere in this module, in bits (the card's size).
pub const MIN_RSA_BITS: usize = 2048;

/// The longest path [`verify_chain`] builds, leaf and anchor included.
pub const MAX_PATH_LEN: usize = 8;

/// Why a certificate could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateError {
    /// No bytes at all.
    #[error("empty certificate")]
    Empty,
    /// Not a DER X.509 certificate.
    #[error("not a DER X.509 certificate: {0}")]
    Malformed(der::Error),
    /// A complete certificate followed by more bytes.
    #[error("{count} bytes after the certificate")]
    TrailingBytes {
        /// How many bytes follow the certificate.
        count: usize,
    },
    /// The signature algorithm inside the signed part differs from the outer one (RFC 5280
    /// §4.1.1.2 requires them to be equal).
    #[error("the inner and outer signature algorithms differ")]
    SignatureAlgorithmMismatch,
    /// The signature BIT STRING is not a whole number of bytes.
    #[error("the signature is not a whole number of bytes")]
    BadSignatureEncoding,
    /// The subject public key is not RSA (the only algorithm supported so far).
    #[error("unsupported public key algorithm {oid}")]
    UnsupportedKeyAlgorithm {
        /// The key's algorithm OID.
        oid: ObjectIdentifier,
    },
    /// The subject public key says RSA but does not decode as an RSA public key.
    #[error("the RSA public key does not decode")]
    BadPublicKey,
    /// An extension this module reads does not decode.
    #[error("extension {oid} does not decode: {source}")]
    BadExtension {
        /// The extension's OID.
        oid: ObjectIdentifier,
        /// The decoding error.
        source: der::Error,
    },
    /// The same extension appears twice (RFC 5280 §4.2 forbids it).
    #[error("extension {oid} appears more than once")]
    DuplicateExtension {
        /// The extension's OID.
        oid: ObjectIdentifier,
    },
}

impl From<der::Error> for CertificateError {
    fn from(e: der::Error) -> Self {
        Self::Malformed(e)
    }
}

/// Why a certificate does not have the JPKI user-authentication profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JpkiProfileError {
    /// keyUsage is absent or lacks digitalSignature.
    #[error("key usage lacks digitalSignature")]
    NoDigitalSignature,
    /// extendedKeyUsage is absent or lacks clientAuth.
    #[error("extended key usage lacks clientAuth")]
    NoClientAuth,
    /// certificatePolicies lacks the JPKI authentication policy.
    #[error("certificate policies lack {JPKI_AUTH_POLICY}")]
    NoJpkiAuthPolicy,
    /// The key is not RSA of at least [`MIN_RSA_BITS`].
    #[error("the key is not RSA of at least {MIN_RSA_BITS} bits ({bits} bits)")]
    WeakKey {
        /// The key's size in bits.
        bits: usize,
    },
    /// basicConstraints says this is a CA.
    #[error("the certificate is a CA certificate")]
    IsCa,
}

/// Why a path could not be verified. `depth` counts from the leaf (0) towards the anchor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// The leaf does not parse.
    #[error("leaf certificate: {0}")]
    Leaf(CertificateError),
    /// The intermediate at `index` in the given list does not parse.
    #[error("intermediate certificate {index}: {source}")]
    MalformedIntermediate {
        /// The position in the `intermediates` argument.
        index: usize,
        /// Why it does not parse.
        source: CertificateError,
    },
    /// No trust anchors were given.
    #[error("no trust anchors")]
    NoTrustAnchors,
    /// The certificate at `depth` expired before `at`.
    #[error("certificate at depth {depth} expired at {}", iso8601_utc(*not_after))]
    Expired {
        /// Its position on the path.
        depth: usize,
        /// Its notAfter (unix seconds).
        not_after: i64,
    },
    /// The certificate at `depth` is not valid yet at `at`.
    #[error("certificate at depth {depth} is not valid before {}", iso8601_utc(*not_before))]
    NotYetValid {
        /// Its position on the path.
        depth: usize,
        /// Its notBefore (unix seconds).
        not_before: i64,
    },
    /// No intermediate or anchor has the name of the issuer of the certificate at `depth`.
    #[error("no known issuer for the certificate at depth {depth}")]
    UnknownIssuer {
        /// The position of the certificate whose issuer is unknown.
        depth: usize,
    },
    /// Issuers with the right name exist, but none of their signatures verifies on the
    /// certificate at `depth`.
    #[error("the signature on the certificate at depth {depth} does not verify")]
    BadSignature {
        /// The position of the certificate whose signature failed.
        depth: usize,
    },
    /// The certificate at `depth` issued the one below it but is not a CA (basicConstraints).
    #[error("the issuer at depth {depth} is not a CA")]
    NotACa {
        /// The issuer's position.
        depth: usize,
    },
    /// The issuer at `depth` has a key usage without keyCertSign.
    #[error("the issuer at depth {depth} may not sign certificates (keyUsage)")]
    NotACertificateSigner {
        /// The issuer's position.
        depth: usize,
    },
    /// The issuer at `depth` has a pathLenConstraint smaller than the intermediates below it.
    #[error("path length constraint of the issuer at depth {depth} exceeded")]
    PathLengthExceeded {
        /// The issuer's position.
        depth: usize,
    },
    /// The path would be longer than [`MAX_PATH_LEN`].
    #[error("no path within {MAX_PATH_LEN} certificates")]
    PathTooLong,
    /// The certificate at `depth` is signed with an algorithm this module does not verify.
    #[error("unsupported signature algorithm {oid} at depth {depth}")]
    UnsupportedSignatureAlgorithm {
        /// The certificate's position.
        depth: usize,
        /// The signature algorithm OID.
        oid: ObjectIdentifier,
    },
    /// The certificate at `depth` has a critical extension this module does not process.
    #[error("unsupported critical extension {oid} at depth {depth}")]
    UnsupportedCriticalExtension {
        /// The certificate's position.
        depth: usize,
        /// The extension OID.
        oid: ObjectIdentifier,
    },
    /// The issuer at `depth` has an RSA key smaller than [`MIN_RSA_BITS`].
    #[error("the issuer at depth {depth} has a {bits}-bit key")]
    WeakKey {
        /// The issuer's position.
        depth: usize,
        /// Its key size in bits.
        bits: usize,
    },
}

/// Why a signature did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The signature is not as long as the modulus.
    #[error("signature is {actual} bytes, the key needs {expected}")]
    WrongLength {
        /// The modulus length in bytes.
        expected: usize,
        /// The signature's length.
        actual: usize,
    },
    /// The signature does not verify under the key.
    #[error("signature does not verify")]
    Invalid,
    /// The key is smaller than [`MIN_RSA_BITS`].
    #[error("the key has only {bits} bits")]
    WeakKey {
        /// The key's size in bits.
        bits: usize,
    },
}

/// Why a CRL could not be parsed or is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CrlError {
    /// Not a DER CRL.
    #[error("not a DER CRL: {0}")]
    Malformed(der::Error),
    /// A complete CRL followed by more bytes.
    #[error("{count} bytes after the CRL")]
    TrailingBytes {
        /// How many bytes follow the CRL.
        count: usize,
    },
    /// Inner and outer signature algorithms differ.
    #[error("the inner and outer signature algorithms differ")]
    SignatureAlgorithmMismatch,
    /// The signature BIT STRING is not a whole number of bytes.
    #[error("the signature is not a whole number of bytes")]
    BadSignatureEncoding,
    /// A critical CRL or entry extension this module does not process (for example a delta
    /// CRL indicator or an indirect CRL's certificateIssuer).
    #[error("unsupported critical extension {oid}")]
    UnsupportedCriticalExtension {
        /// The extension OID.
        oid: ObjectIdentifier,
    },
    /// A CRL extension this module reads does not decode.
    #[error("CRL extension {oid} does not decode: {source}")]
    BadExtension {
        /// The extension's OID.
        oid: ObjectIdentifier,
        /// The decoding error.
        source: der::Error,
    },
    /// The same CRL extension appears twice.
    #[error("CRL extension {oid} appears more than once")]
    DuplicateExtension {
        /// The extension's OID.
        oid: ObjectIdentifier,
    },
    /// The CRL is signed with an algorithm this module does not verify.
    #[error("unsupported signature algorithm {oid}")]
    UnsupportedSignatureAlgorithm {
        /// The signature algorithm OID.
        oid: ObjectIdentifier,
    },
    /// The given issuer's subject is not the CRL's issuer.
    #[error("the CRL was issued by someone else")]
    IssuerMismatch,
    /// The given issuer has a key usage without cRLSign.
    #[error("the issuer may not sign CRLs (keyUsage)")]
    NotACrlSigner,
    /// The issuer's key is smaller than [`MIN_RSA_BITS`].
    #[error("the issuer has a {bits}-bit key")]
    WeakKey {
        /// The key's size in bits.
        bits: usize,
    },
    /// The signature does not verify under the issuer's key.
    #[error("the CRL's signature does not verify")]
    BadSignature,
    /// `at` is before the CRL's thisUpdate.
    #[error("the CRL is not valid before {}", iso8601_utc(*this_update))]
    NotYetValid {
        /// thisUpdate (unix seconds).
        this_update: i64,
    },
    /// `at` is after the CRL's nextUpdate.
    #[error("the CRL was due to be replaced at {}", iso8601_utc(*next_update))]
    Stale {
        /// nextUpdate (unix seconds).
        next_update: i64,
    },
}

impl From<der::Error> for CrlError {
    fn from(e: der::Error) -> Self {
        Self::Malformed(e)
    }
}

/// One attribute of a distinguished name.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NameAttribute {
    /// The attribute type.
    pub oid: ObjectIdentifier,
    /// Its RFC 4514 keyword (`CN`, `L`, `ST`, `O`, `OU`, `C`, `STREET`, `DC`, `UID`), if any.
    pub keyword: Option<&'static str>,
    /// The value: the decoded string, or `#` and the hex of its DER if it is not a string.
    pub value: String,
}

/// A distinguished name: its attributes in certificate order (most significant first, e.g.
/// `C` first) and its RFC 4514 string (least significant first, e.g. `CN=…,C=JP`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DistinguishedName {
    /// The attributes, in the order they appear in the certificate.
    pub attributes: Vec<NameAttribute>,
    /// The RFC 4514 string.
    pub rfc4514: String,
}

impl DistinguishedName {
    /// The value of the first attribute of type `oid`.
    pub fn get(&self, oid: ObjectIdentifier) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.oid == oid)
            .map(|a| a.value.as_str())
    }

    /// The common name (`CN`), if any.
    pub fn common_name(&self) -> Option<&str> {
        self.get(const_oid::db::rfc4519::CN)
    }

    /// The attributes in certificate order, `", "`-separated (`C=JP, CN=…`), as OpenSSL and
    /// the JPKI documents print them.
    pub fn display_forward(&self) -> String {
        self.attributes
            .iter()
            .map(|a| match a.keyword {
                Some(k) => format!("{k}={}", a.value),
                None => format!("{}={}", a.oid, a.value),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl core::fmt::Display for DistinguishedName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.rfc4514)
    }
}

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

/// A public key this module can verify with.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PublicKey {
    /// An RSA key.
    Rsa(RsaPublicKey),
}

impl PublicKey {
    /// Decodes a DER SubjectPublicKeyInfo.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, CertificateError> {
        let spki = spki::SubjectPublicKeyInfoRef::from_der(der)?;
        if spki.algorithm.oid != RSA_ENCRYPTION {
            return Err(CertificateError::UnsupportedKeyAlgorithm {
                oid: spki.algorithm.oid,
            });
        }
        let bits = spki
            .subject_public_key
            .as_bytes()
            .ok_or(CertificateError::BadPublicKey)?;
        RsaPublicKey::from_pkcs1_der(bits)
            .map(Self::Rsa)
            .map_err(|_| CertificateError::BadPublicKey)
    }

    /// The algorithm's name: `"RSA"`.
    pub fn algorithm(&self) -> &'static str {
        match self {
            Self::Rsa(_) => "RSA",
        }
    }

    /// The key size in bits (the RSA modulus length).
    pub fn bits(&self) -> usize {
        match self {
            Self::Rsa(key) => key.n().bits(),
        }
    }
}

impl AsRef<PublicKey> for PublicKey {
    fn as_ref(&self) -> &PublicKey {
        self
    }
}

impl AsRef<PublicKey> for CertificateInfo {
    fn as_ref(&self) -> &PublicKey {
        &self.public_key
    }
}

impl From<RsaPublicKey> for PublicKey {
    fn from(key: RsaPublicKey) -> Self {
        Self::Rsa(key)
    }
}

/// A signature algorithm, as named in a certificate or CRL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureAlgorithm {
    /// sha256WithRSAEncryption (what JPKI uses).
    RsaPkcs1Sha256,
    /// sha384WithRSAEncryption.
    RsaPkcs1Sha384,
    /// sha512WithRSAEncryption.
    RsaPkcs1Sha512,
    /// Anything else; not verified.
    Other(ObjectIdentifier),
}

impl SignatureAlgorithm {
    fn from_identifier(id: &AlgorithmIdentifierOwned) -> Self {
        // RFC 4055 §5: the parameters are NULL (some encoders omit them).
        let params_ok = id
            .parameters
            .as_ref()
            .is_none_or(|p| p.tag() == Tag::Null && p.value().is_empty());
        match id.oid {
            oid if !params_ok => Self::Other(oid),
            SHA_256_WITH_RSA_ENCRYPTION => Self::RsaPkcs1Sha256,
            SHA_384_WITH_RSA_ENCRYPTION => Self::RsaPkcs1Sha384,
            SHA_512_WITH_RSA_ENCRYPTION => Self::RsaPkcs1Sha512,
            oid => Self::Other(oid),
        }
    }

    /// The algorithm OID.
    pub fn oid(&self) -> ObjectIdentifier {
        match self {
            Self::RsaPkcs1Sha256 => SHA_256_WITH_RSA_ENCRYPTION,
            Self::RsaPkcs1Sha384 => SHA_384_WITH_RSA_ENCRYPTION,
            Self::RsaPkcs1Sha512 => SHA_512_WITH_RSA_ENCRYPTION,
            Self::Other(oid) => *oid,
        }
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
    /// cRLDistributionPoints names (empty if absent).
    pub crl_distribution_points: Vec<CrlLocation>,
    /// basicConstraints, if present.
    pub basic_constraints: Option<BasicConstraints>,
    /// subjectKeyIdentifier, if present.
    pub subject_key_id: Option<Vec<u8>>,
    /// authorityKeyIdentifier's keyIdentifier, if present.
    pub authority_key_id: Option<Vec<u8>>,
    /// Critical extensions this module does not process.
    pub unknown_critical_extensions: Vec<ObjectIdentifier>,
    /// SHA-256 of the whole DER certificate.
    pub sha256_fingerprint: [u8; 32],
    der: Vec<u8>,
    tbs_der: Vec<u8>,
    signature: Vec<u8>,
    issuer_name: Name,
    subject_name: Name,
}

impl CertificateInfo {
    /// The certificate's DER bytes.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The key algorithm's name (`"RSA"`).
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

    /// Whether a cRLDistributionPoints extension names at least one place.
    pub fn has_crl_distribution_point(&self) -> bool {
        !self.crl_distribution_points.is_empty()
    }

    /// Whether subject and issuer names are the same (a root, or a JPKI link certificate).
    pub fn is_self_issued(&self) -> bool {
        names_match(&self.subject_name, &self.issuer_name)
    }

    /// Checks the JPKI user-authentication profile: keyUsage digitalSignature, extended key
    /// usage clientAuth, the policy [`JPKI_AUTH_POLICY`], an RSA key of at least
    /// [`MIN_RSA_BITS`], and not a CA. Says nothing about who issued it: that is
    /// [`verify_chain`]'s job.
    pub fn check_jpki_auth(&self) -> Result<(), JpkiProfileError> {
        if !self.key_usage.is_some_and(|k| k.digital_signature) {
            return Err(JpkiProfileError::NoDigitalSignature);
        }
        if !self.extended_key_usage.contains(&ID_KP_CLIENT_AUTH) {
            return Err(JpkiProfileError::NoClientAuth);
        }
        if !self.policies.contains(&JPKI_AUTH_POLICY) {
            return Err(JpkiProfileError::NoJpkiAuthPolicy);
        }
        if self.key_bits < MIN_RSA_BITS {
            return Err(JpkiProfileError::WeakKey {
                bits: self.key_bits,
            });
        }
        if self.basic_constraints.is_some_and(|b| b.ca) {
            return Err(JpkiProfileError::IsCa);
        }
        Ok(())
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

/// Parses one DER X.509 certificate. Bytes after it are an error.
pub fn parse_certificate(der: &[u8]) -> Result<CertificateInfo, CertificateError> {
    if der.is_empty() {
        return Err(CertificateError::Empty);
    }
    let (cert, tbs_der) = decode_exact::<Certificate>(der).map_err(|e| e.into_cert_error())?;
    let tbs = &cert.tbs_certificate;
    if tbs.signature != cert.signature_algorithm {
        return Err(CertificateError::SignatureAlgorithmMismatch);
    }
    let signature = cert
        .signature
        .as_bytes()
        .ok_or(CertificateError::BadSignatureEncoding)?
        .to_vec();
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
        crl_distribution_points: Vec::new(),
        basic_constraints: None,
        subject_key_id: None,
        authority_key_id: None,
        unknown_critical_extensions: Vec::new(),
        sha256_fingerprint: Sha256::digest(der).into(),
        der: der.to_vec(),
        tbs_der,
        signature,
        issuer_name: tbs.issuer.clone(),
        subject_name: tbs.subject.clone(),
    };
    let extensions = tbs.extensions.as_deref().unwrap_or_default();
    check_unique(extensions).map_err(|oid| CertificateError::DuplicateExtension { oid })?;
    for ext in extensions {
        read_extension(&mut info, ext).map_err(|source| CertificateError::BadExtension {
            oid: ext.extn_id,
            source,
        })?;
    }
    Ok(info)
}

fn read_extension(info: &mut CertificateInfo, ext: &Extension) -> der::Result<()> {
    let value = ext.extn_value.as_bytes();
    match ext.extn_id {
        ID_CE_KEY_USAGE => {
            let ku = PkixKeyUsage::from_der(value)?;
            info.key_usage = Some(KeyUsage {
                digital_signature: ku.digital_signature(),
                non_repudiation: ku.non_repudiation(),
                key_encipherment: ku.key_encipherment(),
                data_encipherment: ku.data_encipherment(),
                key_agreement: ku.key_agreement(),
                key_cert_sign: ku.key_cert_sign(),
                crl_sign: ku.crl_sign(),
                encipher_only: ku.encipher_only(),
                decipher_only: ku.decipher_only(),
            });
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
            info.crl_distribution_points = CrlDistributionPoints::from_der(value)?
                .0
                .iter()
                .flat_map(crl_locations)
                .collect();
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
            info.authority_key_id = AuthorityKeyIdentifier::from_der(value)?
                .key_identifier
                .map(|k| k.into_bytes());
        }
        // Read by nobody here, but harmless to accept when critical: they constrain nothing
        // this module decides.
        ID_CE_SUBJECT_ALT_NAME | ID_CE_ISSUER_ALT_NAME | ID_PE_AUTHORITY_INFO_ACCESS => {}
        oid if ext.critical => info.unknown_critical_extensions.push(oid),
        _ => {}
    }
    Ok(())
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

/// The first duplicated extension OID, if any.
fn check_unique(extensions: &[Extension]) -> Result<(), ObjectIdentifier> {
    for (i, ext) in extensions.iter().enumerate() {
        if extensions[..i].iter().any(|e| e.extn_id == ext.extn_id) {
            return Err(ext.extn_id);
        }
    }
    Ok(())
}

/// A decode failure of [`decode_exact`].
enum ExactError {
    Der(der::Error),
    Trailing(usize),
}

impl ExactError {
    fn into_cert_error(self) -> CertificateError {
        match self {
            Self::Der(e) => CertificateError::Malformed(e),
            Self::Trailing(count) => CertificateError::TrailingBytes { count },
        }
    }

    fn into_crl_error(self) -> CrlError {
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
fn decode_exact<'a, T: Decode<'a>>(der: &'a [u8]) -> Result<(T, Vec<u8>), ExactError> {
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

/// A trust anchor: a CA certificate the caller trusts (e.g. one of the J-LIS
/// 利用者証明用 root generations).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustAnchor {
    certificate: CertificateInfo,
}

impl TrustAnchor {
    /// Makes a trust anchor of a DER certificate. Nothing is verified here; being an anchor
    /// is the caller's decision. [`verify_chain`] still requires the anchor to be a CA, valid
    /// at the given time, and allowed to sign certificates.
    pub fn from_der(der: &[u8]) -> Result<Self, CertificateError> {
        parse_certificate(der).map(|certificate| Self { certificate })
    }

    /// The anchor's certificate.
    pub fn certificate(&self) -> &CertificateInfo {
        &self.certificate
    }
}

/// A verified path.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedPath {
    /// The certificates, leaf first, anchor last.
    pub certificates: Vec<CertificateInfo>,
    /// The position of the anchor in the `anchors` argument.
    pub anchor_index: usize,
}

impl VerifiedPath {
    /// The leaf.
    pub fn leaf(&self) -> &CertificateInfo {
        &self.certificates[0]
    }

    /// The anchor's certificate.
    pub fn anchor(&self) -> &CertificateInfo {
        &self.certificates[self.certificates.len() - 1]
    }
}

/// Verifies `leaf_der` up to one of `anchors`, through any of `intermediates`, at `at_unix`.
///
/// See the [module documentation](self) for the checks. When several paths fail, the error
/// reported is from the one that got furthest: a failure after a signature verified beats a
/// bad signature, which beats an unknown issuer.
pub fn verify_chain(
    leaf_der: &[u8],
    intermediates: &[&[u8]],
    anchors: &[TrustAnchor],
    at_unix: i64,
) -> Result<VerifiedPath, ChainError> {
    let leaf = parse_certificate(leaf_der).map_err(ChainError::Leaf)?;
    let intermediates = intermediates
        .iter()
        .enumerate()
        .map(|(index, der)| {
            parse_certificate(der)
                .map_err(|source| ChainError::MalformedIntermediate { index, source })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if anchors.is_empty() {
        return Err(ChainError::NoTrustAnchors);
    }
    check_own(&leaf, 0, at_unix, true)?;

    let builder = PathBuilder {
        intermediates: &intermediates,
        anchors,
        at: at_unix,
    };
    let mut used = vec![false; intermediates.len()];
    let mut path = Vec::new();
    let anchor_index = builder.extend(&leaf, 0, 0, &mut used, &mut path)?;

    let mut certificates = Vec::with_capacity(path.len() + 2);
    certificates.push(leaf);
    certificates.extend(path.iter().map(|&i| intermediates[i].clone()));
    certificates.push(anchors[anchor_index].certificate.clone());
    Ok(VerifiedPath {
        certificates,
        anchor_index,
    })
}

/// Checks a certificate on its own: validity at `at`, signature algorithm, and (unless it is
/// an anchor) unknown critical extensions.
fn check_own(
    cert: &CertificateInfo,
    depth: usize,
    at: i64,
    extensions: bool,
) -> Result<(), ChainError> {
    if at < cert.not_before {
        return Err(ChainError::NotYetValid {
            depth,
            not_before: cert.not_before,
        });
    }
    if at > cert.not_after {
        return Err(ChainError::Expired {
            depth,
            not_after: cert.not_after,
        });
    }
    if extensions {
        if let Some(&oid) = cert.unknown_critical_extensions.first() {
            return Err(ChainError::UnsupportedCriticalExtension { depth, oid });
        }
    }
    Ok(())
}

struct PathBuilder<'a> {
    intermediates: &'a [CertificateInfo],
    anchors: &'a [TrustAnchor],
    at: i64,
}

impl PathBuilder<'_> {
    /// Finds an issuer for `child` (at `depth`), recursing through unused intermediates;
    /// `below` counts the non-self-issued intermediates between `child` and the leaf,
    /// `child` included when it is one. Returns the anchor index; `path` holds the
    /// intermediates used.
    fn extend(
        &self,
        child: &CertificateInfo,
        depth: usize,
        below: usize,
        used: &mut [bool],
        path: &mut Vec<usize>,
    ) -> Result<usize, ChainError> {
        let mut best = ChainError::UnknownIssuer { depth };
        if let SignatureAlgorithm::Other(oid) = child.signature_algorithm {
            return Err(ChainError::UnsupportedSignatureAlgorithm { depth, oid });
        }
        if depth + 2 > MAX_PATH_LEN {
            return Err(ChainError::PathTooLong);
        }
        for (index, anchor) in self.anchors.iter().enumerate() {
            let issuer = &anchor.certificate;
            if !names_match(&child.issuer_name, &issuer.subject_name) {
                continue;
            }
            match self.check_issuer(child, depth, issuer, below, true) {
                Ok(()) => return Ok(index),
                Err(e) => best = more_telling(best, Failure::Here(e)),
            }
        }
        for index in 0..self.intermediates.len() {
            let issuer = &self.intermediates[index];
            if used[index] || !names_match(&child.issuer_name, &issuer.subject_name) {
                continue;
            }
            if let Err(e) = self.check_issuer(child, depth, issuer, below, false) {
                best = more_telling(best, Failure::Here(e));
                continue;
            }
            used[index] = true;
            path.push(index);
            let below = below + usize::from(!issuer.is_self_issued());
            match self.extend(issuer, depth + 1, below, used, path) {
                Ok(anchor) => return Ok(anchor),
                // A failure further up still got past this link's signature.
                Err(e) => best = more_telling(best, Failure::Beyond(e)),
            }
            path.pop();
            used[index] = false;
        }
        Err(best)
    }

    fn check_issuer(
        &self,
        child: &CertificateInfo,
        depth: usize,
        issuer: &CertificateInfo,
        below: usize,
        is_anchor: bool,
    ) -> Result<(), ChainError> {
        let issuer_depth = depth + 1;
        if issuer.key_bits < MIN_RSA_BITS {
            return Err(ChainError::WeakKey {
                depth: issuer_depth,
                bits: issuer.key_bits,
            });
        }
        verify_signed(
            &issuer.public_key,
            child.signature_algorithm,
            &child.tbs_der,
            &child.signature,
        )
        .map_err(|_| ChainError::BadSignature { depth })?;
        check_own(issuer, issuer_depth, self.at, !is_anchor)?;
        if !issuer.basic_constraints.is_some_and(|b| b.ca) {
            return Err(ChainError::NotACa {
                depth: issuer_depth,
            });
        }
        if issuer.key_usage.is_some_and(|k| !k.key_cert_sign) {
            return Err(ChainError::NotACertificateSigner {
                depth: issuer_depth,
            });
        }
        if let Some(limit) = issuer.basic_constraints.and_then(|b| b.path_len) {
            if below > usize::from(limit) {
                return Err(ChainError::PathLengthExceeded {
                    depth: issuer_depth,
                });
            }
        }
        Ok(())
    }
}

/// A failed attempt to extend a path by one issuer.
enum Failure {
    /// The candidate issuer itself failed.
    Here(ChainError),
    /// The candidate passed; the path failed further up.
    Beyond(ChainError),
}

/// Of two failures, the one from the attempt that got further (see [`verify_chain`]); the
/// earlier one when they got equally far.
fn more_telling(current: ChainError, new: Failure) -> ChainError {
    let rank = |e: &ChainError| match e {
        ChainError::UnknownIssuer { .. } => 0,
        ChainError::BadSignature { .. } => 1,
        _ => 2,
    };
    let (new, new_rank) = match new {
        Failure::Here(e) => {
            let r = rank(&e);
            (e, r)
        }
        Failure::Beyond(e) => (e, 2),
    };
    if new_rank > rank(&current) {
        new
    } else {
        current
    }
}

/// Verifies `signature` over `signed` with `key` under `algorithm`.
fn verify_signed(
    key: &PublicKey,
    algorithm: SignatureAlgorithm,
    signed: &[u8],
    signature: &[u8],
) -> Result<(), SignatureError> {
    let PublicKey::Rsa(rsa_key) = key;
    let bits = rsa_key.n().bits();
    if bits < MIN_RSA_BITS {
        return Err(SignatureError::WeakKey { bits });
    }
    if signature.len() != rsa_key.size() {
        return Err(SignatureError::WrongLength {
            expected: rsa_key.size(),
            actual: signature.len(),
        });
    }
    let result = match algorithm {
        SignatureAlgorithm::RsaPkcs1Sha256 => rsa_key.verify(
            Pkcs1v15Sign::new::<Sha256>(),
            &Sha256::digest(signed),
            signature,
        ),
        SignatureAlgorithm::RsaPkcs1Sha384 => rsa_key.verify(
            Pkcs1v15Sign::new::<Sha384>(),
            &Sha384::digest(signed),
            signature,
        ),
        SignatureAlgorithm::RsaPkcs1Sha512 => rsa_key.verify(
            Pkcs1v15Sign::new::<Sha512>(),
            &Sha512::digest(signed),
            signature,
        ),
        SignatureAlgorithm::Other(_) => return Err(SignatureError::Invalid),
    };
    result.map_err(|_| SignatureError::Invalid)
}

/// Verifies an RS256 signature: RSASSA-PKCS1-v1_5 with SHA-256 over `message` (the form the
/// card produces when given the DER DigestInfo of SHA-256(`message`)). The key must have at
/// least [`MIN_RSA_BITS`] and the signature must be exactly as long as the modulus. `key` is
/// a [`PublicKey`] or a [`CertificateInfo`] (its subject key).
pub fn verify_rs256(
    key: &impl AsRef<PublicKey>,
    message: &[u8],
    signature: &[u8],
) -> Result<(), SignatureError> {
    verify_signed(
        key.as_ref(),
        SignatureAlgorithm::RsaPkcs1Sha256,
        message,
        signature,
    )
}

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
        let (list, tbs_der) =
            decode_exact::<CertificateList>(der).map_err(|e| e.into_crl_error())?;
        let tbs = &list.tbs_cert_list;
        if tbs.signature != list.signature_algorithm {
            return Err(CrlError::SignatureAlgorithmMismatch);
        }
        let signature = list
            .signature
            .as_bytes()
            .ok_or(CrlError::BadSignatureEncoding)?
            .to_vec();
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

/// Upper-case hex of a DER INTEGER's bytes without leading zero bytes (at least one byte).
fn serial_hex(bytes: &[u8]) -> String {
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

fn unix_seconds(time: &Time) -> i64 {
    // DateTime covers 1970..=9999, so the seconds always fit.
    i64::try_from(time.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
}

/// Formats unix seconds as ISO 8601 UTC, `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian).
pub fn iso8601_utc(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// RFC 4514 keywords.
fn keyword(oid: &ObjectIdentifier) -> Option<&'static str> {
    use const_oid::db::rfc4519::{C, CN, DOMAIN_COMPONENT, L, O, OU, ST, STREET, UID};
    [
        (CN, "CN"),
        (L, "L"),
        (ST, "ST"),
        (O, "O"),
        (OU, "OU"),
        (C, "C"),
        (STREET, "STREET"),
        (DOMAIN_COMPONENT, "DC"),
        (UID, "UID"),
    ]
    .into_iter()
    .find_map(|(o, k)| (&o == oid).then_some(k))
}

/// The string in a DirectoryString-like value, if it is one.
fn attribute_string(value: &Any) -> Option<String> {
    let bytes = value.value();
    match value.tag() {
        Tag::Utf8String => core::str::from_utf8(bytes).ok().map(str::to_owned),
        Tag::PrintableString | Tag::Ia5String | Tag::VisibleString | Tag::NumericString => bytes
            .is_ascii()
            .then(|| String::from_utf8_lossy(bytes).into_owned()),
        // T.61 is close enough to Latin-1 for the names found in certificates.
        Tag::TeletexString => Some(bytes.iter().map(|&b| char::from(b)).collect()),
        Tag::BmpString => {
            if bytes.len() % 2 != 0 {
                return None;
            }
            let units = bytes
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]));
            char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .ok()
        }
        _ => None,
    }
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// RFC 4514 §2.4 escaping of an attribute value.
fn escape_rfc4514(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        match c {
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            '"' | '+' | ',' | ';' | '<' | '>' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\0' => out.push_str("\\00"),
            _ => out.push(c),
        }
    }
    out
}

fn distinguished_name(name: &Name) -> DistinguishedName {
    let mut attributes = Vec::new();
    let mut rdns = Vec::with_capacity(name.0.len());
    for rdn in name.0.iter() {
        let mut parts = Vec::new();
        for atv in rdn.0.iter() {
            let decoded = attribute_string(&atv.value);
            let raw = || format!("#{}", hex_lower(&atv.value.to_der().unwrap_or_default()));
            let keyword = keyword(&atv.oid);
            let rendered = match &decoded {
                Some(s) => escape_rfc4514(s),
                None => raw(),
            };
            parts.push(match keyword {
                Some(k) => format!("{k}={rendered}"),
                None => format!("{}={rendered}", atv.oid),
            });
            attributes.push(NameAttribute {
                oid: atv.oid,
                keyword,
                value: decoded.unwrap_or_else(raw),
            });
        }
        rdns.push(parts.join("+"));
    }
    rdns.reverse();
    DistinguishedName {
        attributes,
        rfc4514: rdns.join(","),
    }
}

/// RFC 5280 §7.1 name comparison, simplified: same RDN structure and attribute types; string
/// values equal after trimming, collapsing internal white space and ASCII case folding;
/// other values equal byte for byte.
fn names_match(a: &Name, b: &Name) -> bool {
    if a == b {
        return true;
    }
    a.0.len() == b.0.len()
        && a.0.iter().zip(b.0.iter()).all(|(ra, rb)| {
            ra.0.len() == rb.0.len()
                && ra.0.iter().zip(rb.0.iter()).all(|(x, y)| {
                    x.oid == y.oid
                        && match (attribute_string(&x.value), attribute_string(&y.value)) {
                            (Some(s), Some(t)) => fold(&s) == fold(&t),
                            _ => x.value == y.value,
                        }
                })
        })
}

fn fold(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_known_dates() {
        assert_eq!(iso8601_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601_utc(1_743_465_600), "2025-04-01T00:00:00Z");
        assert_eq!(iso8601_utc(2_524_607_999), "2049-12-31T23:59:59Z");
        assert_eq!(iso8601_utc(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn serial_hex_strips_the_sign_byte_only() {
        assert_eq!(serial_hex(&[0x00, 0xBF, 0xCD]), "BFCD");
        assert_eq!(serial_hex(&[0x22, 0x7B, 0x13]), "227B13");
        assert_eq!(serial_hex(&[0x00]), "00");
        assert_eq!(serial_hex(&[]), "00");
    }

    #[test]
    fn serial_normalisation() {
        assert_eq!(normalise_serial("00bf:cd").as_deref(), Some("BFCD"));
        assert_eq!(normalise_serial("1").as_deref(), Some("01"));
        assert_eq!(normalise_serial("000").as_deref(), Some("00"));
        assert_eq!(normalise_serial("xyz"), None);
        assert_eq!(normalise_serial(""), None);
    }

    #[test]
    fn rfc4514_escaping() {
        assert_eq!(escape_rfc4514("a,b"), "a\\,b");
        assert_eq!(escape_rfc4514(" x "), "\\ x\\ ");
        assert_eq!(escape_rfc4514("#1"), "\\#1");
        assert_eq!(escape_rfc4514("東京"), "東京");
    }

    #[test]
    fn fold_compares_the_rfc_5280_way() {
        assert_eq!(fold("  JPKI  for User "), fold("jpki for user"));
        assert_ne!(fold("JPKI-TEST"), fold("JPKI"));
    }
}
