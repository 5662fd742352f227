//! The 受診券 (特定健診) and 利用券 (特定保健指導) as printed, and their validation.
//!
//! A voucher is kept as given ([`Voucher`], every field optional text) and checked by
//! [`Voucher::validate`], which returns the normalised voucher or every field error at once
//! (a reception desk fixes them together, and a roster row reports them all with its line).

use crate::identifiers::{BranchNumber, IdentifierError, InsurerNumber};
use crate::wareki::{GregorianDate, Wareki, WarekiError};

use super::normalize::fold_width_and_circles;

/// 受診券 or 利用券.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VoucherKind {
    /// 受診券 (特定健康診査).
    Checkup,
    /// 利用券 (特定保健指導).
    Guidance,
}

impl VoucherKind {
    /// `受診券` / `利用券`.
    pub const fn label(self) -> &'static str {
        match self {
            VoucherKind::Checkup => "受診券",
            VoucherKind::Guidance => "利用券",
        }
    }

    /// `checkup` / `guidance` (the JS and JSON spelling).
    pub const fn code(self) -> &'static str {
        match self {
            VoucherKind::Checkup => "checkup",
            VoucherKind::Guidance => "guidance",
        }
    }

    /// Reads the words rosters and pages use: 受診券, 特定健診, 健診, `checkup`, `1`;
    /// 利用券, 特定保健指導, 保健指導, `guidance`, `2`.
    pub fn parse(input: &str) -> Option<Self> {
        let s = fold_width_and_circles(input.trim());
        match s.trim() {
            "受診券" | "特定健診" | "特定健康診査" | "健診" | "checkup" | "1" => {
                Some(VoucherKind::Checkup)
            }
            "利用券" | "特定保健指導" | "保健指導" | "guidance" | "2" => {
                Some(VoucherKind::Guidance)
            }
            _ => None,
        }
    }
}

/// The fields of a voucher, as named in JS (`voucherNumber`, …) and in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum VoucherField {
    Kind,
    VoucherNumber,
    ValidUntil,
    InsurerNumber,
    InsuredCardSymbol,
    InsuredIdentificationNumber,
    InsuredBranchNumber,
    Name,
    NameKana,
    Birthdate,
    Sex,
    WindowCharge,
    ContractAgency,
}

impl VoucherField {
    /// Every field, in the order of a voucher.
    pub const ALL: [VoucherField; 13] = [
        VoucherField::Kind,
        VoucherField::VoucherNumber,
        VoucherField::ValidUntil,
        VoucherField::InsurerNumber,
        VoucherField::InsuredCardSymbol,
        VoucherField::InsuredIdentificationNumber,
        VoucherField::InsuredBranchNumber,
        VoucherField::Name,
        VoucherField::NameKana,
        VoucherField::Birthdate,
        VoucherField::Sex,
        VoucherField::WindowCharge,
        VoucherField::ContractAgency,
    ];

    /// The JS property name.
    pub const fn key(self) -> &'static str {
        match self {
            VoucherField::Kind => "kind",
            VoucherField::VoucherNumber => "voucherNumber",
            VoucherField::ValidUntil => "validUntil",
            VoucherField::InsurerNumber => "insurerNumber",
            VoucherField::InsuredCardSymbol => "insuredCardSymbol",
            VoucherField::InsuredIdentificationNumber => "insuredIdentificationNumber",
            VoucherField::InsuredBranchNumber => "insuredBranchNumber",
            VoucherField::Name => "name",
            VoucherField::NameKana => "nameKana",
            VoucherField::Birthdate => "birthdate",
            VoucherField::Sex => "sex",
            VoucherField::WindowCharge => "windowCharge",
            VoucherField::ContractAgency => "contractAgency",
        }
    }

    /// The label printed on a voucher.
    pub const fn label(self) -> &'static str {
        match self {
            VoucherField::Kind => "券種",
            VoucherField::VoucherNumber => "受診券整理番号",
            VoucherField::ValidUntil => "有効期限",
            VoucherField::InsurerNumber => "保険者番号",
            VoucherField::InsuredCardSymbol => "記号",
            VoucherField::InsuredIdentificationNumber => "番号",
            VoucherField::InsuredBranchNumber => "枝番",
            VoucherField::Name => "氏名",
            VoucherField::NameKana => "氏名カナ",
            VoucherField::Birthdate => "生年月日",
            VoucherField::Sex => "性別",
            VoucherField::WindowCharge => "窓口負担",
            VoucherField::ContractAgency => "契約とりまとめ機関",
        }
    }

    /// The longest value accepted, in characters.
    pub const fn max_chars(self) -> usize {
        match self {
            VoucherField::Name | VoucherField::NameKana => 60,
            VoucherField::WindowCharge | VoucherField::ContractAgency => 100,
            _ => 40,
        }
    }
}

