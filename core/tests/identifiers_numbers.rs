//! 保険者番号, 公費負担者番号, 枝番, 記号・番号 normalisation and 受診券照合.

use myna_core::identifiers::{
    BranchNumber, FieldMatch, Houbetsu, IdentifierError, InsurerKind, InsurerNumber,
    PublicExpenseNumber, VoucherComparison, VoucherFields, check_digit, normalize_symbol_number,
    prefecture_name, validate_insurer_number, validate_public_expense_number,
};
use myna_core::oqs::parse;

#[test]
fn documented_valid_insurer_numbers() {
    for n in ["01130012", "06270011", "39131156", "138057"] {
        assert!(validate_insurer_number(n), "{n}");
    }
}

#[test]
fn every_wrong_check_digit_is_rejected() {
    for valid in ["01130012", "06270011", "39131156", "138057"] {
        let (body, last) = valid.split_at(valid.len() - 1);
        let good = last.parse::<u8>().unwrap();
        for d in 0..10u8 {
            let candidate = format!("{body}{d}");
            let result = InsurerNumber::parse(&candidate);
            if d == good {
                assert!(result.is_ok(), "{candidate}");
            } else {
                assert_eq!(
                    result,
                    Err(IdentifierError::CheckDigitMismatch {
                        expected: good,
                        found: d
                    }),
                    "{candidate}"
                );
            }
        }
    }
}

#[test]
fn check_digit_by_hand() {
    // 0113001 from the right: 1·2=2, 0·1, 0·2, 3·1=3, 1·2=2, 1·1=1, 0·2 → 8 → 2.
    assert_eq!(check_digit("0113001"), Some(2));
    // 13805: 5·2=10 → 1+0, 0·1, 8·2=16 → 1+6, 3·1, 1·2 → 1+7+3+2 = 13 → 7.
    assert_eq!(check_digit("13805"), Some(7));
    // Products ≥ 10 add their digits: 5·2=10 → 1 → 9.
    assert_eq!(check_digit("5"), Some(9));
    // 9·2=18 → 9, 1·1 → 10: a multiple of 10 gives 0, not 10.
    assert_eq!(check_digit("19"), Some(0));
    assert_eq!(check_digit("0"), Some(0));
    assert_eq!(check_digit(""), None);
    assert_eq!(check_digit("1a"), None);
}

#[test]
fn insurer_number_kinds_and_parts() {
    let kyokai = InsurerNumber::parse("01130012").unwrap();
    assert_eq!(
        kyokai.kind(),
        InsurerKind::Employee8 {
            houbetsu: kyokai.houbetsu().unwrap()
        }
    );
    assert_eq!(kyokai.houbetsu().unwrap().number(), 1);
    assert_eq!(
        kyokai.houbetsu().unwrap().label(),
        Some("全国健康保険協会管掌健康保険（協会けんぽ）")
    );
    assert_eq!(kyokai.prefecture_code(), 13);
    assert_eq!(kyokai.prefecture_name(), Some("東京都"));
    assert_eq!(kyokai.check_digit(), 2);

    let kouki = InsurerNumber::parse("39131156").unwrap();
    assert_eq!(kouki.houbetsu().unwrap().label(), Some("後期高齢者医療"));
    assert_eq!(kouki.houbetsu().unwrap().to_string(), "39");

    let kumiai = InsurerNumber::parse("06270011").unwrap();
    assert_eq!(kumiai.prefecture_name(), Some("大阪府"));

    let kokuho = InsurerNumber::parse("138057").unwrap();
    assert_eq!(kokuho.kind(), InsurerKind::National6);
    assert_eq!(kokuho.houbetsu(), None);
    assert_eq!(kokuho.prefecture_code(), 13);
    assert_eq!(kokuho.to_string(), "138057");
}

#[test]
fn insurer_number_input_forms() {
    // Left-space-padded 国保, full-width digits, U+3000 around, trailing newline.
    for input in [
        "  138057",
        "１３８０５７",
        "\u{3000}138057\u{3000}",
        "138057\n",
    ] {
        assert_eq!(
            InsurerNumber::parse(input).map(|n| n.as_str().to_owned()),
            Ok("138057".to_owned()),
            "{input:?}"
        );
    }
    assert_eq!(
        "０６２７００１１"
            .parse::<InsurerNumber>()
            .unwrap()
            .as_str(),
        "06270011"
    );
}

