//! The personas: test card holders shared by the virtual card, the eligibility service
//! simulator and every test.
//!
//! The source of truth is `tests/fixtures/personas/personas.toml` (its schema is documented
//! at its top) plus what `cargo xtask personas` generates next to it: the test CA
//! certificate, the CRL, each persona's auth certificate and PKCS#8 key, and `index.toml`
//! naming those files. All of it is embedded into the binary at build time (`build.rs`), so
//! [`Personas::embedded`] works from any directory; [`Personas::load_dir`] reads a
//! directory instead.
//!
//! **Test data only**: the keys are published and the CA says `O=JPKI-TEST`.
//!
//! A crate of its own so that the bridge (virtual card) and the eligibility service
//! (seeding) share one loader without depending on each other.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use myna_core::oqs::InsuredRecord;
use myna_core::wire::Token;
use rsa::RsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

mod next_generation;

pub use next_generation::NextGenerationPersona;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_personas.rs"));
}

/// A file embedded at build time, by its path relative to the personas directory.
fn embedded_file(path: &str) -> Result<std::borrow::Cow<'static, [u8]>, PersonaError> {
    embedded::FILES
        .iter()
        .find(|(name, _)| *name == path)
        .map(|(_, bytes)| std::borrow::Cow::Borrowed(*bytes))
        .ok_or_else(|| PersonaError::MissingFile {
            path: path.to_owned(),
        })
}

/// The persona definitions, relative to the personas directory.
const PERSONAS_FILE: &str = "personas.toml";
/// The generator's index, relative to the personas directory.
const INDEX_FILE: &str = "index.toml";

/// Why the personas cannot be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PersonaError {
    /// A file the definitions or the index name is not there.
    #[error("persona file {path} is missing")]
    MissingFile {
        /// Its path relative to the personas directory.
        path: String,
    },
    /// A file exists but cannot be read.
    #[error("cannot read persona file {path}: {source}")]
    Io {
        /// Its path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// `personas.toml` or `index.toml` does not match its schema.
    #[error("{file} does not match its schema: {source}")]
    Toml {
        /// Which file.
        file: &'static str,
        /// The parser's error.
        source: Box<toml::de::Error>,
    },
    /// A TOML file is not UTF-8.
    #[error("{file} is not UTF-8")]
    NotUtf8 {
        /// Which file.
        file: &'static str,
    },
    /// Two personas share a name.
    #[error("persona name {name:?} is used twice")]
    DuplicateName {
        /// The name.
        name: String,
    },
    /// A PIN is not 4 ASCII digits.
    #[error("persona {persona:?}: the PIN must be {length} ASCII digits")]
    InvalidPin {
        /// The persona.
        persona: String,
        /// The length required.
        length: usize,
    },
    /// `pin_remaining` exceeds the card's tries.
    #[error("persona {persona:?}: pin_remaining {remaining} exceeds the card's {max} tries")]
    TooManyTries {
        /// The persona.
        persona: String,
        /// The value given.
        remaining: u8,
        /// The card's limit.
        max: u8,
    },
    /// A date is not a valid `YYYY-MM-DD`.
    #[error("persona {persona:?}: {field} = {value:?} is not a valid YYYY-MM-DD date")]
    InvalidDate {
        /// The persona.
        persona: String,
        /// Which field.
        field: &'static str,
        /// The value given.
        value: String,
    },
    /// The index has no entry for a persona (regenerate with `cargo xtask personas`).
    #[error("index.toml has no entry for persona {persona:?} (run `cargo xtask personas`)")]
    MissingIndexEntry {
        /// The persona.
        persona: String,
    },
    /// A file's SHA-256 is not the one the index records.
    #[error("{path} does not match the SHA-256 recorded in index.toml")]
    ChecksumMismatch {
        /// The file.
        path: String,
    },
    /// A next-generation persona names an algorithm whose keys the loader does not know
    /// (only `ES384`).
    #[error("persona {persona:?}: algorithm {algorithm:?} is not ES384")]
    UnsupportedAlgorithm {
        /// The persona.
        persona: String,
        /// The value given.
        algorithm: String,
    },
    /// A key file is not a PKCS#8 private key of the persona's kind (RSA; P-384 for a
    /// next-generation persona).
    #[error("persona {persona:?}: the key is not a PKCS#8 private key of its kind: {reason}")]
    InvalidKey {
        /// The persona.
        persona: String,
        /// The decoder's message.
        reason: String,
    },
    /// A key has the wrong size for the card.
    #[error("persona {persona:?}: the key has {bits} bits; the card's have {expected}")]
    WrongKeySize {
        /// The persona.
        persona: String,
        /// Its size.
        bits: usize,
        /// The card's size.
        expected: usize,
    },
}

