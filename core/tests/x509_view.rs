//! The browser module's display-only certificate reader, `parse_certificate_view`, held to
//! the full parse (`x509-cert`'s derived structures): on every certificate among the fixtures,
//! on their truncations and one-byte changes, and on made-up certificates where `x509-cert` /
//! `der` are lenient or particular. It must refuse exactly what `parse_certificate_lazy`
//! refuses, with the same `CertificateError` variant, and read the same facts; the checked
//! `parse_certificate` refuses, besides, a malformed cRLDistributionPoints or
//! authorityKeyIdentifier, which neither of the others decodes.

mod support;

use std::mem::discriminant;
use std::path::Path;

use const_oid::db::rfc5912::{
    ID_CE_AUTHORITY_KEY_IDENTIFIER, ID_CE_BASIC_CONSTRAINTS, ID_CE_CERTIFICATE_POLICIES,
    ID_CE_CRL_DISTRIBUTION_POINTS, ID_CE_EXT_KEY_USAGE, ID_CE_KEY_USAGE,
    ID_CE_SUBJECT_KEY_IDENTIFIER, ID_EC_PUBLIC_KEY, RSA_ENCRYPTION, SECP_256_R_1, SECP_384_R_1,
};
use der::{Decode, Encode};
use myna_core::x509::{
    CertificateError, CertificateView, KeyKind, parse_certificate, parse_certificate_lazy,
    parse_certificate_view,
};
use support::*;
use x509_cert::Certificate;

/// Both readers on `der`: the same facts and the same profile verdict, or refusals of the same
/// variant. Returns whether they accepted it.
fn same(der: &[u8]) -> bool {
    match (parse_certificate_lazy(der), parse_certificate_view(der)) {
        (Ok(info), Ok(view)) => {
            assert_eq!(CertificateView::from(&info), view, "{}", hex::encode(der));
            assert_eq!(info.check_jpki_auth(), view.check_jpki_auth());
            assert_eq!(info.key_algorithm(), view.key_algorithm());
            true
        }
        (Err(full), Err(view)) => {
            assert_eq!(
                discriminant(&full),
                discriminant(&view),
                "{full:?} / {view:?} for {}",
                hex::encode(der)
            );
            false
        }
        (full, view) => panic!(
            "the full parse says {:?}, the view {:?}, for {}",
            full.err(),
            view.err(),
            hex::encode(der)
        ),
    }
}

fn accepted(der: &[u8]) {
    assert!(
        same(der),
        "refused ({:?}) {}",
        parse_certificate_view(der).err(),
        hex::encode(der)
    );
}

fn refused(der: &[u8]) {
    assert!(!same(der), "accepted {}", hex::encode(der));
}

/// Every file under `tests/fixtures` that is DER (certificates, keys, the CRL).
fn fixture_files() -> Vec<(String, Vec<u8>)> {
    fn walk(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("der" | "cer")
            ) {
                out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures"),
        &mut out,
    );
    out
}

#[test]
fn every_fixture_reads_the_same() {
    let files = fixture_files();
    let certificates: Vec<_> = files
        .iter()
        .filter(|(_, der)| same(der))
        .map(|(path, _)| path.as_str())
        .collect();
    // Every persona's certificate (next-gen's a P-384 key), both roots, the J-LIS ones.
    let expected = files
        .iter()
        .filter(|(p, _)| p.ends_with(".crt.der") || p.ends_with(".cer") || p.contains("leaf"))
        .count();
    assert_eq!(certificates.len(), expected, "{certificates:?}");
    assert!(expected >= 24, "{expected}");
    let view = parse_certificate_view(DEFAULT_CRT).unwrap();
    assert_eq!(view.serial, "4E3188B0CE2A7078");
    assert_eq!(view.subject.rfc4514, "CN=JPKITEST0000000000000001,C=JP");
    assert_eq!((view.key, view.key_bits), (KeyKind::Rsa, 2048));
    assert_eq!(view.not_before_iso(), "2025-04-01T00:00:00Z");
    assert_eq!(view.check_jpki_auth(), Ok(()));
    let next_gen = files
        .iter()
        .find(|(p, _)| p.contains("next-gen/auth.crt"))
        .unwrap();
    let view = parse_certificate_view(&next_gen.1).unwrap();
    assert_eq!((view.key_algorithm(), view.key_bits), ("EC", 384));
    assert!(parse_certificate_view(JLIS_AUTHCA03).unwrap().is_ca());
}