#[test]
fn insurer_number_errors() {
    assert_eq!(InsurerNumber::parse(""), Err(IdentifierError::Empty));
    assert_eq!(
        InsurerNumber::parse(" \u{3000} "),
        Err(IdentifierError::Empty)
    );
    assert_eq!(
        InsurerNumber::parse("0113001"),
        Err(IdentifierError::InvalidLength {
            expected: "6 or 8",
            found: 7
        })
    );
    assert_eq!(
        InsurerNumber::parse("011300120"),
        Err(IdentifierError::InvalidLength {
            expected: "6 or 8",
            found: 9
        })
    );
    assert_eq!(
        InsurerNumber::parse("0113-0012"),
        Err(IdentifierError::NotADigit {
            position: 4,
            found: '-'
        })
    );
    assert_eq!(
        InsurerNumber::parse("13 8057"),
        Err(IdentifierError::NotADigit {
            position: 2,
            found: ' '
        })
    );
    // Other Unicode digits are not accepted.
    assert!(matches!(
        InsurerNumber::parse("١٣٨٠٥٧"),
        Err(IdentifierError::NotADigit { position: 0, .. })
    ));
    assert!(!validate_insurer_number("abc"));
}

#[test]
fn houbetsu_labels() {
    let label = |n: &str| InsurerNumber::parse(n).unwrap().houbetsu().unwrap().label();
    // 67 退職国保 with a computed check digit.
    let body = "6713001";
    let n = format!("{body}{}", check_digit(body).unwrap());
    assert_eq!(label(&n), Some("国民健康保険（退職者医療）"));
    // An unknown 法別 is still a valid number, without a label.
    let body = "9913001";
    let n = format!("{body}{}", check_digit(body).unwrap());
    assert!(validate_insurer_number(&n));
    assert_eq!(label(&n), None);
    let _: Houbetsu = InsurerNumber::parse(&n).unwrap().houbetsu().unwrap();
}

#[test]
fn prefecture_table() {
    assert_eq!(prefecture_name(1), Some("北海道"));
    assert_eq!(prefecture_name(13), Some("東京都"));
    assert_eq!(prefecture_name(27), Some("大阪府"));
    assert_eq!(prefecture_name(47), Some("沖縄県"));
    assert_eq!(prefecture_name(0), None);
    assert_eq!(prefecture_name(48), None);
}

#[test]
fn public_expense_numbers() {
    // 生活保護 (12), 東京都 (13), 実施機関 001, with its check digit.
    let body = "1213001";
    let number = format!("{body}{}", check_digit(body).unwrap());
    let p = PublicExpenseNumber::parse(&number).unwrap();
    assert_eq!(p.houbetsu(), 12);
    assert_eq!(p.prefecture_code(), 13);
    assert_eq!(p.to_string(), number);
    // Full-width input.
    let wide: String = number
        .chars()
        .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
        .collect();
    assert!(validate_public_expense_number(&wide));
    // The documented insurer examples satisfy the same rule.
    assert!(validate_public_expense_number("01130012"));
    assert_eq!(
        PublicExpenseNumber::parse("138057"),
        Err(IdentifierError::InvalidLength {
            expected: "8",
            found: 6
        })
    );
    let wrong = format!("{body}{}", (check_digit(body).unwrap() + 1) % 10);
    assert!(matches!(
        PublicExpenseNumber::parse(&wrong),
        Err(IdentifierError::CheckDigitMismatch { .. })
    ));
}

#[test]
fn branch_numbers() {
    assert_eq!(BranchNumber::parse("01").unwrap().as_str(), "01");
    assert_eq!(BranchNumber::parse("０２").unwrap().value(), 2);
    assert_eq!(BranchNumber::parse(" 10 ").unwrap().to_string(), "10");
    assert_eq!(
        BranchNumber::parse("1"),
        Err(IdentifierError::InvalidLength {
            expected: "2",
            found: 1
        })
    );
    assert_eq!(BranchNumber::parse_padded("1").unwrap().as_str(), "01");
    assert_eq!(BranchNumber::parse_padded("１").unwrap().as_str(), "01");
    assert_eq!(BranchNumber::parse_padded("12").unwrap().as_str(), "12");
    assert!(BranchNumber::parse_padded("123").is_err());
    assert!(BranchNumber::parse("0a").is_err());
    assert_eq!(BranchNumber::parse(""), Err(IdentifierError::Empty));
}

