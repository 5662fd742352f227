//! Shared test material: the committed persona PKI and a small certificate maker that signs
//! with the committed test keys (so tests can build the odd certificates they need without
//! generating RSA keys).

#![allow(dead_code)]

use der::asn1::{Any, BitString, OctetString, UtcTime};
use der::{DateTime, Decode, Encode};
use rsa::RsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use sha2::{Sha256, Sha384};
use spki::{AlgorithmIdentifierOwned, ObjectIdentifier, SubjectPublicKeyInfoOwned};
use x509_cert::Certificate;
use x509_cert::certificate::{TbsCertificate, Version};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

macro_rules! fixture {
    ($path:literal) => {
        include_bytes!(concat!("../../../tests/fixtures/", $path))
    };
}

pub const ROOT_CRT: &[u8] = fixture!("personas/ca/root.crt.der");
pub const ROOT_KEY: &[u8] = fixture!("personas/ca/root.key.pk8.der");
pub const OLD_ROOT_CRT: &[u8] = fixture!("personas/ca/root-old.crt.der");
pub const OLD_ROOT_KEY: &[u8] = fixture!("personas/ca/root-old.key.pk8.der");
pub const CRL: &[u8] = fixture!("personas/ca/crl.der");
pub const INDEX_TOML: &str = include_str!("../../../tests/fixtures/personas/index.toml");

pub const DEFAULT_CRT: &[u8] = fixture!("personas/default/auth.crt.der");
pub const DEFAULT_KEY: &[u8] = fixture!("personas/default/auth.key.pk8.der");
pub const KOKUHO_CRT: &[u8] = fixture!("personas/kokuho/auth.crt.der");
pub const KOKUHO_KEY: &[u8] = fixture!("personas/kokuho/auth.key.pk8.der");
pub const KOUKI_KEY: &[u8] = fixture!("personas/kouki/auth.key.pk8.der");
pub const EXPIRED_CRT: &[u8] = fixture!("personas/expired-cert/auth.crt.der");
pub const REVOKED_CRT: &[u8] = fixture!("personas/revoked-cert/auth.crt.der");

/// Every persona's certificate, by name.
pub const PERSONA_CERTS: &[(&str, &[u8])] = &[
    ("default", DEFAULT_CRT),
    ("kokuho", KOKUHO_CRT),
    ("kouki", fixture!("personas/kouki/auth.crt.der")),
    ("elderly-70", fixture!("personas/elderly-70/auth.crt.der")),
    ("child", fixture!("personas/child/auth.crt.der")),
    ("limit", fixture!("personas/limit/auth.crt.der")),
    ("lost", fixture!("personas/lost/auth.crt.der")),
    ("unlinked", fixture!("personas/unlinked/auth.crt.der")),
    ("expired-cert", EXPIRED_CRT),
    ("revoked-cert", REVOKED_CRT),
    ("blocked", fixture!("personas/blocked/auth.crt.der")),
    ("last-try", fixture!("personas/last-try/auth.crt.der")),
    ("no-pin", fixture!("personas/no-pin/auth.crt.der")),
];

pub const JLIS_AUTHCA01: &[u8] = fixture!("jlis/authca01.cer");
pub const JLIS_AUTHCA02: &[u8] = fixture!("jlis/authca02.cer");
pub const JLIS_AUTHCA03: &[u8] = fixture!("jlis/authca03.cer");
pub const JLIS_TEST_CA_2019: &[u8] = fixture!("jlis/test/authca-test-2019.cer");
pub const JLIS_TEST_CA_2023: &[u8] = fixture!("jlis/test/authca-test-2023.cer");
pub const JLIS_TEST_LEAF: &[u8] = fixture!("jlis/test/auth-leaf-2025.der");

/// Unix seconds of midnight UTC on a date.
pub fn unix(y: u16, m: u8, d: u8) -> i64 {
    DateTime::new(y, m, d, 0, 0, 0)
        .unwrap()
        .unix_duration()
        .as_secs() as i64
}

pub fn key(pkcs8: &[u8]) -> RsaPrivateKey {
    RsaPrivateKey::from_pkcs8_der(pkcs8).unwrap()
}

/// The value of `index.toml`'s `field` in the `[[persona]]` block of `name`.
pub fn index_field(name: &str, field: &str) -> String {
    let block = INDEX_TOML
        .split("[[persona]]")
        .find(|b| b.contains(&format!("name = \"{name}\"\n")))
        .unwrap_or_else(|| panic!("{name} not in index.toml"));
    let prefix = format!("{field} = \"");
    let line = block
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("{field} not in {name}'s block"));
    line[prefix.len()..line.len() - 1].to_owned()
}

