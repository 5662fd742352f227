//! The virtual card's APDU log: the commands it answered, for tests to assert on.
//!
//! Bounded: the log keeps the newest [`ApduLog::CAPACITY`] entries (a ring) and counters over
//! everything since the last [`ApduLog::clear`] — how many commands, and which applications
//! were ever current. The demo's `--simulate` bridge runs for weeks; an unbounded log grew
//! ~1.8 KiB per check (issue 11). Tests clear the log and then look at a few hundred commands
//! at most, far inside the ring.
//!
//! PIN-bearing commands (`VERIFY`, `CHANGE REFERENCE DATA`) are stored as their header only,
//! with the length of the data that was removed: the log never holds a PIN.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use myna_core::profile::{cla, ins, select};
use myna_core::sw::StatusWord;

/// One command the card answered.
#[derive(Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// The command bytes as received, except for PIN-bearing commands, of which only the
    /// first four bytes (CLA INS P1 P2) are kept.
    pub command: Vec<u8>,
    /// For a PIN-bearing command: how many bytes after the header were dropped.
    pub redacted_len: Option<usize>,
    /// The status word the card answered.
    pub sw: StatusWord,
    /// How many response data bytes came before the status word.
    pub response_len: usize,
    /// The AID of the application current after the command (`None`: no application).
    pub application: Option<&'static [u8]>,
    /// When the command was answered.
    pub at: Instant,
    /// The delay the card's timing model asked for this command.
    pub delay: Duration,
}

impl LogEntry {
    /// Builds an entry, redacting PIN data.
    pub(crate) fn new(
        command: &[u8],
        sw: StatusWord,
        response_len: usize,
        application: Option<&'static [u8]>,
        delay: Duration,
    ) -> Self {
        let pin_bearing = command
            .get(1)
            .is_some_and(|&i| i == ins::VERIFY || i == ins::CHANGE_REFERENCE_DATA);
        let (command, redacted_len) = if pin_bearing && command.len() > 4 {
            (command[..4].to_vec(), Some(command.len() - 4))
        } else {
            (command.to_vec(), None)
        };
        LogEntry {
            command,
            redacted_len,
            sw,
            response_len,
            application,
            at: Instant::now(),
            delay,
        }
    }

    /// CLA, if the command had one.
    pub fn cla(&self) -> Option<u8> {
        self.command.first().copied()
    }

    /// INS, if the command had one.
    pub fn ins(&self) -> Option<u8> {
        self.command.get(1).copied()
    }

    /// Whether this is a `SELECT` by DF name (`00 A4 04 ..`) whose data is `aid` or a prefix
    /// of it (the card selects by prefix, so a prefix reaches the same application).
    pub fn selects_application(&self, aid: &[u8]) -> bool {
        match self.command.as_slice() {
            [cla::ISO, ins::SELECT, select::P1_DF_NAME, _, lc, rest @ ..] => {
                let lc = *lc as usize;
                lc > 0 && rest.len() >= lc && aid.starts_with(&rest[..lc])
            }
            _ => false,
        }
    }
}

impl core::fmt::Debug for LogEntry {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for b in &self.command {
            write!(f, "{b:02X}")?;
        }
        if let Some(n) = self.redacted_len {
            write!(f, " <{n} bytes redacted>")?;
        }
        write!(f, " -> {} data bytes, {:04X}", self.response_len, self.sw.0)
    }
}

/// The newest [`LogEntry`]s and counters over all of them. Clones share the same log.
#[derive(Clone, Default)]
pub struct ApduLog {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Default)]
struct Inner {
    /// The newest entries, oldest first, at most [`ApduLog::CAPACITY`].
    ring: VecDeque<LogEntry>,
    /// Commands logged since the last clear (also those that left the ring).
    total: usize,
    /// Applications current after any command since the last clear. The card's AIDs are
    /// `'static` entries of its own table, so this holds a handful at most.
    current_ever: Vec<&'static [u8]>,
}

impl core::fmt::Debug for ApduLog {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.lock().ring.iter()).finish()
    }
}

impl ApduLog {
    /// How many of the newest entries are kept.
    pub const CAPACITY: usize = 1024;

    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the ring half-pushed; keep going.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn push(&self, entry: LogEntry) {
        let mut inner = self.lock();
        if let Some(aid) = entry.application
            && !inner.current_ever.contains(&aid)
        {
            inner.current_ever.push(aid);
        }
        if inner.ring.len() == Self::CAPACITY {
            inner.ring.pop_front();
        }
        inner.ring.push_back(entry);
        inner.total += 1;
    }

    /// A copy of the kept entries (the newest [`Self::CAPACITY`]), oldest first.
    pub fn entries(&self) -> Vec<LogEntry> {
        self.lock().ring.iter().cloned().collect()
    }

