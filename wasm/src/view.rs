//! The 資格情報 as shown to staff: a read model over the `XmlMsg` JSON view, the panel's
//! sections and rows, and the copy text.
//!
//! The renderer and `copyText` read the JSON view (what `parseQualificationXml` and
//! `confirmQualification` return), not the XML, so a page may render a result it kept or got
//! from its own server. Labels come from the core's code tables (never from the JSON's
//! `…Label` fields), and dates go through the core's 和暦 conversion.
//!
//! ## The copy text
//! `copyText` is the official マイナ資格確認アプリ's copied-result format, written by the core
//! (`myna_core::oqs::to_copy_text`: CRLF, sections, `確認日 : `, 和暦 with numeric years, the
//! app's value words) from the view turned back into the core's tree ([`to_message`]).
//!
//! ## 負担割合
//! The 資格情報 section's 負担割合 row is the core's `shown_ratio` on the day of the check
//! (`QualificationConfirmationDate`, else today): the 後期高齢者 ratio or the 高齢受給者証's
//! as the data has it, otherwise the ratio the law gives, marked `（法定・推定）`; no row
//! where none applies.

use myna_core::identifiers::{FieldMatch, VoucherComparison, VoucherFields};
use myna_core::oqs::{
    self as oqs, Code, CodeTable, ContributionRatio, ElderlyRecipientCertificateInfo,
    InsuredCardClassification, LimitApplicationCertificateClassification,
    LimitApplicationCertificateClassificationFlag, LimitApplicationCertificateRelatedInfo,
    MessageHeader, PersonalFamilyClassification, PreschoolClassification, ProcessingResultStatus,
    QualificationValidity, ReasonOfLoss, ResultOfQualificationConfirmation, SegmentOfResult, Sex,
    XmlMsg,
};
use myna_core::wareki::{self, GregorianDate};
use serde::Serialize;
use wasm_bindgen::JsValue;

use crate::js;

/// A text field of the JSON view: a string (numbers and booleans are accepted as text);
/// absent, `null`, objects and arrays count as absent. Trimmed; blank is absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text(pub Option<String>);

impl Text {
    /// The text, if given.
    pub fn get(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        let t = s.trim();
        Text((!t.is_empty()).then(|| t.to_string()))
    }
}

/// Reading a view from a JS value without failing: what does not fit is absent. (Read by hand
/// rather than through serde, which keeps serde's deserializers out of the `.wasm`.)
pub trait FromJs: Sized {
    /// The view of `value`.
    fn from_js(value: &JsValue) -> Self;
}

impl FromJs for Text {
    fn from_js(value: &JsValue) -> Self {
        if let Some(s) = value.as_string() {
            return Text::from(s.as_str());
        }
        if value.as_f64().is_some() {
            // JS formats the number (no float formatting code in the module).
            return Text::from(js::number_text(value).as_str());
        }
        match value.as_bool() {
            Some(b) => Text(Some(b.to_string())),
            None => Text(None),
        }
    }
}

impl<T: FromJs> FromJs for Option<T> {
    fn from_js(value: &JsValue) -> Self {
        value.is_object().then(|| T::from_js(value))
    }
}

impl<T: FromJs> FromJs for Vec<T> {
    /// An array of objects; a single object counts as a one-element list.
    fn from_js(value: &JsValue) -> Self {
        if js_sys::Array::is_array(value) {
            js_sys::Array::from(value)
                .iter()
                .filter(JsValue::is_object)
                .map(|v| T::from_js(&v))
                .collect()
        } else if value.is_object() {
            vec![T::from_js(value)]
        } else {
            Vec::new()
        }
    }
}

macro_rules! js_view {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* pub $field:ident: $ty:ty = $key:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl FromJs for $name {
            fn from_js(value: &JsValue) -> Self {
                $name {
                    $( $field: FromJs::from_js(&js::get(value, $key)), )*
                }
            }
        }
    };
}

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

js_view! {
    /// A 受診券's identifying fields, as a page passes them.
    pub struct VoucherView {
        /// 保険者番号.
        pub insurer_number: Text = "insurerNumber",
        /// 記号.
        pub insured_card_symbol: Text = "insuredCardSymbol",
        /// 番号.
        pub insured_identification_number: Text = "insuredIdentificationNumber",
        /// 枝番.
        pub insured_branch_number: Text = "insuredBranchNumber",
        /// 受診券 / 利用券.
        pub kind: Text = "kind",
        /// 受診券整理番号.
        pub voucher_number: Text = "voucherNumber",
        /// 有効期限.
        pub valid_until: Text = "validUntil",
        /// 氏名.
        pub name: Text = "name",
        /// 氏名カナ.
        pub name_kana: Text = "nameKana",
        /// 生年月日.
        pub birthdate: Text = "birthdate",
        /// 性別.
        pub sex: Text = "sex",
        /// 窓口負担.
        pub window_charge: Text = "windowCharge",
        /// 契約とりまとめ機関.
        pub contract_agency: Text = "contractAgency",
    }
}

