//! X.509 parsing, chain building, CRLs and RS256 against the committed persona PKI, real J-LIS
//! certificates, and certificates made up per test with the committed test keys.

mod support;

use const_oid::db::rfc5280::ID_KP_CLIENT_AUTH;
use const_oid::db::rfc5912::{
    ID_CE_AUTHORITY_KEY_IDENTIFIER, ID_CE_CRL_DISTRIBUTION_POINTS, ID_CE_KEY_USAGE,
    ID_CE_NAME_CONSTRAINTS,
};
use der::{Decode, Encode};
use myna_core::x509::{
    CertificateError, ChainError, Crl, CrlError, CrlLocation, JPKI_AUTH_POLICY, JpkiProfileError,
    PublicKey, SignatureAlgorithm, SignatureError, TrustAnchor, iso8601_utc, parse_certificate,
    parse_certificate_lazy, verify_chain, verify_rs256,
};
use rsa::signature::{SignatureEncoding, Signer};
use rsa::{BigUint, RsaPublicKey};
use sha2::Sha256;
use support::*;
use x509_cert::Certificate;
use x509_cert::ext::pkix::{KeyUsage, KeyUsages};

const ROOT_DN: &str = "OU=Japan Agency for Local Authority Information Systems,\
                       OU=JPKI for user authentication,O=JPKI-TEST,C=JP";

fn anchor(der: &[u8]) -> TrustAnchor {
    TrustAnchor::from_der(der).unwrap()
}

fn root() -> TrustAnchor {
    anchor(ROOT_CRT)
}

fn jan_2026() -> i64 {
    unix(2026, 1, 1)
}

/// A certificate with the default persona's key, subject `subject`, issued in the test root's
/// name (sign it with `ROOT_KEY`).
fn under_root(subject: &str) -> Spec {
    Spec::new(subject_of(ROOT_CRT), name(subject), spki_of(DEFAULT_CRT))
}

/// A CA with the test root's DN as issuer and subject and the key `spki`: another generation
/// of the root, a link certificate, or a root whose key the chain must refuse.
fn root_named_ca(spki: spki::SubjectPublicKeyInfoOwned, path_len: Option<u8>) -> Spec {
    let mut spec = Spec::new(subject_of(ROOT_CRT), subject_of(ROOT_CRT), spki);
    spec.extensions = ca_extensions(path_len);
    spec
}

const SUB_CA_1: &str = "CN=Sub CA 1,O=JPKI-TEST,C=JP";

/// The intermediate `SUB_CA_1` under the test root, with the kokuho persona's key.
fn sub_ca_1(path_len: Option<u8>) -> Spec {
    let mut spec = Spec::new(
        subject_of(ROOT_CRT),
        name(SUB_CA_1),
        spki_of_key(&key(KOKUHO_KEY)),
    );
    spec.extensions = ca_extensions(path_len);
    spec
}

// ---------------------------------------------------------------- parsing the personas

#[test]
fn default_persona_certificate_fields() {
    let cert = parse_certificate(DEFAULT_CRT).unwrap();
    assert_eq!(cert.serial, index_field("default", "serial"));
    assert_eq!(cert.serial, "4E3188B0CE2A7078");
    assert_eq!(cert.issuer.rfc4514, ROOT_DN);
    assert_eq!(
        cert.issuer.display_forward(),
        "C=JP, O=JPKI-TEST, OU=JPKI for user authentication, \
         OU=Japan Agency for Local Authority Information Systems"
    );
    assert_eq!(cert.subject.rfc4514, "CN=JPKITEST0000000000000001,C=JP");
    assert_eq!(cert.subject.common_name(), Some("JPKITEST0000000000000001"));
    assert_eq!(cert.subject.attributes[0].keyword, Some("C"));
    assert_eq!(cert.subject.attributes[0].value, "JP");
    assert_eq!(cert.not_before, unix(2025, 4, 1));
    assert_eq!(cert.not_after, unix(2030, 3, 31));
    assert_eq!(cert.not_before_iso(), "2025-04-01T00:00:00Z");
    assert_eq!(cert.not_after_iso(), "2030-03-31T00:00:00Z");
    assert_eq!(cert.key_algorithm(), "RSA");
    assert_eq!(cert.key_bits, 2048);
    assert_eq!(cert.signature_algorithm, SignatureAlgorithm::RsaPkcs1Sha256);
    let ku = cert.key_usage.unwrap();
    assert!(ku.digital_signature);
    assert!(!ku.non_repudiation && !ku.key_cert_sign && !ku.crl_sign && !ku.key_encipherment);
    assert_eq!(cert.extended_key_usage, vec![ID_KP_CLIENT_AUTH]);
    assert_eq!(cert.policies, vec![JPKI_AUTH_POLICY]);
    assert!(cert.has_crl_distribution_point());
    match &cert.crl_distribution_points().unwrap()[..] {
        [CrlLocation::Directory(dn)] => assert_eq!(dn.common_name(), Some("Chiyoda-ku CRLDP")),
        other => panic!("unexpected CRL DPs {other:?}"),
    }
    assert_eq!(cert.basic_constraints, None);
    assert!(cert.unknown_critical_extensions.is_empty());
    let root = parse_certificate(ROOT_CRT).unwrap();
    assert_eq!(cert.authority_key_id().unwrap(), root.subject_key_id);
    assert_eq!(cert.subject_key_id.as_ref().map(Vec::len), Some(20));
    assert_eq!(cert.der(), DEFAULT_CRT);
    assert!(cert.is_jpki_auth());
    assert!(!cert.is_self_issued());
    assert!(cert.is_valid_at(jan_2026()));
}

