//! The official app's copy text: exact output, read by an importer-like parser, round trips
//! out → in, and the coded errors of a mangled, foreign or truncated paste.

use std::collections::BTreeMap;

use myna_core::oqs::{
    Code, ContributionRatio, CopyTextError, ElderlyRecipientCertificateInfo,
    LimitApplicationCertificateRelatedInfo, QualificationValidity, ReferenceClassification,
    ResponseContext, ResultOfQualificationConfirmation, XmlMsg, parse, parse_copy_text,
    to_copy_text,
};

/// What public importers do with the clipboard text, written from their description (not
/// their code): the text must start with `資格情報` and carry `確認日 : `; lines split on
/// CRLF; a bare line is a section; `label<TAB>value` is looked up in the current section's
/// known labels, and an unknown label aborts the import.
fn importer(text: &str) -> Result<BTreeMap<(String, String), String>, String> {
    let known: BTreeMap<&str, &[&str]> = BTreeMap::from([
        (
            "資格情報",
            &[
                "確認日 : ",
                "保険者番号",
                "保険者名",
                "記号",
                "番号",
                "枝番",
                "氏名",
                "フリガナ",
                "生年月日",
                "性別",
                "証区分",
                "有効開始日",
                "有効終了日",
                "資格取得年月日",
                "負担割合",
                "未就学区分",
                "本人・家族の別",
                "被保険者氏名",
                "住所",
            ][..],
        ),
        ("裏面記載情報", &["氏名", "氏名カナ", "性別"][..]),
        (
            "高齢受給者証",
            &["有効開始日", "有効終了日", "負担割合"][..],
        ),
        (
            "限度額適用認定証",
            &["有効開始年月日", "有効終了年月日"][..],
        ),
    ]);
    if !text.starts_with("資格情報\r\n") {
        return Err("does not start with 資格情報".into());
    }
    if !text.ends_with("\r\n") {
        return Err("last line not ended by CRLF".into());
    }
    let body = &text[..text.len() - 2];
    let mut section = String::new();
    let mut out = BTreeMap::new();
    for line in body.split("\r\n") {
        if line.contains('\n') || line.contains('\r') {
            return Err(format!("bare LF/CR in {line:?}"));
        }
        match line.split_once('\t') {
            None => {
                if !known.contains_key(line) {
                    return Err(format!("unknown section {line:?}"));
                }
                section = line.to_owned();
            }
            Some((label, value)) => {
                let labels = known
                    .get(section.as_str())
                    .ok_or("field before a section")?;
                if !labels.contains(&label) {
                    return Err(format!("unknown label {label:?} in {section}"));
                }
                if value.contains('\t') {
                    return Err(format!("a tab inside the value of {label}"));
                }
                out.insert((section.clone(), label.to_owned()), value.to_owned());
            }
        }
    }
    if !out.contains_key(&("資格情報".to_owned(), "確認日 : ".to_owned())) {
        return Err("no 確認日".into());
    }
    Ok(out)
}

fn context() -> ResponseContext {
    ResponseContext {
        process_execution_time: "20250401093000".into(),
        qualification_confirmation_date: "20250401".into(),
        medical_institution_code: "1399999999".into(),
        arbitrary_file_identifier: None,
        reference_classification: ReferenceClassification::Card,
    }
}

fn taro() -> ResultOfQualificationConfirmation {
    let mut r = ResultOfQualificationConfirmation::default();
    r.insured_card_classification = Some(Code::from_raw("01"));
    r.insurer_number = Some("01130012".into());
    r.insurer_name = Some("全国健康保険協会東京支部".into());
    r.insured_card_symbol = Some("１２－３４".into());
    r.insured_identification_number = Some("567".into());
    r.insured_branch_number = Some("00".into());
    r.personal_family_classification = Some(Code::from_raw("1"));
    r.name = Some("山田\u{3000}太郎".into());
    r.name_kana = Some("ﾔﾏﾀﾞ ﾀﾛｳ".into());
    r.sex1 = Some(Code::from_raw("1"));
    r.birthdate = Some("19850401".into());
    r.qualification_date = Some("20190501".into());
    r.insured_card_valid_date = Some("20190501".into());
    r
}

