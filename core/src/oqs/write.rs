//! Serialisation of an [`XmlMsg`] to UTF-8 or Shift_JIS (CP932) bytes.
//!
//! Known elements are written in schema order, then the unknown elements of the same
//! level in the order they were read. Leaves are written `<Name>text</Name>` (also when
//! empty), two-space indented. Text is escaped (`&`, `<`, `>`; CR as `&#xD;` so it
//! survives end-of-line normalisation); characters XML 1.0 cannot carry at all (C0
//! controls other than TAB/LF/CR, U+FFFE, U+FFFF) are replaced by U+FFFD.
//!
//! In Shift_JIS output, characters CP932 cannot encode (e.g. U+301C WAVE DASH, U+2014)
//! are written as numeric character references, and so are the three that CP932 would
//! encode lossily (U+00A5 → `\`, U+203E → `~`, U+2212 → U+FF0D), so parsing the output
//! gives back exactly the same text.

use super::element::UnknownElement;
use super::model::{Node, XmlMsg};
use super::{CharacterCodeIdentifier, Code, Encoding};

/// Builds the document text.
pub(crate) struct XmlWriter {
    out: String,
    depth: usize,
}

impl XmlWriter {
    fn new() -> Self {
        Self {
            out: String::with_capacity(4096),
            depth: 0,
        }
    }

    fn indent(&mut self) {
        self.out.push('\n');
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    /// `<name>text</name>`.
    pub(crate) fn leaf(&mut self, name: &str, text: &str) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        escape_into(&mut self.out, text);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    pub(crate) fn open(&mut self, name: &str) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self.depth += 1;
    }

    pub(crate) fn close(&mut self, name: &str) {
        self.depth -= 1;
        self.indent();
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// A container element holding a node's children.
    pub(crate) fn node<N: Node>(&mut self, name: &str, node: &N) {
        self.open(name);
        node.write_children(self);
        self.close(name);
    }

    pub(crate) fn unknown(&mut self, el: &UnknownElement) {
        if el.children().is_empty() {
            self.leaf(el.name(), el.text());
            return;
        }
        self.open(el.name());
        if !el.text().is_empty() {
            self.indent();
            escape_into(&mut self.out, el.text());
        }
        for child in el.children() {
            self.unknown(child);
        }
        self.close(el.name());
    }

    pub(crate) fn unknowns(&mut self, extra: &[UnknownElement]) {
        for el in extra {
            self.unknown(el);
        }
    }
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            c if !is_xml_char(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

/// Serialises `msg` in `encoding`, with the declaration
/// `<?xml version="1.0" encoding="UTF-8" standalone="no"?>` (or `encoding="Shift_JIS"`).
///
/// `CharacterCodeIdentifier` in the output always matches `encoding` (`0` UTF-8,
/// `1` Shift_JIS), whatever the model holds; everything else is written as held.
/// `parse(&to_xml(&msg, e))` equals `msg` once its `CharacterCodeIdentifier` is set to
/// match `e`, provided its texts are trimmed as the parser leaves them.
pub fn to_xml(msg: &XmlMsg, encoding: Encoding) -> Vec<u8> {
    let mut header = msg.message_header.clone();
    let identifier = match encoding {
        Encoding::Utf8 => CharacterCodeIdentifier::Utf8,
        Encoding::ShiftJis => CharacterCodeIdentifier::ShiftJis,
    };
    header.character_code_identifier = Some(Code::from(identifier));

    let mut w = XmlWriter::new();
    w.out.push_str("<?xml version=\"1.0\" encoding=\"");
    w.out.push_str(encoding.label());
    w.out.push_str("\" standalone=\"no\"?>");
    w.open(XmlMsg::ELEMENT);
    w.node("MessageHeader", &header);
    w.node("MessageBody", &msg.message_body);
    w.unknowns(&msg.extra);
    w.close(XmlMsg::ELEMENT);
    w.out.push('\n');

    match encoding {
        Encoding::Utf8 => w.out.into_bytes(),
        Encoding::ShiftJis => encode_cp932(&w.out),
    }
}

/// The CP932 bytes of `c`, if CP932 encodes it without loss.
fn cp932_bytes(c: char, buf: &mut [u8; 8]) -> Option<usize> {
    if matches!(c, '\u{00A5}' | '\u{203E}' | '\u{2212}') {
        return None;
    }
    let mut encoder = encoding_rs::SHIFT_JIS.new_encoder();
    let s = c.encode_utf8(&mut [0u8; 4]).to_owned();
    let (result, _read, written) = encoder.encode_from_utf8_without_replacement(&s, buf, true);
    matches!(result, encoding_rs::EncoderResult::InputEmpty).then_some(written)
}

/// Whether CP932 encodes `c` without loss (the parser refuses element names with others).
pub(crate) fn cp932_carries(c: char) -> bool {
    c.is_ascii() || cp932_bytes(c, &mut [0u8; 8]).is_some()
}

/// Encodes to CP932, writing unencodable or lossy characters as `&#x…;`.
///
/// Only text content can hold such characters: known element names are ASCII, and unknown
/// element names are refused unless CP932 carries them
/// ([`super::element::is_writable_name`]).
fn encode_cp932(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut buf = [0u8; 8];
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c as u8);
            continue;
        }
        match cp932_bytes(c, &mut buf) {
            Some(written) => out.extend_from_slice(&buf[..written]),
            None => out.extend_from_slice(format!("&#x{:X};", c as u32).as_bytes()),
        }
    }
    out
}
