//! Health-insurance identifiers: 保険者番号, 公費負担者番号, 記号・番号・枝番, and the
//! 受診券照合 (checkup-voucher comparison).
//!
//! ## Input normalisation
//! Numbers typed at a reception desk or read from files arrive with full-width digits
//! (`０１１３００１２`), surrounding spaces (ASCII or U+3000), or — for the 6-digit 国保
//! 保険者番号 — left-padded with spaces to eight characters (`"  138057"`). Every parser
//! here folds full-width digits to ASCII and trims surrounding whitespace before checking;
//! spaces *inside* a number are an error.
//!
//! ## Check digit (保険者番号 and 公費負担者番号)
//! Take the body (every digit but the last); from its **rightmost** digit multiply by
//! 2, 1, 2, 1, …; add the *digits* of each product (12 counts as 1 + 2); the check digit
//! is `(10 − sum mod 10) mod 10`. See [`check_digit`]. Validation is structural (length
//! and check digit): a 法別番号 or 都道府県 code outside the known tables is still valid,
//! with no label. Leading zeros add nothing to the sum, so a 6-digit 国保 number padded
//! with `00` to eight digits also passes, as an 8-digit number with 法別 `00`.
//!
//! ## 枝番 (branch number)
//! The OQS schema defines 枝番 as exactly two digits. [`BranchNumber::parse`] is strict:
//! `"1"` is an error ([`IdentifierError::InvalidLength`]) because a one-digit value usually
//! means a field was truncated or mistyped. Callers that accept hand-typed input and want
//! `"1"` to mean `"01"` use [`BranchNumber::parse_padded`].
//!
//! ## 記号・番号
//! 記号 and 番号 are free text. [`normalize_symbol_number`] folds the width and dash
//! variants that differ between a card, a voucher and a file so two renderings of the
//! same value compare equal; see its documentation for the exact table.

use core::fmt;
use core::str::FromStr;

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentifierError {
    /// Nothing but whitespace was given.
    #[error("the value is empty")]
    Empty,
    /// A character that is not a digit (after width folding).
    #[error("character {found:?} at position {position} is not a digit")]
    NotADigit {
        /// 0-based character position in the trimmed input.
        position: usize,
        /// The offending character as given.
        found: char,
    },
    /// The number of digits does not fit the identifier.
    #[error("{found} digits given; {expected} expected")]
    InvalidLength {
        /// What the identifier allows, e.g. `"6 or 8"`.
        expected: &'static str,
        /// How many characters were given (after trimming).
        found: usize,
    },
    /// The last digit is not the check digit of the others.
    #[error("check digit is {found}, but the number requires {expected}")]
    CheckDigitMismatch {
        /// The check digit the body requires.
        expected: u8,
        /// The check digit given.
        found: u8,
    },
}

/// Folds one full-width ASCII variant (U+FF01–U+FF5E) to ASCII; other characters unchanged.
const fn fold_width(c: char) -> char {
    let cp = c as u32;
    if cp >= 0xFF01 && cp <= 0xFF5E {
        // The block mirrors U+0021–U+007E at an offset of 0xFEE0.
        match char::from_u32(cp - 0xFEE0) {
            Some(ascii) => ascii,
            None => c,
        }
    } else {
        c
    }
}

/// Whitespace trimmed around identifiers: ASCII whitespace and U+3000 IDEOGRAPHIC SPACE.
fn is_padding(c: char) -> bool {
    c.is_ascii_whitespace() || c == '\u{3000}'
}

/// Trims, folds full-width digits, and returns the ASCII digit string.
fn digits_of(input: &str) -> Result<String, IdentifierError> {
    let trimmed = input.trim_matches(is_padding);
    if trimmed.is_empty() {
        return Err(IdentifierError::Empty);
    }
    let mut out = String::with_capacity(trimmed.len());
    for (position, c) in trimmed.chars().enumerate() {
        let folded = fold_width(c);
        if !folded.is_ascii_digit() {
            return Err(IdentifierError::NotADigit { position, found: c });
        }
        out.push(folded);
    }
    Ok(out)
}