/// Every truncation, every one-byte deletion and seven changes of every byte but the
/// signature's (opaque to both readers; changed, they would only cost time).
fn mutations(der: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    let signature = Certificate::from_der(der)
        .unwrap()
        .signature
        .raw_bytes()
        .len();
    let truncations = (0..der.len()).map(|n| der[..n].to_vec());
    let deletions = (0..der.len()).map(|i| [&der[..i], &der[i + 1..]].concat());
    let changes = (0..der.len() - signature).flat_map(move |i| {
        let b = der[i];
        [b ^ 0x01, b ^ 0x20, b ^ 0x80, !b, 0x00, 0x80, 0x81]
            .into_iter()
            .filter(move |&c| c != b)
            .map(move |c| {
                let mut changed = der.to_vec();
                changed[i] = c;
                changed
            })
    });
    truncations.chain(deletions).chain(changes)
}

#[test]
fn truncations_and_one_byte_changes_are_read_alike() {
    for der in [
        DEFAULT_CRT,
        JLIS_TEST_LEAF,
        JLIS_AUTHCA03,
        &ec_certificate()[..],
    ] {
        let (mut yes, mut no) = (0, 0);
        for changed in mutations(der) {
            if same(&changed) {
                yes += 1;
            } else {
                no += 1;
            }
        }
        // Changes to a name's letters or a key's bytes still read; most others do not.
        assert!(yes > 100 && no > 1000, "{yes} accepted, {no} refused");
    }
}

// ------------------------------------------------------------------ made-up certificates

/// DER TLV.
fn tlv(tag: u8, contents: &[u8]) -> Vec<u8> {
    let len = contents.len();
    let mut out = vec![tag];
    match len {
        0..=0x7f => out.push(len as u8),
        0x80..=0xff => out.extend([0x81, len as u8]),
        _ => out.extend([0x82, (len >> 8) as u8, len as u8]),
    }
    out.extend_from_slice(contents);
    out
}

fn oid(oid: const_oid::ObjectIdentifier) -> Vec<u8> {
    oid.to_der().unwrap()
}

/// A certificate as its parts' DER, to change one and put it back together (no signature
/// needs to verify: neither reader verifies one).
#[derive(Clone)]
struct Raw {
    /// What comes before the serial (the `[0]` version).
    version: Vec<u8>,
    serial: Vec<u8>,
    algorithm: Vec<u8>,
    issuer: Vec<u8>,
    validity: Vec<u8>,
    subject: Vec<u8>,
    spki: Vec<u8>,
    /// What comes between the key and the extensions.
    between: Vec<u8>,
    extensions: Vec<Vec<u8>>,
    outer_algorithm: Vec<u8>,
    signature: Vec<u8>,
}

impl Raw {
    fn of(der: &[u8]) -> Self {
        let c = Certificate::from_der(der).unwrap();
        let t = &c.tbs_certificate;
        Self {
            version: tlv(0xa0, &[0x02, 0x01, 0x02]),
            serial: t.serial_number.to_der().unwrap(),
            algorithm: t.signature.to_der().unwrap(),
            issuer: t.issuer.to_der().unwrap(),
            validity: t.validity.to_der().unwrap(),
            subject: t.subject.to_der().unwrap(),
            spki: t.subject_public_key_info.to_der().unwrap(),
            between: Vec::new(),
            extensions: t
                .extensions
                .iter()
                .flatten()
                .map(|e| e.to_der().unwrap())
                .collect(),
            outer_algorithm: c.signature_algorithm.to_der().unwrap(),
            signature: c.signature.to_der().unwrap(),
        }
    }

    fn der(&self) -> Vec<u8> {
        let mut tbs = [
            &self.version[..],
            &self.serial,
            &self.algorithm,
            &self.issuer,
            &self.validity,
            &self.subject,
            &self.spki,
            &self.between,
        ]
        .concat();
        if !self.extensions.is_empty() {
            tbs.extend(tlv(0xa3, &tlv(0x30, &self.extensions.concat())));
        }
        tlv(
            0x30,
            &[&tlv(0x30, &tbs)[..], &self.outer_algorithm, &self.signature].concat(),
        )
    }

