//! The 受診券照合 that decides: is this examinee insured, today, by the insurer that issued
//! the voucher, and is the facility contracted with it?
//!
//! [`check_voucher`] keeps the field-by-field view of [`VoucherComparison`] and adds the
//! person (name, kana, birthdate, sex) and a list of [`Problem`]s. A voucher is honoured only
//! when the list is empty ([`VoucherCheck::is_match`]).
//!
//! ## Rules
//! - `qualification-invalid`: the answer's `QualificationValidity` is 2 無効, 3 無効（新しい
//!   資格あり） or 4 該当資格なし, or the answer is an error, or it holds no result.
//! - `outside-qualification-period`: the 受診日 is before `QualificationDate` or on/after
//!   `DisqualificationDate` (資格喪失日 is the first day without the qualification).
//! - `person-mismatch`: birthdate or sex differ, or the name differs — in kana where both
//!   sides give kana (kanji variants such as 髙/高 then do not matter), else in kanji. Family
//!   members share 記号・番号 and many vouchers leave 枝番 blank: these tell them apart.
//! - `voucher-expired`: the 受診日 is after the voucher's 有効期限.
//! - `insurer-not-contracted`: the voucher's insurer is not in the facility's 委託元保険者一覧
//!   (checked only when the list is given).
//! - `insurer-mismatch`, `number-mismatch`: the 保険者番号, or the 記号/番号/枝番, given on
//!   both sides differ.
//! - `voucher-invalid`: the voucher fails [`Voucher::validate`] (details in
//!   [`VoucherCheck::voucher_errors`]); `voucher-incomplete`: the 保険者番号 or 番号 is not
//!   given on one side, so membership cannot be decided.
//!
//! With several results (複数該当) the one with the fewest problems is compared.

use crate::identifiers::{FieldMatch, VoucherComparison, compare_field};

use super::normalize::{branch_key, insurer_key, kana_key, name_key, symbol_key};
use super::voucher::{PersonFacts, Voucher, VoucherError, VoucherField, parse_date, parse_sex};

/// What an eligibility result says about one person, as text (from the `XmlMsg` model or
/// from its JSON view): the same [`PersonFacts`] a voucher gives, and the qualification's
/// dates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResultFacts {
    /// The numbers and the person.
    pub person: PersonFacts,
    /// 資格取得年月日 `yyyyMMdd`.
    pub qualification_date: Option<String>,
    /// 資格喪失年月日 `yyyyMMdd`.
    pub disqualification_date: Option<String>,
}

impl From<PersonFacts> for ResultFacts {
    /// A result that names `person` (no qualification dates).
    fn from(person: PersonFacts) -> Self {
        ResultFacts {
            person,
            ..Default::default()
        }
    }
}

/// The answer as a whole: its validity and its results.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnswerFacts {
    /// `QualificationValidity` (1–6) as given.
    pub qualification_validity: Option<String>,
    /// True for an error answer (`SegmentOfResult` 9 or `ProcessingResultStatus` 2).
    pub is_error: bool,
    /// The results.
    pub results: Vec<ResultFacts>,
}

impl AnswerFacts {
    /// The facts of a parsed `XmlMsg`.
    pub fn from_message(msg: &crate::oqs::XmlMsg) -> Self {
        AnswerFacts {
            qualification_validity: msg
                .message_body
                .qualification_validity
                .as_ref()
                .map(|c| c.raw().to_owned()),
            is_error: msg.is_error(),
            results: msg
                .results()
                .iter()
                .map(|r| ResultFacts {
                    person: PersonFacts {
                        insurer_number: r.insurer_number.clone(),
                        insured_card_symbol: r.insured_card_symbol.clone(),
                        insured_identification_number: r.insured_identification_number.clone(),
                        insured_branch_number: r.insured_branch_number.clone(),
                        name: r.name.clone(),
                        name_kana: r.name_kana.clone(),
                        birthdate: r.birthdate.clone(),
                        sex: r.sex1.as_ref().map(|c| c.raw().to_owned()),
                    },
                    qualification_date: r.qualification_date.clone(),
                    disqualification_date: r.disqualification_date.clone(),
                })
                .collect(),
        }
    }
}