fn valid(results: Vec<ResultOfQualificationConfirmation>) -> XmlMsg {
    XmlMsg::normal(&context(), QualificationValidity::Valid, results)
}

/// A 高齢受給者証 of 2割, 2023-08-01 to 2025-07-31.
fn elderly_2_wari() -> ElderlyRecipientCertificateInfo {
    let mut e = ElderlyRecipientCertificateInfo::default();
    e.elderly_recipient_valid_start_date = Some("20230801".into());
    e.elderly_recipient_valid_end_date = Some("20250731".into());
    e.elderly_recipient_contribution_ratio = Some(ContributionRatio::from_raw("020"));
    e
}

#[test]
fn the_text_is_exactly_the_apps_layout() {
    let text = to_copy_text(&valid(vec![taro()]));
    let expected = "資格情報\r\n確認日 : \t令和7年4月1日\r\n保険者番号\t01130012\r\n\
        保険者名\t全国健康保険協会東京支部\r\n記号\t１２－３４\r\n番号\t567\r\n枝番\t00\r\n\
        氏名\t山田\u{3000}太郎\r\nフリガナ\tﾔﾏﾀﾞ ﾀﾛｳ\r\n生年月日\t昭和60年4月1日\r\n性別\t男\r\n\
        証区分\t一般\r\n有効開始日\t令和1年5月1日\r\n有効終了日\t\r\n資格取得年月日\t令和1年5月1日\r\n\
        負担割合\t\r\n本人・家族の別\t本人\r\n被保険者氏名\t\r\n住所\t\r\n\
        裏面記載情報\r\n氏名\t\r\n氏名カナ\t\r\n性別\t\r\n";
    assert_eq!(text, expected);
    assert!(!text.contains("元年"), "numeric years only");
}

#[test]
fn an_importer_reads_every_kind_of_result() {
    let mut kouki = taro();
    kouki.insurer_number = Some("39131156".into());
    kouki.birthdate = Some("19450310".into());
    kouki.insured_partial_contribution_ratio = Some(ContributionRatio::from_raw("010"));
    kouki.personal_family_classification = Some(Code::from_raw("2"));
    kouki.insured_name = Some("山田\u{3000}一郎".into());
    kouki.address = Some("東京都千代田区1-1".into());
    kouki.sex2 = Some(Code::from_raw("2"));
    kouki.name_of_other = Some("山田\u{3000}花".into());
    let mut limit = LimitApplicationCertificateRelatedInfo::default();
    limit.limit_application_certificate_valid_start_date = Some("20240801".into());
    limit.limit_application_certificate_valid_end_date = Some("20250731".into());
    kouki.limit_application_certificate_related_info = Some(limit);

    let mut elderly = taro();
    elderly.birthdate = Some("19530720".into());
    elderly.elderly_recipient_certificate_info = Some(elderly_2_wari());

    let mut child = taro();
    child.birthdate = Some("20210615".into());
    child.preschool_classification = Some(Code::from_raw("1"));
    child.personal_family_classification = Some(Code::from_raw("2"));

    // What the importer reads, per person: (section, label, value).
    let kouki_cells: &[(&str, &str, &str)] = &[
        ("資格情報", "負担割合", "1割"),
        ("資格情報", "本人・家族の別", "家族"),
        ("資格情報", "生年月日", "昭和20年3月10日"),
        ("裏面記載情報", "性別", "女"),
        ("限度額適用認定証", "有効開始年月日", "令和6年8月1日"),
        // The 資格 dates are not overwritten by the certificate's.
        ("資格情報", "有効開始日", "令和1年5月1日"),
    ];
    let elderly_cells: &[(&str, &str, &str)] = &[
        ("高齢受給者証", "負担割合", "2割"),
        ("資格情報", "負担割合", ""),
        ("高齢受給者証", "有効開始日", "令和5年8月1日"),
    ];
    let child_cells: &[(&str, &str, &str)] = &[("資格情報", "未就学区分", "義務教育就学前")];
    let people = [
        ("kouki", kouki, kouki_cells),
        ("elderly", elderly, elderly_cells),
        ("child", child, child_cells),
    ];
    for (name, r, cells) in people {
        let text = to_copy_text(&valid(vec![r]));
        let fields = importer(&text).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
        let confirmed = ("資格情報", "確認日 : ", "令和7年4月1日");
        for &(section, label, value) in [confirmed].iter().chain(cells) {
            let cell = fields.get(&(section.to_owned(), label.to_owned()));
            assert_eq!(
                cell.map(String::as_str),
                Some(value),
                "{name}: {section} {label}"
            );
        }
    }
}

