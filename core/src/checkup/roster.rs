//! The day's roster (受診者名簿): CSV import, matching a check to its row, the day's list and
//! the results CSV.
//!
//! ## Import
//! A roster is the CSV a centre's reservation system exports: UTF-8 (with or without BOM) or
//! CP932 (Shift_JIS as Windows writes it), one header row, one examinee per row, fields quoted
//! as RFC 4180. [`ROSTER_COLUMNS`] names the headers accepted;
//! header cells are compared after trimming, width folding and removing spaces, so `保険者
//! 番号` and `ＩＮＳＵＲＥＲＮＵＭＢＥＲ` are not different columns from `保険者番号` and
//! `insurerNumber`. Unknown columns are ignored (and listed). The header must name at least
//! 保険者番号 and 番号.
//!
//! Each row is validated as a [`Voucher`]; a row with errors is reported with its **line
//! number** (1-based, as an editor shows it; the header is line 1) and every error code, and
//! the other rows import. A second row with the same 受診券整理番号 is reported
//! (`duplicate-voucher-number`). Blank rows are skipped.
//!
//! ## Matching a check to its row
//! [`match_to_roster`]: first by numbers (保険者番号 + 番号, and 記号 / 枝番 where both sides give
//! them); several rows (a family) are narrowed by the person; with no row by numbers, by the
//! person alone (kana or name + birthdate), which finds an examinee whose insurance changed.
//!
//! ## The results CSV
//! [`export_csv`]: one row per roster row and per check not on the roster, CRLF line ends,
//! as UTF-8 with BOM or as CP932 (characters CP932 lacks become `〓`, counted), so that Excel
//! opens it with the right characters either way. A cell that starts with `=`, `+`, `-`, `@`,
//! TAB or CR is prefixed with `'` so a spreadsheet does not run it as a formula.

use super::compare::ResultFacts;
use super::normalize::{branch_key, insurer_key, kana_key, name_key, symbol_key};
use super::voucher::{Voucher, VoucherError, VoucherField, parse_date, parse_sex};

/// The largest roster file accepted, in bytes.
pub const MAX_ROSTER_BYTES: usize = 4 * 1024 * 1024;
/// The most rows a roster may hold.
pub const MAX_ROSTER_ROWS: usize = 10_000;

/// The column headers accepted for each voucher field (first: the one written on export).
pub const ROSTER_COLUMNS: &[(VoucherField, &[&str])] = &[
    (VoucherField::Kind, &["券種", "種別", "券種別", "kind"]),
    (
        VoucherField::VoucherNumber,
        &[
            "受診券整理番号",
            "利用券整理番号",
            "整理番号",
            "voucherNumber",
        ],
    ),
    (VoucherField::ValidUntil, &["有効期限", "validUntil"]),
    (
        VoucherField::InsurerNumber,
        &["保険者番号", "insurerNumber"],
    ),
    (
        VoucherField::InsuredCardSymbol,
        &[
            "記号",
            "被保険者証記号",
            "被保険者証等記号",
            "insuredCardSymbol",
        ],
    ),
    (
        VoucherField::InsuredIdentificationNumber,
        &[
            "番号",
            "被保険者証番号",
            "被保険者証等番号",
            "insuredIdentificationNumber",
        ],
    ),
    (
        VoucherField::InsuredBranchNumber,
        &["枝番", "insuredBranchNumber"],
    ),
    (VoucherField::Name, &["氏名", "受診者氏名", "name"]),
    (
        VoucherField::NameKana,
        &["氏名カナ", "カナ氏名", "フリガナ", "ふりがな", "nameKana"],
    ),
    (VoucherField::Birthdate, &["生年月日", "birthdate"]),
    (VoucherField::Sex, &["性別", "sex"]),
    (
        VoucherField::WindowCharge,
        &[
            "窓口負担",
            "窓口負担額",
            "健診内容と窓口負担",
            "windowCharge",
        ],
    ),
    (
        VoucherField::ContractAgency,
        &[
            "契約とりまとめ機関",
            "契約取りまとめ機関",
            "契約取纏め機関",
            "contractAgency",
        ],
    ),
];

/// The encoding a roster file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RosterEncoding {
    /// UTF-8 (a BOM, if any, is dropped).
    Utf8,
    /// CP932 (Windows-31J, what Excel on Japanese Windows writes as "CSV").
    Cp932,
}

impl RosterEncoding {
    /// `utf-8` / `cp932`.
    pub const fn code(self) -> &'static str {
        match self {
            RosterEncoding::Utf8 => "utf-8",
            RosterEncoding::Cp932 => "cp932",
        }
    }
}

