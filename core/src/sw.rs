//! Status words (SW1 SW2) and what they mean on the My Number Card (ISO 7816-4 §5.1.3).

/// A status word: the last two bytes of every response APDU.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusWord(pub u16);

impl StatusWord {
    /// `9000`: normal processing.
    pub const OK: StatusWord = StatusWord(0x9000);
    /// `6282`: end of file reached before `Le` bytes (some cards, past the end).
    pub const END_OF_FILE: StatusWord = StatusWord(0x6282);
    /// `6700`: wrong length.
    pub const WRONG_LENGTH: StatusWord = StatusWord(0x6700);
    /// `6982`: security status not satisfied (the PIN was not verified).
    pub const SECURITY_STATUS_NOT_SATISFIED: StatusWord = StatusWord(0x6982);
    /// `6983`: authentication method blocked.
    pub const AUTH_METHOD_BLOCKED: StatusWord = StatusWord(0x6983);
    /// `6984`: reference data not usable (the PIN is blocked).
    pub const REFERENCE_DATA_NOT_USABLE: StatusWord = StatusWord(0x6984);
    /// `6985`: conditions of use not satisfied.
    pub const CONDITIONS_NOT_SATISFIED: StatusWord = StatusWord(0x6985);
    /// `6986`: command not allowed (no current EF).
    pub const COMMAND_NOT_ALLOWED: StatusWord = StatusWord(0x6986);
    /// `6A80`: incorrect parameters in the data field.
    pub const WRONG_DATA: StatusWord = StatusWord(0x6A80);
    /// `6A81`: function not supported.
    pub const FUNCTION_NOT_SUPPORTED: StatusWord = StatusWord(0x6A81);
    /// `6A82`: file or application not found.
    pub const FILE_NOT_FOUND: StatusWord = StatusWord(0x6A82);
    /// `6A86`: incorrect P1-P2.
    pub const INCORRECT_P1_P2: StatusWord = StatusWord(0x6A86);
    /// `6B00`: wrong parameters P1-P2 (for READ BINARY: offset outside the EF).
    pub const WRONG_P1_P2: StatusWord = StatusWord(0x6B00);
    /// `6D00`: instruction not supported.
    pub const INS_NOT_SUPPORTED: StatusWord = StatusWord(0x6D00);
    /// `6E00`: class not supported.
    pub const CLA_NOT_SUPPORTED: StatusWord = StatusWord(0x6E00);
    /// `6F00`: no precise diagnosis.
    pub const NO_PRECISE_DIAGNOSIS: StatusWord = StatusWord(0x6F00);

    /// Builds a status word from SW1 and SW2.
    pub const fn new(sw1: u8, sw2: u8) -> Self {
        StatusWord(((sw1 as u16) << 8) | sw2 as u16)
    }

    /// SW1.
    pub const fn sw1(self) -> u8 {
        (self.0 >> 8) as u8
    }

    /// SW2.
    pub const fn sw2(self) -> u8 {
        self.0 as u8
    }

    /// The two bytes as sent on the wire.
    pub const fn to_bytes(self) -> [u8; 2] {
        self.0.to_be_bytes()
    }

    /// `63Cx` with `x` tries left.
    pub const fn verify_failed(remaining: u8) -> Self {
        StatusWord(0x63C0 | (remaining as u16 & 0x0F))
    }

    /// `61xx` announcing `xx` more bytes (`00` meaning 256).
    pub const fn bytes_available(count: u8) -> Self {
        StatusWord(0x6100 | count as u16)
    }

    /// `6Cxx`: wrong `Le`, resend with `Le = xx`.
    pub const fn wrong_le(exact: u8) -> Self {
        StatusWord(0x6C00 | exact as u16)
    }

    /// The classified meaning of this status word.
    pub const fn status(self) -> Status {
        match self.sw1() {
            0x90 if self.sw2() == 0 => Status::Success,
            0x61 => Status::BytesAvailable(if self.sw2() == 0 {
                256
            } else {
                self.sw2() as u16
            }),
            0x6C => Status::WrongLe(if self.sw2() == 0 {
                256
            } else {
                self.sw2() as u16
            }),
            0x63 if self.sw2() & 0xF0 == 0xC0 => Status::VerifyFailed {
                remaining: self.sw2() & 0x0F,
            },
            _ => match self.0 {
                0x6282 => Status::EndOfFile,
                0x6700 => Status::WrongLength,
                0x6982 => Status::SecurityStatusNotSatisfied,
                0x6983 => Status::AuthMethodBlocked,
                0x6984 => Status::ReferenceDataNotUsable,
                0x6985 => Status::ConditionsNotSatisfied,
                0x6986 => Status::CommandNotAllowed,
                0x6A80 => Status::WrongData,
                0x6A81 => Status::FunctionNotSupported,
                0x6A82 => Status::FileNotFound,
                0x6A86 => Status::IncorrectP1P2,
                0x6B00 => Status::WrongP1P2,
                0x6D00 => Status::InsNotSupported,
                0x6E00 => Status::ClaNotSupported,
                _ => Status::Other,
            },
        }
    }