pub fn subject_of(der: &[u8]) -> Name {
    Certificate::from_der(der).unwrap().tbs_certificate.subject
}

pub fn spki_of(der: &[u8]) -> SubjectPublicKeyInfoOwned {
    Certificate::from_der(der)
        .unwrap()
        .tbs_certificate
        .subject_public_key_info
}

pub fn spki_of_key(key: &RsaPrivateKey) -> SubjectPublicKeyInfoOwned {
    SubjectPublicKeyInfoOwned::from_key(key.to_public_key()).unwrap()
}

pub fn name(s: &str) -> Name {
    s.parse().unwrap()
}

pub fn ext(oid: ObjectIdentifier, critical: bool, value: &impl Encode) -> Extension {
    Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value.to_der().unwrap()).unwrap(),
    }
}

/// The extensions of a CA: basicConstraints (with `path_len`) and keyUsage keyCertSign+cRLSign.
pub fn ca_extensions(path_len: Option<u8>) -> Vec<Extension> {
    use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages};
    vec![
        ext(
            const_oid::db::rfc5912::ID_CE_BASIC_CONSTRAINTS,
            true,
            &BasicConstraints {
                ca: true,
                path_len_constraint: path_len,
            },
        ),
        ext(
            const_oid::db::rfc5912::ID_CE_KEY_USAGE,
            true,
            &KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign),
        ),
    ]
}

#[derive(Clone, Copy)]
pub enum Hash {
    Sha256,
    Sha384,
}

/// What a made-up certificate says.
pub struct Spec {
    pub serial: u32,
    pub issuer: Name,
    pub subject: Name,
    pub not_before: (u16, u8, u8),
    pub not_after: (u16, u8, u8),
    pub spki: SubjectPublicKeyInfoOwned,
    pub extensions: Vec<Extension>,
    pub hash: Hash,
}

impl Spec {
    pub fn new(issuer: Name, subject: Name, spki: SubjectPublicKeyInfoOwned) -> Self {
        Self {
            serial: 0x1234,
            issuer,
            subject,
            not_before: (2020, 1, 1),
            not_after: (2040, 1, 1),
            spki,
            extensions: Vec::new(),
            hash: Hash::Sha256,
        }
    }

    fn algorithm(&self) -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid: match self.hash {
                Hash::Sha256 => const_oid::db::rfc5912::SHA_256_WITH_RSA_ENCRYPTION,
                Hash::Sha384 => const_oid::db::rfc5912::SHA_384_WITH_RSA_ENCRYPTION,
            },
            parameters: Some(Any::null()),
        }
    }

    pub fn tbs(&self) -> TbsCertificate {
        let time = |(y, m, d): (u16, u8, u8)| {
            Time::UtcTime(
                UtcTime::from_date_time(DateTime::new(y, m, d, 0, 0, 0).unwrap()).unwrap(),
            )
        };
        TbsCertificate {
            version: Version::V3,
            serial_number: SerialNumber::from(self.serial),
            signature: self.algorithm(),
            issuer: self.issuer.clone(),
            validity: Validity {
                not_before: time(self.not_before),
                not_after: time(self.not_after),
            },
            subject: self.subject.clone(),
            subject_public_key_info: self.spki.clone(),
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: if self.extensions.is_empty() {
                None
            } else {
                Some(self.extensions.clone())
            },
        }
    }

    /// The DER certificate, signed by `issuer_key`.
    pub fn sign(&self, issuer_key: &RsaPrivateKey) -> Vec<u8> {
        let tbs = self.tbs();
        let tbs_der = tbs.to_der().unwrap();
        let signature = match self.hash {
            Hash::Sha256 => rsa::pkcs1v15::SigningKey::<Sha256>::new(issuer_key.clone())
                .sign(&tbs_der)
                .to_vec(),
            Hash::Sha384 => rsa::pkcs1v15::SigningKey::<Sha384>::new(issuer_key.clone())
                .sign(&tbs_der)
                .to_vec(),
        };
        Certificate {
            tbs_certificate: tbs,
            signature_algorithm: self.algorithm(),
            signature: BitString::from_bytes(&signature).unwrap(),
        }
        .to_der()
        .unwrap()
    }
}
