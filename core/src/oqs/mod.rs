//! The OQS `XmlMsg` eligibility result (資格確認結果), as receipt systems know it.
//!
//! ```text
//! bytes (UTF-8 | Shift_JIS=CP932) ──decode──▶ text ──quick-xml──▶ element tree ──▶ XmlMsg
//! XmlMsg ──to_xml(Encoding)──▶ bytes            XmlMsg ──serde::Serialize──▶ JSON view
//! ```
//!
//! - [`parse`] / [`parse_str`]: any element order, one or many results, texts trimmed of
//!   ASCII whitespace (U+3000 inside names kept), unknown elements kept in `extra`, code
//!   values outside their table kept raw ([`Code`]). DTDs are refused; input size, depth
//!   and element count are bounded ([`ParseLimits`]).
//! - [`to_xml`]: schema order, escaping, `standalone="no"` declaration, and a
//!   `CharacterCodeIdentifier` that matches the chosen [`Encoding`].
//! - The JSON view (`serde::Serialize` on [`XmlMsg`] and every node) is what the browser
//!   module hands to JavaScript: lowerCamelCase keys, `messageBody.resultList` as an
//!   array, and a `…Label` next to every code and ratio:
//!
//! ```json
//! {"messageHeader": {"segmentOfResult": "1", "segmentOfResultLabel": "正常終了", …},
//!  "messageBody": {"qualificationValidity": "1", "qualificationValidityLabel": "有効",
//!    "resultList": [{"insurerNumber": "01130012", "sex1": "1", "sex1Label": "男",
//!      "insuredPartialContributionRatio": "030",
//!      "insuredPartialContributionRatioLabel": "3割", …}]}}
//! ```
//!
//! - [`parse_copy_text`] / [`to_copy_text`]: the official マイナ資格確認アプリ's copied
//!   result text, read into and written from the same tree (see `copy_text`).
//! - [`shown_ratio`]: the 負担割合 a result means (data or derived from the law).
//! - Builders for answers: [`XmlMsg::normal`], [`XmlMsg::error`],
//!   [`XmlMsg::service_error`] with [`ResponseContext`].

mod codes;
mod copy_text;
pub(crate) mod element;
mod json;
mod model;
mod parse;
mod ratio;
pub(crate) mod write;

pub use codes::{
    CharacterCodeIdentifier, Code, CodeTable, ConsentFlag, ContributionRatio,
    InsuredCardClassification, LimitApplicationCertificateClassification,
    LimitApplicationCertificateClassificationFlag, PersonalFamilyClassification,
    PreschoolClassification, ProcessingResultStatus, QualificationValidity, ReasonOfLoss,
    ReferenceClassification, SegmentOfResult, ServiceErrorCode, Sex, contribution_ratio_label,
    contribution_ratio_percent,
};
pub use copy_text::{
    CopyTextError, MAX_COPY_TEXT_BYTES, UNKNOWN_FIELD_ELEMENT, copy_text_date, parse_copy_text,
    to_copy_text,
};
pub use element::UnknownElement;
pub use model::{
    ElderlyRecipientCertificateInfo, LimitApplicationCertificateRelatedInfo, MessageBody,
    MessageHeader, QualificationConfirmSearchInfo, ResponseContext, ResultList,
    ResultOfQualificationConfirmation, SpecificDiseasesCertificateInfo,
    SpecificDiseasesCertificateList, XmlMsg,
};
pub use parse::{ParseLimits, decode, detect_encoding, parse, parse_str, parse_with_limits};
pub use ratio::{DERIVED_MARK, RatioSource, ShownRatio, shown_ratio};
pub use write::to_xml;

use core::fmt;

/// The character encoding of an `XmlMsg` file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Encoding {
    /// UTF-8 (`CharacterCodeIdentifier` 0).
    Utf8,
    /// Shift_JIS as Japanese systems mean it: CP932 / Windows-31J
    /// (`CharacterCodeIdentifier` 1).
    ShiftJis,
}

