//! The official マイナ資格確認アプリ's copied result text, both ways: [`to_copy_text`] writes
//! an [`XmlMsg`] the way the app puts its result on the clipboard, and [`parse_copy_text`]
//! turns such a text back into the `XmlMsg` tree that [`super::parse`](crate::oqs::parse) gives for the XML.
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
//! are written only when the result has them. [`to_copy_text_with_identity`] adds, on
//! request and only for a smartphone, a `本人確認` line at the end of 資格情報 (issue 14;
//! `docs/copy-text.md` says why it is not written by default). What the format has no label for (the
//! 限度額 区分, 交付年月日, 郵便番号, …) is not in the text: a round trip keeps exactly the
//! fields the format carries.
//!
//! `負担割合` in 資格情報 is `InsuredPartialContributionRatio` (the 後期高齢者 ratio) as the
//! data has it — never a ratio derived from the law ([`ratio`](crate::oqs::shown_ratio) is for display).
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
//!
//! ## Layout
//! `labels.rs` is the format: each section's labels, in the app's order, with how each value
//! is written and read and where it lives in the model. `write.rs` and `read.rs` are the two
//! directions over that one table.

mod labels;
mod read;
mod write;

pub use read::parse_copy_text;
pub use write::{
    IDENTITY_LABEL, copy_text_date, identity_label, to_copy_text, to_copy_text_with_identity,
    token_label,
};

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
