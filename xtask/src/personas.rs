//! `cargo xtask personas`: the test PKI behind the personas.
//!
//! Reads `tests/fixtures/personas/personas.toml` and writes, next to it:
//!
//! | file | what |
//! |---|---|
//! | `ca/root.crt.der`, `ca/root.key.pk8.der` | the test root CA (JPKI DN with `O=JPKI-TEST`) and its PKCS#8 key |
//! | `ca/root-old.crt.der`, `ca/root-old.key.pk8.der` | a second root with the **same DN** and another key |
//! | `ca/crl.der` | a CRL signed by the root, listing the `certificate = "revoked"` personas |
//! | `<name>/auth.crt.der`, `<name>/auth.key.pk8.der` | each persona's 利用者証明用電子証明書 and key (a `[[next_generation]]` persona's: EC P-384) |
//! | `index.toml` | serials, fingerprints and paths, so loaders need not parse certificates |
//!
//! Everything is deterministic: each RSA key comes from a ChaCha20 RNG seeded with
//! `SHA-256("myna-web personas v1 key:" ‖ label)`, each P-384 key's scalar is
//! `SHA-384("myna-web personas v1 p384 key:" ‖ label)`, serial numbers are hashes of the
//! label, dates come from the file, and RSASSA-PKCS1-v1_5 has no randomness (every
//! certificate, P-384 ones included, is signed by the RSA root). Re-running gives identical
//! bytes; `--check` proves it without writing.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::PathBuf;

use anyhow::{Context, Result, bail, ensure};
use const_oid::ObjectIdentifier;
use const_oid::db::rfc4519::{C, CN, O, OU};
use const_oid::db::rfc5280::ID_KP_CLIENT_AUTH;
use const_oid::db::rfc5912::{
    ID_CE_AUTHORITY_KEY_IDENTIFIER, ID_CE_BASIC_CONSTRAINTS, ID_CE_CERTIFICATE_POLICIES,
    ID_CE_CRL_DISTRIBUTION_POINTS, ID_CE_CRL_NUMBER, ID_CE_EXT_KEY_USAGE, ID_CE_KEY_USAGE,
    ID_CE_SUBJECT_KEY_IDENTIFIER,
};
use der::asn1::{
    Any, BitString, GeneralizedTime, OctetString, PrintableStringRef, SetOfVec, Uint, UtcTime,
    Utf8StringRef,
};
use der::referenced::OwnedToRef;
use der::{DateTime, Encode};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::EncodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use spki::{AlgorithmIdentifierOwned, DynSignatureAlgorithmIdentifier, SubjectPublicKeyInfoOwned};
use x509_cert::certificate::{Certificate, TbsCertificate, Version};
use x509_cert::crl::{CertificateList, RevokedCert, TbsCertList};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::certpolicy::PolicyInformation;
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, CertificatePolicies, CrlDistributionPoints,
    CrlNumber, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectKeyIdentifier,
};
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

/// Command-line options of `cargo xtask personas`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The personas directory [default: tests/fixtures/personas in this workspace].
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Write nothing; fail if any generated file differs from the committed one.
    #[arg(long)]
    check: bool,
}

impl Args {
    /// `--check` on the workspace's own fixtures (what `cargo xtask test` runs).
    pub fn check() -> Self {
        Args {
            dir: None,
            check: true,
        }
    }
}

/// Domain separation for every hash this generator derives something from.
const SEED_DOMAIN: &str = "myna-web personas v1";
/// RSA modulus size of every key (the card's size).
const KEY_BITS: usize = 2048;
/// The 利用者証明用 certificate policy of JPKI.
const JPKI_AUTH_POLICY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.1.0.30");

