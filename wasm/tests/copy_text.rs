//! Issue 13 in the browser: `parseCopyText` (the official app's copied result → the same
//! `XmlMsg` tree `parseQualificationXml` gives), its coded errors, and the panel's 負担割合
//! row (the data's ratio, or the law's marked 法定・推定, or no row).
//!
//! Run with `cargo xtask wasm-tests` (headless Chromium through wasm-bindgen-test-runner).
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const NORMAL: &str = include_str!("../../core/tests/data/oqs/normal_utf8.xml");

fn parse(xml: &str) -> JsValue {
    myna_web::parse_qualification_xml(JsValue::from_str(xml)).expect("parses")
}

fn json(value: &JsValue) -> String {
    js_sys::JSON::stringify(value).unwrap().as_string().unwrap()
}

/// One valid result born on `birth`, checked on 2025-10-15, with `extra` elements.
fn person(birth: &str, insurer: &str, extra: &str) -> JsValue {
    parse(&format!(
        r#"<XmlMsg><MessageHeader><QualificationConfirmationDate>20251015</QualificationConfirmationDate>
<SegmentOfResult>1</SegmentOfResult></MessageHeader><MessageBody>
<ProcessingResultStatus>1</ProcessingResultStatus><QualificationValidity>1</QualificationValidity>
<ResultList><ResultOfQualificationConfirmation><InsurerNumber>{insurer}</InsurerNumber>
<Name>山田　太郎</Name><Birthdate>{birth}</Birthdate>{extra}
</ResultOfQualificationConfirmation></ResultList></MessageBody></XmlMsg>"#
    ))
}

fn ratio_row(result: &JsValue) -> Option<String> {
    let host = container();
    myna_web::render_qualification(&host, result.clone(), JsValue::UNDEFINED).unwrap();
    field(&section(&host, "資格情報"), "負担割合")
}

/// A result with exactly the fields the copy text carries.
const CARRIED: &str = r#"<XmlMsg><MessageHeader><QualificationConfirmationDate>20251015</QualificationConfirmationDate>
<SegmentOfResult>1</SegmentOfResult></MessageHeader><MessageBody>
<ProcessingResultStatus>1</ProcessingResultStatus><QualificationValidity>1</QualificationValidity>
<ResultList><ResultOfQualificationConfirmation>
<InsuredCardClassification>01</InsuredCardClassification><InsurerNumber>01130012</InsurerNumber>
<InsuredCardSymbol>１２－３４</InsuredCardSymbol><InsuredIdentificationNumber>1001</InsuredIdentificationNumber>
<InsuredBranchNumber>00</InsuredBranchNumber><PersonalFamilyClassification>2</PersonalFamilyClassification>
<InsuredName>山田　一郎</InsuredName><Name>山田　太郎</Name><NameOfOther>ヤマダ　タロウ</NameOfOther>
<NameKana>ﾔﾏﾀﾞ ﾀﾛｳ</NameKana><Sex1>1</Sex1><Sex2>1</Sex2><Birthdate>19800415</Birthdate>
<Address>東京都千代田区1-1</Address><QualificationDate>20190501</QualificationDate>
<InsuredCardValidDate>20190501</InsuredCardValidDate><InsuredCardExpirationDate>20300331</InsuredCardExpirationDate>
<InsurerName>全国健康保険協会東京支部</InsurerName>
<ElderlyRecipientCertificateInfo><ElderlyRecipientValidStartDate>20250801</ElderlyRecipientValidStartDate>
<ElderlyRecipientValidEndDate>20260731</ElderlyRecipientValidEndDate>
<ElderlyRecipientContributionRatio>020</ElderlyRecipientContributionRatio></ElderlyRecipientCertificateInfo>
</ResultOfQualificationConfirmation></ResultList></MessageBody></XmlMsg>"#;

#[wasm_bindgen_test]
fn the_copy_text_reads_back_into_the_same_tree() {
    let from_xml = parse(CARRIED);
    let text = myna_web::copy_text(from_xml.clone(), JsValue::UNDEFINED).unwrap();
    assert!(
        text.starts_with("資格情報\r\n確認日 : \t令和7年10月15日\r\n"),
        "{text}"
    );
    assert!(!text.contains("元年"));
    let from_text = myna_web::parse_copy_text(&text).expect("reads");
    assert_eq!(
        json(&path(&from_text, "messageBody.resultList")),
        json(&path(&from_xml, "messageBody.resultList")),
        "{text}"
    );
    assert_strings(
        &from_text,
        &[
            ("messageHeader.qualificationConfirmationDate", "20251015"),
            ("messageBody.qualificationValidityLabel", "有効"),
        ],
    );
    // A fixture with more than the text carries still reads back what it carries.
    let normal =
        myna_web::parse_copy_text(&myna_web::copy_text(parse(NORMAL), JsValue::UNDEFINED).unwrap())
            .unwrap();
    assert_eq!(
        string(&normal, "messageBody.resultList.0.insurerNumber"),
        "01130012"
    );
    // The panel draws a pasted result like any other.
    let host = container();
    myna_web::render_qualification(&host, from_text, JsValue::UNDEFINED).unwrap();
    assert_eq!(common::text(&host, ".myna-status__value"), "有効");
}

