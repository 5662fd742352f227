//! Broken and hostile inputs give typed errors, never panics (tests/data/oqs/malformed/).

use myna_core::oqs::{
    Encoding, OqsError, ParseLimits, Position, parse, parse_str, parse_with_limits,
};

/// Asserts that `result` is an `Err` matching the pattern; the message names the case.
macro_rules! assert_err {
    ($result:expr, $pattern:pat) => {
        let result = $result;
        assert!(
            matches!(result, Err($pattern)),
            "{}: {result:?}",
            stringify!($result)
        );
    };
}

fn malformed(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/data/oqs/malformed/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse_err(name: &str) -> OqsError {
    match parse(&malformed(name)) {
        Ok(msg) => panic!("{name} parsed: {msg:?}"),
        Err(e) => e,
    }
}

#[test]
fn truncated_file_reports_the_open_element() {
    // The file ends after `</Name>`: the innermost open element is the result.
    let err = parse_err("truncated.xml");
    assert_eq!(
        err,
        OqsError::UnclosedElement {
            element: "ResultOfQualificationConfirmation".to_owned()
        }
    );
    assert_eq!(err.code(), "oqs-truncated");
}

#[test]
fn truncated_inside_a_tag_is_malformed_with_position() {
    let err = parse_err("truncated_in_tag.xml");
    let OqsError::Malformed { position, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(position.line, 4);
    assert_eq!(err.code(), "oqs-malformed");
}

#[test]
fn mismatched_tags_name_both_and_the_place() {
    let err = parse_err("mismatched_tags.xml");
    assert_eq!(
        err,
        OqsError::MismatchedEndTag {
            position: Position {
                line: 7,
                column: 30
            },
            expected: "ProcessingResultStatus".to_owned(),
            found: "ProcessingStatus".to_owned(),
        }
    );
    assert_eq!(err.position().unwrap().line, 7);
}

#[test]
fn wrong_root_is_refused() {
    assert_eq!(
        parse_err("wrong_root.xml"),
        OqsError::WrongRoot {
            found: "QualificationResult".to_owned()
        }
    );
}

#[test]
fn unsupported_encodings_are_refused() {
    assert_eq!(
        parse_err("unsupported_encoding.xml"),
        OqsError::UnsupportedEncoding {
            label: "EUC-JP".to_owned()
        }
    );
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain("<XmlMsg/>".encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    assert_err!(parse(&utf16), OqsError::UnsupportedEncoding { .. });
    // UTF-16 without a BOM.
    let utf16be: Vec<u8> = "<XmlMsg/>"
        .encode_utf16()
        .flat_map(u16::to_be_bytes)
        .collect();
    assert_err!(parse(&utf16be), OqsError::UnsupportedEncoding { .. });
}

#[test]
fn bom_and_declaration_must_agree() {
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><XmlMsg/>");
    assert_err!(
        parse(&bytes),
        OqsError::ConflictingEncoding { bom: "UTF-8", .. }
    );
}

/// The fixture `name` and the encoding and offset its `InvalidBytes` refusal names.
fn invalid_bytes(name: &str) -> (Vec<u8>, Encoding, usize) {
    let bytes = malformed(name);
    match parse(&bytes) {
        Err(OqsError::InvalidBytes { encoding, offset }) => (bytes, encoding, offset),
        other => panic!("{name}: {other:?}"),
    }
}

#[test]
fn shift_jis_bytes_declared_utf8_are_invalid_bytes_at_their_offset() {
    let (bytes, encoding, offset) = invalid_bytes("utf8_declared_sjis_bytes.xml");
    assert_eq!(encoding, Encoding::Utf8);
    let expected = bytes.iter().position(|b| !b.is_ascii()).unwrap();
    assert_eq!(offset, expected);
}

#[test]
fn invalid_shift_jis_sequence_is_reported_at_its_offset() {
    let (bytes, encoding, offset) = invalid_bytes("sjis_invalid_bytes.xml");
    assert_eq!(encoding, Encoding::ShiftJis);
    assert_eq!(&bytes[offset..offset + 2], &[0x81, 0x20]);
}

#[test]
fn dtd_with_entities_is_refused_before_any_expansion() {
    let err = parse_err("dtd_entities.xml");
    assert!(matches!(err, OqsError::DtdNotAllowed { position } if position.line == 2));
    assert_eq!(err.code(), "oqs-dtd");
    assert!(matches!(
        parse_err("external_entity.xml"),
        OqsError::DtdNotAllowed { .. }
    ));
}

#[test]
fn undefined_entity_is_refused() {
    assert!(matches!(
        parse_err("undefined_entity.xml"),
        OqsError::UndefinedEntity { ref name, .. } if name == "nbsp"
    ));
}

#[test]
fn bad_character_references_are_refused() {
    for reference in ["#0", "#x1", "#xD800", "#x110000", "#xZZ"] {
        let doc = format!(
            "<XmlMsg><MessageHeader><ErrorCode>&{reference};</ErrorCode></MessageHeader></XmlMsg>"
        );
        assert!(
            matches!(
                parse_str(&doc),
                Err(OqsError::InvalidCharacterReference { .. })
            ),
            "{reference}: {:?}",
            parse_str(&doc)
        );
    }
}

#[test]
fn raw_control_characters_are_refused() {
    let err = parse_str(
        "<XmlMsg><MessageHeader>\n<ErrorCode>a\u{1}</ErrorCode></MessageHeader></XmlMsg>",
    )
    .unwrap_err();
    assert_eq!(
        err,
        OqsError::InvalidXmlCharacter {
            position: Position {
                line: 2,
                column: 13
            },
            code_point: 1
        }
    );
}

#[test]
fn structural_problems() {
    assert_eq!(parse_str("").unwrap_err(), OqsError::NoRoot);
    assert_eq!(
        parse_str("  <!-- only a comment -->  ").unwrap_err(),
        OqsError::NoRoot
    );
    assert_err!(
        parse_str("<XmlMsg><MessageHeader/></XmlMsg><XmlMsg/>"),
        OqsError::ContentAfterRoot { .. }
    );
    assert_err!(
        parse_str("<XmlMsg></MessageHeader></XmlMsg>"),
        OqsError::MismatchedEndTag { .. }
    );
    // Text, an end tag, `&` or a declaration where XML allows none.
    for doc in [
        "<XmlMsg><MessageHeader/></XmlMsg>trailing",
        "text<XmlMsg><MessageHeader/></XmlMsg>",
        "<XmlMsg><MessageHeader/></XmlMsg></XmlMsg>",
        "<XmlMsg><MessageHeader/>&</XmlMsg>",
        "<XmlMsg><MessageHeader/><?xml version=\"1.0\"?></XmlMsg>",
    ] {
        let result = parse_str(doc);
        assert!(
            matches!(result, Err(OqsError::Malformed { .. })),
            "{doc}: {result:?}"
        );
    }
    assert_eq!(
        parse_str("<XmlMsg><MessageBody/></XmlMsg>").unwrap_err(),
        OqsError::MissingElement {
            element: "MessageHeader"
        }
    );
}

#[test]
fn limits_are_enforced() {
    let doc = parse_fixture_bytes();
    let tight = ParseLimits {
        max_bytes: doc.len() - 1,
        ..ParseLimits::DEFAULT
    };
    assert_err!(
        parse_with_limits(&doc, &tight),
        OqsError::InputTooLarge { .. }
    );

    let deep = format!(
        "<XmlMsg><MessageHeader/>{}{}</XmlMsg>",
        "<a>".repeat(40),
        "</a>".repeat(40)
    );
    assert_err!(parse(deep.as_bytes()), OqsError::TooDeep { limit: 32, .. });

    let many = format!("<XmlMsg><MessageHeader/>{}</XmlMsg>", "<a/>".repeat(100));
    let few = ParseLimits {
        max_elements: 50,
        ..ParseLimits::DEFAULT
    };
    assert_eq!(
        parse_with_limits(many.as_bytes(), &few).unwrap_err(),
        OqsError::TooManyElements { limit: 50 }
    );
    assert!(parse(many.as_bytes()).is_ok());
}

fn parse_fixture_bytes() -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/data/oqs/normal_utf8.xml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn every_prefix_of_a_valid_file_fails_cleanly() {
    // Truncation at any byte: an error (never a panic), and never a silently short result.
    let full = parse_fixture_bytes();
    let end = full.len() - "</XmlMsg>\n".len();
    for cut in 0..end {
        assert!(parse(&full[..cut]).is_err(), "prefix of {cut} bytes parsed");
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A cheap deterministic fuzz: flip bytes of a valid file.
    let full = parse_fixture_bytes();
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..2000 {
        let mut bytes = full.clone();
        for _ in 0..4 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let i = (state % bytes.len() as u64) as usize;
            bytes[i] = (state >> 32) as u8;
        }
        let _ = parse(&bytes);
    }
}
