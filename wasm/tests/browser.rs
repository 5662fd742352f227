//! Browser tests without outside processes: parsing, 受診券照合, identifiers, the panel's DOM,
//! and the errors of `connectBridge` that need no bridge.
//!
//! Run with `cargo xtask wasm-tests` (headless Chromium through wasm-bindgen-test-runner).
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use js_sys::Uint8Array;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::HtmlElement;

wasm_bindgen_test_configure!(run_in_browser);

const NORMAL: &str = include_str!("../../core/tests/data/oqs/normal_utf8.xml");
const CP932: &[u8] = include_bytes!("../../core/tests/data/oqs/shiftjis_cp932.xml");
const SHUFFLED: &str = include_str!("../../core/tests/data/oqs/shuffled_order.xml");
const UNKNOWN: &str = include_str!("../../core/tests/data/oqs/unknown_elements.xml");
const MULTIPLE: &str = include_str!("../../core/tests/data/oqs/multiple_results.xml");
const ERROR: &str = include_str!("../../core/tests/data/oqs/error_result.xml");
const KOKUHO: &str = include_str!("../../core/tests/data/oqs/kokuho_padded.xml");

fn parse(xml: &str) -> JsValue {
    myna_web::parse_qualification_xml(JsValue::from_str(xml)).expect("parses")
}

fn parse_bytes(bytes: &[u8]) -> Result<JsValue, JsValue> {
    myna_web::parse_qualification_xml(Uint8Array::from(bytes).into())
}

fn render(result: &JsValue, options: JsValue) -> (web_sys::Element, HtmlElement) {
    let host = container();
    let panel = myna_web::render_qualification(&host, result.clone(), options).expect("renders");
    (host, panel)
}

/// `xml` parsed and rendered with the default options.
fn render_xml(xml: &str) -> (web_sys::Element, HtmlElement) {
    render(&parse(xml), JsValue::UNDEFINED)
}

/// A minimal answer with one result, for the cases no fixture covers.
fn answer(validity: &str, body_extra: &str, result_extra: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<XmlMsg><MessageHeader><QualificationConfirmationDate>20251015</QualificationConfirmationDate>
<SegmentOfResult>1</SegmentOfResult></MessageHeader>
<MessageBody><ProcessingResultStatus>1</ProcessingResultStatus>
<QualificationValidity>{validity}</QualificationValidity>{body_extra}
<ResultList><ResultOfQualificationConfirmation>
<InsurerNumber>01130012</InsurerNumber><InsurerName>全国健康保険協会東京支部</InsurerName>
<InsuredCardSymbol>12345678</InsuredCardSymbol><InsuredIdentificationNumber>1001</InsuredIdentificationNumber>
<InsuredBranchNumber>00</InsuredBranchNumber><Name>山田　太郎</Name><Birthdate>19800415</Birthdate>
{result_extra}
</ResultOfQualificationConfirmation></ResultList></MessageBody></XmlMsg>"#
    )
}

// ---- parsing -------------------------------------------------------------------------------

#[wasm_bindgen_test]
fn parses_utf8_text_into_the_lower_camel_case_tree() {
    let msg = parse(NORMAL);
    assert_strings(
        &msg,
        &[
            ("messageHeader.segmentOfResult", "1"),
            ("messageHeader.segmentOfResultLabel", "正常終了"),
            ("messageBody.qualificationValidityLabel", "有効"),
        ],
    );
    let results = path(&msg, "messageBody.resultList");
    assert!(js_sys::Array::is_array(&results));
    assert_eq!(js_sys::Array::from(&results).length(), 1);
    assert_strings(
        &msg,
        &[
            ("messageBody.resultList.0.insurerNumber", "01130012"),
            ("messageBody.resultList.0.name", "山田\u{3000}太郎"),
            ("messageBody.resultList.0.sex1Label", "男"),
            (
                "messageBody.resultList.0.insuredPartialContributionRatioLabel",
                "3割",
            ),
        ],
    );
    // A plain object, not a Map.
    assert!(path(&msg, "messageBody").is_object());
    assert!(path(&msg, "messageBody").dyn_ref::<js_sys::Map>().is_none());
}

