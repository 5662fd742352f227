//! The `XmlMsg` JSON view the panel reads, and how its validity is shown.

use myna_core::oqs::{Code, ProcessingResultStatus, QualificationValidity, SegmentOfResult};
use myna_core::wareki::GregorianDate;
use serde::Serialize;

use super::Text;

js_view! {
    /// `XmlMsg` (JSON view), the fields the panel shows.
    pub struct QualificationView {
        /// `messageHeader`.
        pub message_header: HeaderView = "messageHeader",
        /// `messageBody`.
        pub message_body: BodyView = "messageBody",
    }
}

js_view! {
    /// `messageHeader`.
    pub struct HeaderView {
        /// `yyyyMMddHHmmss`.
        pub process_execution_time: Text = "processExecutionTime",
        /// `yyyyMMdd`.
        pub qualification_confirmation_date: Text = "qualificationConfirmationDate",
        /// 1 normal, 2 processing, 9 abnormal end.
        pub segment_of_result: Text = "segmentOfResult",
        /// The service's error code.
        pub error_code: Text = "errorCode",
        /// The service's error message.
        pub error_message: Text = "errorMessage",
    }
}

js_view! {
    /// `messageBody`.
    pub struct BodyView {
        /// 1 normal, 2 error.
        pub processing_result_status: Text = "processingResultStatus",
        /// 処理結果コード.
        pub processing_result_code: Text = "processingResultCode",
        /// Notices.
        pub processing_result_message: Text = "processingResultMessage",
        /// 資格有効性.
        pub qualification_validity: Text = "qualificationValidity",
        /// The results.
        pub result_list: Vec<ResultView> = "resultList",
    }
}

js_view! {
    /// One `ResultOfQualificationConfirmation`.
    #[allow(missing_docs)]
    pub struct ResultView {
        pub insured_card_classification: Text = "insuredCardClassification",
        pub insurer_number: Text = "insurerNumber",
        pub insurer_name: Text = "insurerName",
        pub insured_card_symbol: Text = "insuredCardSymbol",
        pub insured_identification_number: Text = "insuredIdentificationNumber",
        pub insured_branch_number: Text = "insuredBranchNumber",
        pub personal_family_classification: Text = "personalFamilyClassification",
        pub insured_name: Text = "insuredName",
        pub name: Text = "name",
        pub name_of_other: Text = "nameOfOther",
        pub name_kana: Text = "nameKana",
        pub name_of_other_kana: Text = "nameOfOtherKana",
        pub sex1: Text = "sex1",
        pub sex2: Text = "sex2",
        pub birthdate: Text = "birthdate",
        pub address: Text = "address",
        pub post_number: Text = "postNumber",
        pub qualification_date: Text = "qualificationDate",
        pub disqualification_date: Text = "disqualificationDate",
        pub insured_certificate_issuance_date: Text = "insuredCertificateIssuanceDate",
        pub insured_card_valid_date: Text = "insuredCardValidDate",
        pub insured_card_expiration_date: Text = "insuredCardExpirationDate",
        pub insured_partial_contribution_ratio: Text = "insuredPartialContributionRatio",
        pub preschool_classification: Text = "preschoolClassification",
        pub reason_of_loss: Text = "reasonOfLoss",
        pub elderly_recipient_certificate_info: Option<ElderlyView> = "elderlyRecipientCertificateInfo",
        pub limit_application_certificate_related_info: Option<LimitView> = "limitApplicationCertificateRelatedInfo",
        pub reference_number: Text = "referenceNumber",
    }
}

js_view! {
    /// 高齢受給者証.
    #[allow(missing_docs)]
    pub struct ElderlyView {
        pub elderly_recipient_certificate_date: Text = "elderlyRecipientCertificateDate",
        pub elderly_recipient_valid_start_date: Text = "elderlyRecipientValidStartDate",
        pub elderly_recipient_valid_end_date: Text = "elderlyRecipientValidEndDate",
        pub elderly_recipient_contribution_ratio: Text = "elderlyRecipientContributionRatio",
    }
}

js_view! {
    /// 限度額適用認定証.
    #[allow(missing_docs)]
    pub struct LimitView {
        pub limit_application_certificate_classification: Text = "limitApplicationCertificateClassification",
        pub limit_application_certificate_classification_flag: Text = "limitApplicationCertificateClassificationFlag",
        pub limit_application_certificate_date: Text = "limitApplicationCertificateDate",
        pub limit_application_certificate_valid_start_date: Text = "limitApplicationCertificateValidStartDate",
        pub limit_application_certificate_valid_end_date: Text = "limitApplicationCertificateValidEndDate",
        pub limit_application_certificate_long_term_date: Text = "limitApplicationCertificateLongTermDate",
    }
}

/// How the validity is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// 有効 (1, 6).
    Valid,
    /// 無効 (2, 3).
    Invalid,
    /// 該当資格なし (4).
    NotFound,
    /// 複数該当 (5).
    Multiple,
    /// An error answer (SegmentOfResult 9 / ProcessingResultStatus 2).
    Error,
    /// No validity given.
    Unknown,
}

impl Status {
    /// CSS modifier.
    pub fn class(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Invalid => "invalid",
            Status::NotFound => "not-found",
            Status::Multiple => "multiple",
            Status::Error => "error",
            Status::Unknown => "unknown",
        }
    }
}

impl QualificationView {
    /// An error answer: `SegmentOfResult` 9 or `ProcessingResultStatus` 2.
    pub fn is_error(&self) -> bool {
        let segment = self
            .message_header
            .segment_of_result
            .get()
            .is_some_and(|s| Code::<SegmentOfResult>::from_raw(s).is(SegmentOfResult::Abnormal));
        let status = self
            .message_body
            .processing_result_status
            .get()
            .is_some_and(|s| {
                Code::<ProcessingResultStatus>::from_raw(s).is(ProcessingResultStatus::Error)
            });
        segment || status
    }

    /// The validity and its label.
    pub fn status(&self) -> (Status, String) {
        if self.is_error() {
            return (Status::Error, "照会エラー".to_string());
        }
        let Some(raw) = self.message_body.qualification_validity.get() else {
            return (Status::Unknown, "資格有効性不明".to_string());
        };
        let code = Code::<QualificationValidity>::from_raw(raw);
        let status = match code.value() {
            Some(QualificationValidity::Valid | QualificationValidity::ValidUnregistered) => {
                Status::Valid
            }
            Some(
                QualificationValidity::Invalid | QualificationValidity::InvalidWithNewQualification,
            ) => Status::Invalid,
            Some(QualificationValidity::NoQualification) => Status::NotFound,
            Some(QualificationValidity::MultipleMatches) => Status::Multiple,
            _ => Status::Unknown,
        };
        let label = code
            .label()
            .map_or_else(|| format!("資格有効性 {raw}"), str::to_string);
        (status, label)
    }
}

impl QualificationView {
    /// The day of the check (`QualificationConfirmationDate`), when the view has a valid one.
    pub fn check_date(&self) -> Option<GregorianDate> {
        self.message_header
            .qualification_confirmation_date
            .get()
            .and_then(|d| GregorianDate::parse_yyyymmdd(d).ok())
    }
}
