//! The persona set as the service needs it: insured records keyed by each persona's
//! certificate serial, the test CA's CRL (verified against the test CA), and the test CA
//! (both root generations) as the default trust anchors.
//!
//! The loader is the `myna-personas` crate, shared with the bridge's virtual card.

use myna_core::x509::parse_certificate;
use myna_personas::{InsuranceRecord, Personas};

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
        records.push(insured_record(certificate.serial, insurance));
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

fn insured_record(serial: String, r: &InsuranceRecord) -> InsuredRecord {
    let some = |s: &String| Some(s.clone());
    InsuredRecord {
        certificate_serial: Some(serial),
        qualification_validity: r.qualification_validity.clone(),
        insured_card_classification: r.insured_card_classification.clone(),
        insurer_number: r.insurer_number.clone(),
        insurer_name: r.insurer_name.clone(),
        insured_card_symbol: r.insured_card_symbol.clone(),
        insured_identification_number: r.insured_identification_number.clone(),
        insured_branch_number: r.insured_branch_number.clone(),
        personal_family_classification: r.personal_family_classification.clone(),
        name: r.name.clone(),
        sex1: r.sex1.clone(),
        birthdate: r.birthdate.clone(),
        insured_name: some(&r.insured_name),
        name_of_other: r.name_of_other.clone(),
        name_kana: some(&r.name_kana),
        name_of_other_kana: r.name_of_other_kana.clone(),
        sex2: r.sex2.clone(),
        address: some(&r.address),
        post_number: some(&r.post_number),
        qualification_date: some(&r.qualification_date),
        disqualification_date: r.disqualification_date.clone(),
        insured_certificate_issuance_date: r.insured_certificate_issuance_date.clone(),
        insured_card_valid_date: some(&r.insured_card_valid_date),
        insured_card_expiration_date: r.insured_card_expiration_date.clone(),
        insured_partial_contribution_ratio: r.insured_partial_contribution_ratio.clone(),
        preschool_classification: r.preschool_classification.clone(),
        reason_of_loss: r.reason_of_loss.clone(),
        elderly_certificate_date: r.elderly.as_ref().map(|e| e.certificate_date.clone()),
        elderly_valid_start_date: r.elderly.as_ref().map(|e| e.valid_start_date.clone()),
        elderly_valid_end_date: r.elderly.as_ref().map(|e| e.valid_end_date.clone()),
        elderly_contribution_ratio: r.elderly.as_ref().map(|e| e.contribution_ratio.clone()),
        limit_cons_flg: r.limit.as_ref().map(|l| l.cons_flg.clone()),
        limit_cons_time: r.limit.as_ref().map(|l| l.cons_time.clone()),
        limit_classification: r.limit.as_ref().map(|l| l.classification.clone()),
        limit_classification_flag: r.limit.as_ref().map(|l| l.classification_flag.clone()),
        limit_certificate_date: r.limit.as_ref().map(|l| l.certificate_date.clone()),
        limit_valid_start_date: r.limit.as_ref().map(|l| l.valid_start_date.clone()),
        limit_valid_end_date: r.limit.as_ref().map(|l| l.valid_end_date.clone()),
        limit_long_term_date: r.limit.as_ref().and_then(|l| l.long_term_date.clone()),
    }
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
            record.clone().validate().unwrap();
        }
        let revoked = personas.get("revoked-cert").unwrap();
        let serial = parse_certificate(&revoked.auth_cert_der).unwrap().serial;
        assert_eq!(seed.crls.len(), 1);
        assert_eq!(seed.crls[0].len(), 1);
        assert!(seed.crls[0].lists(&serial));
        assert_eq!(trust_anchors(&personas).unwrap().as_slice().len(), 2);
    }
}
