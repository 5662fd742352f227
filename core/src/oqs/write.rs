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

use core::convert::Infallible;

use super::codes::{CharacterCodeIdentifier, Code, Encoding};
use super::cp932::encode_cp932;
use super::element::UnknownElement;
use super::model::{Node, ResultList, Visitor, XmlMsg};

/// Builds the document text.
struct XmlWriter {
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
    fn leaf(&mut self, name: &str, text: &str) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        escape_into(&mut self.out, text);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    fn open(&mut self, name: &str) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self.depth += 1;
    }

    fn close(&mut self, name: &str) {
        self.depth -= 1;
        self.indent();
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// A container element holding a node's children.
    fn write_node<N: Node>(&mut self, name: &str, node: &N) {
        self.open(name);
        let Ok(()) = node.visit_children(self);
        self.close(name);
    }

    fn unknown(&mut self, el: &UnknownElement) {
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

    fn write_unknowns(&mut self, extra: &[UnknownElement]) {
        for el in extra {
            self.unknown(el);
        }
    }
}

impl Visitor for XmlWriter {
    type Error = Infallible;

    fn text(&mut self, name: &'static str, text: &str) -> Result<(), Infallible> {
        self.leaf(name, text);
        Ok(())
    }

    fn code(
        &mut self,
        name: &'static str,
        raw: &str,
        _label: Option<&'static str>,
    ) -> Result<(), Infallible> {
        self.leaf(name, raw);
        Ok(())
    }

    fn node<N: Node>(&mut self, name: &'static str, node: &N) -> Result<(), Infallible> {
        self.write_node(name, node);
        Ok(())
    }

    fn nodes<N: Node>(&mut self, name: &'static str, nodes: &[N]) -> Result<(), Infallible> {
        for node in nodes {
            self.write_node(name, node);
        }
        Ok(())
    }

    fn result_list(&mut self, name: &'static str, list: &ResultList) -> Result<(), Infallible> {
        if list.results.is_empty() && list.extra.is_empty() {
            return Ok(());
        }
        self.open(name);
        for result in &list.results {
            self.write_node(ResultList::RESULT_ELEMENT, result);
        }
        self.write_unknowns(&list.extra);
        self.close(name);
        Ok(())
    }

    fn unknowns(&mut self, extra: &[UnknownElement]) -> Result<(), Infallible> {
        self.write_unknowns(extra);
        Ok(())
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
    w.write_node("MessageHeader", &header);
    w.write_node("MessageBody", &msg.message_body);
    w.write_unknowns(&msg.extra);
    w.close(XmlMsg::ELEMENT);
    w.out.push('\n');

    match encoding {
        Encoding::Utf8 => w.out.into_bytes(),
        Encoding::ShiftJis => encode_cp932(&w.out),
    }
}
