//! The 利用者証明用電子証明書's validity as the national system applies it to 資格情報.
//!
//! An expired user-authentication certificate does not end the マイナ保険証 at once: the
//! national system keeps answering 資格情報 until the **end of the third month after the month
//! the certificate expired** (other services, such as drug information, stop at once), so the
//! patient has time to renew it at their municipality. After that the refusal (`MW0008`)
//! stays. From three months before the expiry the answer carries a notice too.
//!
//! | now (JST) | answer |
//! |---|---|
//! | more than 3 months before the last valid day | 資格情報 |
//! | within 3 months of the last valid day | 資格情報 + notice "expires on …, renew" |
//! | after `notAfter`, up to the last day of the 3rd month after the month of expiry | 資格情報 + notice "expired on …, 資格情報 until …, renew now" |
//! | from the first day after that | `MW0008` |
//!
//! Days are Japan days (JST): a certificate whose `notAfter` is 2024-03-31 23:59:59 JST expired
//! in March and is answered until 2024-06-30 23:59:59 JST. In the grace period the chain is
//! verified as of `notAfter` (the last second the certificate was valid): signature, issuer,
//! profile and revocation are checked as for a valid one; only the date is forgiven. The
//! signature over the service's fresh nonce still proves the card is present now.
//!
//! This module is the date arithmetic only (kept apart from the chain and revocation checks in
//! [`crate::verify`]); it reads no clock: callers pass the service's [`crate::clock::Clock`].

use time::{Date, Month, OffsetDateTime, Time};

use crate::clock::JST;

/// How far ahead of the expiry the answer carries a notice.
pub const NOTICE_MONTHS: u8 = 3;
/// How many months after the month of expiry 資格情報 are still given.
pub const GRACE_MONTHS: u8 = 3;

/// Where a certificate stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Valid, the expiry more than [`NOTICE_MONTHS`] away.
    Valid,
    /// Valid, expiring within [`NOTICE_MONTHS`]: its last valid day (JST).
    ExpiringSoon {
        /// The last day it is valid.
        last_day: Date,
    },
    /// Expired, but 資格情報 are still given until `grace_last_day` (JST, inclusive).
    InGrace {
        /// The last day it was valid.
        last_day: Date,
        /// The last day 資格情報 are given.
        grace_last_day: Date,
    },
    /// Expired and past the grace period: refused.
    Lapsed,
}

/// `date` plus `months` calendar months, the day clamped to the target month's length
/// (31 Nov → 30 Nov).
pub fn add_months(date: Date, months: u8) -> Date {
    let zero_based = u32::from(u8::from(date.month())) - 1 + u32::from(months);
    let year = date.year() + (zero_based / 12) as i32;
    let month = Month::try_from((zero_based % 12) as u8 + 1).unwrap_or(Month::December);
    let day = date.day().min(month.length(year));
    Date::from_calendar_date(year, month, day).unwrap_or(Date::MAX)
}

/// The last day of the [`GRACE_MONTHS`]th month after the month of `last_day`.
pub fn grace_last_day(last_day: Date) -> Date {
    let first = last_day.replace_day(1).unwrap_or(last_day);
    let month = add_months(first, GRACE_MONTHS);
    let length = month.month().length(month.year());
    month.replace_day(length).unwrap_or(month)
}

/// Where a certificate valid until `not_after` stands at `now`.
pub fn standing(not_after: OffsetDateTime, now: OffsetDateTime) -> Standing {
    let last_day = not_after.to_offset(JST).date();
    let today = now.to_offset(JST).date();
    if now <= not_after {
        if last_day < add_months(today, NOTICE_MONTHS) {
            Standing::ExpiringSoon { last_day }
        } else {
            Standing::Valid
        }
    } else {
        let grace_last_day = grace_last_day(last_day);
        if today <= grace_last_day {
            Standing::InGrace {
                last_day,
                grace_last_day,
            }
        } else {
            Standing::Lapsed
        }
    }
}

/// The instant to verify the chain at: `now`, or `not_after` while in the grace period.
pub fn verification_time(not_after: OffsetDateTime, now: OffsetDateTime) -> Option<OffsetDateTime> {
    match standing(not_after, now) {
        Standing::InGrace { .. } => Some(not_after),
        Standing::Lapsed => None,
        _ => Some(now),
    }
}

