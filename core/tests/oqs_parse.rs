//! Parsing real-world-shaped `XmlMsg` files (tests/data/oqs/).

use myna_core::oqs::{
    CharacterCodeIdentifier, Code, CodeTable, ConsentFlag, Encoding, InsuredCardClassification,
    LimitApplicationCertificateClassification, LimitApplicationCertificateClassificationFlag,
    PersonalFamilyClassification, ProcessingResultStatus, QualificationValidity, ReasonOfLoss,
    ReferenceClassification, SegmentOfResult, Sex, XmlMsg, detect_encoding, parse, parse_str,
};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/oqs/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A code field's typed value (`None` when absent or not in its table).
fn value<T: CodeTable>(code: &Option<Code<T>>) -> Option<T> {
    code.as_ref().and_then(Code::value)
}

fn parse_fixture(name: &str) -> XmlMsg {
    parse(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn normal_utf8_result_is_fully_typed() {
    let msg = parse_fixture("normal_utf8.xml");
    let h = &msg.message_header;
    assert_eq!(h.process_execution_time.as_deref(), Some("20251015093012"));
    assert_eq!(
        h.qualification_confirmation_date.as_deref(),
        Some("20251015")
    );
    assert_eq!(h.medical_institution_code.as_deref(), Some("1399999999"));
    assert_eq!(h.arbitrary_file_identifier.as_deref(), Some("REQ-0001"));
    assert_eq!(
        value(&h.reference_classification),
        Some(ReferenceClassification::Card)
    );
    assert_eq!(value(&h.segment_of_result), Some(SegmentOfResult::Normal));
    assert_eq!(
        value(&h.character_code_identifier),
        Some(CharacterCodeIdentifier::Utf8)
    );
    assert_eq!(h.error_code, None);
    assert!(h.extra.is_empty());

    let b = &msg.message_body;
    assert_eq!(
        value(&b.processing_result_status),
        Some(ProcessingResultStatus::Normal)
    );
    assert_eq!(
        msg.qualification_validity(),
        Some(QualificationValidity::Valid)
    );
    assert!(!msg.is_error());
    assert_eq!(msg.results().len(), 1);

    let r = &msg.results()[0];
    assert_eq!(
        r.insured_card_classification.as_ref().unwrap().value(),
        Some(InsuredCardClassification::General)
    );
    assert_eq!(
        r.insured_card_classification.as_ref().unwrap().label(),
        Some("一般")
    );
    assert_eq!(r.insurer_number.as_deref(), Some("01130012"));
    assert_eq!(r.insurer_name.as_deref(), Some("全国健康保険協会東京支部"));
    assert_eq!(r.insured_card_symbol.as_deref(), Some("12345678"));
    assert_eq!(r.insured_identification_number.as_deref(), Some("1001"));
    assert_eq!(r.insured_branch_number.as_deref(), Some("00"));
    assert_eq!(
        value(&r.personal_family_classification),
        Some(PersonalFamilyClassification::Insured)
    );
    assert_eq!(r.name.as_deref(), Some("山田\u{3000}太郎"));
    assert_eq!(r.name_kana.as_deref(), Some("ﾔﾏﾀﾞ ﾀﾛｳ"));
    assert_eq!(r.sex1.as_ref().unwrap().value(), Some(Sex::Male));
    assert_eq!(r.sex2, None);
    assert_eq!(r.birthdate.as_deref(), Some("19800415"));
    assert_eq!(r.address.as_deref(), Some("東京都千代田区霞が関１－２－２"));
    assert_eq!(r.post_number.as_deref(), Some("100-8916"));
    assert_eq!(
        r.insured_certificate_issuance_date.as_deref(),
        Some("20150401")
    );
    let ratio = r.insured_partial_contribution_ratio.as_ref().unwrap();
    assert_eq!(ratio.raw(), "030");
    assert_eq!(ratio.percent(), Some(30));
    assert_eq!(ratio.label(), Some("3割"));
    assert_eq!(r.reference_number.as_deref(), Some("0000000001"));
    assert_eq!(r.elderly_recipient_certificate_info, None);
    assert!(r.extra.is_empty());
}

#[test]
fn element_order_and_whitespace_do_not_matter() {
    let ordered = parse_fixture("normal_utf8.xml");
    let shuffled = parse_fixture("shuffled_order.xml");
    assert_eq!(shuffled, ordered);
}

#[test]
fn cp932_file_decodes_nec_and_ibm_extensions_and_fullwidth_tilde() {
    let bytes = fixture("shiftjis_cp932.xml");
    assert_eq!(detect_encoding(&bytes).unwrap(), Encoding::ShiftJis);
    // The fixture was produced by Python's cp932 codec: 髙 as the NEC-selected IBM
    // extension EE E0, ～ as 81 60, ① as 87 40, ㈱ as 87 8A.
    for needle in [
        &[0xEE, 0xE0][..],
        &[0x81, 0x60],
        &[0x87, 0x40],
        &[0x87, 0x8A],
    ] {
        assert!(
            bytes.windows(2).any(|w| w == needle),
            "{needle:02X?} not in fixture"
        );
    }
    let msg = parse(&bytes).unwrap();
    let r = &msg.results()[0];
    assert_eq!(r.name.as_deref(), Some("髙橋\u{3000}次郎"));
    assert_eq!(r.name_of_other.as_deref(), Some("山﨑\u{3000}次郎"));
    assert_eq!(
        r.address.as_deref(),
        Some("大阪府大阪市港区築港１－１－１\u{3000}㈱みなと①号館\u{FF5E}２階")
    );
    assert_eq!(r.insured_card_symbol.as_deref(), Some("２００１"));
    assert_eq!(r.name_kana.as_deref(), Some("ﾀｶﾊｼ ｼﾞﾛｳ"));
    assert_eq!(
        value(&msg.message_header.character_code_identifier),
        Some(CharacterCodeIdentifier::ShiftJis)
    );

    // The same document in UTF-8 gives the same model.
    assert_eq!(msg, parse_fixture("shiftjis_cp932_as_utf8.xml"));
}

#[test]
fn ibm_extension_row_fa_fc_decodes_too() {
    // 髙 as the IBM extension FB FC (what Windows itself writes), ⅰ as FA 40.
    let mut bytes = b"<?xml version=\"1.0\" encoding=\"windows-31j\"?><XmlMsg><MessageHeader>\
        <ErrorMessage>"
        .to_vec();
    bytes.extend_from_slice(&[0xFB, 0xFC, 0xFA, 0x40, 0x81, 0x60]);
    bytes.extend_from_slice(b"</ErrorMessage></MessageHeader></XmlMsg>");
    let msg = parse(&bytes).unwrap();
    assert_eq!(msg.message_header.error_message.as_deref(), Some("髙ⅰ～"));
}

#[test]
fn encoding_labels_are_case_insensitive() {
    for label in [
        "Shift_JIS",
        "shift_jis",
        "SHIFT-JIS",
        "shift-jis",
        "Windows-31J",
        "cp932",
        "CP932",
        "MS932",
        "sjis",
    ] {
        let doc = format!(
            "<?xml version=\"1.0\" encoding=\"{label}\" standalone=\"no\"?><XmlMsg><MessageHeader/></XmlMsg>"
        );
        assert_eq!(
            detect_encoding(doc.as_bytes()).unwrap(),
            Encoding::ShiftJis,
            "{label}"
        );
    }
    for label in ["UTF-8", "utf-8", "Utf8"] {
        let doc =
            format!("<?xml version='1.0' encoding='{label}'?><XmlMsg><MessageHeader/></XmlMsg>");
        assert_eq!(
            detect_encoding(doc.as_bytes()).unwrap(),
            Encoding::Utf8,
            "{label}"
        );
    }
    // No declaration, or a declaration without encoding: UTF-8.
    assert_eq!(detect_encoding(b"<XmlMsg/>").unwrap(), Encoding::Utf8);
    assert_eq!(
        detect_encoding(b"<?xml version=\"1.0\"?><XmlMsg/>").unwrap(),
        Encoding::Utf8
    );
}

#[test]
fn utf8_bom_is_accepted() {
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(&fixture("normal_utf8.xml"));
    assert_eq!(parse(&bytes).unwrap(), parse_fixture("normal_utf8.xml"));
}

#[test]
fn space_padded_kokuho_insurer_number_is_trimmed_and_u3000_kept() {
    let msg = parse_fixture("kokuho_padded.xml");
    let r = &msg.results()[0];
    assert_eq!(r.insurer_number.as_deref(), Some("138057"));
    assert_eq!(r.insured_card_symbol.as_deref(), Some("世１２－３４"));
    // ASCII whitespace is trimmed, U+3000 is not.
    assert_eq!(r.name.as_deref(), Some("佐藤\u{3000}花子\u{3000}"));
    assert_eq!(
        msg.message_body.processing_result_message.as_deref(),
        Some("電子証明書の有効期限が3か月以内に切れます")
    );
    assert_eq!(r.insured_card_expiration_date.as_deref(), Some("20270731"));
}

#[test]
fn multiple_results_with_nested_infos() {
    let msg = parse_fixture("multiple_results.xml");
    assert_eq!(
        msg.qualification_validity(),
        Some(QualificationValidity::MultipleMatches)
    );
    assert_eq!(
        value(&msg.message_header.reference_classification),
        Some(ReferenceClassification::InsuranceNumbers)
    );
    let search = msg
        .message_body
        .qualification_confirm_search_info
        .as_ref()
        .unwrap();
    assert_eq!(search.insurer_number.as_deref(), Some("06270011"));
    assert_eq!(search.insured_branch_number, None);
    assert_eq!(
        value(&search.limit_application_certificate_related_cons_flg),
        Some(ConsentFlag::Consented)
    );

    let results = msg.results();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0].insured_branch_number.as_deref(), Some("00"));
    assert_eq!(results[1].insured_branch_number.as_deref(), Some("01"));

    let elderly = results[0]
        .elderly_recipient_certificate_info
        .as_ref()
        .unwrap();
    assert_eq!(
        elderly.elderly_recipient_certificate_date.as_deref(),
        Some("20250701")
    );
    assert_eq!(
        elderly.elderly_recipient_valid_start_date.as_deref(),
        Some("20250801")
    );
    assert_eq!(
        elderly.elderly_recipient_valid_end_date.as_deref(),
        Some("20260731")
    );
    assert_eq!(
        elderly
            .elderly_recipient_contribution_ratio
            .as_ref()
            .unwrap()
            .label(),
        Some("2割")
    );

    let second = &results[1];
    assert_eq!(second.disqualification_date.as_deref(), Some("20250331"));
    assert_eq!(value(&second.reason_of_loss), Some(ReasonOfLoss::Other));
    assert_eq!(
        second
            .limit_application_certificate_related_cons_time
            .as_deref(),
        Some("20251015105900")
    );
    let limit = second
        .limit_application_certificate_related_info
        .as_ref()
        .unwrap();
    assert_eq!(
        limit
            .limit_application_certificate_classification
            .as_ref()
            .unwrap()
            .value(),
        Some(LimitApplicationCertificateClassification::LimitApplication)
    );
    let flag = limit
        .limit_application_certificate_classification_flag
        .as_ref()
        .unwrap();
    assert_eq!(
        flag.value(),
        Some(LimitApplicationCertificateClassificationFlag::A03)
    );
    assert_eq!(flag.label(), Some("区分ウ"));
    assert_eq!(limit.limit_application_certificate_long_term_date, None);
}

