//! [`parse_copy_text`]: the app's copied text back into an `XmlMsg`.

use super::labels::{
    CONFIRMATION_LABEL, ERROR_CODE_LABEL, ERROR_MESSAGE_LABEL, Kind, PRESCHOOL_WORD, QUALIFICATION,
    Section, VALIDITY_LABEL,
};
use super::{CopyTextError, MAX_COPY_TEXT_BYTES, UNKNOWN_FIELD_ELEMENT};
use crate::oqs::codes::{
    CharacterCodeIdentifier, Code, CodeTable, InsuredCardClassification,
    LimitApplicationCertificateClassification, LimitApplicationCertificateClassificationFlag,
    PersonalFamilyClassification, PreschoolClassification, ProcessingResultStatus,
    QualificationValidity, ReferenceClassification, SegmentOfResult, Sex,
};
use crate::oqs::element::UnknownElement;
use crate::oqs::model::{ResultOfQualificationConfirmation, XmlMsg};
use crate::wareki::{GregorianDate, Wareki};

impl Section {
    /// The section a title line opens (full-width punctuation and spaces folded).
    fn of(line: &str) -> Option<Section> {
        let folded = fold(line);
        Section::ALL.into_iter().find(|s| s.title() == folded)
    }
}

/// Full-width parentheses, colon and spaces to ASCII, for comparing section titles and
/// words.
fn fold(s: &str) -> String {
    s.trim_matches(|c: char| c.is_whitespace())
        .chars()
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            '：' => ':',
            c @ '０'..='９' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            c => c,
        })
        .collect()
}

/// The first characters of `s`, for an error message.
fn snippet(s: &str) -> String {
    s.chars().take(40).collect()
}

fn from_label<T: CodeTable>(word: &str) -> Option<String> {
    T::ALL
        .iter()
        .find(|v| v.label() == word)
        .map(|v| v.code().to_owned())
}

fn read_date(value: &str) -> Option<String> {
    if let Ok(w) = Wareki::parse(value) {
        return Some(w.to_gregorian().to_yyyymmdd());
    }
    let digits: String = fold(value)
        .chars()
        .filter(|c| !matches!(c, '/' | '-' | '.'))
        .collect();
    GregorianDate::parse_yyyymmdd(&digits)
        .ok()
        .map(GregorianDate::to_yyyymmdd)
}

fn read_ratio(value: &str) -> Option<String> {
    let folded = fold(value);
    let n: u8 = folded.strip_suffix('割')?.parse().ok()?;
    (n <= 10).then(|| format!("{:03}", u16::from(n) * 10))
}

fn read_value(kind: Kind, value: &str) -> Option<String> {
    let word = fold(value);
    match kind {
        Kind::Text => Some(value.to_owned()),
        Kind::Date => read_date(value),
        Kind::Sex => from_label::<Sex>(match word.as_str() {
            "男性" => "男",
            "女性" => "女",
            w => w,
        }),
        Kind::Family => from_label::<PersonalFamilyClassification>(&word),
        Kind::CardClass => from_label::<InsuredCardClassification>(&word),
        Kind::Ratio => read_ratio(value),
        Kind::Preschool => matches!(word.as_str(), PRESCHOOL_WORD | "未就学")
            .then(|| PreschoolClassification::Preschool.code().to_owned()),
        Kind::LimitClass => from_label::<LimitApplicationCertificateClassification>(&word),
        Kind::LimitFlag => from_label::<LimitApplicationCertificateClassificationFlag>(&word),
    }
}

/// A result being read, with the labels seen in its current section.
struct Reading {
    result: ResultOfQualificationConfirmation,
    opened_by: Section,
    section: Section,
    seen: Vec<&'static str>,
    seen_unknown: Vec<String>,
    qualification_labels: Vec<&'static str>,
    /// Whether `result` differs from its default: a field set (every setter writes a
    /// `Some`), an unknown field kept, or the 医療扶助 section's classification. Tracked
    /// instead of comparing with the default (a 1.6 KB comparison in the browser module).
    filled: bool,
}

impl Reading {
    fn new(section: Section) -> Self {
        let mut result = ResultOfQualificationConfirmation::default();
        if section == Section::QualificationAssistance {
            result.insured_card_classification =
                Some(InsuredCardClassification::MedicalAssistance.into());
        }
        Self {
            result,
            opened_by: section,
            section,
            seen: Vec::new(),
            seen_unknown: Vec::new(),
            qualification_labels: Vec::new(),
            filled: section == Section::QualificationAssistance,
        }
    }

    fn enter(&mut self, section: Section) {
        self.section = section;
        self.seen.clear();
        self.seen_unknown.clear();
    }
}

/// What the 資格情報 cells outside the result say.
#[derive(Default)]
struct Extras {
    confirmation_date: Option<String>,
    saw_confirmation: bool,
    validity: Option<String>,
    error_code: Option<String>,
    error_message: Option<String>,
}

