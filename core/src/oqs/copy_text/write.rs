//! [`to_copy_text`]: an `XmlMsg` as the app copies it.

use super::labels::{
    BACK, CONFIRMATION_CELL, ELDERLY, ERROR_CODE_LABEL, ERROR_MESSAGE_LABEL, Field, Kind, LIMIT,
    PRESCHOOL_WORD, QUALIFICATION, Section, VALIDITY_LABEL,
};
use crate::oqs::codes::{
    Code, ContributionRatio, InsuredCardClassification, LimitApplicationCertificateClassification,
    LimitApplicationCertificateClassificationFlag, PersonalFamilyClassification,
    PreschoolClassification, QualificationValidity, Sex,
};
use crate::oqs::model::{ResultOfQualificationConfirmation, XmlMsg};
use crate::wareki::{GregorianDate, Wareki};
use crate::wire::Token;
use crate::wire::service::ConfirmationMode;

/// `yyyyMMdd` → `令和6年4月1日` (numeric year, `令和1年` for the first year); anything else
/// stays as given.
pub fn copy_text_date(yyyymmdd: &str) -> String {
    GregorianDate::parse_yyyymmdd(yyyymmdd)
        .and_then(Wareki::from_gregorian)
        .map(|w| {
            format!(
                "{}{}年{}月{}日",
                w.era().label(),
                w.year(),
                w.month(),
                w.day()
            )
        })
        .unwrap_or_else(|_| yyyymmdd.to_owned())
}

fn write_value(kind: Kind, raw: &str) -> String {
    let label = |l: Option<&'static str>| l.map_or_else(|| raw.to_owned(), str::to_owned);
    match kind {
        Kind::Text => raw.to_owned(),
        Kind::Date => copy_text_date(raw),
        Kind::Sex => label(Code::<Sex>::from_raw(raw).label()),
        Kind::Family => label(Code::<PersonalFamilyClassification>::from_raw(raw).label()),
        Kind::CardClass => label(Code::<InsuredCardClassification>::from_raw(raw).label()),
        Kind::Ratio => label(ContributionRatio::from_raw(raw).label()),
        Kind::Preschool => {
            if Code::<PreschoolClassification>::from_raw(raw).is(PreschoolClassification::Preschool)
            {
                PRESCHOOL_WORD.to_owned()
            } else {
                raw.to_owned()
            }
        }
        Kind::LimitClass => {
            label(Code::<LimitApplicationCertificateClassification>::from_raw(raw).label())
        }
        Kind::LimitFlag => {
            label(Code::<LimitApplicationCertificateClassificationFlag>::from_raw(raw).label())
        }
    }
}

/// Tabs and line breaks inside a value would break the format.
fn one_line(v: &str) -> String {
    v.replace(['\t', '\r', '\n'], " ")
}

struct Lines(String);

impl Lines {
    fn line(&mut self, s: &str) {
        self.0.push_str(s);
        self.0.push_str("\r\n");
    }
    fn cell(&mut self, label: &str, value: &str) {
        self.0.push_str(label);
        self.0.push('\t');
        self.0.push_str(&one_line(value));
        self.0.push_str("\r\n");
    }
    fn fields(&mut self, fields: &[Field], r: &ResultOfQualificationConfirmation) {
        for f in fields {
            match (f.get)(r) {
                Some(raw) => self.cell(f.label, &write_value(f.kind, &raw)),
                None if f.always => self.cell(f.label, ""),
                None => {}
            }
        }
    }
}

/// The label of the optional line that says a smartphone was used
/// ([`to_copy_text_with_identity`]).
pub const IDENTITY_LABEL: &str = "本人確認";

/// The token in Japanese: `マイナンバーカード`, `スマートフォン（Android）`,
/// `スマートフォン（iPhone）`.
pub const fn token_label(token: Token) -> &'static str {
    match token {
        Token::Card => "マイナンバーカード",
        Token::Android => "スマートフォン（Android）",
        Token::Iphone => "スマートフォン（iPhone）",
    }
}

/// How the patient was identified, in Japanese, as the panel's `本人確認` shows it:
/// `スマートフォン（Android）・暗証番号`, `マイナンバーカード・目視`.
pub fn identity_label(token: Token, mode: ConfirmationMode) -> String {
    let mode = match mode {
        ConfirmationMode::Pin => "暗証番号",
        ConfirmationMode::Visual => "目視",
    };
    format!("{}・{mode}", token_label(token))
}

/// The copied-result text of `msg`, exactly as the official app lays it out (see the
/// module documentation): CRLF line ends, one block per result.
pub fn to_copy_text(msg: &XmlMsg) -> String {
    write(msg, None)
}

/// [`to_copy_text`], plus — only when `token` is a smartphone — a line
/// `本人確認<TAB>スマートフォン（Android）・暗証番号` as the last line of each 資格情報
/// section (before `裏面記載情報`). For the card this is exactly [`to_copy_text`], byte for
/// byte; so is an error answer or an answer without results (nothing an importer takes).
///
/// The official app's text has no such label and importers stop on a label they do not
/// know, so pages write it only when asked (`copyText(result, {identityLine: true})`);
/// [`super::parse_copy_text`] keeps it in the result's `extra` (`docs/copy-text.md`).
pub fn to_copy_text_with_identity(msg: &XmlMsg, token: Token, mode: ConfirmationMode) -> String {
    match token {
        Token::Card => write(msg, None),
        Token::Android | Token::Iphone => write(msg, Some(&identity_label(token, mode))),
    }
}

fn write(msg: &XmlMsg, identity: Option<&str>) -> String {
    let mut out = Lines(String::with_capacity(1024));
    let confirmed = msg
        .message_header
        .qualification_confirmation_date
        .as_deref()
        .map(copy_text_date)
        .unwrap_or_default();
    let validity = msg.message_body.qualification_validity.as_ref();
    let valid = validity.is_some_and(|v| {
        v.is(QualificationValidity::Valid) || v.is(QualificationValidity::ValidUnregistered)
    });
    let results = msg.results();
    if msg.is_error() || results.is_empty() {
        out.line(Section::Qualification.title());
        out.cell(CONFIRMATION_CELL, &confirmed);
        let label = if msg.is_error() {
            "照会エラー".to_owned()
        } else {
            validity.map_or_else(String::new, |v| v.to_string())
        };
        out.cell(VALIDITY_LABEL, &label);
        if let Some(code) = &msg.message_header.error_code {
            out.cell(ERROR_CODE_LABEL, code);
        }
        if let Some(message) = &msg.message_header.error_message {
            out.cell(ERROR_MESSAGE_LABEL, message);
        }
        return out.0;
    }
    for (i, r) in results.iter().enumerate() {
        if i > 0 {
            out.line("");
        }
        out.line(Section::Qualification.title());
        out.cell(CONFIRMATION_CELL, &confirmed);
        if !valid && validity.is_some() {
            out.cell(
                VALIDITY_LABEL,
                &validity.map_or_else(String::new, |v| v.to_string()),
            );
        }
        out.fields(QUALIFICATION, r);
        if let Some(identity) = identity {
            out.cell(IDENTITY_LABEL, identity);
        }
        out.line(Section::Back.title());
        out.fields(BACK, r);
        if ELDERLY.iter().any(|f| (f.get)(r).is_some()) {
            out.line(Section::Elderly.title());
            out.fields(ELDERLY, r);
        }
        if LIMIT.iter().any(|f| (f.get)(r).is_some()) {
            out.line(Section::Limit.title());
            out.fields(LIMIT, r);
        }
    }
    out.0
}
