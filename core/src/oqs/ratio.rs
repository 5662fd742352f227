//! Which 負担割合 (patient's share) a result means, and where it comes from.
//!
//! The national data carries a ratio only where it is not fixed by law:
//! `InsuredPartialContributionRatio` is the 後期高齢者's 一部負担割合 (1, 2 or 3割 by income),
//! `ElderlyRecipientContributionRatio` the 70–74 year-old's (高齢受給者証: 2割, or 3割 for
//! 現役並み所得). For everyone else the ratio follows from the law (健康保険法 74条 and the
//! same rule in the other Acts) and is not in the data:
//!
//! | who (on the day of the check) | ratio | shown |
//! |---|---|---|
//! | 後期高齢者: insurer 法別 `39`, or 75 or older (from the 75th birthday) | `InsuredPartialContributionRatio` | as given; no row when absent |
//! | 70–74: from the first of the month after reaching 70 (the month itself for a birthday on the 1st) until 後期 | `ElderlyRecipientContributionRatio` | as given; else `2割（法定・推定）` |
//! | 未就学: `PreschoolClassification` 1, or until the first 31 March after reaching 6 | — | `2割（法定・推定）` |
//! | everyone else | — | `3割（法定・推定）` |
//!
//! "Reaching" an age is the day before the birthday (年齢計算ニ関スル法律). A derived ratio
//! is marked [`RatioSource::Law`] and shown with `（法定・推定）` ("by law, presumed"): the
//! national system did not say it, and a 70–74 year-old without a 高齢受給者証 in the data
//! may still be 3割. A `InsuredPartialContributionRatio` on a result that is not 後期 is
//! ignored for display (it does not mean that person's ratio).

use super::model::ResultOfQualificationConfirmation;
use crate::wareki::{GregorianDate, days_in_month, is_leap_year};

/// The marker after a ratio derived from the law.
pub const DERIVED_MARK: &str = "（法定・推定）";

/// Where a shown ratio comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RatioSource {
    /// `InsuredPartialContributionRatio` (後期高齢者).
    LateElderly,
    /// `ElderlyRecipientContributionRatio` (高齢受給者証, 70–74).
    ElderlyRecipient,
    /// Derived from the law and the person's age; not in the data.
    Law,
}

/// The 負担割合 to show for a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownRatio {
    /// The ratio as written in the data (`030`), or the derived one.
    pub raw: String,
    /// Where it comes from.
    pub source: RatioSource,
}

impl ShownRatio {
    /// `3割`, or `3割（法定・推定）` for a derived ratio; a data value that is not whole 割
    /// stays as given.
    pub fn display(&self) -> String {
        let base = super::codes::contribution_ratio_label(&self.raw)
            .map_or_else(|| self.raw.clone(), str::to_owned);
        match self.source {
            RatioSource::Law => format!("{base}{DERIVED_MARK}"),
            _ => base,
        }
    }

    /// True when derived from the law.
    pub fn is_derived(&self) -> bool {
        self.source == RatioSource::Law
    }
}

type Day = (u16, u8, u8);

fn day_of(d: GregorianDate) -> Day {
    (d.year(), d.month(), d.day())
}

/// The day before the `age`th birthday of someone born on `birth` (the day they reach
/// that age); a 29 February birthday in a common year falls on 1 March.
fn reaches(birth: Day, age: u16) -> Day {
    let year = birth.0.saturating_add(age);
    let (m, d) = if (birth.1, birth.2) == (2, 29) && !is_leap_year(year) {
        (3, 1)
    } else {
        (birth.1, birth.2)
    };
    previous_day((year, m, d))
}

fn previous_day((y, m, d): Day) -> Day {
    if d > 1 {
        (y, m, d - 1)
    } else if m > 1 {
        (y, m - 1, days_in_month(y, m - 1))
    } else {
        (y.saturating_sub(1), 12, 31)
    }
}

fn next_day((y, m, d): Day) -> Day {
    if d < days_in_month(y, m) {
        (y, m, d + 1)
    } else if m < 12 {
        (y, m + 1, 1)
    } else {
        (y.saturating_add(1), 1, 1)
    }
}

/// Whether the result is a 後期高齢者医療 one by its insurer (法別 `39`).
fn is_late_elderly_insurer(r: &ResultOfQualificationConfirmation) -> bool {
    r.insurer_number
        .as_deref()
        .map(str::trim)
        .is_some_and(|n| n.len() == 8 && n.starts_with("39"))
}