#[test]
fn every_persona_certificate_has_the_auth_profile_and_matches_the_index() {
    let mut serials = Vec::new();
    for (name, der) in PERSONA_CERTS {
        let cert = parse_certificate(der).unwrap();
        assert_eq!(cert.check_jpki_auth(), Ok(()), "{name}");
        assert_eq!(cert.serial, index_field(name, "serial"), "{name}");
        let fingerprint: String = cert
            .sha256_fingerprint()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        assert_eq!(
            fingerprint,
            index_field(name, "certificate_sha256"),
            "{name}"
        );
        assert_eq!(
            cert.subject.common_name().unwrap(),
            index_field(name, "subject_cn"),
            "{name}"
        );
        assert_eq!(
            &cert.not_after_iso()[..10],
            index_field(name, "not_after"),
            "{name}"
        );
        serials.push(cert.serial);
    }
    serials.sort();
    serials.dedup();
    assert_eq!(serials.len(), PERSONA_CERTS.len());
}

#[test]
fn the_test_roots_are_cas_without_the_auth_profile() {
    for der in [ROOT_CRT, OLD_ROOT_CRT] {
        let cert = parse_certificate(der).unwrap();
        assert_eq!(cert.subject.rfc4514, ROOT_DN);
        assert!(cert.is_self_issued());
        let bc = cert.basic_constraints.unwrap();
        assert!(bc.ca);
        assert_eq!(bc.path_len, None);
        let ku = cert.key_usage.unwrap();
        assert!(ku.key_cert_sign && ku.crl_sign && !ku.digital_signature);
        assert_eq!(
            cert.check_jpki_auth(),
            Err(JpkiProfileError::NoDigitalSignature)
        );
    }
    let (a, b) = (
        parse_certificate(ROOT_CRT).unwrap(),
        parse_certificate(OLD_ROOT_CRT).unwrap(),
    );
    assert_eq!(a.subject, b.subject);
    assert_ne!(a.spki_der, b.spki_der);
}

// ---------------------------------------------------------------- malformed input

#[test]
fn empty_truncated_trailing_and_garbage_input_are_typed_errors() {
    assert_eq!(parse_certificate(&[]), Err(CertificateError::Empty));
    let mut trailing = DEFAULT_CRT.to_vec();
    trailing.push(0);
    assert_eq!(
        parse_certificate(&trailing),
        Err(CertificateError::TrailingBytes { count: 1 })
    );
    assert!(matches!(
        parse_certificate(&DEFAULT_CRT[..DEFAULT_CRT.len() - 1]),
        Err(CertificateError::Malformed(_))
    ));
    assert!(matches!(
        parse_certificate(b"-----BEGIN CERTIFICATE-----"),
        Err(CertificateError::Malformed(_))
    ));
    assert!(matches!(
        parse_certificate(&[0x30, 0x03, 0x02, 0x01, 0x01]),
        Err(CertificateError::Malformed(_))
    ));
}

/// `summary` (what the browser module shows) is the `Display` text without `der`'s detail.
#[test]
fn the_summary_is_the_message_without_der_detail() {
    let malformed = parse_certificate(&DEFAULT_CRT[..DEFAULT_CRT.len() - 1]).unwrap_err();
    let full = malformed.to_string();
    assert_eq!(
        malformed.summary().to_string(),
        "not a DER X.509 certificate"
    );
    assert!(
        full.starts_with("not a DER X.509 certificate: ") && full.len() > 29,
        "{full}"
    );
    let extension = CertificateError::BadExtension {
        oid: ID_CE_KEY_USAGE,
        source: der::Tag::Null.value_error(),
    };
    assert_eq!(
        extension.summary().to_string(),
        "extension 2.5.29.15 does not decode"
    );
    assert!(
        extension
            .to_string()
            .starts_with("extension 2.5.29.15 does not decode: ")
    );
    assert!(std::error::Error::source(&extension).is_some());
    for (e, text) in [
        (CertificateError::Empty, "empty certificate"),
        (
            CertificateError::TrailingBytes { count: 2 },
            "2 bytes after the certificate",
        ),
        (
            CertificateError::DuplicateExtension {
                oid: ID_CE_KEY_USAGE,
            },
            "extension 2.5.29.15 appears more than once",
        ),
    ] {
        assert_eq!(e.summary().to_string(), text);
        assert_eq!(e.to_string(), text);
    }
}

#[test]
fn inner_and_outer_signature_algorithms_must_agree() {
    let mut cert = Certificate::from_der(DEFAULT_CRT).unwrap();
    cert.signature_algorithm.oid = const_oid::db::rfc5912::SHA_384_WITH_RSA_ENCRYPTION;
    assert_eq!(
        parse_certificate(&cert.to_der().unwrap()),
        Err(CertificateError::SignatureAlgorithmMismatch)
    );
}

