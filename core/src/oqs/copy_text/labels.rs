//! The format as a table: the sections, their labels in the app's order, and for each label
//! how its value is written and read and which model field holds it.

use crate::oqs::codes::{Code, CodeTable, ContributionRatio};
use crate::oqs::model::ResultOfQualificationConfirmation;

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

/// A model field's value as the copy text holds it: the raw text, kept as is.
trait Raw {
    fn raw_text(&self) -> String;
    fn from_text(text: String) -> Self;
}

impl Raw for String {
    fn raw_text(&self) -> String {
        self.clone()
    }
    fn from_text(text: String) -> Self {
        text
    }
}

impl<T: CodeTable> Raw for Code<T> {
    fn raw_text(&self) -> String {
        self.raw().to_owned()
    }
    fn from_text(text: String) -> Self {
        Code::from_raw(text)
    }
}

impl Raw for ContributionRatio {
    fn raw_text(&self) -> String {
        self.raw().to_owned()
    }
    fn from_text(text: String) -> Self {
        ContributionRatio::from_raw(text)
    }
}

/// `field!(label, Kind, always, field)` for a field of the result, `field!(label, Kind,
/// always, group.field)` for one of a group the result may have (created when written).
macro_rules! field {
    ($label:literal, $kind:ident, $always:literal, $f:ident) => {
        Field {
            label: $label,
            kind: Kind::$kind,
            always: $always,
            get: |r| r.$f.as_ref().map(Raw::raw_text),
            set: |r, v| r.$f = Some(Raw::from_text(v)),
        }
    };
    ($label:literal, $kind:ident, $always:literal, $group:ident . $f:ident) => {
        Field {
            label: $label,
            kind: Kind::$kind,
            always: $always,
            get: |r| r.$group.as_ref()?.$f.as_ref().map(Raw::raw_text),
            set: |r, v| r.$group.get_or_insert_with(Default::default).$f = Some(Raw::from_text(v)),
        }
    };
}

/// 資格情報, in the app's order.
#[rustfmt::skip] // one row a label
pub(super) const QUALIFICATION: &[Field] = &[
    field!("保険者番号", Text, true, insurer_number),
    field!("保険者名", Text, true, insurer_name),
    field!("記号", Text, true, insured_card_symbol),
    field!("番号", Text, true, insured_identification_number),
    field!("枝番", Text, true, insured_branch_number),
    field!("氏名", Text, true, name),
    field!("フリガナ", Text, true, name_kana),
    field!("生年月日", Date, true, birthdate),
    field!("性別", Sex, true, sex1),
    field!("証区分", CardClass, true, insured_card_classification),
    field!("有効開始日", Date, true, insured_card_valid_date),
    field!("有効終了日", Date, true, insured_card_expiration_date),
    field!("資格取得年月日", Date, true, qualification_date),
    field!("負担割合", Ratio, true, insured_partial_contribution_ratio),
    field!("未就学区分", Preschool, false, preschool_classification),
    field!("本人・家族の別", Family, true, personal_family_classification),
    field!("被保険者氏名", Text, true, insured_name),
    field!("住所", Text, true, address),
    field!("照会番号", Text, false, reference_number),
];

/// 裏面記載情報.
pub(super) const BACK: &[Field] = &[
    field!("氏名", Text, true, name_of_other),
    field!("氏名カナ", Text, true, name_of_other_kana),
    field!("性別", Sex, true, sex2),
];

/// 高齢受給者証.
#[rustfmt::skip] // one row a label
pub(super) const ELDERLY: &[Field] = &[
    field!("有効開始日", Date, true, elderly_recipient_certificate_info.elderly_recipient_valid_start_date),
    field!("有効終了日", Date, true, elderly_recipient_certificate_info.elderly_recipient_valid_end_date),
    field!("負担割合", Ratio, true, elderly_recipient_certificate_info.elderly_recipient_contribution_ratio),
];

/// 限度額適用認定証 (the two labels importers know; 認定証区分 / 適用区分 are read when a
/// newer app writes them, never written).
#[rustfmt::skip] // one row a label
pub(super) const LIMIT: &[Field] = &[
    field!("有効開始年月日", Date, true, limit_application_certificate_related_info.limit_application_certificate_valid_start_date),
    field!("有効終了年月日", Date, true, limit_application_certificate_related_info.limit_application_certificate_valid_end_date),
];

#[rustfmt::skip] // one row a label
pub(super) const LIMIT_READ_ONLY: &[Field] = &[
    field!("認定証区分", LimitClass, false, limit_application_certificate_related_info.limit_application_certificate_classification),
    field!("適用区分", LimitFlag, false, limit_application_certificate_related_info.limit_application_certificate_classification_flag),
];

/// A section of the text, opened by its title line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Section {
    Qualification,
    QualificationInsurance,
    QualificationAssistance,
    Back,
    Elderly,
    Limit,
}

impl Section {
    pub(super) const ALL: [Section; 6] = [
        Section::Qualification,
        Section::QualificationInsurance,
        Section::QualificationAssistance,
        Section::Back,
        Section::Elderly,
        Section::Limit,
    ];

    /// The title line, as the app writes it.
    pub(super) const fn title(self) -> &'static str {
        match self {
            Section::Qualification => "資格情報",
            Section::QualificationInsurance => "資格情報(医療保険)",
            Section::QualificationAssistance => "資格情報(医療扶助)",
            Section::Back => "裏面記載情報",
            Section::Elderly => "高齢受給者証",
            Section::Limit => "限度額適用認定証",
        }
    }

    /// Whether the section starts a result (資格情報, of either kind).
    pub(super) fn opens_result(self) -> bool {
        matches!(
            self,
            Section::Qualification
                | Section::QualificationInsurance
                | Section::QualificationAssistance
        )
    }

    /// The labels the section may hold: what is written, then what is only read.
    pub(super) fn fields(self) -> &'static [&'static [Field]] {
        match self {
            Section::Qualification
            | Section::QualificationInsurance
            | Section::QualificationAssistance => &[QUALIFICATION],
            Section::Back => &[BACK],
            Section::Elderly => &[ELDERLY],
            Section::Limit => &[LIMIT, LIMIT_READ_ONLY],
        }
    }
}

/// The confirmation-date cell as the app writes it.
pub(super) const CONFIRMATION_CELL: &str = "確認日 : ";
pub(super) const CONFIRMATION_LABEL: &str = "確認日";
pub(super) const VALIDITY_LABEL: &str = "資格有効性";
pub(super) const ERROR_CODE_LABEL: &str = "エラーコード";
pub(super) const ERROR_MESSAGE_LABEL: &str = "エラーメッセージ";
pub(super) const PRESCHOOL_WORD: &str = "義務教育就学前";
