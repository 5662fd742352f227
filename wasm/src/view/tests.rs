use myna_core::oqs::{self, Sex};

use super::*;

fn text(s: &str) -> Text {
    Text::from(s)
}

fn sample() -> QualificationView {
    QualificationView {
        message_header: HeaderView {
            qualification_confirmation_date: text("20250401"),
            segment_of_result: text("1"),
            ..Default::default()
        },
        message_body: BodyView {
            processing_result_status: text("1"),
            qualification_validity: text("1"),
            result_list: vec![ResultView {
                insured_card_classification: text("01"),
                insurer_number: text("01130012"),
                insurer_name: text("全国健康保険協会東京支部"),
                insured_card_symbol: text("12-34"),
                insured_identification_number: text("567"),
                insured_branch_number: text("00"),
                personal_family_classification: text("1"),
                name: text("山田\u{3000}太郎"),
                name_kana: text("ﾔﾏﾀﾞ ﾀﾛｳ"),
                sex1: text("1"),
                birthdate: text("19850401"),
                qualification_date: text("20200401"),
                insured_card_valid_date: text("20200401"),
                insured_partial_contribution_ratio: text("030"),
                ..Default::default()
            }],
            ..Default::default()
        },
    }
}

#[test]
fn copy_text_is_the_apps_format() {
    let text = copy_text(&sample());
    assert!(text.starts_with("資格情報\r\n確認日 : \t令和7年4月1日\r\n保険者番号\t01130012\r\n"));
    assert!(text.contains("フリガナ\tﾔﾏﾀﾞ ﾀﾛｳ\r\n"), "{text}");
    assert!(
        text.contains("負担割合\t3割\r\n"),
        "the data's ratio, never a derived one"
    );
    assert!(text.contains("\r\n裏面記載情報\r\n"), "{text}");
    let back = oqs::parse_copy_text(&text).unwrap();
    assert_eq!(back.results(), to_message(&sample()).results());
}

fn rows(view: &QualificationView) -> Vec<(&'static str, Option<String>)> {
    sections(
        &view.message_body.result_list[0],
        view.check_date().unwrap(),
    )[0]
    .rows
    .iter()
    .map(|r| (r.label, r.value.display()))
    .collect()
}

fn ratio_row(view: &QualificationView) -> Option<String> {
    rows(view)
        .into_iter()
        .find(|(l, _)| *l == "負担割合")
        .and_then(|(_, v)| v)
}

#[test]
fn the_ratio_row_is_the_law_under_seventy_and_the_data_for_the_late_elderly() {
    let mut view = sample();
    // The sample carries 030 in the 後期 field but is 40: its ratio is the law's.
    assert_eq!(ratio_row(&view).as_deref(), Some("3割（法定・推定）"));
    let r = &mut view.message_body.result_list[0];
    r.birthdate = text("19480101");
    r.insured_partial_contribution_ratio = text("");
    assert_eq!(
        ratio_row(&view),
        None,
        "no empty 負担割合 row for 後期 without data"
    );
    let r = &mut view.message_body.result_list[0];
    r.insured_partial_contribution_ratio = text("010");
    assert_eq!(ratio_row(&view).as_deref(), Some("1割"));
    let r = &mut view.message_body.result_list[0];
    r.birthdate = text("19530720");
    r.elderly_recipient_certificate_info = Some(ElderlyView {
        elderly_recipient_contribution_ratio: text("020"),
        ..Default::default()
    });
    assert_eq!(ratio_row(&view).as_deref(), Some("2割"));
    let r = &mut view.message_body.result_list[0];
    r.birthdate = text("20210615");
    r.elderly_recipient_certificate_info = None;
    assert_eq!(ratio_row(&view).as_deref(), Some("2割（法定・推定）"));
}

#[test]
fn values_with_tabs_stay_on_one_line() {
    let mut view = sample();
    view.message_body.result_list[0].insurer_name = text("A\tB\nC");
    assert!(copy_text(&view).contains("保険者名\tA B C\r\n"));
}

#[test]
fn error_answers_copy_their_code() {
    let view = QualificationView {
        message_header: HeaderView {
            segment_of_result: text("9"),
            error_code: text("MW0004"),
            error_message: text("チャレンジが無効"),
            ..Default::default()
        },
        ..Default::default()
    };
    assert_eq!(view.status().0, Status::Error);
    assert_eq!(
        copy_text(&view),
        "資格情報\r\n確認日 : \t\r\n資格有効性\t照会エラー\r\nエラーコード\tMW0004\r\nエラーメッセージ\tチャレンジが無効\r\n"
    );
}

#[test]
fn statuses_follow_the_code_table() {
    let mut view = sample();
    for (code, status, label) in [
        ("1", Status::Valid, "有効"),
        ("2", Status::Invalid, "無効"),
        ("3", Status::Invalid, "無効（新しい資格あり）"),
        ("4", Status::NotFound, "該当資格なし"),
        ("5", Status::Multiple, "複数該当"),
    ] {
        view.message_body.qualification_validity = text(code);
        let (s, l) = view.status();
        assert_eq!(s, status, "{code}");
        assert_eq!(l, label, "{code}");
    }
    view.message_body.qualification_validity = text("8");
    assert_eq!(view.status(), (Status::Unknown, "資格有効性 8".into()));
}