/// The root CAs' validity (both generations are valid over the whole test period, so a
/// verifier can only tell them apart by signature).
const ROOT_VALIDITY: ((u16, u8, u8), (u16, u8, u8)) = ((2015, 1, 1), (2045, 12, 31));
const OLD_ROOT_VALIDITY: ((u16, u8, u8), (u16, u8, u8)) = ((2014, 1, 1), (2044, 12, 31));
/// The CRL's thisUpdate / nextUpdate, and the revocation date of revoked personas.
const CRL_THIS_UPDATE: (u16, u8, u8) = (2025, 10, 1);
const CRL_NEXT_UPDATE: (u16, u8, u8) = (2045, 12, 31);
const REVOCATION_DATE: (u16, u8, u8) = (2025, 9, 1);
const CRL_NUMBER: u8 = 1;

/// The root DN, in certificate (most significant first) order: the real J-LIS
/// 利用者証明用 DN with `O=JPKI-TEST`, as on JPKI test cards.
const ROOT_DN: &[(ObjectIdentifier, &str)] = &[
    (C, "JP"),
    (O, "JPKI-TEST"),
    (OU, "JPKI for user authentication"),
    (OU, "Japan Agency for Local Authority Information Systems"),
];

/// The leaf certificates' CRL distribution point, a directory name in the shape the
/// real cards carry (one per municipality).
const CRL_DP_DN: &[(ObjectIdentifier, &str)] = &[
    (C, "JP"),
    (O, "JPKI-TEST"),
    (OU, "JPKI for user authentication"),
    (OU, "CRL Distribution Points"),
    (OU, "Tokyo-to"),
    (CN, "Chiyoda-ku CRLDP"),
];

#[derive(Debug, Deserialize)]
struct PersonasFile {
    persona: Vec<PersonaSpec>,
    /// Service-path personas with a P-384 key (issue 14 item 5).
    #[serde(default)]
    next_generation: Vec<NextGenerationSpec>,
}

/// The fields of a `[[next_generation]]` entry this generator uses.
#[derive(Debug, Deserialize)]
struct NextGenerationSpec {
    #[serde(flatten)]
    persona: PersonaSpec,
    algorithm: String,
}

/// The fields of a `[[persona]]` this generator uses; the rest belongs to others.
#[derive(Debug, Deserialize)]
struct PersonaSpec {
    name: String,
    certificate: CertificateStatus,
    not_before: String,
    not_after: String,
    subject_cn: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
enum CertificateStatus {
    Valid,
    Expired,
    Revoked,
}

/// `index.toml`, written for loaders.
#[derive(Debug, Serialize)]
struct Index {
    ca: CaIndex,
    persona: Vec<PersonaIndex>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    next_generation: Vec<PersonaIndex>,
}

#[derive(Debug, Serialize)]
struct CaIndex {
    root_certificate: String,
    root_key: String,
    root_serial: String,
    root_sha256: String,
    old_root_certificate: String,
    old_root_key: String,
    old_root_serial: String,
    old_root_sha256: String,
    crl: String,
    crl_number: u8,
    crl_this_update: String,
    crl_next_update: String,
}

#[derive(Debug, Serialize)]
struct PersonaIndex {
    name: String,
    status: CertificateStatus,
    serial: String,
    subject_cn: String,
    not_before: String,
    not_after: String,
    certificate: String,
    certificate_sha256: String,
    key: String,
}

/// A CA that can sign: its name, signer and public key.
struct Issuer {
    name: Name,
    signer: SigningKey<Sha256>,
    spki: SubjectPublicKeyInfoOwned,
}

/// Runs `cargo xtask personas`.
pub fn run(args: &Args) -> Result<()> {
    let dir = match &args.dir {
        Some(dir) => dir.clone(),
        None => crate::workspace_root().join("tests/fixtures/personas"),
    };
    let source = dir.join("personas.toml");
    let text =
        fs::read_to_string(&source).with_context(|| format!("reading {}", source.display()))?;
    let file: PersonasFile =
        toml::from_str(&text).with_context(|| format!("parsing {}", source.display()))?;
    let outputs = generate(&file.persona, &file.next_generation)?;

    if args.check {
        let mut stale = Vec::new();
        for (path, bytes) in &outputs {
            match fs::read(dir.join(path)) {
                Ok(on_disk) if &on_disk == bytes => {}
                _ => stale.push(path.as_str()),
            }
        }
        ensure!(
            stale.is_empty(),
            "generated files differ from {} (run `cargo xtask personas`): {}",
            dir.display(),
            stale.join(", ")
        );
        println!("{} files up to date in {}", outputs.len(), dir.display());
    } else {
        for (path, bytes) in &outputs {
            let target = dir.join(path);
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent)
                    .with_context(|| format!("creating {}", parent.display()))?;
            }
            fs::write(&target, bytes).with_context(|| format!("writing {}", target.display()))?;
        }
        println!("wrote {} files to {}", outputs.len(), dir.display());
    }
    Ok(())
}