impl VoucherView {
    /// As the core's voucher model.
    pub fn voucher(&self) -> myna_core::checkup::voucher::Voucher {
        myna_core::checkup::voucher::Voucher {
            kind: self.kind.0.clone(),
            voucher_number: self.voucher_number.0.clone(),
            valid_until: self.valid_until.0.clone(),
            insurer_number: self.insurer_number.0.clone(),
            insured_card_symbol: self.insured_card_symbol.0.clone(),
            insured_identification_number: self.insured_identification_number.0.clone(),
            insured_branch_number: self.insured_branch_number.0.clone(),
            name: self.name.0.clone(),
            name_kana: self.name_kana.0.clone(),
            birthdate: self.birthdate.0.clone(),
            sex: self.sex.0.clone(),
            window_charge: self.window_charge.0.clone(),
            contract_agency: self.contract_agency.0.clone(),
        }
    }

    /// True when no field is given.
    pub fn is_empty(&self) -> bool {
        self.voucher() == myna_core::checkup::voucher::Voucher::default()
    }

    /// As the core's comparison input.
    pub fn fields(&self) -> VoucherFields {
        VoucherFields {
            insurer_number: self.insurer_number.0.clone(),
            insured_card_symbol: self.insured_card_symbol.0.clone(),
            insured_identification_number: self.insured_identification_number.0.clone(),
            insured_branch_number: self.insured_branch_number.0.clone(),
        }
    }
}

impl QualificationView {
    /// What the 受診券照合 reads from the answer.
    pub fn answer_facts(&self) -> myna_core::checkup::compare::AnswerFacts {
        let header = &self.message_header;
        let body = &self.message_body;
        myna_core::checkup::compare::AnswerFacts {
            qualification_validity: body.qualification_validity.0.clone(),
            is_error: header.segment_of_result.get().is_some_and(|s| s != "1")
                || body.processing_result_status.get() == Some("2"),
            results: body.result_list.iter().map(ResultView::facts).collect(),
        }
    }
}

impl ResultView {
    /// The person and numbers the 受診券照合 reads.
    pub fn facts(&self) -> myna_core::checkup::compare::ResultFacts {
        myna_core::checkup::compare::ResultFacts {
            insurer_number: self.insurer_number.0.clone(),
            insured_card_symbol: self.insured_card_symbol.0.clone(),
            insured_identification_number: self.insured_identification_number.0.clone(),
            insured_branch_number: self.insured_branch_number.0.clone(),
            name: self.name.0.clone(),
            name_kana: self.name_kana.0.clone(),
            birthdate: self.birthdate.0.clone(),
            sex: self.sex1.0.clone(),
            qualification_date: self.qualification_date.0.clone(),
            disqualification_date: self.disqualification_date.0.clone(),
        }
    }

    /// The fields a 受診券 is compared on.
    pub fn voucher_fields(&self) -> VoucherFields {
        VoucherFields {
            insurer_number: self.insurer_number.0.clone(),
            insured_card_symbol: self.insured_card_symbol.0.clone(),
            insured_identification_number: self.insured_identification_number.0.clone(),
            insured_branch_number: self.insured_branch_number.0.clone(),
        }
    }
}

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
    let mut qualification = vec![
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
    qualification.retain(|r| r.always || r.value != Value::Missing);
    let mut out = vec![Section {
        kind: SectionKind::Qualification,
        rows: qualification,
    }];
    if let Some(e) = &result.elderly_recipient_certificate_info {
        out.push(Section {
            kind: SectionKind::Elderly,
            rows: vec![
                row(
                    "交付年月日",
                    Value::date(&e.elderly_recipient_certificate_date),
                ),
                row(
                    "有効期間",
                    Value::Period(
                        t(&e.elderly_recipient_valid_start_date),
                        t(&e.elderly_recipient_valid_end_date),
                    ),
                ),
                row(
                    "負担割合",
                    Value::text(ratio_label(&e.elderly_recipient_contribution_ratio)),
                ),
            ],
        });
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
            row(
                "交付年月日",
                Value::date(&l.limit_application_certificate_date),
            ),
            row(
                "有効期間",
                Value::Period(
                    t(&l.limit_application_certificate_valid_start_date),
                    t(&l.limit_application_certificate_valid_end_date),
                ),
            ),
            optional(
                "長期入院該当年月日",
                Value::date(&l.limit_application_certificate_long_term_date),
            ),
        ];
        rows.retain(|r| r.always || r.value != Value::Missing);
        out.push(Section {
            kind: SectionKind::LimitApplication,
            rows,
        });
    }
    out
}