#[test]
fn error_result_segment_9() {
    let msg = parse_fixture("error_result.xml");
    let h = &msg.message_header;
    assert_eq!(value(&h.segment_of_result), Some(SegmentOfResult::Abnormal));
    assert_eq!(h.error_code.as_deref(), Some("MW0008"));
    assert_eq!(
        h.error_message.as_deref(),
        Some("電子証明書の有効期限が切れています")
    );
    assert!(msg.is_error());
    assert!(msg.results().is_empty());
    assert_eq!(msg.qualification_validity(), None);
}

#[test]
fn unknown_elements_and_codes_are_kept() {
    let msg = parse_fixture("unknown_elements.xml");
    let h = &msg.message_header;
    assert_eq!(h.extra.len(), 1);
    assert_eq!(h.extra[0].name(), "InterfaceVersion");
    assert_eq!(h.extra[0].text(), "2.1");

    assert_eq!(msg.extra.len(), 1);
    assert_eq!(msg.extra[0].name(), "Signature");
    assert_eq!(msg.message_body.extra[0].name(), "BodyNotice");
    assert_eq!(
        msg.message_body.result_list.extra[0].name(),
        "ResultListNote"
    );

    let r = &msg.results()[0];
    // Codes outside their tables: kept raw, no value, no label.
    let card = r.insured_card_classification.as_ref().unwrap();
    assert_eq!((card.raw(), card.value(), card.label()), ("B9", None, None));
    let sex1 = r.sex1.as_ref().unwrap();
    assert_eq!((sex1.raw(), sex1.value()), ("4", None));
    let sex2 = r.sex2.as_ref().unwrap();
    assert_eq!((sex2.raw(), sex2.value()), ("", None));
    let ratio = r.insured_partial_contribution_ratio.as_ref().unwrap();
    assert_eq!((ratio.raw(), ratio.percent()), ("3割", None));

    // The first Name is the field; the duplicate is kept as an unknown element.
    assert_eq!(r.name.as_deref(), Some("高橋\u{3000}次郎"));
    let names: Vec<&str> = r.extra.iter().map(|e| e.name()).collect();
    assert_eq!(
        names,
        [
            "PharmacistsInfoConsFlg",
            "PharmacistsInfoConsTime",
            "PharmacistsInfoAvailableTime",
            "FutureInfo",
            "Name"
        ]
    );
    let future = &r.extra[3];
    assert_eq!(future.children().len(), 3);
    assert_eq!(future.children()[0].text(), "X1");
    let note = future.child("FutureDetail").unwrap().child("Note").unwrap();
    assert_eq!(note.text(), "入れ子&特殊文字<テスト>");
    assert_eq!(r.extra[4].text(), "重複\u{3000}氏名");
}