    fn with(&self, change: impl FnOnce(&mut Self)) -> Vec<u8> {
        let mut raw = self.clone();
        change(&mut raw);
        raw.der()
    }

    /// The extension `id` replaced by one with this critical flag's encoding and value.
    fn with_extension(
        &self,
        id: const_oid::ObjectIdentifier,
        critical: &[u8],
        value: &[u8],
    ) -> Vec<u8> {
        let extension = tlv(0x30, &[&oid(id)[..], critical, &tlv(0x04, value)].concat());
        self.with(|raw| {
            raw.extensions
                .retain(|e| !e.windows(5).any(|w| w == &oid(id)[..]));
            raw.extensions.push(extension);
        })
    }
}

fn default_raw() -> Raw {
    let raw = Raw::of(DEFAULT_CRT);
    assert_eq!(raw.der(), DEFAULT_CRT, "the parts put back together");
    raw
}

/// An RSA SubjectPublicKeyInfo with this modulus and exponent (contents of the INTEGERs).
fn rsa_spki(modulus: &[u8], exponent: &[u8]) -> Vec<u8> {
    let key = tlv(0x30, &[tlv(0x02, modulus), tlv(0x02, exponent)].concat());
    let algorithm = tlv(0x30, &[oid(RSA_ENCRYPTION), vec![0x05, 0x00]].concat());
    tlv(
        0x30,
        &[algorithm, tlv(0x03, &[&[0][..], &key].concat())].concat(),
    )
}

fn ec_spki(curve: const_oid::ObjectIdentifier, point: &[u8]) -> Vec<u8> {
    let algorithm = tlv(0x30, &[oid(ID_EC_PUBLIC_KEY), oid(curve)].concat());
    tlv(
        0x30,
        &[algorithm, tlv(0x03, &[&[0][..], point].concat())].concat(),
    )
}

fn p384_point() -> Vec<u8> {
    [&[0x04][..], &[7; 96]].concat()
}

fn ec_certificate() -> Vec<u8> {
    default_raw().with(|raw| raw.spki = ec_spki(SECP_384_R_1, &p384_point()))
}

#[test]
fn the_version_is_optional_and_at_most_v3() {
    let raw = default_raw();
    accepted(&raw.with(|r| r.version.clear()));
    accepted(&raw.with(|r| r.version = tlv(0xa0, &[0x02, 0x01, 0x00]))); // an explicit v1
    refused(&raw.with(|r| r.version = tlv(0xa0, &[0x02, 0x01, 0x03])));
    refused(&raw.with(|r| r.version = tlv(0x80, &[0x02, 0x01, 0x02]))); // [0] primitive
    refused(&raw.with(|r| r.version = tlv(0xa0, &[0x02, 0x02, 0x00, 0x02]))); // not minimal
    refused(&raw.with(|r| r.version = tlv(0xa0, &[0x02, 0x01, 0x02, 0x05, 0x00])));
}

/// `x509-cert` reads TBSCertificate's tagged fields through `der`'s `decode_with`, which skips
/// a context-specific field numbered below the one it looks for: so does the view.
#[test]
fn context_specific_fields_are_skipped_as_der_skips_them() {
    let raw = default_raw();
    let unique_id = |n: u8| tlv(0x80 | n, &[0x00, 0xab]);
    accepted(&raw.with(|r| r.between = [unique_id(1), unique_id(2)].concat()));
    // [2] before [1]: the [1] is skipped on the way to [3].
    accepted(&raw.with(|r| r.between = [unique_id(2), unique_id(1)].concat()));
    // A [0] holding anything, after the key: skipped.
    accepted(&raw.with(|r| r.between = tlv(0xa0, &[0xff, 0x00])));
    accepted(&raw.with(|r| r.between = [unique_id(0), unique_id(0)].concat()));
    for bad in [
        tlv(0xa1, &[0x03, 0x01, 0x00]), // a constructed [1]
        tlv(0x81, &[0x08, 0xff]),       // more than 7 unused bits
        tlv(0x81, &[]),                 // no unused-bits byte
        tlv(0x84, &[]),                 // [4]: after [3], nothing may follow
        tlv(0x04, &[]),                 // not context-specific
        vec![0x9f, 0x1f, 0x00],         // a tag number of more than one byte
    ] {
        refused(&raw.with(|r| r.between = bad.clone()));
    }
    // Two [1]s, two [2]s: the second is skipped on the way to the next number.
    accepted(&raw.with(|r| r.between = tlv(0x81, &[0x00]).repeat(2)));
    accepted(&raw.with(|r| r.between = tlv(0x82, &[0x00]).repeat(2)));
    // A primitive [3].
    let mut primitive = raw.der();
    let at = primitive
        .windows(raw.spki.len())
        .position(|w| w == raw.spki)
        .unwrap()
        + raw.spki.len();
    assert_eq!(primitive[at], 0xa3);
    primitive[at] = 0x83;
    refused(&primitive);
}