/// The official app's copy text of `view` (see the module documentation).
pub fn copy_text(view: &QualificationView) -> String {
    oqs::to_copy_text(&to_message(view))
}

fn opt(t: &Text) -> Option<String> {
    t.0.clone()
}

fn code<T: CodeTable>(t: &Text) -> Option<Code<T>> {
    t.get().map(Code::from_raw)
}

fn ratio(t: &Text) -> Option<ContributionRatio> {
    t.get().map(ContributionRatio::from_raw)
}

impl ResultView {
    /// As the core's result (what the view holds; codes raw).
    pub fn to_result(&self) -> ResultOfQualificationConfirmation {
        let mut r = ResultOfQualificationConfirmation::default();
        r.insured_card_classification = code(&self.insured_card_classification);
        r.insurer_number = opt(&self.insurer_number);
        r.insurer_name = opt(&self.insurer_name);
        r.insured_card_symbol = opt(&self.insured_card_symbol);
        r.insured_identification_number = opt(&self.insured_identification_number);
        r.insured_branch_number = opt(&self.insured_branch_number);
        r.personal_family_classification = code(&self.personal_family_classification);
        r.insured_name = opt(&self.insured_name);
        r.name = opt(&self.name);
        r.name_of_other = opt(&self.name_of_other);
        r.name_kana = opt(&self.name_kana);
        r.name_of_other_kana = opt(&self.name_of_other_kana);
        r.sex1 = code(&self.sex1);
        r.sex2 = code(&self.sex2);
        r.birthdate = opt(&self.birthdate);
        r.address = opt(&self.address);
        r.post_number = opt(&self.post_number);
        r.qualification_date = opt(&self.qualification_date);
        r.disqualification_date = opt(&self.disqualification_date);
        r.insured_certificate_issuance_date = opt(&self.insured_certificate_issuance_date);
        r.insured_card_valid_date = opt(&self.insured_card_valid_date);
        r.insured_card_expiration_date = opt(&self.insured_card_expiration_date);
        r.insured_partial_contribution_ratio = ratio(&self.insured_partial_contribution_ratio);
        r.preschool_classification = code(&self.preschool_classification);
        r.reason_of_loss = code(&self.reason_of_loss);
        r.reference_number = opt(&self.reference_number);
        r.elderly_recipient_certificate_info =
            self.elderly_recipient_certificate_info.as_ref().map(|e| {
                let mut out = ElderlyRecipientCertificateInfo::default();
                out.elderly_recipient_certificate_date = opt(&e.elderly_recipient_certificate_date);
                out.elderly_recipient_valid_start_date = opt(&e.elderly_recipient_valid_start_date);
                out.elderly_recipient_valid_end_date = opt(&e.elderly_recipient_valid_end_date);
                out.elderly_recipient_contribution_ratio =
                    ratio(&e.elderly_recipient_contribution_ratio);
                out
            });
        r.limit_application_certificate_related_info = self
            .limit_application_certificate_related_info
            .as_ref()
            .map(|l| {
                let mut out = LimitApplicationCertificateRelatedInfo::default();
                out.limit_application_certificate_classification =
                    code(&l.limit_application_certificate_classification);
                out.limit_application_certificate_classification_flag =
                    code(&l.limit_application_certificate_classification_flag);
                out.limit_application_certificate_date = opt(&l.limit_application_certificate_date);
                out.limit_application_certificate_valid_start_date =
                    opt(&l.limit_application_certificate_valid_start_date);
                out.limit_application_certificate_valid_end_date =
                    opt(&l.limit_application_certificate_valid_end_date);
                out.limit_application_certificate_long_term_date =
                    opt(&l.limit_application_certificate_long_term_date);
                out
            });
        r
    }
}

