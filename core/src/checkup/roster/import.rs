//! Reading the roster CSV: the encoding, the header, one validated row per examinee.

use crate::checkup::voucher::{Voucher, VoucherError, VoucherField};

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
    crate::checkup::normalize::fold_width_and_circles(cell)
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
pub(super) struct Record {
    pub(super) line: u64,
    pub(super) fields: Vec<String>,
}

/// Splits CSV text into records (RFC 4180): fields separated by `,`, quoted with `"` (a
/// doubled `""` inside is one `"`, and quoted fields may hold commas and line breaks); lines
/// end with CRLF, LF or CR. As Excel reads it, text after a closing quote joins the field.
/// A quote never closed is [`RosterError::Malformed`].
///
/// Written here rather than with the `csv` crate: the same reader runs in the browser
/// module, whose size budget the crate's reader and error formatting would overrun.
pub(super) fn records(text: &str) -> Result<Vec<Record>, RosterError> {
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