#[test]
fn serial_numbers_of_up_to_21_bytes_and_negative_ones_are_read() {
    let raw = default_raw();
    let serial = |bytes: &[u8]| raw.with(|r| r.serial = tlv(0x02, bytes));
    accepted(&serial(&[&[0x00][..], &[0xff; 20]].concat()));
    refused(&serial(&[&[0x01][..], &[0xff; 21]].concat()));
    accepted(&serial(&[0x80, 0x01]));
    accepted(&serial(&[0x00]));
    refused(&serial(&[]));
    refused(&serial(&[0x00, 0x01]));
    refused(&serial(&[0xff, 0x80]));
    let view = parse_certificate_view(&serial(&[0x00, 0xab])).unwrap();
    assert_eq!(view.serial, "AB");
}

/// `der` decodes a SET OF by sorting it (an unsorted RDN is read, in DER order) and refuses
/// a duplicate.
#[test]
fn multi_valued_rdns_are_put_in_der_order() {
    let raw = default_raw();
    let atv = |value: &str| {
        tlv(
            0x30,
            &[oid(const_oid::db::rfc4519::OU), tlv(0x0c, value.as_bytes())].concat(),
        )
    };
    let with_rdn = |atvs: &[Vec<u8>]| {
        let rdn = tlv(0x31, &atvs.concat());
        let c = [oid(const_oid::db::rfc4519::C), tlv(0x13, b"JP")].concat();
        let c = tlv(0x31, &tlv(0x30, &c));
        raw.with(|r| r.subject = tlv(0x30, &[c, rdn].concat()))
    };
    let (short, long, other) = (atv("B"), atv("AA"), atv("A"));
    for order in [
        [short.clone(), long.clone(), other.clone()],
        [long.clone(), other.clone(), short.clone()],
        [other.clone(), long.clone(), short.clone()],
    ] {
        let der = with_rdn(&order);
        accepted(&der);
        // Shorter first, then by bytes: A, B, AA.
        let view = parse_certificate_view(&der).unwrap();
        assert_eq!(view.subject.display_forward(), "C=JP, OU=A, OU=B, OU=AA");
        assert_eq!(view.subject.rfc4514, "OU=A+OU=B+OU=AA,C=JP");
    }
    refused(&with_rdn(&[short.clone(), long.clone(), short.clone()]));
    accepted(&with_rdn(&[]));
    accepted(&raw.with(|r| r.subject = tlv(0x30, &[])));
    // Values that are no string are shown as `#` and their DER.
    let odd = tlv(
        0x30,
        &[oid(const_oid::db::rfc4519::CN), vec![0x02, 0x01, 0x05]].concat(),
    );
    let view = parse_certificate_view(&with_rdn(&[odd])).unwrap();
    assert_eq!(view.subject.attributes[1].value, "#020105");
}

