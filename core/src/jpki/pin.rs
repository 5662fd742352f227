//! The auth PIN: its value type, its state, and the `VERIFY` operations.

use zeroize::Zeroizing;

use super::{JpkiError, Operation, exchange, select_ef, unexpected};
use crate::apdu::Command;
use crate::profile::MY_NUMBER_CARD;
use crate::sw::Status;
use crate::transport::Transport;

/// Why a string is not a valid PIN. Never contains the PIN itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PinError {
    /// The PIN has the wrong number of characters.
    #[error("the PIN must be {expected} digits; {actual} characters were given")]
    WrongLength {
        /// The number of digits required.
        expected: usize,
        /// The number of characters given.
        actual: usize,
    },
    /// The PIN contains something other than the ASCII digits `0`–`9` (full-width digits
    /// included).
    #[error("the PIN must contain only the digits 0-9")]
    NotDigits,
}

/// A PIN, held in a buffer zeroized on drop. Neither `Debug` nor anything else shows it.
pub struct Pin {
    digits: Zeroizing<Vec<u8>>,
}

impl Pin {
    /// The auth PIN (利用者証明用暗証番号): exactly
    /// [`crate::profile::CardProfile::auth_pin_length`] (4) ASCII digits.
    pub fn auth(digits: &str) -> Result<Self, PinError> {
        let expected = MY_NUMBER_CARD.auth_pin_length;
        let actual = digits.chars().count();
        if actual != expected {
            return Err(PinError::WrongLength { expected, actual });
        }
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PinError::NotDigits);
        }
        let mut buffer = Zeroizing::new(Vec::with_capacity(expected));
        buffer.extend_from_slice(digits.as_bytes());
        Ok(Pin { digits: buffer })
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.digits
    }
}

impl core::fmt::Debug for Pin {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Pin(<redacted>)")
    }
}

/// The state of the auth PIN, read without using a try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinStatus {
    /// Tries left. `0` when blocked. When [`Self::verified`], the card reported no count and
    /// this is the full count ([`crate::profile::CardProfile::auth_pin_tries`]), which is what
    /// a successful `VERIFY` resets the counter to.
    pub remaining: u8,
    /// The PIN is blocked (`6984`, `6983`, or `63C0`).
    pub blocked: bool,
    /// The card answered `9000`: the PIN is already verified in this card session.
    pub verified: bool,
}

impl PinStatus {
    /// Exactly one try is left: one more wrong PIN blocks the card.
    pub fn is_last_attempt(&self) -> bool {
        !self.blocked && self.remaining == 1
    }
}

/// The auth PIN's tries left, without using one: `SELECT 0018`, then `VERIFY` with no data
/// (`00 20 00 80`). 2 APDUs. The JPKI-AP must be the current application.
///
/// `63Cx` → `x` tries left (`63C0` → blocked); `6984`/`6983` → blocked (`remaining` 0);
/// `9000` → already verified in this session ([`PinStatus::verified`], `remaining` = the full
/// count).
pub async fn auth_pin_status<T: Transport + ?Sized>(
    transport: &mut T,
) -> Result<PinStatus, JpkiError> {
    select_ef(transport, MY_NUMBER_CARD.auth_pin).await?;
    selected_pin_status(transport).await
}

/// `VERIFY` with no data on the current EF (the auth PIN's, selected by the caller).
async fn selected_pin_status<T: Transport + ?Sized>(
    transport: &mut T,
) -> Result<PinStatus, JpkiError> {
    let command = Command::verify_status(MY_NUMBER_CARD.current_ef_reference);
    let response = exchange(transport, &command).await?;
    let blocked = PinStatus {
        remaining: 0,
        blocked: true,
        verified: false,
    };
    match response.sw.status() {
        Status::Success => Ok(PinStatus {
            remaining: MY_NUMBER_CARD.auth_pin_tries,
            blocked: false,
            verified: true,
        }),
        Status::VerifyFailed { remaining: 0 }
        | Status::ReferenceDataNotUsable
        | Status::AuthMethodBlocked => Ok(blocked),
        Status::VerifyFailed { remaining } => Ok(PinStatus {
            remaining,
            blocked: false,
            verified: false,
        }),
        _ => Err(unexpected(response.sw, Operation::PinStatus)),
    }
}

/// Verifies the auth PIN: `SELECT 0018`, then exactly one `VERIFY` (`00 20 00 80 04 <PIN>`),
/// never a retry. 2 APDUs. The JPKI-AP must be the current application.
///
/// `63Cx` → [`JpkiError::PinIncorrect`] (`63C0`: this try blocked the PIN);
/// `6984`/`6983` → [`JpkiError::PinBlocked`].
pub async fn verify_auth_pin<T: Transport + ?Sized>(
    transport: &mut T,
    pin: &Pin,
) -> Result<(), JpkiError> {
    select_ef(transport, MY_NUMBER_CARD.auth_pin).await?;
    selected_verify(transport, pin).await
}

/// The PIN check an eligibility flow makes: `SELECT 0018`, `VERIFY` with no data (the tries
/// left, none used), then — unless the PIN is blocked, or one try is left and
/// `allow_last_attempt` is false — exactly one `VERIFY` with the PIN. 3 APDUs (2 when no PIN
/// is sent), one fewer than [`auth_pin_status`] then [`verify_auth_pin`].
///
/// Errors: [`JpkiError::PinBlocked`] (nothing sent), [`JpkiError::LastAttemptNeedsConsent`]
/// (nothing sent), [`JpkiError::PinIncorrect`] (the one try was used; never retried). A PIN
/// already verified in this card session is verified again: each check is the holder's.
pub async fn verify_auth_pin_with_consent<T: Transport + ?Sized>(
    transport: &mut T,
    pin: &Pin,
    allow_last_attempt: bool,
) -> Result<(), JpkiError> {
    select_ef(transport, MY_NUMBER_CARD.auth_pin).await?;
    let status = selected_pin_status(transport).await?;
    if status.blocked {
        return Err(JpkiError::PinBlocked);
    }
    if status.is_last_attempt() && !allow_last_attempt {
        return Err(JpkiError::LastAttemptNeedsConsent);
    }
    selected_verify(transport, pin).await
}

/// `VERIFY` with the PIN on the current EF (the auth PIN's, selected by the caller).
async fn selected_verify<T: Transport + ?Sized>(
    transport: &mut T,
    pin: &Pin,
) -> Result<(), JpkiError> {
    let command = Command::verify(MY_NUMBER_CARD.current_ef_reference, pin.as_bytes());
    let response = exchange(transport, &command).await?;
    match response.sw.status() {
        Status::Success => Ok(()),
        Status::VerifyFailed { remaining } => Err(JpkiError::PinIncorrect { remaining }),
        Status::ReferenceDataNotUsable | Status::AuthMethodBlocked => Err(JpkiError::PinBlocked),
        _ => Err(unexpected(response.sw, Operation::Verify)),
    }
}
