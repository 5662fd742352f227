//! The day's list: every roster row and every check, with its status.

use crate::checkup::voucher::Voucher;

/// Where an examinee stands on the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DayStatus {
    /// Checked, no problem (`checked`, 確認済).
    Checked,
    /// Checked with a problem, or refused by the service (`problem`, 要確認).
    Problem,
    /// Queued offline, not yet sent (`pending`, 送信待ち).
    Pending,
    /// On the roster, no check yet (`not-yet`, 未確認).
    NotYet,
    /// A check matched to no row (`not-on-roster`, 名簿外).
    NotOnRoster,
}

impl DayStatus {
    /// The stable code.
    pub const fn code(self) -> &'static str {
        match self {
            DayStatus::Checked => "checked",
            DayStatus::Problem => "problem",
            DayStatus::Pending => "pending",
            DayStatus::NotYet => "not-yet",
            DayStatus::NotOnRoster => "not-on-roster",
        }
    }

    /// The Japanese label.
    pub const fn label(self) -> &'static str {
        match self {
            DayStatus::Checked => "確認済",
            DayStatus::Problem => "要確認",
            DayStatus::Pending => "送信待ち",
            DayStatus::NotYet => "未確認",
            DayStatus::NotOnRoster => "名簿外",
        }
    }

    /// The status of `code`.
    pub fn from_code(code: &str) -> Option<Self> {
        [
            DayStatus::Checked,
            DayStatus::Problem,
            DayStatus::Pending,
            DayStatus::NotYet,
            DayStatus::NotOnRoster,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }
}

/// One check of the day, as the day's list needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayCheck {
    /// The roster row it matched (index), if any.
    pub row: Option<usize>,
    /// Still in the offline queue.
    pub pending: bool,
    /// Problem codes (empty: honoured), or the service's refusal code.
    pub problems: Vec<String>,
    /// When (`yyyy-MM-ddTHH:mm:ss` or as the caller keeps it); the latest check of a row counts.
    pub checked_at: String,
    /// 目視 / PIN.
    pub mode: String,
    /// The operator.
    pub operator: String,
    /// What the check showed of the person (for rows not on the roster).
    pub person: Voucher,
}

/// One line of the day's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayEntry {
    /// The roster row, if any.
    pub row: Option<usize>,
    /// The latest check (index into the checks given), if any.
    pub check: Option<usize>,
    /// Where it stands.
    pub status: DayStatus,
}

/// The day's list: every roster row (in roster order) with its latest check, then the checks
/// that matched no row.
pub fn day_list(row_count: usize, checks: &[DayCheck]) -> Vec<DayEntry> {
    let status_of = |c: &DayCheck, on_roster: bool| {
        if c.pending {
            DayStatus::Pending
        } else if !c.problems.is_empty() {
            DayStatus::Problem
        } else if on_roster {
            DayStatus::Checked
        } else {
            DayStatus::NotOnRoster
        }
    };
    let mut out = Vec::with_capacity(row_count + checks.len());
    for row in 0..row_count {
        let latest = checks
            .iter()
            .enumerate()
            .filter(|(_, c)| c.row == Some(row))
            .max_by(|(ia, a), (ib, b)| a.checked_at.cmp(&b.checked_at).then(ia.cmp(ib)))
            .map(|(i, _)| i);
        out.push(DayEntry {
            row: Some(row),
            check: latest,
            status: latest.map_or(DayStatus::NotYet, |i| status_of(&checks[i], true)),
        });
    }
    for (i, c) in checks.iter().enumerate() {
        if c.row.is_none_or(|r| r >= row_count) {
            out.push(DayEntry {
                row: None,
                check: Some(i),
                status: status_of(c, false),
            });
        }
    }
    out
}
