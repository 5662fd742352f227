//! The format as a table: the sections, their labels in the app's order, and for each label
//! how its value is written and read and which model field holds it.

use crate::oqs::codes::{Code, CodeTable, ContributionRatio};
use crate::oqs::model::{
    ElderlyRecipientCertificateInfo, LimitApplicationCertificateRelatedInfo,
    ResultOfQualificationConfirmation,
};

/// How a label's value is written and read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Text,
    Date,
    Sex,
    Family,
    CardClass,
    Ratio,
    Preschool,
    LimitClass,
    LimitFlag,
}

impl Kind {
    pub(super) fn expected(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Date => "a date (令和6年4月1日)",
            Kind::Sex => "男, 女 or 未設定",
            Kind::Family => "本人 or 家族",
            Kind::CardClass => "a 証区分 (一般, 退職, …)",
            Kind::Ratio => "a ratio such as 3割",
            Kind::Preschool => "義務教育就学前",
            Kind::LimitClass => "a 認定証区分",
            Kind::LimitFlag => "an 適用区分",
        }
    }
}

pub(super) type Get = fn(&ResultOfQualificationConfirmation) -> Option<String>;
pub(super) type Set = fn(&mut ResultOfQualificationConfirmation, String);

/// One label of a section.
pub(super) struct Field {
    pub(super) label: &'static str,
    pub(super) kind: Kind,
    /// Written even when empty (and required when reading a 資格情報 section).
    pub(super) always: bool,
    pub(super) get: Get,
    pub(super) set: Set,
}

macro_rules! field {
    ($label:literal, $kind:ident, $always:literal, |$r:ident| $get:expr, |$w:ident, $v:ident| $set:expr) => {
        Field {
            label: $label,
            kind: Kind::$kind,
            always: $always,
            get: |$r| $get,
            set: |$w, $v| $set,
        }
    };
}

fn code_raw<T: CodeTable>(c: &Option<Code<T>>) -> Option<String> {
    c.as_ref().map(|c| c.raw().to_owned())
}

fn elderly(r: &mut ResultOfQualificationConfirmation) -> &mut ElderlyRecipientCertificateInfo {
    r.elderly_recipient_certificate_info
        .get_or_insert_with(Default::default)
}

fn limit(r: &mut ResultOfQualificationConfirmation) -> &mut LimitApplicationCertificateRelatedInfo {
    r.limit_application_certificate_related_info
        .get_or_insert_with(Default::default)
}

/// 資格情報, in the app's order.
pub(super) const QUALIFICATION: &[Field] = &[
    field!(
        "保険者番号",
        Text,
        true,
        |r| r.insurer_number.clone(),
        |r, v| r.insurer_number = Some(v)
    ),
    field!(
        "保険者名",
        Text,
        true,
        |r| r.insurer_name.clone(),
        |r, v| r.insurer_name = Some(v)
    ),
    field!(
        "記号",
        Text,
        true,
        |r| r.insured_card_symbol.clone(),
        |r, v| r.insured_card_symbol = Some(v)
    ),
    field!(
        "番号",
        Text,
        true,
        |r| r.insured_identification_number.clone(),
        |r, v| r.insured_identification_number = Some(v)
    ),
    field!(
        "枝番",
        Text,
        true,
        |r| r.insured_branch_number.clone(),
        |r, v| r.insured_branch_number = Some(v)
    ),
    field!("氏名", Text, true, |r| r.name.clone(), |r, v| r.name =
        Some(v)),
    field!(
        "フリガナ",
        Text,
        true,
        |r| r.name_kana.clone(),
        |r, v| r.name_kana = Some(v)
    ),
    field!(
        "生年月日",
        Date,
        true,
        |r| r.birthdate.clone(),
        |r, v| r.birthdate = Some(v)
    ),
    field!("性別", Sex, true, |r| code_raw(&r.sex1), |r, v| r.sex1 =
        Some(Code::from_raw(v))),
    field!(
        "証区分",
        CardClass,
        true,
        |r| code_raw(&r.insured_card_classification),
        |r, v| r.insured_card_classification = Some(Code::from_raw(v))
    ),
    field!(
        "有効開始日",
        Date,
        true,
        |r| r.insured_card_valid_date.clone(),
        |r, v| r.insured_card_valid_date = Some(v)
    ),
    field!(
        "有効終了日",
        Date,
        true,
        |r| r.insured_card_expiration_date.clone(),
        |r, v| r.insured_card_expiration_date = Some(v)
    ),
    field!(
        "資格取得年月日",
        Date,
        true,
        |r| r.qualification_date.clone(),
        |r, v| r.qualification_date = Some(v)
    ),
    field!(
        "負担割合",
        Ratio,
        true,
        |r| r
            .insured_partial_contribution_ratio
            .as_ref()
            .map(|x| x.raw().to_owned()),
        |r, v| r.insured_partial_contribution_ratio = Some(ContributionRatio::from_raw(v))
    ),
    field!(
        "未就学区分",
        Preschool,
        false,
        |r| code_raw(&r.preschool_classification),
        |r, v| r.preschool_classification = Some(Code::from_raw(v))
    ),
    field!(
        "本人・家族の別",
        Family,
        true,
        |r| code_raw(&r.personal_family_classification),
        |r, v| r.personal_family_classification = Some(Code::from_raw(v))
    ),
    field!(
        "被保険者氏名",
        Text,
        true,
        |r| r.insured_name.clone(),
        |r, v| r.insured_name = Some(v)
    ),
    field!("住所", Text, true, |r| r.address.clone(), |r, v| r
        .address =
        Some(v)),
    field!(
        "照会番号",
        Text,
        false,
        |r| r.reference_number.clone(),
        |r, v| r.reference_number = Some(v)
    ),
];