/// Builds every output file, keyed by its path relative to the personas directory.
fn generate(
    personas: &[PersonaSpec],
    next_generation: &[NextGenerationSpec],
) -> Result<BTreeMap<String, Vec<u8>>> {
    let all: Vec<&PersonaSpec> = personas
        .iter()
        .chain(next_generation.iter().map(|n| &n.persona))
        .collect();
    check_personas(&all)?;
    for n in next_generation {
        ensure!(
            n.algorithm == "ES384",
            "next_generation persona {:?}: algorithm {:?} (only ES384 is generated)",
            n.persona.name,
            n.algorithm
        );
    }
    let mut out = BTreeMap::new();
    let mut serials = BTreeSet::new();

    let root_name = name(ROOT_DN)?;
    let root = ca("ca/root", &root_name, ROOT_VALIDITY)?;
    let old_root = ca("ca/root-old", &root_name, OLD_ROOT_VALIDITY)?;
    for (label, (cert, key)) in [("ca/root", &root), ("ca/root-old", &old_root)] {
        ensure!(
            serials.insert(cert.tbs_certificate.serial_number.as_bytes().to_vec()),
            "serial collision at {label}"
        );
        out.insert(format!("{label}.crt.der"), cert.to_der()?);
        out.insert(format!("{label}.key.pk8.der"), pkcs8(key)?);
    }
    let (root_cert, root_key) = root;
    let issuer = Issuer {
        name: root_name.clone(),
        spki: root_cert.tbs_certificate.subject_public_key_info.clone(),
        signer: SigningKey::<Sha256>::new(root_key),
    };

    let mut index = Vec::new();
    let mut next_index = Vec::new();
    let mut revoked = Vec::new();
    let rsa = personas.iter().map(|p| (p, false));
    let p384 = next_generation.iter().map(|n| (&n.persona, true));
    for (persona, is_p384) in rsa.chain(p384) {
        let label = format!("persona/{}", persona.name);
        let (spki, key_der) = if is_p384 {
            let key = generate_p384_key(&label)?;
            (
                SubjectPublicKeyInfoOwned::from_key(key.public_key())?,
                p384_pkcs8(&key)?,
            )
        } else {
            let key = generate_key(&label)?;
            (
                SubjectPublicKeyInfoOwned::from_key(RsaPublicKey::from(&key))?,
                pkcs8(&key)?,
            )
        };
        let serial = serial_for(&label);
        ensure!(
            serials.insert(serial.to_vec()),
            "serial collision at {label}"
        );
        let cert = auth_certificate(&issuer, persona, &serial, spki)?;
        let cert_der = cert.to_der()?;
        let cert_path = format!("{}/auth.crt.der", persona.name);
        let key_path = format!("{}/auth.key.pk8.der", persona.name);
        let entries = if is_p384 { &mut next_index } else { &mut index };
        entries.push(PersonaIndex {
            name: persona.name.clone(),
            status: persona.certificate,
            serial: hex_upper(&serial),
            subject_cn: persona.subject_cn.clone(),
            not_before: persona.not_before.clone(),
            not_after: persona.not_after.clone(),
            certificate: cert_path.clone(),
            certificate_sha256: hex_upper(&Sha256::digest(&cert_der)),
            key: key_path.clone(),
        });
        if persona.certificate == CertificateStatus::Revoked {
            revoked.push(RevokedCert {
                serial_number: cert.tbs_certificate.serial_number.clone(),
                revocation_date: time(REVOCATION_DATE)?,
                crl_entry_extensions: None,
            });
        }
        out.insert(cert_path, cert_der);
        out.insert(key_path, key_der);
    }

    out.insert("ca/crl.der".to_owned(), crl(&issuer, revoked)?.to_der()?);

    let (old_cert, _) = &old_root;
    let index = Index {
        ca: CaIndex {
            root_certificate: "ca/root.crt.der".to_owned(),
            root_key: "ca/root.key.pk8.der".to_owned(),
            root_serial: hex_upper(root_cert.tbs_certificate.serial_number.as_bytes()),
            root_sha256: hex_upper(&Sha256::digest(root_cert.to_der()?)),
            old_root_certificate: "ca/root-old.crt.der".to_owned(),
            old_root_key: "ca/root-old.key.pk8.der".to_owned(),
            old_root_serial: hex_upper(old_cert.tbs_certificate.serial_number.as_bytes()),
            old_root_sha256: hex_upper(&Sha256::digest(old_cert.to_der()?)),
            crl: "ca/crl.der".to_owned(),
            crl_number: CRL_NUMBER,
            crl_this_update: iso_date(CRL_THIS_UPDATE),
            crl_next_update: iso_date(CRL_NEXT_UPDATE),
        },
        persona: index,
        next_generation: next_index,
    };
    let body = toml::to_string(&index).context("serialising index.toml")?;
    out.insert(
        "index.toml".to_owned(),
        format!(
            "# GENERATED by `cargo xtask personas` from personas.toml — do not edit.\n\
             # TEST-ONLY PKI: these keys are public; see README.md.\n\
             # Paths are relative to this file. Serials and SHA-256 fingerprints are upper-case hex\n\
             # (serials without the DER sign byte).\n\n{body}"
        )
        .into_bytes(),
    );
    Ok(out)
}

