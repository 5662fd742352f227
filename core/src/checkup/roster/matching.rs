//! Which roster row a check belongs to.

use crate::checkup::compare::ResultFacts;
use crate::checkup::normalize::{branch_key, insurer_key, kana_key, name_key, symbol_key};
use crate::checkup::voucher::{Voucher, VoucherField, parse_date, parse_sex};

/// How a check found its row.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RosterMatch {
    /// By 保険者番号 + 記号・番号 (narrowed by the person where several rows share them).
    Numbers(usize),
    /// By the person (kana or name + birthdate): the numbers differ.
    Person(usize),
    /// Several rows fit equally (indexes); staff choose.
    Ambiguous(Vec<usize>),
    /// Not on the roster.
    None,
}

impl RosterMatch {
    /// `numbers` / `person` / `ambiguous` / `none`.
    pub const fn code(&self) -> &'static str {
        match self {
            RosterMatch::Numbers(_) => "numbers",
            RosterMatch::Person(_) => "person",
            RosterMatch::Ambiguous(_) => "ambiguous",
            RosterMatch::None => "none",
        }
    }

    /// The row, when exactly one.
    pub fn row(&self) -> Option<usize> {
        match self {
            RosterMatch::Numbers(i) | RosterMatch::Person(i) => Some(*i),
            _ => None,
        }
    }
}

fn same(a: Option<&str>, b: Option<&str>, f: fn(&str) -> String) -> Option<bool> {
    match (
        a.map(f).filter(|s| !s.is_empty()),
        b.map(f).filter(|s| !s.is_empty()),
    ) {
        (Some(a), Some(b)) => Some(a == b),
        _ => None,
    }
}

fn date_of(s: &str) -> String {
    parse_date(s).unwrap_or_else(|_| s.trim().to_owned())
}

fn sex_of(s: &str) -> String {
    parse_sex(s).map_or_else(|| s.trim().to_owned(), str::to_owned)
}

/// Whether the person fields agree: `Some(true)` all given agree, `Some(false)` one differs,
/// `None` nothing to compare.
fn person_agrees(v: &Voucher, r: &ResultFacts) -> Option<bool> {
    let kana = same(
        v.get(VoucherField::NameKana),
        r.name_kana.as_deref(),
        kana_key,
    );
    let name = if kana.is_some() {
        None
    } else {
        same(v.get(VoucherField::Name), r.name.as_deref(), name_key)
    };
    let checks = [
        kana,
        name,
        same(
            v.get(VoucherField::Birthdate),
            r.birthdate.as_deref(),
            date_of,
        ),
        same(v.get(VoucherField::Sex), r.sex.as_deref(), sex_of),
    ];
    if checks.contains(&Some(false)) {
        Some(false)
    } else if checks.iter().any(Option::is_some) {
        Some(true)
    } else {
        None
    }
}

/// Finds the roster row of a checked person (see the module notes).
pub fn match_to_roster<'a>(
    rows: impl IntoIterator<Item = &'a Voucher>,
    result: &ResultFacts,
) -> RosterMatch {
    let rows: Vec<&Voucher> = rows.into_iter().collect();
    let by_numbers: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, v)| {
            same(
                v.get(VoucherField::InsurerNumber),
                result.insurer_number.as_deref(),
                insurer_key,
            ) == Some(true)
                && same(
                    v.get(VoucherField::InsuredIdentificationNumber),
                    result.insured_identification_number.as_deref(),
                    symbol_key,
                ) == Some(true)
                && same(
                    v.get(VoucherField::InsuredCardSymbol),
                    result.insured_card_symbol.as_deref(),
                    symbol_key,
                ) != Some(false)
                && same(
                    v.get(VoucherField::InsuredBranchNumber),
                    result.insured_branch_number.as_deref(),
                    branch_key,
                ) != Some(false)
        })
        .map(|(i, _)| i)
        .collect();
    let narrowed: Vec<usize> = by_numbers
        .iter()
        .copied()
        .filter(|&i| person_agrees(rows[i], result) != Some(false))
        .collect();
    match narrowed.as_slice() {
        [one] => return RosterMatch::Numbers(*one),
        [] => {}
        several => return RosterMatch::Ambiguous(several.to_vec()),
    }
    // By the person: birthdate and a name must be given and agree.
    let by_person: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, v)| {
            let birth = same(
                v.get(VoucherField::Birthdate),
                result.birthdate.as_deref(),
                date_of,
            );
            let kana = same(
                v.get(VoucherField::NameKana),
                result.name_kana.as_deref(),
                kana_key,
            );
            let name = same(v.get(VoucherField::Name), result.name.as_deref(), name_key);
            birth == Some(true) && (kana == Some(true) || (kana.is_none() && name == Some(true)))
        })
        .map(|(i, _)| i)
        .collect();
    match by_person.as_slice() {
        [one] => RosterMatch::Person(*one),
        [] if by_numbers.is_empty() => RosterMatch::None,
        // Rows with the numbers exist, but the person differs everywhere: staff choose.
        [] => RosterMatch::Ambiguous(by_numbers),
        several => RosterMatch::Ambiguous(several.to_vec()),
    }
}