/// The check digit of `body` (ASCII digits) by the 保険者番号 / 公費負担者番号 rule:
/// from the rightmost digit multiply by 2, 1, 2, 1, …, sum the digits of each product,
/// and return `(10 − sum mod 10) mod 10`.
///
/// Returns `None` if `body` is empty or contains anything but ASCII digits.
///
/// ```
/// use myna_core::identifiers::check_digit;
/// assert_eq!(check_digit("0113001"), Some(2)); // 01130012
/// assert_eq!(check_digit("13805"), Some(7)); // 138057
/// ```
pub fn check_digit(body: &str) -> Option<u8> {
    if body.is_empty() {
        return None;
    }
    let mut sum = 0u32;
    for (i, b) in body.bytes().rev().enumerate() {
        if !b.is_ascii_digit() {
            return None;
        }
        let d = u32::from(b - b'0');
        let product = if i % 2 == 0 { d * 2 } else { d };
        sum += product / 10 + product % 10;
    }
    Some(((10 - sum % 10) % 10) as u8)
}

/// Checks `digits` (ASCII, at least 2) against its own last digit.
fn verify_check_digit(digits: &str) -> Result<(), IdentifierError> {
    let (body, last) = digits.split_at(digits.len() - 1);
    let found = last.as_bytes()[0] - b'0';
    let expected = check_digit(body).ok_or(IdentifierError::Empty)?;
    if expected == found {
        Ok(())
    } else {
        Err(IdentifierError::CheckDigitMismatch { expected, found })
    }
}

/// The name of a 都道府県 by its JIS X 0401 code (01 北海道 … 47 沖縄県), as used in the
/// 3rd–4th digits of an 8-digit 保険者番号 (1st–2nd of a 6-digit one).
pub fn prefecture_name(code: u8) -> Option<&'static str> {
    const NAMES: [&str; 47] = [
        "北海道",
        "青森県",
        "岩手県",
        "宮城県",
        "秋田県",
        "山形県",
        "福島県",
        "茨城県",
        "栃木県",
        "群馬県",
        "埼玉県",
        "千葉県",
        "東京都",
        "神奈川県",
        "新潟県",
        "富山県",
        "石川県",
        "福井県",
        "山梨県",
        "長野県",
        "岐阜県",
        "静岡県",
        "愛知県",
        "三重県",
        "滋賀県",
        "京都府",
        "大阪府",
        "兵庫県",
        "奈良県",
        "和歌山県",
        "鳥取県",
        "島根県",
        "岡山県",
        "広島県",
        "山口県",
        "徳島県",
        "香川県",
        "愛媛県",
        "高知県",
        "福岡県",
        "佐賀県",
        "長崎県",
        "熊本県",
        "大分県",
        "宮崎県",
        "鹿児島県",
        "沖縄県",
    ];
    match code {
        1..=47 => Some(NAMES[usize::from(code) - 1]),
        _ => None,
    }
}

/// The 法別番号 (first two digits of an 8-digit 保険者番号): which statutory scheme the
/// insurer belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Houbetsu(u8);

impl Houbetsu {
    /// The two-digit number, 0–99.
    pub const fn number(self) -> u8 {
        self.0
    }

    /// A short Japanese label for the 法別番号s of medical-insurance schemes, `None` for
    /// numbers this table does not know (the number itself is still valid).
    pub const fn label(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "全国健康保険協会管掌健康保険（協会けんぽ）",
            2 => "船員保険",
            3 => "日雇特例被保険者の保険（一般療養）",
            4 => "日雇特例被保険者の保険（特別療養費）",
            6 => "組合管掌健康保険",
            7 => "自衛官等",
            31 => "国家公務員共済組合",
            32 => "地方公務員等共済組合",
            33 => "警察共済組合",
            34 => "公立学校共済組合・日本私立学校振興・共済事業団",
            39 => "後期高齢者医療",
            63 => "特定健康保険組合（特例退職被保険者）",
            67 => "国民健康保険（退職者医療）",
            72 => "国家公務員特定共済組合",
            73 => "地方公務員等特定共済組合",
            74 => "警察特定共済組合",
            75 => "公立学校特定共済組合・日本私立学校振興・共済事業団",
            _ => return None,
        })
    }
}

