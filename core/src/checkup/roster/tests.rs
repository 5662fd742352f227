use super::import::records;
use super::*;
use crate::checkup::compare::ResultFacts;
use crate::checkup::voucher::{PersonFacts, Voucher, VoucherField};

const ROSTER: &str = "受診券整理番号,保険者番号,記号,番号,枝番,氏名,氏名カナ,生年月日,性別,有効期限,予約時刻\r\n\
    25100000001,01130012,12-34,567,,山田　太郎,ﾔﾏﾀﾞ ﾀﾛｳ,1985/4/1,男,20260331,09:00\r\n\
    25100000002,01130012,12-34,567,,山田　花子,ﾔﾏﾀﾞ ﾊﾅｺ,1987/5/5,女,20260331,09:10\r\n\
    25100000003,01130013,1,2,,誤り　一郎,,1990/1/1,男,20260331,09:20\r\n\
    \r\n\
    25100000004,00138057,\"国,1\",99,,鈴木　次郎,すずき　じろう,S50.1.2,1,20260331,09:30\r\n";

#[test]
fn a_roster_imports_and_a_bad_row_is_reported_by_line() {
    let import = parse_roster(ROSTER.as_bytes()).unwrap();
    assert_eq!(import.encoding, RosterEncoding::Utf8);
    assert_eq!(import.rows.len(), 3);
    assert_eq!(
        import.rows.iter().map(|r| r.line).collect::<Vec<_>>(),
        [2, 3, 6]
    );
    assert_eq!(import.errors.len(), 1);
    assert_eq!(import.errors[0].line, 4);
    assert_eq!(import.errors[0].codes(), ["insurer-number-invalid"]);
    assert!(
        import.errors[0]
            .message_ja()
            .starts_with("4 行目: 保険者番号")
    );
    assert_eq!(import.ignored_columns, ["予約時刻"]);
    let v = &import.rows[2].voucher;
    assert_eq!(v.person.insured_card_symbol.as_deref(), Some("国,1"));
    assert_eq!(v.person.birthdate.as_deref(), Some("19750102"));
}

#[test]
fn cp932_and_bom_rosters_read_the_same() {
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(ROSTER);
    let import = parse_roster(&sjis).unwrap();
    assert_eq!(import.encoding, RosterEncoding::Cp932);
    let utf8 = parse_roster(ROSTER.as_bytes()).unwrap();
    assert_eq!(import.rows, utf8.rows);
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(ROSTER.as_bytes());
    assert_eq!(parse_roster(&bom).unwrap().rows, utf8.rows);
}

#[test]
fn file_level_errors_have_codes() {
    assert_eq!(parse_roster(b"").unwrap_err().code(), "roster-empty");
    assert_eq!(
        parse_roster("氏名,番号\n山田,1\n".as_bytes()).unwrap_err(),
        RosterError::MissingColumn(VoucherField::InsurerNumber)
    );
    assert_eq!(
        parse_roster("保険者番号,番号,insurerNumber\n".as_bytes())
            .unwrap_err()
            .code(),
        "roster-duplicate-column"
    );
    assert_eq!(
        parse_roster(b"\x82\xa0\xff\xff").unwrap_err().code(),
        "roster-invalid-bytes"
    );
    let big = vec![b'a'; MAX_ROSTER_BYTES + 1];
    assert_eq!(parse_roster(&big).unwrap_err().code(), "roster-too-large");
}

