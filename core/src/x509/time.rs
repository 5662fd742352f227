//! Times as this module hands them out: unix seconds (`i64`), shown as ISO 8601 UTC. The
//! calendar arithmetic is `der`'s ([`der::DateTime`]), the same that decodes the
//! certificates' UTCTime and GeneralizedTime.

use core::time::Duration;

use der::DateTime;
use x509_cert::time::Time;

/// A certificate's or CRL's time as unix seconds.
pub(super) fn unix_seconds(time: &Time) -> i64 {
    duration_seconds(time.to_unix_duration())
}

/// A time since 1970 (a decoded UTCTime's or GeneralizedTime's) as unix seconds.
pub(super) fn duration_seconds(since_1970: Duration) -> i64 {
    // DateTime covers 1970..=9999, so the seconds always fit.
    i64::try_from(since_1970.as_secs()).unwrap_or(i64::MAX)
}

/// Formats unix seconds as ISO 8601 UTC, `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian).
///
/// Every time read from a certificate or CRL lies in the range `der`'s [`DateTime`] covers,
/// 1970-01-01T00:00:00Z through 9999-12-31T23:59:59Z. A time outside it (only a caller can
/// pass one) is written as `@` and the seconds, as `date -d @…` takes them (`@-1`).
pub fn iso8601_utc(unix: i64) -> String {
    u64::try_from(unix)
        .ok()
        .and_then(|secs| DateTime::from_unix_duration(Duration::from_secs(secs)).ok())
        .map_or_else(|| format!("@{unix}"), |time| time.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_known_dates() {
        assert_eq!(iso8601_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601_utc(1_743_465_600), "2025-04-01T00:00:00Z");
        assert_eq!(iso8601_utc(2_524_607_999), "2049-12-31T23:59:59Z");
        assert_eq!(iso8601_utc(253_402_300_799), "9999-12-31T23:59:59Z");
    }

    /// Behaviour change of issue 15 (the hand-written civil-from-days gave way to `der`'s
    /// DateTime): before 1970 and after 9999 the time used to be extrapolated
    /// (`1969-12-31T23:59:59Z`, `10000-01-01T00:00:00Z`); no certificate or CRL can carry
    /// such a time, and it is now written as its seconds.
    #[test]
    fn iso8601_outside_the_der_range_is_written_as_seconds() {
        assert_eq!(iso8601_utc(-1), "@-1");
        assert_eq!(iso8601_utc(253_402_300_800), "@253402300800");
        assert_eq!(iso8601_utc(i64::MIN), format!("@{}", i64::MIN));
        assert_eq!(iso8601_utc(i64::MAX), format!("@{}", i64::MAX));
    }
}
