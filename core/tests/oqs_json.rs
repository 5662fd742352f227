//! The JSON-shaped view handed to the browser (serde::Serialize).

use myna_core::oqs::{XmlMsg, parse, parse_str};
use serde_json::{Value, json};

fn fixture(name: &str) -> XmlMsg {
    let path = format!("{}/tests/data/oqs/{name}", env!("CARGO_MANIFEST_DIR"));
    parse(&std::fs::read(&path).unwrap()).unwrap()
}

fn view(msg: &XmlMsg) -> Value {
    serde_json::to_value(msg).unwrap()
}

#[test]
fn normal_result_has_the_documented_shape() {
    let v = view(&fixture("normal_utf8.xml"));
    assert_eq!(
        v,
        json!({
            "messageHeader": {
                "processExecutionTime": "20251015093012",
                "qualificationConfirmationDate": "20251015",
                "medicalInstitutionCode": "1399999999",
                "arbitraryFileIdentifier": "REQ-0001",
                "referenceClassification": "1",
                "referenceClassificationLabel": "マイナンバーカード",
                "segmentOfResult": "1",
                "segmentOfResultLabel": "正常終了",
                "characterCodeIdentifier": "0",
                "characterCodeIdentifierLabel": "UTF-8"
            },
            "messageBody": {
                "processingResultStatus": "1",
                "processingResultStatusLabel": "正常終了",
                "qualificationValidity": "1",
                "qualificationValidityLabel": "有効",
                "resultList": [{
                    "insuredCardClassification": "01",
                    "insuredCardClassificationLabel": "一般",
                    "insurerNumber": "01130012",
                    "insurerName": "全国健康保険協会東京支部",
                    "insuredCardSymbol": "12345678",
                    "insuredIdentificationNumber": "1001",
                    "insuredBranchNumber": "00",
                    "personalFamilyClassification": "1",
                    "personalFamilyClassificationLabel": "本人",
                    "insuredName": "山田　太郎",
                    "name": "山田　太郎",
                    "nameKana": "ﾔﾏﾀﾞ ﾀﾛｳ",
                    "sex1": "1",
                    "sex1Label": "男",
                    "birthdate": "19800415",
                    "address": "東京都千代田区霞が関１－２－２",
                    "postNumber": "100-8916",
                    "qualificationDate": "20150401",
                    "insuredCertificateIssuanceDate": "20150401",
                    "insuredCardValidDate": "20150401",
                    "insuredPartialContributionRatio": "030",
                    "insuredPartialContributionRatioLabel": "3割",
                    "referenceNumber": "0000000001"
                }]
            }
        })
    );
}