#[wasm_bindgen_test]
fn parses_cp932_bytes_with_the_characters_plain_shift_jis_lacks() {
    let msg = parse_bytes(CP932).expect("parses CP932");
    assert_strings(
        &msg,
        &[
            ("messageBody.resultList.0.name", "髙橋\u{3000}次郎"),
            ("messageBody.resultList.0.nameOfOther", "山﨑\u{3000}次郎"),
            (
                "messageBody.resultList.0.address",
                "大阪府大阪市港区築港１－１－１\u{3000}㈱みなと①号館\u{FF5E}２階",
            ),
            ("messageBody.resultList.0.insuredCardSymbol", "２００１"),
        ],
    );
    // The same bytes as an ArrayBuffer.
    let buffer = Uint8Array::from(CP932).buffer();
    let again = myna_web::parse_qualification_xml(buffer.into()).unwrap();
    assert_eq!(
        string(&again, "messageBody.resultList.0.name"),
        "髙橋\u{3000}次郎"
    );
}

#[wasm_bindgen_test]
fn shuffled_order_and_unknown_elements_still_parse() {
    // The same answer as the normal file, every level reordered, odd whitespace.
    let shuffled = parse(SHUFFLED);
    let normal = parse(NORMAL);
    assert_eq!(
        js_sys::JSON::stringify(&path(&shuffled, "messageBody.resultList.0")).unwrap(),
        js_sys::JSON::stringify(&path(&normal, "messageBody.resultList.0")).unwrap()
    );
    assert_eq!(
        string(
            &shuffled,
            "messageBody.resultList.0.insuredPartialContributionRatio"
        ),
        "030"
    );

    let unknown = parse(UNKNOWN);
    assert_eq!(string(&unknown, "messageHeader.interfaceVersion"), "2.1");
    let result = path(&unknown, "messageBody.resultList.0");
    assert_eq!(
        strings(&path(&result, "futureInfo.futureCode")),
        ["X1", "X2"]
    );
    assert_eq!(
        string(&result, "futureInfo.futureDetail.note"),
        "入れ子&特殊文字<テスト>"
    );
    // A code outside its table keeps its raw value and a null label.
    assert_eq!(string(&result, "sex1"), "4");
    assert!(get(&result, "sex1Label").is_null());
    // The panel shows the raw code rather than failing.
    let (host, _) = render(&unknown, JsValue::UNDEFINED);
    assert_eq!(field(&section(&host, "資格情報"), "性別").unwrap(), "4");
}

#[wasm_bindgen_test]
fn several_results_are_an_array() {
    let msg = parse(MULTIPLE);
    assert_eq!(
        string(&msg, "messageBody.qualificationValidityLabel"),
        "複数該当"
    );
    assert_eq!(
        js_sys::Array::from(&path(&msg, "messageBody.resultList")).length(),
        2
    );
}

#[wasm_bindgen_test]
fn malformed_inputs_have_coded_errors() {
    let cases: [(&[u8], &str); 6] = [
        (
            include_bytes!("../../core/tests/data/oqs/malformed/truncated.xml"),
            "oqs-truncated",
        ),
        (
            include_bytes!("../../core/tests/data/oqs/malformed/wrong_root.xml"),
            "oqs-wrong-root",
        ),
        (
            include_bytes!("../../core/tests/data/oqs/malformed/dtd_entities.xml"),
            "oqs-dtd",
        ),
        (
            include_bytes!("../../core/tests/data/oqs/malformed/sjis_invalid_bytes.xml"),
            "oqs-invalid-bytes",
        ),
        (
            include_bytes!("../../core/tests/data/oqs/malformed/utf8_declared_sjis_bytes.xml"),
            "oqs-invalid-bytes",
        ),
        (
            include_bytes!("../../core/tests/data/oqs/malformed/unsupported_encoding.xml"),
            "oqs-unsupported-encoding",
        ),
    ];
    for (bytes, expected) in cases {
        let error = parse_bytes(bytes).expect_err(expected);
        assert_eq!(code(&error), expected);
    }
    let mismatched = include_str!("../../core/tests/data/oqs/malformed/mismatched_tags.xml");
    let error = myna_web::parse_qualification_xml(JsValue::from_str(mismatched)).unwrap_err();
    assert_eq!(code(&error), "oqs-malformed");
    assert!(get(&error, "line").as_f64().unwrap() >= 1.0);
    let error = myna_web::parse_qualification_xml(JsValue::from_f64(1.0)).unwrap_err();
    assert_eq!(code(&error), "invalid-argument");
}

// ---- identifiers, 和暦, 受診券照合 -----------------------------------------------------------

