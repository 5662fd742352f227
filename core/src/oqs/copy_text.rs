//! The official マイナ資格確認アプリ's copied result text, both ways: [`to_copy_text`] writes
//! an [`XmlMsg`] the way the app puts its result on the clipboard, and [`parse_copy_text`]
//! turns such a text back into the `XmlMsg` tree that [`super::parse`] gives for the XML.
//!
//! ## The format (as public importers read it; `docs/copy-text.md` has the whole table)
//! ```text
//! 資格情報␍␊
//! 確認日 : ␉令和7年4月1日␍␊        ← the one odd cell; importers refuse a text without it
//! 保険者番号␉01130012␍␊
//! …                                 ← label<TAB>value; an empty value is label<TAB>
//! 住所␉␍␊
//! 裏面記載情報␍␊                    ← always written: an importer that switches sections on
//! 氏名␉␍␊                              this line keeps later dates out of 資格情報
//! 氏名カナ␉␍␊
//! 性別␉␍␊
//! 高齢受給者証␍␊                    ← only with ElderlyRecipientCertificateInfo
//! 有効開始日␉… 有効終了日␉… 負担割合␉2割
//! 限度額適用認定証␍␊                ← only with LimitApplicationCertificateRelatedInfo
//! 有効開始年月日␉… 有効終了年月日␉…
//! ```
//! Values are the app's words (男/女, 本人/家族, 一般, 義務教育就学前, `3割`), dates 和暦 with a
//! numeric year (`令和1年5月1日`, never 元年: one importer's pattern takes digits only).
//! Several results are several such blocks separated by an empty line.
//!
//! The writer uses only the labels importers know, plus three that appear only where an
//! importer should stop rather than import: `資格有効性` (written when the answer is not
//! 有効), `エラーコード` and `エラーメッセージ` (an error answer). `未就学区分` and `照会番号`
//! are written only when the result has them. What the format has no label for (the
//! 限度額 区分, 交付年月日, 郵便番号, …) is not in the text: a round trip keeps exactly the
//! fields the format carries.
//!
//! `負担割合` in 資格情報 is `InsuredPartialContributionRatio` (the 後期高齢者 ratio) as the
//! data has it — never a ratio derived from the law ([`super::ratio`] is for display).
//!
//! ## Reading
//! Lines may end in CRLF, LF or CR; blank lines are skipped; ASCII spaces around labels and
//! values are dropped (U+3000 inside names kept). The text must start with a 資格情報
//! section (also the newer app's `資格情報(医療保険)` / `資格情報(医療扶助)`, each a result
//! of its own). Labels are looked up by section; a label this module does not know is kept
//! in the result's `extra` as `<CopyTextField><Section/><Label/><Value/></CopyTextField>`
//! (nothing is lost, nothing guessed). Every other deviation is a [`CopyTextError`] with a
//! stable code: not the app's text at all (another language, XML, free text), a line that
//! is neither a section nor `label<TAB>value`, a value that is not the word or date its
//! label takes, or a text cut short (a 資格情報 section missing labels the app always
//! writes, or no `確認日`).

use super::codes::{
    CharacterCodeIdentifier, Code, CodeTable, ContributionRatio, InsuredCardClassification,
    LimitApplicationCertificateClassification, LimitApplicationCertificateClassificationFlag,
    PersonalFamilyClassification, PreschoolClassification, ProcessingResultStatus,
    QualificationValidity, ReferenceClassification, SegmentOfResult, Sex,
};
use super::element::UnknownElement;
use super::model::{
    ElderlyRecipientCertificateInfo, LimitApplicationCertificateRelatedInfo,
    ResultOfQualificationConfirmation, XmlMsg,
};
use crate::wareki::{GregorianDate, Wareki};

/// The largest text [`parse_copy_text`] reads (a real result is under 1 KiB).
pub const MAX_COPY_TEXT_BYTES: usize = 64 * 1024;

/// The element an unknown `label<TAB>value` line is kept in.
pub const UNKNOWN_FIELD_ELEMENT: &str = "CopyTextField";