#[test]
fn times_are_utc_or_generalized_as_rfc_5280_writes_them() {
    let raw = default_raw();
    let validity = |a: Vec<u8>, b: Vec<u8>| raw.with(|r| r.validity = tlv(0x30, &[a, b].concat()));
    let utc = |s: &str| tlv(0x17, s.as_bytes());
    let generalized = |s: &str| tlv(0x18, s.as_bytes());
    let der = validity(utc("491231235959Z"), generalized("20500101000000Z"));
    accepted(&der);
    let view = parse_certificate_view(&der).unwrap();
    assert_eq!(view.not_before_iso(), "2049-12-31T23:59:59Z");
    assert_eq!(view.not_after_iso(), "2050-01-01T00:00:00Z");
    accepted(&validity(utc("700101000000Z"), utc("991231235959Z")));
    for bad in [
        utc("691231235959Z"), // 1969: before `der`'s calendar
        utc("4912312359Z"),
        utc("491231235959+0900"),
        utc("491232235959Z"),
        generalized("20500101000000.5Z"),
        generalized("19691231235959Z"),
        tlv(0x04, b"491231235959Z"),
    ] {
        refused(&validity(bad.clone(), utc("991231235959Z")));
    }
}

#[test]
fn rsa_keys_are_refused_where_rsa_refuses_them() {
    let raw = default_raw();
    let with_key = |n: &[u8], e: &[u8]| raw.with(|r| r.spki = rsa_spki(n, e));
    let modulus = [&[0x00, 0xc1][..], &[0x55; 254], &[0x01]].concat(); // 2048 bits, odd
    let der = with_key(&modulus, &[0x01, 0x00, 0x01]);
    accepted(&der);
    assert_eq!(parse_certificate_view(&der).unwrap().key_bits, 2048);
    accepted(&with_key(&modulus, &[0x01, 0xff, 0xff, 0xff, 0xff])); // 2^33 - 1
    accepted(&with_key(&modulus, &[0x03]));
    let small = [0x00, 0x81, 0x01]; // 16 bits
    accepted(&with_key(&small, &[0x03]));
    let big = [&[0x01][..], &[0x00; 511], &[0x01]].concat(); // 4097 bits
    let largest = [&[0x00, 0xff][..], &[0x00; 510], &[0x01]].concat(); // 4096 bits
    accepted(&with_key(&largest, &[0x03]));
    let even = [&modulus[..modulus.len() - 1], &[0x02]].concat();
    for (n, e) in [
        (&big[..], &[0x03][..]),
        (&modulus, &[0x01]),                         // e = 1
        (&modulus, &[0x02]),                         // even
        (&modulus, &[0x02, 0x00, 0x00, 0x00, 0x01]), // 2^33 + 1
        (&modulus, &[0x01, 0, 0, 0, 0, 0, 0, 0, 1]), // more than 64 bits
        (&even, &[0x03]),                            // even modulus
        (&[0x00, 0x81, 0x01], &[0x00, 0x81, 0x03]),  // e > n
        (&[0x00, 0x81, 0x01], &[0x00, 0x81, 0x01]),  // e = n
        (&[0x81, 0x01], &[0x03]),                    // negative
        (&[0x00, 0x01], &[0x03]),                    // not minimal
        (&[], &[0x03]),
        (&[0x00], &[0x03]),
    ] as [(&[u8], &[u8]); 12]
    {
        refused(&with_key(n, e));
    }
    let key = tlv(
        0x30,
        &[tlv(0x02, &modulus), tlv(0x02, &[3]), vec![0x05, 0x00]].concat(),
    );
    let algorithm = tlv(0x30, &[oid(RSA_ENCRYPTION), vec![0x05, 0x00]].concat());
    let trailing = tlv(
        0x30,
        &[algorithm, tlv(0x03, &[&[0][..], &key].concat())].concat(),
    );
    refused(&raw.with(|r| r.spki = trailing));
    // The key's BIT STRING with unused bits.
    let mut unused = rsa_spki(&modulus, &[0x03]);
    let at = unused
        .windows(3)
        .position(|w| w[0] == 0x03 && w[1] == 0x82)
        .unwrap();
    unused[at + 4] = 0x01;
    refused(&raw.with(|r| r.spki = unused));
}