#[wasm_bindgen_test]
fn insurer_numbers_and_wareki() {
    for good in ["01130012", "06270011", "39131156", "138057"] {
        assert!(myna_web::validate_insurer_number(good), "{good}");
    }
    for bad in ["01130013", "0113001", "abcdefgh", ""] {
        assert!(!myna_web::validate_insurer_number(bad), "{bad}");
    }
    assert_eq!(myna_web::to_wareki("20190501").unwrap(), "令和元年5月1日");
    assert_eq!(myna_web::to_wareki("20190430").unwrap(), "平成31年4月30日");
    assert_eq!(myna_web::to_wareki("19890107").unwrap(), "昭和64年1月7日");
    let error = myna_web::to_wareki("20230229").unwrap_err();
    assert_eq!(code(&error), "invalid-date");
}

#[wasm_bindgen_test]
fn voucher_comparison_normalises_and_reports_fields() {
    let msg = parse(NORMAL);
    let voucher = object(&[
        ("insurerNumber", "０１１３００１２".into()),
        ("insuredCardSymbol", " 1234 5678 ".into()),
        ("insuredIdentificationNumber", "１００１".into()),
    ]);
    let c = myna_web::compare_voucher(voucher, msg.clone(), JsValue::UNDEFINED).unwrap();
    assert_strings(
        &c,
        &[
            ("insurerNumber", "match"),
            ("insuredCardSymbol", "match"),
            ("insuredIdentificationNumber", "match"),
            ("insuredBranchNumber", "not-given"),
            ("labels.insuredBranchNumber", "記載なし"),
        ],
    );
    assert_eq!(get(&c, "isMatch"), JsValue::TRUE);

    let voucher = object(&[
        ("insurerNumber", "01130012".into()),
        ("insuredIdentificationNumber", "1002".into()),
    ]);
    let c = myna_web::compare_voucher(voucher, msg.clone(), JsValue::UNDEFINED).unwrap();
    assert_eq!(string(&c, "insuredIdentificationNumber"), "mismatch");
    assert_eq!(get(&c, "isMatch"), JsValue::FALSE);
    assert_eq!(get(&c, "hasMismatch"), JsValue::TRUE);

    let voucher = object(&[("insurerNumber", "01130013".into())]);
    let c = myna_web::compare_voucher(voucher, msg, JsValue::UNDEFINED).unwrap();
    assert!(get(&c, "voucherInsurerNumberError").is_string());
}

// ---- the panel -----------------------------------------------------------------------------

#[wasm_bindgen_test]
fn the_panel_shows_validity_and_every_field_accessibly() {
    let (host, panel) = render_xml(NORMAL);
    assert_eq!(panel.tag_name(), "SECTION");
    assert_eq!(panel.get_attribute("lang").as_deref(), Some("ja"));
    let title_id = panel.get_attribute("aria-labelledby").unwrap();
    let title = common::document().get_element_by_id(&title_id).unwrap();
    assert_eq!(title.tag_name(), "H2");
    assert_eq!(title.text_content().unwrap(), "資格確認結果");

    let status = host
        .query_selector("[role=status].myna-status")
        .unwrap()
        .unwrap();
    assert!(status.class_name().contains("myna-status--valid"));
    assert_eq!(text(&host, ".myna-status__value"), "有効");

    let q = section(&host, "資格情報");
    assert_eq!(
        q.query_selector(".myna-section__title")
            .unwrap()
            .unwrap()
            .tag_name(),
        "H3"
    );
    assert_fields(
        &q,
        &[
            ("保険者名", "全国健康保険協会東京支部"),
            ("保険者番号", "01130012"),
            ("記号", "12345678"),
            ("番号", "1001"),
            ("枝番", "00"),
            ("氏名", "山田\u{3000}太郎"),
            ("氏名カナ", "ﾔﾏﾀﾞ ﾀﾛｳ"),
            ("生年月日", "昭和55年4月15日（1980/04/15）"),
            ("性別", "男"),
            ("本人・家族の別", "本人"),
            // 030 sits in the 後期 field of a 45-year-old: the row shows the law's ratio, marked.
            ("負担割合", "3割（法定・推定）"),
            ("有効期間", "平成27年4月1日（2015/04/01） 〜 "),
            ("証区分", "一般"),
        ],
    );
    assert_eq!(
        text(&host, ".myna-meta"),
        "確認日 令和7年10月15日（2025/10/15）"
    );
    // No 高齢受給者証 / 限度額 sections without the data.
    assert!(all(&host, ".myna-section--elderly").is_empty());
    assert!(all(&host, ".myna-section--limit").is_empty());
    // Every dt has its dd.
    assert_eq!(all(&host, "dt").len(), all(&host, "dd").len());
    let button = host.query_selector("button.myna-copy").unwrap().unwrap();
    assert_eq!(button.get_attribute("type").as_deref(), Some("button"));
}