#[test]
fn symbol_number_normalisation_table() {
    let cases = [
        ("12345678", "12345678"),
        ("１２３４５６７８", "12345678"),
        (" 12-34 ", "12-34"),
        ("12－34", "12-34"),          // U+FF0D
        ("12‐34", "12-34"),           // U+2010
        ("12‑34", "12-34"),           // U+2011
        ("12‒34", "12-34"),           // U+2012
        ("12–34", "12-34"),           // U+2013
        ("12—34", "12-34"),           // U+2014
        ("12―34", "12-34"),           // U+2015
        ("12−34", "12-34"),           // U+2212
        ("12﹣34", "12-34"),          // U+FE63
        ("12ー34", "12-34"),          // U+30FC between digits
        ("12ｰ34", "12-34"),           // U+FF70 between digits
        ("ソーシャル", "ソーシャル"), // a real prolonged mark stays
        ("ー12", "ー12"),
        ("12ー", "12ー"),
        ("世　１２", "世12"),
        ("ab-ＣＤ", "AB-CD"),
        ("1 2\t3\u{00A0}4", "1234"),
        ("", ""),
    ];
    for (input, expected) in cases {
        assert_eq!(normalize_symbol_number(input), expected, "{input:?}");
    }
}

fn fields(insurer: &str, symbol: &str, number: &str, branch: Option<&str>) -> VoucherFields {
    VoucherFields {
        insurer_number: Some(insurer.to_owned()),
        insured_card_symbol: Some(symbol.to_owned()),
        insured_identification_number: Some(number.to_owned()),
        insured_branch_number: branch.map(str::to_owned),
    }
}

#[test]
fn voucher_comparison_against_a_parsed_result() {
    let path = format!(
        "{}/tests/data/oqs/kokuho_padded.xml",
        env!("CARGO_MANIFEST_DIR")
    );
    let msg = parse(&std::fs::read(path).unwrap()).unwrap();
    let result = msg.results()[0].voucher_fields();

    // The voucher writes the symbol with ASCII digits and an ASCII hyphen, and no 枝番.
    let voucher = fields("138057", "世12-34", "３４５６７", None);
    let cmp = VoucherComparison::compare(&voucher, &result);
    assert_eq!(
        cmp.fields(),
        [
            FieldMatch::Match,
            FieldMatch::Match,
            FieldMatch::Match,
            FieldMatch::NotGiven
        ]
    );
    assert!(cmp.is_match());
    assert_eq!(cmp.voucher_insurer_number_error, None);

    // Another insurer.
    let other = fields("06270011", "世12-34", "34567", Some("1"));
    let cmp = VoucherComparison::compare(&other, &result);
    assert_eq!(cmp.insurer_number, FieldMatch::Mismatch);
    assert_eq!(cmp.insured_branch_number, FieldMatch::Match); // "1" ≡ "01"
    assert!(!cmp.is_match());
    assert!(cmp.has_mismatch());
}

#[test]
fn voucher_comparison_edge_cases() {
    let result = fields("01130012", "12345678", "1001", Some("00"));

    // A mistyped insurer number on the voucher: a mismatch, with the reason.
    let voucher = fields("01130013", "12345678", "1001", None);
    let cmp = VoucherComparison::compare(&voucher, &result);
    assert_eq!(cmp.insurer_number, FieldMatch::Mismatch);
    assert_eq!(
        cmp.voucher_insurer_number_error,
        Some(IdentifierError::CheckDigitMismatch {
            expected: 2,
            found: 3
        })
    );

    // Blank fields are "not given"; hyphens stay significant.
    let voucher = VoucherFields {
        insurer_number: Some("０１１３００１２".to_owned()),
        insured_card_symbol: Some("  ".to_owned()),
        insured_identification_number: Some("10-01".to_owned()),
        insured_branch_number: None,
    };
    let cmp = VoucherComparison::compare(&voucher, &result);
    assert_eq!(
        cmp.fields(),
        [
            FieldMatch::Match,
            FieldMatch::NotGiven,
            FieldMatch::Mismatch,
            FieldMatch::NotGiven
        ]
    );
    assert!(!cmp.is_match());

    // Nothing given at all: not a match, but no mismatch either.
    let cmp = VoucherComparison::compare(&VoucherFields::default(), &result);
    assert_eq!(cmp.fields(), [FieldMatch::NotGiven; 4]);
    assert!(!cmp.is_match());
    assert!(!cmp.has_mismatch());
    assert_eq!(FieldMatch::Mismatch.label(), "不一致");
}