/// Why one field of a voucher is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VoucherError {
    /// A field the voucher needs is blank (`voucher-field-missing`).
    #[error("{} is missing", .0.label())]
    Missing(VoucherField),
    /// Longer than [`VoucherField::max_chars`] (`voucher-field-too-long`).
    #[error("{} is longer than {} characters", .0.label(), .0.max_chars())]
    TooLong(VoucherField),
    /// 受診券整理番号 is not 11 digits (`voucher-number-invalid`).
    #[error("受診券整理番号 must be 11 digits: {0}")]
    VoucherNumber(IdentifierError),
    /// 保険者番号 fails its length or check digit (`insurer-number-invalid`).
    #[error("保険者番号: {0}")]
    InsurerNumber(IdentifierError),
    /// 枝番 is not two digits (`branch-number-invalid`).
    #[error("枝番: {0}")]
    BranchNumber(IdentifierError),
    /// 有効期限 or 生年月日 is not a date (`date-invalid`).
    #[error("{}: {}", .field.label(), .error)]
    Date {
        /// Which date.
        field: VoucherField,
        /// Why.
        error: WarekiError,
    },
    /// 性別 is not 男/女 (`sex-invalid`).
    #[error("性別 {0:?} is not 男 or 女")]
    Sex(String),
    /// 券種 is not 受診券/利用券 (`kind-invalid`).
    #[error("券種 {0:?} is not 受診券 or 利用券")]
    Kind(String),
}

impl VoucherError {
    /// The stable code.
    pub const fn code(&self) -> &'static str {
        match self {
            VoucherError::Missing(_) => "voucher-field-missing",
            VoucherError::TooLong(_) => "voucher-field-too-long",
            VoucherError::VoucherNumber(_) => "voucher-number-invalid",
            VoucherError::InsurerNumber(_) => "insurer-number-invalid",
            VoucherError::BranchNumber(_) => "branch-number-invalid",
            VoucherError::Date { .. } => "date-invalid",
            VoucherError::Sex(_) => "sex-invalid",
            VoucherError::Kind(_) => "kind-invalid",
        }
    }

    /// The field the error is about.
    pub const fn field(&self) -> VoucherField {
        match self {
            VoucherError::Missing(f) | VoucherError::TooLong(f) => *f,
            VoucherError::Date { field, .. } => *field,
            VoucherError::VoucherNumber(_) => VoucherField::VoucherNumber,
            VoucherError::InsurerNumber(_) => VoucherField::InsurerNumber,
            VoucherError::BranchNumber(_) => VoucherField::InsuredBranchNumber,
            VoucherError::Sex(_) => VoucherField::Sex,
            VoucherError::Kind(_) => VoucherField::Kind,
        }
    }

    /// What reception staff read: what is wrong, in Japanese.
    pub fn message_ja(&self) -> String {
        let label = self.field().label();
        match self {
            VoucherError::Missing(_) => format!("{label}が空欄です"),
            VoucherError::TooLong(f) => format!("{label}が長すぎます（{}文字まで）", f.max_chars()),
            VoucherError::VoucherNumber(_) => format!("{label}は11桁の数字です"),
            VoucherError::InsurerNumber(IdentifierError::CheckDigitMismatch { .. }) => {
                format!("{label}の検証番号が合いません")
            }
            VoucherError::InsurerNumber(_) => format!("{label}は8桁（国保は6桁）の数字です"),
            VoucherError::BranchNumber(_) => format!("{label}は2桁の数字です"),
            VoucherError::Date { .. } => {
                format!("{label}が日付として読めません（例: 20250401、令和7年4月1日）")
            }
            VoucherError::Sex(_) => format!("{label}は男・女のいずれかです"),
            VoucherError::Kind(_) => format!("{label}は受診券・利用券のいずれかです"),
        }
    }
}

