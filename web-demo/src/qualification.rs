//! Insured records → the OQS `XmlMsg` answer (資格情報 only).

use myna_core::oqs::{
    QualificationConfirmSearchInfo, QualificationValidity, ReferenceClassification,
    ResponseContext, XmlMsg,
};
use time::{Date, OffsetDateTime};

use crate::clock::JST;
use crate::store::records::InsuredRecord;

/// How far ahead of a certificate's expiry the answer carries a notice.
pub const EXPIRY_NOTICE_MONTHS: u8 = crate::validity::NOTICE_MONTHS;

/// The header facts of an answer given at `now` to `facility_code`.
pub fn response_context(
    now: OffsetDateTime,
    facility_code: &str,
    reference: ReferenceClassification,
    arbitrary_file_identifier: Option<String>,
) -> ResponseContext {
    let jst = now.to_offset(JST);
    ResponseContext {
        process_execution_time: format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}",
            jst.year(),
            u8::from(jst.month()),
            jst.day(),
            jst.hour(),
            jst.minute(),
            jst.second()
        ),
        qualification_confirmation_date: yyyymmdd(jst.date()),
        medical_institution_code: facility_code.to_owned(),
        arbitrary_file_identifier,
        reference_classification: reference,
    }
}

/// `yyyyMMdd`.
pub fn yyyymmdd(date: Date) -> String {
    format!(
        "{:04}{:02}{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// The body's `QualificationValidity` for the matching records: none → 4 該当資格なし,
/// one → that record's own validity, several → 5 複数該当.
pub fn overall_validity(records: &[InsuredRecord]) -> QualificationValidity {
    match records {
        [] => QualificationValidity::NoQualification,
        [one] => myna_core::oqs::CodeTable::from_code(one.qualification_validity.as_str())
            .unwrap_or(QualificationValidity::Invalid),
        _ => QualificationValidity::MultipleMatches,
    }
}

/// A normal answer listing `records`.
pub fn answer(context: &ResponseContext, records: &[InsuredRecord]) -> XmlMsg {
    XmlMsg::normal(
        context,
        overall_validity(records),
        records.iter().map(InsuredRecord::result).collect(),
    )
}

/// The echo of a number-based search (`QualificationConfirmSearchInfo`).
pub fn search_info(
    insurer_number: &str,
    insured_card_symbol: &str,
    insured_identification_number: &str,
    insured_branch_number: &str,
    birthdate: &str,
) -> QualificationConfirmSearchInfo {
    let mut info = QualificationConfirmSearchInfo::default();
    info.insurer_number = Some(insurer_number.to_owned());
    info.insured_card_symbol = Some(insured_card_symbol.to_owned());
    info.insured_identification_number = Some(insured_identification_number.to_owned());
    info.insured_branch_number = Some(insured_branch_number.to_owned());
    info.birthdate = Some(birthdate.to_owned());
    info
}

/// The notice for a certificate valid until `not_after`, at `now`: expiring within three
/// months, or expired and in the grace period (see [`crate::validity`]).
pub fn expiry_notice(not_after: OffsetDateTime, now: OffsetDateTime) -> Option<String> {
    crate::validity::notice(not_after, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_context_uses_japan_time() {
        let ctx = response_context(
            datetime!(2026-03-31 15:04:05 UTC),
            "1399999999",
            ReferenceClassification::Card,
            None,
        );
        assert_eq!(ctx.process_execution_time, "20260401000405");
        assert_eq!(ctx.qualification_confirmation_date, "20260401");
    }
}
