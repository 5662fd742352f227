//! The service's only source of time, injected so tests can move it.
//!
//! Every expiry (challenges), every validity check (certificates at "now") and every
//! timestamp written (audit, `ProcessExecutionTime`) reads [`Clock::now`]. Production uses
//! [`SystemClock`]; tests use [`ManualClock`] and step it past a nonce's five minutes or a
//! certificate's `notAfter` without sleeping.

use std::sync::Mutex;

use time::{Duration, OffsetDateTime, UtcOffset};

/// Japan Standard Time (UTC+9, no daylight saving): the zone of every date the service
/// writes into an `XmlMsg` (`ProcessExecutionTime`, `QualificationConfirmationDate`).
pub const JST: UtcOffset = match UtcOffset::from_hms(9, 0, 0) {
    Ok(offset) => offset,
    Err(_) => panic!("+09:00 is a valid offset"),
};

/// A source of the current instant.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> OffsetDateTime;
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that stands still until told to move (for tests and reproducible demos).
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<OffsetDateTime>,
}

impl ManualClock {
    /// A clock showing `start`.
    pub fn new(start: OffsetDateTime) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += by;
    }

    /// Sets the clock to `instant`.
    pub fn set(&self, instant: OffsetDateTime) {
        *self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = instant;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(datetime!(2026-04-01 00:00 UTC));
        assert_eq!(clock.now(), datetime!(2026-04-01 00:00 UTC));
        clock.advance(Duration::minutes(5));
        assert_eq!(clock.now(), datetime!(2026-04-01 00:05 UTC));
        clock.set(datetime!(2030-01-01 00:00 UTC));
        assert_eq!(clock.now(), datetime!(2030-01-01 00:00 UTC));
    }

    #[test]
    fn jst_is_nine_hours_ahead() {
        let utc = datetime!(2026-03-31 15:30 UTC);
        assert_eq!(
            utc.to_offset(JST).date(),
            time::macros::date!(2026 - 04 - 01)
        );
    }
}
