//! The virtual card's APDU log: every command it answered, for tests to assert on.
//!
//! PIN-bearing commands (`VERIFY`, `CHANGE REFERENCE DATA`) are stored as their header only,
//! with the length of the data that was removed: the log never holds a PIN.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use myna_core::sw::StatusWord;

/// `VERIFY`: its data is a PIN.
const INS_VERIFY: u8 = 0x20;
/// `CHANGE REFERENCE DATA`: its data is a PIN.
const INS_CHANGE_REFERENCE_DATA: u8 = 0x24;

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
            .is_some_and(|&ins| ins == INS_VERIFY || ins == INS_CHANGE_REFERENCE_DATA);
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
            [0x00, 0xA4, 0x04, _, lc, rest @ ..] => {
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

/// A shared, append-only list of [`LogEntry`]s. Clones share the same list.
#[derive(Clone, Default)]
pub struct ApduLog {
    entries: Arc<Mutex<Vec<LogEntry>>>,
}

impl core::fmt::Debug for ApduLog {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.lock().iter()).finish()
    }
}

impl ApduLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<LogEntry>> {
        // A panic while holding the lock cannot leave a Vec half-pushed; keep going.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn push(&self, entry: LogEntry) {
        self.lock().push(entry);
    }

    /// A copy of every entry so far, oldest first.
    pub fn entries(&self) -> Vec<LogEntry> {
        self.lock().clone()
    }

    /// The newest entry.
    pub fn last(&self) -> Option<LogEntry> {
        self.lock().last().cloned()
    }

    /// How many commands were logged.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing was logged.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Forgets every entry.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Whether any command selected the application `aid` (also by prefix) or was answered
    /// while it was current.
    pub fn touched_application(&self, aid: &[u8]) -> bool {
        self.lock()
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
        let verify = [0x00, 0x20, 0x00, 0x80, 0x04, b'1', b'2', b'3', b'4'];
        log.push(LogEntry::new(
            &verify,
            StatusWord::OK,
            0,
            None,
            Duration::ZERO,
        ));
        let change = [0x00, 0x24, 0x01, 0x80, 0x04, b'9', b'8', b'7', b'6'];
        log.push(LogEntry::new(
            &change,
            StatusWord::OK,
            0,
            None,
            Duration::ZERO,
        ));
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
        log.push(LogEntry::new(
            &verify[..4],
            StatusWord(0x63C3),
            0,
            None,
            Duration::ZERO,
        ));
        assert_eq!(log.entries()[2].redacted_len, None);
        assert_eq!(log.len(), 3);
        log.clear();
        assert!(log.is_empty());
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