/// One reason not to honour a voucher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Problem {
    /// `qualification-invalid`.
    QualificationInvalid,
    /// `outside-qualification-period`.
    OutsideQualificationPeriod,
    /// `insurer-mismatch`.
    InsurerMismatch,
    /// `number-mismatch`.
    NumberMismatch,
    /// `person-mismatch`.
    PersonMismatch,
    /// `voucher-expired`.
    VoucherExpired,
    /// `insurer-not-contracted`.
    InsurerNotContracted,
    /// `voucher-invalid`.
    VoucherInvalid,
    /// `voucher-incomplete`.
    VoucherIncomplete,
}

impl Problem {
    /// Every problem, in the order they are reported.
    pub const ALL: [Problem; 9] = [
        Problem::QualificationInvalid,
        Problem::OutsideQualificationPeriod,
        Problem::InsurerMismatch,
        Problem::NumberMismatch,
        Problem::PersonMismatch,
        Problem::VoucherExpired,
        Problem::InsurerNotContracted,
        Problem::VoucherInvalid,
        Problem::VoucherIncomplete,
    ];

    /// The stable code.
    pub const fn code(self) -> &'static str {
        match self {
            Problem::QualificationInvalid => "qualification-invalid",
            Problem::OutsideQualificationPeriod => "outside-qualification-period",
            Problem::InsurerMismatch => "insurer-mismatch",
            Problem::NumberMismatch => "number-mismatch",
            Problem::PersonMismatch => "person-mismatch",
            Problem::VoucherExpired => "voucher-expired",
            Problem::InsurerNotContracted => "insurer-not-contracted",
            Problem::VoucherInvalid => "voucher-invalid",
            Problem::VoucherIncomplete => "voucher-incomplete",
        }
    }

    /// The problem of `code`.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }

    /// What is wrong, in Japanese.
    pub const fn message_ja(self) -> &'static str {
        match self {
            Problem::QualificationInvalid => "資格が有効ではありません（資格喪失・該当資格なし）",
            Problem::OutsideQualificationPeriod => {
                "受診日が資格の有効期間（資格取得日〜資格喪失日の前日）の外です"
            }
            Problem::InsurerMismatch => "受診券の保険者番号が資格情報と不一致です",
            Problem::NumberMismatch => "受診券の記号・番号・枝番が資格情報と不一致です",
            Problem::PersonMismatch => {
                "氏名・生年月日・性別が資格情報と不一致です（同じ記号・番号の家族の可能性）"
            }
            Problem::VoucherExpired => "受診券の有効期限が切れています",
            Problem::InsurerNotContracted => "受診券の保険者は当施設の委託元保険者一覧にありません",
            Problem::VoucherInvalid => "受診券の記載に誤りがあります",
            Problem::VoucherIncomplete => "保険者番号または番号がないため照合できません",
        }
    }

    /// What reception staff should do, in Japanese.
    pub const fn advice_ja(self) -> &'static str {
        match self {
            Problem::QualificationInvalid | Problem::OutsideQualificationPeriod => {
                "この受診券では受診できません。新しい保険の資格情報と、その保険者の受診券を確認してください。"
            }
            Problem::InsurerMismatch | Problem::NumberMismatch => {
                "受診券と資格情報（マイナ保険証・資格確認書）の保険者・記号番号を見比べ、保険が変わっていないか本人に確認してください。"
            }
            Problem::PersonMismatch => {
                "受診券が本人のものか、氏名・生年月日・性別を本人に確認してください。"
            }
            Problem::VoucherExpired => {
                "有効期限内の受診券の提示を求めるか、保険者に確認してください。"
            }
            Problem::InsurerNotContracted => {
                "委託元保険者一覧を確認し、契約がなければ保険者または契約とりまとめ機関に問い合わせてください。"
            }
            Problem::VoucherInvalid => "受診券の記載を確認して入力し直してください。",
            Problem::VoucherIncomplete => "受診券の保険者番号と番号を入力してください。",
        }
    }
}

/// Person fields compared one by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersonComparison {
    /// 氏名 (kanji).
    pub name: FieldMatch,
    /// 氏名カナ.
    pub name_kana: FieldMatch,
    /// 生年月日.
    pub birthdate: FieldMatch,
    /// 性別.
    pub sex: FieldMatch,
}