impl fmt::Display for Houbetsu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}", self.0)
    }
}

/// The shape of a 保険者番号.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InsurerKind {
    /// 6 digits: a 国民健康保険 insurer (市町村 or 国保組合): 都道府県(2) + 保険者別(3) + check.
    National6,
    /// 8 digits: 法別(2) + 都道府県(2) + 保険者別(3) + check. Covers every scheme with a
    /// 法別番号 — 被用者保険 (協会けんぽ, 組合, 共済, …), 後期高齢者医療 (39) and 退職者医療
    /// (67) alike; [`Houbetsu::label`] tells which.
    Employee8 {
        /// The 法別番号.
        houbetsu: Houbetsu,
    },
}

/// Parses two ASCII digits.
fn two_digits(s: &str) -> u8 {
    let b = s.as_bytes();
    (b[0] - b'0') * 10 + (b[1] - b'0')
}

/// `Display` as the normalised digits (`as_str`) and `FromStr` as `parse`, for each
/// identifier type.
macro_rules! digits_text {
    ($($identifier:ty),+) => {$(
        impl fmt::Display for $identifier {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $identifier {
            type Err = IdentifierError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    )+};
}

digits_text!(InsurerNumber, PublicExpenseNumber, BranchNumber);

/// The digits of `input` ([`digits_of`]) when there are as many as one of `lengths`
/// (`expected` says which, for the error) and the last is their check digit.
fn checked_digits(
    input: &str,
    lengths: &[usize],
    expected: &'static str,
) -> Result<String, IdentifierError> {
    let digits = digits_of(input)?;
    if !lengths.contains(&digits.len()) {
        return Err(IdentifierError::InvalidLength {
            expected,
            found: digits.len(),
        });
    }
    verify_check_digit(&digits)?;
    Ok(digits)
}

/// A validated 保険者番号: 6 digits (国保) or 8 digits, with a correct check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InsurerNumber {
    digits: String,
}

impl InsurerNumber {
    /// Parses a 保険者番号, accepting full-width digits and surrounding spaces (including the
    /// left-space-padded 国保 form `"  138057"`).
    ///
    /// ```
    /// use myna_core::identifiers::{InsurerKind, InsurerNumber};
    /// let n = InsurerNumber::parse("  138057").unwrap();
    /// assert_eq!(n.kind(), InsurerKind::National6);
    /// assert_eq!(n.as_str(), "138057");
    /// assert!(InsurerNumber::parse("０１１３００１２").is_ok());
    /// ```
    pub fn parse(input: &str) -> Result<Self, IdentifierError> {
        Ok(Self {
            digits: checked_digits(input, &[6, 8], "6 or 8")?,
        })
    }

    /// The normalised digits (6 or 8 ASCII digits).
    pub fn as_str(&self) -> &str {
        &self.digits
    }

    /// 6-digit 国保 or 8-digit with a 法別番号.
    pub fn kind(&self) -> InsurerKind {
        if self.digits.len() == 6 {
            InsurerKind::National6
        } else {
            InsurerKind::Employee8 {
                houbetsu: Houbetsu(two_digits(&self.digits[..2])),
            }
        }
    }

    /// The 法別番号 of an 8-digit number; `None` for a 6-digit 国保 number.
    pub fn houbetsu(&self) -> Option<Houbetsu> {
        match self.kind() {
            InsurerKind::Employee8 { houbetsu } => Some(houbetsu),
            InsurerKind::National6 => None,
        }
    }

    /// The 都道府県 code (JIS X 0401; 01–47 for real insurers).
    pub fn prefecture_code(&self) -> u8 {
        let start = self.digits.len() - 6;
        two_digits(&self.digits[start..start + 2])
    }

    /// The 都道府県 name, if the code is 01–47.
    pub fn prefecture_name(&self) -> Option<&'static str> {
        prefecture_name(self.prefecture_code())
    }

    /// The check digit (the last digit).
    pub fn check_digit(&self) -> u8 {
        self.digits.as_bytes()[self.digits.len() - 1] - b'0'
    }
}

