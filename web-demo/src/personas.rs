//! The persona set as the service needs it: insured records keyed by each persona's
//! certificate serial, the test CA's CRL (verified against the test CA), and the test CA
//! (both root generations) as the default trust anchors.
//!
//! The loader is the `myna-personas` crate, shared with the bridge's virtual card.

use myna_core::x509::parse_certificate;
use myna_personas::Personas;

use crate::revocation::VerifiedCrl;
use crate::seed::SeedData;
use crate::store::records::InsuredRecord;
use crate::verify::{TrustAnchorError, TrustAnchors};

/// Why the persona data could not be turned into seed data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PersonaSeedError {
    /// A persona's certificate does not parse.
    #[error("persona {name}: certificate: {reason}")]
    Certificate {
        /// The persona.
        name: String,
        /// What the parser said.
        reason: String,
    },
    /// The CRL does not parse or does not verify against the test CA.
    #[error("persona CRL: {0}")]
    Crl(String),
    /// The test CA does not load.
    #[error("persona CA: {0}")]
    Anchors(#[from] TrustAnchorError),
}

/// The records and revocations a new database is seeded with.
pub fn seed_data(personas: &Personas) -> Result<SeedData, PersonaSeedError> {
    let mut records = Vec::new();
    // The cards and phones, then the next-generation (P-384, issue 14 item 5) certificates.
    let linked = personas
        .iter()
        .map(|p| (&p.name, &p.auth_cert_der, &p.insurance))
        .chain(
            personas
                .next_generation()
                .map(|p| (&p.name, &p.auth_cert_der, &p.insurance)),
        );
    for (name, certificate, insurance) in linked {
        let Some(insurance) = insurance else {
            continue; // a card never linked to insurance: 該当資格なし
        };
        let certificate =
            parse_certificate(certificate).map_err(|e| PersonaSeedError::Certificate {
                name: name.clone(),
                reason: e.to_string(),
            })?;
        records.push(InsuredRecord {
            certificate_serial: Some(certificate.serial),
            ..insurance.clone()
        });
    }
    // Verified (signature) against the personas' CA; whether it is current is checked on
    // every use.
    let crl = VerifiedCrl::verify(&trust_anchors(personas)?, personas.crl_der())
        .map_err(|e| PersonaSeedError::Crl(e.to_string()))?;
    Ok(SeedData {
        records,
        crls: vec![crl],
    })
}

/// The test CA (current and old root) as trust anchors.
pub fn trust_anchors(personas: &Personas) -> Result<TrustAnchors, TrustAnchorError> {
    TrustAnchors::from_der(
        std::iter::once(personas.ca_cert_der()).chain(personas.old_ca_cert_der()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_insured_persona_is_seeded_and_valid_and_the_crl_lists_revoked_cert() {
        let personas = Personas::embedded();
        let seed = seed_data(&personas).unwrap();
        let insured = personas.iter().filter(|p| p.insurance.is_some()).count();
        let next = personas.next_generation().count();
        assert!(next > 0, "a next-generation (P-384) persona is seeded too");
        assert_eq!(seed.records.len(), insured + next);
        for record in &seed.records {
            crate::store::records::validate(record.clone()).unwrap();
        }
        let revoked = personas.get("revoked-cert").unwrap();
        let serial = parse_certificate(&revoked.auth_cert_der).unwrap().serial;
        assert_eq!(seed.crls.len(), 1);
        assert_eq!(seed.crls[0].len(), 1);
        assert!(seed.crls[0].lists(&serial));
        assert_eq!(trust_anchors(&personas).unwrap().as_slice().len(), 2);
    }
}
