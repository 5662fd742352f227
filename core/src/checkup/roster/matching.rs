//! Which roster row a check belongs to.

use crate::checkup::compare::{ResultFacts, compare_fields, compare_person};
use crate::checkup::voucher::Voucher;
use crate::identifiers::FieldMatch;

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

/// Finds the roster row of a checked person (see the module notes).
pub fn match_to_roster<'a>(
    rows: impl IntoIterator<Item = &'a Voucher>,
    result: &ResultFacts,
) -> RosterMatch {
    let rows: Vec<&Voucher> = rows.into_iter().collect();
    // 保険者番号 and 番号 agree, 記号 and 枝番 do not differ (`VoucherComparison::is_match`).
    let by_numbers: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, v)| compare_fields(v, result).is_match())
        .map(|(i, _)| i)
        .collect();
    let narrowed: Vec<usize> = by_numbers
        .iter()
        .copied()
        .filter(|&i| !compare_person(rows[i], result).is_mismatch())
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
            let p = compare_person(v, result);
            p.birthdate == FieldMatch::Match
                && (p.name_kana == FieldMatch::Match
                    || (p.name_kana == FieldMatch::NotGiven && p.name == FieldMatch::Match))
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
