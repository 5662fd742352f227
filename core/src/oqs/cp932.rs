//! CP932 (Windows-31J, what Japanese systems mean by Shift_JIS) on the way out: which
//! characters it carries without loss, and text encoded with character references for the
//! others. A leaf: the XML writer, the element-name check and the roster export use it.

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
pub(crate) fn encode_cp932(text: &str) -> Vec<u8> {
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