/// The view as the core's `XmlMsg` (the fields the view reads).
pub fn to_message(view: &QualificationView) -> XmlMsg {
    let h = &view.message_header;
    let b = &view.message_body;
    let mut header = MessageHeader::default();
    header.process_execution_time = opt(&h.process_execution_time);
    header.qualification_confirmation_date = opt(&h.qualification_confirmation_date);
    header.segment_of_result = code(&h.segment_of_result);
    header.error_code = opt(&h.error_code);
    header.error_message = opt(&h.error_message);
    let mut msg = XmlMsg::default();
    msg.message_header = header;
    let body = &mut msg.message_body;
    body.processing_result_status = code(&b.processing_result_status);
    body.processing_result_code = opt(&b.processing_result_code);
    body.processing_result_message = opt(&b.processing_result_message);
    body.qualification_validity = code(&b.qualification_validity);
    body.result_list.results = b.result_list.iter().map(ResultView::to_result).collect();
    msg
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

/// The voucher comparison as JS sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VoucherComparisonView {
    /// `match`, `mismatch` or `not-given`, per field.
    pub insurer_number: &'static str,
    /// 記号.
    pub insured_card_symbol: &'static str,
    /// 番号.
    pub insured_identification_number: &'static str,
    /// 枝番.
    pub insured_branch_number: &'static str,
    /// 一致 / 不一致 / 記載なし per field.
    pub labels: VoucherLabels,
    /// The insurer and number match and nothing given differs.
    pub is_match: bool,
    /// Some field given on both sides differs.
    pub has_mismatch: bool,
    /// Why the voucher's 保険者番号 is not a valid one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voucher_insurer_number_error: Option<String>,
}

/// Japanese labels of the four outcomes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct VoucherLabels {
    pub insurer_number: &'static str,
    pub insured_card_symbol: &'static str,
    pub insured_identification_number: &'static str,
    pub insured_branch_number: &'static str,
}

fn outcome(m: FieldMatch) -> &'static str {
    match m {
        FieldMatch::Match => "match",
        FieldMatch::Mismatch => "mismatch",
        _ => "not-given",
    }
}

