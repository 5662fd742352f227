//! The next-generation personas (`[[next_generation]]` in `personas.toml`, issue 14 item 5):
//! an auth certificate whose key is EC P-384, the key algorithm announced for the
//! next-generation card (次期個人番号カード). No card commands of that card are public, so no
//! virtual card serves them: they are for the eligibility service's path only (a test signs
//! the auth message with ES384 and posts the confirmation).

use myna_core::profile::AuthAlgorithm;
use p384::pkcs8::DecodePrivateKey as _;
use serde::Deserialize;
use zeroize::Zeroizing;

use myna_core::oqs::InsuredRecord;

use crate::{CalendarDate, CertificateKind, PersonaError};

impl CalendarDate {
    /// A persona's `not_before` and `not_after`, or which of them is not a date (both
    /// loaders: here to keep `lib.rs` under the size rule).
    pub(crate) fn validity(
        persona: &str,
        not_before: &str,
        not_after: &str,
    ) -> Result<(Self, Self), PersonaError> {
        let date = |field: &'static str, value: &str| {
            Self::parse(value).ok_or_else(|| PersonaError::InvalidDate {
                persona: persona.to_owned(),
                field,
                value: value.to_owned(),
            })
        };
        Ok((
            date("not_before", not_before)?,
            date("not_after", not_after)?,
        ))
    }
}

/// A `[[next_generation]]` entry of `personas.toml`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NextGenerationSpec {
    name: String,
    label: String,
    algorithm: String,
    certificate: CertificateKind,
    not_before: String,
    not_after: String,
    subject_cn: String,
    insurance: Option<InsuredRecord>,
}

impl NextGenerationSpec {
    pub(crate) fn name(&self) -> &str {
        &self.name
    }
}

/// One next-generation persona: a P-384 certificate issued by the test root and its key.
#[derive(Clone)]
pub struct NextGenerationPersona {
    /// Identifier.
    pub name: String,
    /// One-line Japanese description.
    pub label: String,
    /// The signature algorithm of its auth key ([`AuthAlgorithm::Es384`]).
    pub algorithm: AuthAlgorithm,
    /// Whether the auth certificate is valid, expired or revoked.
    pub certificate_kind: CertificateKind,
    /// The auth certificate's `notBefore` date.
    pub not_before: CalendarDate,
    /// The auth certificate's `notAfter` date.
    pub not_after: CalendarDate,
    /// The opaque id in the certificate's subject.
    pub subject_cn: String,
    /// The auth certificate (EC P-384 key, signed by the RSA test root), DER.
    pub auth_cert_der: Vec<u8>,
    /// The auth private key: signs ES384 (RFC 6979 deterministic ECDSA).
    pub auth_key: p384::ecdsa::SigningKey,
    /// The linked 資格情報; `None` for a certificate never linked to insurance.
    pub insurance: Option<InsuredRecord>,
}

impl core::fmt::Debug for NextGenerationPersona {
    /// Never shows the key.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("NextGenerationPersona")
            .field("name", &self.name)
            .field("algorithm", &self.algorithm)
            .field("certificate_kind", &self.certificate_kind)
            .field("subject_cn", &self.subject_cn)
            .field("insurance", &self.insurance.is_some())
            .finish_non_exhaustive()
    }
}

/// Builds a persona from its entry, its certificate (checked against the index) and its
/// PKCS#8 key file.
pub(crate) fn load(
    spec: NextGenerationSpec,
    auth_cert_der: Vec<u8>,
    key_der: &Zeroizing<Vec<u8>>,
) -> Result<NextGenerationPersona, PersonaError> {
    let algorithm = AuthAlgorithm::parse(&spec.algorithm)
        .filter(|a| *a == AuthAlgorithm::Es384)
        .ok_or_else(|| PersonaError::UnsupportedAlgorithm {
            persona: spec.name.clone(),
            algorithm: spec.algorithm.clone(),
        })?;
    let (not_before, not_after) =
        CalendarDate::validity(&spec.name, &spec.not_before, &spec.not_after)?;
    let auth_key = p384::SecretKey::from_pkcs8_der(key_der)
        .map(p384::ecdsa::SigningKey::from)
        .map_err(|e| PersonaError::InvalidKey {
            persona: spec.name.clone(),
            reason: e.to_string(),
        })?;
    Ok(NextGenerationPersona {
        name: spec.name,
        label: spec.label,
        algorithm,
        certificate_kind: spec.certificate,
        not_before,
        not_after,
        subject_cn: spec.subject_cn,
        auth_cert_der,
        auth_key,
        insurance: spec.insurance,
    })
}