#[wasm_bindgen_test]
fn elderly_and_limit_sections_appear_when_present() {
    let xml = answer(
        "1",
        "",
        "<ElderlyRecipientCertificateInfo><ElderlyRecipientCertificateDate>20250701</ElderlyRecipientCertificateDate>\
         <ElderlyRecipientValidStartDate>20250801</ElderlyRecipientValidStartDate>\
         <ElderlyRecipientValidEndDate>20260731</ElderlyRecipientValidEndDate>\
         <ElderlyRecipientContributionRatio>020</ElderlyRecipientContributionRatio></ElderlyRecipientCertificateInfo>\
         <LimitApplicationCertificateRelatedInfo><LimitApplicationCertificateClassification>01</LimitApplicationCertificateClassification>\
         <LimitApplicationCertificateClassificationFlag>A03</LimitApplicationCertificateClassificationFlag>\
         <LimitApplicationCertificateValidStartDate>20250401</LimitApplicationCertificateValidStartDate>\
         </LimitApplicationCertificateRelatedInfo>",
    );
    let (host, _) = render_xml(&xml);
    let elderly = section(&host, "高齢受給者証");
    assert_eq!(field(&elderly, "負担割合").unwrap(), "2割");
    assert_eq!(
        field(&elderly, "有効期間").unwrap(),
        "令和7年8月1日（2025/08/01） 〜 令和8年7月31日（2026/07/31）"
    );
    let limit = section(&host, "限度額適用認定証");
    assert_fields(
        &limit,
        &[
            ("認定証区分", "限度額適用"),
            ("適用区分", "区分ウ"),
            ("交付年月日", "記載なし"),
        ],
    );
}

#[wasm_bindgen_test]
fn validity_states_and_notices() {
    let notice = "電子証明書の有効期限が3か月以内に切れます";
    let message = format!("<ProcessingResultMessage>{notice}</ProcessingResultMessage>");
    let (host, panel) = render_xml(&answer("4", &message, ""));
    assert!(panel.class_name().contains("myna-panel--not-found"));
    assert_eq!(text(&host, ".myna-status__value"), "該当資格なし");
    let note = host.query_selector("[role=note]").unwrap().unwrap();
    assert_eq!(note.text_content().unwrap(), notice);
    let (host, _) = render_xml(&answer("2", "", ""));
    assert!(
        host.query_selector(".myna-status--invalid")
            .unwrap()
            .is_some()
    );
}

#[wasm_bindgen_test]
fn an_error_answer_shows_its_code_and_message() {
    let (host, panel) = render_xml(ERROR);
    assert!(panel.class_name().contains("myna-panel--error"));
    assert_eq!(text(&host, ".myna-status__value"), "照会エラー");
    let alert = host.query_selector("[role=alert]").unwrap().unwrap();
    let msg = parse(ERROR);
    let code = string(&msg, "messageHeader.errorCode");
    assert!(alert.text_content().unwrap().contains(&code));
}

#[wasm_bindgen_test]
fn the_voucher_comparison_is_highlighted() {
    let msg = parse(NORMAL);
    // Render options with a 受診券 of this insurer number and 番号 1001.
    let with_voucher = |insurer_number: &str| {
        let voucher = object(&[
            ("insurerNumber", insurer_number.into()),
            ("insuredIdentificationNumber", "1001".into()),
        ]);
        object(&[("voucher", voucher)])
    };
    let (host, _) = render(&msg, with_voucher("01130012"));
    let v = host.query_selector(".myna-voucher").unwrap().unwrap();
    assert!(v.class_name().contains("myna-voucher--match"));
    assert_eq!(field(&v, "保険者番号").unwrap(), "一致");
    assert_eq!(field(&v, "記号").unwrap(), "記載なし");

    let (host, _) = render(&msg, with_voucher("06270011"));
    let v = host.query_selector(".myna-voucher").unwrap().unwrap();
    assert!(v.class_name().contains("myna-voucher--mismatch"));
    assert_eq!(field(&v, "保険者番号").unwrap(), "不一致");
    assert!(v.query_selector(".myna-field--mismatch").unwrap().is_some());
    // Without a voucher there is no comparison.
    let (host, _) = render(&msg, JsValue::UNDEFINED);
    assert!(host.query_selector(".myna-voucher").unwrap().is_none());
}