/// Why a roster file cannot be read at all (row errors are [`RosterRowError`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RosterError {
    /// No header row (`roster-empty`).
    #[error("the roster is empty")]
    Empty,
    /// Larger than [`MAX_ROSTER_BYTES`] (`roster-too-large`).
    #[error("the roster is {size} bytes; at most {limit} are accepted")]
    TooLarge {
        /// Bytes given.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// More rows than [`MAX_ROSTER_ROWS`] (`roster-too-many-rows`).
    #[error("the roster has more than {0} rows")]
    TooManyRows(usize),
    /// Neither UTF-8 nor CP932 (`roster-invalid-bytes`).
    #[error("the roster is neither UTF-8 nor CP932 (bad byte at offset {offset})")]
    InvalidBytes {
        /// Where the first bad byte is.
        offset: usize,
    },
    /// The header lacks a required column (`roster-missing-column`).
    #[error("the header has no {} column", .0.label())]
    MissingColumn(VoucherField),
    /// Two header cells name the same field (`roster-duplicate-column`).
    #[error("two columns name {}", .0.label())]
    DuplicateColumn(VoucherField),
    /// The CSV itself cannot be read (`roster-malformed`), e.g. a quote never closed.
    #[error("line {line}: {message}")]
    Malformed {
        /// The line where reading stopped.
        line: u64,
        /// The reader's message.
        message: String,
    },
}

impl RosterError {
    /// The stable code.
    pub const fn code(&self) -> &'static str {
        match self {
            RosterError::Empty => "roster-empty",
            RosterError::TooLarge { .. } => "roster-too-large",
            RosterError::TooManyRows(_) => "roster-too-many-rows",
            RosterError::InvalidBytes { .. } => "roster-invalid-bytes",
            RosterError::MissingColumn(_) => "roster-missing-column",
            RosterError::DuplicateColumn(_) => "roster-duplicate-column",
            RosterError::Malformed { .. } => "roster-malformed",
        }
    }

    /// What reception staff read.
    pub fn message_ja(&self) -> String {
        match self {
            RosterError::Empty => "名簿が空です（見出し行が必要です）".into(),
            RosterError::TooLarge { limit, .. } => {
                format!(
                    "名簿のファイルが大きすぎます（{} MB まで）",
                    limit / 1024 / 1024
                )
            }
            RosterError::TooManyRows(n) => format!("名簿の行数が多すぎます（{n} 行まで）"),
            RosterError::InvalidBytes { .. } => {
                "名簿の文字コードが読めません（UTF-8 または Shift_JIS の CSV にしてください）"
                    .into()
            }
            RosterError::MissingColumn(f) => format!("見出し行に「{}」の列がありません", f.label()),
            RosterError::DuplicateColumn(f) => {
                format!("見出し行に「{}」の列が2つあります", f.label())
            }
            RosterError::Malformed { line, .. } => format!("{line} 行目で CSV が読めません"),
        }
    }
}

/// One row that did not import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterRowError {
    /// The line number (header = 1).
    pub line: u64,
    /// The voucher's errors (empty for a duplicate).
    pub errors: Vec<VoucherError>,
    /// For a duplicate 受診券整理番号: the line of the first row with it.
    pub duplicate_of: Option<u64>,
}

impl RosterRowError {
    /// The codes of the row's errors.
    pub fn codes(&self) -> Vec<&'static str> {
        if self.duplicate_of.is_some() {
            vec!["duplicate-voucher-number"]
        } else {
            self.errors.iter().map(VoucherError::code).collect()
        }
    }

    /// What reception staff read.
    pub fn message_ja(&self) -> String {
        let what = match self.duplicate_of {
            Some(first) => format!("受診券整理番号が {first} 行目と重複しています"),
            None => self
                .errors
                .iter()
                .map(VoucherError::message_ja)
                .collect::<Vec<_>>()
                .join("、"),
        };
        format!("{} 行目: {what}", self.line)
    }
}

/// One examinee on the roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterRow {
    /// The line number in the file (header = 1).
    pub line: u64,
    /// The voucher, validated and in normal form.
    pub voucher: Voucher,
}

/// What an import gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterImport {
    /// The encoding read.
    pub encoding: RosterEncoding,
    /// The rows that imported.
    pub rows: Vec<RosterRow>,
    /// The rows that did not, with why.
    pub errors: Vec<RosterRowError>,
    /// Header cells not understood (ignored).
    pub ignored_columns: Vec<String>,
}