/// Who a voucher or a result names, as text: the insurance numbers and the person (no
/// address). The one list of these fields: a [`Voucher`] gives them as printed, a result
/// (`compare::ResultFacts`) as the answer has them (dates `yyyyMMdd`, sex `1`/`2`), and the
/// eligibility service stores what a check showed as them (JSON with the browser module's
/// keys).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PersonFacts {
    /// 保険者番号.
    pub insurer_number: Option<String>,
    /// 被保険者証等の記号.
    pub insured_card_symbol: Option<String>,
    /// 被保険者証等の番号.
    pub insured_identification_number: Option<String>,
    /// 枝番 (often blank on vouchers).
    pub insured_branch_number: Option<String>,
    /// 氏名.
    pub name: Option<String>,
    /// 氏名カナ.
    pub name_kana: Option<String>,
    /// 生年月日: a result's `yyyyMMdd`; on a voucher in any form 有効期限 takes.
    pub birthdate: Option<String>,
    /// 性別: a result's `Sex1` (`1` 男, `2` 女); on a voucher also 男/女.
    pub sex: Option<String>,
}

impl PersonFacts {
    /// A voucher that gives only these fields (for the export of a check not on the roster).
    pub fn voucher(&self) -> Voucher {
        Voucher {
            person: self.clone(),
            ..Default::default()
        }
    }
}

/// A 受診券 or 利用券 as given: every field is optional text (blank counts as not given).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Voucher {
    /// 受診券 / 利用券 (as given: see [`VoucherKind::parse`]).
    pub kind: Option<String>,
    /// 受診券整理番号 (利用券整理番号): 11 digits.
    pub voucher_number: Option<String>,
    /// 有効期限: `yyyyMMdd`, `yyyy/M/d`, `yyyy-MM-dd` or 和暦.
    pub valid_until: Option<String>,
    /// The numbers and the person.
    pub person: PersonFacts,
    /// 健診内容と窓口負担 (free text: 額・率・上限).
    pub window_charge: Option<String>,
    /// 契約とりまとめ機関 (集合契約 A/B; free text).
    pub contract_agency: Option<String>,
}

/// The member of a [`Voucher`] that holds `$field`, borrowed as `$voucher` says (`&v`,
/// `&mut v`): the one list of which member is which field, for [`Voucher::get`] and
/// [`Voucher::set`].
macro_rules! member {
    ($field:expr, $($voucher:tt)+) => {
        match $field {
            VoucherField::Kind => $($voucher)+.kind,
            VoucherField::VoucherNumber => $($voucher)+.voucher_number,
            VoucherField::ValidUntil => $($voucher)+.valid_until,
            VoucherField::InsurerNumber => $($voucher)+.person.insurer_number,
            VoucherField::InsuredCardSymbol => $($voucher)+.person.insured_card_symbol,
            VoucherField::InsuredIdentificationNumber => {
                $($voucher)+.person.insured_identification_number
            }
            VoucherField::InsuredBranchNumber => $($voucher)+.person.insured_branch_number,
            VoucherField::Name => $($voucher)+.person.name,
            VoucherField::NameKana => $($voucher)+.person.name_kana,
            VoucherField::Birthdate => $($voucher)+.person.birthdate,
            VoucherField::Sex => $($voucher)+.person.sex,
            VoucherField::WindowCharge => $($voucher)+.window_charge,
            VoucherField::ContractAgency => $($voucher)+.contract_agency,
        }
    };
}

impl Voucher {
    /// The value of `field`, trimmed; `None` when absent or blank.
    pub fn get(&self, field: VoucherField) -> Option<&str> {
        member!(field, &self)
            .as_deref()
            .map(|s| s.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}'))
            .filter(|s| !s.is_empty())
    }

    /// Sets `field` (blank is stored as absent).
    pub fn set(&mut self, field: VoucherField, value: &str) {
        *member!(field, &mut self) = Some(value.to_owned());
    }