#[wasm_bindgen_test]
fn a_confirm_result_object_renders_with_its_voucher() {
    let result = object(&[
        ("mode", "visual".into()),
        ("qualification", parse(NORMAL)),
        (
            "voucher",
            object(&[
                ("insurerNumber", "01130012".into()),
                ("insuredIdentificationNumber", "9999".into()),
            ]),
        ),
    ]);
    let (host, _) = render(&result, JsValue::UNDEFINED);
    assert!(
        host.query_selector(".myna-voucher--mismatch")
            .unwrap()
            .is_some()
    );
}

/// Issue 14: the panel says which token answered and how (本人確認), and the copy text
/// names a smartphone only when asked; a card's copy text is the same with the option.
#[wasm_bindgen_test]
fn the_panel_says_when_a_smartphone_was_used() {
    let confirm = |mode: &str, token: &str| {
        object(&[
            ("mode", mode.into()),
            ("reader", "Virtual PCD 00 00".into()),
            ("token", token.into()),
            ("qualification", parse(NORMAL)),
        ])
    };
    let phone = confirm("pin", "android");
    let (host, _) = render(&phone, JsValue::UNDEFINED);
    assert_eq!(
        text(&host, ".myna-identity--phone"),
        "本人確認スマートフォン（Android）・暗証番号"
    );
    assert_eq!(
        text(&host, ".myna-identity__value"),
        "スマートフォン（Android）・暗証番号"
    );
    let (host, _) = render(&confirm("visual", "card"), JsValue::UNDEFINED);
    assert_eq!(
        text(&host, ".myna-identity__value"),
        "マイナンバーカード・目視"
    );
    assert!(
        host.query_selector(".myna-identity--phone")
            .unwrap()
            .is_none()
    );
    // A bare XmlMsg says nothing about the desk: no 本人確認.
    let (host, _) = render_xml(NORMAL);
    assert!(host.query_selector(".myna-identity").unwrap().is_none());

    let plain = myna_web::copy_text(parse(NORMAL), JsValue::UNDEFINED).unwrap();
    let asked = object(&[("identityLine", JsValue::TRUE)]);
    assert_eq!(
        myna_web::copy_text(phone.clone(), JsValue::UNDEFINED).unwrap(),
        plain
    );
    let with_line = myna_web::copy_text(phone.clone(), asked.clone()).unwrap();
    assert_eq!(
        with_line,
        plain.replace(
            "\r\n裏面記載情報\r\n",
            "\r\n本人確認\tスマートフォン（Android）・暗証番号\r\n裏面記載情報\r\n"
        )
    );
    assert!(myna_web::parse_copy_text(&with_line).is_ok());
    for card in [confirm("pin", "card"), confirm("visual", "card")] {
        assert_eq!(myna_web::copy_text(card, asked.clone()).unwrap(), plain);
    }
    let bad = myna_web::copy_text(phone, object(&[("identityLine", "yes".into())]));
    assert_eq!(code(&bad.unwrap_err()), "invalid-argument");
}

#[wasm_bindgen_test]
fn hostile_text_stays_text() {
    let xml = answer(
        "1",
        "",
        "<NameKana>&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;</NameKana>",
    );
    let (host, _) = render_xml(&xml);
    assert!(host.query_selector("img").unwrap().is_none());
    let q = section(&host, "資格情報");
    assert_eq!(
        field(&q, "氏名カナ").unwrap(),
        "<img src=x onerror=\"window.__pwned=1\">"
    );
}

#[wasm_bindgen_test]
fn rendering_replaces_the_content_and_honours_options() {
    let host = container();
    host.set_text_content(Some("old"));
    let msg = parse(NORMAL);
    myna_web::render_qualification(&host, msg.clone(), JsValue::UNDEFINED).unwrap();
    myna_web::render_qualification(
        &host,
        msg.clone(),
        object(&[
            ("copyButton", JsValue::FALSE),
            ("headingLevel", 3.into()),
            ("title", "受付結果".into()),
        ]),
    )
    .unwrap();
    assert_eq!(all(&host, ".myna-panel").len(), 1);
    assert!(!host.text_content().unwrap().contains("old"));
    assert!(host.query_selector("button").unwrap().is_none());
    assert_eq!(text(&host, "h3.myna-panel__title"), "受付結果");
    assert_eq!(all(&host, "h4.myna-section__title").len(), 1);
    let bad = myna_web::render_qualification(&host, JsValue::from_str("x"), JsValue::UNDEFINED);
    assert_eq!(code(&bad.unwrap_err()), "invalid-argument");
    let bad = myna_web::render_qualification(&host, msg, object(&[("headingLevel", 9.into())]));
    assert_eq!(code(&bad.unwrap_err()), "invalid-argument");
}