/// Why a text is not a usable copied result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CopyTextError {
    /// More than [`MAX_COPY_TEXT_BYTES`].
    #[error("the text is {size} bytes; the limit is {limit}")]
    TooLarge {
        /// Its size in bytes.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Nothing but whitespace.
    #[error("the text is empty")]
    Empty,
    /// The first line is not a 資格情報 section: not the app's copied result (another
    /// language, XML, free text, or the head of the text is missing).
    #[error("not the official app's copied result: line {line} is {found:?}, not 資格情報")]
    NotCopyText {
        /// The line (from 1).
        line: usize,
        /// Its first characters.
        found: String,
    },
    /// A line that is neither a section nor `label<TAB>value`, or a label given twice in
    /// one section.
    #[error("line {line} is not a section or label<TAB>value: {reason}")]
    Malformed {
        /// The line (from 1).
        line: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A value that is not what its label takes (a date that is no date, a word outside
    /// the table).
    #[error("line {line}: {label} has the value {value:?}, which is not {expected}")]
    InvalidValue {
        /// The line (from 1).
        line: usize,
        /// The label.
        label: String,
        /// The value (its first characters).
        value: String,
        /// What the label takes.
        expected: &'static str,
    },
    /// The text was cut short: a label the app always writes is missing (`確認日`, or one
    /// of the 資格情報 labels).
    #[error("the text is incomplete: {section} has no {label}")]
    Truncated {
        /// The section.
        section: String,
        /// The first missing label.
        label: &'static str,
    },
}

impl CopyTextError {
    /// A stable, machine-readable code for the JavaScript layer.
    pub const fn code(&self) -> &'static str {
        match self {
            CopyTextError::TooLarge { .. } => "copy-text-too-large",
            CopyTextError::Empty => "copy-text-empty",
            CopyTextError::NotCopyText { .. } => "copy-text-not-official-app",
            CopyTextError::Malformed { .. } => "copy-text-malformed",
            CopyTextError::InvalidValue { .. } => "copy-text-invalid-value",
            CopyTextError::Truncated { .. } => "copy-text-truncated",
        }
    }

    /// The line (from 1) the problem is on, when it is on one.
    pub const fn line(&self) -> Option<usize> {
        match self {
            CopyTextError::NotCopyText { line, .. }
            | CopyTextError::Malformed { line, .. }
            | CopyTextError::InvalidValue { line, .. } => Some(*line),
            _ => None,
        }
    }
}

/// How a label's value is written and read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
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
    fn expected(self) -> &'static str {
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

type Get = fn(&ResultOfQualificationConfirmation) -> Option<String>;
type Set = fn(&mut ResultOfQualificationConfirmation, String);

/// One label of a section.
struct Field {
    label: &'static str,
    kind: Kind,
    /// Written even when empty (and required when reading a 資格情報 section).
    always: bool,
    get: Get,
    set: Set,
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
const QUALIFICATION: &[Field] = &[
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
const BACK: &[Field] = &[
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
const ELDERLY: &[Field] = &[
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
const LIMIT: &[Field] = &[
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

const LIMIT_READ_ONLY: &[Field] = &[
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
const QUALIFICATION_TITLE: &str = "資格情報";
const QUALIFICATION_INSURANCE_TITLE: &str = "資格情報(医療保険)";
const QUALIFICATION_ASSISTANCE_TITLE: &str = "資格情報(医療扶助)";
const BACK_TITLE: &str = "裏面記載情報";
const ELDERLY_TITLE: &str = "高齢受給者証";
const LIMIT_TITLE: &str = "限度額適用認定証";

/// The confirmation-date cell as the app writes it.
const CONFIRMATION_CELL: &str = "確認日 : ";
const CONFIRMATION_LABEL: &str = "確認日";
const VALIDITY_LABEL: &str = "資格有効性";
const ERROR_CODE_LABEL: &str = "エラーコード";
const ERROR_MESSAGE_LABEL: &str = "エラーメッセージ";
const PRESCHOOL_WORD: &str = "義務教育就学前";

/// `yyyyMMdd` → `令和6年4月1日` (numeric year, `令和1年` for the first year); anything else
/// stays as given.
pub fn copy_text_date(yyyymmdd: &str) -> String {
    GregorianDate::parse_yyyymmdd(yyyymmdd)
        .and_then(Wareki::from_gregorian)
        .map(|w| {
            format!(
                "{}{}年{}月{}日",
                w.era().label(),
                w.year(),
                w.month(),
                w.day()
            )
        })
        .unwrap_or_else(|_| yyyymmdd.to_owned())
}

fn write_value(kind: Kind, raw: &str) -> String {
    let label = |l: Option<&'static str>| l.map_or_else(|| raw.to_owned(), str::to_owned);
    match kind {
        Kind::Text => raw.to_owned(),
        Kind::Date => copy_text_date(raw),
        Kind::Sex => label(Code::<Sex>::from_raw(raw).label()),
        Kind::Family => label(Code::<PersonalFamilyClassification>::from_raw(raw).label()),
        Kind::CardClass => label(Code::<InsuredCardClassification>::from_raw(raw).label()),
        Kind::Ratio => label(ContributionRatio::from_raw(raw).label()),
        Kind::Preschool => {
            if Code::<PreschoolClassification>::from_raw(raw).is(PreschoolClassification::Preschool)
            {
                PRESCHOOL_WORD.to_owned()
            } else {
                raw.to_owned()
            }
        }
        Kind::LimitClass => {
            label(Code::<LimitApplicationCertificateClassification>::from_raw(raw).label())
        }
        Kind::LimitFlag => {
            label(Code::<LimitApplicationCertificateClassificationFlag>::from_raw(raw).label())
        }
    }
}

/// Tabs and line breaks inside a value would break the format.
fn one_line(v: &str) -> String {
    v.replace(['\t', '\r', '\n'], " ")
}

struct Lines(String);

impl Lines {
    fn line(&mut self, s: &str) {
        self.0.push_str(s);
        self.0.push_str("\r\n");
    }
    fn cell(&mut self, label: &str, value: &str) {
        self.0.push_str(label);
        self.0.push('\t');
        self.0.push_str(&one_line(value));
        self.0.push_str("\r\n");
    }
    fn fields(&mut self, fields: &[Field], r: &ResultOfQualificationConfirmation) {
        for f in fields {
            match (f.get)(r) {
                Some(raw) => self.cell(f.label, &write_value(f.kind, &raw)),
                None if f.always => self.cell(f.label, ""),
                None => {}
            }
        }
    }
}

/// The copied-result text of `msg`, exactly as the official app lays it out (see the
/// module documentation): CRLF line ends, one block per result.
pub fn to_copy_text(msg: &XmlMsg) -> String {
    let mut out = Lines(String::with_capacity(1024));
    let confirmed = msg
        .message_header
        .qualification_confirmation_date
        .as_deref()
        .map(copy_text_date)
        .unwrap_or_default();
    let validity = msg.message_body.qualification_validity.as_ref();
    let valid = validity.is_some_and(|v| {
        v.is(QualificationValidity::Valid) || v.is(QualificationValidity::ValidUnregistered)
    });
    let results = msg.results();
    if msg.is_error() || results.is_empty() {
        out.line(QUALIFICATION_TITLE);
        out.cell(CONFIRMATION_CELL, &confirmed);
        let label = if msg.is_error() {
            "照会エラー".to_owned()
        } else {
            validity.map_or_else(String::new, |v| v.to_string())
        };
        out.cell(VALIDITY_LABEL, &label);
        if let Some(code) = &msg.message_header.error_code {
            out.cell(ERROR_CODE_LABEL, code);
        }
        if let Some(message) = &msg.message_header.error_message {
            out.cell(ERROR_MESSAGE_LABEL, message);
        }
        return out.0;
    }
    for (i, r) in results.iter().enumerate() {
        if i > 0 {
            out.line("");
        }
        out.line(QUALIFICATION_TITLE);
        out.cell(CONFIRMATION_CELL, &confirmed);
        if !valid && validity.is_some() {
            out.cell(
                VALIDITY_LABEL,
                &validity.map_or_else(String::new, |v| v.to_string()),
            );
        }
        out.fields(QUALIFICATION, r);
        out.line(BACK_TITLE);
        out.fields(BACK, r);
        if ELDERLY.iter().any(|f| (f.get)(r).is_some()) {
            out.line(ELDERLY_TITLE);
            out.fields(ELDERLY, r);
        }
        if LIMIT.iter().any(|f| (f.get)(r).is_some()) {
            out.line(LIMIT_TITLE);
            out.fields(LIMIT, r);
        }
    }
    out.0
}

/// Which section a line opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Qualification,
    QualificationInsurance,
    QualificationAssistance,
    Back,
    Elderly,
    Limit,
}

impl Section {
    fn title(self) -> &'static str {
        match self {
            Section::Qualification => QUALIFICATION_TITLE,
            Section::QualificationInsurance => QUALIFICATION_INSURANCE_TITLE,
            Section::QualificationAssistance => QUALIFICATION_ASSISTANCE_TITLE,
            Section::Back => BACK_TITLE,
            Section::Elderly => ELDERLY_TITLE,
            Section::Limit => LIMIT_TITLE,
        }
    }

    fn opens_result(self) -> bool {
        matches!(
            self,
            Section::Qualification
                | Section::QualificationInsurance
                | Section::QualificationAssistance
        )
    }

    fn of(line: &str) -> Option<Section> {
        let folded = fold(line);
        [
            Section::Qualification,
            Section::QualificationInsurance,
            Section::QualificationAssistance,
            Section::Back,
            Section::Elderly,
            Section::Limit,
        ]
        .into_iter()
        .find(|s| s.title() == folded)
    }

    fn fields(self) -> &'static [&'static [Field]] {
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

/// Full-width parentheses, colon and spaces to ASCII, for comparing section titles and
/// words.
fn fold(s: &str) -> String {
    s.trim_matches(|c: char| c.is_whitespace())
        .chars()
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            '：' => ':',
            c @ '０'..='９' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            c => c,
        })
        .collect()
}

/// The first characters of `s`, for an error message.
fn snippet(s: &str) -> String {
    s.chars().take(40).collect()
}

fn from_label<T: CodeTable>(word: &str) -> Option<String> {
    T::ALL
        .iter()
        .find(|v| v.label() == word)
        .map(|v| v.code().to_owned())
}

fn read_date(value: &str) -> Option<String> {
    if let Ok(w) = Wareki::parse(value) {
        return Some(w.to_gregorian().to_yyyymmdd());
    }
    let digits: String = fold(value)
        .chars()
        .filter(|c| !matches!(c, '/' | '-' | '.'))
        .collect();
    GregorianDate::parse_yyyymmdd(&digits)
        .ok()
        .map(GregorianDate::to_yyyymmdd)
}

fn read_ratio(value: &str) -> Option<String> {
    let folded = fold(value);
    let n: u8 = folded.strip_suffix('割')?.parse().ok()?;
    (n <= 10).then(|| format!("{:03}", u16::from(n) * 10))
}

fn read_value(kind: Kind, value: &str) -> Option<String> {
    let word = fold(value);
    match kind {
        Kind::Text => Some(value.to_owned()),
        Kind::Date => read_date(value),
        Kind::Sex => from_label::<Sex>(match word.as_str() {
            "男性" => "男",
            "女性" => "女",
            w => w,
        }),
        Kind::Family => from_label::<PersonalFamilyClassification>(&word),
        Kind::CardClass => from_label::<InsuredCardClassification>(&word),
        Kind::Ratio => read_ratio(value),
        Kind::Preschool => matches!(word.as_str(), PRESCHOOL_WORD | "未就学")
            .then(|| PreschoolClassification::Preschool.code().to_owned()),
        Kind::LimitClass => from_label::<LimitApplicationCertificateClassification>(&word),
        Kind::LimitFlag => from_label::<LimitApplicationCertificateClassificationFlag>(&word),
    }
}

/// A result being read, with the labels seen in its current section.
struct Reading {
    result: ResultOfQualificationConfirmation,
    opened_by: Section,
    section: Section,
    seen: Vec<&'static str>,
    seen_unknown: Vec<String>,
    qualification_labels: Vec<&'static str>,
}

impl Reading {
    fn new(section: Section) -> Self {
        let mut result = ResultOfQualificationConfirmation::default();
        if section == Section::QualificationAssistance {
            result.insured_card_classification =
                Some(InsuredCardClassification::MedicalAssistance.into());
        }
        Self {
            result,
            opened_by: section,
            section,
            seen: Vec::new(),
            seen_unknown: Vec::new(),
            qualification_labels: Vec::new(),
        }
    }

    fn enter(&mut self, section: Section) {
        self.section = section;
        self.seen.clear();
        self.seen_unknown.clear();
    }
}

/// What the 資格情報 cells outside the result say.
#[derive(Default)]
struct Extras {
    confirmation_date: Option<String>,
    saw_confirmation: bool,
    validity: Option<String>,
    error_code: Option<String>,
    error_message: Option<String>,
}

/// Reads the official app's copied result (see the module documentation) into the
/// `XmlMsg` tree [`super::parse`] gives for the XML: `MessageHeader` with the
/// `QualificationConfirmationDate` of `確認日`, `SegmentOfResult` 1 (9 with an
/// `エラーコード`), `ReferenceClassification` 1 (card) and `CharacterCodeIdentifier` 0;
/// `MessageBody` with `ProcessingResultStatus`, `QualificationValidity` (1 unless the text
/// says otherwise) and one `ResultOfQualificationConfirmation` per 資格情報 section; dates
/// `yyyyMMdd`, codes from the words, 記号・番号 as written.
pub fn parse_copy_text(text: &str) -> Result<XmlMsg, CopyTextError> {
    if text.len() > MAX_COPY_TEXT_BYTES {
        return Err(CopyTextError::TooLarge {
            size: text.len(),
            limit: MAX_COPY_TEXT_BYTES,
        });
    }
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut results: Vec<Reading> = Vec::new();
    let mut extras = Extras::default();
    let mut any_line = false;
    // CRLF, LF and a lone CR each end one line (so `line` in errors counts as editors do).
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    for (index, raw_line) in text.split('\n').enumerate() {
        let number = index + 1;
        let line = raw_line.trim_matches(|c: char| c == ' ' || c == '\u{3000}');
        if line.trim().is_empty() {
            continue;
        }
        let first = !any_line;
        any_line = true;
        let Some((label, value)) = line.split_once('\t') else {
            match Section::of(line) {
                Some(section) if section.opens_result() => {
                    results.push(Reading::new(section));
                }
                Some(section) if !first => {
                    if let Some(current) = results.last_mut() {
                        current.enter(section);
                    }
                }
                _ if first => {
                    return Err(CopyTextError::NotCopyText {
                        line: number,
                        found: snippet(line),
                    });
                }
                _ => {
                    return Err(CopyTextError::Malformed {
                        line: number,
                        reason: "neither a section nor label<TAB>value",
                    });
                }
            }
            continue;
        };
        let Some(current) = results.last_mut() else {
            return Err(CopyTextError::NotCopyText {
                line: number,
                found: snippet(line),
            });
        };
        if value.contains('\t') {
            return Err(CopyTextError::Malformed {
                line: number,
                reason: "more than one TAB",
            });
        }
        let label = label.trim_matches(|c: char| c.is_whitespace());
        let value = value.trim_matches(|c: char| c.is_ascii_whitespace());
        read_cell(current, &mut extras, number, label, value)?;
    }
    if !any_line {
        return Err(CopyTextError::Empty);
    }
    finish(results, extras)
}

fn read_cell(
    current: &mut Reading,
    extras: &mut Extras,
    line: usize,
    label: &str,
    value: &str,
) -> Result<(), CopyTextError> {
    let in_qualification = current.section.opens_result();
    if in_qualification {
        let compact: String = fold(label)
            .chars()
            .filter(|c| !c.is_whitespace() && *c != ':')
            .collect();
        if compact == CONFIRMATION_LABEL {
            if current.seen.contains(&CONFIRMATION_LABEL) {
                return Err(duplicate(line));
            }
            current.seen.push(CONFIRMATION_LABEL);
            extras.saw_confirmation = true;
            if !value.is_empty() {
                let date = read_date(value).ok_or_else(|| CopyTextError::InvalidValue {
                    line,
                    label: CONFIRMATION_LABEL.to_owned(),
                    value: snippet(value),
                    expected: Kind::Date.expected(),
                })?;
                extras.confirmation_date.get_or_insert(date);
            }
            return Ok(());
        }
        let slot = match label {
            VALIDITY_LABEL => Some(&mut extras.validity),
            ERROR_CODE_LABEL => Some(&mut extras.error_code),
            ERROR_MESSAGE_LABEL => Some(&mut extras.error_message),
            _ => None,
        };
        if let Some(slot) = slot {
            if !value.is_empty() {
                slot.get_or_insert_with(|| value.to_owned());
            }
            return Ok(());
        }
    }
    let field = current
        .section
        .fields()
        .iter()
        .flat_map(|fields| fields.iter())
        .find(|f| f.label == label);
    let Some(field) = field else {
        if current.seen_unknown.iter().any(|l| l == label) {
            return Err(duplicate(line));
        }
        current.seen_unknown.push(label.to_owned());
        let kept = unknown_field(current.section.title(), label, value);
        current.result.extra.push(kept);
        return Ok(());
    };
    if current.seen.contains(&field.label) {
        return Err(duplicate(line));
    }
    current.seen.push(field.label);
    if in_qualification {
        current.qualification_labels.push(field.label);
    }
    if value.is_empty() {
        return Ok(());
    }
    let raw = read_value(field.kind, value).ok_or_else(|| CopyTextError::InvalidValue {
        line,
        label: field.label.to_owned(),
        value: snippet(value),
        expected: field.kind.expected(),
    })?;
    (field.set)(&mut current.result, raw);
    Ok(())
}

fn duplicate(line: usize) -> CopyTextError {
    CopyTextError::Malformed {
        line,
        reason: "a label given twice in one section",
    }
}

/// Kept as `<CopyTextField><Section/><Label/><Value/></CopyTextField>`. Built from parts:
/// the names are fixed ASCII XML names, and checking them through [`UnknownElement::new`]
/// would link the CP932 encoder's tables into the browser module for nothing.
fn unknown_field(section: &str, label: &str, value: &str) -> UnknownElement {
    let part = |name: &str, text: &str| {
        UnknownElement::from_parts(name.to_owned(), text.to_owned(), Vec::new())
    };
    part(UNKNOWN_FIELD_ELEMENT, "")
        .with_child(part("Section", section))
        .with_child(part("Label", label))
        .with_child(part("Value", value))
}

fn finish(results: Vec<Reading>, extras: Extras) -> Result<XmlMsg, CopyTextError> {
    let is_error = extras.error_code.is_some();
    let validity = match &extras.validity {
        Some(word) => from_label::<QualificationValidity>(&fold(word)),
        None => None,
    };
    let only_status = is_error || extras.validity.is_some();
    if !extras.saw_confirmation {
        return Err(CopyTextError::Truncated {
            section: QUALIFICATION_TITLE.to_owned(),
            label: CONFIRMATION_LABEL,
        });
    }
    let mut out = Vec::with_capacity(results.len());
    for reading in results {
        if !only_status && reading.opened_by != Section::QualificationAssistance {
            if let Some(missing) = QUALIFICATION
                .iter()
                .filter(|f| f.always)
                .find(|f| !reading.qualification_labels.contains(&f.label))
            {
                return Err(CopyTextError::Truncated {
                    section: reading.opened_by.title().to_owned(),
                    label: missing.label,
                });
            }
        }
        let has_content = !reading.qualification_labels.is_empty()
            || reading.result != ResultOfQualificationConfirmation::default();
        if has_content {
            out.push(reading.result);
        }
    }
    let mut msg = XmlMsg::default();
    let header = &mut msg.message_header;
    header.qualification_confirmation_date = extras.confirmation_date;
    header.reference_classification = Some(ReferenceClassification::Card.into());
    header.character_code_identifier = Some(CharacterCodeIdentifier::Utf8.into());
    let body = &mut msg.message_body;
    if is_error {
        header.segment_of_result = Some(SegmentOfResult::Abnormal.into());
        header.error_code = extras.error_code;
        header.error_message = extras.error_message;
        return Ok(msg);
    }
    header.segment_of_result = Some(SegmentOfResult::Normal.into());
    body.processing_result_status = Some(ProcessingResultStatus::Normal.into());
    body.qualification_validity = Some(match (validity, &extras.validity) {
        (Some(code), _) => Code::from_raw(code),
        (None, Some(word)) => Code::from_raw(word.clone()),
        (None, None) if out.is_empty() => QualificationValidity::NoQualification.into(),
        (None, None) => QualificationValidity::Valid.into(),
    });
    body.result_list.results = out;
    Ok(msg)
}
