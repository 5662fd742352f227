//! Serialisation: declaration, schema order, escaping, encodings, round trips, builders.

use myna_core::oqs::{
    CharacterCodeIdentifier, Code, ContributionRatio, ElderlyRecipientCertificateInfo, Encoding,
    InsuredCardClassification, PersonalFamilyClassification, ProcessingResultStatus,
    QualificationValidity, ReferenceClassification, ResponseContext,
    ResultOfQualificationConfirmation, SegmentOfResult, ServiceErrorCode, Sex, UnknownElement,
    XmlMsg, decode, parse, to_xml,
};

const FIXTURES: [&str; 8] = [
    "normal_utf8.xml",
    "shuffled_order.xml",
    "unknown_elements.xml",
    "kokuho_padded.xml",
    "multiple_results.xml",
    "error_result.xml",
    "shiftjis_cp932.xml",
    "shiftjis_cp932_as_utf8.xml",
];

fn fixture(name: &str) -> XmlMsg {
    let path = format!("{}/tests/data/oqs/{name}", env!("CARGO_MANIFEST_DIR"));
    parse(&std::fs::read(&path).unwrap()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// `msg` with `CharacterCodeIdentifier` set as `to_xml` writes it.
fn with_identifier(mut msg: XmlMsg, encoding: Encoding) -> XmlMsg {
    msg.message_header.character_code_identifier =
        Some(encoding.character_code_identifier().into());
    msg
}

#[test]
fn every_fixture_round_trips_in_both_encodings() {
    for name in FIXTURES {
        let msg = fixture(name);
        for encoding in [Encoding::Utf8, Encoding::ShiftJis] {
            let bytes = to_xml(&msg, encoding);
            let back = parse(&bytes).unwrap_or_else(|e| panic!("{name} {encoding}: {e}"));
            assert_eq!(
                back,
                with_identifier(msg.clone(), encoding),
                "{name} {encoding}"
            );
            // And writing again gives the same bytes.
            assert_eq!(to_xml(&back, encoding), bytes, "{name} {encoding}");
        }
    }
}

#[test]
fn declaration_and_identifier_follow_the_encoding() {
    let msg = fixture("normal_utf8.xml");
    let utf8 = String::from_utf8(to_xml(&msg, Encoding::Utf8)).unwrap();
    assert!(
        utf8.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n<XmlMsg>")
    );
    assert!(utf8.contains("<CharacterCodeIdentifier>0</CharacterCodeIdentifier>"));

    let sjis = to_xml(&msg, Encoding::ShiftJis);
    assert!(sjis.starts_with(b"<?xml version=\"1.0\" encoding=\"Shift_JIS\" standalone=\"no\"?>"));
    let (text, encoding) = decode(&sjis).unwrap();
    assert_eq!(encoding, Encoding::ShiftJis);
    assert!(text.contains("<CharacterCodeIdentifier>1</CharacterCodeIdentifier>"));
    assert!(text.contains("<Name>山田　太郎</Name>"));
    // Really CP932 bytes: 山 is 0x8E 0x52.
    assert!(sjis.windows(2).any(|w| w == [0x8E, 0x52]));
}

#[test]
fn shuffled_input_is_written_in_schema_order() {
    let xml = String::from_utf8(to_xml(&fixture("shuffled_order.xml"), Encoding::Utf8)).unwrap();
    let expected = String::from_utf8(to_xml(&fixture("normal_utf8.xml"), Encoding::Utf8)).unwrap();
    assert_eq!(xml, expected);
    let order = [
        "<MessageHeader>",
        "<ProcessExecutionTime>",
        "<SegmentOfResult>",
        "<CharacterCodeIdentifier>",
        "</MessageHeader>",
        "<MessageBody>",
        "<ProcessingResultStatus>",
        "<QualificationValidity>",
        "<ResultList>",
        "<InsuredCardClassification>",
        "<InsurerNumber>",
        "<Name>",
        "<Sex1>",
        "<InsuredPartialContributionRatio>",
        "<ReferenceNumber>",
    ];
    let positions: Vec<usize> = order.iter().map(|tag| xml.find(tag).unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{xml}");
}

#[test]
fn unknown_elements_are_written_back_after_known_ones() {
    let xml = String::from_utf8(to_xml(&fixture("unknown_elements.xml"), Encoding::Utf8)).unwrap();
    assert!(xml.contains("<InterfaceVersion>2.1</InterfaceVersion>"));
    assert!(xml.contains("<Note>入れ子&amp;特殊文字&lt;テスト&gt;</Note>"));
    assert!(xml.contains("<Signature>root-level unknown</Signature>"));
    assert!(xml.contains("<ResultListNote>extra in ResultList</ResultListNote>"));
    assert!(
        xml.find("<CharacterCodeIdentifier>").unwrap() < xml.find("<InterfaceVersion>").unwrap()
    );
    assert!(xml.find("</MessageBody>").unwrap() < xml.find("<Signature>").unwrap());
}

fn awkward_result() -> ResultOfQualificationConfirmation {
    let mut r = ResultOfQualificationConfirmation::default();
    r.name = Some("渡辺　〜テスト〜　−¥‾".to_owned()); // WAVE DASH, MINUS SIGN, YEN, OVERLINE
    r.address = Some("<tag> & \"quotes\" 'apos' ]]> 髙﨑①㈱～\r\nline2\ttab".to_owned());
    r.insurer_name = Some("emoji 🏥 and U+2014 —".to_owned());
    r.name_kana = Some("ﾃｽﾄ".to_owned());
    r
}

#[test]
fn hard_characters_survive_both_encodings() {
    let ctx = context();
    let msg = XmlMsg::normal(&ctx, QualificationValidity::Valid, vec![awkward_result()]);
    for encoding in [Encoding::Utf8, Encoding::ShiftJis] {
        let bytes = to_xml(&msg, encoding);
        let back = parse(&bytes).unwrap_or_else(|e| panic!("{encoding}: {e}"));
        assert_eq!(back, with_identifier(msg.clone(), encoding), "{encoding}");
    }
    let sjis = to_xml(&msg, Encoding::ShiftJis);
    let text = String::from_utf8_lossy(&sjis);
    // Unencodable or lossy in CP932: numeric references.
    for reference in [
        "&#x301C;",
        "&#x2212;",
        "&#xA5;",
        "&#x203E;",
        "&#x1F3E5;",
        "&#x2014;",
    ] {
        assert!(text.contains(reference), "{reference} missing");
    }
    // Encodable ones are plain CP932 bytes (～ is 81 60, ① is 87 40).
    assert!(sjis.windows(2).any(|w| w == [0x81, 0x60]));
    assert!(sjis.windows(2).any(|w| w == [0x87, 0x40]));
    // 髙 is written in the IBM-extension form FB FC (as Windows does), not NEC-selected EE E0.
    assert!(sjis.windows(2).any(|w| w == [0xFB, 0xFC]));
    // CR is escaped so end-of-line normalisation cannot eat it.
    assert!(text.contains("&#xD;\n"));
}

#[test]
fn characters_xml_cannot_carry_are_replaced() {
    let mut msg = XmlMsg::error(&context(), "X", "bell\u{7}");
    msg.message_header.error_code = Some("\u{FFFF}".to_owned());
    let back = parse(&to_xml(&msg, Encoding::Utf8)).unwrap();
    assert_eq!(
        back.message_header.error_message.as_deref(),
        Some("bell\u{FFFD}")
    );
    assert_eq!(back.message_header.error_code.as_deref(), Some("\u{FFFD}"));
}

fn context() -> ResponseContext {
    ResponseContext {
        process_execution_time: "20251015093012".to_owned(),
        qualification_confirmation_date: "20251015".to_owned(),
        medical_institution_code: "1399999999".to_owned(),
        arbitrary_file_identifier: None,
        reference_classification: ReferenceClassification::Card,
    }
}

#[test]
fn normal_builder_produces_the_fixture_shape() {
    let mut r = ResultOfQualificationConfirmation::default();
    r.insured_card_classification = Some(InsuredCardClassification::General.into());
    r.insurer_number = Some("01130012".to_owned());
    r.insurer_name = Some("全国健康保険協会東京支部".to_owned());
    r.insured_card_symbol = Some("12345678".to_owned());
    r.insured_identification_number = Some("1001".to_owned());
    r.insured_branch_number = Some("00".to_owned());
    r.personal_family_classification = Some(PersonalFamilyClassification::Insured.into());
    r.insured_name = Some("山田　太郎".to_owned());
    r.name = Some("山田　太郎".to_owned());
    r.name_kana = Some("ﾔﾏﾀﾞ ﾀﾛｳ".to_owned());
    r.sex1 = Some(Sex::Male.into());
    r.birthdate = Some("19800415".to_owned());
    r.address = Some("東京都千代田区霞が関１－２－２".to_owned());
    r.post_number = Some("100-8916".to_owned());
    r.qualification_date = Some("20150401".to_owned());
    r.insured_certificate_issuance_date = Some("20150401".to_owned());
    r.insured_card_valid_date = Some("20150401".to_owned());
    r.insured_partial_contribution_ratio = ContributionRatio::from_percent(30);
    r.reference_number = Some("0000000001".to_owned());

    let ctx = ResponseContext {
        arbitrary_file_identifier: Some("REQ-0001".to_owned()),
        ..context()
    };
    let msg = XmlMsg::normal(&ctx, QualificationValidity::Valid, vec![r]);
    assert_eq!(msg, fixture("normal_utf8.xml"));
    assert!(!msg.is_error());
}

#[test]
fn error_builders() {
    let ctx = ResponseContext {
        process_execution_time: "20251015120000".to_owned(),
        ..context()
    };
    let msg = XmlMsg::service_error(&ctx, ServiceErrorCode::CertificateExpired);
    assert_eq!(msg, fixture("error_result.xml"));
    assert!(msg.is_error());

    let custom = XmlMsg::error(&context(), "E123", "独自エラー");
    let h = &custom.message_header;
    assert_eq!(
        h.segment_of_result.as_ref().and_then(Code::value),
        Some(SegmentOfResult::Abnormal)
    );
    assert_eq!(h.error_code.as_deref(), Some("E123"));
    assert_eq!(custom.message_body, Default::default());
    let xml = String::from_utf8(to_xml(&custom, Encoding::Utf8)).unwrap();
    assert!(xml.contains("<SegmentOfResult>9</SegmentOfResult>"));
    assert!(xml.contains("<ErrorMessage>独自エラー</ErrorMessage>"));
    assert!(!xml.contains("<ResultList>"));
}

#[test]
fn no_qualification_answer_has_no_result_list() {
    let msg = XmlMsg::normal(
        &context(),
        QualificationValidity::NoQualification,
        Vec::new(),
    )
    .with_processing_result_message("該当する資格情報がありません");
    let xml = String::from_utf8(to_xml(&msg, Encoding::Utf8)).unwrap();
    assert!(xml.contains("<QualificationValidity>4</QualificationValidity>"));
    assert!(!xml.contains("ResultList"));
    let back = parse(xml.as_bytes()).unwrap();
    assert_eq!(back, msg);
    assert!(
        back.message_body
            .processing_result_status
            .unwrap()
            .is(ProcessingResultStatus::Normal)
    );
}

#[test]
fn service_error_table_is_consistent() {
    let mut codes: Vec<&str> = ServiceErrorCode::ALL.iter().map(|c| c.code()).collect();
    for c in ServiceErrorCode::ALL {
        assert_eq!(ServiceErrorCode::from_code(c.code()), Some(*c));
        assert!(!c.message().is_empty());
        assert!((400..600).contains(&c.http_status()));
    }
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), ServiceErrorCode::ALL.len());
    assert_eq!(ServiceErrorCode::from_code("nope"), None);
}

#[test]
fn hand_built_model_with_nested_info_and_unknowns_round_trips() {
    let mut r = ResultOfQualificationConfirmation::default();
    r.insurer_number = Some("39131156".to_owned());
    r.insured_card_symbol = Some(String::new());
    r.sex1 = Some(Code::from_raw("9"));
    let mut elderly = ElderlyRecipientCertificateInfo::default();
    elderly.elderly_recipient_contribution_ratio = ContributionRatio::from_percent(20);
    r.elderly_recipient_certificate_info = Some(elderly);
    r.extra.push(
        UnknownElement::new("VendorBlock", "")
            .unwrap()
            .with_child(UnknownElement::new("A", "1").unwrap())
            .with_child(UnknownElement::new("A", "2").unwrap()),
    );
    let mut msg = XmlMsg::normal(&context(), QualificationValidity::Valid, vec![r]);
    msg.message_header.character_code_identifier = Some(CharacterCodeIdentifier::ShiftJis.into());
    let bytes = to_xml(&msg, Encoding::ShiftJis);
    assert_eq!(parse(&bytes).unwrap(), msg);
    assert!(UnknownElement::new("1bad", "").is_err());
    assert!(UnknownElement::new("has space", "").is_err());
    assert!(UnknownElement::new("", "").is_err());
}