/// The state of a persona's auth certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum CertificateKind {
    /// Within its validity and not revoked.
    Valid,
    /// Past its `not_after`.
    Expired,
    /// Listed on the test CA's CRL.
    Revoked,
}

/// A calendar date (`YYYY-MM-DD` in the persona file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CalendarDate {
    /// Year.
    pub year: u16,
    /// Month, 1–12.
    pub month: u8,
    /// Day, 1–31 (valid for the month).
    pub day: u8,
}

impl CalendarDate {
    /// Parses `YYYY-MM-DD`, checking the day exists.
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        let number = |range: std::ops::Range<usize>| -> Option<u16> {
            let part = &text[range];
            part.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| part.parse().ok())
                .flatten()
        };
        let year = number(0..4)?;
        let month = u8::try_from(number(5..7)?).ok()?;
        let day = u8::try_from(number(8..10)?).ok()?;
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (1..=days)
            .contains(&day)
            .then_some(CalendarDate { year, month, day })
    }

    /// `YYYYMMDD`, the form OQS messages use.
    pub fn yyyymmdd(&self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }
}

impl core::fmt::Display for CalendarDate {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// One persona: a card holder, their card's auth certificate and key, and their insurance.
#[derive(Clone)]
pub struct Persona {
    /// Identifier (`--persona NAME`, `simulate {persona}`).
    pub name: String,
    /// One-line Japanese description for the demo.
    pub label: String,
    /// The 4-digit auth PIN; `None` for a card without a PIN (顔認証マイナンバーカード).
    pub pin: Option<Zeroizing<String>>,
    /// Tries left on the auth PIN (0 = blocked).
    pub pin_remaining: u8,
    /// Whether the auth certificate is valid, expired or revoked.
    pub certificate_kind: CertificateKind,
    /// The auth certificate's `notBefore` date.
    pub not_before: CalendarDate,
    /// The auth certificate's `notAfter` date.
    pub not_after: CalendarDate,
    /// The opaque id in the certificate's subject (`C=JP, CN=…`).
    pub subject_cn: String,
    /// The auth certificate (利用者証明用電子証明書), DER.
    pub auth_cert_der: Vec<u8>,
    /// The auth private key.
    pub auth_key: RsaPrivateKey,
    /// The CA certificate that issued [`Persona::auth_cert_der`] (the test root, DER): what
    /// the card holds in JPKI-AP EF `000B`.
    pub issuer_cert_der: Vec<u8>,
    /// The linked 資格情報 (`[persona.insurance]`, the simulator's record format without a
    /// `certificate_serial`: the service links it to this persona's certificate); `None`
    /// for a card never linked to insurance.
    pub insurance: Option<InsuredRecord>,
    /// Which token holds the certificate: the plastic card (default), an Android phone's
    /// スマホ用電子証明書, or an iPhone (issue 14, `docs/phones.md`).
    pub token: Token,
}

impl core::fmt::Debug for Persona {
    /// Never shows the PIN or the key.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Persona")
            .field("name", &self.name)
            .field("label", &self.label)
            .field("has_pin", &self.pin.is_some())
            .field("pin_remaining", &self.pin_remaining)
            .field("certificate_kind", &self.certificate_kind)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .field("subject_cn", &self.subject_cn)
            .field(
                "auth_cert_der",
                &format_args!("{} bytes", self.auth_cert_der.len()),
            )
            .field("insurance", &self.insurance.is_some())
            .finish_non_exhaustive()
    }
}

