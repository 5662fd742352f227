//! Why a document is not a usable `XmlMsg`, and where in it.

use core::fmt;

use super::codes::Encoding;

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