/// An EC public key with `curve` as its named curve and `point` as its key.
fn ec_spki(curve: const_oid::ObjectIdentifier, point: &[u8]) -> spki::SubjectPublicKeyInfoOwned {
    spki::SubjectPublicKeyInfoOwned {
        algorithm: spki::AlgorithmIdentifierOwned {
            oid: const_oid::db::rfc5912::ID_EC_PUBLIC_KEY,
            parameters: Some(der::Any::encode_from(&curve).unwrap()),
        },
        subject_public_key: der::asn1::BitString::from_bytes(point).unwrap(),
    }
}

/// Issue 14 item 5: a P-384 key (the announced next-generation card's) parses, in its
/// uncompressed form only; other curves and other algorithms are unsupported.
#[test]
fn issue_14_a_p384_key_parses_and_other_keys_do_not() {
    use const_oid::db::rfc5912::{ID_EC_PUBLIC_KEY, SECP_256_R_1, SECP_384_R_1};
    let issue =
        |spki| Spec::new(subject_of(ROOT_CRT), name("CN=EC,C=JP"), spki).sign(&key(ROOT_KEY));
    let mut point = vec![0x04];
    point.extend([7; 96]);
    let info = parse_certificate(&issue(ec_spki(SECP_384_R_1, &point))).unwrap();
    assert_eq!(info.public_key, PublicKey::EcP384(point.clone()));
    assert_eq!((info.key_algorithm(), info.key_bits), ("EC", 384));
    // Nothing in the core verifies with it (the service does, web-demo/src/verify.rs).
    assert_eq!(
        verify_rs256(&info, b"m", &[0; 96]),
        Err(SignatureError::UnsupportedKey)
    );
    assert_eq!(
        parse_certificate(&issue(ec_spki(SECP_256_R_1, &point[..65]))),
        Err(CertificateError::UnsupportedKeyAlgorithm {
            oid: ID_EC_PUBLIC_KEY
        })
    );
    let mut compressed = vec![0x02];
    compressed.extend([7; 48]);
    for bad in [
        compressed,
        point[..96].to_vec(),
        [&[0x05][..], &point[1..]].concat(),
    ] {
        assert_eq!(
            parse_certificate(&issue(ec_spki(SECP_384_R_1, &bad))),
            Err(CertificateError::BadPublicKey)
        );
    }
    let mut no_curve = ec_spki(SECP_384_R_1, &point);
    no_curve.algorithm.parameters = None;
    assert_eq!(
        parse_certificate(&issue(no_curve)),
        Err(CertificateError::UnsupportedKeyAlgorithm {
            oid: ID_EC_PUBLIC_KEY
        })
    );
    let ed25519 = const_oid::ObjectIdentifier::new_unwrap("1.3.101.112");
    let mut other = ec_spki(SECP_384_R_1, &point);
    other.algorithm = spki::AlgorithmIdentifierOwned {
        oid: ed25519,
        parameters: None,
    };
    assert_eq!(
        parse_certificate(&issue(other)),
        Err(CertificateError::UnsupportedKeyAlgorithm { oid: ed25519 })
    );
}

/// Certificates signed by an EC key are not verified: an EC issuer is refused before any
/// signature is looked at (what `docs/card-protocol.md` says is not covered).
#[test]
fn issue_14_an_ec_issuer_is_refused() {
    let mut point = vec![0x04];
    point.extend([7; 96]);
    let ec_root = root_named_ca(ec_spki(const_oid::db::rfc5912::SECP_384_R_1, &point), None);
    let ec_root = anchor(&ec_root.sign(&key(ROOT_KEY)));
    assert_eq!(
        verify_chain(DEFAULT_CRT, &[], &[ec_root], jan_2026()),
        Err(ChainError::WeakKey {
            depth: 1,
            bits: 384
        })
    );
}

#[test]
fn duplicate_and_undecodable_extensions_are_rejected() {
    let mut spec = under_root("CN=X,C=JP");
    spec.extensions = vec![
        ext(
            ID_CE_KEY_USAGE,
            true,
            &KeyUsage(KeyUsages::DigitalSignature.into()),
        ),
        ext(
            ID_CE_KEY_USAGE,
            true,
            &KeyUsage(KeyUsages::DigitalSignature.into()),
        ),
    ];
    assert_eq!(
        parse_certificate(&spec.sign(&key(ROOT_KEY))),
        Err(CertificateError::DuplicateExtension {
            oid: ID_CE_KEY_USAGE
        })
    );
    spec.extensions = vec![ext(ID_CE_KEY_USAGE, true, &der::asn1::Null)];
    assert!(matches!(
        parse_certificate(&spec.sign(&key(ROOT_KEY))),
        Err(CertificateError::BadExtension { oid, .. }) if oid == ID_CE_KEY_USAGE
    ));
}

#[test]
fn the_lazy_parse_reads_the_same_certificates() {
    for der in [
        DEFAULT_CRT,
        ROOT_CRT,
        OLD_ROOT_CRT,
        JLIS_TEST_LEAF,
        JLIS_TEST_CA_2019,
        JLIS_TEST_CA_2023,
    ] {
        let (full, lazy) = (parse_certificate(der), parse_certificate_lazy(der));
        assert_eq!(full, lazy);
        let lazy = lazy.unwrap();
        assert!(lazy.crl_distribution_points().is_ok() && lazy.authority_key_id().is_ok());
    }
    let mut trailing = DEFAULT_CRT.to_vec();
    trailing.push(0);
    assert_eq!(
        parse_certificate_lazy(&trailing),
        Err(CertificateError::TrailingBytes { count: 1 })
    );
}