/// The 負担割合 to show for `r` on `on` (the day of the check), by the table in the
/// module documentation; `None` where no ratio applies or can be known (a 後期 result
/// without its ratio, or no birth date and nothing else to go on).
pub fn shown_ratio(r: &ResultOfQualificationConfirmation, on: GregorianDate) -> Option<ShownRatio> {
    let late = r
        .insured_partial_contribution_ratio
        .as_ref()
        .map(|x| ShownRatio {
            raw: x.raw().to_owned(),
            source: RatioSource::LateElderly,
        });
    let law = |percent: &str| {
        Some(ShownRatio {
            raw: percent.to_owned(),
            source: RatioSource::Law,
        })
    };
    let preschool_flag = r
        .preschool_classification
        .as_ref()
        .is_some_and(|c| c.is(super::codes::PreschoolClassification::Preschool));
    if is_late_elderly_insurer(r) {
        return late;
    }
    let birth = r
        .birthdate
        .as_deref()
        .and_then(|b| GregorianDate::parse_yyyymmdd(b).ok());
    let Some(birth) = birth.map(day_of) else {
        return if preschool_flag { law("020") } else { None };
    };
    let today = day_of(on);
    if today >= next_day(reaches(birth, 75)) {
        return late;
    }
    let elderly_from = {
        let (y, m, _) = reaches(birth, 70);
        if m == 12 {
            (y + 1, 1, 1)
        } else {
            (y, m + 1, 1)
        }
    };
    if today >= elderly_from {
        let ratio = r
            .elderly_recipient_certificate_info
            .as_ref()
            .and_then(|e| e.elderly_recipient_contribution_ratio.as_ref());
        return match ratio {
            Some(x) => Some(ShownRatio {
                raw: x.raw().to_owned(),
                source: RatioSource::ElderlyRecipient,
            }),
            None => law("020"),
        };
    }
    let preschool_until = {
        let (y, m, _) = reaches(birth, 6);
        if m <= 3 { (y, 3, 31) } else { (y + 1, 3, 31) }
    };
    if preschool_flag || today <= preschool_until {
        return law("020");
    }
    law("030")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oqs::{Code, ContributionRatio, ElderlyRecipientCertificateInfo};

    fn person(birth: &str) -> ResultOfQualificationConfirmation {
        ResultOfQualificationConfirmation {
            insurer_number: Some("01130012".into()),
            birthdate: Some(birth.into()),
            ..Default::default()
        }
    }

    fn on(s: &str) -> GregorianDate {
        GregorianDate::parse_yyyymmdd(s).unwrap()
    }

    fn shown(r: &ResultOfQualificationConfirmation, day: &str) -> Option<String> {
        shown_ratio(r, on(day)).map(|s| s.display())
    }

    #[test]
    fn working_age_is_three_by_law() {
        assert_eq!(
            shown(&person("19850401"), "20250401").as_deref(),
            Some("3割（法定・推定）")
        );
    }

    #[test]
    fn a_late_elderly_ratio_on_a_working_age_result_is_not_their_ratio() {
        let mut r = person("19850401");
        r.insured_partial_contribution_ratio = Some(ContributionRatio::from_raw("030"));
        let s = shown_ratio(&r, on("20250401")).unwrap();
        assert!(s.is_derived());
    }

    #[test]
    fn preschool_ends_on_the_first_31_march_after_reaching_six() {
        // Born 2019-04-02: reaches 6 on 2025-04-01 → 未就学 until 2026-03-31.
        let r = person("20190402");
        assert_eq!(shown(&r, "20260331").as_deref(), Some("2割（法定・推定）"));
        assert_eq!(shown(&r, "20260401").as_deref(), Some("3割（法定・推定）"));
        // Born 2019-04-01: reaches 6 on 2025-03-31 → until 2025-03-31.
        let r = person("20190401");
        assert_eq!(shown(&r, "20250331").as_deref(), Some("2割（法定・推定）"));
        assert_eq!(shown(&r, "20250401").as_deref(), Some("3割（法定・推定）"));
        let mut flagged = person("20100101");
        flagged.preschool_classification = Some(Code::from_raw("1"));
        assert_eq!(
            shown(&flagged, "20250401").as_deref(),
            Some("2割（法定・推定）")
        );
    }

    #[test]
    fn seventy_to_seventy_four_from_the_month_after_reaching_seventy() {
        // Born 1955-06-15: reaches 70 on 2025-06-14 → 高齢受給者 from 2025-07-01.
        let mut r = person("19550615");
        assert_eq!(shown(&r, "20250630").as_deref(), Some("3割（法定・推定）"));
        assert_eq!(shown(&r, "20250701").as_deref(), Some("2割（法定・推定）"));
        r.elderly_recipient_certificate_info = Some(ElderlyRecipientCertificateInfo {
            elderly_recipient_contribution_ratio: Some(ContributionRatio::from_raw("030")),
            ..Default::default()
        });
        let s = shown_ratio(&r, on("20250701")).unwrap();
        assert_eq!(s.source, RatioSource::ElderlyRecipient);
        assert_eq!(s.display(), "3割");
        // Born on the 1st: reaches 70 the day before, so the birth month itself.
        let r = person("19550601");
        assert_eq!(shown(&r, "20250601").as_deref(), Some("2割（法定・推定）"));
        assert_eq!(shown(&r, "20250531").as_deref(), Some("3割（法定・推定）"));
    }

    #[test]
    fn late_elderly_from_the_75th_birthday_and_only_from_the_data() {
        let mut r = person("19500610");
        assert_eq!(shown(&r, "20250609").as_deref(), Some("2割（法定・推定）"));
        assert_eq!(shown(&r, "20250610"), None, "no empty 負担割合 row");
        r.insured_partial_contribution_ratio = Some(ContributionRatio::from_raw("010"));
        assert_eq!(shown(&r, "20250610").as_deref(), Some("1割"));
        // 法別 39 under 75 (障害認定): 後期 by the insurer.
        let mut r = person("19580101");
        r.insurer_number = Some("39131156".into());
        r.insured_partial_contribution_ratio = Some(ContributionRatio::from_raw("010"));
        assert_eq!(shown(&r, "20250401").as_deref(), Some("1割"));
    }

    #[test]
    fn leap_day_birthdays_reach_their_age_on_28_february() {
        assert_eq!(reaches((1956, 2, 29), 70), (2026, 2, 28));
        assert_eq!(reaches((1956, 2, 29), 72), (2028, 2, 28));
        assert_eq!(reaches((1955, 1, 1), 70), (2024, 12, 31));
    }

    #[test]
    fn no_birthdate_no_guess() {
        let mut r = ResultOfQualificationConfirmation::default();
        assert_eq!(shown_ratio(&r, on("20250401")), None);
        r.preschool_classification = Some(Code::from_raw("1"));
        assert!(shown_ratio(&r, on("20250401")).unwrap().is_derived());
    }
}