/// UTF-8 (BOM or valid) or else CP932; the text without BOM.
pub fn decode_roster(bytes: &[u8]) -> Result<(RosterEncoding, String), RosterError> {
    if bytes.len() > MAX_ROSTER_BYTES {
        return Err(RosterError::TooLarge {
            size: bytes.len(),
            limit: MAX_ROSTER_BYTES,
        });
    }
    if let Some(body) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return core::str::from_utf8(body)
            .map(|s| (RosterEncoding::Utf8, s.to_owned()))
            .map_err(|e| RosterError::InvalidBytes {
                offset: 3 + e.valid_up_to(),
            });
    }
    if let Ok(s) = core::str::from_utf8(bytes) {
        return Ok((RosterEncoding::Utf8, s.to_owned()));
    }
    let (text, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes);
    if had_errors {
        let offset = text.find('\u{FFFD}').map_or(0, |i| {
            // The byte offset of the first replacement, re-encoded up to there.
            encoding_rs::SHIFT_JIS.encode(&text[..i]).0.len()
        });
        return Err(RosterError::InvalidBytes { offset });
    }
    Ok((RosterEncoding::Cp932, text.into_owned()))
}

/// Parses a roster file (see the module notes).
pub fn parse_roster(bytes: &[u8]) -> Result<RosterImport, RosterError> {
    let (encoding, text) = decode_roster(bytes)?;
    let mut import = parse_roster_text(&text)?;
    import.encoding = encoding;
    Ok(import)
}

fn header_key(cell: &str) -> String {
    super::normalize::fold_width_and_circles(cell)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{3000}' && *c != '\u{FEFF}')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The field a header cell names.
pub fn column_field(cell: &str) -> Option<VoucherField> {
    let key = header_key(cell);
    ROSTER_COLUMNS
        .iter()
        .find(|(_, names)| names.iter().any(|n| header_key(n) == key))
        .map(|(f, _)| *f)
}

/// One CSV record: the line it starts on and its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Record {
    line: u64,
    fields: Vec<String>,
}

/// Splits CSV text into records (RFC 4180): fields separated by `,`, quoted with `"` (a
/// doubled `""` inside is one `"`, and quoted fields may hold commas and line breaks); lines
/// end with CRLF, LF or CR. As Excel reads it, text after a closing quote joins the field.
/// A quote never closed is [`RosterError::Malformed`].
///
/// Written here rather than with the `csv` crate: the same reader runs in the browser
/// module, whose size budget the crate's reader and error formatting would overrun.
fn records(text: &str) -> Result<Vec<Record>, RosterError> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line: u64 = 1;
    while chars.peek().is_some() {
        let start = line;
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        loop {
            let Some(c) = chars.next() else {
                if quoted {
                    return Err(RosterError::Malformed {
                        line: start,
                        message: "a quoted field is never closed".into(),
                    });
                }
                fields.push(core::mem::take(&mut field));
                break;
            };
            if quoted {
                match c {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    '"' => quoted = false,
                    '\r' | '\n' => {
                        field.push(c);
                        if c == '\r' && chars.peek() == Some(&'\n') {
                            chars.next();
                            field.push('\n');
                        }
                        line += 1;
                    }
                    _ => field.push(c),
                }
                continue;
            }
            match c {
                '"' if field.is_empty() => quoted = true,
                ',' => fields.push(core::mem::take(&mut field)),
                '\r' | '\n' => {
                    if c == '\r' && chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    line += 1;
                    fields.push(core::mem::take(&mut field));
                    break;
                }
                _ => field.push(c),
            }
        }
        out.push(Record {
            line: start,
            fields,
        });
    }
    Ok(out)
}