    /// Validates every field and returns the voucher in normal form (digits ASCII, dates
    /// `yyyyMMdd`, sex `1`/`2`, kind `checkup`/`guidance`, 枝番 two digits), or every error.
    ///
    /// Required: 保険者番号 and 番号 (what the comparison rests on). 受診券整理番号 is
    /// 11 digits when given (its inner structure — 年度, 種別, serial — differs between
    /// insurers and is not checked).
    pub fn validate(&self) -> Result<Voucher, Vec<VoucherError>> {
        let mut errors = Vec::new();
        let mut out = Voucher::default();
        for field in VoucherField::ALL {
            let Some(value) = self.get(field) else {
                if matches!(
                    field,
                    VoucherField::InsurerNumber | VoucherField::InsuredIdentificationNumber
                ) {
                    errors.push(VoucherError::Missing(field));
                }
                continue;
            };
            if value.chars().count() > field.max_chars() {
                errors.push(VoucherError::TooLong(field));
                continue;
            }
            match normal_form(field, value) {
                Ok(v) => out.set(field, &v),
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    /// [`VoucherKind`] of a validated voucher (`None` when not given).
    pub fn voucher_kind(&self) -> Option<VoucherKind> {
        self.get(VoucherField::Kind).and_then(VoucherKind::parse)
    }
}

fn normal_form(field: VoucherField, value: &str) -> Result<String, VoucherError> {
    Ok(match field {
        VoucherField::Kind => VoucherKind::parse(value)
            .ok_or_else(|| VoucherError::Kind(value.to_owned()))?
            .code()
            .to_owned(),
        VoucherField::VoucherNumber => {
            let folded = fold_width_and_circles(value);
            if let Some((position, found)) = folded
                .chars()
                .enumerate()
                .find(|(_, c)| !c.is_ascii_digit())
            {
                return Err(VoucherError::VoucherNumber(IdentifierError::NotADigit {
                    position,
                    found,
                }));
            }
            if folded.len() != 11 {
                return Err(VoucherError::VoucherNumber(
                    IdentifierError::InvalidLength {
                        expected: "11",
                        found: folded.len(),
                    },
                ));
            }
            folded
        }
        VoucherField::InsurerNumber => InsurerNumber::parse(value)
            .map_err(VoucherError::InsurerNumber)?
            .as_str()
            .to_owned(),
        VoucherField::InsuredBranchNumber => BranchNumber::parse_padded(value)
            .map_err(VoucherError::BranchNumber)?
            .as_str()
            .to_owned(),
        VoucherField::ValidUntil | VoucherField::Birthdate => {
            parse_date(value).map_err(|error| VoucherError::Date { field, error })?
        }
        VoucherField::Sex => match parse_sex(value) {
            Some(code) => code.to_owned(),
            None => return Err(VoucherError::Sex(value.to_owned())),
        },
        _ => value.to_owned(),
    })
}

/// `1` (男) or `2` (女) from 男/女/男性/女性/`1`/`2`/`M`/`F`.
pub fn parse_sex(input: &str) -> Option<&'static str> {
    let s = fold_width_and_circles(input.trim());
    match s.trim().to_ascii_uppercase().as_str() {
        "男" | "男性" | "1" | "M" | "MALE" => Some("1"),
        "女" | "女性" | "2" | "F" | "FEMALE" => Some("2"),
        _ => None,
    }
}

/// A date as reception sees it — `20250401`, `2025/4/1`, `2025-04-01`, `令和7年4月1日`,
/// `R7.4.1` (full-width digits too) — as `yyyyMMdd`.
///
/// ```
/// use myna_core::checkup::voucher::parse_date;
/// assert_eq!(parse_date("2025/4/1").unwrap(), "20250401");
/// assert_eq!(parse_date("令和7年4月1日").unwrap(), "20250401");
/// assert!(parse_date("2025/2/30").is_err());
/// ```
pub fn parse_date(input: &str) -> Result<String, WarekiError> {
    let folded: String = fold_width_and_circles(input.trim()).trim().to_owned();
    if folded.len() == 8 && folded.bytes().all(|b| b.is_ascii_digit()) {
        return GregorianDate::parse_yyyymmdd(&folded).map(GregorianDate::to_yyyymmdd);
    }
    let parts: Vec<&str> = folded.split(['/', '-', '.']).collect();
    if parts.len() == 3
        && parts[0].len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()))
    {
        let n = |p: &str| p.parse::<u32>().unwrap_or(0);
        return GregorianDate::new(n(parts[0]), n(parts[1]), n(parts[2]))
            .map(GregorianDate::to_yyyymmdd);
    }
    match Wareki::parse(&folded) {
        Ok(w) => Ok(w.to_gregorian().to_yyyymmdd()),
        Err(_) => Err(WarekiError::InvalidFormat {
            input: input.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn voucher() -> Voucher {
        Voucher {
            kind: Some("受診券".into()),
            voucher_number: Some("２５１００００１２３４".into()),
            valid_until: Some("令和8年3月31日".into()),
            person: PersonFacts {
                insurer_number: Some("01130012".into()),
                insured_card_symbol: Some("12-34".into()),
                insured_identification_number: Some("567".into()),
                insured_branch_number: Some("".into()),
                name: Some("山田　太郎".into()),
                name_kana: Some("ﾔﾏﾀﾞ ﾀﾛｳ".into()),
                birthdate: Some("1985/4/1".into()),
                sex: Some("男".into()),
            },
            ..Default::default()
        }
    }

    #[test]
    fn a_valid_voucher_comes_out_in_normal_form() {
        let v = voucher().validate().unwrap();
        assert_eq!(v.kind.as_deref(), Some("checkup"));
        assert_eq!(v.voucher_number.as_deref(), Some("25100001234"));
        assert_eq!(v.valid_until.as_deref(), Some("20260331"));
        assert_eq!(v.person.birthdate.as_deref(), Some("19850401"));
        assert_eq!(v.person.sex.as_deref(), Some("1"));
        assert_eq!(v.person.insured_branch_number, None);
        assert_eq!(v.voucher_kind(), Some(VoucherKind::Checkup));
    }

    #[test]
    fn every_bad_field_is_reported_with_its_code() {
        let mut v = voucher();
        v.person.insurer_number = Some("01130013".into());
        v.voucher_number = Some("1234".into());
        v.valid_until = Some("2026/2/30".into());
        v.person.sex = Some("x".into());
        v.kind = Some("問診票".into());
        v.person.insured_branch_number = Some("123".into());
        let errors = v.validate().unwrap_err();
        let codes: Vec<_> = errors.iter().map(|e| (e.code(), e.field().key())).collect();
        assert_eq!(
            codes,
            [
                ("kind-invalid", "kind"),
                ("voucher-number-invalid", "voucherNumber"),
                ("date-invalid", "validUntil"),
                ("insurer-number-invalid", "insurerNumber"),
                ("branch-number-invalid", "insuredBranchNumber"),
                ("sex-invalid", "sex"),
            ]
        );
        assert_eq!(errors[3].message_ja(), "保険者番号の検証番号が合いません");
    }

    #[test]
    fn insurer_number_and_number_are_required() {
        let errors = Voucher::default().validate().unwrap_err();
        assert_eq!(
            errors,
            [
                VoucherError::Missing(VoucherField::InsurerNumber),
                VoucherError::Missing(VoucherField::InsuredIdentificationNumber)
            ]
        );
    }

    #[test]
    fn long_fields_are_refused() {
        let mut v = voucher();
        v.person.name = Some("あ".repeat(61));
        assert_eq!(
            v.validate().unwrap_err(),
            [VoucherError::TooLong(VoucherField::Name)]
        );
    }

    #[test]
    fn dates_in_every_form_reception_writes() {
        for s in [
            "20250401",
            "2025-04-01",
            "2025.4.1",
            "R7.4.1",
            "令和７年４月１日",
        ] {
            assert_eq!(parse_date(s).unwrap(), "20250401", "{s}");
        }
        for s in ["2025/13/1", "4/1/2025", "", "x", "20250431"] {
            assert!(parse_date(s).is_err(), "{s}");
        }
    }
}
