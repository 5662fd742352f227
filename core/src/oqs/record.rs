//! The insured record (資格情報) in flat form: one person's `ResultOfQualificationConfirmation`
//! and its `QualificationValidity` as one row of text columns, named after the OQS `XmlMsg`
//! elements in snake_case. It is the simulator's one record format: the persona fixtures
//! (`tests/fixtures/personas/personas.toml`), `myna-demo import-csv`'s columns and the
//! service's `insured_records` table all use it, so its column list is written here once.
//!
//! Plain data: the service checks a record's values before storing it, and builds its
//! answer from it.

use serde::Deserialize;

use super::{
    Code, ContributionRatio, ElderlyRecipientCertificateInfo,
    LimitApplicationCertificateRelatedInfo, ResultOfQualificationConfirmation,
};

/// Why [`InsuredRecord::from_columns`] could not build a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("required column {column} has no value")]
pub struct MissingColumn {
    /// The column.
    pub column: &'static str,
}

macro_rules! insured_record {
    (
        required { $( $(#[$rdoc:meta])* $req:ident, )+ }
        optional { $( $(#[$odoc:meta])* $opt:ident, )+ }
    ) => {
        /// One insured record. Field names are the OQS `XmlMsg` element names in snake_case
        /// (`elderly_*` are `ElderlyRecipient…`, `limit_*` are
        /// `LimitApplicationCertificate…`); they are also the CSV and table column names.
        /// Codes are the OQS codes; dates are `yyyyMMdd`.
        #[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct InsuredRecord {
            /// The linked certificate's serial (hex); empty = reachable by number search only.
            #[serde(default)]
            pub certificate_serial: Option<String>,
            $( $(#[$rdoc])* pub $req: String, )+
            $( $(#[$odoc])* #[serde(default)] pub $opt: Option<String>, )+
        }

        impl InsuredRecord {
            /// The column names, in table order: `certificate_serial`, then the required
            /// columns, then the optional ones.
            pub const COLUMNS: &'static [&'static str] = &[
                "certificate_serial",
                $( stringify!($req), )+
                $( stringify!($opt), )+
            ];

            /// The values in [`InsuredRecord::COLUMNS`] order (`None`: no value).
            pub fn values(&self) -> Vec<Option<&str>> {
                let mut values = vec![self.certificate_serial.as_deref()];
                $( values.push(Some(self.$req.as_str())); )+
                $( values.push(self.$opt.as_deref()); )+
                values
            }

            /// A record from values in [`InsuredRecord::COLUMNS`] order, as
            /// [`InsuredRecord::values`] gives them. A missing required value is an error;
            /// missing trailing values are absent.
            pub fn from_columns(
                values: impl IntoIterator<Item = Option<String>>,
            ) -> Result<Self, MissingColumn> {
                let mut values = values.into_iter();
                Ok(Self {
                    certificate_serial: values.next().flatten(),
                    $( $req: values.next().flatten().ok_or(MissingColumn {
                        column: stringify!($req),
                    })?, )+
                    $( $opt: values.next().flatten(), )+
                })
            }
        }
    };
}

insured_record! {
    required {
        /// `QualificationValidity` (1–6) of this record.
        qualification_validity,
        /// `InsuredCardClassification` (01–07, A1).
        insured_card_classification,
        /// `InsurerNumber` (8 digits, or 6 for 国保).
        insurer_number,
        /// `InsurerName`.
        insurer_name,
        /// `InsuredCardSymbol` (may be empty).
        insured_card_symbol,
        /// `InsuredIdentificationNumber`.
        insured_identification_number,
        /// `InsuredBranchNumber` (2 digits).
        insured_branch_number,
        /// `PersonalFamilyClassification` (1 本人, 2 家族).
        personal_family_classification,
        /// `Name`.
        name,
        /// `Sex1` (1 男, 2 女, 3 未設定).
        sex1,
        /// `Birthdate`.
        birthdate,
    }
    optional {
        /// `InsuredName` (the insured head of household).
        insured_name,
        /// `NameOfOther`.
        name_of_other,
        /// `NameKana` (half-width kana).
        name_kana,
        /// `NameOfOtherKana`.
        name_of_other_kana,
        /// `Sex2`.
        sex2,
        /// `Address`.
        address,
        /// `PostNumber` (`123-4567`).
        post_number,
        /// `QualificationDate`.
        qualification_date,
        /// `DisqualificationDate`.
        disqualification_date,
        /// `InsuredCertificateIssuanceDate`.
        insured_certificate_issuance_date,
        /// `InsuredCardValidDate`.
        insured_card_valid_date,
        /// `InsuredCardExpirationDate`.
        insured_card_expiration_date,
        /// `InsuredPartialContributionRatio` (`010`, `020`, `030`).
        insured_partial_contribution_ratio,
        /// `PreschoolClassification` (1 未就学).
        preschool_classification,
        /// `ReasonOfLoss` (01, 02, 03, 99).
        reason_of_loss,
        /// `ElderlyRecipientCertificateDate`.
        elderly_certificate_date,
        /// `ElderlyRecipientValidStartDate`.
        elderly_valid_start_date,
        /// `ElderlyRecipientValidEndDate`.
        elderly_valid_end_date,
        /// `ElderlyRecipientContributionRatio`.
        elderly_contribution_ratio,
        /// `LimitApplicationCertificateRelatedConsFlg`.
        limit_cons_flg,
        /// `LimitApplicationCertificateRelatedConsTime` (`yyyyMMddHHmmss`).
        limit_cons_time,
        /// `LimitApplicationCertificateClassification` (01–03).
        limit_classification,
        /// `LimitApplicationCertificateClassificationFlag` (A01–A06, B01–B10).
        limit_classification_flag,
        /// `LimitApplicationCertificateDate`.
        limit_certificate_date,
        /// `LimitApplicationCertificateValidStartDate`.
        limit_valid_start_date,
        /// `LimitApplicationCertificateValidEndDate`.
        limit_valid_end_date,
        /// `LimitApplicationCertificateLongTermDate`.
        limit_long_term_date,
    }
}

impl InsuredRecord {
    /// The record as the answer's `ResultOfQualificationConfirmation`: each column into its
    /// element, codes and ratios kept as written (a value outside its table stays raw), the
    /// 高齢受給者証 and 限度額適用認定証 groups present when the record has their facts.
    pub fn result(&self) -> ResultOfQualificationConfirmation {
        let record = self;
        let opt = |s: &Option<String>| s.clone();
        let mut r = ResultOfQualificationConfirmation::default();
        // The record's columns that are the element of the same name, by how each is typed.
        macro_rules! copy {
            (text: $($field:ident),+ $(,)?) => { $( r.$field = Some(record.$field.clone()); )+ };
            (optional: $($field:ident),+ $(,)?) => { $( r.$field = record.$field.clone(); )+ };
            (code: $($field:ident),+ $(,)?) => { $( r.$field = Some(Code::from_raw(&record.$field)); )+ };
            (optional code: $($field:ident),+ $(,)?) => {
                $( r.$field = record.$field.as_ref().map(Code::from_raw); )+
            };
        }
        copy!(text: insurer_number, insurer_name, insured_card_symbol, insured_identification_number,
            insured_branch_number, name, birthdate);
        copy!(optional: insured_name, name_of_other, name_kana, name_of_other_kana, address,
            post_number, qualification_date, disqualification_date,
            insured_certificate_issuance_date, insured_card_valid_date, insured_card_expiration_date);
        copy!(code: insured_card_classification, personal_family_classification, sex1);
        copy!(optional code: sex2, preschool_classification, reason_of_loss);
        r.insured_partial_contribution_ratio = record
            .insured_partial_contribution_ratio
            .as_ref()
            .map(ContributionRatio::from_raw);
        if record.elderly_certificate_date.is_some()
            || record.elderly_valid_start_date.is_some()
            || record.elderly_contribution_ratio.is_some()
        {
            r.elderly_recipient_certificate_info = Some(ElderlyRecipientCertificateInfo {
                elderly_recipient_certificate_date: opt(&record.elderly_certificate_date),
                elderly_recipient_valid_start_date: opt(&record.elderly_valid_start_date),
                elderly_recipient_valid_end_date: opt(&record.elderly_valid_end_date),
                elderly_recipient_contribution_ratio: record
                    .elderly_contribution_ratio
                    .as_ref()
                    .map(ContributionRatio::from_raw),
                ..Default::default()
            });
        }
        r.limit_application_certificate_related_cons_flg =
            record.limit_cons_flg.as_ref().map(Code::from_raw);
        r.limit_application_certificate_related_cons_time = opt(&record.limit_cons_time);
        if record.limit_classification.is_some() || record.limit_classification_flag.is_some() {
            r.limit_application_certificate_related_info =
                Some(LimitApplicationCertificateRelatedInfo {
                    limit_application_certificate_classification: record
                        .limit_classification
                        .as_ref()
                        .map(Code::from_raw),
                    limit_application_certificate_classification_flag: record
                        .limit_classification_flag
                        .as_ref()
                        .map(Code::from_raw),
                    limit_application_certificate_date: opt(&record.limit_certificate_date),
                    limit_application_certificate_valid_start_date: opt(
                        &record.limit_valid_start_date
                    ),
                    limit_application_certificate_valid_end_date: opt(&record.limit_valid_end_date),
                    limit_application_certificate_long_term_date: opt(&record.limit_long_term_date),
                    ..Default::default()
                });
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_columns_agree_and_round_trip() {
        let mut record = InsuredRecord {
            certificate_serial: Some("0ABC".into()),
            name: "山田\u{3000}太郎".into(),
            birthdate: "19800415".into(),
            limit_long_term_date: Some("20250101".into()),
            ..Default::default()
        };
        let values = record.values();
        assert_eq!(values.len(), InsuredRecord::COLUMNS.len());
        let at = |column: &str| {
            values[InsuredRecord::COLUMNS
                .iter()
                .position(|c| *c == column)
                .unwrap()]
        };
        assert_eq!(at("certificate_serial"), Some("0ABC"));
        assert_eq!(at("name"), Some("山田\u{3000}太郎"));
        assert_eq!(at("birthdate"), Some("19800415"));
        assert_eq!(at("limit_long_term_date"), Some("20250101"));
        assert_eq!(at("address"), None);
        let owned = values
            .iter()
            .map(|v| v.map(str::to_owned))
            .collect::<Vec<_>>();
        assert_eq!(
            InsuredRecord::from_columns(owned.clone()),
            Ok(record.clone())
        );
        // Every column lands in its own field.
        for (i, column) in InsuredRecord::COLUMNS.iter().enumerate() {
            let mut marked = owned.clone();
            marked[i] = Some(format!("<{column}>"));
            let back = InsuredRecord::from_columns(marked).unwrap();
            assert_eq!(
                back.values()[i],
                Some(format!("<{column}>").as_str()),
                "{column}"
            );
        }
        // A required column without a value is named.
        let mut missing = owned.clone();
        missing[InsuredRecord::COLUMNS
            .iter()
            .position(|c| *c == "sex1")
            .unwrap()] = None;
        assert_eq!(
            InsuredRecord::from_columns(missing),
            Err(MissingColumn { column: "sex1" })
        );
        record.certificate_serial = None;
        assert_eq!(record.values()[0], None);
    }

    #[test]
    fn the_result_groups_the_elderly_and_limit_facts_and_keeps_codes_raw() {
        let record = InsuredRecord {
            sex1: "9".into(),
            elderly_contribution_ratio: Some("020".into()),
            limit_cons_flg: Some("1".into()),
            limit_classification_flag: Some("A03".into()),
            ..Default::default()
        };
        let r = record.result();
        assert_eq!(r.sex1.as_ref().map(|c| c.raw()), Some("9"));
        let elderly = r.elderly_recipient_certificate_info.unwrap();
        assert_eq!(
            elderly.elderly_recipient_contribution_ratio,
            Some(ContributionRatio::from_raw("020"))
        );
        // The consent is an element of the result, beside the group.
        assert_eq!(
            r.limit_application_certificate_related_cons_flg
                .as_ref()
                .map(|c| c.raw()),
            Some("1")
        );
        let limit = r.limit_application_certificate_related_info.unwrap();
        assert_eq!(
            limit
                .limit_application_certificate_classification_flag
                .as_ref()
                .map(|c| c.raw()),
            Some("A03")
        );
        // A record with neither group's facts has neither group.
        let bare = InsuredRecord::default().result();
        assert!(bare.elderly_recipient_certificate_info.is_none());
        assert!(bare.limit_application_certificate_related_info.is_none());
    }
}
