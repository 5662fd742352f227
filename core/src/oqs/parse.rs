//! Parsing: bytes → text (UTF-8 or CP932) → element tree (quick-xml) → [`XmlMsg`].
//!
//! ## Encoding
//! A UTF-8 BOM means UTF-8; a UTF-16 BOM (or UTF-16-looking start) is refused. Otherwise
//! the XML declaration's `encoding` decides (case-insensitive): `UTF-8`/`UTF8`, or any of
//! `Shift_JIS`, `Shift-JIS`, `SJIS`, `Windows-31J`, `CP932`, `MS932`, `x-sjis`,
//! `MS_Kanji`, `csShiftJIS` — all read as CP932 (Windows-31J), which is what Japanese
//! systems mean by "Shift_JIS" (NEC row 13 `①㈱`, IBM extensions `髙﨑`, `～` U+FF5E).
//! No declaration or no `encoding` means UTF-8. Invalid bytes are an error with their
//! offset.
//!
//! ## Safety
//! A `<!DOCTYPE …>` is refused outright, so no entity can be declared: only the five
//! predefined entities and character references are expanded, and any other `&name;` is an
//! error. External resources are never fetched (this crate has no I/O). Input size, element
//! nesting depth and element count are bounded by [`ParseLimits`].

use quick_xml::events::Event;
use quick_xml::reader::Reader;

use super::codes::Encoding;
use super::element::{UnknownElement, is_xml_name, local_name};
use super::error::{OqsError, Position};
use super::model::XmlMsg;

/// Bounds on what [`parse_with_limits`] accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseLimits {
    /// Largest input in bytes.
    pub max_bytes: usize,
    /// Deepest element nesting (the root is depth 1).
    pub max_depth: usize,
    /// Most elements in the document.
    pub max_elements: usize,
}

impl ParseLimits {
    /// 4 MiB, depth 32, 100 000 elements: far above any real answer (a result is about
    /// 40 elements and 3 KiB).
    pub const DEFAULT: ParseLimits = ParseLimits {
        max_bytes: 4 * 1024 * 1024,
        max_depth: 32,
        max_elements: 100_000,
    };
}

impl Default for ParseLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Parses an `XmlMsg` document from bytes in UTF-8 or Shift_JIS (CP932), with the default
/// [`ParseLimits`].
pub fn parse(bytes: &[u8]) -> Result<XmlMsg, OqsError> {
    parse_with_limits(bytes, &ParseLimits::DEFAULT)
}

