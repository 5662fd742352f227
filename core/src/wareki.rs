//! 和暦 (Japanese era dates) ↔ Gregorian `yyyyMMdd`.
//!
//! Eras and their first days (Gregorian):
//!
//! | era | first day | short |
//! |---|---|---|
//! | 明治 | 1868-10-23 | M |
//! | 大正 | 1912-07-30 | T |
//! | 昭和 | 1926-12-25 | S |
//! | 平成 | 1989-01-08 | H |
//! | 令和 | 2019-05-01 | R |
//!
//! The first year of an era is written 元年 (`令和元年5月1日`); the era year is the
//! Gregorian year minus the era's first year plus one.
//!
//! ## Before 明治
//! 明治 was proclaimed on 1868-10-23 (明治元年9月8日), backdated by decree to the start of
//! that lunisolar year. This module uses the proclamation day: earlier dates are an error
//! ([`WarekiError::BeforeMeiji`]). Dates before 1873-01-01 (明治6年, when Japan adopted
//! the Gregorian calendar) are converted proleptically: month and day are Gregorian, not
//! the lunisolar calendar then in use. No 資格情報 holder was born that early.
//!
//! ## Validation
//! Gregorian dates are checked for month range and month length, with leap years by the
//! Gregorian rule (divisible by 4, except centuries not divisible by 400). Years are
//! 1–9999. 和暦 dates are checked against their era: `平成31年5月1日` and `令和元年4月30日`
//! do not exist.

use core::fmt;
use core::str::FromStr;

/// Why a date or 和暦 string is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WarekiError {
    /// A Gregorian date string is not 8 ASCII digits `yyyyMMdd`.
    #[error("{input:?} is not an 8-digit yyyyMMdd date")]
    InvalidFormat {
        /// The input as given.
        input: String,
    },
    /// Year outside 1–9999.
    #[error("year {year} is outside 1–9999")]
    InvalidYear {
        /// The year given.
        year: u32,
    },
    /// Month outside 1–12.
    #[error("month {month} is outside 1–12")]
    InvalidMonth {
        /// The month given.
        month: u32,
    },
    /// Day outside the month (e.g. 2023-02-29, 2024-04-31).
    #[error("day {day} does not exist in {year:04}-{month:02}")]
    InvalidDay {
        /// The year.
        year: u16,
        /// The month.
        month: u8,
        /// The day given.
        day: u32,
    },
    /// The Gregorian date is before 明治 (1868-10-23).
    #[error("{0} is before 明治 (1868-10-23)")]
    BeforeMeiji(GregorianDate),
    /// A 和暦 string that cannot be read.
    #[error("{input:?} is not a 和暦 date such as 令和元年5月1日 or R1.5.1")]
    InvalidWareki {
        /// The input as given.
        input: String,
    },
    /// The era name or letter is not one of 明治/大正/昭和/平成/令和 (M/T/S/H/R).
    #[error("unknown era {0:?}")]
    UnknownEra(String),
    /// The 和暦 date lies outside its era (before its first day or after its last).
    #[error("{era}{year}年{month}月{day}日 is outside {era}")]
    OutsideEra {
        /// The era.
        era: Era,
        /// The era year given.
        year: u32,
        /// The month.
        month: u8,
        /// The day.
        day: u8,
    },
}

/// A Japanese era (元号) from 明治 on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Era {
    /// 明治 (M), from 1868-10-23.
    Meiji,
    /// 大正 (T), from 1912-07-30.
    Taisho,
    /// 昭和 (S), from 1926-12-25.
    Showa,
    /// 平成 (H), from 1989-01-08.
    Heisei,
    /// 令和 (R), from 2019-05-01.
    Reiwa,
}

impl Era {
    /// All eras, oldest first.
    pub const ALL: [Era; 5] = [Era::Meiji, Era::Taisho, Era::Showa, Era::Heisei, Era::Reiwa];

    /// The era name in kanji, e.g. `令和`.
    pub const fn label(self) -> &'static str {
        match self {
            Era::Meiji => "明治",
            Era::Taisho => "大正",
            Era::Showa => "昭和",
            Era::Heisei => "平成",
            Era::Reiwa => "令和",
        }
    }

    /// The one-letter abbreviation, e.g. `R`.
    pub const fn short(self) -> char {
        match self {
            Era::Meiji => 'M',
            Era::Taisho => 'T',
            Era::Showa => 'S',
            Era::Heisei => 'H',
            Era::Reiwa => 'R',
        }
    }

    /// The era's first day.
    pub const fn start(self) -> GregorianDate {
        let (year, month, day) = match self {
            Era::Meiji => (1868, 10, 23),
            Era::Taisho => (1912, 7, 30),
            Era::Showa => (1926, 12, 25),
            Era::Heisei => (1989, 1, 8),
            Era::Reiwa => (2019, 5, 1),
        };
        GregorianDate { year, month, day }
    }

    /// The next era, if any.
    pub const fn next(self) -> Option<Era> {
        match self {
            Era::Meiji => Some(Era::Taisho),
            Era::Taisho => Some(Era::Showa),
            Era::Showa => Some(Era::Heisei),
            Era::Heisei => Some(Era::Reiwa),
            Era::Reiwa => None,
        }
    }

    /// The era containing `date`, or `None` before 明治.
    pub fn of(date: GregorianDate) -> Option<Era> {
        Era::ALL
            .iter()
            .rev()
            .copied()
            .find(|era| era.start() <= date)
    }

    /// The era from its kanji name (`令和`), its letter (`R`/`r`), or the full-width letter.
    pub fn from_name(name: &str) -> Option<Era> {
        let name = name.trim();
        if let Some(era) = Era::ALL.iter().copied().find(|e| e.label() == name) {
            return Some(era);
        }
        let mut chars = name.chars();
        let (Some(c), None) = (chars.next(), chars.next()) else {
            return None;
        };
        let c = fold_width(c).to_ascii_uppercase();
        Era::ALL.iter().copied().find(|e| e.short() == c)
    }
}