#[test]
fn nested_infos_are_objects_with_labels() {
    let v = view(&fixture("multiple_results.xml"));
    let body = &v["messageBody"];
    assert_eq!(body["qualificationValidityLabel"], "複数該当");
    assert_eq!(
        body["qualificationConfirmSearchInfo"],
        json!({
            "insurerNumber": "06270011",
            "insuredCardSymbol": "2001",
            "insuredIdentificationNumber": "55",
            "birthdate": "19540620",
            "limitApplicationCertificateRelatedConsFlg": "1",
            "limitApplicationCertificateRelatedConsFlgLabel": "同意"
        })
    );
    let results = body["resultList"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(
        results[0]["elderlyRecipientCertificateInfo"],
        json!({
            "elderlyRecipientCertificateDate": "20250701",
            "elderlyRecipientValidStartDate": "20250801",
            "elderlyRecipientValidEndDate": "20260731",
            "elderlyRecipientContributionRatio": "020",
            "elderlyRecipientContributionRatioLabel": "2割"
        })
    );
    assert_eq!(results[1]["reasonOfLossLabel"], "その他");
    assert_eq!(
        results[1]["limitApplicationCertificateRelatedInfo"],
        json!({
            "limitApplicationCertificateClassification": "01",
            "limitApplicationCertificateClassificationLabel": "限度額適用",
            "limitApplicationCertificateClassificationFlag": "A03",
            "limitApplicationCertificateClassificationFlagLabel": "区分ウ",
            "limitApplicationCertificateDate": "20250401",
            "limitApplicationCertificateValidStartDate": "20250401",
            "limitApplicationCertificateValidEndDate": "20260331"
        })
    );
}

#[test]
fn unknown_codes_have_null_labels_and_unknown_elements_are_included() {
    let v = view(&fixture("unknown_elements.xml"));
    assert_eq!(v["signature"], "root-level unknown");
    assert_eq!(v["messageHeader"]["interfaceVersion"], "2.1");
    assert_eq!(v["messageBody"]["bodyNotice"], "body-level unknown");
    assert_eq!(
        v["messageBody"]["resultListExtra"],
        json!({"resultListNote": "extra in ResultList"})
    );
    let r = &v["messageBody"]["resultList"][0];
    assert_eq!(r["insuredCardClassification"], "B9");
    assert_eq!(r["insuredCardClassificationLabel"], Value::Null);
    assert_eq!(r["sex1"], "4");
    assert_eq!(r["sex1Label"], Value::Null);
    assert_eq!(r["sex2"], "");
    assert_eq!(r["sex2Label"], Value::Null);
    assert_eq!(r["insuredPartialContributionRatio"], "3割");
    assert_eq!(r["insuredPartialContributionRatioLabel"], Value::Null);
    assert_eq!(r["pharmacistsInfoConsFlg"], "1");
    assert_eq!(
        r["futureInfo"],
        json!({
            "futureCode": ["X1", "X2"],
            "futureDetail": {"note": "入れ子&特殊文字<テスト>"}
        })
    );
    // The duplicate <Name> does not overwrite the field.
    assert_eq!(r["name"], "高橋　次郎");
    assert_eq!(r["nameExtra"], "重複　氏名");
}

#[test]
fn result_list_is_always_an_array() {
    let v = view(&fixture("error_result.xml"));
    assert_eq!(v["messageBody"], json!({"resultList": []}));
    assert_eq!(v["messageHeader"]["segmentOfResultLabel"], "異常終了");
    assert_eq!(v["messageHeader"]["errorCode"], "MW0008");
}

#[test]
fn mixed_unknown_content_keeps_text_under_hash_text() {
    let msg = parse_str(
        "<XmlMsg><MessageHeader/><Vendor>note<Item>1</Item><Item><Sub>2</Sub></Item></Vendor></XmlMsg>",
    )
    .unwrap();
    assert_eq!(
        view(&msg)["vendor"],
        json!({"#text": "note", "item": ["1", {"sub": "2"}]})
    );
}

#[test]
fn only_an_ascii_first_letter_is_lowered() {
    let msg = parse_str(
        "<XmlMsg><MessageHeader/><Vendor>1</Vendor><Ｖendor>2</Ｖendor><_Note>3</_Note></XmlMsg>",
    )
    .unwrap();
    let v = view(&msg);
    assert_eq!(v["vendor"], "1");
    assert_eq!(
        v["Ｖendor"], "2",
        "a non-ASCII first letter is kept as it is"
    );
    assert_eq!(v["_Note"], "3");
}

#[test]
fn keys_are_lower_camel_case_everywhere() {
    fn walk(v: &Value, path: &str) {
        match v {
            Value::Object(map) => {
                for (k, child) in map {
                    let first = k.chars().next().unwrap();
                    assert!(
                        first.is_ascii_lowercase() || k == "#text",
                        "{path}.{k} is not lowerCamelCase"
                    );
                    walk(child, &format!("{path}.{k}"));
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, path)),
            _ => {}
        }
    }
    for name in [
        "multiple_results.xml",
        "unknown_elements.xml",
        "kokuho_padded.xml",
    ] {
        walk(&view(&fixture(name)), name);
    }
}