#[test]
fn known_element_in_the_wrong_shape_is_kept_not_lost() {
    let doc = "<XmlMsg><MessageHeader><ErrorMessage>a<b>c</b></ErrorMessage></MessageHeader>\
        <MessageBody><ProcessingResultStatus>1</ProcessingResultStatus>\
        <QualificationConfirmSearchInfo>text<InsurerNumber>1</InsurerNumber></QualificationConfirmSearchInfo>\
        </MessageBody></XmlMsg>";
    let msg = parse_str(doc).unwrap();
    assert_eq!(msg.message_header.error_message, None);
    assert_eq!(msg.message_header.extra[0].name(), "ErrorMessage");
    assert_eq!(msg.message_header.extra[0].text(), "a");
    assert_eq!(msg.message_header.extra[0].children()[0].text(), "c");
    assert_eq!(msg.message_body.qualification_confirm_search_info, None);
    assert_eq!(
        msg.message_body.extra[0].name(),
        "QualificationConfirmSearchInfo"
    );
}

#[test]
fn namespace_prefixes_cdata_comments_and_references() {
    let doc = r#"<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!-- leading comment -->
<q:XmlMsg xmlns:q="urn:example">
  <q:MessageHeader>
    <q:ErrorMessage><![CDATA[<raw> & ]]>&#x9AD9;&#39640;&amp;&lt;&gt;&quot;&apos;</q:ErrorMessage>
    <?vendor-pi ignored?>
  </q:MessageHeader>
</q:XmlMsg>
<!-- trailing comment -->
"#;
    let msg = parse_str(doc).unwrap();
    assert_eq!(
        msg.message_header.error_message.as_deref(),
        Some("<raw> & 髙高&<>\"'")
    );
}