/// [`parse`] with explicit limits.
pub fn parse_with_limits(bytes: &[u8], limits: &ParseLimits) -> Result<XmlMsg, OqsError> {
    if bytes.len() > limits.max_bytes {
        return Err(OqsError::InputTooLarge {
            size: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    let (text, _) = decode(bytes)?;
    parse_text(&text, limits)
}

/// Parses an already-decoded document (e.g. a JavaScript string). The declaration's
/// `encoding` is ignored; a leading U+FEFF is skipped.
pub fn parse_str(text: &str) -> Result<XmlMsg, OqsError> {
    let limits = ParseLimits::DEFAULT;
    if text.len() > limits.max_bytes {
        return Err(OqsError::InputTooLarge {
            size: text.len(),
            limit: limits.max_bytes,
        });
    }
    parse_text(text.strip_prefix('\u{FEFF}').unwrap_or(text), &limits)
}

/// The encoding [`parse`] would read `bytes` in.
pub fn detect_encoding(bytes: &[u8]) -> Result<Encoding, OqsError> {
    Ok(sniff(bytes)?.0)
}

/// Decodes `bytes` to text by the rules above; returns the text and the encoding used.
pub fn decode(bytes: &[u8]) -> Result<(String, Encoding), OqsError> {
    let (encoding, body) = sniff(bytes)?;
    let text = match encoding {
        Encoding::Utf8 => match core::str::from_utf8(body) {
            Ok(s) => s.to_owned(),
            Err(e) => {
                return Err(OqsError::InvalidBytes {
                    encoding,
                    offset: bytes.len() - body.len() + e.valid_up_to(),
                });
            }
        },
        Encoding::ShiftJis => decode_cp932(body)?,
    };
    Ok((text, encoding))
}

/// The encoding and the bytes after any BOM.
fn sniff(bytes: &[u8]) -> Result<(Encoding, &[u8]), OqsError> {
    if bytes.starts_with(&[0xFE, 0xFF])
        || bytes.starts_with(&[0xFF, 0xFE])
        || bytes.starts_with(&[0x00, b'<'])
        || bytes.starts_with(&[b'<', 0x00])
    {
        return Err(OqsError::UnsupportedEncoding {
            label: "UTF-16".to_owned(),
        });
    }
    let (bom, body) = match bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        Some(rest) => (true, rest),
        None => (false, bytes),
    };
    let declared = match declared_encoding(body) {
        Some(label) => Some((encoding_for_label(&label)?, label)),
        None => None,
    };
    match (bom, declared) {
        (true, Some((Encoding::ShiftJis, label))) => Err(OqsError::ConflictingEncoding {
            bom: "UTF-8",
            declared: label,
        }),
        (_, Some((encoding, _))) => Ok((encoding, body)),
        (_, None) => Ok((Encoding::Utf8, body)),
    }
}

fn encoding_for_label(label: &str) -> Result<Encoding, OqsError> {
    match label.to_ascii_lowercase().as_str() {
        "utf-8" | "utf8" => Ok(Encoding::Utf8),
        "shift_jis" | "shift-jis" | "sjis" | "windows-31j" | "cp932" | "ms932" | "x-sjis"
        | "ms_kanji" | "csshiftjis" | "x-ms-cp932" => Ok(Encoding::ShiftJis),
        _ => Err(OqsError::UnsupportedEncoding {
            label: label.to_owned(),
        }),
    }
}

/// The `encoding` pseudo-attribute of a leading `<?xml …?>`, read as ASCII.
fn declared_encoding(body: &[u8]) -> Option<String> {
    let rest = body.strip_prefix(b"<?xml")?;
    if !rest.first().is_some_and(u8::is_ascii_whitespace) {
        return None;
    }
    let end = rest.windows(2).take(1024).position(|w| w == b"?>")?;
    let mut decl = &rest[..end];
    loop {
        decl = decl.trim_ascii_start();
        if decl.is_empty() {
            return None;
        }
        let name_len = decl
            .iter()
            .position(|&b| b == b'=' || b.is_ascii_whitespace())?;
        let name = &decl[..name_len];
        decl = decl[name_len..].trim_ascii_start().strip_prefix(b"=")?;
        decl = decl.trim_ascii_start();
        let quote = *decl.first().filter(|&&q| q == b'"' || q == b'\'')?;
        decl = &decl[1..];
        let value_len = decl.iter().position(|&b| b == quote)?;
        let value = &decl[..value_len];
        decl = &decl[value_len + 1..];
        if name == b"encoding" {
            return core::str::from_utf8(value).ok().map(str::to_owned);
        }
    }
}

fn decode_cp932(body: &[u8]) -> Result<String, OqsError> {
    let mut decoder = encoding_rs::SHIFT_JIS.new_decoder_without_bom_handling();
    let capacity = decoder
        .max_utf8_buffer_length_without_replacement(body.len())
        .ok_or(OqsError::InputTooLarge {
            size: body.len(),
            limit: usize::MAX / 3,
        })?;
    let mut out = String::with_capacity(capacity);
    let (result, read) = decoder.decode_to_string_without_replacement(body, &mut out, true);
    match result {
        encoding_rs::DecoderResult::InputEmpty => Ok(out),
        encoding_rs::DecoderResult::Malformed(bad, after) => Err(OqsError::InvalidBytes {
            encoding: Encoding::ShiftJis,
            offset: read - usize::from(bad) - usize::from(after),
        }),
        // The buffer was sized for the worst case, so this cannot happen; report it as
        // an oversized input rather than panic.
        encoding_rs::DecoderResult::OutputFull => Err(OqsError::InputTooLarge {
            size: body.len(),
            limit: read,
        }),
    }
}

/// `quick-xml`'s error text, as its `Display` writes it, except for an I/O error, which a
/// reader over a `&str` never gives: its `Display` would bring `std::io`'s error texts into
/// the browser module (0.5 KB gzipped, issue 15).
fn xml_error_text(e: &quick_xml::Error) -> String {
    use quick_xml::Error as E;
    match e {
        E::Io(_) => "I/O error".to_owned(),
        E::Syntax(e) => format!("syntax error: {e}"),
        E::IllFormed(e) => format!("ill-formed document: {e}"),
        E::InvalidAttr(e) => format!("error while parsing attribute: {e}"),
        E::Encoding(e) => e.to_string(),
        E::Escape(e) => e.to_string(),
        E::Namespace(e) => e.to_string(),
    }
}

/// 1-based line and column (in characters) of a byte offset into `text`.
pub(crate) fn position_of(text: &str, offset: usize) -> Position {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    Position { line, column }
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

/// An element being read.
struct Open {
    name: String,
    text: String,
    children: Vec<UnknownElement>,
}

impl Open {
    fn finish(self) -> UnknownElement {
        let text = self.text.trim_ascii().to_owned();
        UnknownElement::from_parts(self.name, text, self.children)
    }
}

fn parse_text(text: &str, limits: &ParseLimits) -> Result<XmlMsg, OqsError> {
    if let Some((offset, c)) = text.char_indices().find(|&(_, c)| !is_xml_char(c)) {
        return Err(OqsError::InvalidXmlCharacter {
            position: position_of(text, offset),
            code_point: c as u32,
        });
    }
    let root = parse_tree(text, limits)?;
    XmlMsg::from_root(root)
}

fn parse_tree(text: &str, limits: &ParseLimits) -> Result<UnknownElement, OqsError> {
    let mut reader = Reader::from_str(text);
    let config = reader.config_mut();
    config.check_end_names = false; // checked below, for a typed error
    config.expand_empty_elements = false;
    config.trim_text(false);

    let mut stack: Vec<Open> = Vec::new();
    let mut root: Option<UnknownElement> = None;
    let mut elements = 0usize;
    let pos = |offset: u64| position_of(text, usize::try_from(offset).unwrap_or(usize::MAX));

    loop {
        let start = reader.buffer_position();
        let event = reader.read_event().map_err(|e| OqsError::Malformed {
            position: pos(reader.error_position()),
            detail: xml_error_text(&e),
        })?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                if root.is_some() {
                    return Err(OqsError::ContentAfterRoot {
                        position: pos(start),
                    });
                }
                let name = e.name().as_ref().to_owned();
                if stack.is_empty() && local_name(&name) != XmlMsg::ELEMENT {
                    return Err(OqsError::WrongRoot { found: name });
                }
                // quick-xml takes anything up to a space as the name (`<a"b>`): such an
                // element could not be written back (found by `fuzz/` target `oqs`). Whether
                // Shift_JIS can carry a name is the writer's concern, not checked here: it
                // would link the CP932 encoder tables into every parser (the browser's too).
                if !is_xml_name(&name) {
                    return Err(OqsError::InvalidElementName { name });
                }
                elements += 1;
                if elements > limits.max_elements {
                    return Err(OqsError::TooManyElements {
                        limit: limits.max_elements,
                    });
                }
                if stack.len() + 1 > limits.max_depth {
                    return Err(OqsError::TooDeep {
                        position: pos(start),
                        limit: limits.max_depth,
                    });
                }
                let open = Open {
                    name,
                    text: String::new(),
                    children: Vec::new(),
                };
                if matches!(event, Event::Start(_)) {
                    stack.push(open);
                } else {
                    attach(&mut stack, &mut root, open.finish());
                }
            }
            Event::End(e) => {
                let found = e.name().as_ref().to_owned();
                let Some(open) = stack.pop() else {
                    return Err(OqsError::Malformed {
                        position: pos(start),
                        detail: format!("end tag </{found}> without a start tag"),
                    });
                };
                if open.name != found {
                    return Err(OqsError::MismatchedEndTag {
                        position: pos(start),
                        expected: open.name,
                        found,
                    });
                }
                attach(&mut stack, &mut root, open.finish());
            }
            Event::Text(t) => {
                let content = t.xml10_content();
                match stack.last_mut() {
                    Some(open) => open.text.push_str(&content),
                    None if content.trim_ascii().is_empty() => {}
                    None => {
                        return Err(OqsError::Malformed {
                            position: pos(start),
                            detail: "text outside the root element".to_owned(),
                        });
                    }
                }
            }
            Event::CData(c) => match stack.last_mut() {
                Some(open) => open.text.push_str(&c.xml10_content()),
                None => {
                    return Err(OqsError::Malformed {
                        position: pos(start),
                        detail: "CDATA outside the root element".to_owned(),
                    });
                }
            },
            Event::GeneralRef(r) => {
                let Some(open) = stack.last_mut() else {
                    return Err(OqsError::Malformed {
                        position: pos(start),
                        detail: "reference outside the root element".to_owned(),
                    });
                };
                let resolved = if r.is_char_ref() {
                    match r.resolve_char_ref() {
                        Ok(Some(c)) if is_xml_char(c) => c,
                        _ => {
                            return Err(OqsError::InvalidCharacterReference {
                                position: pos(start),
                                reference: r.into_inner().into_owned(),
                            });
                        }
                    }
                } else {
                    match r.as_ref() {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "apos" => '\'',
                        "quot" => '"',
                        _ => {
                            return Err(OqsError::UndefinedEntity {
                                position: pos(start),
                                name: r.into_inner().into_owned(),
                            });
                        }
                    }
                };
                open.text.push(resolved);
            }
            Event::DocType(_) => {
                return Err(OqsError::DtdNotAllowed {
                    position: pos(start),
                });
            }
            Event::Decl(_) => {
                if start != 0 {
                    return Err(OqsError::Malformed {
                        position: pos(start),
                        detail: "XML declaration not at the start of the document".to_owned(),
                    });
                }
            }
            Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => {
                if let Some(open) = stack.pop() {
                    return Err(OqsError::UnclosedElement { element: open.name });
                }
                return root.ok_or(OqsError::NoRoot);
            }
        }
    }
}

fn attach(stack: &mut [Open], root: &mut Option<UnknownElement>, el: UnknownElement) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(el),
        None => *root = Some(el),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `xml_error_text` is `quick-xml`'s own text for every error a malformed document gives.
    #[test]
    fn xml_error_texts_are_quick_xml_s() {
        let mut seen = 0;
        for text in [
            "<a",
            "<a></b>",
            "</a>",
            "<a x='1' x='2'/>",
            "<a x=1/>",
            "<a>&unknown;</a>",
            "<a>&#xFFFFFFFF;</a>",
            "<!-- never closed",
            "<?xml never closed",
            "<![CDATA[ never closed",
            "<!DOCTYPE",
            "<a b c/>",
        ] {
            let mut reader = Reader::from_str(text);
            loop {
                match reader.read_event() {
                    Ok(Event::Eof) => break,
                    Ok(Event::Start(s) | Event::Empty(s)) => {
                        for attribute in s.attributes() {
                            if let Err(e) = attribute {
                                let e = quick_xml::Error::from(e);
                                assert_eq!(xml_error_text(&e), e.to_string(), "{text}");
                                seen += 1;
                            }
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        assert_eq!(xml_error_text(&e), e.to_string(), "{text}");
                        seen += 1;
                        break;
                    }
                }
            }
        }
        assert!(seen >= 10, "{seen} errors");
        let io = quick_xml::Error::from(std::io::Error::other("x"));
        assert_eq!(xml_error_text(&io), "I/O error");
    }
}