    /// The newest entry.
    pub fn last(&self) -> Option<LogEntry> {
        self.lock().ring.back().cloned()
    }

    /// How many commands were logged since the last clear (kept or not).
    pub fn len(&self) -> usize {
        self.lock().total
    }

    /// How many logged commands are no longer kept.
    pub fn dropped(&self) -> usize {
        let inner = self.lock();
        inner.total - inner.ring.len()
    }

    /// Whether nothing was logged.
    pub fn is_empty(&self) -> bool {
        self.lock().total == 0
    }

    /// Forgets every entry and resets the counters.
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.ring.clear();
        inner.total = 0;
        inner.current_ever.clear();
    }

    /// Whether any command since the last clear was answered while the application `aid`
    /// was current, or (among the kept entries) selected it, also by prefix. A SELECT that
    /// the card refused and that left the ring is the one thing this forgets: it reached
    /// nothing.
    pub fn touched_application(&self, aid: &[u8]) -> bool {
        let inner = self.lock();
        inner.current_ever.contains(&aid)
            || inner
                .ring
                .iter()
                .any(|e| e.selects_application(aid) || e.application == Some(aid))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_data_never_reaches_the_log() {
        let log = ApduLog::new();
        let push = |command: &[u8], sw| {
            log.push(LogEntry::new(command, sw, 0, None, Duration::ZERO));
        };
        let verify = [0x00, 0x20, 0x00, 0x80, 0x04, b'1', b'2', b'3', b'4'];
        push(&verify, StatusWord::OK);
        let change = [0x00, 0x24, 0x01, 0x80, 0x04, b'9', b'8', b'7', b'6'];
        push(&change, StatusWord::OK);
        let entries = log.entries();
        assert_eq!(entries[0].command, [0x00, 0x20, 0x00, 0x80]);
        assert_eq!(entries[0].redacted_len, Some(5));
        assert_eq!(entries[1].command, [0x00, 0x24, 0x01, 0x80]);
        let text = format!("{log:?}");
        assert!(
            !text.contains("31323334") && !text.contains("1234"),
            "{text}"
        );
        // A status query has nothing to redact.
        push(&verify[..4], StatusWord(0x63C3));
        assert_eq!(log.entries()[2].redacted_len, None);
        assert_eq!(log.len(), 3);
        log.clear();
        assert!(log.is_empty());
    }

    /// Issue 11 item 7: the log kept every entry for ever.
    #[test]
    fn issue_11_the_log_keeps_a_bounded_ring_and_counts_everything() {
        const AID: &[u8] = &[0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];
        let log = ApduLog::new();
        log.push(LogEntry::new(
            &[0x00, 0xA4, 0x04, 0x0C],
            StatusWord::OK,
            0,
            Some(AID),
            Duration::ZERO,
        ));
        let read = [0x00, 0xB0, 0x00, 0x00, 0x00];
        for _ in 0..3 * ApduLog::CAPACITY {
            log.push(LogEntry::new(
                &read,
                StatusWord::OK,
                4,
                None,
                Duration::ZERO,
            ));
        }
        assert_eq!(log.entries().len(), ApduLog::CAPACITY);
        assert_eq!(log.len(), 3 * ApduLog::CAPACITY + 1);
        assert_eq!(log.dropped(), 2 * ApduLog::CAPACITY + 1);
        // The application that was current long ago is still known to have been touched.
        assert!(log.touched_application(AID));
        assert!(!log.touched_application(&[0xD3, 0x92, 0x10]));
        log.clear();
        assert!(log.is_empty() && log.entries().is_empty() && !log.touched_application(AID));
    }

    #[test]
    fn recognises_selects_by_prefix() {
        let aid = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08];
        let mut full = vec![0x00, 0xA4, 0x04, 0x0C, 0x0A];
        full.extend_from_slice(&aid);
        let e = LogEntry::new(&full, StatusWord::OK, 0, Some(&[]), Duration::ZERO);
        assert!(e.selects_application(&aid));
        let prefix = [0x00, 0xA4, 0x04, 0x0C, 0x03, 0xD3, 0x92, 0x10];
        let e = LogEntry::new(&prefix, StatusWord::OK, 0, None, Duration::ZERO);
        assert!(e.selects_application(&aid));
        let other = [0x00, 0xA4, 0x04, 0x0C, 0x02, 0xD3, 0x93];
        let e = LogEntry::new(&other, StatusWord::OK, 0, None, Duration::ZERO);
        assert!(!e.selects_application(&aid));
        let ef = [0x00, 0xA4, 0x02, 0x0C, 0x02, 0xD3, 0x92];
        let e = LogEntry::new(&ef, StatusWord::OK, 0, None, Duration::ZERO);
        assert!(!e.selects_application(&aid));
    }
}
