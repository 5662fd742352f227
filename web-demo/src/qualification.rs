//! Insured records → the OQS `XmlMsg` answer (資格情報 only).

use myna_core::oqs::{
    Code, ContributionRatio, ElderlyRecipientCertificateInfo,
    LimitApplicationCertificateRelatedInfo, QualificationConfirmSearchInfo, QualificationValidity,
    ReferenceClassification, ResponseContext, ResultOfQualificationConfirmation, XmlMsg,
};
use time::{Date, Month, OffsetDateTime};

use crate::clock::JST;
use crate::store::records::InsuredRecord;

/// How far ahead of a certificate's expiry the answer carries a notice.
pub const EXPIRY_NOTICE_MONTHS: u8 = 3;

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
        records.iter().map(result_of).collect(),
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

/// The notice for a certificate that expires within [`EXPIRY_NOTICE_MONTHS`] of `today`
/// (both dates in JST), if it does.
pub fn expiry_notice(not_after: OffsetDateTime, now: OffsetDateTime) -> Option<String> {
    let last_day = not_after.to_offset(JST).date();
    let today = now.to_offset(JST).date();
    if last_day < today || last_day >= add_months(today, EXPIRY_NOTICE_MONTHS) {
        return None;
    }
    Some(format!(
        "利用者証明用電子証明書の有効期限が近づいています（{}年{}月{}日まで）。お住まいの市区町村の窓口で更新してください。",
        last_day.year(),
        u8::from(last_day.month()),
        last_day.day()
    ))
}

/// `date` plus `months` calendar months, the day clamped to the target month's length
/// (31 Nov → 30 Nov).
pub fn add_months(date: Date, months: u8) -> Date {
    let zero_based = u32::from(u8::from(date.month())) - 1 + u32::from(months);
    let year = date.year() + (zero_based / 12) as i32;
    let month = Month::try_from((zero_based % 12) as u8 + 1).unwrap_or(Month::December);
    let day = date.day().min(month.length(year));
    Date::from_calendar_date(year, month, day).unwrap_or(Date::MAX)
}

fn result_of(record: &InsuredRecord) -> ResultOfQualificationConfirmation {
    let text = |s: &String| Some(s.clone());
    let opt = |s: &Option<String>| s.clone();
    let mut r = ResultOfQualificationConfirmation::default();
    r.insured_card_classification = Some(Code::from_raw(&record.insured_card_classification));
    r.insurer_number = text(&record.insurer_number);
    r.insurer_name = text(&record.insurer_name);
    r.insured_card_symbol = text(&record.insured_card_symbol);
    r.insured_identification_number = text(&record.insured_identification_number);
    r.insured_branch_number = text(&record.insured_branch_number);
    r.personal_family_classification = Some(Code::from_raw(&record.personal_family_classification));
    r.insured_name = opt(&record.insured_name);
    r.name = text(&record.name);
    r.name_of_other = opt(&record.name_of_other);
    r.name_kana = opt(&record.name_kana);
    r.name_of_other_kana = opt(&record.name_of_other_kana);
    r.sex1 = Some(Code::from_raw(&record.sex1));
    r.sex2 = record.sex2.as_ref().map(Code::from_raw);
    r.birthdate = text(&record.birthdate);
    r.address = opt(&record.address);
    r.post_number = opt(&record.post_number);
    r.qualification_date = opt(&record.qualification_date);
    r.disqualification_date = opt(&record.disqualification_date);
    r.insured_certificate_issuance_date = opt(&record.insured_certificate_issuance_date);
    r.insured_card_valid_date = opt(&record.insured_card_valid_date);
    r.insured_card_expiration_date = opt(&record.insured_card_expiration_date);
    r.insured_partial_contribution_ratio = record
        .insured_partial_contribution_ratio
        .as_ref()
        .map(ContributionRatio::from_raw);
    r.preschool_classification = record.preschool_classification.as_ref().map(Code::from_raw);
    r.reason_of_loss = record.reason_of_loss.as_ref().map(Code::from_raw);
    if record.elderly_certificate_date.is_some()
        || record.elderly_valid_start_date.is_some()
        || record.elderly_contribution_ratio.is_some()
    {
        let mut e = ElderlyRecipientCertificateInfo::default();
        e.elderly_recipient_certificate_date = opt(&record.elderly_certificate_date);
        e.elderly_recipient_valid_start_date = opt(&record.elderly_valid_start_date);
        e.elderly_recipient_valid_end_date = opt(&record.elderly_valid_end_date);
        e.elderly_recipient_contribution_ratio = record
            .elderly_contribution_ratio
            .as_ref()
            .map(ContributionRatio::from_raw);
        r.elderly_recipient_certificate_info = Some(e);
    }
    r.limit_application_certificate_related_cons_flg =
        record.limit_cons_flg.as_ref().map(Code::from_raw);
    r.limit_application_certificate_related_cons_time = opt(&record.limit_cons_time);
    if record.limit_classification.is_some() || record.limit_classification_flag.is_some() {
        let mut l = LimitApplicationCertificateRelatedInfo::default();
        l.limit_application_certificate_classification =
            record.limit_classification.as_ref().map(Code::from_raw);
        l.limit_application_certificate_classification_flag = record
            .limit_classification_flag
            .as_ref()
            .map(Code::from_raw);
        l.limit_application_certificate_date = opt(&record.limit_certificate_date);
        l.limit_application_certificate_valid_start_date = opt(&record.limit_valid_start_date);
        l.limit_application_certificate_valid_end_date = opt(&record.limit_valid_end_date);
        l.limit_application_certificate_long_term_date = opt(&record.limit_long_term_date);
        r.limit_application_certificate_related_info = Some(l);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn months_add_with_clamping() {
        assert_eq!(add_months(date!(2026 - 11 - 30), 3), date!(2027 - 02 - 28));
        assert_eq!(add_months(date!(2026 - 01 - 31), 1), date!(2026 - 02 - 28));
        assert_eq!(add_months(date!(2026 - 10 - 15), 3), date!(2027 - 01 - 15));
    }

    #[test]
    fn the_expiry_notice_covers_exactly_three_months() {
        let not_after = datetime!(2030-01-13 15:00 UTC); // 2030-01-14 00:00 JST
        assert!(expiry_notice(not_after, datetime!(2029-10-13 15:00 UTC)).is_none());
        let notice = expiry_notice(not_after, datetime!(2029-10-14 15:00 UTC)).unwrap();
        assert!(notice.contains("2030年1月14日まで"), "{notice}");
        assert!(expiry_notice(not_after, datetime!(2030-01-13 14:00 UTC)).is_some());
        assert!(expiry_notice(not_after, datetime!(2030-01-14 15:00 UTC)).is_none());
    }

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