/// Rejects persona entries this generator cannot turn into files safely.
fn check_personas(personas: &[&PersonaSpec]) -> Result<()> {
    ensure!(!personas.is_empty(), "personas.toml lists no [[persona]]");
    let mut names = BTreeSet::new();
    for p in personas {
        ensure!(
            !p.name.is_empty()
                && p.name != "ca"
                && p.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "persona name {:?}: use lower-case letters, digits and '-' (and not \"ca\")",
            p.name
        );
        ensure!(
            names.insert(&p.name),
            "persona {:?} is listed twice",
            p.name
        );
        ensure!(
            !p.subject_cn.is_empty() && p.subject_cn.is_ascii(),
            "persona {:?}: subject_cn must be non-empty ASCII",
            p.name
        );
        let (nb, na) = (parse_date(&p.not_before)?, parse_date(&p.not_after)?);
        ensure!(
            nb < na,
            "persona {:?}: not_before is not before not_after",
            p.name
        );
        ensure!(
            nb >= ROOT_VALIDITY.0 && na <= ROOT_VALIDITY.1,
            "persona {:?}: validity lies outside the root's",
            p.name
        );
    }
    Ok(())
}

/// A self-signed root CA: keyCertSign + cRLSign, basicConstraints CA (both critical).
fn ca(
    label: &str,
    subject: &Name,
    (not_before, not_after): ((u16, u8, u8), (u16, u8, u8)),
) -> Result<(Certificate, RsaPrivateKey)> {
    let key = generate_key(label)?;
    let spki = SubjectPublicKeyInfoOwned::from_key(RsaPublicKey::from(&key))?;
    let serial = serial_for(label);
    let extensions = vec![
        extension(
            ID_CE_KEY_USAGE,
            true,
            &KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign),
        )?,
        extension(
            ID_CE_BASIC_CONSTRAINTS,
            true,
            &BasicConstraints {
                ca: true,
                path_len_constraint: None,
            },
        )?,
        crl_distribution_point(subject.clone())?,
        subject_key_identifier(&spki)?,
    ];
    let issuer = Issuer {
        name: subject.clone(),
        signer: SigningKey::<Sha256>::new(key.clone()),
        spki: spki.clone(),
    };
    let cert = sign_certificate(
        &issuer,
        TbsParts {
            serial: &serial,
            subject: subject.clone(),
            not_before: time(not_before)?,
            not_after: time(not_after)?,
            spki,
            extensions,
        },
    )?;
    Ok((cert, key))
}

