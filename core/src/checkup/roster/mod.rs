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
//!
//! ## Layout
//! `import.rs` reads the CSV, `matching.rs` finds a check's row, `day.rs` builds the day's
//! list and `export.rs` writes the results CSV; everything public is re-exported here.

mod day;
mod export;
mod import;
mod matching;

pub use day::{DayCheck, DayEntry, DayStatus, day_list};
pub use export::{EXPORT_HEADER, ExportEncoding, encode_export, export_csv};
pub use import::{
    MAX_ROSTER_BYTES, MAX_ROSTER_ROWS, ROSTER_COLUMNS, RosterEncoding, RosterError, RosterImport,
    RosterRow, RosterRowError, column_field, decode_roster, parse_roster, parse_roster_text,
};
pub use matching::{RosterMatch, match_to_roster};

#[cfg(test)]
mod tests;