#[wasm_bindgen_test]
fn several_results_are_separate_articles() {
    let (host, _) = render_xml(MULTIPLE);
    let articles = all(&host, "article.myna-result");
    assert_eq!(articles.len(), 2);
    assert_eq!(
        articles[0].get_attribute("aria-label").as_deref(),
        Some("該当資格 1 / 2")
    );
    assert!(
        host.query_selector(".myna-status--multiple")
            .unwrap()
            .is_some()
    );
}

#[wasm_bindgen_test]
fn kokuho_padding_is_trimmed() {
    let (host, _) = render_xml(KOKUHO);
    let q = section(&host, "資格情報");
    let number = field(&q, "保険者番号").unwrap();
    assert_eq!(number, number.trim());
    assert!(myna_web::validate_insurer_number(&number));
}

#[wasm_bindgen_test]
fn copy_text_is_tab_separated_sections() {
    let text = myna_web::copy_text(parse(MULTIPLE), JsValue::UNDEFINED).unwrap();
    assert!(text.ends_with("\r\n"));
    let lines: Vec<&str> = text.trim_end_matches("\r\n").split("\r\n").collect();
    assert_eq!(lines[0], "資格情報");
    assert_eq!(lines[1], "確認日 : \t令和7年10月15日");
    assert_eq!(lines[2], "資格有効性\t複数該当");
    assert!(lines.contains(&"保険者番号\t06270011"));
    assert!(lines.contains(&"裏面記載情報"));
    assert!(lines.contains(&"高齢受給者証"));
    assert!(lines.contains(&"負担割合\t2割"));
    assert!(
        lines
            .iter()
            .all(|l| l.is_empty() || !l.contains('\t') || l.split('\t').count() == 2)
    );
}

/// The copy button puts the panel's text on the real clipboard and says so. The page's own
/// `navigator.clipboard.writeText` runs; the test only records what it was given and
/// whether the browser accepted it. Fails when the button copies nothing, copies other
/// text, or the browser refuses the write (then "コピーしました" would be a lie: the status
/// must follow the browser's answer).
#[wasm_bindgen_test(async)]
async fn the_copy_button_copies_the_result_text() {
    let result = parse(NORMAL);
    let expected = myna_web::copy_text(result.clone(), JsValue::UNDEFINED).unwrap();
    let record = js_sys::Function::new_no_args(
        "const c = navigator.clipboard;
         const real = c.writeText;
         window.__mynaCopies = [];
         c.writeText = function (text) {
             const written = real.call(c, text);
             window.__mynaCopies.push({text, written});
             return written;
         };
         return () => { c.writeText = real; };",
    );
    let restore: js_sys::Function = record.call0(&JsValue::NULL).unwrap().dyn_into().unwrap();
    let (host, _) = render(&result, JsValue::UNDEFINED);
    let button: HtmlElement = host
        .query_selector("button.myna-copy")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    button.focus().unwrap();
    button.click();
    let mut status = String::new();
    for _ in 0..100 {
        sleep(20).await;
        status = text(&host, ".myna-copy__status");
        if !status.is_empty() {
            break;
        }
    }
    let copies: js_sys::Array = get(&web_sys::window().unwrap().into(), "__mynaCopies")
        .dyn_into()
        .unwrap();
    restore.call0(&JsValue::NULL).unwrap();
    assert_eq!(copies.length(), 1, "one click, one write");
    let copy = copies.get(0);
    assert_eq!(
        get(&copy, "text").as_string().as_deref(),
        Some(expected.as_str())
    );
    // The browser's answer to the write: it must have accepted it…
    let written: js_sys::Promise = get(&copy, "written").dyn_into().unwrap();
    if let Err(refused) = JsFuture::from(written).await {
        panic!("the browser refused the clipboard write: {refused:?} (status {status:?})");
    }
    // …and the panel says so.
    assert_eq!(status, "コピーしました");
    let live = host.query_selector(".myna-copy__status").unwrap().unwrap();
    assert_eq!(live.get_attribute("aria-live").as_deref(), Some("polite"));
}

