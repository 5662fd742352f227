//! PIN objects: the internal EFs `VERIFY` checks, with their format and try counter.

use zeroize::Zeroizing;

use crate::CardBuildError;

/// The format a PIN object accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PinFormat {
    /// Exactly this many ASCII digits.
    Digits(usize),
    /// 6–16 upper-case letters and digits (署名用パスワード).
    SignPassword,
}

impl PinFormat {
    pub(crate) fn accepts(self, value: &[u8]) -> bool {
        match self {
            PinFormat::Digits(n) => value.len() == n && value.iter().all(u8::is_ascii_digit),
            PinFormat::SignPassword => {
                (6..=16).contains(&value.len())
                    && value
                        .iter()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            }
        }
    }

    pub(crate) fn describe(self) -> &'static str {
        match self {
            PinFormat::Digits(_) => "ASCII digits of the profile's PIN length",
            PinFormat::SignPassword => "6–16 upper-case letters and digits",
        }
    }
}

/// A PIN object (an internal EF that VERIFY checks).
pub(crate) struct PinObject {
    pub(crate) value: Option<Zeroizing<Vec<u8>>>,
    pub(crate) remaining: u8,
    pub(crate) max: u8,
    pub(crate) format: PinFormat,
}

impl PinObject {
    pub(crate) fn new(
        which: &'static str,
        value: Option<&Zeroizing<String>>,
        remaining: u8,
        max: u8,
        format: PinFormat,
    ) -> Result<Self, CardBuildError> {
        if let Some(v) = value
            && !format.accepts(v.as_bytes())
        {
            return Err(CardBuildError::InvalidPin {
                which,
                expected: format.describe(),
            });
        }
        if remaining > max {
            return Err(CardBuildError::TooManyTries {
                which,
                remaining,
                max,
            });
        }
        Ok(PinObject {
            value: value.map(|v| Zeroizing::new(v.as_bytes().to_vec())),
            remaining,
            max,
            format,
        })
    }

    /// Compares without an early exit on the first differing byte.
    pub(crate) fn matches(&self, candidate: &[u8]) -> bool {
        let Some(value) = &self.value else {
            return false;
        };
        let mut diff = u8::from(value.len() != candidate.len());
        for (i, b) in value.iter().enumerate() {
            diff |= b ^ candidate.get(i).copied().unwrap_or(0);
        }
        diff == 0
    }
}