impl fmt::Display for Era {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Whether `year` is a Gregorian leap year.
pub const fn is_leap_year(year: u16) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// The number of days in `month` (1–12) of `year`; 0 for an invalid month.
pub const fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// A valid Gregorian calendar date (year 1–9999).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GregorianDate {
    year: u16,
    month: u8,
    day: u8,
}

impl GregorianDate {
    /// A date from its parts, checked.
    pub fn new(year: u32, month: u32, day: u32) -> Result<Self, WarekiError> {
        if !(1..=9999).contains(&year) {
            return Err(WarekiError::InvalidYear { year });
        }
        let year = year as u16;
        if !(1..=12).contains(&month) {
            return Err(WarekiError::InvalidMonth { month });
        }
        let month = month as u8;
        if day == 0 || day > u32::from(days_in_month(year, month)) {
            return Err(WarekiError::InvalidDay { year, month, day });
        }
        Ok(Self {
            year,
            month,
            day: day as u8,
        })
    }

    /// Parses `yyyyMMdd` (8 ASCII digits, surrounding ASCII whitespace ignored).
    pub fn parse_yyyymmdd(input: &str) -> Result<Self, WarekiError> {
        let s = input.trim_ascii();
        if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(WarekiError::InvalidFormat {
                input: input.to_owned(),
            });
        }
        let num = |r: core::ops::Range<usize>| {
            s[r].bytes()
                .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'))
        };
        Self::new(num(0..4), num(4..6), num(6..8))
    }

    /// The year.
    pub const fn year(self) -> u16 {
        self.year
    }

    /// The month 1–12.
    pub const fn month(self) -> u8 {
        self.month
    }

    /// The day 1–31.
    pub const fn day(self) -> u8 {
        self.day
    }

    /// `yyyyMMdd`.
    pub fn to_yyyymmdd(self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }

    /// This date in 和暦.
    pub fn to_wareki(self) -> Result<Wareki, WarekiError> {
        Wareki::from_gregorian(self)
    }
}

impl fmt::Display for GregorianDate {
    /// ISO 8601 `yyyy-MM-dd`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for GregorianDate {
    type Err = WarekiError;
    /// Accepts `yyyyMMdd` and `yyyy-MM-dd`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim_ascii();
        let b = t.as_bytes();
        if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
            let compact: String = t.chars().filter(|&c| c != '-').collect();
            Self::parse_yyyymmdd(&compact).map_err(|e| match e {
                WarekiError::InvalidFormat { .. } => WarekiError::InvalidFormat {
                    input: s.to_owned(),
                },
                other => other,
            })
        } else {
            Self::parse_yyyymmdd(s)
        }
    }
}

/// A date in 和暦: era, era year (1 = 元年), month, day. Always a real day inside its era:
/// kept as the era and the Gregorian date, so the era year is counted in one place
/// ([`Wareki::year`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Wareki {
    era: Era,
    date: GregorianDate,
}

impl Wareki {
    /// A 和暦 date from its parts, checked against the calendar and the era's span.
    pub fn new(era: Era, year: u32, month: u32, day: u32) -> Result<Self, WarekiError> {
        let outside = || WarekiError::OutsideEra {
            era,
            year,
            month: u8::try_from(month).unwrap_or(u8::MAX),
            day: u8::try_from(day).unwrap_or(u8::MAX),
        };
        if year == 0 {
            return Err(outside());
        }
        let gregorian_year = u32::from(era.start().year)
            .checked_add(year - 1)
            .ok_or_else(outside)?;
        let date = GregorianDate::new(gregorian_year, month, day)?;
        if Era::of(date) != Some(era) {
            return Err(outside());
        }
        Ok(Self { era, date })
    }

    /// The 和暦 of a Gregorian date; an error before 明治 (1868-10-23).
    pub fn from_gregorian(date: GregorianDate) -> Result<Self, WarekiError> {
        let era = Era::of(date).ok_or(WarekiError::BeforeMeiji(date))?;
        Ok(Self { era, date })
    }

    /// Back to the Gregorian calendar.
    pub fn to_gregorian(self) -> GregorianDate {
        self.date
    }