impl PersonComparison {
    /// True when the fields say another person: birthdate or sex differ, or the kana
    /// differs, or — with no kana on one side — the kanji differs.
    pub fn is_mismatch(&self) -> bool {
        self.birthdate == FieldMatch::Mismatch
            || self.sex == FieldMatch::Mismatch
            || self.name_kana == FieldMatch::Mismatch
            || (self.name_kana == FieldMatch::NotGiven && self.name == FieldMatch::Mismatch)
    }
}

/// What the facility and the day add to the comparison.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckContext<'a> {
    /// The 受診日 `yyyyMMdd`.
    pub date: &'a str,
    /// The facility's 委託元保険者一覧 (保険者番号s); `None` skips the check.
    pub contracted_insurers: Option<&'a [String]>,
}

/// The outcome of [`check_voucher`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoucherCheck {
    /// 保険者番号 / 記号 / 番号 / 枝番, field by field.
    pub fields: VoucherComparison,
    /// 氏名 / カナ / 生年月日 / 性別.
    pub person: PersonComparison,
    /// What forbids honouring the voucher, in [`Problem::ALL`] order; empty means honour it.
    pub problems: Vec<Problem>,
    /// The voucher's own errors (for `voucher-invalid`).
    pub voucher_errors: Vec<VoucherError>,
    /// Which result was compared (index into [`AnswerFacts::results`]).
    pub result_index: Option<usize>,
    /// Whether the 委託元保険者一覧 was consulted.
    pub contract_checked: bool,
}

impl VoucherCheck {
    /// True only when there is no problem.
    pub fn is_match(&self) -> bool {
        self.problems.is_empty()
    }
}

fn key(value: Option<&str>, f: fn(&str) -> String) -> Option<String> {
    value.map(f).filter(|s| !s.is_empty())
}

/// The voucher's `field` and the result's `value`, compared by their keys `f`.
fn pair(
    voucher: &Voucher,
    field: VoucherField,
    value: &Option<String>,
    f: fn(&str) -> String,
) -> FieldMatch {
    compare_field(key(voucher.get(field), f), key(value.as_deref(), f))
}

fn date_key(s: &str) -> String {
    parse_date(s).unwrap_or_else(|_| s.trim().to_owned())
}

fn sex_key(s: &str) -> String {
    parse_sex(s).map_or_else(|| s.trim().to_owned(), str::to_owned)
}

/// Compares the identifying fields with the same keys as the roster and the simulator.
pub fn compare_fields(voucher: &Voucher, result: &ResultFacts) -> VoucherComparison {
    use VoucherField as F;
    let r = &result.person;
    VoucherComparison {
        insurer_number: pair(voucher, F::InsurerNumber, &r.insurer_number, insurer_key),
        insured_card_symbol: pair(
            voucher,
            F::InsuredCardSymbol,
            &r.insured_card_symbol,
            symbol_key,
        ),
        insured_identification_number: pair(
            voucher,
            F::InsuredIdentificationNumber,
            &r.insured_identification_number,
            symbol_key,
        ),
        insured_branch_number: pair(
            voucher,
            F::InsuredBranchNumber,
            &r.insured_branch_number,
            branch_key,
        ),
        voucher_insurer_number_error: voucher
            .get(F::InsurerNumber)
            .and_then(|s| crate::identifiers::InsurerNumber::parse(s).err()),
    }
}

/// Compares the person fields.
pub fn compare_person(voucher: &Voucher, result: &ResultFacts) -> PersonComparison {
    use VoucherField as F;
    let r = &result.person;
    PersonComparison {
        name: pair(voucher, F::Name, &r.name, name_key),
        name_kana: pair(voucher, F::NameKana, &r.name_kana, kana_key),
        birthdate: pair(voucher, F::Birthdate, &r.birthdate, date_key),
        sex: pair(voucher, F::Sex, &r.sex, sex_key),
    }
}