#[test]
fn empty_elements_are_present_but_empty() {
    let msg = parse_str(
        "<XmlMsg><MessageHeader><ErrorCode/><ErrorMessage></ErrorMessage></MessageHeader></XmlMsg>",
    )
    .unwrap();
    assert_eq!(msg.message_header.error_code.as_deref(), Some(""));
    assert_eq!(msg.message_header.error_message.as_deref(), Some(""));
    // No body: an empty one.
    assert_eq!(msg.message_body, Default::default());
}

#[test]
fn parse_str_ignores_the_declared_encoding() {
    let doc = "\u{FEFF}<?xml version=\"1.0\" encoding=\"Shift_JIS\"?>\
        <XmlMsg><MessageHeader><ErrorMessage>髙</ErrorMessage></MessageHeader></XmlMsg>";
    let msg = parse_str(doc).unwrap();
    assert_eq!(msg.message_header.error_message.as_deref(), Some("髙"));
}

#[test]
fn contribution_ratio_labels() {
    use myna_core::oqs::{ContributionRatio, contribution_ratio_label, contribution_ratio_percent};
    let table = [
        ("000", Some("0割")),
        ("010", Some("1割")),
        ("020", Some("2割")),
        ("030", Some("3割")),
        ("100", Some("10割")),
        (" 030 ", Some("3割")),
        ("015", None),
        ("101", None),
        ("30", None),
        ("0300", None),
        ("０３０", None),
        ("3割", None),
        ("", None),
    ];
    for (raw, label) in table {
        assert_eq!(contribution_ratio_label(raw), label, "{raw:?}");
    }
    assert_eq!(contribution_ratio_percent("015"), Some(15));
    assert_eq!(ContributionRatio::from_percent(20).unwrap().raw(), "020");
    assert_eq!(ContributionRatio::from_percent(101), None);
}