/// A malformed cRLDistributionPoints or authorityKeyIdentifier: `parse_certificate`, and so
/// `verify_chain` and `TrustAnchor` (what the service uses), refuse it; the lazy parse (the
/// browser module's) accepts it and its accessor returns the same error.
#[test]
fn a_malformed_crl_dp_or_aki_is_refused_by_the_checked_parse_only() {
    let mut spec = under_root("CN=X,C=JP");
    for oid in [
        ID_CE_CRL_DISTRIBUTION_POINTS,
        ID_CE_AUTHORITY_KEY_IDENTIFIER,
    ] {
        // A malformed one before a malformed keyUsage: the checked parse names the first.
        spec.extensions = vec![
            ext(oid, false, &der::asn1::Null),
            ext(ID_CE_KEY_USAGE, true, &der::asn1::Null),
        ];
        let der = spec.sign(&key(ROOT_KEY));
        let refused = parse_certificate(&der).unwrap_err();
        assert!(
            matches!(refused, CertificateError::BadExtension { oid: o, .. } if o == oid),
            "{refused:?}"
        );
        assert_eq!(
            verify_chain(&der, &[], &[root()], jan_2026()).unwrap_err(),
            ChainError::Leaf(refused.clone())
        );
        assert_eq!(TrustAnchor::from_der(&der).unwrap_err(), refused);
        assert!(matches!(
            parse_certificate_lazy(&der),
            Err(CertificateError::BadExtension { oid, .. }) if oid == ID_CE_KEY_USAGE
        ));

        spec.extensions = vec![ext(oid, false, &der::asn1::Null)];
        let der = spec.sign(&key(ROOT_KEY));
        let refused = parse_certificate(&der).unwrap_err();
        let lazy = parse_certificate_lazy(&der).unwrap();
        let found = if oid == ID_CE_CRL_DISTRIBUTION_POINTS {
            assert!(!lazy.has_crl_distribution_point());
            assert!(lazy.authority_key_id().unwrap().is_none());
            lazy.crl_distribution_points().unwrap_err()
        } else {
            assert!(lazy.crl_distribution_points().unwrap().is_empty());
            lazy.authority_key_id().unwrap_err()
        };
        assert_eq!(found, refused);
    }
}

// ---------------------------------------------------------------- chains over the personas

#[test]
fn the_default_persona_verifies_to_the_test_root() {
    let path = verify_chain(DEFAULT_CRT, &[], &[root()], jan_2026()).unwrap();
    assert_eq!(path.certificates.len(), 2);
    assert_eq!(path.anchor_index, 0);
    assert_eq!(path.leaf().serial, "4E3188B0CE2A7078");
    assert_eq!(path.anchor().der(), ROOT_CRT);
}

#[test]
fn issuers_sharing_a_dn_are_told_apart_by_signature() {
    let old = anchor(OLD_ROOT_CRT);
    let path = verify_chain(DEFAULT_CRT, &[], &[old.clone(), root()], jan_2026()).unwrap();
    assert_eq!(path.anchor_index, 1);
    let path = verify_chain(DEFAULT_CRT, &[], &[root(), old.clone()], jan_2026()).unwrap();
    assert_eq!(path.anchor_index, 0);
    assert_eq!(
        verify_chain(DEFAULT_CRT, &[], &[old], jan_2026()),
        Err(ChainError::BadSignature { depth: 0 })
    );
}

#[test]
fn validity_is_inclusive_at_both_ends() {
    let (nb, na) = (unix(2025, 4, 1), unix(2030, 3, 31));
    assert!(verify_chain(DEFAULT_CRT, &[], &[root()], nb).is_ok());
    assert!(verify_chain(DEFAULT_CRT, &[], &[root()], na).is_ok());
    assert_eq!(
        verify_chain(DEFAULT_CRT, &[], &[root()], nb - 1),
        Err(ChainError::NotYetValid {
            depth: 0,
            not_before: nb
        })
    );
    assert_eq!(
        verify_chain(DEFAULT_CRT, &[], &[root()], na + 1),
        Err(ChainError::Expired {
            depth: 0,
            not_after: na
        })
    );
}

#[test]
fn the_expired_persona_is_expired_now_and_was_valid_in_2022() {
    assert_eq!(
        verify_chain(EXPIRED_CRT, &[], &[root()], jan_2026()),
        Err(ChainError::Expired {
            depth: 0,
            not_after: unix(2024, 3, 31)
        })
    );
    assert!(verify_chain(EXPIRED_CRT, &[], &[root()], unix(2022, 1, 1)).is_ok());
    let message = ChainError::Expired {
        depth: 0,
        not_after: unix(2024, 3, 31),
    }
    .to_string();
    assert!(message.contains("2024-03-31T00:00:00Z"), "{message}");
}