/// Whether `input` is a valid 保険者番号 (see [`InsurerNumber::parse`]).
///
/// ```
/// use myna_core::identifiers::validate_insurer_number;
/// assert!(validate_insurer_number("06270011"));
/// assert!(!validate_insurer_number("06270012"));
/// ```
pub fn validate_insurer_number(input: &str) -> bool {
    InsurerNumber::parse(input).is_ok()
}

/// A validated 公費負担者番号: 8 digits = 法別(2) + 都道府県(2) + 実施機関(3) + check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PublicExpenseNumber {
    digits: String,
}

impl PublicExpenseNumber {
    /// Parses a 公費負担者番号, accepting full-width digits and surrounding spaces.
    pub fn parse(input: &str) -> Result<Self, IdentifierError> {
        Ok(Self {
            digits: checked_digits(input, &[8], "8")?,
        })
    }

    /// The normalised 8 ASCII digits.
    pub fn as_str(&self) -> &str {
        &self.digits
    }

    /// The 法別番号 of the 公費 scheme (e.g. 12 生活保護, 54 難病).
    pub fn houbetsu(&self) -> u8 {
        two_digits(&self.digits[..2])
    }

    /// The 都道府県 code.
    pub fn prefecture_code(&self) -> u8 {
        two_digits(&self.digits[2..4])
    }
}

/// Whether `input` is a valid 公費負担者番号.
pub fn validate_public_expense_number(input: &str) -> bool {
    PublicExpenseNumber::parse(input).is_ok()
}

/// A 枝番 (被保険者の個人単位番号): exactly two digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BranchNumber([u8; 2]);

impl BranchNumber {
    /// Parses exactly two digits (full-width accepted, surrounding spaces trimmed).
    /// `"1"` is an error; see [`BranchNumber::parse_padded`].
    pub fn parse(input: &str) -> Result<Self, IdentifierError> {
        let digits = digits_of(input)?;
        if digits.len() != 2 {
            return Err(IdentifierError::InvalidLength {
                expected: "2",
                found: digits.len(),
            });
        }
        let b = digits.as_bytes();
        Ok(Self([b[0], b[1]]))
    }

    /// Like [`BranchNumber::parse`], but a single digit is left-padded with `0`
    /// (`"1"` → `"01"`), for hand-typed input.
    pub fn parse_padded(input: &str) -> Result<Self, IdentifierError> {
        let digits = digits_of(input)?;
        if digits.len() == 1 {
            Ok(Self([b'0', digits.as_bytes()[0]]))
        } else {
            Self::parse(&digits)
        }
    }

    /// The two ASCII digits.
    pub fn as_str(&self) -> &str {
        // Both bytes are ASCII digits by construction.
        core::str::from_utf8(&self.0).unwrap_or("00")
    }

    /// The numeric value 0–99.
    pub fn value(&self) -> u8 {
        (self.0[0] - b'0') * 10 + (self.0[1] - b'0')
    }
}

/// Dash-like characters folded to `-` wherever they appear.
fn is_dash(c: char) -> bool {
    matches!(
        c,
        '-' // U+002D HYPHEN-MINUS (also the fold of U+FF0D)
        | '\u{2010}' // HYPHEN
        | '\u{2011}' // NON-BREAKING HYPHEN
        | '\u{2012}' // FIGURE DASH
        | '\u{2013}' // EN DASH
        | '\u{2014}' // EM DASH
        | '\u{2015}' // HORIZONTAL BAR
        | '\u{2212}' // MINUS SIGN
        | '\u{2043}' // HYPHEN BULLET
        | '\u{FE58}' // SMALL EM DASH
        | '\u{FE63}' // SMALL HYPHEN-MINUS
    )
}

