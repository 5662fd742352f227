//! The 受診券 side of the 受診券照合: the voucher as a page passes it, what the comparison reads
//! from the answer, and the comparison as JS sees it.

use myna_core::identifiers::{FieldMatch, VoucherComparison, VoucherFields};
use serde::Serialize;

use super::{QualificationView, ResultView, Text};

/// 保険者番号, 記号, 番号 and 枝番 of a view (a 受診券 or an answer's result) as the core's
/// comparison input.
macro_rules! voucher_fields {
    ($view:expr) => {
        from_texts!($view => VoucherFields {
            insurer_number,
            insured_card_symbol,
            insured_identification_number,
            insured_branch_number,
        })
    };
}

/// The person a view names (a 受診券 or an answer's result) as the core's `PersonFacts`;
/// `$sex` is the view's field for 性別.
macro_rules! person_facts {
    ($view:expr, $sex:ident) => {
        from_texts!($view => myna_core::checkup::voucher::PersonFacts {
            insurer_number,
            insured_card_symbol,
            insured_identification_number,
            insured_branch_number,
            name,
            name_kana,
            birthdate,
            sex: $sex,
        })
    };
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
            person: person_facts!(self, sex),
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
        voucher_fields!(self)
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
            person: person_facts!(self, sex1),
            qualification_date: self.qualification_date.0.clone(),
            disqualification_date: self.disqualification_date.0.clone(),
        }
    }

    /// The fields a 受診券 is compared on.
    pub fn voucher_fields(&self) -> VoucherFields {
        voucher_fields!(self)
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

/// A field's outcome as JS and the panel's CSS see it: `match`, `mismatch` or `not-given`.
pub fn outcome(m: FieldMatch) -> &'static str {
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