#[test]
fn a_tampered_certificate_fails_its_signature() {
    let mut der = DEFAULT_CRT.to_vec();
    let at = der
        .windows(24)
        .position(|w| w == b"JPKITEST0000000000000001")
        .unwrap();
    der[at + 23] = b'2';
    assert_eq!(
        verify_chain(&der, &[], &[root()], jan_2026()),
        Err(ChainError::BadSignature { depth: 0 })
    );
    let mut der = DEFAULT_CRT.to_vec();
    let last = der.len() - 1;
    der[last] ^= 1;
    assert_eq!(
        verify_chain(&der, &[], &[root()], jan_2026()),
        Err(ChainError::BadSignature { depth: 0 })
    );
}

#[test]
fn bad_arguments_are_typed() {
    assert_eq!(
        verify_chain(DEFAULT_CRT, &[], &[], jan_2026()),
        Err(ChainError::NoTrustAnchors)
    );
    assert!(matches!(
        verify_chain(&DEFAULT_CRT[1..], &[], &[root()], jan_2026()),
        Err(ChainError::Leaf(CertificateError::Malformed(_)))
    ));
    assert!(matches!(
        verify_chain(DEFAULT_CRT, &[ROOT_CRT, b"junk"], &[root()], jan_2026()),
        Err(ChainError::MalformedIntermediate { index: 1, .. })
    ));
    // A name nobody has.
    assert_eq!(
        verify_chain(DEFAULT_CRT, &[], &[anchor(JLIS_AUTHCA03)], jan_2026()),
        Err(ChainError::UnknownIssuer { depth: 0 })
    );
}

// ---------------------------------------------------------------- made-up paths

/// root → "Sub CA 1" (kokuho's key) → "Sub CA 2" (kouki's key) → leaf (default's key).
struct Hierarchy {
    sub1: Vec<u8>,
    sub2: Vec<u8>,
    leaf: Vec<u8>,
}

fn hierarchy(
    sub1_path_len: Option<u8>,
    sub2_extensions: Vec<x509_cert::ext::Extension>,
) -> Hierarchy {
    let sub1 = sub_ca_1(sub1_path_len);
    let mut sub2 = Spec::new(
        sub1.subject.clone(),
        name("CN=Sub CA 2,O=JPKI-TEST,C=JP"),
        spki_of_key(&key(KOUKI_KEY)),
    );
    sub2.extensions = sub2_extensions;
    let leaf = Spec::new(
        sub2.subject.clone(),
        name("CN=leaf,C=JP"),
        spki_of(DEFAULT_CRT),
    );
    Hierarchy {
        sub1: sub1.sign(&key(ROOT_KEY)),
        sub2: sub2.sign(&key(KOKUHO_KEY)),
        leaf: leaf.sign(&key(KOUKI_KEY)),
    }
}

#[test]
fn a_path_through_intermediates_given_in_any_order() {
    let h = hierarchy(Some(1), ca_extensions(None));
    for intermediates in [[&h.sub1[..], &h.sub2[..]], [&h.sub2[..], &h.sub1[..]]] {
        let path = verify_chain(&h.leaf, &intermediates, &[root()], jan_2026()).unwrap();
        let cns: Vec<_> = path
            .certificates
            .iter()
            .map(|c| c.subject.rfc4514.clone())
            .collect();
        assert_eq!(
            cns,
            [
                "CN=leaf,C=JP",
                "CN=Sub CA 2,O=JPKI-TEST,C=JP",
                SUB_CA_1,
                ROOT_DN
            ]
        );
    }
    assert_eq!(
        verify_chain(&h.leaf, &[&h.sub2], &[root()], jan_2026()),
        Err(ChainError::UnknownIssuer { depth: 1 })
    );
    assert_eq!(
        verify_chain(&h.leaf, &[], &[root()], jan_2026()),
        Err(ChainError::UnknownIssuer { depth: 0 })
    );
}

#[test]
fn path_length_constraints_are_enforced() {
    let h = hierarchy(Some(0), ca_extensions(None));
    assert_eq!(
        verify_chain(&h.leaf, &[&h.sub1, &h.sub2], &[root()], jan_2026()),
        Err(ChainError::PathLengthExceeded { depth: 2 })
    );
}

#[test]
fn an_issuer_must_be_a_ca_allowed_to_sign_certificates() {
    let h = hierarchy(None, vec![]);
    assert_eq!(
        verify_chain(&h.leaf, &[&h.sub1, &h.sub2], &[root()], jan_2026()),
        Err(ChainError::NotACa { depth: 1 })
    );
    let mut extensions = ca_extensions(None);
    extensions[1] = ext(
        ID_CE_KEY_USAGE,
        true,
        &KeyUsage(KeyUsages::DigitalSignature.into()),
    );
    let h = hierarchy(None, extensions);
    assert_eq!(
        verify_chain(&h.leaf, &[&h.sub1, &h.sub2], &[root()], jan_2026()),
        Err(ChainError::NotACertificateSigner { depth: 1 })
    );
    // A persona's auth certificate cannot issue anything.
    let leaf = Spec::new(
        subject_of(DEFAULT_CRT),
        name("CN=child,C=JP"),
        spki_of(KOKUHO_CRT),
    )
    .sign(&key(DEFAULT_KEY));
    assert_eq!(
        verify_chain(&leaf, &[DEFAULT_CRT], &[root()], jan_2026()),
        Err(ChainError::NotACa { depth: 1 })
    );
}

