//! Browser tests of the 受診券 / roster surface: `compareVoucher` with its problems,
//! `validateVoucher`, `parseRoster` (UTF-8 text, CP932 bytes through the browser's decoder),
//! `matchToRoster`, `dayList`, `exportRosterCsv`, and the panel's problem list.
//!
//! Run with `cargo xtask wasm-tests` (headless Chromium through wasm-bindgen-test-runner).
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const NORMAL: &str = include_str!("../../core/tests/data/oqs/normal_utf8.xml");

fn parse(xml: &str) -> JsValue {
    myna_web::parse_qualification_xml(JsValue::from_str(xml)).expect("parses")
}

/// One result of 山田太郎 (01130012 / 12345678 / 1001), with `validity` and extra elements.
fn answer(validity: &str, result_extra: &str) -> JsValue {
    parse(&format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<XmlMsg><MessageHeader><QualificationConfirmationDate>20251015</QualificationConfirmationDate>
<SegmentOfResult>1</SegmentOfResult></MessageHeader>
<MessageBody><ProcessingResultStatus>1</ProcessingResultStatus>
<QualificationValidity>{validity}</QualificationValidity>
<ResultList><ResultOfQualificationConfirmation>
<InsurerNumber>01130012</InsurerNumber><InsuredCardSymbol>12345678</InsuredCardSymbol>
<InsuredIdentificationNumber>1001</InsuredIdentificationNumber><InsuredBranchNumber>00</InsuredBranchNumber>
<Name>山田　太郎</Name><NameKana>ﾔﾏﾀﾞ ﾀﾛｳ</NameKana><Sex1>1</Sex1><Birthdate>19800415</Birthdate>
<QualificationDate>20150401</QualificationDate>{result_extra}
</ResultOfQualificationConfirmation></ResultList></MessageBody></XmlMsg>"#
    ))
}

fn voucher(extra: &[(&str, &str)]) -> JsValue {
    let mut pairs: Vec<(&str, JsValue)> = vec![
        ("kind", "受診券".into()),
        ("voucherNumber", "25100000001".into()),
        ("validUntil", "20260331".into()),
        ("insurerNumber", "01130012".into()),
        ("insuredCardSymbol", "12345678".into()),
        ("insuredIdentificationNumber", "1001".into()),
        ("name", "山田 太郎".into()),
        ("nameKana", "ヤマダ　タロウ".into()),
        ("birthdate", "昭和55年4月15日".into()),
        ("sex", "男".into()),
    ];
    for (k, v) in extra {
        pairs.retain(|(key, _)| key != k);
        pairs.push((k, (*v).into()));
    }
    object(&pairs)
}

fn on(date: &str) -> JsValue {
    object(&[("date", date.into())])
}

fn problems(c: &JsValue) -> Vec<String> {
    strings(&get(c, "problems"))
}

#[wasm_bindgen_test]
fn a_valid_members_voucher_is_a_match() {
    let c = myna_web::compare_voucher(voucher(&[]), answer("1", ""), on("2025/10/15")).unwrap();
    assert!(problems(&c).is_empty(), "{:?}", problems(&c));
    assert_eq!(get(&c, "isMatch"), JsValue::TRUE);
    assert_eq!(string(&c, "person.nameKana"), "match");
    assert_eq!(string(&c, "date"), "20251015");
}

#[wasm_bindgen_test]
fn issue_16_a_lost_qualification_is_not_a_match() {
    let lost = answer("2", "<DisqualificationDate>20250901</DisqualificationDate>");
    let c = myna_web::compare_voucher(voucher(&[]), lost, on("20251015")).unwrap();
    assert_eq!(get(&c, "isMatch"), JsValue::FALSE);
    assert_eq!(
        problems(&c),
        ["qualification-invalid", "outside-qualification-period"]
    );
    assert_eq!(
        string(&c, "problemDetails.0.message"),
        "資格が有効ではありません（資格喪失・該当資格なし）"
    );
}

#[wasm_bindgen_test]
fn issue_16_a_checkup_before_the_qualification_starts_is_outside_the_period() {
    let later = answer("1", "").clone();
    let c = myna_web::compare_voucher(voucher(&[]), later, on("20140331")).unwrap();
    assert_eq!(problems(&c), ["outside-qualification-period"]);
}

#[wasm_bindgen_test]
fn issue_16_an_expired_voucher_is_not_a_match() {
    let c = myna_web::compare_voucher(
        voucher(&[("validUntil", "令和7年3月31日")]),
        answer("1", ""),
        on("20251015"),
    )
    .unwrap();
    assert_eq!(problems(&c), ["voucher-expired"]);
    assert_eq!(get(&c, "isMatch"), JsValue::FALSE);
}