#[test]
fn ec_keys_only_on_p384_and_uncompressed() {
    let raw = default_raw();
    let der = ec_certificate();
    accepted(&der);
    assert_eq!(parse_certificate_view(&der).unwrap().key, KeyKind::EcP384);
    refused(&raw.with(|r| r.spki = ec_spki(SECP_256_R_1, &p384_point()[..65])));
    refused(&raw.with(|r| r.spki = ec_spki(SECP_384_R_1, &p384_point()[..96])));
    let mut compressed = p384_point();
    compressed[0] = 0x02;
    refused(&raw.with(|r| r.spki = ec_spki(SECP_384_R_1, &compressed)));
    let no_curve = tlv(0x30, &oid(ID_EC_PUBLIC_KEY));
    let spki = tlv(
        0x30,
        &[no_curve, tlv(0x03, &[&[0][..], &p384_point()].concat())].concat(),
    );
    refused(&raw.with(|r| r.spki = spki));
}

#[test]
fn the_signature_algorithms_must_agree_and_the_signature_be_whole_bytes() {
    let raw = default_raw();
    // sha256WithRSAEncryption with its NULL outside and without it inside.
    let bare = tlv(
        0x30,
        &oid(const_oid::db::rfc5912::SHA_256_WITH_RSA_ENCRYPTION),
    );
    refused(&raw.with(|r| r.algorithm = bare.clone()));
    let der = raw.with(|r| (r.algorithm, r.outer_algorithm) = (bare.clone(), bare.clone()));
    accepted(&der);
    let odd = tlv(
        0x30,
        &[
            oid(const_oid::db::rfc5912::SHA_256_WITH_RSA_ENCRYPTION),
            vec![0x04, 0x00],
        ]
        .concat(),
    );
    accepted(&raw.with(|r| (r.algorithm, r.outer_algorithm) = (odd.clone(), odd.clone())));
    let params = tlv(
        0x30,
        &[oid(RSA_ENCRYPTION), vec![0x05, 0x00, 0x05, 0x00]].concat(),
    );
    refused(&raw.with(|r| (r.algorithm, r.outer_algorithm) = (params.clone(), params.clone())));
    refused(&raw.with(|r| r.signature = tlv(0x03, &[0x01, 0xff])));
    accepted(&raw.with(|r| r.signature = tlv(0x03, &[0x00])));
    refused(&raw.with(|r| r.signature = tlv(0x03, &[])));
}

