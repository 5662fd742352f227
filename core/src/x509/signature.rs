//! Public keys, signature algorithms and signature verification (RSASSA-PKCS1-v1_5 with
//! SHA-256/384/512): what certificates, CRLs and the card's authentication signature use.
//!
//! A P-384 key (the announced next-generation card's, issue 14 item 5) is parsed and its
//! form checked ([`PublicKey::EcP384`]), but nothing here verifies with it: the core is
//! linked into the browser module, which verifies no signature, and an ECDSA
//! implementation would only make it bigger. The eligibility service verifies ES384 with
//! RustCrypto's `p384` (`web-demo/src/verify.rs`); certificates and CRLs *signed* by an EC
//! key are not verified anywhere (an EC issuer is refused as [`ChainError::WeakKey`]).
//!
//! [`ChainError::WeakKey`]: super::ChainError::WeakKey

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5912::{
    ID_EC_PUBLIC_KEY, RSA_ENCRYPTION, SECP_384_R_1, SHA_256_WITH_RSA_ENCRYPTION,
    SHA_384_WITH_RSA_ENCRYPTION, SHA_512_WITH_RSA_ENCRYPTION,
};
use der::{Decode, Tag, Tagged};
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use sha2::{Digest, Sha256, Sha384, Sha512};
use spki::AlgorithmIdentifierOwned;

use super::MIN_RSA_BITS;
use super::error::{CertificateError, SignatureError};

/// A public key this module can verify with.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PublicKey {
    /// An RSA key.
    Rsa(RsaPublicKey),
    /// An EC key on P-384 (id-ecPublicKey with namedCurve secp384r1, RFC 5480): the SEC1
    /// uncompressed point `04 ‖ x ‖ y`, [`P384_POINT_LEN`] bytes. Only its form is checked
    /// here; whether the point is on the curve is the verifier's question (see the module
    /// documentation).
    EcP384(Vec<u8>),
}

/// The length of an uncompressed SEC1 P-384 point: `04`, then x and y of 48 bytes each.
pub const P384_POINT_LEN: usize = 97;

impl PublicKey {
    /// Decodes a DER SubjectPublicKeyInfo: an RSA key, or a P-384 key in uncompressed form.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, CertificateError> {
        let spki = spki::SubjectPublicKeyInfoRef::from_der(der)?;
        let bits = spki
            .subject_public_key
            .as_bytes()
            .ok_or(CertificateError::BadPublicKey)?;
        if spki.algorithm.oid == ID_EC_PUBLIC_KEY {
            check_p384(spki.algorithm.parameters, bits)?;
            return Ok(Self::EcP384(bits.to_vec()));
        }
        if spki.algorithm.oid != RSA_ENCRYPTION {
            return Err(CertificateError::UnsupportedKeyAlgorithm {
                oid: spki.algorithm.oid,
            });
        }
        RsaPublicKey::from_pkcs1_der(bits)
            .map(Self::Rsa)
            .map_err(|_| CertificateError::BadPublicKey)
    }

    /// The algorithm's name: `"RSA"` or `"EC"` (P-384, the only curve parsed).
    pub fn algorithm(&self) -> &'static str {
        self.kind().name()
    }

    /// Which kind of key this is.
    pub fn kind(&self) -> KeyKind {
        match self {
            Self::Rsa(_) => KeyKind::Rsa,
            Self::EcP384(_) => KeyKind::EcP384,
        }
    }

    /// The key size in bits (the RSA modulus length; 384 for P-384).
    pub fn bits(&self) -> usize {
        match self {
            Self::Rsa(key) => key.n().bits(),
            Self::EcP384(_) => 384,
        }
    }
}

/// The kind of a subject public key, without the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyKind {
    /// RSA.
    Rsa,
    /// EC on P-384.
    EcP384,
}

impl KeyKind {
    /// `"RSA"` or `"EC"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Rsa => "RSA",
            Self::EcP384 => "EC",
        }
    }
}

/// An id-ecPublicKey's parameters and point: namedCurve secp384r1 (compared as the parameters'
/// DER bytes, which keeps an OID decoder out of the browser module) and an uncompressed point.
pub(super) fn check_p384(
    parameters: Option<der::AnyRef<'_>>,
    point: &[u8],
) -> Result<(), CertificateError> {
    let on_p384 = parameters
        .is_some_and(|p| p.tag() == Tag::ObjectIdentifier && p.value() == SECP_384_R_1.as_bytes());
    if !on_p384 {
        return Err(CertificateError::UnsupportedKeyAlgorithm {
            oid: ID_EC_PUBLIC_KEY,
        });
    }
    if point.len() != P384_POINT_LEN || point[0] != 0x04 {
        return Err(CertificateError::BadPublicKey);
    }
    Ok(())
}

impl AsRef<PublicKey> for PublicKey {
    fn as_ref(&self) -> &PublicKey {
        self
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
    pub(super) fn from_identifier(id: &AlgorithmIdentifierOwned) -> Self {
        Self::from_parts(id.oid, id.parameters.as_ref().map(Into::into))
    }

    /// From an AlgorithmIdentifier's OID and parameters.
    pub(super) fn from_parts(oid: ObjectIdentifier, parameters: Option<der::AnyRef<'_>>) -> Self {
        // RFC 4055 §5: the parameters are NULL (some encoders omit them).
        let params_ok = parameters.is_none_or(|p| p.tag() == Tag::Null && p.value().is_empty());
        match oid {
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

/// Verifies `signature` over `signed` with `key` under `algorithm`.
pub(super) fn verify_signed(
    key: &PublicKey,
    algorithm: SignatureAlgorithm,
    signed: &[u8],
    signature: &[u8],
) -> Result<(), SignatureError> {
    let PublicKey::Rsa(rsa_key) = key else {
        return Err(SignatureError::UnsupportedKey);
    };
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
/// a [`PublicKey`] or a [`CertificateInfo`](super::CertificateInfo) (its subject key).
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