#[wasm_bindgen_test]
fn issue_16_a_family_member_sharing_the_numbers_is_another_person() {
    // The voucher is the wife's; 枝番 left blank, as many vouchers do.
    let c = myna_web::compare_voucher(
        voucher(&[
            ("name", "山田　花子"),
            ("nameKana", "ﾔﾏﾀﾞ ﾊﾅｺ"),
            ("birthdate", "1982/7/7"),
            ("sex", "女"),
        ]),
        answer("1", ""),
        on("20251015"),
    )
    .unwrap();
    assert_eq!(problems(&c), ["person-mismatch"]);
    assert_eq!(string(&c, "person.birthdate"), "mismatch");
    assert_eq!(string(&c, "insuredIdentificationNumber"), "match");
}

#[wasm_bindgen_test]
fn issue_16_an_insurer_the_facility_is_not_contracted_with() {
    let options = object(&[
        ("date", "20251015".into()),
        (
            "contractedInsurers",
            Array::of2(&"06270011".into(), &"00138057".into()).into(),
        ),
    ]);
    let c = myna_web::compare_voucher(voucher(&[]), answer("1", ""), options).unwrap();
    assert_eq!(problems(&c), ["insurer-not-contracted"]);
    assert_eq!(get(&c, "contractChecked"), JsValue::TRUE);
    let options = object(&[("contractedInsurers", Array::of1(&"01130012".into()).into())]);
    let c = myna_web::compare_voucher(voucher(&[]), answer("1", ""), options).unwrap();
    assert!(problems(&c).is_empty());
}

#[wasm_bindgen_test]
fn the_written_forms_of_the_voucher_rules_compare_equal() {
    // Half-width kana, circled digits, full-width digits, a 国保 number padded with 00.
    let xml = NORMAL
        .replace(
            "<InsurerNumber>01130012</InsurerNumber>",
            "<InsurerNumber>  138057</InsurerNumber>",
        )
        .replace(
            "<InsuredCardSymbol>12345678</InsuredCardSymbol>",
            "<InsuredCardSymbol>12-3</InsuredCardSymbol>",
        );
    let c = myna_web::compare_voucher(
        voucher(&[
            ("insurerNumber", "00138057"),
            ("insuredCardSymbol", "①２－３"),
            ("insuredIdentificationNumber", "１００１"),
            ("nameKana", "ﾔﾏﾀﾞ ﾀﾛｳ"),
        ]),
        parse(&xml),
        JsValue::UNDEFINED,
    )
    .unwrap();
    assert_eq!(string(&c, "insurerNumber"), "match");
    assert_eq!(string(&c, "insuredCardSymbol"), "match");
    assert!(problems(&c).is_empty(), "{:?}", problems(&c));
}

#[wasm_bindgen_test]
fn bad_dates_and_vouchers_have_codes() {
    let e = myna_web::compare_voucher(voucher(&[]), answer("1", ""), on("2025/2/30")).unwrap_err();
    assert_eq!(code(&e), "invalid-date");
    let v = myna_web::validate_voucher(voucher(&[
        ("insurerNumber", "01130013"),
        ("voucherNumber", "12"),
    ]))
    .unwrap();
    assert_eq!(get(&v, "valid"), JsValue::FALSE);
    let errors: Vec<String> = Array::from(&get(&v, "errors"))
        .iter()
        .map(|e| string(&e, "code"))
        .collect();
    assert_eq!(errors, ["voucher-number-invalid", "insurer-number-invalid"]);
    let v = myna_web::validate_voucher(voucher(&[])).unwrap();
    assert_eq!(string(&v, "voucher.birthdate"), "19800415");
    assert_eq!(string(&v, "voucher.kind"), "checkup");
}

#[wasm_bindgen_test]
fn the_panel_says_what_is_wrong_and_what_to_do() {
    let lost = answer("2", "<DisqualificationDate>20250901</DisqualificationDate>");
    let options = object(&[
        ("voucher", voucher(&[("validUntil", "20250930")])),
        ("date", "20251015".into()),
    ]);
    let host = container();
    myna_web::render_qualification(&host, lost, options).unwrap();
    let section = host
        .query_selector(".myna-voucher--mismatch")
        .unwrap()
        .unwrap();
    let codes: Vec<String> = all(&section, ".myna-voucher__problem")
        .iter()
        .map(|li| li.get_attribute("data-code").unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "qualification-invalid",
            "outside-qualification-period",
            "voucher-expired"
        ]
    );
    assert!(
        text(&section, ".myna-voucher__problem--voucher-expired").contains("有効期限内の受診券")
    );
}

