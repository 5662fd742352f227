//! The results CSV, as Excel opens it.

use super::{DayCheck, RosterRow, day_list};
use crate::checkup::voucher::VoucherField;

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
                        crate::checkup::compare::Problem::from_code(p)
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
