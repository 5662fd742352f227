//! Elements the model does not know, kept verbatim so nothing is lost.

use super::error::OqsError;

/// An element the typed model does not know (or a known element in an unexpected shape,
/// such as a duplicate or a text field with child elements). It is kept where it was
/// found and written back on serialisation, after the known elements of its parent.
///
/// Text is the concatenation of the element's own character data, trimmed of ASCII
/// whitespace; when an element mixes text and child elements, the text is written back
/// before the children. Attributes are not kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownElement {
    name: String,
    text: String,
    children: Vec<UnknownElement>,
}

impl UnknownElement {
    /// A leaf element `<name>text</name>`. The name must be an XML name (letters, digits,
    /// `_`, `-`, `.`, `:`; not starting with a digit, `-` or `.`) that Shift_JIS (CP932) can
    /// carry, so the element can be written in both encodings.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Result<Self, OqsError> {
        let name = name.into();
        if !is_writable_name(&name) {
            return Err(OqsError::InvalidElementName { name });
        }
        Ok(Self {
            name,
            text: text.into(),
            children: Vec::new(),
        })
    }

    /// Built by the parser, whose names are already XML names.
    pub(crate) fn from_parts(name: String, text: String, children: Vec<UnknownElement>) -> Self {
        Self {
            name,
            text,
            children,
        }
    }

    /// Adds a child element (builder style).
    pub fn with_child(mut self, child: UnknownElement) -> Self {
        self.children.push(child);
        self
    }

    /// Adds a child element.
    pub fn push_child(&mut self, child: UnknownElement) {
        self.children.push(child);
    }

    /// The element name as written, including any namespace prefix.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The name without a namespace prefix.
    pub fn local_name(&self) -> &str {
        local_name(&self.name)
    }

    /// The trimmed text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The child elements in document order.
    pub fn children(&self) -> &[UnknownElement] {
        &self.children
    }

    /// The first child with this local name.
    pub fn child(&self, local: &str) -> Option<&UnknownElement> {
        self.children.iter().find(|c| c.local_name() == local)
    }

    pub(crate) fn into_parts(self) -> (String, String, Vec<UnknownElement>) {
        (self.name, self.text, self.children)
    }
}

/// `prefix:Local` → `Local`.
pub(crate) fn local_name(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, local)| local)
}

/// An XML name that [`super::to_xml`] can write in UTF-8 and in Shift_JIS alike: in a name,
/// unlike in text, a character CP932 lacks cannot be written as a character reference.
pub(crate) fn is_writable_name(name: &str) -> bool {
    is_xml_name(name) && name.chars().all(super::cp932::cp932_carries)
}

pub(crate) fn is_xml_name(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let start_ok = first == '_' || first == ':' || first.is_alphabetic();
    start_ok && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | ':' | '-' | '.'))
}