#[test]
fn the_csv_reader_follows_rfc_4180_and_counts_lines() {
    let r = records("a,\"b,\"\"c\"\"\"\r\n\"x\r\ny\",z\rlast\n\n\"q\"t,").unwrap();
    let got: Vec<(u64, Vec<&str>)> = r
        .iter()
        .map(|r| (r.line, r.fields.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(
        got,
        [
            (1, vec!["a", "b,\"c\""]),
            (2, vec!["x\r\ny", "z"]),
            (4, vec!["last"]),
            (5, vec![""]),
            (6, vec!["qt", ""]),
        ]
    );
    assert_eq!(
        records("a,\"b\nc").unwrap_err(),
        RosterError::Malformed {
            line: 1,
            message: "a quoted field is never closed".into()
        }
    );
}

#[test]
fn header_names_fold_width_and_spaces() {
    assert_eq!(
        column_field(" 保険者 番号 "),
        Some(VoucherField::InsurerNumber)
    );
    assert_eq!(
        column_field("ＩＮＳＵＲＥＲＮＵＭＢＥＲ"),
        Some(VoucherField::InsurerNumber)
    );
    assert_eq!(column_field("フリガナ"), Some(VoucherField::NameKana));
    assert_eq!(column_field("住所"), None);
}

#[test]
fn duplicate_voucher_numbers_are_reported() {
    let text = "受診券整理番号,保険者番号,番号\n25100000001,01130012,1\n25100000001,01130012,2\n";
    let import = parse_roster_text(text).unwrap();
    assert_eq!(import.rows.len(), 1);
    assert_eq!(import.errors[0].codes(), ["duplicate-voucher-number"]);
    assert_eq!(import.errors[0].duplicate_of, Some(2));
}

fn facts(name_kana: &str, birthdate: &str, sex: &str) -> ResultFacts {
    ResultFacts::from(PersonFacts {
        insurer_number: Some("01130012".into()),
        insured_card_symbol: Some("１２－３４".into()),
        insured_identification_number: Some("567".into()),
        insured_branch_number: Some("01".into()),
        name_kana: Some(name_kana.into()),
        birthdate: Some(birthdate.into()),
        sex: Some(sex.into()),
        ..Default::default()
    })
}

#[test]
fn checks_match_by_numbers_then_person() {
    let import = parse_roster(ROSTER.as_bytes()).unwrap();
    let rows: Vec<&Voucher> = import.rows.iter().map(|r| &r.voucher).collect();
    // Two family members share the numbers: the person picks the row.
    let hanako = facts("ヤマダ　ハナコ", "19870505", "2");
    assert_eq!(
        match_to_roster(rows.clone(), &hanako),
        RosterMatch::Numbers(1)
    );
    let taro = facts("ﾔﾏﾀﾞ ﾀﾛｳ", "19850401", "1");
    assert_eq!(
        match_to_roster(rows.clone(), &taro),
        RosterMatch::Numbers(0)
    );
    // Insurance changed: found by the person.
    let mut jiro = facts("ｽｽﾞｷ ｼﾞﾛｳ", "19750102", "1");
    jiro.person.insurer_number = Some("06270011".into());
    assert_eq!(match_to_roster(rows.clone(), &jiro), RosterMatch::Person(2));
    // A 国保 number written 00 + 6 digits on the roster.
    let mut jiro6 = facts("ｽｽﾞｷ ｼﾞﾛｳ", "19750102", "1");
    jiro6.person.insurer_number = Some("  138057".into());
    jiro6.person.insured_card_symbol = Some("国,1".into());
    jiro6.person.insured_identification_number = Some("９９".into());
    assert_eq!(
        match_to_roster(rows.clone(), &jiro6),
        RosterMatch::Numbers(2)
    );
    assert_eq!(
        match_to_roster(rows.clone(), &facts("ダレカ", "20000101", "1")),
        RosterMatch::Ambiguous(vec![0, 1])
    );
    let mut stranger = facts("ダレカ", "20000101", "1");
    stranger.person.insurer_number = Some("06270011".into());
    assert_eq!(match_to_roster(rows, &stranger), RosterMatch::None);
}

#[test]
fn the_days_list_counts_the_latest_check() {
    let checks = vec![
        DayCheck {
            row: Some(0),
            problems: vec!["person-mismatch".into()],
            checked_at: "2025-06-01T09:00:00".into(),
            ..Default::default()
        },
        DayCheck {
            row: Some(0),
            checked_at: "2025-06-01T09:05:00".into(),
            ..Default::default()
        },
        DayCheck {
            row: Some(1),
            pending: true,
            ..Default::default()
        },
        DayCheck {
            row: None,
            ..Default::default()
        },
    ];
    let list = day_list(3, &checks);
    let statuses: Vec<_> = list.iter().map(|e| e.status.code()).collect();
    assert_eq!(statuses, ["checked", "pending", "not-yet", "not-on-roster"]);
    assert_eq!(list[0].check, Some(1));
}

#[test]
fn the_export_opens_in_excel_and_runs_no_formula() {
    let import = parse_roster(ROSTER.as_bytes()).unwrap();
    let checks = vec![DayCheck {
        row: Some(0),
        problems: vec!["voucher-expired".into()],
        checked_at: "2025-06-01T09:00:00".into(),
        mode: "目視".into(),
        operator: "=cmd|' /C calc'!A0".into(),
        ..Default::default()
    }];
    let text = export_csv(&import.rows, &checks);
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(lines[0], EXPORT_HEADER.join(","));
    assert!(
        lines[1].starts_with("要確認,25100000001,山田　太郎,"),
        "{}",
        lines[1]
    );
    assert!(lines[1].contains(",'=cmd|' /C calc'!A0,受診券の有効期限が切れています,2"));
    assert!(lines[3].contains("\"国,1\""));
    assert!(lines[4].is_empty() && lines.len() == 5);
    let (utf8, _) = encode_export(&text, ExportEncoding::Utf8Bom);
    assert!(utf8.starts_with(b"\xEF\xBB\xBF\xE7\x8A\xB6"));
    let (sjis, lost) = encode_export(&format!("{text}🙂"), ExportEncoding::Cp932);
    assert_eq!(lost, 1);
    let (back, _, errors) = encoding_rs::SHIFT_JIS.decode(&sjis);
    assert!(!errors);
    assert_eq!(back, format!("{text}〓"));
}