/// `text` with each CRLF and lone CR made LF (as `replace("\r\n", "\n")` then
/// `replace('\r', "\n")`, without `str`'s substring search: issue 15, the module's size).
fn lf_line_ends(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            chars.next_if_eq(&'\n');
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    out
}

/// Reads the official app's copied result (see the module documentation) into the
/// `XmlMsg` tree [`super::parse`] gives for the XML: `MessageHeader` with the
/// `QualificationConfirmationDate` of `確認日`, `SegmentOfResult` 1 (9 with an
/// `エラーコード`), `ReferenceClassification` 1 (card) and `CharacterCodeIdentifier` 0;
/// `MessageBody` with `ProcessingResultStatus`, `QualificationValidity` (1 unless the text
/// says otherwise) and one `ResultOfQualificationConfirmation` per 資格情報 section; dates
/// `yyyyMMdd`, codes from the words, 記号・番号 as written.
pub fn parse_copy_text(text: &str) -> Result<XmlMsg, CopyTextError> {
    if text.len() > MAX_COPY_TEXT_BYTES {
        return Err(CopyTextError::TooLarge {
            size: text.len(),
            limit: MAX_COPY_TEXT_BYTES,
        });
    }
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut results: Vec<Reading> = Vec::new();
    let mut extras = Extras::default();
    let mut any_line = false;
    // CRLF, LF and a lone CR each end one line (so `line` in errors counts as editors do).
    let text = lf_line_ends(text);
    for (index, raw_line) in text.split('\n').enumerate() {
        let number = index + 1;
        let line = raw_line.trim_matches(|c: char| c == ' ' || c == '\u{3000}');
        if line.trim().is_empty() {
            continue;
        }
        let first = !any_line;
        any_line = true;
        let Some((label, value)) = line.split_once('\t') else {
            match Section::of(line) {
                Some(section) if section.opens_result() => {
                    results.push(Reading::new(section));
                }
                Some(section) if !first => {
                    if let Some(current) = results.last_mut() {
                        current.enter(section);
                    }
                }
                _ if first => {
                    return Err(CopyTextError::NotCopyText {
                        line: number,
                        found: snippet(line),
                    });
                }
                _ => {
                    return Err(CopyTextError::Malformed {
                        line: number,
                        reason: "neither a section nor label<TAB>value",
                    });
                }
            }
            continue;
        };
        let Some(current) = results.last_mut() else {
            return Err(CopyTextError::NotCopyText {
                line: number,
                found: snippet(line),
            });
        };
        if value.contains('\t') {
            return Err(CopyTextError::Malformed {
                line: number,
                reason: "more than one TAB",
            });
        }
        let label = label.trim_matches(|c: char| c.is_whitespace());
        // ASCII white space around the value, and at its end the spaces the line's own trim
        // takes (` `, U+3000): a value ending in U+3000 before a control character (`佐藤　花子　\x0c`)
        // must read as its written form reads again (fuzz finding, `copy_text`).
        let value = value
            .trim_start_matches(|c: char| c.is_ascii_whitespace())
            .trim_end_matches(|c: char| c.is_ascii_whitespace() || c == '\u{3000}');
        read_cell(current, &mut extras, number, label, value)?;
    }
    if !any_line {
        return Err(CopyTextError::Empty);
    }
    finish(results, extras)
}

fn read_cell(
    current: &mut Reading,
    extras: &mut Extras,
    line: usize,
    label: &str,
    value: &str,
) -> Result<(), CopyTextError> {
    let in_qualification = current.section.opens_result();
    if in_qualification {
        let compact: String = fold(label)
            .chars()
            .filter(|c| !c.is_whitespace() && *c != ':')
            .collect();
        if compact == CONFIRMATION_LABEL {
            if current.seen.contains(&CONFIRMATION_LABEL) {
                return Err(duplicate(line));
            }
            current.seen.push(CONFIRMATION_LABEL);
            extras.saw_confirmation = true;
            if !value.is_empty() {
                let date = read_date(value).ok_or_else(|| CopyTextError::InvalidValue {
                    line,
                    label: CONFIRMATION_LABEL.to_owned(),
                    value: snippet(value),
                    expected: Kind::Date.expected(),
                })?;
                extras.confirmation_date.get_or_insert(date);
            }
            return Ok(());
        }
        let slot = match label {
            VALIDITY_LABEL => Some(&mut extras.validity),
            ERROR_CODE_LABEL => Some(&mut extras.error_code),
            ERROR_MESSAGE_LABEL => Some(&mut extras.error_message),
            _ => None,
        };
        if let Some(slot) = slot {
            if !value.is_empty() {
                slot.get_or_insert_with(|| value.to_owned());
            }
            return Ok(());
        }
    }
    let field = current
        .section
        .fields()
        .iter()
        .flat_map(|fields| fields.iter())
        .find(|f| f.label == label);
    let Some(field) = field else {
        if current.seen_unknown.iter().any(|l| l == label) {
            return Err(duplicate(line));
        }
        current.seen_unknown.push(label.to_owned());
        let kept = unknown_field(current.section.title(), label, value);
        current.result.extra.push(kept);
        current.filled = true;
        return Ok(());
    };
    if current.seen.contains(&field.label) {
        return Err(duplicate(line));
    }
    current.seen.push(field.label);
    if in_qualification {
        current.qualification_labels.push(field.label);
    }
    if value.is_empty() {
        return Ok(());
    }
    let raw = read_value(field.kind, value).ok_or_else(|| CopyTextError::InvalidValue {
        line,
        label: field.label.to_owned(),
        value: snippet(value),
        expected: field.kind.expected(),
    })?;
    (field.set)(&mut current.result, raw);
    current.filled = true;
    Ok(())
}