/// Parses roster text (already decoded; a leading BOM is ignored).
pub fn parse_roster_text(text: &str) -> Result<RosterImport, RosterError> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let all = records(text)?;
    let mut records = all.into_iter();
    let blank = |r: &Record| r.fields.iter().all(|c| c.trim().is_empty());
    let header = loop {
        match records.next() {
            None => return Err(RosterError::Empty),
            Some(r) if blank(&r) => {}
            Some(r) => break r,
        }
    };
    let mut columns: Vec<Option<VoucherField>> = Vec::new();
    let mut ignored_columns = Vec::new();
    for cell in &header.fields {
        let f = column_field(cell);
        if let Some(f) = f {
            if columns.contains(&Some(f)) {
                return Err(RosterError::DuplicateColumn(f));
            }
        } else if !cell.trim().is_empty() {
            ignored_columns.push(cell.trim().to_owned());
        }
        columns.push(f);
    }
    for required in [
        VoucherField::InsurerNumber,
        VoucherField::InsuredIdentificationNumber,
    ] {
        if !columns.contains(&Some(required)) {
            return Err(RosterError::MissingColumn(required));
        }
    }
    let mut rows: Vec<RosterRow> = Vec::new();
    let mut errors = Vec::new();
    for record in records {
        let line = record.line;
        if blank(&record) {
            continue;
        }
        if rows.len() + errors.len() >= MAX_ROSTER_ROWS {
            return Err(RosterError::TooManyRows(MAX_ROSTER_ROWS));
        }
        let mut voucher = Voucher::default();
        for (cell, field) in record.fields.iter().zip(&columns) {
            if let Some(field) = field {
                voucher.set(*field, cell);
            }
        }
        match voucher.validate() {
            Ok(voucher) => {
                let first = voucher.voucher_number.as_ref().and_then(|n| {
                    rows.iter()
                        .find(|r| r.voucher.voucher_number.as_ref() == Some(n))
                        .map(|r| r.line)
                });
                if let Some(first) = first {
                    errors.push(RosterRowError {
                        line,
                        errors: Vec::new(),
                        duplicate_of: Some(first),
                    });
                } else {
                    rows.push(RosterRow { line, voucher });
                }
            }
            Err(e) => errors.push(RosterRowError {
                line,
                errors: e,
                duplicate_of: None,
            }),
        }
    }
    Ok(RosterImport {
        encoding: RosterEncoding::Utf8,
        rows,
        errors,
        ignored_columns,
    })
}

/// How a check found its row.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RosterMatch {
    /// By 保険者番号 + 記号・番号 (narrowed by the person where several rows share them).
    Numbers(usize),
    /// By the person (kana or name + birthdate): the numbers differ.
    Person(usize),
    /// Several rows fit equally (indexes); staff choose.
    Ambiguous(Vec<usize>),
    /// Not on the roster.
    None,
}

impl RosterMatch {
    /// `numbers` / `person` / `ambiguous` / `none`.
    pub const fn code(&self) -> &'static str {
        match self {
            RosterMatch::Numbers(_) => "numbers",
            RosterMatch::Person(_) => "person",
            RosterMatch::Ambiguous(_) => "ambiguous",
            RosterMatch::None => "none",
        }
    }

    /// The row, when exactly one.
    pub fn row(&self) -> Option<usize> {
        match self {
            RosterMatch::Numbers(i) | RosterMatch::Person(i) => Some(*i),
            _ => None,
        }
    }
}

fn same(a: Option<&str>, b: Option<&str>, f: fn(&str) -> String) -> Option<bool> {
    match (
        a.map(f).filter(|s| !s.is_empty()),
        b.map(f).filter(|s| !s.is_empty()),
    ) {
        (Some(a), Some(b)) => Some(a == b),
        _ => None,
    }
}

fn date_of(s: &str) -> String {
    parse_date(s).unwrap_or_else(|_| s.trim().to_owned())
}

fn sex_of(s: &str) -> String {
    parse_sex(s).map_or_else(|| s.trim().to_owned(), str::to_owned)
}

/// Whether the person fields agree: `Some(true)` all given agree, `Some(false)` one differs,
/// `None` nothing to compare.
fn person_agrees(v: &Voucher, r: &ResultFacts) -> Option<bool> {
    let kana = same(
        v.get(VoucherField::NameKana),
        r.name_kana.as_deref(),
        kana_key,
    );
    let name = if kana.is_some() {
        None
    } else {
        same(v.get(VoucherField::Name), r.name.as_deref(), name_key)
    };
    let checks = [
        kana,
        name,
        same(
            v.get(VoucherField::Birthdate),
            r.birthdate.as_deref(),
            date_of,
        ),
        same(v.get(VoucherField::Sex), r.sex.as_deref(), sex_of),
    ];
    if checks.contains(&Some(false)) {
        Some(false)
    } else if checks.iter().any(Option::is_some) {
        Some(true)
    } else {
        None
    }
}