#[test]
fn out_then_in_gives_the_same_tree() {
    let mut r = taro();
    r.insured_partial_contribution_ratio = Some(ContributionRatio::from_raw("030"));
    r.insured_card_expiration_date = Some("20300331".into());
    r.address = Some("大阪府大阪市北区1-2-3".into());
    r.insured_name = Some("山田\u{3000}太郎".into());
    r.name_of_other = Some("ヤマダ\u{3000}タロウ".into());
    r.name_of_other_kana = Some("ﾔﾏﾀﾞ ﾀﾛｳ".into());
    r.sex2 = Some(Code::from_raw("1"));
    r.preschool_classification = Some(Code::from_raw("1"));
    r.elderly_recipient_certificate_info = Some(elderly_2_wari());
    let mut second = taro();
    second.insurer_number = Some("06270011".into());
    second.name = Some("山田\u{3000}花子".into());
    second.sex1 = Some(Code::from_raw("2"));
    let msg = valid(vec![r, second]);
    let text = to_copy_text(&msg);
    let back = parse_copy_text(&text).unwrap();
    assert_eq!(back.results(), msg.results());
    assert_eq!(
        back.qualification_validity(),
        Some(QualificationValidity::Valid)
    );
    assert_eq!(
        back.message_header
            .qualification_confirmation_date
            .as_deref(),
        Some("20250401")
    );
    assert_eq!(to_copy_text(&back), text, "out → in → out is stable");
}

#[test]
fn the_tree_matches_the_xml_parser_for_the_same_result() {
    let msg = valid(vec![taro()]);
    let from_xml = parse(&myna_core::oqs::to_xml(
        &msg,
        myna_core::oqs::Encoding::Utf8,
    ))
    .unwrap();
    let from_text = parse_copy_text(&to_copy_text(&msg)).unwrap();
    assert_eq!(from_text.results(), from_xml.results());
    assert_eq!(
        serde_json::to_value(&from_text).unwrap()["messageBody"]["resultList"],
        serde_json::to_value(&from_xml).unwrap()["messageBody"]["resultList"]
    );
}

#[test]
fn the_app_text_with_lf_ends_and_newer_sections_is_read() {
    let text = "資格情報(医療保険)\n確認日 : \t令和6年4月1日\n保険者番号\t138057\n保険者名\t千代田区\n\
        記号\t千代\n番号\t1234\n枝番\t01\n氏名\t鈴木　一\nフリガナ\tｽｽﾞｷ ﾊｼﾞﾒ\n生年月日\t平成元年1月8日\n\
        性別\t男性\n証区分\t一般\n有効開始日\t令和６年４月１日\n有効終了日\t\n資格取得年月日\t2024/04/01\n\
        負担割合\t３割\n本人・家族の別\t本人\n被保険者氏名\t鈴木　一\n住所\t\n照会番号\tR0001\n\
        裏面記載情報\n氏名\t\n氏名カナ\t\n性別\t\n\
        資格情報（医療扶助）\n公費負担者番号\t12131011\n氏名\t鈴木　一\n生年月日\t平成1年1月8日\n";
    let msg = parse_copy_text(text).unwrap();
    let [insurance, assistance] = msg.results() else {
        panic!("two results: {msg:?}");
    };
    assert_eq!(insurance.birthdate.as_deref(), Some("19890108"));
    assert_eq!(
        insurance.insured_card_valid_date.as_deref(),
        Some("20240401")
    );
    assert_eq!(insurance.qualification_date.as_deref(), Some("20240401"));
    assert_eq!(
        insurance
            .insured_partial_contribution_ratio
            .as_ref()
            .unwrap()
            .raw(),
        "030"
    );
    assert_eq!(insurance.sex1.as_ref().unwrap().raw(), "1");
    assert_eq!(insurance.reference_number.as_deref(), Some("R0001"));
    assert_eq!(insurance.name.as_deref(), Some("鈴木　一"));
    assert_eq!(
        assistance
            .insured_card_classification
            .as_ref()
            .unwrap()
            .raw(),
        "A1"
    );
    // The label this module does not know is kept, not guessed.
    let kept = &assistance.extra[0];
    assert_eq!(kept.name(), "CopyTextField");
    assert_eq!(kept.child("Label").unwrap().text(), "公費負担者番号");
    assert_eq!(kept.child("Value").unwrap().text(), "12131011");
}