/// All personas, with the test CA certificate and CRL.
#[derive(Debug, Clone)]
pub struct Personas {
    personas: Vec<Persona>,
    next_generation: Vec<NextGenerationPersona>,
    ca_cert_der: Vec<u8>,
    old_ca_cert_der: Option<Vec<u8>>,
    crl_der: Vec<u8>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PersonasFile {
    persona: Vec<PersonaSpec>,
    #[serde(default)]
    next_generation: Vec<next_generation::NextGenerationSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PersonaSpec {
    name: String,
    label: String,
    pin: Option<Zeroizing<String>>,
    pin_remaining: u8,
    certificate: CertificateKind,
    not_before: String,
    not_after: String,
    subject_cn: String,
    insurance: Option<InsuredRecord>,
    #[serde(default = "card_token")]
    token: Token,
}

fn card_token() -> Token {
    Token::Card
}

/// The parts of the generator's `index.toml` a loader needs (other fields are ignored).
#[derive(Deserialize)]
struct IndexFile {
    ca: CaIndex,
    #[serde(default)]
    persona: Vec<PersonaIndex>,
    #[serde(default)]
    next_generation: Vec<PersonaIndex>,
}

#[derive(Deserialize)]
struct CaIndex {
    root_certificate: String,
    root_sha256: Option<String>,
    old_root_certificate: Option<String>,
    old_root_sha256: Option<String>,
    crl: String,
}

#[derive(Deserialize)]
struct PersonaIndex {
    name: String,
    certificate: String,
    certificate_sha256: Option<String>,
    key: String,
}

fn toml_text<'a>(file: &'static str, bytes: &'a [u8]) -> Result<&'a str, PersonaError> {
    std::str::from_utf8(bytes).map_err(|_| PersonaError::NotUtf8 { file })
}

impl Personas {
    /// The personas embedded at build time.
    ///
    /// # Panics
    /// If the embedded files are inconsistent — a build from a broken checkout. The test
    /// `the_embedded_personas_load` guards against it; use [`Personas::try_embedded`] to
    /// handle it instead.
    pub fn embedded() -> Personas {
        static CACHE: OnceLock<Result<Personas, String>> = OnceLock::new();
        match CACHE.get_or_init(|| Self::try_embedded().map_err(|e| e.to_string())) {
            Ok(personas) => personas.clone(),
            Err(e) => panic!("the embedded personas are broken: {e}"),
        }
    }

    /// The personas embedded at build time, or why they cannot be loaded.
    pub fn try_embedded() -> Result<Personas, PersonaError> {
        Self::from_source(embedded_file)
    }

    /// The personas of a directory laid out like `tests/fixtures/personas`.
    pub fn load_dir(dir: &Path) -> Result<Personas, PersonaError> {
        Self::from_source(|path| {
            let full = dir.join(path);
            match std::fs::read(&full) {
                Ok(bytes) => Ok(std::borrow::Cow::Owned(bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    Err(PersonaError::MissingFile {
                        path: path.to_owned(),
                    })
                }
                Err(source) => Err(PersonaError::Io {
                    path: full.display().to_string(),
                    source,
                }),
            }
        })
    }

    fn from_source<'a>(
        read: impl Fn(&str) -> Result<std::borrow::Cow<'a, [u8]>, PersonaError>,
    ) -> Result<Personas, PersonaError> {
        let profile = &myna_core::profile::MY_NUMBER_CARD;
        let definitions = read(PERSONAS_FILE)?;
        let file: PersonasFile = toml::from_str(toml_text("personas.toml", &definitions)?)
            .map_err(|e| PersonaError::Toml {
                file: "personas.toml",
                source: Box::new(e),
            })?;
        let index_bytes = read(INDEX_FILE)?;
        let index: IndexFile =
            toml::from_str(toml_text("index.toml", &index_bytes)?).map_err(|e| {
                PersonaError::Toml {
                    file: "index.toml",
                    source: Box::new(e),
                }
            })?;
        let checked = |path: &str, sha256: Option<&str>| -> Result<Vec<u8>, PersonaError> {
            let bytes = read(path)?.into_owned();
            if let Some(expected) = sha256
                && !hex_eq(&Sha256::digest(&bytes), expected)
            {
                return Err(PersonaError::ChecksumMismatch {
                    path: path.to_owned(),
                });
            }
            Ok(bytes)
        };
        let ca_cert_der = checked(&index.ca.root_certificate, index.ca.root_sha256.as_deref())?;
        let old_ca_cert_der = match &index.ca.old_root_certificate {
            Some(path) => Some(checked(path, index.ca.old_root_sha256.as_deref())?),
            None => None,
        };
        let crl_der = checked(&index.ca.crl, None)?;
        let entries: BTreeMap<&str, &PersonaIndex> =
            index.persona.iter().map(|p| (p.name.as_str(), p)).collect();

        let mut personas: Vec<Persona> = Vec::with_capacity(file.persona.len());
        for spec in file.persona {
            if personas.iter().any(|p| p.name == spec.name) {
                return Err(PersonaError::DuplicateName { name: spec.name });
            }
            if let Some(pin) = &spec.pin
                && (pin.len() != profile.auth_pin_length
                    || !pin.bytes().all(|b| b.is_ascii_digit()))
            {
                return Err(PersonaError::InvalidPin {
                    persona: spec.name,
                    length: profile.auth_pin_length,
                });
            }
            if spec.pin_remaining > profile.auth_pin_tries {
                return Err(PersonaError::TooManyTries {
                    persona: spec.name,
                    remaining: spec.pin_remaining,
                    max: profile.auth_pin_tries,
                });
            }
            let (not_before, not_after) =
                CalendarDate::validity(&spec.name, &spec.not_before, &spec.not_after)?;
            let Some(entry) = entries.get(spec.name.as_str()) else {
                return Err(PersonaError::MissingIndexEntry { persona: spec.name });
            };
            let auth_cert_der = checked(&entry.certificate, entry.certificate_sha256.as_deref())?;
            let key_der = Zeroizing::new(read(&entry.key)?.into_owned());
            let auth_key =
                RsaPrivateKey::from_pkcs8_der(&key_der).map_err(|e| PersonaError::InvalidKey {
                    persona: spec.name.clone(),
                    reason: e.to_string(),
                })?;
            let bits = auth_key.size() * 8;
            if bits != profile.auth_algorithm.key_bits {
                return Err(PersonaError::WrongKeySize {
                    persona: spec.name,
                    bits,
                    expected: profile.auth_algorithm.key_bits,
                });
            }
            personas.push(Persona {
                name: spec.name,
                label: spec.label,
                pin: spec.pin,
                pin_remaining: spec.pin_remaining,
                certificate_kind: spec.certificate,
                not_before,
                not_after,
                subject_cn: spec.subject_cn,
                auth_cert_der,
                auth_key,
                issuer_cert_der: ca_cert_der.clone(),
                insurance: spec.insurance,
                token: spec.token,
            });
        }
        let next_entries: BTreeMap<&str, &PersonaIndex> = index
            .next_generation
            .iter()
            .map(|p| (p.name.as_str(), p))
            .collect();
        let mut next = Vec::<NextGenerationPersona>::with_capacity(file.next_generation.len());
        for spec in file.next_generation {
            let name = spec.name().to_owned();
            if personas.iter().any(|p| p.name == name) || next.iter().any(|p| p.name == name) {
                return Err(PersonaError::DuplicateName { name });
            }
            let Some(entry) = next_entries.get(name.as_str()) else {
                return Err(PersonaError::MissingIndexEntry { persona: name });
            };
            let auth_cert_der = checked(&entry.certificate, entry.certificate_sha256.as_deref())?;
            let key_der = Zeroizing::new(read(&entry.key)?.into_owned());
            next.push(next_generation::load(spec, auth_cert_der, &key_der)?);
        }
        Ok(Personas {
            personas,
            next_generation: next,
            ca_cert_der,
            old_ca_cert_der,
            crl_der,
        })
    }

    /// The persona called `name`.
    pub fn get(&self, name: &str) -> Option<&Persona> {
        self.personas.iter().find(|p| p.name == name)
    }

    /// Every persona, in file order.
    pub fn iter(&self) -> impl Iterator<Item = &Persona> {
        self.personas.iter()
    }

    /// The next-generation personas (EC P-384 keys, service path only: no virtual card serves
    /// them), in file order.
    pub fn next_generation(&self) -> impl Iterator<Item = &NextGenerationPersona> {
        self.next_generation.iter()
    }

    /// Every persona's name, in file order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.personas.iter().map(|p| p.name.as_str())
    }

    /// How many personas there are.
    pub fn len(&self) -> usize {
        self.personas.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.personas.is_empty()
    }

    /// The test CA certificate that issued every auth certificate (DER).
    pub fn ca_cert_der(&self) -> &[u8] {
        &self.ca_cert_der
    }

    /// A second test root with the same DN and another key, if generated (DER): a verifier
    /// that matches issuers by name instead of signature picks the wrong one.
    pub fn old_ca_cert_der(&self) -> Option<&[u8]> {
        self.old_ca_cert_der.as_deref()
    }

    /// The test CA's CRL listing the revoked personas (DER).
    pub fn crl_der(&self) -> &[u8] {
        &self.crl_der
    }
}

/// Compares a digest with a hex string (either case).
fn hex_eq(digest: &[u8], hex: &str) -> bool {
    hex.len() == digest.len() * 2
        && digest
            .iter()
            .zip(hex.as_bytes().chunks(2))
            .all(|(b, pair)| {
                std::str::from_utf8(pair)
                    .ok()
                    .and_then(|s| u8::from_str_radix(s, 16).ok())
                    == Some(*b)
            })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_checked() {
        let d = CalendarDate::parse("2024-02-29").unwrap();
        assert_eq!((d.year, d.month, d.day), (2024, 2, 29));
        assert_eq!(d.to_string(), "2024-02-29");
        assert_eq!(d.yyyymmdd(), "20240229");
        for bad in [
            "2023-02-29",
            "2025-13-01",
            "2025-04-31",
            "2025-00-10",
            "2025-1-01",
            "2025/01/01",
            "+025-01-01",
            "２０２５-01-01",
        ] {
            assert_eq!(CalendarDate::parse(bad), None, "{bad}");
        }
        assert!(CalendarDate::parse("2100-02-29").is_none());
        assert!(CalendarDate::parse("2000-02-29").is_some());
    }

    #[test]
    fn hex_comparison() {
        assert!(hex_eq(&[0xAB, 0x01], "ab01"));
        assert!(hex_eq(&[0xAB, 0x01], "AB01"));
        assert!(!hex_eq(&[0xAB, 0x01], "ab02"));
        assert!(!hex_eq(&[0xAB], "ab01"));
        assert!(!hex_eq(&[0xAB], "+b"));
    }

    /// Asserts that loading failed with an error matching the pattern.
    macro_rules! refused {
        ($loaded:expr, $error:pat $(if $guard:expr)?) => {
            let loaded = $loaded;
            assert!(matches!(&loaded, Err($error) $(if $guard)?), "{loaded:?}");
        };
    }

    /// Loads the embedded files with some replaced.
    fn load_with(replaced: &[(&str, Vec<u8>)]) -> Result<Personas, PersonaError> {
        Personas::from_source(
            |path| match replaced.iter().find(|(name, _)| *name == path) {
                Some((_, bytes)) => Ok(std::borrow::Cow::Owned(bytes.clone())),
                None => embedded_file(path),
            },
        )
    }

    fn definitions_with(edit: impl Fn(&str) -> String) -> Vec<u8> {
        let file = embedded_file(PERSONAS_FILE).unwrap();
        let text = std::str::from_utf8(&file).unwrap();
        edit(text).into_bytes()
    }

    #[test]
    fn broken_definitions_are_typed_errors() {
        let once = |from: &'static str, to: &'static str| {
            definitions_with(move |t| {
                assert!(t.contains(from), "{from}");
                t.replacen(from, to, 1)
            })
        };
        // The embedded files with the first `from` of the definitions replaced by `to`.
        let edited =
            |from: &'static str, to: &'static str| load_with(&[("personas.toml", once(from, to))]);
        use PersonaError as E;
        refused!(
            edited(r#"pin = "1234""#, r#"pin = "12345""#),
            E::InvalidPin { length: 4, .. }
        );
        refused!(
            edited(r#"pin = "1234""#, r#"pin = "12a4""#),
            E::InvalidPin { .. }
        );
        refused!(
            edited("pin_remaining = 3", "pin_remaining = 4"),
            E::TooManyTries {
                remaining: 4,
                max: 3,
                ..
            }
        );
        refused!(
            edited(
                r#"not_before = "2025-04-01""#,
                r#"not_before = "2025-04-31""#
            ),
            E::InvalidDate {
                field: "not_before",
                ..
            }
        );
        refused!(
            edited(r#"name = "kokuho""#, r#"name = "default""#),
            E::DuplicateName { .. }
        );
        refused!(
            edited(r#"name = "kokuho""#, r#"name = "kokuho2""#),
            E::MissingIndexEntry { .. }
        );
        refused!(
            edited(r#"certificate = "valid""#, r#"certificate = "ok""#),
            E::Toml {
                file: "personas.toml",
                ..
            }
        );
        // Unknown fields are refused.
        refused!(edited("label =", "lable ="), E::Toml { .. });
        refused!(
            load_with(&[("personas.toml", vec![0xFF, 0xFE])]),
            E::NotUtf8 {
                file: "personas.toml"
            }
        );
    }

    #[test]
    fn broken_generated_files_are_typed_errors() {
        let mut cert = embedded_file("default/auth.crt.der").unwrap().to_vec();
        cert[100] ^= 1;
        use PersonaError as E;
        refused!(
            load_with(&[("default/auth.crt.der", cert)]),
            E::ChecksumMismatch { .. }
        );
        let not_a_key = vec![0x30, 0x03, 0x02, 0x01, 0x00];
        refused!(
            load_with(&[("default/auth.key.pk8.der", not_a_key)]),
            E::InvalidKey { .. }
        );
        let index = b"[ca]\nroot_certificate = \"ca/nothing.der\"\ncrl = \"ca/crl.der\"\n";
        refused!(
            load_with(&[("index.toml", index.to_vec())]),
            E::MissingFile { path } if path == "ca/nothing.der"
        );
        refused!(
            load_with(&[("index.toml", b"[ca]\n".to_vec())]),
            E::Toml {
                file: "index.toml",
                ..
            }
        );
        let small = {
            use rand_chacha::rand_core::SeedableRng;
            use rsa::pkcs8::EncodePrivateKey;
            let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
            let key = RsaPrivateKey::new(&mut rng, 1024).unwrap();
            key.to_pkcs8_der().unwrap().as_bytes().to_vec()
        };
        refused!(
            load_with(&[("default/auth.key.pk8.der", small)]),
            E::WrongKeySize { bits: 1024, .. }
        );
        // The CA's private keys are not embedded.
        assert!(
            embedded::FILES
                .iter()
                .all(|(name, _)| !name.starts_with("ca/") || !name.contains(".key"))
        );
    }

    #[test]
    fn the_persona_definitions_match_the_schema() {
        // personas.toml alone (the generated files may not exist in a fresh checkout).
        let definitions = embedded::FILES
            .iter()
            .find(|(name, _)| *name == PERSONAS_FILE)
            .expect("personas.toml is embedded")
            .1;
        let file: PersonasFile = toml::from_str(std::str::from_utf8(definitions).unwrap()).unwrap();
        assert!(file.persona.iter().any(|p| p.name == "default"));
        let default = file.persona.iter().find(|p| p.name == "default").unwrap();
        assert_eq!(default.pin.as_ref().map(|p| p.as_str()), Some("1234"));
        let no_pin = file.persona.iter().find(|p| p.name == "no-pin").unwrap();
        assert!(no_pin.pin.is_none());
        let elderly = file
            .persona
            .iter()
            .find(|p| p.name == "elderly-70")
            .unwrap();
        assert!(
            elderly
                .insurance
                .as_ref()
                .unwrap()
                .elderly_certificate_date
                .is_some()
        );
        let unlinked = file.persona.iter().find(|p| p.name == "unlinked").unwrap();
        assert!(unlinked.insurance.is_none());
    }
}