#[wasm_bindgen_test]
fn the_apps_words_become_codes() {
    let text = "資格情報\r\n確認日 : \t令和6年4月1日\r\n保険者番号\t138057\r\n保険者名\t千代田区\r\n\
        記号\t千代\r\n番号\t1234\r\n枝番\t01\r\n氏名\t鈴木　一\r\nフリガナ\tｽｽﾞｷ ﾊｼﾞﾒ\r\n\
        生年月日\t令和2年5月1日\r\n性別\t女\r\n証区分\t一般\r\n有効開始日\t令和6年4月1日\r\n\
        有効終了日\t\r\n資格取得年月日\t令和2年5月1日\r\n負担割合\t\r\n未就学区分\t義務教育就学前\r\n\
        本人・家族の別\t家族\r\n被保険者氏名\t鈴木　太郎\r\n住所\t\r\n裏面記載情報\r\n氏名\t\r\n\
        氏名カナ\t\r\n性別\t\r\n";
    let msg = myna_web::parse_copy_text(text).unwrap();
    let r = "messageBody.resultList.0";
    assert_eq!(string(&msg, &format!("{r}.birthdate")), "20200501");
    assert_eq!(string(&msg, &format!("{r}.sex1")), "2");
    assert_eq!(
        string(&msg, &format!("{r}.personalFamilyClassification")),
        "2"
    );
    assert_eq!(string(&msg, &format!("{r}.preschoolClassification")), "1");
    assert_eq!(
        string(&msg, &format!("{r}.insuredCardClassification")),
        "01"
    );
    assert_eq!(string(&msg, &format!("{r}.insuredCardSymbol")), "千代");
    assert!(path(&msg, &format!("{r}.insuredPartialContributionRatio")).is_undefined());
    // A preschool child's ratio is the law's.
    assert_eq!(ratio_row(&msg).as_deref(), Some("2割（法定・推定）"));
}

#[wasm_bindgen_test]
fn bad_pastes_are_coded_errors_with_the_line() {
    let good = myna_web::copy_text(parse(NORMAL), JsValue::UNDEFINED).unwrap();
    let error = |t: &str| myna_web::parse_copy_text(t).unwrap_err();
    assert_eq!(code(&error("")), "copy-text-empty");
    assert_eq!(
        code(&error("Eligibility\r\nInsurer\t01130012\r\n")),
        "copy-text-not-official-app"
    );
    let mangled = error(&good.replace('\t', "  "));
    assert_eq!(code(&mangled), "copy-text-malformed");
    assert_eq!(get(&mangled, "line").as_f64(), Some(2.0));
    assert_eq!(
        code(&error(&good[..good.find("生年月日").unwrap()])),
        "copy-text-truncated"
    );
    assert_eq!(
        code(&error(&good.replace("性別\t男", "性別\tmale"))),
        "copy-text-invalid-value"
    );
    assert_eq!(string(&error(""), "name"), "MynaWebError");
}

#[wasm_bindgen_test]
fn the_ratio_row_says_where_the_ratio_comes_from() {
    // 45: the law's 3割, marked — even with 030 in the 後期 field.
    let r = person(
        "19800415",
        "01130012",
        "<InsuredPartialContributionRatio>030</InsuredPartialContributionRatio>",
    );
    assert_eq!(ratio_row(&r).as_deref(), Some("3割（法定・推定）"));
    // 72 with a 高齢受給者証: its ratio, unmarked.
    let r = person(
        "19530620",
        "01130012",
        "<ElderlyRecipientCertificateInfo><ElderlyRecipientContributionRatio>030</ElderlyRecipientContributionRatio></ElderlyRecipientCertificateInfo>",
    );
    assert_eq!(ratio_row(&r).as_deref(), Some("3割"));
    // 72 without one: 2割 by law, marked.
    assert_eq!(
        ratio_row(&person("19530620", "01130012", "")).as_deref(),
        Some("2割（法定・推定）")
    );
    // 後期高齢者: the data's ratio; without it no row at all (not an empty one).
    let r = person(
        "19440210",
        "39131156",
        "<InsuredPartialContributionRatio>010</InsuredPartialContributionRatio>",
    );
    assert_eq!(ratio_row(&r).as_deref(), Some("1割"));
    let host = container();
    myna_web::render_qualification(
        &host,
        person("19440210", "39131156", ""),
        JsValue::UNDEFINED,
    )
    .unwrap();
    let labels: Vec<String> = all(&host, "dt")
        .iter()
        .filter_map(|d| d.text_content())
        .collect();
    assert!(!labels.iter().any(|l| l == "負担割合"), "{labels:?}");
}
