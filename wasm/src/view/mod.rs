//! The 資格情報 as shown to staff: a read model over the `XmlMsg` JSON view, the panel's
//! sections and rows, and the copy text.
//!
//! The renderer and `copyText` read the JSON view (what `parseQualificationXml` and
//! `confirmQualification` return), not the XML, so a page may render a result it kept or got
//! from its own server. Labels come from the core's code tables (never from the JSON's
//! `…Label` fields), and dates go through the core's 和暦 conversion.
//!
//! ## Layout
//! - `read`: reading JS values without failing ([`Text`], [`FromJs`], the `js_view!` macro).
//! - `qualification`: the view structs ([`QualificationView`] and its parts) and the
//!   validity [`Status`].
//! - `panel`: the panel's [`Section`]s and [`Row`]s, labels and dates (and the 負担割合 rule).
//! - `identity`: 本人確認, which token answered and how ([`IdentityView`], issue 14).
//! - `message`: the view back to the core's `XmlMsg` ([`to_message`]) and [`copy_text`].
//! - `voucher`: the 受診券 ([`VoucherView`]), what the 受診券照合 reads, and its JS result
//!   ([`VoucherComparisonView`]).

#[macro_use]
mod read;
mod identity;
mod message;
mod panel;
mod qualification;
mod voucher;

pub use identity::IdentityView;
pub use message::{copy_text, copy_text_with_identity, to_message};
pub use panel::{
    Row, Section, SectionKind, Value, code_label, display_date, ratio_label, sections, wareki_date,
};
pub use qualification::{
    BodyView, ElderlyView, HeaderView, LimitView, QualificationView, ResultView, Status,
};
pub use read::{FromJs, Text};
pub use voucher::{VoucherComparisonView, VoucherLabels, VoucherView, outcome};

#[cfg(test)]
mod tests;