/// Prolonged-sound marks: a dash only when between two digits.
fn is_prolonged_mark(c: char) -> bool {
    matches!(c, '\u{30FC}' | '\u{FF70}')
}

/// Spaces removed entirely.
fn is_removable_space(c: char) -> bool {
    c.is_ascii_whitespace() || matches!(c, '\u{3000}' | '\u{00A0}')
}

/// Normalises a 記号 or 番号 for comparison.
///
/// - Full-width ASCII variants U+FF01–U+FF5E become ASCII (`１２－ＡＢ` → `12-AB`);
/// - ASCII letters are upper-cased (`ab` and `ＡＢ` both → `AB`);
/// - every hyphen/dash/minus variant (U+2010–U+2015, U+2212, U+2043, U+FE58, U+FE63,
///   U+FF0D) becomes `-`;
/// - the katakana prolonged-sound mark `ー` (U+30FC, half-width U+FF70) becomes `-` only
///   between two digits (`12ー34` → `12-34`, while `サーバ` keeps its `ー`);
/// - spaces are removed: ASCII whitespace, U+3000 and U+00A0.
///
/// Everything else (kanji, kana, other symbols) is kept as is. Hyphens stay significant:
/// `12-34` and `1234` do not normalise to the same string.
///
/// ```
/// use myna_core::identifiers::normalize_symbol_number;
/// assert_eq!(normalize_symbol_number(" １２－３４ "), "12-34");
/// assert_eq!(normalize_symbol_number("世　１２"), "世12");
/// ```
pub fn normalize_symbol_number(input: &str) -> String {
    let folded: Vec<char> = input
        .chars()
        .filter(|&c| !is_removable_space(c))
        .map(fold_width)
        .collect();
    let mut out = String::with_capacity(input.len());
    for (i, &c) in folded.iter().enumerate() {
        let mapped = if is_dash(c) {
            '-'
        } else if is_prolonged_mark(c) {
            let prev_digit = i > 0 && folded[i - 1].is_ascii_digit();
            let next_digit = folded.get(i + 1).is_some_and(|n| n.is_ascii_digit());
            if prev_digit && next_digit { '-' } else { c }
        } else {
            c.to_ascii_uppercase()
        };
        out.push(mapped);
    }
    out
}

/// The identifying fields of a 受診券 (checkup voucher) or of an eligibility result, as
/// given (not yet normalised). `None` or a blank string means "not given".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VoucherFields {
    /// 保険者番号.
    pub insurer_number: Option<String>,
    /// 被保険者証記号.
    pub insured_card_symbol: Option<String>,
    /// 被保険者証番号.
    pub insured_identification_number: Option<String>,
    /// 枝番.
    pub insured_branch_number: Option<String>,
}

/// The outcome of comparing one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldMatch {
    /// Both sides give the field and they are equal after normalisation.
    Match,
    /// Both sides give the field and they differ after normalisation.
    Mismatch,
    /// At least one side does not give the field (absent or blank).
    NotGiven,
}

impl FieldMatch {
    /// A short Japanese label: 一致 / 不一致 / 記載なし.
    pub const fn label(self) -> &'static str {
        match self {
            FieldMatch::Match => "一致",
            FieldMatch::Mismatch => "不一致",
            FieldMatch::NotGiven => "記載なし",
        }
    }
}

/// 受診券照合: a voucher's insurer number / symbol / number (/ branch) compared with an
/// eligibility result, field by field.
///
/// Normalisation per field:
/// - 保険者番号: surrounding spaces trimmed, full-width digits folded (the check digit is
///   not required for comparison; [`VoucherComparison::voucher_insurer_number_error`]
///   reports a voucher number that is not a valid 保険者番号);
/// - 記号, 番号: [`normalize_symbol_number`];
/// - 枝番: as 記号・番号, then a single digit is left-padded (`1` equals `01`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoucherComparison {
    /// 保険者番号.
    pub insurer_number: FieldMatch,
    /// 記号.
    pub insured_card_symbol: FieldMatch,
    /// 番号.
    pub insured_identification_number: FieldMatch,
    /// 枝番.
    pub insured_branch_number: FieldMatch,
    /// Why the voucher's 保険者番号 is not a valid one, when it is given and invalid.
    pub voucher_insurer_number_error: Option<IdentifierError>,
}