    /// The era.
    pub const fn era(self) -> Era {
        self.era
    }

    /// The era year (1 = 元年).
    pub const fn year(self) -> u16 {
        self.date.year - self.era.start().year + 1
    }

    /// The month.
    pub const fn month(self) -> u8 {
        self.date.month
    }

    /// The day.
    pub const fn day(self) -> u8 {
        self.date.day
    }

    /// The short form `R1.5.1` (era letter, year, month, day; no zero padding).
    pub fn to_short_string(self) -> String {
        format!(
            "{}{}.{}.{}",
            self.era.short(),
            self.year(),
            self.month(),
            self.day()
        )
    }

    /// Parses `令和元年5月1日`, `令和1年5月1日`, `令和元年５月１日` (full-width digits) or the
    /// short forms `R1.5.1`, `R01.05.01`, `r1/5/1`, `H31-4-30`.
    pub fn parse(input: &str) -> Result<Self, WarekiError> {
        let invalid = || WarekiError::InvalidWareki {
            input: input.to_owned(),
        };
        let folded: String = input
            .trim_matches(|c: char| c.is_whitespace())
            .chars()
            .map(fold_width)
            .collect();
        // Kanji era name first.
        if let Some((era, rest)) = Era::ALL
            .iter()
            .find_map(|e| folded.strip_prefix(e.label()).map(|rest| (*e, rest)))
        {
            let rest = rest.trim_start();
            let (year, rest) = if let Some(rest) = rest.strip_prefix('元') {
                (1, rest)
            } else {
                take_number(rest).ok_or_else(invalid)?
            };
            let rest = rest.strip_prefix('年').ok_or_else(invalid)?;
            let (month, rest) = take_number(rest.trim_start()).ok_or_else(invalid)?;
            let rest = rest.strip_prefix('月').ok_or_else(invalid)?;
            let (day, rest) = take_number(rest.trim_start()).ok_or_else(invalid)?;
            let rest = rest.strip_prefix('日').ok_or_else(invalid)?;
            if !rest.is_empty() {
                return Err(invalid());
            }
            return Wareki::new(era, year, month, day);
        }
        // Short form: a letter, then three numbers separated by '.', '/' or '-'.
        let mut chars = folded.chars();
        let letter = chars.next().ok_or_else(invalid)?;
        if !letter.is_ascii_alphabetic() {
            return Err(invalid());
        }
        let era = Era::from_name(letter.encode_utf8(&mut [0; 4]))
            .ok_or_else(|| WarekiError::UnknownEra(letter.to_string()))?;
        let rest = chars.as_str();
        let parts: Vec<&str> = rest.split(['.', '/', '-']).collect();
        let [y, m, d] = parts.as_slice() else {
            return Err(invalid());
        };
        let whole = |s: &str| match take_number(s) {
            Some((n, "")) => Some(n),
            _ => None,
        };
        let year = if *y == "元" {
            1
        } else {
            whole(y).ok_or_else(invalid)?
        };
        Wareki::new(
            era,
            year,
            whole(m).ok_or_else(invalid)?,
            whole(d).ok_or_else(invalid)?,
        )
    }
}

/// Leading ASCII digits (at most 4) as a number, and the rest.
fn take_number(s: &str) -> Option<(u32, &str)> {
    let end = s.bytes().take_while(u8::is_ascii_digit).count();
    if end == 0 || end > 4 {
        return None;
    }
    let n = s[..end]
        .bytes()
        .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'));
    Some((n, &s[end..]))
}

/// Full-width ASCII variants (U+FF01–U+FF5E) to ASCII.
fn fold_width(c: char) -> char {
    match c as u32 {
        cp @ 0xFF01..=0xFF5E => char::from_u32(cp - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

impl fmt::Display for Wareki {
    /// `令和元年5月1日`, `平成31年4月30日`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.era.label())?;
        match self.year() {
            1 => f.write_str("元")?,
            year => write!(f, "{year}")?,
        }
        write!(f, "年{}月{}日", self.month(), self.day())
    }
}

impl FromStr for Wareki {
    type Err = WarekiError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl From<Wareki> for GregorianDate {
    fn from(w: Wareki) -> Self {
        w.to_gregorian()
    }
}

/// `yyyyMMdd` → `令和元年5月1日`.
///
/// ```
/// use myna_core::wareki::to_wareki;
/// assert_eq!(to_wareki("20190501").unwrap(), "令和元年5月1日");
/// assert_eq!(to_wareki("20190430").unwrap(), "平成31年4月30日");
/// assert_eq!(to_wareki("19890107").unwrap(), "昭和64年1月7日");
/// ```
pub fn to_wareki(yyyymmdd: &str) -> Result<String, WarekiError> {
    Ok(Wareki::from_gregorian(GregorianDate::parse_yyyymmdd(yyyymmdd)?)?.to_string())
}

/// A 和暦 string (see [`Wareki::parse`]) → `yyyyMMdd`.
pub fn from_wareki(wareki: &str) -> Result<String, WarekiError> {
    Ok(Wareki::parse(wareki)?.to_gregorian().to_yyyymmdd())
}