/// Finds the roster row of a checked person (see the module notes).
pub fn match_to_roster<'a>(
    rows: impl IntoIterator<Item = &'a Voucher>,
    result: &ResultFacts,
) -> RosterMatch {
    let rows: Vec<&Voucher> = rows.into_iter().collect();
    let by_numbers: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, v)| {
            same(
                v.get(VoucherField::InsurerNumber),
                result.insurer_number.as_deref(),
                insurer_key,
            ) == Some(true)
                && same(
                    v.get(VoucherField::InsuredIdentificationNumber),
                    result.insured_identification_number.as_deref(),
                    symbol_key,
                ) == Some(true)
                && same(
                    v.get(VoucherField::InsuredCardSymbol),
                    result.insured_card_symbol.as_deref(),
                    symbol_key,
                ) != Some(false)
                && same(
                    v.get(VoucherField::InsuredBranchNumber),
                    result.insured_branch_number.as_deref(),
                    branch_key,
                ) != Some(false)
        })
        .map(|(i, _)| i)
        .collect();
    let narrowed: Vec<usize> = by_numbers
        .iter()
        .copied()
        .filter(|&i| person_agrees(rows[i], result) != Some(false))
        .collect();
    match narrowed.as_slice() {
        [one] => return RosterMatch::Numbers(*one),
        [] => {}
        several => return RosterMatch::Ambiguous(several.to_vec()),
    }
    // By the person: birthdate and a name must be given and agree.
    let by_person: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, v)| {
            let birth = same(
                v.get(VoucherField::Birthdate),
                result.birthdate.as_deref(),
                date_of,
            );
            let kana = same(
                v.get(VoucherField::NameKana),
                result.name_kana.as_deref(),
                kana_key,
            );
            let name = same(v.get(VoucherField::Name), result.name.as_deref(), name_key);
            birth == Some(true) && (kana == Some(true) || (kana.is_none() && name == Some(true)))
        })
        .map(|(i, _)| i)
        .collect();
    match by_person.as_slice() {
        [one] => RosterMatch::Person(*one),
        [] if by_numbers.is_empty() => RosterMatch::None,
        // Rows with the numbers exist, but the person differs everywhere: staff choose.
        [] => RosterMatch::Ambiguous(by_numbers),
        several => RosterMatch::Ambiguous(several.to_vec()),
    }
}

/// Where an examinee stands on the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DayStatus {
    /// Checked, no problem (`checked`, 確認済).
    Checked,
    /// Checked with a problem, or refused by the service (`problem`, 要確認).
    Problem,
    /// Queued offline, not yet sent (`pending`, 送信待ち).
    Pending,
    /// On the roster, no check yet (`not-yet`, 未確認).
    NotYet,
    /// A check matched to no row (`not-on-roster`, 名簿外).
    NotOnRoster,
}

impl DayStatus {
    /// The stable code.
    pub const fn code(self) -> &'static str {
        match self {
            DayStatus::Checked => "checked",
            DayStatus::Problem => "problem",
            DayStatus::Pending => "pending",
            DayStatus::NotYet => "not-yet",
            DayStatus::NotOnRoster => "not-on-roster",
        }
    }

    /// The Japanese label.
    pub const fn label(self) -> &'static str {
        match self {
            DayStatus::Checked => "確認済",
            DayStatus::Problem => "要確認",
            DayStatus::Pending => "送信待ち",
            DayStatus::NotYet => "未確認",
            DayStatus::NotOnRoster => "名簿外",
        }
    }

    /// The status of `code`.
    pub fn from_code(code: &str) -> Option<Self> {
        [
            DayStatus::Checked,
            DayStatus::Problem,
            DayStatus::Pending,
            DayStatus::NotYet,
            DayStatus::NotOnRoster,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }
}

/// One check of the day, as the day's list needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayCheck {
    /// The roster row it matched (index), if any.
    pub row: Option<usize>,
    /// Still in the offline queue.
    pub pending: bool,
    /// Problem codes (empty: honoured), or the service's refusal code.
    pub problems: Vec<String>,
    /// When (`yyyy-MM-ddTHH:mm:ss` or as the caller keeps it); the latest check of a row counts.
    pub checked_at: String,
    /// 目視 / PIN.
    pub mode: String,
    /// The operator.
    pub operator: String,
    /// What the check showed of the person (for rows not on the roster).
    pub person: Voucher,
}

/// One line of the day's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayEntry {
    /// The roster row, if any.
    pub row: Option<usize>,
    /// The latest check (index into the checks given), if any.
    pub check: Option<usize>,
    /// Where it stands.
    pub status: DayStatus,
}

/// The day's list: every roster row (in roster order) with its latest check, then the checks
/// that matched no row.
pub fn day_list(row_count: usize, checks: &[DayCheck]) -> Vec<DayEntry> {
    let status_of = |c: &DayCheck, on_roster: bool| {
        if c.pending {
            DayStatus::Pending
        } else if !c.problems.is_empty() {
            DayStatus::Problem
        } else if on_roster {
            DayStatus::Checked
        } else {
            DayStatus::NotOnRoster
        }
    };
    let mut out = Vec::with_capacity(row_count + checks.len());
    for row in 0..row_count {
        let latest = checks
            .iter()
            .enumerate()
            .filter(|(_, c)| c.row == Some(row))
            .max_by(|(ia, a), (ib, b)| a.checked_at.cmp(&b.checked_at).then(ia.cmp(ib)))
            .map(|(i, _)| i);
        out.push(DayEntry {
            row: Some(row),
            check: latest,
            status: latest.map_or(DayStatus::NotYet, |i| status_of(&checks[i], true)),
        });
    }
    for (i, c) in checks.iter().enumerate() {
        if c.row.is_none_or(|r| r >= row_count) {
            out.push(DayEntry {
                row: None,
                check: Some(i),
                status: status_of(c, false),
            });
        }
    }
    out
}