// ---- connectBridge without a bridge ---------------------------------------------------------

#[wasm_bindgen_test(async)]
async fn bad_bridge_urls_are_invalid_arguments() {
    let (code, _) = rejection(myna_web::connect_bridge(
        "127.0.0.1:27450".into(),
        JsValue::UNDEFINED,
    ))
    .await;
    assert_eq!(code, "invalid-argument");
}

#[wasm_bindgen_test(async)]
async fn nothing_listening_is_bridge_not_running() {
    let url = option_env!("MYNA_TEST_CLOSED_URL").unwrap_or("ws://127.0.0.1:1/v1");
    let (code, error) = connect_refused(url).await;
    assert_eq!(code, "bridge-not-running");
    assert!(get(&error, "url").is_string());
}

/// Both ways a bridge refuses this page are `origin-refused` naming the page's origin: a real
/// `myna-bridge` that allows only another origin, and a server answering 403 without CORS
/// headers.
#[wasm_bindgen_test(async)]
async fn a_refused_origin_is_origin_refused() {
    for (url, name) in [
        (
            option_env!("MYNA_TEST_FOREIGN_BRIDGE_URL"),
            "MYNA_TEST_FOREIGN_BRIDGE_URL",
        ),
        (
            option_env!("MYNA_TEST_REFUSING_URL"),
            "MYNA_TEST_REFUSING_URL",
        ),
    ] {
        let Some(url) = required(url, name) else {
            continue;
        };
        let (code, error) = connect_refused(url).await;
        assert_eq!(code, "origin-refused", "{name}");
        let origin = get(&error, "origin").as_string();
        assert_eq!(origin.as_deref(), Some(page_origin().as_str()), "{name}");
    }
}

#[wasm_bindgen_test(async)]
async fn another_protocol_version_is_a_mismatch() {
    let url = or_skip!(required_env!("MYNA_TEST_V2_URL"));
    let states = js_sys::Array::new();
    let record = wasm_bindgen::closure::Closure::<dyn FnMut(JsValue)>::new({
        let states = states.clone();
        move |e: JsValue| {
            states.push(&get(&e, "state"));
        }
    });
    let options = object(&[("onStateChange", record.as_ref().clone())]);
    let (code, error) = rejection(myna_web::connect_bridge(url.into(), options)).await;
    assert_eq!(code, "protocol-mismatch");
    assert_eq!(get(&error, "found").as_string().unwrap(), "2");
    assert_eq!(get(&error, "expected").as_f64(), Some(1.0));
    let states = strings(&states);
    assert_eq!(states.first().map(String::as_str), Some("connecting"));
    assert_eq!(states.last().map(String::as_str), Some("closed"));
}

#[wasm_bindgen_test]
fn protocol_versions_are_checked() {
    assert!(myna_web::client::read::check_protocol(&JsValue::from(1)).is_ok());
    for other in [JsValue::from(2), JsValue::from_str("1"), JsValue::UNDEFINED] {
        let e = myna_web::client::read::check_protocol(&other).unwrap_err();
        assert_eq!(e.code(), "protocol-mismatch");
    }
}

#[wasm_bindgen_test(async)]
async fn confirm_qualification_checks_its_options_first() {
    let (code, _) = rejection(myna_web::confirm_qualification(JsValue::UNDEFINED)).await;
    assert_eq!(code, "invalid-argument");
    let (code, error) = rejection(myna_web::confirm_qualification(object(&[
        ("bridge", object(&[("id", 12345.into())])),
        ("serviceUrl", "http://127.0.0.1:1".into()),
        ("terminalToken", "t".into()),
        ("mode", "pin".into()),
    ])))
    .await;
    assert_eq!(code, "invalid-argument", "{error:?}");
}

#[wasm_bindgen_test(async)]
async fn errors_are_real_errors() {
    let error = JsFuture::from(myna_web::connect_bridge("nope".into(), JsValue::UNDEFINED))
        .await
        .unwrap_err();
    assert!(error.is_instance_of::<js_sys::Error>());
    assert!(get(&error, "message").as_string().unwrap().contains("nope"));
}

// ---- certificates --------------------------------------------------------------------------

const TEST_CARD_LEAF: &[u8] = include_bytes!("../../tests/fixtures/jlis/test/auth-leaf-2025.der");
const PERSONA_DEFAULT: &[u8] = include_bytes!("../../tests/fixtures/personas/default/auth.crt.der");
const JLIS_ROOT_3: &[u8] = include_bytes!("../../tests/fixtures/jlis/authca03.cer");

