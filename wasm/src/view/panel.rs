//! The panel's sections and rows: labels from the core's code tables, dates in 和暦 with 西暦.
//!
//! ## 負担割合
//! The 資格情報 section's 負担割合 row is the core's `shown_ratio` on the day of the check
//! (`QualificationConfirmationDate`, else today): the 後期高齢者 ratio or the 高齢受給者証's
//! as the data has it, otherwise the ratio the law gives, marked `（法定・推定）`; no row
//! where none applies.

use myna_core::oqs::{
    self as oqs, Code, CodeTable, ContributionRatio, InsuredCardClassification,
    LimitApplicationCertificateClassification, LimitApplicationCertificateClassificationFlag,
    PersonalFamilyClassification, PreschoolClassification, ReasonOfLoss, Sex,
};
use myna_core::wareki::{self, GregorianDate};

use super::{ResultView, Text};

/// The label of a code in table `T`, or the raw code when it is outside the table.
pub fn code_label<T: CodeTable>(raw: &Text) -> Option<String> {
    let raw = raw.get()?;
    Some(
        Code::<T>::from_raw(raw)
            .label()
            .map_or_else(|| raw.to_string(), str::to_string),
    )
}

/// `030` → `3割`; a value the core cannot read stays as given.
pub fn ratio_label(raw: &Text) -> Option<String> {
    let raw = raw.get()?;
    Some(
        ContributionRatio::from_raw(raw)
            .label()
            .map_or_else(|| raw.to_string(), str::to_string),
    )
}

/// `19850401` → `昭和60年4月1日`; anything else stays as given.
pub fn wareki_date(raw: &str) -> String {
    wareki::to_wareki(raw).unwrap_or_else(|_| raw.to_string())
}

/// `19850401` → `昭和60年4月1日（1985/04/01）`; anything else stays as given.
pub fn display_date(raw: &str) -> String {
    match wareki::to_wareki(raw) {
        Ok(w) => format!("{w}（{}/{}/{}）", &raw[..4], &raw[4..6], &raw[6..8]),
        Err(_) => raw.to_string(),
    }
}

/// A value in a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Shown as is.
    Text(String),
    /// A `yyyyMMdd` date.
    Date(String),
    /// 有効期間: start and end dates (either may be absent).
    Period(Option<String>, Option<String>),
    /// Not in the result.
    Missing,
}

impl Value {
    fn text(t: Option<String>) -> Value {
        t.map_or(Value::Missing, Value::Text)
    }

    fn date(t: &Text) -> Value {
        t.get()
            .map_or(Value::Missing, |d| Value::Date(d.to_string()))
    }

    /// As the panel shows it (和暦 with 西暦); `None` when missing.
    pub fn display(&self) -> Option<String> {
        match self {
            Value::Text(t) => Some(t.clone()),
            Value::Date(d) => Some(display_date(d)),
            Value::Period(None, None) | Value::Missing => None,
            Value::Period(start, end) => Some(format!(
                "{} 〜 {}",
                start.as_deref().map(display_date).unwrap_or_default(),
                end.as_deref().map(display_date).unwrap_or_default()
            )),
        }
    }
}

/// One labelled value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The Japanese label.
    pub label: &'static str,
    /// The value.
    pub value: Value,
    /// Shown (and copied) even when missing.
    pub always: bool,
}

/// Which section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionKind {
    /// 資格情報.
    Qualification,
    /// 高齢受給者証.
    Elderly,
    /// 限度額適用認定証.
    LimitApplication,
}

impl SectionKind {
    /// The section title.
    pub fn title(self) -> &'static str {
        match self {
            SectionKind::Qualification => "資格情報",
            SectionKind::Elderly => "高齢受給者証",
            SectionKind::LimitApplication => "限度額適用認定証",
        }
    }

    /// CSS modifier.
    pub fn class(self) -> &'static str {
        match self {
            SectionKind::Qualification => "qualification",
            SectionKind::Elderly => "elderly",
            SectionKind::LimitApplication => "limit",
        }
    }
}

/// A titled list of rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Which section.
    pub kind: SectionKind,
    /// The rows.
    pub rows: Vec<Row>,
}

fn row(label: &'static str, value: Value) -> Row {
    Row {
        label,
        value,
        always: true,
    }
}

fn optional(label: &'static str, value: Value) -> Row {
    Row {
        label,
        value,
        always: false,
    }
}

