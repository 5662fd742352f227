//! Comparison keys for what a 受診券, a roster and an eligibility result spell differently.
//!
//! The 記載要領 of vouchers and of the eligibility data let the same value be written in
//! several ways; these functions fold those ways to one key. They are for *comparison* only:
//! nothing is shown or stored in folded form.
//!
//! | what | folded | example |
//! |---|---|---|
//! | half-width katakana (U+FF61–U+FF9F), with ﾞ/ﾟ combined | full-width | `ﾔﾏﾀﾞ` → `ヤマダ` |
//! | hiragana | katakana (kana keys only) | `やまだ` → `ヤマダ` |
//! | small kana (ァ, ッ, ャ, …) | large (kana keys only: half-width systems often lack them) | `ｼﾖｳ` = `ショウ` |
//! | circled digits ⓪①–㊿, letters Ⓐ–ⓩ, katakana ㋐–㋾ | the digit(s), letter, katakana | `①２` → `12` |
//! | full-width ASCII (U+FF01–U+FF5E) | ASCII, letters upper-cased | `ＡＢ１` → `AB1` |
//! | spaces (ASCII, U+3000, U+00A0) and, in names, `・` | removed | `山田　太郎` → `山田太郎` |
//! | 保険者番号 `00` + 6 digits (a 国保 number padded to 8) | the 6 digits | `00138057` → `138057` |
//!
//! Kanji variants (髙/高, 﨑/崎) are **not** folded: no table of them is complete, so a name in
//! kanji that differs is reported and the kana decides where both sides give it (see
//! [`super::compare`]).
//!
//! A hand-written table rather than full NFKC (the `unicode-normalization` crate): the page
//! ships this code in its `.wasm`, and NFKC's tables would multiply its size for the few
//! hundred characters that occur on vouchers.

use crate::identifiers::normalize_symbol_number;

/// Full-width forms of U+FF61–U+FF9F, in order.
const HALF_WIDTH_KANA: &str = "。「」、・ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン゛゜";

/// The katakana of the circled katakana U+32D0–U+32FE, in order.
const CIRCLED_KATAKANA: &str = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヰヱヲ";

fn nth(table: &str, n: u32) -> Option<char> {
    table.chars().nth(n as usize)
}

/// Pushes the folded form of one circled character, or returns false.
fn push_circled(c: char, out: &mut String) -> bool {
    let cp = c as u32;
    let number = match cp {
        0x24EA => Some(0),
        0x2460..=0x2473 => Some(cp - 0x2460 + 1),
        0x3251..=0x325F => Some(cp - 0x3251 + 21),
        0x32B1..=0x32BF => Some(cp - 0x32B1 + 36),
        _ => None,
    };
    if let Some(n) = number {
        out.push_str(&n.to_string());
        return true;
    }
    let folded = match cp {
        0x24B6..=0x24CF => char::from_u32(cp - 0x24B6 + u32::from(b'A')),
        0x24D0..=0x24E9 => char::from_u32(cp - 0x24D0 + u32::from(b'A')),
        0x32D0..=0x32FE => nth(CIRCLED_KATAKANA, cp - 0x32D0),
        _ => None,
    };
    match folded {
        Some(f) => {
            out.push(f);
            true
        }
        None => false,
    }
}

/// The voiced (`゛`) or semi-voiced (`゜`) form of a full-width katakana, if it has one.
fn voiced(base: char, semi: bool) -> Option<char> {
    let cp = base as u32;
    let plus = |n: u32| char::from_u32(cp + n);
    match (base, semi) {
        ('ウ', false) => Some('ヴ'),
        // カ–ト: the voiced form is the next code point (ッ sits between ツ and ヅ).
        ('カ' | 'キ' | 'ク' | 'ケ' | 'コ' | 'サ' | 'シ' | 'ス' | 'セ' | 'ソ', false)
        | ('タ' | 'チ' | 'ツ' | 'テ' | 'ト', false) => plus(1),
        ('ハ' | 'ヒ' | 'フ' | 'ヘ' | 'ホ', false) => plus(1),
        ('ハ' | 'ヒ' | 'フ' | 'ヘ' | 'ホ', true) => plus(2),
        _ => None,
    }
}

fn is_voicing_mark(c: char) -> Option<bool> {
    match c {
        '\u{FF9E}' | '\u{309B}' | '\u{3099}' => Some(false),
        '\u{FF9F}' | '\u{309C}' | '\u{309A}' => Some(true),
        _ => None,
    }
}

/// Folds width: half-width katakana to full-width (with ﾞ/ﾟ combined into the kana before
/// them), circled characters to their plain form, full-width ASCII to ASCII. Nothing is
/// removed and case is kept.
pub fn fold_width_and_circles(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        if let Some(semi) = is_voicing_mark(c) {
            if let Some(v) = out.chars().last().and_then(|last| voiced(last, semi)) {
                out.pop();
                out.push(v);
                continue;
            }
        }
        let cp = c as u32;
        if (0xFF61..=0xFF9F).contains(&cp) {
            if let Some(f) = nth(HALF_WIDTH_KANA, cp - 0xFF61) {
                out.push(f);
                continue;
            }
        }
        if (0xFF01..=0xFF5E).contains(&cp) {
            if let Some(ascii) = char::from_u32(cp - 0xFEE0) {
                out.push(ascii);
                continue;
            }
        }
        if !push_circled(c, &mut out) {
            out.push(c);
        }
    }
    out
}

fn is_name_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{3000}' | '\u{00A0}' | '・' | '･')
}