fn japanese(date: Date) -> String {
    format!(
        "{}年{}月{}日",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// The `ProcessingResultMessage` for a certificate valid until `not_after`, at `now`.
pub fn notice(not_after: OffsetDateTime, now: OffsetDateTime) -> Option<String> {
    match standing(not_after, now) {
        Standing::ExpiringSoon { last_day } => Some(format!(
            "利用者証明用電子証明書の有効期限が近づいています（{}まで）。お住まいの市区町村の窓口で更新してください。",
            japanese(last_day)
        )),
        Standing::InGrace {
            last_day,
            grace_last_day,
        } => Some(format!(
            "利用者証明用電子証明書の有効期限（{}）が過ぎています。{}までは資格情報を確認できますが、それ以降は確認できなくなります。お住まいの市区町村の窓口で至急更新してください。",
            japanese(last_day),
            japanese(grace_last_day)
        )),
        Standing::Valid | Standing::Lapsed => None,
    }
}

/// The first instant (JST midnight) after the grace period of a certificate valid until
/// `not_after` (for tests and docs).
pub fn grace_ends_at(not_after: OffsetDateTime) -> OffsetDateTime {
    let last = grace_last_day(not_after.to_offset(JST).date());
    last.next_day()
        .unwrap_or(last)
        .with_time(Time::MIDNIGHT)
        .assume_offset(JST)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn months_add_with_clamping() {
        assert_eq!(add_months(date!(2026 - 11 - 30), 3), date!(2027 - 02 - 28));
        assert_eq!(add_months(date!(2026 - 01 - 31), 1), date!(2026 - 02 - 28));
        assert_eq!(add_months(date!(2026 - 10 - 15), 3), date!(2027 - 01 - 15));
    }

    #[test]
    fn the_grace_period_ends_with_the_third_month_after_the_month_of_expiry() {
        assert_eq!(grace_last_day(date!(2024 - 03 - 31)), date!(2024 - 06 - 30));
        assert_eq!(grace_last_day(date!(2024 - 03 - 01)), date!(2024 - 06 - 30));
        assert_eq!(grace_last_day(date!(2024 - 11 - 15)), date!(2025 - 02 - 28));
        assert_eq!(grace_last_day(date!(2023 - 11 - 15)), date!(2024 - 02 - 29));
        assert_eq!(grace_last_day(date!(2024 - 10 - 31)), date!(2025 - 01 - 31));
    }

    #[test]
    fn standing_at_the_boundaries() {
        let not_after = datetime!(2024-03-31 14:59:59 UTC); // 23:59:59 JST
        assert_eq!(
            standing(not_after, datetime!(2023-12-30 15:00 UTC)),
            Standing::Valid
        );
        assert!(matches!(
            standing(not_after, datetime!(2024-03-31 14:59:59 UTC)),
            Standing::ExpiringSoon { .. }
        ));
        assert!(matches!(
            standing(not_after, datetime!(2024-03-31 15:00 UTC)),
            Standing::InGrace { .. }
        ));
        // 2024-06-30 23:59:59 JST: the last second of the grace period.
        assert!(matches!(
            standing(not_after, datetime!(2024-06-30 14:59:59 UTC)),
            Standing::InGrace { .. }
        ));
        assert_eq!(
            standing(not_after, datetime!(2024-06-30 15:00 UTC)),
            Standing::Lapsed
        );
        assert_eq!(grace_ends_at(not_after), datetime!(2024-06-30 15:00 UTC));
    }

    #[test]
    fn the_notice_covers_the_three_months_before_and_the_grace_after() {
        let not_after = datetime!(2030-01-13 15:00 UTC); // 2030-01-14 00:00 JST
        assert!(notice(not_after, datetime!(2029-10-13 15:00 UTC)).is_none());
        let before = notice(not_after, datetime!(2029-10-14 15:00 UTC)).unwrap();
        assert!(before.contains("2030年1月14日まで"), "{before}");
        let after = notice(not_after, datetime!(2030-01-14 15:00 UTC)).unwrap();
        assert!(
            after.contains("2030年4月30日までは資格情報を確認できます"),
            "{after}"
        );
        assert!(notice(not_after, datetime!(2030-04-30 15:00 UTC)).is_none());
    }
}