fn check_one(
    voucher: &Voucher,
    answer: &AnswerFacts,
    result: Option<&ResultFacts>,
    ctx: &CheckContext<'_>,
) -> (VoucherComparison, PersonComparison, Vec<Problem>) {
    let empty = ResultFacts::default();
    let r = result.unwrap_or(&empty);
    let fields = compare_fields(voucher, r);
    let person = compare_person(voucher, r);
    let mut problems = Vec::new();
    let validity_bad = matches!(
        answer.qualification_validity.as_deref().map(str::trim),
        Some("2" | "3" | "4")
    );
    if validity_bad || answer.is_error || result.is_none() {
        problems.push(Problem::QualificationInvalid);
    }
    let date = date_key(ctx.date);
    let acquired = r.qualification_date.as_deref().map(date_key);
    let lost = r.disqualification_date.as_deref().map(date_key);
    if acquired.is_some_and(|a| date < a) || lost.is_some_and(|l| date >= l) {
        problems.push(Problem::OutsideQualificationPeriod);
    }
    if fields.insurer_number == FieldMatch::Mismatch {
        problems.push(Problem::InsurerMismatch);
    }
    if [
        fields.insured_card_symbol,
        fields.insured_identification_number,
        fields.insured_branch_number,
    ]
    .contains(&FieldMatch::Mismatch)
    {
        problems.push(Problem::NumberMismatch);
    }
    if person.is_mismatch() {
        problems.push(Problem::PersonMismatch);
    }
    use VoucherField as F;
    if let Some(until) = voucher.get(F::ValidUntil).and_then(|s| parse_date(s).ok()) {
        if date > until {
            problems.push(Problem::VoucherExpired);
        }
    }
    if let (Some(list), Some(insurer)) = (ctx.contracted_insurers, voucher.get(F::InsurerNumber)) {
        let wanted = insurer_key(insurer);
        if !list.iter().any(|c| insurer_key(c) == wanted) {
            problems.push(Problem::InsurerNotContracted);
        }
    }
    if result.is_some()
        && (fields.insurer_number == FieldMatch::NotGiven
            || fields.insured_identification_number == FieldMatch::NotGiven)
    {
        problems.push(Problem::VoucherIncomplete);
    }
    (fields, person, problems)
}

/// 受診券照合: `voucher` against `answer` on the 受診日 `ctx.date`.
///
/// ```
/// use myna_core::checkup::compare::{check_voucher, AnswerFacts, CheckContext, ResultFacts};
/// use myna_core::checkup::voucher::{PersonFacts, Voucher};
/// let voucher = Voucher {
///     person: PersonFacts {
///         insurer_number: Some("01130012".into()),
///         insured_identification_number: Some("567".into()),
///         ..Default::default()
///     },
///     ..Default::default()
/// };
/// let answer = AnswerFacts {
///     qualification_validity: Some("2".into()),
///     results: vec![ResultFacts {
///         person: PersonFacts {
///             insurer_number: Some("01130012".into()),
///             insured_identification_number: Some("567".into()),
///             ..Default::default()
///         },
///         disqualification_date: Some("20250301".into()),
///         ..Default::default()
///     }],
///     ..Default::default()
/// };
/// let check = check_voucher(&voucher, &answer, &CheckContext { date: "20250401", ..Default::default() });
/// assert!(!check.is_match());
/// let codes: Vec<_> = check.problems.iter().map(|p| p.code()).collect();
/// assert_eq!(codes, ["qualification-invalid", "outside-qualification-period"]);
/// ```
pub fn check_voucher(
    voucher: &Voucher,
    answer: &AnswerFacts,
    ctx: &CheckContext<'_>,
) -> VoucherCheck {
    let voucher_errors = voucher.validate().err().unwrap_or_default();
    let candidates: Vec<Option<usize>> = if answer.results.is_empty() {
        vec![None]
    } else {
        (0..answer.results.len()).map(Some).collect()
    };
    let mut best: Option<(
        Option<usize>,
        VoucherComparison,
        PersonComparison,
        Vec<Problem>,
    )> = None;
    for index in candidates {
        let (fields, person, problems) =
            check_one(voucher, answer, index.map(|i| &answer.results[i]), ctx);
        if best.as_ref().is_none_or(|b| problems.len() < b.3.len()) {
            best = Some((index, fields, person, problems));
        }
    }
    let (result_index, fields, person, mut problems) = best.expect("at least one candidate");
    if !voucher_errors.is_empty() {
        problems.push(Problem::VoucherInvalid);
    }
    problems.sort();
    problems.dedup();
    VoucherCheck {
        fields,
        person,
        problems,
        voucher_errors,
        result_index,
        contract_checked: ctx.contracted_insurers.is_some(),
    }
}

#[cfg(test)]
mod tests;