impl VoucherComparisonView {
    /// From the core's comparison.
    pub fn new(c: &VoucherComparison) -> Self {
        VoucherComparisonView {
            insurer_number: outcome(c.insurer_number),
            insured_card_symbol: outcome(c.insured_card_symbol),
            insured_identification_number: outcome(c.insured_identification_number),
            insured_branch_number: outcome(c.insured_branch_number),
            labels: VoucherLabels {
                insurer_number: c.insurer_number.label(),
                insured_card_symbol: c.insured_card_symbol.label(),
                insured_identification_number: c.insured_identification_number.label(),
                insured_branch_number: c.insured_branch_number.label(),
            },
            is_match: c.is_match(),
            has_mismatch: c.has_mismatch(),
            voucher_insurer_number_error: c
                .voucher_insurer_number_error
                .as_ref()
                .map(|e| e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Text {
        Text::from(s)
    }

    fn sample() -> QualificationView {
        QualificationView {
            message_header: HeaderView {
                qualification_confirmation_date: text("20250401"),
                segment_of_result: text("1"),
                ..Default::default()
            },
            message_body: BodyView {
                processing_result_status: text("1"),
                qualification_validity: text("1"),
                result_list: vec![ResultView {
                    insured_card_classification: text("01"),
                    insurer_number: text("01130012"),
                    insurer_name: text("全国健康保険協会東京支部"),
                    insured_card_symbol: text("12-34"),
                    insured_identification_number: text("567"),
                    insured_branch_number: text("00"),
                    personal_family_classification: text("1"),
                    name: text("山田\u{3000}太郎"),
                    name_kana: text("ﾔﾏﾀﾞ ﾀﾛｳ"),
                    sex1: text("1"),
                    birthdate: text("19850401"),
                    qualification_date: text("20200401"),
                    insured_card_valid_date: text("20200401"),
                    insured_partial_contribution_ratio: text("030"),
                    ..Default::default()
                }],
                ..Default::default()
            },
        }
    }

    #[test]
    fn copy_text_is_the_apps_format() {
        let text = copy_text(&sample());
        assert!(
            text.starts_with("資格情報\r\n確認日 : \t令和7年4月1日\r\n保険者番号\t01130012\r\n")
        );
        assert!(text.contains("フリガナ\tﾔﾏﾀﾞ ﾀﾛｳ\r\n"), "{text}");
        assert!(
            text.contains("負担割合\t3割\r\n"),
            "the data's ratio, never a derived one"
        );
        assert!(text.contains("\r\n裏面記載情報\r\n"), "{text}");
        let back = oqs::parse_copy_text(&text).unwrap();
        assert_eq!(back.results(), to_message(&sample()).results());
    }

    fn rows(view: &QualificationView) -> Vec<(&'static str, Option<String>)> {
        sections(
            &view.message_body.result_list[0],
            view.check_date().unwrap(),
        )[0]
        .rows
        .iter()
        .map(|r| (r.label, r.value.display()))
        .collect()
    }

    fn ratio_row(view: &QualificationView) -> Option<String> {
        rows(view)
            .into_iter()
            .find(|(l, _)| *l == "負担割合")
            .and_then(|(_, v)| v)
    }

    #[test]
    fn the_ratio_row_is_the_law_under_seventy_and_the_data_for_the_late_elderly() {
        let mut view = sample();
        // The sample carries 030 in the 後期 field but is 40: its ratio is the law's.
        assert_eq!(ratio_row(&view).as_deref(), Some("3割（法定・推定）"));
        let r = &mut view.message_body.result_list[0];
        r.birthdate = text("19480101");
        r.insured_partial_contribution_ratio = text("");
        assert_eq!(
            ratio_row(&view),
            None,
            "no empty 負担割合 row for 後期 without data"
        );
        let r = &mut view.message_body.result_list[0];
        r.insured_partial_contribution_ratio = text("010");
        assert_eq!(ratio_row(&view).as_deref(), Some("1割"));
        let r = &mut view.message_body.result_list[0];
        r.birthdate = text("19530720");
        r.elderly_recipient_certificate_info = Some(ElderlyView {
            elderly_recipient_contribution_ratio: text("020"),
            ..Default::default()
        });
        assert_eq!(ratio_row(&view).as_deref(), Some("2割"));
        let r = &mut view.message_body.result_list[0];
        r.birthdate = text("20210615");
        r.elderly_recipient_certificate_info = None;
        assert_eq!(ratio_row(&view).as_deref(), Some("2割（法定・推定）"));
    }

    #[test]
    fn values_with_tabs_stay_on_one_line() {
        let mut view = sample();
        view.message_body.result_list[0].insurer_name = text("A\tB\nC");
        assert!(copy_text(&view).contains("保険者名\tA B C\r\n"));
    }

    #[test]
    fn error_answers_copy_their_code() {
        let view = QualificationView {
            message_header: HeaderView {
                segment_of_result: text("9"),
                error_code: text("MW0004"),
                error_message: text("チャレンジが無効"),
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(view.status().0, Status::Error);
        assert_eq!(
            copy_text(&view),
            "資格情報\r\n確認日 : \t\r\n資格有効性\t照会エラー\r\nエラーコード\tMW0004\r\nエラーメッセージ\tチャレンジが無効\r\n"
        );
    }

    #[test]
    fn statuses_follow_the_code_table() {
        let mut view = sample();
        for (code, status, label) in [
            ("1", Status::Valid, "有効"),
            ("2", Status::Invalid, "無効"),
            ("3", Status::Invalid, "無効（新しい資格あり）"),
            ("4", Status::NotFound, "該当資格なし"),
            ("5", Status::Multiple, "複数該当"),
        ] {
            view.message_body.qualification_validity = text(code);
            let (s, l) = view.status();
            assert_eq!(s, status, "{code}");
            assert_eq!(l, label, "{code}");
        }
        view.message_body.qualification_validity = text("8");
        assert_eq!(view.status(), (Status::Unknown, "資格有効性 8".into()));
    }

    #[test]
    fn dates_show_both_calendars_and_bad_dates_stay() {
        assert_eq!(display_date("20190501"), "令和元年5月1日（2019/05/01）");
        assert_eq!(display_date("2019-05-01"), "2019-05-01");
        assert_eq!(wareki_date("19890107"), "昭和64年1月7日");
    }

    #[test]
    fn unknown_codes_show_raw() {
        assert_eq!(code_label::<Sex>(&text("7")), Some("7".into()));
        assert_eq!(ratio_label(&text("abc")), Some("abc".into()));
        assert_eq!(ratio_label(&text("")), None);
    }

    #[test]
    fn voucher_compares_with_the_matching_result() {
        let mut view = sample();
        let mut second = view.message_body.result_list[0].clone();
        second.insurer_number = text("06270011");
        view.message_body.result_list.insert(0, second);
        let voucher = VoucherView {
            insurer_number: text("０１１３００１２"),
            insured_card_symbol: text("１２－３４"),
            insured_identification_number: text("567"),
            ..Default::default()
        };
        let c = crate::qualification::best_comparison(
            &voucher.fields(),
            view.message_body
                .result_list
                .iter()
                .map(|r| r.voucher_fields()),
        )
        .unwrap();
        assert!(c.is_match());
        let v = VoucherComparisonView::new(&c);
        assert_eq!(v.insurer_number, "match");
        assert_eq!(v.insured_branch_number, "not-given");
        assert_eq!(v.labels.insured_card_symbol, "一致");
    }
}
