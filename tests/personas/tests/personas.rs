//! The embedded personas load, agree with the definitions and the generated PKI, and make
//! working virtual cards.

use std::path::Path;

use der::{Decode, Encode};
use myna_personas::{CertificateKind, Personas};
use rsa::RsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use x509_cert::Certificate;

fn public_key_of(cert_der: &[u8]) -> RsaPublicKey {
    let cert = Certificate::from_der(cert_der).expect("a DER certificate");
    let spki = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .unwrap();
    RsaPublicKey::from_public_key_der(&spki).expect("an RSA key")
}

fn subject_cn(cert_der: &[u8]) -> String {
    let cert = Certificate::from_der(cert_der).unwrap();
    cert.tbs_certificate.subject.to_string()
}

#[test]
fn the_embedded_personas_load() {
    let personas = Personas::try_embedded().expect("the embedded personas load");
    assert!(personas.len() >= 13, "{}", personas.len());
    let names: Vec<&str> = personas.names().collect();
    for expected in [
        "default",
        "no-pin",
        "blocked",
        "last-try",
        "revoked-cert",
        "unlinked",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    // The CA certificate and the CRL are DER.
    Certificate::from_der(personas.ca_cert_der()).unwrap();
    assert_eq!(personas.crl_der()[0], 0x30);
    let old = personas.old_ca_cert_der().expect("the same-DN old root");
    assert_ne!(old, personas.ca_cert_der());
    // Same as embedded() and as reading the directory.
    let again = Personas::embedded();
    assert_eq!(again.len(), personas.len());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/personas");
    let from_dir = Personas::load_dir(&dir).unwrap();
    assert_eq!(
        from_dir.get("default").unwrap().auth_cert_der,
        personas.get("default").unwrap().auth_cert_der
    );
}

#[test]
fn every_key_matches_its_certificate() {
    let personas = Personas::embedded();
    for persona in personas.iter() {
        assert_eq!(
            public_key_of(&persona.auth_cert_der),
            persona.auth_key.to_public_key(),
            "{}",
            persona.name
        );
        let subject = subject_cn(&persona.auth_cert_der);
        assert!(
            subject.contains(&persona.subject_cn),
            "{}: {subject}",
            persona.name
        );
    }
}

#[test]
fn the_definitions_come_through() {
    let personas = Personas::embedded();
    let default = personas.get("default").unwrap();
    assert_eq!(default.pin.as_ref().unwrap().as_str(), "1234");
    assert_eq!(default.pin_remaining, 3);
    assert_eq!(default.certificate_kind, CertificateKind::Valid);
    assert_eq!(default.not_before.to_string(), "2025-04-01");
    let insurance = default.insurance.as_ref().unwrap();
    assert_eq!(insurance.insurer_number, "01130012");
    // Issue 13: only 後期高齢者 personas carry InsuredPartialContributionRatio.
    assert_eq!(insurance.insured_partial_contribution_ratio, None);
    for p in personas.iter() {
        let Some(i) = &p.insurance else { continue };
        assert_eq!(
            i.insured_partial_contribution_ratio.is_some(),
            i.insurer_number.starts_with("39"),
            "{}: the 後期 field belongs to 後期 personas only",
            p.name
        );
    }
    assert!(insurance.elderly_certificate_date.is_none());
    assert!(personas.get("no-pin").unwrap().pin.is_none());
    assert_eq!(personas.get("blocked").unwrap().pin_remaining, 0);
    assert_eq!(personas.get("last-try").unwrap().pin_remaining, 1);
    assert_eq!(
        personas.get("revoked-cert").unwrap().certificate_kind,
        CertificateKind::Revoked
    );
    assert_eq!(
        personas.get("expired-cert").unwrap().certificate_kind,
        CertificateKind::Expired
    );
    assert!(personas.get("unlinked").unwrap().insurance.is_none());
    let limit = personas.get("limit").unwrap().insurance.clone().unwrap();
    assert_eq!(limit.limit_classification_flag.as_deref(), Some("A03"));
    let elderly = personas
        .get("elderly-70")
        .unwrap()
        .insurance
        .clone()
        .unwrap();
    assert_eq!(elderly.elderly_contribution_ratio.as_deref(), Some("020"));
    assert!(personas.get("nobody").is_none());
    // Debug never shows the PIN.
    assert!(!format!("{default:?}").contains("1234"));
}

#[test]
fn a_broken_directory_gives_typed_errors() {
    let dir = std::env::temp_dir().join(format!("myna-personas-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let err = Personas::load_dir(&dir).unwrap_err();
    assert!(err.to_string().contains("personas.toml"), "{err}");
    std::fs::write(dir.join("personas.toml"), "[[persona]]\nname = 1\n").unwrap();
    std::fs::write(dir.join("index.toml"), "").unwrap();
    let err = Personas::load_dir(&dir).unwrap_err();
    assert!(err.to_string().contains("schema"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
