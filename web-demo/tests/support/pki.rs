//! CRLs and certificates signed in the test with the personas' TEST-ONLY CA keys
//! (`tests/fixtures/personas/ca/`): both root generations share one DN and differ by key.

use der::asn1::{BitString, Uint, UtcTime};
use der::{Decode as _, Encode as _};
use rsa::RsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey as _;
use rsa::signature::{SignatureEncoding as _, Signer as _};
use sha2::Sha256;
use time::OffsetDateTime;
use x509_cert::Certificate;
use x509_cert::crl::{CertificateList, RevokedCert, TbsCertList};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::CrlNumber;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Time;

/// A CA that signs in the test.
pub struct Ca {
    certificate: Certificate,
    key: SigningKey<Sha256>,
}

impl Ca {
    fn load(name: &str) -> Self {
        let read = |file: String| {
            std::fs::read(super::fixtures().join(&file)).unwrap_or_else(|e| panic!("{file}: {e}"))
        };
        let certificate = Certificate::from_der(&read(format!("ca/{name}.crt.der"))).unwrap();
        let key = RsaPrivateKey::from_pkcs8_der(&read(format!("ca/{name}.key.pk8.der"))).unwrap();
        Ca {
            certificate,
            key: SigningKey::new(key),
        }
    }

    /// The current test root (it issued every persona's certificate).
    pub fn root() -> Self {
        Self::load("root")
    }

    /// The other root generation: the same DN, another key.
    pub fn old_root() -> Self {
        Self::load("root-old")
    }

    /// A CA of another name whose key is a persona's (no anchor has its name).
    pub fn stranger() -> Self {
        let persona = myna_personas::Personas::embedded();
        let persona = persona.get("kokuho").unwrap();
        let mut certificate = Certificate::from_der(&persona.auth_cert_der).unwrap();
        certificate.tbs_certificate.issuer = certificate.tbs_certificate.subject.clone();
        Ca {
            certificate,
            key: SigningKey::new(persona.auth_key.clone()),
        }
    }

    fn name(&self) -> Name {
        self.certificate.tbs_certificate.subject.clone()
    }

    fn sign(&self, tbs: &[u8]) -> BitString {
        BitString::from_bytes(&self.key.sign(tbs).to_bytes()).unwrap()
    }

    /// A v2 CRL of this CA, thisUpdate..nextUpdate, listing `serials` (revoked a day before
    /// thisUpdate), with cRLNumber `number`.
    pub fn crl(
        &self,
        this_update: OffsetDateTime,
        next_update: OffsetDateTime,
        serials: &[SerialNumber],
        number: u8,
    ) -> Vec<u8> {
        self.crl_with(this_update, next_update, serials, number, false)
    }

    /// [`Self::crl`], and when `partitioned` with a critical issuingDistributionPoint (an
    /// empty one): a CRL that covers only part of its CA's certificates, as the real
    /// per-municipality CRLs do.
    pub fn crl_with(
        &self,
        this_update: OffsetDateTime,
        next_update: OffsetDateTime,
        serials: &[SerialNumber],
        number: u8,
        partitioned: bool,
    ) -> Vec<u8> {
        let algorithm = self.certificate.signature_algorithm.clone();
        let revoked_at = utc(this_update - time::Duration::days(1));
        let revoked: Vec<RevokedCert> = serials
            .iter()
            .map(|serial| RevokedCert {
                serial_number: serial.clone(),
                revocation_date: revoked_at,
                crl_entry_extensions: None,
            })
            .collect();
        let mut extensions = vec![Extension {
            extn_id: const_oid::db::rfc5912::ID_CE_CRL_NUMBER,
            critical: false,
            extn_value: der::asn1::OctetString::new(
                CrlNumber(Uint::new(&[number]).unwrap()).to_der().unwrap(),
            )
            .unwrap(),
        }];
        if partitioned {
            extensions.push(Extension {
                extn_id: const_oid::db::rfc5912::ID_CE_ISSUING_DISTRIBUTION_POINT,
                critical: true,
                // An empty IssuingDistributionPoint SEQUENCE.
                extn_value: der::asn1::OctetString::new(vec![0x30, 0x00]).unwrap(),
            });
        }
        let tbs = TbsCertList {
            version: x509_cert::Version::V2,
            signature: algorithm.clone(),
            issuer: self.name(),
            this_update: utc(this_update),
            next_update: Some(utc(next_update)),
            revoked_certificates: (!revoked.is_empty()).then_some(revoked),
            crl_extensions: Some(extensions),
        };
        let signature = self.sign(&tbs.to_der().unwrap());
        CertificateList {
            tbs_cert_list: tbs,
            signature_algorithm: algorithm,
            signature,
        }
        .to_der()
        .unwrap()
    }

    /// `certificate` (a persona's) signed by this CA instead: the same serial, subject,
    /// key and issuer DN — what the other CA generation issuing the same serial looks like.
    pub fn reissue(&self, certificate: &[u8]) -> Vec<u8> {
        let mut cert = Certificate::from_der(certificate).unwrap();
        cert.tbs_certificate.issuer = self.name();
        cert.signature = self.sign(&cert.tbs_certificate.to_der().unwrap());
        cert.to_der().unwrap()
    }
}

/// The serial of a DER certificate.
pub fn serial_of(certificate: &[u8]) -> SerialNumber {
    Certificate::from_der(certificate)
        .unwrap()
        .tbs_certificate
        .serial_number
}

/// `der` with one bit of its signature (the last byte) flipped.
pub fn forged(der: &[u8]) -> Vec<u8> {
    let mut der = der.to_vec();
    let last = der.len() - 1;
    der[last] ^= 1;
    der
}

fn utc(at: OffsetDateTime) -> Time {
    let seconds = u64::try_from(at.unix_timestamp()).unwrap();
    Time::UtcTime(UtcTime::from_unix_duration(std::time::Duration::from_secs(seconds)).unwrap())
}