    /// `true` for `9000`.
    pub const fn is_success(self) -> bool {
        self.0 == 0x9000
    }

    /// A short English description, for logs and error messages.
    pub const fn meaning(self) -> &'static str {
        match self.status() {
            Status::Success => "success",
            Status::BytesAvailable(_) => "more response bytes available (GET RESPONSE)",
            Status::WrongLe(_) => "wrong Le; resend with the exact length",
            Status::VerifyFailed { .. } => "verification failed; tries left in SW2",
            Status::EndOfFile => "end of file reached before Le bytes",
            Status::WrongLength => "wrong length",
            Status::SecurityStatusNotSatisfied => {
                "security status not satisfied (PIN not verified)"
            }
            Status::AuthMethodBlocked => "authentication method blocked",
            Status::ReferenceDataNotUsable => "reference data not usable (PIN blocked)",
            Status::ConditionsNotSatisfied => "conditions of use not satisfied",
            Status::CommandNotAllowed => "command not allowed (no current EF)",
            Status::WrongData => "incorrect data field",
            Status::FunctionNotSupported => "function not supported",
            Status::FileNotFound => "file or application not found",
            Status::IncorrectP1P2 => "incorrect P1-P2",
            Status::WrongP1P2 => "wrong P1-P2 (offset outside the file)",
            Status::InsNotSupported => "instruction not supported",
            Status::ClaNotSupported => "class not supported",
            Status::Other => "unexpected status",
        }
    }
}

impl core::fmt::Debug for StatusWord {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "StatusWord({:04X})", self.0)
    }
}

impl core::fmt::Display for StatusWord {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:04X} ({})", self.0, self.meaning())
    }
}

/// The classified meaning of a [`StatusWord`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Status {
    /// `9000`.
    Success,
    /// `61xx`: this many bytes wait for `GET RESPONSE` (1–256).
    BytesAvailable(u16),
    /// `6Cxx`: resend the command with exactly this `Le` (1–256).
    WrongLe(u16),
    /// `63Cx`: `VERIFY` failed, or (with no data) reports, `remaining` tries left.
    VerifyFailed {
        /// Tries left (0 means this try exhausted the counter).
        remaining: u8,
    },
    /// `6282`.
    EndOfFile,
    /// `6700`.
    WrongLength,
    /// `6982`.
    SecurityStatusNotSatisfied,
    /// `6983`.
    AuthMethodBlocked,
    /// `6984`.
    ReferenceDataNotUsable,
    /// `6985`.
    ConditionsNotSatisfied,
    /// `6986`.
    CommandNotAllowed,
    /// `6A80`.
    WrongData,
    /// `6A81`.
    FunctionNotSupported,
    /// `6A82`.
    FileNotFound,
    /// `6A86`.
    IncorrectP1P2,
    /// `6B00`.
    WrongP1P2,
    /// `6D00`.
    InsNotSupported,
    /// `6E00`.
    ClaNotSupported,
    /// Anything else.
    Other,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_every_status_the_card_uses() {
        let cases = [
            (0x9000, Status::Success),
            (0x6110, Status::BytesAvailable(16)),
            (0x6100, Status::BytesAvailable(256)),
            (0x6C20, Status::WrongLe(32)),
            (0x6C00, Status::WrongLe(256)),
            (0x63C2, Status::VerifyFailed { remaining: 2 }),
            (0x63C0, Status::VerifyFailed { remaining: 0 }),
            (0x6282, Status::EndOfFile),
            (0x6700, Status::WrongLength),
            (0x6982, Status::SecurityStatusNotSatisfied),
            (0x6983, Status::AuthMethodBlocked),
            (0x6984, Status::ReferenceDataNotUsable),
            (0x6985, Status::ConditionsNotSatisfied),
            (0x6986, Status::CommandNotAllowed),
            (0x6A80, Status::WrongData),
            (0x6A81, Status::FunctionNotSupported),
            (0x6A82, Status::FileNotFound),
            (0x6A86, Status::IncorrectP1P2),
            (0x6B00, Status::WrongP1P2),
            (0x6D00, Status::InsNotSupported),
            (0x6E00, Status::ClaNotSupported),
            (0x6F00, Status::Other),
            (0x6310, Status::Other),
        ];
        for (raw, status) in cases {
            assert_eq!(StatusWord(raw).status(), status, "{raw:04X}");
            assert!(!StatusWord(raw).meaning().is_empty());
        }
    }

    #[test]
    fn constructors_round_trip() {
        assert_eq!(StatusWord::new(0x63, 0xC1), StatusWord::verify_failed(1));
        assert_eq!(
            StatusWord::bytes_available(0).status(),
            Status::BytesAvailable(256)
        );
        assert_eq!(StatusWord::wrong_le(5).to_bytes(), [0x6C, 0x05]);
        assert_eq!(StatusWord::OK.to_string(), "9000 (success)");
        assert!(StatusWord::OK.is_success());
        assert!(!StatusWord::FILE_NOT_FOUND.is_success());
    }
}