/// A persona's 利用者証明用電子証明書, following the real JPKI profile.
fn auth_certificate(
    issuer: &Issuer,
    persona: &PersonaSpec,
    serial: &[u8],
    spki: SubjectPublicKeyInfoOwned,
) -> Result<Certificate> {
    let extensions = vec![
        extension(
            ID_CE_KEY_USAGE,
            true,
            &KeyUsage(KeyUsages::DigitalSignature.into()),
        )?,
        extension(
            ID_CE_EXT_KEY_USAGE,
            false,
            &ExtendedKeyUsage(vec![ID_KP_CLIENT_AUTH]),
        )?,
        extension(
            ID_CE_CERTIFICATE_POLICIES,
            true,
            &CertificatePolicies(vec![PolicyInformation {
                policy_identifier: JPKI_AUTH_POLICY,
                policy_qualifiers: None,
            }]),
        )?,
        crl_distribution_point(name(CRL_DP_DN)?)?,
        extension(
            ID_CE_AUTHORITY_KEY_IDENTIFIER,
            false,
            &AuthorityKeyIdentifier::try_from(issuer.spki.owned_to_ref())?,
        )?,
        subject_key_identifier(&spki)?,
    ];
    sign_certificate(
        issuer,
        TbsParts {
            serial,
            subject: name(&[(C, "JP"), (CN, &persona.subject_cn)])?,
            not_before: time(parse_date(&persona.not_before)?)?,
            not_after: time(parse_date(&persona.not_after)?)?,
            spki,
            extensions,
        },
    )
}

/// The parts of a TBSCertificate that differ between certificates.
struct TbsParts<'a> {
    serial: &'a [u8],
    subject: Name,
    not_before: Time,
    not_after: Time,
    spki: SubjectPublicKeyInfoOwned,
    extensions: Vec<Extension>,
}

fn sign_certificate(issuer: &Issuer, parts: TbsParts<'_>) -> Result<Certificate> {
    let algorithm = signature_algorithm(issuer)?;
    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number: SerialNumber::new(parts.serial)?,
        signature: algorithm.clone(),
        issuer: issuer.name.clone(),
        validity: Validity {
            not_before: parts.not_before,
            not_after: parts.not_after,
        },
        subject: parts.subject,
        subject_public_key_info: parts.spki,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(parts.extensions),
    };
    let signature = sign(issuer, &tbs.to_der()?)?;
    Ok(Certificate {
        tbs_certificate: tbs,
        signature_algorithm: algorithm,
        signature,
    })
}

/// A v2 CRL signed by `issuer`, with CRLNumber and AuthorityKeyIdentifier extensions.
fn crl(issuer: &Issuer, revoked: Vec<RevokedCert>) -> Result<CertificateList> {
    let algorithm = signature_algorithm(issuer)?;
    let tbs = TbsCertList {
        version: Version::V2,
        signature: algorithm.clone(),
        issuer: issuer.name.clone(),
        this_update: time(CRL_THIS_UPDATE)?,
        next_update: Some(time(CRL_NEXT_UPDATE)?),
        revoked_certificates: if revoked.is_empty() {
            None
        } else {
            Some(revoked)
        },
        crl_extensions: Some(vec![
            extension(
                ID_CE_AUTHORITY_KEY_IDENTIFIER,
                false,
                &AuthorityKeyIdentifier::try_from(issuer.spki.owned_to_ref())?,
            )?,
            extension(
                ID_CE_CRL_NUMBER,
                false,
                &CrlNumber(Uint::new(&[CRL_NUMBER])?),
            )?,
        ]),
    };
    let signature = sign(issuer, &tbs.to_der()?)?;
    Ok(CertificateList {
        tbs_cert_list: tbs,
        signature_algorithm: algorithm,
        signature,
    })
}