impl Encoding {
    /// The label written in the XML declaration: `UTF-8` or `Shift_JIS`.
    pub const fn label(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::ShiftJis => "Shift_JIS",
        }
    }

    /// The matching `CharacterCodeIdentifier`.
    pub const fn character_code_identifier(self) -> CharacterCodeIdentifier {
        match self {
            Encoding::Utf8 => CharacterCodeIdentifier::Utf8,
            Encoding::ShiftJis => CharacterCodeIdentifier::ShiftJis,
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A place in the decoded document: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Position {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// Why a document is not a usable `XmlMsg`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OqsError {
    /// The input exceeds [`ParseLimits::max_bytes`].
    #[error("input is {size} bytes; the limit is {limit}")]
    InputTooLarge {
        /// Input size in bytes.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The declared (or BOM-indicated) encoding is neither UTF-8 nor Shift_JIS.
    #[error("unsupported encoding {label:?}; only UTF-8 and Shift_JIS (CP932) are read")]
    UnsupportedEncoding {
        /// The encoding label found.
        label: String,
    },
    /// A UTF-8 BOM with a declaration naming another encoding.
    #[error("the byte order mark says {bom} but the declaration says {declared}")]
    ConflictingEncoding {
        /// What the BOM says.
        bom: &'static str,
        /// What the declaration says.
        declared: String,
    },
    /// Bytes that are not valid in the encoding.
    #[error("invalid {encoding} bytes at offset {offset}")]
    InvalidBytes {
        /// The encoding being decoded.
        encoding: Encoding,
        /// Byte offset of the first invalid byte in the input.
        offset: usize,
    },
    /// A character XML 1.0 does not allow (e.g. a raw control character).
    #[error("character U+{code_point:04X} is not allowed in XML ({position})")]
    InvalidXmlCharacter {
        /// Where.
        position: Position,
        /// The character.
        code_point: u32,
    },
    /// Not well-formed XML (syntax error, unexpected end of input inside markup, text
    /// outside the root, …).
    #[error("malformed XML at {position}: {detail}")]
    Malformed {
        /// Where.
        position: Position,
        /// What the XML reader reported.
        detail: String,
    },
    /// An end tag that does not close the open element.
    #[error("</{found}> does not close <{expected}> ({position})")]
    MismatchedEndTag {
        /// Where the end tag is.
        position: Position,
        /// The open element.
        expected: String,
        /// The end tag found.
        found: String,
    },
    /// The input ended inside an element (a truncated file).
    #[error("the document ends before </{element}>")]
    UnclosedElement {
        /// The innermost open element.
        element: String,
    },
    /// A `<!DOCTYPE>`: refused, so no entity can be declared or expanded.
    #[error("DTDs are not allowed ({position})")]
    DtdNotAllowed {
        /// Where.
        position: Position,
    },
    /// An entity reference other than `lt gt amp apos quot`.
    #[error("undefined entity &{name}; ({position})")]
    UndefinedEntity {
        /// Where.
        position: Position,
        /// The entity name.
        name: String,
    },
    /// A character reference to no character, or to one XML does not allow.
    #[error("invalid character reference &{reference}; ({position})")]
    InvalidCharacterReference {
        /// Where.
        position: Position,
        /// The reference text without `&` and `;`.
        reference: String,
    },
    /// The root element is not `XmlMsg`.
    #[error("the root element is <{found}>, not <XmlMsg>")]
    WrongRoot {
        /// The root element's name.
        found: String,
    },
    /// No element at all.
    #[error("the document has no root element")]
    NoRoot,
    /// An element after the root element closed.
    #[error("content after the root element ({position})")]
    ContentAfterRoot {
        /// Where.
        position: Position,
    },
    /// Nesting deeper than [`ParseLimits::max_depth`].
    #[error("elements nested deeper than {limit} ({position})")]
    TooDeep {
        /// Where.
        position: Position,
        /// The limit.
        limit: usize,
    },
    /// More elements than [`ParseLimits::max_elements`].
    #[error("more than {limit} elements")]
    TooManyElements {
        /// The limit.
        limit: usize,
    },
    /// A required element is missing.
    #[error("<{element}> is missing")]
    MissingElement {
        /// The element.
        element: &'static str,
    },
    /// A document's element, or [`UnknownElement::new`], has a name that is not an XML name
    /// or holds a character Shift_JIS (CP932) cannot carry (the element could not be
    /// written back in both encodings).
    #[error("{name:?} is not an XML element name writable in UTF-8 and Shift_JIS")]
    InvalidElementName {
        /// The name given.
        name: String,
    },
}

impl OqsError {
    /// A stable, machine-readable code for the JavaScript layer, e.g. `"oqs-malformed"`.
    pub const fn code(&self) -> &'static str {
        match self {
            OqsError::InputTooLarge { .. } => "oqs-too-large",
            OqsError::UnsupportedEncoding { .. } => "oqs-unsupported-encoding",
            OqsError::ConflictingEncoding { .. } => "oqs-conflicting-encoding",
            OqsError::InvalidBytes { .. } => "oqs-invalid-bytes",
            OqsError::InvalidXmlCharacter { .. }
            | OqsError::Malformed { .. }
            | OqsError::MismatchedEndTag { .. }
            | OqsError::InvalidCharacterReference { .. }
            | OqsError::ContentAfterRoot { .. }
            | OqsError::NoRoot => "oqs-malformed",
            OqsError::UnclosedElement { .. } => "oqs-truncated",
            OqsError::DtdNotAllowed { .. } | OqsError::UndefinedEntity { .. } => "oqs-dtd",
            OqsError::WrongRoot { .. } => "oqs-wrong-root",
            OqsError::TooDeep { .. } | OqsError::TooManyElements { .. } => "oqs-too-large",
            OqsError::MissingElement { .. } => "oqs-missing-element",
            OqsError::InvalidElementName { .. } => "oqs-invalid-name",
        }
    }

    /// Where in the document the problem is, when known.
    pub fn position(&self) -> Option<Position> {
        match self {
            OqsError::InvalidXmlCharacter { position, .. }
            | OqsError::Malformed { position, .. }
            | OqsError::MismatchedEndTag { position, .. }
            | OqsError::DtdNotAllowed { position }
            | OqsError::UndefinedEntity { position, .. }
            | OqsError::InvalidCharacterReference { position, .. }
            | OqsError::ContentAfterRoot { position }
            | OqsError::TooDeep { position, .. } => Some(*position),
            _ => None,
        }
    }
}
