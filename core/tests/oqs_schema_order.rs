//! Issue 13: the writer keeps the OQS element order, and consent flags know the value 2.

use myna_core::oqs::{
    Code, ConsentFlag, ContributionRatio, Encoding, ResultOfQualificationConfirmation, XmlMsg,
    parse, to_xml,
};

/// `ResultOfQualificationConfirmation`'s children in the OQS schema order.
const SCHEMA_ORDER: &[&str] = &[
    "InsuredCardClassification",
    "InsurerNumber",
    "InsuredCardSymbol",
    "InsuredIdentificationNumber",
    "InsuredBranchNumber",
    "PersonalFamilyClassification",
    "InsuredName",
    "Name",
    "NameOfOther",
    "NameKana",
    "NameOfOtherKana",
    "Sex1",
    "Sex2",
    "Birthdate",
    "Address",
    "PostNumber",
    "QualificationDate",
    "DisqualificationDate",
    "InsuredCertificateIssuanceDate",
    "InsuredCardValidDate",
    "InsuredCardExpirationDate",
    "InsuredPartialContributionRatio",
    "PreschoolClassification",
    "ReasonOfLoss",
    "InsurerName",
    "ElderlyRecipientCertificateInfo",
    "LimitApplicationCertificateRelatedConsFlg",
    "LimitApplicationCertificateRelatedConsTime",
    "LimitApplicationCertificateRelatedInfo",
    "SpecificDiseasesCertificateRelatedConsFlg",
    "SpecificDiseasesCertificateRelatedConsTime",
    "SpecificDiseasesCertificateList",
    "ReferenceNumber",
];

#[test]
fn the_model_and_the_writer_keep_the_schema_order() {
    assert_eq!(
        ResultOfQualificationConfirmation::CHILD_ELEMENTS,
        SCHEMA_ORDER
    );
    let mut r = ResultOfQualificationConfirmation::default();
    r.insurer_name = Some("全国健康保険協会東京支部".into());
    r.reason_of_loss = Some(Code::from_raw("03"));
    r.insured_partial_contribution_ratio = Some(ContributionRatio::from_raw("010"));
    r.insurer_number = Some("39131156".into());
    r.name = Some("山田\u{3000}太郎".into());
    let mut msg = XmlMsg::default();
    msg.message_body.result_list.results.push(r);
    let xml = String::from_utf8(to_xml(&msg, Encoding::Utf8)).unwrap();
    let at = |name: &str| xml.find(&format!("<{name}>")).unwrap();
    assert!(at("InsurerNumber") < at("Name"));
    assert!(at("Name") < at("InsuredPartialContributionRatio"));
    assert!(at("InsuredPartialContributionRatio") < at("ReasonOfLoss"));
    assert!(
        at("ReasonOfLoss") < at("InsurerName"),
        "InsurerName comes after ReasonOfLoss: {xml}"
    );
}

#[test]
fn a_consent_flag_of_2_is_in_the_table() {
    let doc = "<XmlMsg><MessageHeader/><MessageBody><ResultList><ResultOfQualificationConfirmation>\
        <LimitApplicationCertificateRelatedConsFlg>2</LimitApplicationCertificateRelatedConsFlg>\
        </ResultOfQualificationConfirmation></ResultList></MessageBody></XmlMsg>";
    let msg = parse(doc.as_bytes()).unwrap();
    let flag = msg.results()[0]
        .limit_application_certificate_related_cons_flg
        .as_ref()
        .unwrap();
    assert!(flag.is(ConsentFlag::Declined));
    assert!(!flag.is(ConsentFlag::Consented));
    let json = serde_json::to_value(&msg).unwrap();
    assert_eq!(
        json["messageBody"]["resultList"][0]["limitApplicationCertificateRelatedConsFlgLabel"],
        "同意しない"
    );
}