fn signature_algorithm(issuer: &Issuer) -> Result<AlgorithmIdentifierOwned> {
    Ok(issuer.signer.signature_algorithm_identifier()?)
}

/// sha256WithRSAEncryption (RSASSA-PKCS1-v1_5, deterministic) over `tbs`.
fn sign(issuer: &Issuer, tbs: &[u8]) -> Result<BitString> {
    let signature = issuer
        .signer
        .try_sign(tbs)
        .map_err(|e| anyhow::anyhow!("signing: {e}"))?;
    Ok(BitString::from_bytes(&signature.to_bytes())?)
}

/// A CRLDistributionPoints value with one directoryName full name.
/// The (non-critical) CRL distribution point extension naming `directory`.
fn crl_distribution_point(directory: Name) -> Result<Extension> {
    let points = CrlDistributionPoints(vec![DistributionPoint {
        distribution_point: Some(DistributionPointName::FullName(vec![
            GeneralName::DirectoryName(directory),
        ])),
        reasons: None,
        crl_issuer: None,
    }]);
    extension(ID_CE_CRL_DISTRIBUTION_POINTS, false, &points)
}

/// The subject key identifier extension of a certificate for `spki`.
fn subject_key_identifier(spki: &SubjectPublicKeyInfoOwned) -> Result<Extension> {
    extension(
        ID_CE_SUBJECT_KEY_IDENTIFIER,
        false,
        &SubjectKeyIdentifier::try_from(spki.owned_to_ref())?,
    )
}

fn extension(oid: ObjectIdentifier, critical: bool, value: &impl Encode) -> Result<Extension> {
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value.to_der()?)?,
    })
}

/// A Name with one attribute per RDN, in the given order. `C` is a PrintableString and
/// everything else a UTF8String, as on the real JPKI certificates.
fn name(attributes: &[(ObjectIdentifier, &str)]) -> Result<Name> {
    let mut rdns = Vec::with_capacity(attributes.len());
    for &(oid, value) in attributes {
        let value = if oid == C {
            Any::encode_from(&PrintableStringRef::new(value)?)?
        } else {
            Any::encode_from(&Utf8StringRef::new(value)?)?
        };
        let atv = x509_cert::attr::AttributeTypeAndValue { oid, value };
        rdns.push(RelativeDistinguishedName(SetOfVec::try_from(vec![atv])?));
    }
    Ok(RdnSequence(rdns))
}

/// A deterministic RSA-2048 key (e = 65537) for `label`.
fn generate_key(label: &str) -> Result<RsaPrivateKey> {
    let seed: [u8; 32] = Sha256::new()
        .chain_update(SEED_DOMAIN)
        .chain_update(" key:")
        .chain_update(label)
        .finalize()
        .into();
    let mut rng = ChaCha20Rng::from_seed(seed);
    RsaPrivateKey::new(&mut rng, KEY_BITS)
        .map_err(|e| anyhow::anyhow!("generating the key of {label}: {e}"))
}

/// A deterministic P-384 key for `label`: its scalar is
/// `SHA-384("myna-web personas v1 p384 key:" ‖ label)` (below the group order for every
/// label used so far; the generator fails otherwise).
fn generate_p384_key(label: &str) -> Result<p384::SecretKey> {
    let scalar = sha2::Sha384::new()
        .chain_update(SEED_DOMAIN)
        .chain_update(" p384 key:")
        .chain_update(label)
        .finalize();
    p384::SecretKey::from_slice(&scalar)
        .map_err(|e| anyhow::anyhow!("the P-384 scalar of {label} is not a key: {e}"))
}