#[test]
fn extensions_are_decoded_as_the_full_parse_decodes_them() {
    let raw = default_raw();
    let critical = [0x01, 0x01, 0xff];
    let not_critical = [0x01, 0x01, 0x00]; // DEFAULT FALSE, yet encoded: accepted
    accepted(&raw.with_extension(ID_CE_KEY_USAGE, &not_critical, &[0x03, 0x02, 0x07, 0x80]));
    refused(&raw.with_extension(
        ID_CE_KEY_USAGE,
        &[0x01, 0x01, 0x01],
        &[0x03, 0x02, 0x07, 0x80],
    ));
    // keyUsage: ten bits (the tenth ignored), sixteen, seventeen.
    let der = raw.with_extension(ID_CE_KEY_USAGE, &critical, &[0x03, 0x03, 0x06, 0x80, 0x40]);
    accepted(&der);
    let ku = parse_certificate_view(&der).unwrap().key_usage.unwrap();
    assert!(ku.digital_signature && !ku.decipher_only && !ku.key_cert_sign);
    accepted(&raw.with_extension(ID_CE_KEY_USAGE, &critical, &[0x03, 0x03, 0x00, 0xff, 0xff]));
    refused(&raw.with_extension(
        ID_CE_KEY_USAGE,
        &critical,
        &[0x03, 0x04, 0x07, 0xff, 0xff, 0x80],
    ));
    refused(&raw.with_extension(ID_CE_KEY_USAGE, &critical, &[0x03, 0x02, 0x07, 0x80, 0x00]));
    // basicConstraints.
    let cases: [(&[u8], bool); 8] = [
        (&[0x30, 0x00], true),
        (&[0x30, 0x03, 0x01, 0x01, 0x00], true),
        (&[0x30, 0x06, 0x01, 0x01, 0xff, 0x02, 0x01, 0x00], true),
        (&[0x30, 0x04, 0x02, 0x02, 0x00, 0x80], true),
        (&[0x30, 0x05, 0x02, 0x03, 0x00, 0x01, 0x00], false), // 256
        (&[0x30, 0x03, 0x02, 0x01, 0x80], false),             // negative
        (&[0x30, 0x06, 0x02, 0x01, 0x00, 0x01, 0x01, 0xff], false), // out of order
        (&[0x30, 0x03, 0x05, 0x01, 0x00], false),
    ];
    for (value, ok) in cases {
        let der = raw.with_extension(ID_CE_BASIC_CONSTRAINTS, &critical, value);
        assert_eq!(same(&der), ok, "{value:02x?}");
    }
    // extendedKeyUsage, certificatePolicies (with a CPS qualifier), subjectKeyIdentifier.
    accepted(&raw.with_extension(ID_CE_EXT_KEY_USAGE, &[], &[0x30, 0x00]));
    refused(&raw.with_extension(ID_CE_EXT_KEY_USAGE, &[], &[0x30, 0x02, 0x05, 0x00]));
    let cps = tlv(
        0x30,
        &[
            oid(const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.2.1")),
            tlv(0x16, b"https://x"),
        ]
        .concat(),
    );
    let policy = |qualifiers: Vec<u8>| {
        let info = tlv(
            0x30,
            &[oid(myna_core::x509::JPKI_AUTH_POLICY), qualifiers].concat(),
        );
        raw.with_extension(ID_CE_CERTIFICATE_POLICIES, &[], &tlv(0x30, &info))
    };
    accepted(&policy(tlv(0x30, &cps)));
    accepted(&policy(Vec::new()));
    accepted(&policy(tlv(0x30, &[])));
    refused(&policy(tlv(0x31, &cps)));
    refused(&policy(tlv(
        0x30,
        &[cps.clone(), vec![0x05, 0x00]].concat(),
    )));
    accepted(&raw.with_extension(ID_CE_SUBJECT_KEY_IDENTIFIER, &[], &[0x04, 0x01, 0xaa]));
    refused(&raw.with_extension(ID_CE_SUBJECT_KEY_IDENTIFIER, &[], &[0x03, 0x01, 0x00]));
    // An extension twice.
    refused(&raw.with(|r| r.extensions.push(r.extensions[0].clone())));
    // An unknown one, critical or not, is not decoded.
    let unknown = const_oid::ObjectIdentifier::new_unwrap("1.2.3.4");
    accepted(&raw.with_extension(unknown, &critical, &[0xff]));
    accepted(&raw.with(|r| r.extensions.clear()));
    refused(&raw.with(|r| r.extensions.push(vec![0x05, 0x00])));
}

/// The one difference: a malformed cRLDistributionPoints or authorityKeyIdentifier (neither
/// shown) is read by the view and the lazy parse, refused by the checked parse.
#[test]
fn a_malformed_crl_dp_or_aki_is_read_by_the_view() {
    let raw = default_raw();
    for id in [
        ID_CE_CRL_DISTRIBUTION_POINTS,
        ID_CE_AUTHORITY_KEY_IDENTIFIER,
    ] {
        let der = raw.with_extension(id, &[], &[0x05, 0x00]);
        accepted(&der);
        assert!(matches!(
            parse_certificate(&der),
            Err(CertificateError::BadExtension { oid, .. }) if oid == id
        ));
    }
}

#[test]
fn bad_der_is_refused_alike() {
    let raw = default_raw();
    let der = raw.der();
    assert_eq!(parse_certificate_view(&[]), Err(CertificateError::Empty));
    assert_eq!(
        parse_certificate_view(&[&der[..], &[0]].concat()),
        Err(CertificateError::TrailingBytes { count: 1 })
    );
    refused(&[&der[..], &[0]].concat());
    refused(&der[..der.len() - 1]);
    refused(b"-----BEGIN CERTIFICATE-----");
    refused(&[0x30, 0x80, 0x00, 0x00]); // indefinite length
    refused(&[&[0x30, 0x84, 0x00, 0x00][..], &der[2..]].concat()); // over-long length form
    refused(&[&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff][..], &der[4..]].concat()); // past the end
    refused(&[&[0x31][..], &der[1..]].concat()); // a SET
    refused(&raw.with(|r| r.issuer = tlv(0x31, &r.issuer[2..])));
    refused(&raw.with(|r| r.serial = tlv(0x04, &[1])));
    // Non-minimal length of the serial.
    refused(&raw.with(|r| r.serial = [&[0x02, 0x81, 0x01][..], &[0x01]].concat()));
}