fn duplicate(line: usize) -> CopyTextError {
    CopyTextError::Malformed {
        line,
        reason: "a label given twice in one section",
    }
}

/// Kept as `<CopyTextField><Section/><Label/><Value/></CopyTextField>`. Built from parts:
/// the names are fixed ASCII XML names, and checking them through [`UnknownElement::new`]
/// would link the CP932 encoder's tables into the browser module for nothing.
fn unknown_field(section: &str, label: &str, value: &str) -> UnknownElement {
    let part = |name: &str, text: &str| {
        UnknownElement::from_parts(name.to_owned(), text.to_owned(), Vec::new())
    };
    part(UNKNOWN_FIELD_ELEMENT, "")
        .with_child(part("Section", section))
        .with_child(part("Label", label))
        .with_child(part("Value", value))
}

fn finish(results: Vec<Reading>, extras: Extras) -> Result<XmlMsg, CopyTextError> {
    let is_error = extras.error_code.is_some();
    let validity = match &extras.validity {
        Some(word) => from_label::<QualificationValidity>(&fold(word)),
        None => None,
    };
    let only_status = is_error || extras.validity.is_some();
    if !extras.saw_confirmation {
        return Err(CopyTextError::Truncated {
            section: Section::Qualification.title().to_owned(),
            label: CONFIRMATION_LABEL,
        });
    }
    let mut out = Vec::with_capacity(results.len());
    for reading in results {
        if !only_status && reading.opened_by != Section::QualificationAssistance {
            if let Some(missing) = QUALIFICATION
                .iter()
                .filter(|f| f.always)
                .find(|f| !reading.qualification_labels.contains(&f.label))
            {
                return Err(CopyTextError::Truncated {
                    section: reading.opened_by.title().to_owned(),
                    label: missing.label,
                });
            }
        }
        debug_assert_eq!(
            reading.filled,
            reading.result != ResultOfQualificationConfirmation::default()
        );
        let has_content = !reading.qualification_labels.is_empty() || reading.filled;
        if has_content {
            out.push(reading.result);
        }
    }
    let mut msg = XmlMsg::default();
    let header = &mut msg.message_header;
    header.qualification_confirmation_date = extras.confirmation_date;
    header.reference_classification = Some(ReferenceClassification::Card.into());
    header.character_code_identifier = Some(CharacterCodeIdentifier::Utf8.into());
    let body = &mut msg.message_body;
    if is_error {
        header.segment_of_result = Some(SegmentOfResult::Abnormal.into());
        header.error_code = extras.error_code;
        header.error_message = extras.error_message;
        return Ok(msg);
    }
    header.segment_of_result = Some(SegmentOfResult::Normal.into());
    body.processing_result_status = Some(ProcessingResultStatus::Normal.into());
    body.qualification_validity = Some(match (validity, &extras.validity) {
        (Some(code), _) => Code::from_raw(code),
        (None, Some(word)) => Code::from_raw(word.clone()),
        (None, None) if out.is_empty() => QualificationValidity::NoQualification.into(),
        (None, None) => QualificationValidity::Valid.into(),
    });
    body.result_list.results = out;
    Ok(msg)
}

#[cfg(test)]
mod tests {
    /// `lf_line_ends` is the two `replace`s it stands for, on every string of up to five
    /// characters over CR, LF and two others.
    #[test]
    fn line_ends_become_lf_as_by_replace() {
        let mut texts = vec![String::new()];
        for _ in 0..5 {
            texts = texts
                .iter()
                .flat_map(|t| ['\r', '\n', 'a', '資'].map(|c| format!("{t}{c}")))
                .collect();
            for text in &texts {
                let replaced = text.replace("\r\n", "\n").replace('\r', "\n");
                assert_eq!(super::lf_line_ends(text), replaced, "{text:?}");
            }
        }
    }
}