#[test]
fn an_expired_intermediate_or_anchor_breaks_the_path() {
    let mut sub = sub_ca_1(None);
    sub.not_after = (2025, 6, 30);
    let sub = sub.sign(&key(ROOT_KEY));
    let leaf = Spec::new(name(SUB_CA_1), name("CN=leaf,C=JP"), spki_of(DEFAULT_CRT))
        .sign(&key(KOKUHO_KEY));
    assert_eq!(
        verify_chain(&leaf, &[&sub], &[root()], jan_2026()),
        Err(ChainError::Expired {
            depth: 1,
            not_after: unix(2025, 6, 30)
        })
    );

    // An anchor with the root's DN and key that expired at the end of 2025.
    let mut short_root = root_named_ca(spki_of(ROOT_CRT), None);
    short_root.not_after = (2025, 12, 31);
    let short_root = anchor(&short_root.sign(&key(ROOT_KEY)));
    assert_eq!(
        verify_chain(
            DEFAULT_CRT,
            &[],
            std::slice::from_ref(&short_root),
            jan_2026()
        ),
        Err(ChainError::Expired {
            depth: 1,
            not_after: unix(2025, 12, 31)
        })
    );
    // With the long-lived root beside it, the path goes there instead.
    assert_eq!(
        verify_chain(DEFAULT_CRT, &[], &[short_root, root()], jan_2026())
            .unwrap()
            .anchor_index,
        1
    );
}

#[test]
fn a_link_certificate_reaches_an_older_root_generation() {
    // J-LIS style "new with old": the new root's DN and key, signed by the old root.
    let link = root_named_ca(spki_of(ROOT_CRT), Some(0)).sign(&key(OLD_ROOT_KEY));
    let path = verify_chain(DEFAULT_CRT, &[&link], &[anchor(OLD_ROOT_CRT)], jan_2026()).unwrap();
    assert_eq!(path.certificates.len(), 3);
    assert!(path.certificates[1].is_self_issued());
    assert_eq!(path.anchor().der(), OLD_ROOT_CRT);
}

#[test]
fn issuers_naming_each_other_do_not_loop() {
    let mut x = Spec::new(name("CN=Y"), name("CN=X"), spki_of_key(&key(KOKUHO_KEY)));
    x.extensions = ca_extensions(None);
    let mut y = Spec::new(name("CN=X"), name("CN=Y"), spki_of_key(&key(KOUKI_KEY)));
    y.extensions = ca_extensions(None);
    let (x, y) = (x.sign(&key(KOUKI_KEY)), y.sign(&key(KOKUHO_KEY)));
    let leaf =
        Spec::new(name("CN=X"), name("CN=leaf"), spki_of(DEFAULT_CRT)).sign(&key(KOKUHO_KEY));
    assert_eq!(
        verify_chain(&leaf, &[&x, &y], &[root()], jan_2026()),
        Err(ChainError::UnknownIssuer { depth: 2 })
    );
}

#[test]
fn unknown_critical_extensions_are_refused() {
    let mut spec = under_root("CN=leaf,C=JP");
    spec.extensions = vec![ext(ID_CE_NAME_CONSTRAINTS, true, &der::asn1::Null)];
    let der = spec.sign(&key(ROOT_KEY));
    assert_eq!(
        parse_certificate(&der).unwrap().unknown_critical_extensions,
        vec![ID_CE_NAME_CONSTRAINTS]
    );
    assert_eq!(
        verify_chain(&der, &[], &[root()], jan_2026()),
        Err(ChainError::UnsupportedCriticalExtension {
            depth: 0,
            oid: ID_CE_NAME_CONSTRAINTS
        })
    );
    spec.extensions[0].critical = false;
    assert!(verify_chain(&spec.sign(&key(ROOT_KEY)), &[], &[root()], jan_2026()).is_ok());
}

#[test]
fn sha384_signatures_verify_and_sha1_is_unsupported() {
    let mut spec = under_root("CN=leaf,C=JP");
    spec.hash = Hash::Sha384;
    let der = spec.sign(&key(ROOT_KEY));
    assert_eq!(
        parse_certificate(&der).unwrap().signature_algorithm,
        SignatureAlgorithm::RsaPkcs1Sha384
    );
    assert!(verify_chain(&der, &[], &[root()], jan_2026()).is_ok());

    let sha1 = const_oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.5");
    let mut cert = Certificate::from_der(DEFAULT_CRT).unwrap();
    cert.signature_algorithm.oid = sha1;
    cert.tbs_certificate.signature.oid = sha1;
    assert_eq!(
        verify_chain(&cert.to_der().unwrap(), &[], &[root()], jan_2026()),
        Err(ChainError::UnsupportedSignatureAlgorithm {
            depth: 0,
            oid: sha1
        })
    );
}

#[test]
fn an_issuer_with_a_small_key_is_refused() {
    // Only the key's size matters: it is refused before any signature check.
    let small = RsaPublicKey::new(
        BigUint::from_bytes_be(&[0xC5; 128]),
        BigUint::from(65_537u32),
    )
    .unwrap();
    let weak_root = root_named_ca(
        spki::SubjectPublicKeyInfoOwned::from_key(small).unwrap(),
        None,
    );
    let weak_root = anchor(&weak_root.sign(&key(ROOT_KEY)));
    assert_eq!(weak_root.certificate().key_bits, 1024);
    assert_eq!(
        verify_chain(DEFAULT_CRT, &[], &[weak_root], jan_2026()),
        Err(ChainError::WeakKey {
            depth: 1,
            bits: 1024
        })
    );
}