/// 裏面記載情報.
pub(super) const BACK: &[Field] = &[
    field!("氏名", Text, true, |r| r.name_of_other.clone(), |r, v| {
        r.name_of_other = Some(v)
    }),
    field!(
        "氏名カナ",
        Text,
        true,
        |r| r.name_of_other_kana.clone(),
        |r, v| r.name_of_other_kana = Some(v)
    ),
    field!("性別", Sex, true, |r| code_raw(&r.sex2), |r, v| r.sex2 =
        Some(Code::from_raw(v))),
];

/// 高齢受給者証.
pub(super) const ELDERLY: &[Field] = &[
    field!(
        "有効開始日",
        Date,
        true,
        |r| r
            .elderly_recipient_certificate_info
            .as_ref()?
            .elderly_recipient_valid_start_date
            .clone(),
        |r, v| elderly(r).elderly_recipient_valid_start_date = Some(v)
    ),
    field!(
        "有効終了日",
        Date,
        true,
        |r| r
            .elderly_recipient_certificate_info
            .as_ref()?
            .elderly_recipient_valid_end_date
            .clone(),
        |r, v| elderly(r).elderly_recipient_valid_end_date = Some(v)
    ),
    field!(
        "負担割合",
        Ratio,
        true,
        |r| Some(
            r.elderly_recipient_certificate_info
                .as_ref()?
                .elderly_recipient_contribution_ratio
                .as_ref()?
                .raw()
                .to_owned()
        ),
        |r, v| elderly(r).elderly_recipient_contribution_ratio =
            Some(ContributionRatio::from_raw(v))
    ),
];

/// 限度額適用認定証 (the two labels importers know; 認定証区分 / 適用区分 are read when a
/// newer app writes them, never written).
pub(super) const LIMIT: &[Field] = &[
    field!(
        "有効開始年月日",
        Date,
        true,
        |r| r
            .limit_application_certificate_related_info
            .as_ref()?
            .limit_application_certificate_valid_start_date
            .clone(),
        |r, v| limit(r).limit_application_certificate_valid_start_date = Some(v)
    ),
    field!(
        "有効終了年月日",
        Date,
        true,
        |r| r
            .limit_application_certificate_related_info
            .as_ref()?
            .limit_application_certificate_valid_end_date
            .clone(),
        |r, v| limit(r).limit_application_certificate_valid_end_date = Some(v)
    ),
];

pub(super) const LIMIT_READ_ONLY: &[Field] = &[
    field!(
        "認定証区分",
        LimitClass,
        false,
        |r| code_raw(
            &r.limit_application_certificate_related_info
                .as_ref()?
                .limit_application_certificate_classification
        ),
        |r, v| limit(r).limit_application_certificate_classification = Some(Code::from_raw(v))
    ),
    field!(
        "適用区分",
        LimitFlag,
        false,
        |r| code_raw(
            &r.limit_application_certificate_related_info
                .as_ref()?
                .limit_application_certificate_classification_flag
        ),
        |r, v| limit(r).limit_application_certificate_classification_flag = Some(Code::from_raw(v))
    ),
];

/// The section lines.
pub(super) const QUALIFICATION_TITLE: &str = "資格情報";
pub(super) const QUALIFICATION_INSURANCE_TITLE: &str = "資格情報(医療保険)";
pub(super) const QUALIFICATION_ASSISTANCE_TITLE: &str = "資格情報(医療扶助)";
pub(super) const BACK_TITLE: &str = "裏面記載情報";
pub(super) const ELDERLY_TITLE: &str = "高齢受給者証";
pub(super) const LIMIT_TITLE: &str = "限度額適用認定証";

/// The confirmation-date cell as the app writes it.
pub(super) const CONFIRMATION_CELL: &str = "確認日 : ";
pub(super) const CONFIRMATION_LABEL: &str = "確認日";
pub(super) const VALIDITY_LABEL: &str = "資格有効性";
pub(super) const ERROR_CODE_LABEL: &str = "エラーコード";
pub(super) const ERROR_MESSAGE_LABEL: &str = "エラーメッセージ";
pub(super) const PRESCHOOL_WORD: &str = "義務教育就学前";