/// The comparison key of a name in kanji (or any script): widths and circled characters
/// folded, ASCII letters upper-cased, spaces and `・` removed.
///
/// ```
/// use myna_core::checkup::normalize::name_key;
/// assert_eq!(name_key("山田　太郎"), name_key("山田 太郎"));
/// ```
pub fn name_key(input: &str) -> String {
    fold_width_and_circles(input)
        .chars()
        .filter(|&c| !is_name_separator(c))
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Small katakana folded to their large form.
fn large_kana(c: char) -> char {
    match c {
        'ァ' => 'ア',
        'ィ' => 'イ',
        'ゥ' => 'ウ',
        'ェ' => 'エ',
        'ォ' => 'オ',
        'ッ' => 'ツ',
        'ャ' => 'ヤ',
        'ュ' => 'ユ',
        'ョ' => 'ヨ',
        'ヮ' => 'ワ',
        'ヵ' => 'カ',
        'ヶ' => 'ケ',
        other => other,
    }
}

/// The comparison key of a name in kana: as [`name_key`], then hiragana → katakana and small
/// kana → large (`ｼﾖｳｺ`, `ショウコ` and `しょうこ` share one key).
///
/// ```
/// use myna_core::checkup::normalize::kana_key;
/// assert_eq!(kana_key("ﾔﾏﾀﾞ ﾀﾛｳ"), kana_key("ヤマダ　タロウ"));
/// assert_eq!(kana_key("ｼﾖｳｺ"), kana_key("しょうこ"));
/// ```
pub fn kana_key(input: &str) -> String {
    name_key(input)
        .chars()
        .map(|c| {
            let cp = c as u32;
            let katakana = if (0x3041..=0x3096).contains(&cp) {
                char::from_u32(cp + 0x60).unwrap_or(c)
            } else {
                c
            };
            large_kana(katakana)
        })
        .collect()
}

/// The comparison key of a 記号 or 番号: circled characters and half-width kana folded, then
/// [`normalize_symbol_number`].
///
/// ```
/// use myna_core::checkup::normalize::symbol_key;
/// assert_eq!(symbol_key("①２－３"), "12-3");
/// ```
pub fn symbol_key(input: &str) -> String {
    normalize_symbol_number(&fold_width_and_circles(input))
}

/// The comparison key of a 保険者番号: trimmed, widths folded, and an 8-digit number that is
/// `00` + 6 digits shortened to the 6-digit 国保 number it pads. No check digit is verified.
///
/// ```
/// use myna_core::checkup::normalize::insurer_key;
/// assert_eq!(insurer_key("00138057"), "138057");
/// assert_eq!(insurer_key("  138057"), "138057");
/// assert_eq!(insurer_key("０１１３００１２"), "01130012");
/// ```
pub fn insurer_key(input: &str) -> String {
    let folded: String = fold_width_and_circles(input)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{3000}')
        .collect();
    match folded.strip_prefix("00") {
        Some(six) if six.len() == 6 && six.bytes().all(|b| b.is_ascii_digit()) => six.to_owned(),
        _ => folded,
    }
}

/// The comparison key of a 枝番: as [`symbol_key`], and one digit left-padded (`1` = `01`).
pub fn branch_key(input: &str) -> String {
    let n = symbol_key(input);
    if n.len() == 1 && n.as_bytes()[0].is_ascii_digit() {
        format!("0{n}")
    } else {
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::assert_cases;

    #[test]
    fn half_width_kana_and_circled_characters_fold() {
        assert_cases(
            fold_width_and_circles,
            &[
                // Half-width kana with their marks become full-width.
                ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ タロウ"),
                ("ﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟ", "パピプペポ"),
                ("ｳﾞｧｲｵﾘﾝ", "ヴァイオリン"),
                ("ｶﾞｷﾞｸﾞｹﾞｺﾞﾂﾞﾄﾞ", "ガギグゲゴヅド"),
                // A mark after a kana that has no voiced form stays.
                ("ｱﾞ", "ア゛"),
                // Combining marks after full-width kana combine too.
                ("カ\u{3099}", "ガ"),
                // The first and the last of the half-width block.
                ("\u{FF61}\u{FF9F}", "。゜"),
                // Circled digits, letters and katakana.
                ("⓪①⑳㉑㉟㊱㊿", "012021353650"),
                ("Ⓐⓩ㋐㋾", "AZアヲ"),
            ],
        );
    }

    #[test]
    fn the_kana_table_covers_the_whole_block() {
        assert_eq!(HALF_WIDTH_KANA.chars().count(), 0xFF9F - 0xFF61 + 1);
        assert_eq!(CIRCLED_KATAKANA.chars().count(), 0x32FE - 0x32D0 + 1);
    }

    #[test]
    fn kana_keys_ignore_script_size_and_spaces() {
        assert_eq!(kana_key("ｷｯﾄﾞ ｼﾞｮｳ"), kana_key("キッド　ジョウ"));
        assert_eq!(kana_key("きっど・じょう"), kana_key("ｷﾂﾄﾞｼﾞﾖｳ"));
        assert_ne!(kana_key("ヤマダタロウ"), kana_key("ヤマダハナコ"));
    }

    #[test]
    fn insurer_keys_unpad_kokuho_numbers_only() {
        assert_cases(
            insurer_key,
            &[
                ("00138057", "138057"),
                ("01130012", "01130012"),
                ("001380", "001380"),
                ("00x38057", "00x38057"),
            ],
        );
    }

    #[test]
    fn symbol_and_branch_keys() {
        assert_cases(symbol_key, &[("⑫－ab", "12-AB")]);
        assert_cases(branch_key, &[("１", "01"), ("", "")]);
    }
}