// ---------------------------------------------------------------- the CRL

#[test]
fn the_test_crl_lists_exactly_the_revoked_persona() {
    let crl = Crl::parse(CRL).unwrap();
    assert_eq!(crl.issuer.rfc4514, ROOT_DN);
    assert_eq!(crl.this_update, unix(2025, 10, 1));
    assert_eq!(crl.next_update, Some(unix(2045, 12, 31)));
    assert_eq!(crl.crl_number.as_deref(), Some("01"));
    assert!(!crl.partitioned);
    assert_eq!(
        crl.authority_key_id,
        parse_certificate(ROOT_CRT).unwrap().subject_key_id
    );
    assert_eq!(crl.verify_signature(&root()), Ok(()));
    assert_eq!(crl.check_time(jan_2026()), Ok(()));

    let revoked = parse_certificate(REVOKED_CRT).unwrap();
    assert_eq!(crl.revoked.len(), 1);
    assert_eq!(crl.revoked[0].serial, index_field("revoked-cert", "serial"));
    assert_eq!(crl.revoked[0].revocation_date, unix(2025, 9, 1));
    assert!(crl.is_revoked(&revoked.serial));
    assert!(crl.is_revoked(&revoked.serial.to_lowercase()));
    assert!(crl.is_revoked(&format!("00{}", revoked.serial)));
    assert!(crl.revocation_of(&revoked).is_some());
    // It still chains: revocation is a separate question.
    assert!(verify_chain(REVOKED_CRT, &[], &[root()], jan_2026()).is_ok());

    for (name, der) in PERSONA_CERTS.iter().filter(|(n, _)| *n != "revoked-cert") {
        let cert = parse_certificate(der).unwrap();
        assert!(!crl.is_revoked(&cert.serial), "{name}");
        assert!(crl.revocation_of(&cert).is_none(), "{name}");
    }
    assert!(!crl.is_revoked("not hex"));
}

#[test]
fn the_crl_is_checked_against_its_real_issuer() {
    let crl = Crl::parse(CRL).unwrap();
    assert_eq!(
        crl.verify_signature(&anchor(OLD_ROOT_CRT)),
        Err(CrlError::BadSignature)
    );
    assert_eq!(
        crl.verify_signature(&anchor(JLIS_AUTHCA03)),
        Err(CrlError::IssuerMismatch)
    );
    // Same DN and key as the root, but a key usage without cRLSign.
    let mut no_crl_sign = root_named_ca(spki_of(ROOT_CRT), None);
    no_crl_sign.extensions[1] = ext(
        ID_CE_KEY_USAGE,
        true,
        &KeyUsage(KeyUsages::KeyCertSign.into()),
    );
    assert_eq!(
        crl.verify_signature(&anchor(&no_crl_sign.sign(&key(ROOT_KEY)))),
        Err(CrlError::NotACrlSigner)
    );

    let mut tampered = CRL.to_vec();
    let last = tampered.len() - 1;
    tampered[last] ^= 0x80;
    assert_eq!(
        Crl::parse(&tampered).unwrap().verify_signature(&root()),
        Err(CrlError::BadSignature)
    );
    assert_eq!(
        crl.check_time(unix(2025, 9, 30)),
        Err(CrlError::NotYetValid {
            this_update: unix(2025, 10, 1)
        })
    );
    assert_eq!(
        crl.check_time(unix(2046, 1, 1)),
        Err(CrlError::Stale {
            next_update: unix(2045, 12, 31)
        })
    );
}

#[test]
fn malformed_crls_are_typed_errors() {
    let mut trailing = CRL.to_vec();
    trailing.extend_from_slice(&[0, 0]);
    assert_eq!(
        Crl::parse(&trailing),
        Err(CrlError::TrailingBytes { count: 2 })
    );
    assert!(matches!(
        Crl::parse(&CRL[..10]),
        Err(CrlError::Malformed(_))
    ));
    assert!(matches!(
        Crl::parse(DEFAULT_CRT),
        Err(CrlError::Malformed(_))
    ));
}

// ---------------------------------------------------------------- RS256

#[test]
fn rs256_signatures_from_a_persona_key() {
    let cert = parse_certificate(DEFAULT_CRT).unwrap();
    let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new(key(DEFAULT_KEY));
    let signature = signer.sign(b"hello").to_vec();
    assert_eq!(verify_rs256(&cert.public_key, b"hello", &signature), Ok(()));
    assert_eq!(cert.verify_rs256(b"hello", &signature), Ok(()));
    assert_eq!(
        verify_rs256(&cert.public_key, b"hellO", &signature),
        Err(SignatureError::Invalid)
    );
    let other = parse_certificate(KOKUHO_CRT).unwrap();
    assert_eq!(
        other.verify_rs256(b"hello", &signature),
        Err(SignatureError::Invalid)
    );
    assert_eq!(
        verify_rs256(&cert.public_key, b"hello", &signature[1..]),
        Err(SignatureError::WrongLength {
            expected: 256,
            actual: 255
        })
    );
    let small = RsaPublicKey::new(
        BigUint::from_bytes_be(&[0xC5; 128]),
        BigUint::from(65_537u32),
    )
    .unwrap();
    assert_eq!(
        verify_rs256(&PublicKey::from(small), b"hello", &[0; 128]),
        Err(SignatureError::WeakKey { bits: 1024 })
    );
    assert_eq!(
        PublicKey::from_spki_der(&cert.spki_der).unwrap(),
        cert.public_key
    );
}