#[test]
fn code_tables_are_complete_and_unique() {
    fn check<T: CodeTable>(expected: &[(&str, &str)]) {
        let got: Vec<(&str, &str)> = T::ALL.iter().map(|v| (v.code(), v.label())).collect();
        assert_eq!(got, expected);
        for (code, _) in expected {
            assert_eq!(T::from_code(code).map(|v| v.code()), Some(*code));
        }
    }
    check::<QualificationValidity>(&[
        ("1", "有効"),
        ("2", "無効"),
        ("3", "無効（新しい資格あり）"),
        ("4", "該当資格なし"),
        ("5", "複数該当"),
        ("6", "有効（未登録）"),
    ]);
    check::<Sex>(&[("1", "男"), ("2", "女"), ("3", "未設定")]);
    check::<InsuredCardClassification>(&[
        ("01", "一般"),
        ("02", "退職"),
        ("03", "短期(一般)"),
        ("04", "短期(退職)"),
        ("05", "資格証明書"),
        ("06", "特例退職"),
        ("07", "自衛官"),
        ("A1", "医療扶助"),
    ]);
    check::<ReasonOfLoss>(&[
        ("01", "死亡"),
        ("02", "生活保護受給開始"),
        ("03", "医療保険等の資格取得"),
        ("99", "その他"),
    ]);
    let flags: Vec<&str> = LimitApplicationCertificateClassificationFlag::ALL
        .iter()
        .map(|f| f.code())
        .collect();
    assert_eq!(
        flags,
        [
            "A01", "A02", "A03", "A04", "A05", "A06", "B01", "B02", "B03", "B04", "B05", "B06",
            "B07", "B08", "B09", "B10"
        ]
    );
    assert_eq!(
        LimitApplicationCertificateClassificationFlag::B07.label(),
        "低所得Ⅰ(老福)"
    );
    // Exact match only: no leading-zero or case folding.
    assert_eq!(InsuredCardClassification::from_code("1"), None);
    assert_eq!(InsuredCardClassification::from_code("a1"), None);
}