/// `None` for absent or blank (after normalisation).
fn given(value: &Option<String>, normalise: fn(&str) -> String) -> Option<String> {
    value.as_deref().map(normalise).filter(|s| !s.is_empty())
}

/// Two given values (see [`VoucherComparison`]'s normalisation), compared.
pub(crate) fn compare_field(a: Option<String>, b: Option<String>) -> FieldMatch {
    match (a, b) {
        (Some(a), Some(b)) if a == b => FieldMatch::Match,
        (Some(_), Some(_)) => FieldMatch::Mismatch,
        _ => FieldMatch::NotGiven,
    }
}

fn normalise_insurer(s: &str) -> String {
    s.trim_matches(is_padding).chars().map(fold_width).collect()
}

fn normalise_branch(s: &str) -> String {
    let n = normalize_symbol_number(s);
    if n.len() == 1 && n.as_bytes()[0].is_ascii_digit() {
        format!("0{n}")
    } else {
        n
    }
}

impl VoucherComparison {
    /// Compares `voucher` with `result` field by field.
    pub fn compare(voucher: &VoucherFields, result: &VoucherFields) -> Self {
        let voucher_insurer_number_error = voucher
            .insurer_number
            .as_deref()
            .filter(|s| !s.trim_matches(is_padding).is_empty())
            .and_then(|s| InsurerNumber::parse(s).err());
        Self {
            insurer_number: compare_field(
                given(&voucher.insurer_number, normalise_insurer),
                given(&result.insurer_number, normalise_insurer),
            ),
            insured_card_symbol: compare_field(
                given(&voucher.insured_card_symbol, normalize_symbol_number),
                given(&result.insured_card_symbol, normalize_symbol_number),
            ),
            insured_identification_number: compare_field(
                given(
                    &voucher.insured_identification_number,
                    normalize_symbol_number,
                ),
                given(
                    &result.insured_identification_number,
                    normalize_symbol_number,
                ),
            ),
            insured_branch_number: compare_field(
                given(&voucher.insured_branch_number, normalise_branch),
                given(&result.insured_branch_number, normalise_branch),
            ),
            voucher_insurer_number_error,
        }
    }

    /// The four outcomes in order: 保険者番号, 記号, 番号, 枝番.
    pub fn fields(&self) -> [FieldMatch; 4] {
        [
            self.insurer_number,
            self.insured_card_symbol,
            self.insured_identification_number,
            self.insured_branch_number,
        ]
    }

    /// True when the 保険者番号 and 番号 both match and no given field mismatches: the
    /// person is a member of the insurer named on the voucher.
    pub fn is_match(&self) -> bool {
        self.insurer_number == FieldMatch::Match
            && self.insured_identification_number == FieldMatch::Match
            && !self.has_mismatch()
    }

    /// True when any field given on both sides differs.
    pub fn has_mismatch(&self) -> bool {
        self.fields().contains(&FieldMatch::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::assert_cases;

    #[test]
    fn fold_width_covers_the_block_edges() {
        assert_cases(
            fold_width,
            &[
                ('\u{FF01}', '!'),
                ('\u{FF5E}', '~'),
                ('\u{FF5F}', '\u{FF5F}'),
                ('\u{FF00}', '\u{FF00}'),
                ('Ａ', 'A'),
            ],
        );
    }

    #[test]
    fn check_digit_rejects_non_digits() {
        assert_cases(
            check_digit,
            &[
                ("", None),
                ("12a", None),
                ("0627001", Some(1)),
                ("3913115", Some(6)),
            ],
        );
    }
}