// ---------------------------------------------------------------- real J-LIS certificates

#[test]
fn the_production_jlis_roots_are_self_signed_cas_sharing_one_dn() {
    let expected = [
        (JLIS_AUTHCA01, "01", (2015, 10, 21), (2025, 10, 19)),
        (JLIS_AUTHCA02, "0133C349", (2019, 9, 15), (2029, 9, 14)),
        (JLIS_AUTHCA03, "06D18006", (2023, 7, 17), (2033, 7, 15)),
    ];
    for (der, serial, inside_from, until) in expected {
        let cert = parse_certificate(der).unwrap();
        assert_eq!(cert.serial, serial);
        assert_eq!(
            cert.subject.rfc4514,
            "OU=Japan Agency for Local Authority Information Systems,\
             OU=JPKI for user authentication,O=JPKI,C=JP"
        );
        assert!(cert.is_self_issued());
        assert!(cert.basic_constraints.unwrap().ca);
        assert_eq!(cert.key_bits, 2048);
        assert_eq!(cert.signature_algorithm, SignatureAlgorithm::RsaPkcs1Sha256);
        assert!(!cert.is_jpki_auth());
        assert!(cert.not_after_iso().starts_with(&format!(
            "{:04}-{:02}-{:02}T14:59:59Z",
            until.0, until.1, until.2
        )));
        // Its own signature verifies, inside its validity and not after it.
        let at = unix(inside_from.0, inside_from.1, inside_from.2);
        let path = verify_chain(der, &[], &[anchor(der)], at).unwrap();
        assert_eq!(path.certificates.len(), 2);
        assert_eq!(
            verify_chain(der, &[], &[anchor(der)], cert.not_after + 1),
            Err(ChainError::Expired {
                depth: 0,
                not_after: cert.not_after
            })
        );
    }
    // One generation does not vouch for another: same DN, different keys.
    assert_eq!(
        verify_chain(
            JLIS_AUTHCA03,
            &[],
            &[anchor(JLIS_AUTHCA02)],
            unix(2026, 1, 1)
        ),
        Err(ChainError::BadSignature { depth: 0 })
    );
}

#[test]
fn a_real_jpki_test_card_certificate_verifies_to_its_own_test_root_only() {
    let leaf = parse_certificate(JLIS_TEST_LEAF).unwrap();
    assert_eq!(leaf.serial, "227B13");
    assert_eq!(leaf.subject.rfc4514, "CN=997794E9AGCIEG13221003A,C=JP");
    assert_eq!(leaf.issuer.rfc4514, ROOT_DN);
    assert_eq!(leaf.check_jpki_auth(), Ok(()));
    assert_eq!(leaf.not_after_iso(), "2030-02-17T14:59:59Z");
    assert!(matches!(
        &leaf.crl_distribution_points().unwrap()[..],
        [CrlLocation::Directory(dn)] if dn.common_name() == Some("Kiyose-shi CRLDP")
    ));
    let ca2019 = anchor(JLIS_TEST_CA_2019);
    let ca2023 = anchor(JLIS_TEST_CA_2023);
    assert_eq!(ca2019.certificate().serial, "BFCD");
    assert_eq!(ca2023.certificate().serial, "218887");
    assert_eq!(
        leaf.authority_key_id().unwrap(),
        ca2023.certificate().subject_key_id
    );

    let at = jan_2026();
    let path = verify_chain(JLIS_TEST_LEAF, &[], &[ca2019.clone(), ca2023.clone()], at).unwrap();
    assert_eq!(path.anchor_index, 1);
    let path = verify_chain(JLIS_TEST_LEAF, &[], &[ca2023.clone(), ca2019.clone()], at).unwrap();
    assert_eq!(path.anchor_index, 0);
    assert_eq!(
        verify_chain(JLIS_TEST_LEAF, &[], std::slice::from_ref(&ca2019), at),
        Err(ChainError::BadSignature { depth: 0 })
    );
    // Our generated test root shares the test DN but not the key.
    assert_eq!(
        verify_chain(JLIS_TEST_LEAF, &[], &[root()], at),
        Err(ChainError::BadSignature { depth: 0 })
    );
    let production = [
        anchor(JLIS_AUTHCA01),
        anchor(JLIS_AUTHCA02),
        anchor(JLIS_AUTHCA03),
    ];
    assert_eq!(
        verify_chain(JLIS_TEST_LEAF, &[], &production, at),
        Err(ChainError::UnknownIssuer { depth: 0 })
    );
    // The test roots verify themselves.
    for ca in [&ca2019, &ca2023] {
        assert!(verify_chain(ca.certificate().der(), &[], std::slice::from_ref(ca), at).is_ok());
    }
}

#[test]
fn iso8601_formatting() {
    assert_eq!(iso8601_utc(unix(2025, 4, 1)), "2025-04-01T00:00:00Z");
    assert_eq!(
        iso8601_utc(unix(2049, 12, 31) + 86_399),
        "2049-12-31T23:59:59Z"
    );
}