const ROSTER: &str = "受診券整理番号,保険者番号,記号,番号,枝番,氏名,氏名カナ,生年月日,性別\n\
25100000001,01130012,12345678,1001,,山田　太郎,ﾔﾏﾀﾞ ﾀﾛｳ,1980/4/15,男\n\
25100000002,01130012,12345678,1001,,山田　花子,ﾔﾏﾀﾞ ﾊﾅｺ,1982/7/7,女\n\
25100000003,0113001X,1,2,,誤り,,1990/1/1,男\n\
25100000004,06270011,A,77,,佐藤　次郎,ｻﾄｳ ｼﾞﾛｳ,1970/1/2,男\n";

#[wasm_bindgen_test]
fn a_roster_imports_and_reports_a_bad_row_by_line() {
    let r = myna_web::parse_roster(ROSTER.into()).unwrap();
    let rows = get(&r, "rows");
    assert_eq!(Array::from(&rows).length(), 3);
    let errors = Array::from(&get(&r, "errors"));
    assert_eq!(errors.length(), 1);
    assert_eq!(get(&errors.get(0), "line").as_f64(), Some(4.0));
    assert_eq!(
        strings(&get(&errors.get(0), "codes")),
        ["insurer-number-invalid"]
    );
    assert!(string(&errors.get(0), "message").starts_with("4 行目"));

    // The card of 山田花子 finds her row, not her husband's.
    let hanako = NORMAL
        .replace("山田　太郎</Name>", "山田　花子</Name>")
        .replace("ﾔﾏﾀﾞ ﾀﾛｳ", "ﾔﾏﾀﾞ ﾊﾅｺ")
        .replace("<Sex1>1</Sex1>", "<Sex1>2</Sex1>")
        .replace("19800415", "19820707");
    let m = myna_web::match_to_roster(rows.clone(), parse(&hanako)).unwrap();
    assert_eq!(string(&m, "match"), "numbers");
    assert_eq!(get(&m, "row").as_f64(), Some(1.0));

    let checks = Array::of2(
        &object(&[
            ("row", 1.into()),
            ("problems", Array::new().into()),
            ("checkedAt", "2025-10-15T09:00:00".into()),
        ]),
        &object(&[("row", 2.into()), ("pending", true.into())]),
    );
    let list = myna_web::day_list(rows.clone(), checks.clone().into()).unwrap();
    let statuses: Vec<String> = Array::from(&list)
        .iter()
        .map(|e| string(&e, "status"))
        .collect();
    assert_eq!(statuses, ["not-yet", "checked", "pending"]);

    let csv = myna_web::export_roster_csv(rows.clone(), checks.clone().into(), JsValue::UNDEFINED)
        .unwrap();
    let bytes = Uint8Array::from(csv).to_vec();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(text.starts_with("状態,受診券整理番号,"));
    assert!(
        text.contains("\r\n確認済,25100000002,山田　花子,"),
        "{text}"
    );
    // CP932 is the service's export; the module says so rather than write something else.
    let e =
        myna_web::export_roster_csv(rows, checks.into(), object(&[("encoding", "cp932".into())]))
            .unwrap_err();
    assert_eq!(code(&e), "invalid-argument");
}

#[wasm_bindgen_test]
fn a_cp932_roster_is_read_through_the_browsers_decoder() {
    let bytes: &[u8] = b"\x95\xdb\x8c\xaf\x8e\xd2\x94\xd4\x8d\x86\x2c\x94\xd4\x8d\x86\x2c\x8e\x81\x96\xbc\x83\x4a\x83\x69\x2c\x90\xb6\x94\x4e\x8c\x8e\x93\xfa\x0d\x0a\x30\x31\x31\x33\x30\x30\x31\x32\x2c\x31\x30\x30\x31\x2c\xd4\xcf\xc0\xde\x20\xc0\xdb\xb3\x2c\x31\x39\x38\x30\x2f\x34\x2f\x31\x35\x0d\x0a";
    let r = myna_web::parse_roster(Uint8Array::from(bytes).into()).unwrap();
    assert_eq!(string(&r, "encoding"), "cp932");
    assert_eq!(string(&r, "rows.0.voucher.nameKana"), "ﾔﾏﾀﾞ ﾀﾛｳ");
    assert_eq!(string(&r, "rows.0.voucher.birthdate"), "19800415");
}

#[wasm_bindgen_test]
fn unreadable_rosters_throw_coded_errors() {
    let e = myna_web::parse_roster("氏名,番号\n".into()).unwrap_err();
    assert_eq!(code(&e), "roster-missing-column");
    let e = myna_web::parse_roster("".into()).unwrap_err();
    assert_eq!(code(&e), "roster-empty");
    let e = myna_web::parse_roster(Uint8Array::from(&b"\x82\xa0\xff\xfe"[..]).into()).unwrap_err();
    assert_eq!(code(&e), "roster-invalid-bytes");
    let columns = myna_web::roster_columns();
    assert!(
        Array::from(&columns)
            .iter()
            .any(|c| string(&c, "field") == "insurerNumber")
    );
}