#[test]
fn dates_show_both_calendars_and_bad_dates_stay() {
    assert_eq!(display_date("20190501"), "令和元年5月1日（2019/05/01）");
    assert_eq!(display_date("2019-05-01"), "2019-05-01");
    assert_eq!(wareki_date("19890107"), "昭和64年1月7日");
}

#[test]
fn unknown_codes_show_raw() {
    assert_eq!(code_label::<Sex>(&text("7")), Some("7".into()));
    assert_eq!(ratio_label(&text("abc")), Some("abc".into()));
    assert_eq!(ratio_label(&text("")), None);
}

#[test]
fn voucher_compares_with_the_matching_result() {
    let mut view = sample();
    let mut second = view.message_body.result_list[0].clone();
    second.insurer_number = text("06270011");
    view.message_body.result_list.insert(0, second);
    let voucher = VoucherView {
        insurer_number: text("０１１３００１２"),
        insured_card_symbol: text("１２－３４"),
        insured_identification_number: text("567"),
        ..Default::default()
    };
    let c = crate::qualification::best_comparison(
        &voucher.fields(),
        view.message_body
            .result_list
            .iter()
            .map(|r| r.voucher_fields()),
    )
    .unwrap();
    assert!(c.is_match());
    let v = VoucherComparisonView::new(&c);
    assert_eq!(v.insurer_number, "match");
    assert_eq!(v.insured_branch_number, "not-given");
    assert_eq!(v.labels.insured_card_symbol, "一致");
}

#[test]
fn certificate_sections_show_issue_date_and_period() {
    let mut view = sample();
    let r = &mut view.message_body.result_list[0];
    r.elderly_recipient_certificate_info = Some(ElderlyView {
        elderly_recipient_certificate_date: text("20250301"),
        elderly_recipient_valid_start_date: text("20250401"),
        elderly_recipient_contribution_ratio: text("020"),
        ..Default::default()
    });
    r.limit_application_certificate_related_info = Some(LimitView {
        limit_application_certificate_date: text("20250301"),
        limit_application_certificate_valid_end_date: text("20260331"),
        ..Default::default()
    });
    let all = sections(
        &view.message_body.result_list[0],
        view.check_date().unwrap(),
    );
    let shown = |i: usize| -> Vec<(&'static str, Option<String>)> {
        all[i]
            .rows
            .iter()
            .map(|r| (r.label, r.value.display()))
            .collect()
    };
    assert_eq!(all[1].kind, SectionKind::Elderly);
    assert_eq!(
        shown(1),
        [
            ("交付年月日", Some("令和7年3月1日（2025/03/01）".into())),
            ("有効期間", Some("令和7年4月1日（2025/04/01） 〜 ".into())),
            ("負担割合", Some("2割".into())),
        ]
    );
    assert_eq!(all[2].kind, SectionKind::LimitApplication);
    assert_eq!(
        shown(2),
        [
            ("認定証区分", None),
            ("適用区分", None),
            ("交付年月日", Some("令和7年3月1日（2025/03/01）".into())),
            ("有効期間", Some(" 〜 令和8年3月31日（2026/03/31）".into())),
        ],
        "no 長期入院該当年月日 row without the date"
    );
}

fn identity(mode: &str, token: &str) -> IdentityView {
    IdentityView {
        mode: text(mode),
        token: text(token),
    }
}

#[test]
fn identity_says_when_a_smartphone_was_used() {
    assert_eq!(
        identity("pin", "android").label().as_deref(),
        Some("スマートフォン（Android）・暗証番号")
    );
    assert!(identity("pin", "android").is_phone());
    assert_eq!(
        identity("pin", "iphone").label().as_deref(),
        Some("スマートフォン（iPhone）・暗証番号")
    );
    assert_eq!(
        identity("visual", "card").label().as_deref(),
        Some("マイナンバーカード・目視")
    );
    assert!(!identity("visual", "card").is_phone());
    // Nothing is guessed: an unknown token, or no mode (a bare XmlMsg), says nothing.
    assert_eq!(identity("pin", "watch").label(), None);
    assert_eq!(identity("", "android").label(), None);
    assert_eq!(identity("pin", "").label(), None);
    assert_eq!(IdentityView::default().label(), None);
}

#[test]
fn the_copy_text_names_a_phone_only_when_asked_and_a_card_never() {
    let view = sample();
    let plain = copy_text(&view);
    for card in [identity("pin", "card"), identity("visual", "card")] {
        assert_eq!(copy_text_with_identity(&view, &card), plain);
    }
    assert_eq!(copy_text_with_identity(&view, &identity("pin", "")), plain);
    let phone = copy_text_with_identity(&view, &identity("pin", "android"));
    assert_eq!(
        phone,
        plain.replace(
            "\r\n裏面記載情報\r\n",
            "\r\n本人確認\tスマートフォン（Android）・暗証番号\r\n裏面記載情報\r\n"
        )
    );
    let back = oqs::parse_copy_text(&phone).unwrap();
    assert_eq!(back.results().len(), 1);
    assert_eq!(
        back.results()[0].extra.len(),
        1,
        "the line is kept, not lost"
    );
}