fn code(text: &str) -> &'static str {
    parse_copy_text(text).unwrap_err().code()
}

#[test]
fn bad_pastes_get_coded_errors() {
    let good = to_copy_text(&valid(vec![taro()]));
    assert_eq!(code(""), "copy-text-empty");
    assert_eq!(code(" \r\n\r\n"), "copy-text-empty");
    // Another language / another app.
    assert_eq!(
        code("Qualification information\r\nInsurer number\t01130012\r\n"),
        "copy-text-not-official-app"
    );
    assert_eq!(
        code("<?xml version=\"1.0\"?><XmlMsg/>"),
        "copy-text-not-official-app"
    );
    assert_eq!(
        code("保険者番号\t01130012\r\n"),
        "copy-text-not-official-app"
    );
    // Truncated: cut after 生年月日.
    let cut = &good[..good.find("性別").unwrap()];
    assert!(matches!(
        parse_copy_text(cut),
        Err(CopyTextError::Truncated {
            label: "性別", ..
        })
    ));
    // No 確認日 at all.
    let no_date = good.replace("確認日 : \t令和7年4月1日\r\n", "");
    assert_eq!(code(&no_date), "copy-text-truncated");
    // Mangled: tabs turned into spaces by an editor.
    assert_eq!(code(&good.replace('\t', "    ")), "copy-text-malformed");
    // A value that is no date / no word of its table.
    assert_eq!(
        code(&good.replace("昭和60年4月1日", "昭和60年13月1日")),
        "copy-text-invalid-value"
    );
    assert_eq!(
        code(&good.replace("性別\t男", "性別\tmale")),
        "copy-text-invalid-value"
    );
    assert_eq!(
        code(&good.replace("証区分\t一般", "証区分\t?")),
        "copy-text-invalid-value"
    );
    // Lines are counted as an editor counts them, whatever the line ends.
    for ends in ["\r\n", "\n", "\r"] {
        let text = good.replace("\r\n", ends).replace("記号\t", "記号 ");
        assert_eq!(
            parse_copy_text(&text).unwrap_err().line(),
            Some(5),
            "{ends:?}"
        );
    }
    // A label twice.
    assert_eq!(
        code(&good.replace("番号\t567\r\n", "番号\t567\r\n番号\t568\r\n")),
        "copy-text-malformed"
    );
    assert_eq!(code(&"x".repeat(70_000)), "copy-text-too-large");
    // The good text still reads: nothing above was lost from it.
    assert!(parse_copy_text(&good).is_ok());
}