fn p384_pkcs8(key: &p384::SecretKey) -> Result<Vec<u8>> {
    use p384::pkcs8::EncodePrivateKey as _;
    Ok(key
        .to_pkcs8_der()
        .map_err(|e| anyhow::anyhow!("encoding a PKCS#8 P-384 key: {e}"))?
        .as_bytes()
        .to_vec())
}

/// A deterministic, positive, 8-byte serial number for `label`: the first 8 bytes of
/// `SHA-256("myna-web personas v1 serial:" ‖ label)` with the top bit cleared and the
/// next one set (so it is positive, has no leading zero byte and is always 8 bytes).
fn serial_for(label: &str) -> [u8; 8] {
    let hash = Sha256::new()
        .chain_update(SEED_DOMAIN)
        .chain_update(" serial:")
        .chain_update(label)
        .finalize();
    let mut serial = [0u8; 8];
    serial.copy_from_slice(&hash[..8]);
    serial[0] = (serial[0] & 0x7F) | 0x40;
    serial
}

fn pkcs8(key: &RsaPrivateKey) -> Result<Vec<u8>> {
    Ok(key
        .to_pkcs8_der()
        .map_err(|e| anyhow::anyhow!("encoding a PKCS#8 key: {e}"))?
        .as_bytes()
        .to_vec())
}

/// `YYYY-MM-DD` → (year, month, day), validated.
fn parse_date(s: &str) -> Result<(u16, u8, u8)> {
    let bytes = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<u16> {
        let part = s.get(r)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let parsed = (bytes.len() == 10 && bytes[4] == b'-' && bytes[7] == b'-')
        .then(|| Some((digits(0..4)?, digits(5..7)?, digits(8..10)?)))
        .flatten();
    let Some((y, m, d)) = parsed else {
        bail!("{s:?} is not a YYYY-MM-DD date");
    };
    let (m, d) = (u8::try_from(m)?, u8::try_from(d)?);
    DateTime::new(y, m, d, 0, 0, 0).with_context(|| format!("{s:?} is not a valid date"))?;
    Ok((y, m, d))
}

/// Midnight UTC of a date, as UTCTime up to 2049 and GeneralizedTime from 2050 (RFC 5280
/// §4.1.2.5).
fn time((y, m, d): (u16, u8, u8)) -> Result<Time> {
    let dt = DateTime::new(y, m, d, 0, 0, 0)?;
    Ok(if (1950..2050).contains(&y) {
        Time::UtcTime(UtcTime::from_date_time(dt)?)
    } else {
        Time::GeneralTime(GeneralizedTime::from_date_time(dt))
    })
}

fn iso_date((y, m, d): (u16, u8, u8)) -> String {
    format!("{y:04}-{m:02}-{d:02}")
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_are_positive_eight_bytes_without_a_leading_zero() {
        for label in ["ca/root", "persona/default", "persona/no-pin"] {
            let s = serial_for(label);
            assert_eq!(s[0] & 0xC0, 0x40, "{label}");
        }
        assert_ne!(serial_for("persona/a"), serial_for("persona/b"));
    }

    #[test]
    fn dates_are_validated() {
        assert_eq!(parse_date("2025-04-01").unwrap(), (2025, 4, 1));
        for bad in [
            "2025-4-01",
            "2025-02-30",
            "20250401",
            "2025-13-01",
            "+025-04-01",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn times_switch_to_generalized_time_in_2050() {
        assert!(matches!(time((2049, 12, 31)).unwrap(), Time::UtcTime(_)));
        assert!(matches!(time((2050, 1, 1)).unwrap(), Time::GeneralTime(_)));
    }

    #[test]
    fn names_keep_order_and_string_types() {
        let der = name(ROOT_DN).unwrap().to_der().unwrap();
        // C=JP as PrintableString (tag 0x13), then O as UTF8String (tag 0x0C).
        assert!(der.windows(4).any(|w| w == [0x13, 0x02, b'J', b'P']));
        assert!(der.windows(2).any(|w| w == [0x0C, 9]));
        assert_eq!(name(ROOT_DN).unwrap().to_string().split(',').count(), 4);
    }
}