#[wasm_bindgen_test]
fn a_real_test_card_certificate_is_read() {
    let c = myna_web::parse_certificate(TEST_CARD_LEAF).expect("parses");
    assert_strings(
        &c,
        &[
            ("serialNumber", "227B13"),
            ("subject", "C=JP, CN=997794E9AGCIEG13221003A"),
            (
                "issuer",
                "C=JP, O=JPKI-TEST, OU=JPKI for user authentication, OU=Japan Agency for Local Authority Information Systems",
            ),
            ("notBefore", "2025-10-27T01:35:42Z"),
            ("notAfter", "2030-02-17T14:59:59Z"),
            ("keyAlgorithm", "RSA"),
        ],
    );
    assert_eq!(get(&c, "keyBits").as_f64(), Some(2048.0));
    assert_eq!(string(&c, "signatureAlgorithm"), "sha256WithRSAEncryption");
    assert_eq!(get(&c, "isJpkiAuth"), JsValue::TRUE);
    assert!(strings(&get(&c, "policies")).contains(&"1.2.392.200149.8.5.1.0.30".to_string()));
    assert!(strings(&get(&c, "keyUsage")).contains(&"digitalSignature".to_string()));
    assert_eq!(string(&c, "subjectAttributes.1.type"), "CN");
}

#[wasm_bindgen_test]
fn persona_and_root_certificates() {
    let c = myna_web::parse_certificate(PERSONA_DEFAULT).unwrap();
    assert_eq!(string(&c, "serialNumber"), "4E3188B0CE2A7078");
    assert_eq!(get(&c, "isJpkiAuth"), JsValue::TRUE);
    assert_eq!(string(&c, "notBefore"), "2025-04-01T00:00:00Z");
    let root = myna_web::parse_certificate(JLIS_ROOT_3).unwrap();
    assert_eq!(get(&root, "isJpkiAuth"), JsValue::FALSE);
    assert_eq!(get(&root, "isCa"), JsValue::TRUE);
    assert!(get(&root, "jpkiProfileError").is_string());
}

/// Issue 15: `parseCertificate` decodes neither cRLDistributionPoints nor
/// authorityKeyIdentifier, so a certificate whose one or other is malformed (its value's
/// SEQUENCE tag made a SET) is shown, not refused; the service's checked parse refuses it.
#[wasm_bindgen_test]
fn a_malformed_crl_dp_or_aki_is_shown_not_refused() {
    for oid_last in [0x1f, 0x23] {
        let oid = [0x06, 0x03, 0x55, 0x1d, oid_last];
        let mut at = PERSONA_DEFAULT.windows(5).position(|w| w == oid).unwrap() + 5;
        if PERSONA_DEFAULT[at] == 0x01 {
            at += 3; // critical
        }
        assert_eq!(PERSONA_DEFAULT[at], 0x04, "the extension's OCTET STRING");
        let long = PERSONA_DEFAULT[at + 1]
            .checked_sub(0x80)
            .map_or(0, usize::from);
        let value = at + 2 + long;
        let mut der = PERSONA_DEFAULT.to_vec();
        assert_eq!(der[value], 0x30);
        der[value] = 0x31;
        let c = myna_web::parse_certificate(&der).unwrap();
        assert_eq!(string(&c, "serialNumber"), "4E3188B0CE2A7078");
    }
}

#[wasm_bindgen_test]
fn bad_der_is_invalid_certificate() {
    let mut trailing = PERSONA_DEFAULT.to_vec();
    trailing.push(0);
    let truncated = &PERSONA_DEFAULT[..PERSONA_DEFAULT.len() - 1];
    for (bad, message) in [
        (&[][..], "not a readable certificate: empty certificate"),
        (
            &b"not a certificate"[..],
            "not a readable certificate: not a DER X.509 certificate",
        ),
        (
            truncated,
            "not a readable certificate: not a DER X.509 certificate",
        ),
        (
            &trailing[..],
            "not a readable certificate: 1 bytes after the certificate",
        ),
    ] {
        let e = myna_web::parse_certificate(bad).unwrap_err();
        assert_eq!(code(&e), "invalid-certificate");
        // The fault, without `der`'s detail (see `parseCertificate`'s doc).
        assert_eq!(get(&e, "message").as_string().as_deref(), Some(message));
    }
}
