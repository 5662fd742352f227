use super::*;

fn voucher() -> Voucher {
    Voucher {
        kind: Some("受診券".into()),
        voucher_number: Some("25100001234".into()),
        valid_until: Some("20260331".into()),
        person: PersonFacts {
            insurer_number: Some("01130012".into()),
            insured_card_symbol: Some("１２－３４".into()),
            insured_identification_number: Some("567".into()),
            name: Some("山田　太郎".into()),
            name_kana: Some("ヤマダ　タロウ".into()),
            birthdate: Some("1985/4/1".into()),
            sex: Some("男".into()),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn person() -> ResultFacts {
    ResultFacts {
        person: PersonFacts {
            insurer_number: Some("01130012".into()),
            insured_card_symbol: Some("12-34".into()),
            insured_identification_number: Some("567".into()),
            insured_branch_number: Some("00".into()),
            name: Some("山田\u{3000}太郎".into()),
            name_kana: Some("ﾔﾏﾀﾞ ﾀﾛｳ".into()),
            birthdate: Some("19850401".into()),
            sex: Some("1".into()),
        },
        qualification_date: Some("20200401".into()),
        disqualification_date: None,
    }
}

fn answer(validity: &str, results: Vec<ResultFacts>) -> AnswerFacts {
    AnswerFacts {
        qualification_validity: Some(validity.into()),
        is_error: false,
        results,
    }
}

fn codes(c: &VoucherCheck) -> Vec<&'static str> {
    c.problems.iter().map(|p| p.code()).collect()
}

const DAY: CheckContext<'static> = CheckContext {
    date: "20250601",
    contracted_insurers: None,
};

#[test]
fn a_voucher_of_a_valid_member_is_honoured() {
    let c = check_voucher(&voucher(), &answer("1", vec![person()]), &DAY);
    assert!(c.is_match(), "{:?}", c.problems);
    assert_eq!(c.fields.insurer_number, FieldMatch::Match);
    assert_eq!(c.person.name_kana, FieldMatch::Match);
}

#[test]
fn issue_16_lost_qualification_is_not_honoured() {
    let mut lost = person();
    lost.disqualification_date = Some("20250501".into());
    let c = check_voucher(&voucher(), &answer("2", vec![lost]), &DAY);
    assert_eq!(
        codes(&c),
        ["qualification-invalid", "outside-qualification-period"]
    );
}

#[test]
fn outside_the_period_on_both_ends() {
    let mut r = person();
    r.qualification_date = Some("20250602".into());
    let c = check_voucher(&voucher(), &answer("1", vec![r.clone()]), &DAY);
    assert_eq!(codes(&c), ["outside-qualification-period"]);
    // 資格喪失日 is the first day without: the checkup on that day is outside.
    r.qualification_date = Some("20200401".into());
    r.disqualification_date = Some("20250601".into());
    let c = check_voucher(&voucher(), &answer("1", vec![r.clone()]), &DAY);
    assert_eq!(codes(&c), ["outside-qualification-period"]);
    r.disqualification_date = Some("20250602".into());
    assert!(check_voucher(&voucher(), &answer("1", vec![r]), &DAY).is_match());
}

#[test]
fn issue_16_expired_voucher_is_not_honoured() {
    let mut v = voucher();
    v.valid_until = Some("令和7年5月31日".into());
    let c = check_voucher(&v, &answer("1", vec![person()]), &DAY);
    assert_eq!(codes(&c), ["voucher-expired"]);
    v.valid_until = Some("20250601".into());
    assert!(check_voucher(&v, &answer("1", vec![person()]), &DAY).is_match());
}

#[test]
fn issue_16_a_family_member_sharing_the_numbers_is_another_person() {
    let mut wife = person();
    wife.person.name = Some("山田　花子".into());
    wife.person.name_kana = Some("ﾔﾏﾀﾞ ﾊﾅｺ".into());
    wife.person.birthdate = Some("19870505".into());
    wife.person.sex = Some("2".into());
    wife.person.insured_branch_number = Some("01".into());
    // The voucher leaves 枝番 blank: only the person tells them apart.
    let c = check_voucher(&voucher(), &answer("1", vec![wife.clone()]), &DAY);
    assert_eq!(codes(&c), ["person-mismatch"]);
    assert_eq!(c.person.birthdate, FieldMatch::Mismatch);
    // Several results: the one that is the voucher's holder is chosen.
    let c = check_voucher(&voucher(), &answer("5", vec![wife, person()]), &DAY);
    assert!(c.is_match());
    assert_eq!(c.result_index, Some(1));
}

#[test]
fn kana_decides_over_kanji_variants() {
    let mut r = person();
    r.person.name = Some("髙田太郎".into());
    let mut v = voucher();
    v.person.name = Some("高田太郎".into());
    assert!(check_voucher(&v, &answer("1", vec![r.clone()]), &DAY).is_match());
    v.person.name_kana = None;
    assert_eq!(
        codes(&check_voucher(&v, &answer("1", vec![r]), &DAY)),
        ["person-mismatch"]
    );
}

#[test]
fn insurer_not_contracted_uses_the_facilitys_list() {
    let list = vec!["06270011".to_owned(), "00138057".to_owned()];
    let ctx = CheckContext {
        date: "20250601",
        contracted_insurers: Some(&list),
    };
    let c = check_voucher(&voucher(), &answer("1", vec![person()]), &ctx);
    assert_eq!(codes(&c), ["insurer-not-contracted"]);
    assert!(c.contract_checked);
    // A 国保 voucher written 00 + 6 digits matches a result with 6 digits and the list.
    let mut v = voucher();
    v.person.insurer_number = Some("138057".into());
    let mut r = person();
    r.person.insurer_number = Some("  138057".into());
    let c = check_voucher(&v, &answer("1", vec![r]), &ctx);
    assert!(c.is_match(), "{:?}", c.problems);
}

#[test]
fn kokuho_numbers_padded_with_00_match() {
    let mut v = voucher();
    v.person.insurer_number = Some("00138057".into());
    let mut r = person();
    r.person.insurer_number = Some("138057".into());
    let c = check_voucher(&v, &answer("1", vec![r]), &DAY);
    assert_eq!(c.fields.insurer_number, FieldMatch::Match);
    assert!(c.is_match(), "{:?}", c.problems);
}

#[test]
fn other_insurer_numbers_and_errors() {
    let mut r = person();
    r.person.insurer_number = Some("06270011".into());
    r.person.insured_identification_number = Some("568".into());
    let c = check_voucher(&voucher(), &answer("1", vec![r]), &DAY);
    assert_eq!(codes(&c), ["insurer-mismatch", "number-mismatch"]);
    let c = check_voucher(&voucher(), &answer("4", vec![]), &DAY);
    assert_eq!(codes(&c), ["qualification-invalid"]);
    let c = check_voucher(
        &voucher(),
        &AnswerFacts {
            is_error: true,
            ..Default::default()
        },
        &DAY,
    );
    assert_eq!(codes(&c), ["qualification-invalid"]);
}

#[test]
fn an_incomplete_or_invalid_voucher_is_not_honoured() {
    let mut v = voucher();
    v.person.insured_identification_number = None;
    let c = check_voucher(&v, &answer("1", vec![person()]), &DAY);
    assert_eq!(codes(&c), ["voucher-invalid", "voucher-incomplete"]);
    let mut v = voucher();
    v.voucher_number = Some("123".into());
    let c = check_voucher(&v, &answer("1", vec![person()]), &DAY);
    assert_eq!(codes(&c), ["voucher-invalid"]);
    assert_eq!(c.voucher_errors[0].code(), "voucher-number-invalid");
}

#[test]
fn every_problem_has_a_code_and_japanese_text() {
    for p in Problem::ALL {
        assert_eq!(Problem::from_code(p.code()), Some(p));
        assert!(!p.message_ja().is_empty() && !p.advice_ja().is_empty());
    }
}