/// The sections of one result, for a check on `on` (the 負担割合 depends on the age).
pub fn sections(result: &ResultView, on: GregorianDate) -> Vec<Section> {
    let t = |x: &Text| x.0.clone();
    let qualification = vec![
        row("保険者名", Value::text(t(&result.insurer_name))),
        row("保険者番号", Value::text(t(&result.insurer_number))),
        row("記号", Value::text(t(&result.insured_card_symbol))),
        row(
            "番号",
            Value::text(t(&result.insured_identification_number)),
        ),
        row("枝番", Value::text(t(&result.insured_branch_number))),
        row("氏名", Value::text(t(&result.name))),
        optional("氏名（その他）", Value::text(t(&result.name_of_other))),
        row("氏名カナ", Value::text(t(&result.name_kana))),
        optional(
            "氏名カナ（その他）",
            Value::text(t(&result.name_of_other_kana)),
        ),
        row("生年月日", Value::date(&result.birthdate)),
        row("性別", Value::text(code_label::<Sex>(&result.sex1))),
        optional("性別2", Value::text(code_label::<Sex>(&result.sex2))),
        row(
            "本人・家族の別",
            Value::text(code_label::<PersonalFamilyClassification>(
                &result.personal_family_classification,
            )),
        ),
        optional("被保険者氏名", Value::text(t(&result.insured_name))),
        row(
            "証区分",
            Value::text(code_label::<InsuredCardClassification>(
                &result.insured_card_classification,
            )),
        ),
        optional(
            "負担割合",
            Value::text(oqs::shown_ratio(&result.to_result(), on).map(|r| r.display())),
        ),
        row(
            "有効期間",
            Value::Period(
                t(&result.insured_card_valid_date),
                t(&result.insured_card_expiration_date),
            ),
        ),
        row("資格取得年月日", Value::date(&result.qualification_date)),
        optional("資格喪失年月日", Value::date(&result.disqualification_date)),
        optional(
            "資格喪失事由",
            Value::text(code_label::<ReasonOfLoss>(&result.reason_of_loss)),
        ),
        optional(
            "未就学区分",
            Value::text(code_label::<PreschoolClassification>(
                &result.preschool_classification,
            )),
        ),
        optional(
            "交付年月日",
            Value::date(&result.insured_certificate_issuance_date),
        ),
        optional("郵便番号", Value::text(t(&result.post_number))),
        optional("住所", Value::text(t(&result.address))),
    ];
    let mut out = vec![section(SectionKind::Qualification, qualification)];
    if let Some(e) = &result.elderly_recipient_certificate_info {
        let mut rows = issued_and_period([
            &e.elderly_recipient_certificate_date,
            &e.elderly_recipient_valid_start_date,
            &e.elderly_recipient_valid_end_date,
        ]);
        rows.push(row(
            "負担割合",
            Value::text(ratio_label(&e.elderly_recipient_contribution_ratio)),
        ));
        out.push(section(SectionKind::Elderly, rows));
    }
    if let Some(l) = &result.limit_application_certificate_related_info {
        let mut rows = vec![
            row(
                "認定証区分",
                Value::text(code_label::<LimitApplicationCertificateClassification>(
                    &l.limit_application_certificate_classification,
                )),
            ),
            row(
                "適用区分",
                Value::text(code_label::<LimitApplicationCertificateClassificationFlag>(
                    &l.limit_application_certificate_classification_flag,
                )),
            ),
        ];
        rows.extend(issued_and_period([
            &l.limit_application_certificate_date,
            &l.limit_application_certificate_valid_start_date,
            &l.limit_application_certificate_valid_end_date,
        ]));
        rows.push(optional(
            "長期入院該当年月日",
            Value::date(&l.limit_application_certificate_long_term_date),
        ));
        out.push(section(SectionKind::LimitApplication, rows));
    }
    out
}

/// A section of `rows`, without the optional rows that have no value.
fn section(kind: SectionKind, mut rows: Vec<Row>) -> Section {
    rows.retain(|r| r.always || r.value != Value::Missing);
    Section { kind, rows }
}

/// A certificate's 交付年月日 and 有効期間 rows (高齢受給者証, 限度額適用認定証).
fn issued_and_period([issued, start, end]: [&Text; 3]) -> Vec<Row> {
    vec![
        row("交付年月日", Value::date(issued)),
        row("有効期間", Value::Period(start.0.clone(), end.0.clone())),
    ]
}