#[test]
fn answers_that_are_not_valid_stop_an_importer() {
    let msg = XmlMsg::normal(&context(), QualificationValidity::Invalid, vec![taro()]);
    let text = to_copy_text(&msg);
    assert!(text.contains("資格有効性\t無効\r\n"), "{text}");
    assert!(
        importer(&text).is_err(),
        "an importer must not take it as valid"
    );
    let back = parse_copy_text(&text).unwrap();
    assert_eq!(
        back.qualification_validity(),
        Some(QualificationValidity::Invalid)
    );

    let error = XmlMsg::error(&context(), "MW0009", "電子証明書が失効しています");
    let text = to_copy_text(&error);
    assert!(importer(&text).is_err());
    let back = parse_copy_text(&text).unwrap();
    assert!(back.is_error());
    assert_eq!(back.message_header.error_code.as_deref(), Some("MW0009"));

    let none = XmlMsg::normal(&context(), QualificationValidity::NoQualification, vec![]);
    let back = parse_copy_text(&to_copy_text(&none)).unwrap();
    assert_eq!(
        back.qualification_validity(),
        Some(QualificationValidity::NoQualification)
    );
    assert!(back.results().is_empty());
}

/// Issue 14: the `本人確認` line says a smartphone was used, only when asked and only for a
/// phone; the card's text stays the app's, byte for byte.
#[test]
fn the_identity_line_is_written_only_for_a_phone_and_read_back_as_extra() {
    use myna_core::oqs::{identity_label, to_copy_text_with_identity};
    use myna_core::wire::Token;
    use myna_core::wire::service::ConfirmationMode::{Pin, Visual};

    let elderly = {
        let mut r = taro();
        r.elderly_recipient_certificate_info = Some(elderly_2_wari());
        r
    };
    let msgs = [
        valid(vec![taro()]),
        valid(vec![taro(), elderly.clone()]),
        XmlMsg::normal(&context(), QualificationValidity::Invalid, vec![taro()]),
        XmlMsg::error(&context(), "MW0009", "電子証明書が失効しています"),
        XmlMsg::normal(&context(), QualificationValidity::NoQualification, vec![]),
    ];
    for msg in &msgs {
        for mode in [Pin, Visual] {
            assert_eq!(
                to_copy_text_with_identity(msg, Token::Card, mode),
                to_copy_text(msg),
                "a card's text is the app's, byte for byte"
            );
        }
    }

    assert_eq!(
        identity_label(Token::Android, Pin),
        "スマートフォン（Android）・暗証番号"
    );
    assert_eq!(
        identity_label(Token::Iphone, Pin),
        "スマートフォン（iPhone）・暗証番号"
    );
    assert_eq!(
        identity_label(Token::Card, Visual),
        "マイナンバーカード・目視"
    );

    let msg = valid(vec![taro(), elderly]);
    let plain = to_copy_text(&msg);
    let phone = to_copy_text_with_identity(&msg, Token::Android, Pin);
    let line = "本人確認\tスマートフォン（Android）・暗証番号\r\n";
    assert_eq!(
        phone,
        plain.replace(
            "\r\n裏面記載情報\r\n",
            &format!("\r\n{line}裏面記載情報\r\n")
        ),
        "one line at the end of each 資格情報 section, nothing else changed"
    );
    assert_eq!(phone.matches(line).count(), 2, "{phone}");

    // Why it is not written by default: an importer stops on the label it does not know.
    let one = valid(vec![taro()]);
    assert!(importer(&to_copy_text(&one)).is_ok());
    let refused = importer(&to_copy_text_with_identity(&one, Token::Android, Pin)).unwrap_err();
    assert!(refused.contains("本人確認"), "{refused}");

    // The product's own parser takes it: the results as without the line, the line kept.
    let back = parse_copy_text(&phone).unwrap();
    let without = parse_copy_text(&plain).unwrap();
    assert_eq!(back.results().len(), 2);
    for (with, without) in back.results().iter().zip(without.results()) {
        let mut stripped = with.clone();
        assert_eq!(stripped.extra.len(), 1, "{:?}", stripped.extra);
        let kept = stripped.extra.remove(0);
        let xml = format!("{kept:?}");
        assert!(
            xml.contains("本人確認") && xml.contains("スマートフォン（Android）・暗証番号"),
            "{xml}"
        );
        assert_eq!(&stripped, without);
    }
    // The error and empty answers carry no result an importer would take: no line.
    for msg in &msgs[3..] {
        assert_eq!(
            to_copy_text_with_identity(msg, Token::Android, Pin),
            to_copy_text(msg)
        );
    }
}
