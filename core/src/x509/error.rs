//! Every error of the module, one enum per question a caller asks: does the certificate
//! parse ([`CertificateError`]), does it have the JPKI profile ([`JpkiProfileError`]), does
//! the path verify ([`ChainError`]), does a signature ([`SignatureError`]), is the CRL usable
//! ([`CrlError`]).

use const_oid::ObjectIdentifier;

use super::time::iso8601_utc;
use super::{JPKI_AUTH_POLICY, MAX_PATH_LEN, MIN_RSA_BITS};

/// Why a certificate could not be parsed. Its [`Display`](core::fmt::Display) names the
/// variant's fault and `der`'s detail (the error kind and position); [`Self::summary`] names
/// the fault only.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertificateError {
    /// No bytes at all.
    Empty,
    /// Not a DER X.509 certificate.
    Malformed(der::Error),
    /// A complete certificate followed by more bytes.
    TrailingBytes {
        /// How many bytes follow the certificate.
        count: usize,
    },
    /// The signature algorithm inside the signed part differs from the outer one (RFC 5280
    /// §4.1.1.2 requires them to be equal).
    SignatureAlgorithmMismatch,
    /// The signature BIT STRING is not a whole number of bytes.
    BadSignatureEncoding,
    /// The subject public key is neither RSA nor EC on P-384.
    UnsupportedKeyAlgorithm {
        /// The key's algorithm OID (id-ecPublicKey for an EC key not on a named P-384).
        oid: ObjectIdentifier,
    },
    /// The subject public key says RSA but does not decode as an RSA public key, or is an EC
    /// key on P-384 that is not an uncompressed point.
    BadPublicKey,
    /// An extension this module reads does not decode.
    BadExtension {
        /// The extension's OID.
        oid: ObjectIdentifier,
        /// The decoding error.
        source: der::Error,
    },
    /// The same extension appears twice (RFC 5280 §4.2 forbids it).
    DuplicateExtension {
        /// The extension's OID.
        oid: ObjectIdentifier,
    },
}

impl CertificateError {
    /// The fault without `der`'s detail: the [`Display`](core::fmt::Display) text up to
    /// its `: <der error>` part (the same text for the variants that carry no `der` error).
    /// The browser module shows this one: formatting `der`'s errors (their kinds' and tags'
    /// names) was 1.8 KB of the gzipped module (docs/benchmarks.md).
    pub fn summary(&self) -> impl core::fmt::Display + '_ {
        Text::<false>(self)
    }

    fn write<const DETAIL: bool>(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Empty => f.write_str("empty certificate"),
            Self::Malformed(e) => {
                f.write_str("not a DER X.509 certificate")?;
                if DETAIL {
                    write!(f, ": {e}")?;
                }
                Ok(())
            }
            Self::TrailingBytes { count } => write!(f, "{count} bytes after the certificate"),
            Self::SignatureAlgorithmMismatch => {
                f.write_str("the inner and outer signature algorithms differ")
            }
            Self::BadSignatureEncoding => {
                f.write_str("the signature is not a whole number of bytes")
            }
            Self::UnsupportedKeyAlgorithm { oid } => {
                write!(f, "unsupported public key algorithm {oid}")
            }
            Self::BadPublicKey => f.write_str("the public key does not decode"),
            Self::BadExtension { oid, source } => {
                write!(f, "extension {oid} does not decode")?;
                if DETAIL {
                    write!(f, ": {source}")?;
                }
                Ok(())
            }
            Self::DuplicateExtension { oid } => write!(f, "extension {oid} appears more than once"),
        }
    }
}

/// A [`CertificateError`]'s text, with or without `der`'s detail.
struct Text<'a, const DETAIL: bool>(&'a CertificateError);

impl<const DETAIL: bool> core::fmt::Display for Text<'_, DETAIL> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.0.write::<DETAIL>(f)
    }
}

impl core::fmt::Display for CertificateError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.write::<true>(f)
    }
}

impl std::error::Error for CertificateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::BadExtension { source, .. } => Some(source),
            _ => None,
        }
    }
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
    /// The key is RSA of fewer than [`MIN_RSA_BITS`].
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
    /// The issuer at `depth` has no RSA key of at least [`MIN_RSA_BITS`] (an EC issuer
    /// included: certificate signatures are verified with RSA keys only).
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
    /// The key is not RSA: this module verifies no EC signature (a P-384 key's ES384 is the
    /// eligibility service's, see [`super::PublicKey::EcP384`]).
    #[error("this module verifies RSA signatures only")]
    UnsupportedKey,
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
    /// The issuer's key is smaller than [`MIN_RSA_BITS`](super::MIN_RSA_BITS).
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