/// The encoding of the results CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExportEncoding {
    /// UTF-8 with a BOM (Excel 2016 and later read it as UTF-8).
    Utf8Bom,
    /// CP932 (every Excel on Japanese Windows).
    Cp932,
}

impl ExportEncoding {
    /// From `utf-8` / `utf-8-bom` / `cp932` / `shift_jis`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" | "utf-8-bom" => Some(ExportEncoding::Utf8Bom),
            "cp932" | "shift_jis" | "sjis" | "windows-31j" => Some(ExportEncoding::Cp932),
            _ => None,
        }
    }
}

/// The header of the results CSV.
pub const EXPORT_HEADER: [&str; 15] = [
    "状態",
    "受診券整理番号",
    "氏名",
    "氏名カナ",
    "生年月日",
    "性別",
    "保険者番号",
    "記号",
    "番号",
    "枝番",
    "確認日時",
    "確認方法",
    "担当者",
    "問題",
    "名簿の行",
];

fn cell(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if guarded.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// The results CSV as text (CRLF line ends, no BOM): see [`encode_export`].
pub fn export_csv(rows: &[RosterRow], checks: &[DayCheck]) -> String {
    let mut out = EXPORT_HEADER.map(cell).join(",");
    out.push_str("\r\n");
    for entry in day_list(rows.len(), checks) {
        let row = entry.row.map(|i| &rows[i]);
        let check = entry.check.map(|i| &checks[i]);
        let v = row
            .map(|r| &r.voucher)
            .or(check.map(|c| &c.person))
            .cloned()
            .unwrap_or_default();
        let get = |f| v.get(f).unwrap_or("").to_owned();
        let sex = match v.get(VoucherField::Sex) {
            Some("1") => "男".to_owned(),
            Some("2") => "女".to_owned(),
            other => other.unwrap_or("").to_owned(),
        };
        let problems = check
            .map(|c| {
                c.problems
                    .iter()
                    .map(|p| {
                        super::compare::Problem::from_code(p)
                            .map_or_else(|| p.clone(), |p| p.message_ja().to_owned())
                    })
                    .collect::<Vec<_>>()
                    .join(" / ")
            })
            .unwrap_or_default();
        let fields = [
            entry.status.label().to_owned(),
            get(VoucherField::VoucherNumber),
            get(VoucherField::Name),
            get(VoucherField::NameKana),
            get(VoucherField::Birthdate),
            sex,
            get(VoucherField::InsurerNumber),
            get(VoucherField::InsuredCardSymbol),
            get(VoucherField::InsuredIdentificationNumber),
            get(VoucherField::InsuredBranchNumber),
            check.map(|c| c.checked_at.clone()).unwrap_or_default(),
            check.map(|c| c.mode.clone()).unwrap_or_default(),
            check.map(|c| c.operator.clone()).unwrap_or_default(),
            problems,
            row.map(|r| r.line.to_string()).unwrap_or_default(),
        ];
        out.push_str(&fields.iter().map(|f| cell(f)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

/// The CSV text as bytes Excel opens correctly; with CP932, how many characters CP932 lacks
/// (each written as `〓`).
pub fn encode_export(text: &str, encoding: ExportEncoding) -> (Vec<u8>, usize) {
    match encoding {
        ExportEncoding::Utf8Bom => {
            let mut out = b"\xEF\xBB\xBF".to_vec();
            out.extend_from_slice(text.as_bytes());
            (out, 0)
        }
        ExportEncoding::Cp932 => {
            let mut replaced = 0;
            let carried: String = text
                .chars()
                .map(|c| {
                    if crate::oqs::cp932::cp932_carries(c) {
                        c
                    } else {
                        replaced += 1;
                        '〓'
                    }
                })
                .collect();
            let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(&carried);
            (bytes.into_owned(), replaced)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROSTER: &str = "受診券整理番号,保険者番号,記号,番号,枝番,氏名,氏名カナ,生年月日,性別,有効期限,予約時刻\r\n\
        25100000001,01130012,12-34,567,,山田　太郎,ﾔﾏﾀﾞ ﾀﾛｳ,1985/4/1,男,20260331,09:00\r\n\
        25100000002,01130012,12-34,567,,山田　花子,ﾔﾏﾀﾞ ﾊﾅｺ,1987/5/5,女,20260331,09:10\r\n\
        25100000003,01130013,1,2,,誤り　一郎,,1990/1/1,男,20260331,09:20\r\n\
        \r\n\
        25100000004,00138057,\"国,1\",99,,鈴木　次郎,すずき　じろう,S50.1.2,1,20260331,09:30\r\n";

    #[test]
    fn a_roster_imports_and_a_bad_row_is_reported_by_line() {
        let import = parse_roster(ROSTER.as_bytes()).unwrap();
        assert_eq!(import.encoding, RosterEncoding::Utf8);
        assert_eq!(import.rows.len(), 3);
        assert_eq!(
            import.rows.iter().map(|r| r.line).collect::<Vec<_>>(),
            [2, 3, 6]
        );
        assert_eq!(import.errors.len(), 1);
        assert_eq!(import.errors[0].line, 4);
        assert_eq!(import.errors[0].codes(), ["insurer-number-invalid"]);
        assert!(
            import.errors[0]
                .message_ja()
                .starts_with("4 行目: 保険者番号")
        );
        assert_eq!(import.ignored_columns, ["予約時刻"]);
        let v = &import.rows[2].voucher;
        assert_eq!(v.insured_card_symbol.as_deref(), Some("国,1"));
        assert_eq!(v.birthdate.as_deref(), Some("19750102"));
    }

    #[test]
    fn cp932_and_bom_rosters_read_the_same() {
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(ROSTER);
        let import = parse_roster(&sjis).unwrap();
        assert_eq!(import.encoding, RosterEncoding::Cp932);
        let utf8 = parse_roster(ROSTER.as_bytes()).unwrap();
        assert_eq!(import.rows, utf8.rows);
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(ROSTER.as_bytes());
        assert_eq!(parse_roster(&bom).unwrap().rows, utf8.rows);
    }

    #[test]
    fn file_level_errors_have_codes() {
        assert_eq!(parse_roster(b"").unwrap_err().code(), "roster-empty");
        assert_eq!(
            parse_roster("氏名,番号\n山田,1\n".as_bytes()).unwrap_err(),
            RosterError::MissingColumn(VoucherField::InsurerNumber)
        );
        assert_eq!(
            parse_roster("保険者番号,番号,insurerNumber\n".as_bytes())
                .unwrap_err()
                .code(),
            "roster-duplicate-column"
        );
        assert_eq!(
            parse_roster(b"\x82\xa0\xff\xff").unwrap_err().code(),
            "roster-invalid-bytes"
        );
        let big = vec![b'a'; MAX_ROSTER_BYTES + 1];
        assert_eq!(parse_roster(&big).unwrap_err().code(), "roster-too-large");
    }

    #[test]
    fn the_csv_reader_follows_rfc_4180_and_counts_lines() {
        let r = records("a,\"b,\"\"c\"\"\"\r\n\"x\r\ny\",z\rlast\n\n\"q\"t,").unwrap();
        let got: Vec<(u64, Vec<&str>)> = r
            .iter()
            .map(|r| (r.line, r.fields.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            got,
            [
                (1, vec!["a", "b,\"c\""]),
                (2, vec!["x\r\ny", "z"]),
                (4, vec!["last"]),
                (5, vec![""]),
                (6, vec!["qt", ""]),
            ]
        );
        assert_eq!(
            records("a,\"b\nc").unwrap_err(),
            RosterError::Malformed {
                line: 1,
                message: "a quoted field is never closed".into()
            }
        );
    }

    #[test]
    fn header_names_fold_width_and_spaces() {
        assert_eq!(
            column_field(" 保険者 番号 "),
            Some(VoucherField::InsurerNumber)
        );
        assert_eq!(
            column_field("ＩＮＳＵＲＥＲＮＵＭＢＥＲ"),
            Some(VoucherField::InsurerNumber)
        );
        assert_eq!(column_field("フリガナ"), Some(VoucherField::NameKana));
        assert_eq!(column_field("住所"), None);
    }

    #[test]
    fn duplicate_voucher_numbers_are_reported() {
        let text =
            "受診券整理番号,保険者番号,番号\n25100000001,01130012,1\n25100000001,01130012,2\n";
        let import = parse_roster_text(text).unwrap();
        assert_eq!(import.rows.len(), 1);
        assert_eq!(import.errors[0].codes(), ["duplicate-voucher-number"]);
        assert_eq!(import.errors[0].duplicate_of, Some(2));
    }

    fn facts(name_kana: &str, birthdate: &str, sex: &str) -> ResultFacts {
        ResultFacts {
            insurer_number: Some("01130012".into()),
            insured_card_symbol: Some("１２－３４".into()),
            insured_identification_number: Some("567".into()),
            insured_branch_number: Some("01".into()),
            name_kana: Some(name_kana.into()),
            birthdate: Some(birthdate.into()),
            sex: Some(sex.into()),
            ..Default::default()
        }
    }

    #[test]
    fn checks_match_by_numbers_then_person() {
        let import = parse_roster(ROSTER.as_bytes()).unwrap();
        let rows: Vec<&Voucher> = import.rows.iter().map(|r| &r.voucher).collect();
        // Two family members share the numbers: the person picks the row.
        let hanako = facts("ヤマダ　ハナコ", "19870505", "2");
        assert_eq!(
            match_to_roster(rows.clone(), &hanako),
            RosterMatch::Numbers(1)
        );
        let taro = facts("ﾔﾏﾀﾞ ﾀﾛｳ", "19850401", "1");
        assert_eq!(
            match_to_roster(rows.clone(), &taro),
            RosterMatch::Numbers(0)
        );
        // Insurance changed: found by the person.
        let mut jiro = facts("ｽｽﾞｷ ｼﾞﾛｳ", "19750102", "1");
        jiro.insurer_number = Some("06270011".into());
        assert_eq!(match_to_roster(rows.clone(), &jiro), RosterMatch::Person(2));
        // A 国保 number written 00 + 6 digits on the roster.
        let mut jiro6 = facts("ｽｽﾞｷ ｼﾞﾛｳ", "19750102", "1");
        jiro6.insurer_number = Some("  138057".into());
        jiro6.insured_card_symbol = Some("国,1".into());
        jiro6.insured_identification_number = Some("９９".into());
        assert_eq!(
            match_to_roster(rows.clone(), &jiro6),
            RosterMatch::Numbers(2)
        );
        assert_eq!(
            match_to_roster(rows.clone(), &facts("ダレカ", "20000101", "1")),
            RosterMatch::Ambiguous(vec![0, 1])
        );
        let mut stranger = facts("ダレカ", "20000101", "1");
        stranger.insurer_number = Some("06270011".into());
        assert_eq!(match_to_roster(rows, &stranger), RosterMatch::None);
    }

    #[test]
    fn the_days_list_counts_the_latest_check() {
        let checks = vec![
            DayCheck {
                row: Some(0),
                problems: vec!["person-mismatch".into()],
                checked_at: "2025-06-01T09:00:00".into(),
                ..Default::default()
            },
            DayCheck {
                row: Some(0),
                checked_at: "2025-06-01T09:05:00".into(),
                ..Default::default()
            },
            DayCheck {
                row: Some(1),
                pending: true,
                ..Default::default()
            },
            DayCheck {
                row: None,
                ..Default::default()
            },
        ];
        let list = day_list(3, &checks);
        let statuses: Vec<_> = list.iter().map(|e| e.status.code()).collect();
        assert_eq!(statuses, ["checked", "pending", "not-yet", "not-on-roster"]);
        assert_eq!(list[0].check, Some(1));
    }

    #[test]
    fn the_export_opens_in_excel_and_runs_no_formula() {
        let import = parse_roster(ROSTER.as_bytes()).unwrap();
        let checks = vec![DayCheck {
            row: Some(0),
            problems: vec!["voucher-expired".into()],
            checked_at: "2025-06-01T09:00:00".into(),
            mode: "目視".into(),
            operator: "=cmd|' /C calc'!A0".into(),
            ..Default::default()
        }];
        let text = export_csv(&import.rows, &checks);
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines[0], EXPORT_HEADER.join(","));
        assert!(
            lines[1].starts_with("要確認,25100000001,山田　太郎,"),
            "{}",
            lines[1]
        );
        assert!(lines[1].contains(",'=cmd|' /C calc'!A0,受診券の有効期限が切れています,2"));
        assert!(lines[3].contains("\"国,1\""));
        assert!(lines[4].is_empty() && lines.len() == 5);
        let (utf8, _) = encode_export(&text, ExportEncoding::Utf8Bom);
        assert!(utf8.starts_with(b"\xEF\xBB\xBF\xE7\x8A\xB6"));
        let (sjis, lost) = encode_export(&format!("{text}🙂"), ExportEncoding::Cp932);
        assert_eq!(lost, 1);
        let (back, _, errors) = encoding_rs::SHIFT_JIS.decode(&sjis);
        assert!(!errors);
        assert_eq!(back, format!("{text}〓"));
    }
}
