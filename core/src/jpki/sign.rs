//! Signing with the auth key.

use super::{JpkiError, Operation, exchange, select_ef, unexpected};
use crate::apdu::Command;
use crate::profile::MY_NUMBER_CARD;
use crate::sw::Status;
use crate::transport::Transport;

/// Bytes of PKCS#1 v1.5 type-1 padding overhead: a DigestInfo may fill the modulus but these.
const PKCS1_V15_OVERHEAD: usize = 11;

/// Signs a DER DigestInfo with the auth key (the card adds PKCS#1 v1.5 type-1 padding):
/// `SELECT 0017`, then `80 2A 00 80 <Lc> <DigestInfo> 00`. 2 APDUs. The auth PIN must have
/// been verified in the current application.
///
/// Returns the signature, exactly as long as the modulus (256 bytes for RSA-2048).
/// `6982` → [`JpkiError::SecurityStatusNotSatisfied`]. A DigestInfo that is empty or longer
/// than the modulus minus 11 bytes is refused before any APDU is sent.
pub async fn sign_with_auth_key<T: Transport + ?Sized>(
    transport: &mut T,
    digest_info: &[u8],
) -> Result<Vec<u8>, JpkiError> {
    let modulus_len = MY_NUMBER_CARD.auth_algorithm.signature_len();
    let max = modulus_len - PKCS1_V15_OVERHEAD;
    if digest_info.is_empty() || digest_info.len() > max {
        return Err(JpkiError::InvalidDigestInfoLength {
            len: digest_info.len(),
            max,
        });
    }
    select_ef(transport, MY_NUMBER_CARD.auth_key).await?;
    let command = Command::compute_digital_signature(digest_info)?;
    let response = exchange(transport, &command).await?;
    match response.sw.status() {
        Status::Success if response.data.len() == modulus_len => Ok(response.data),
        Status::Success => Err(JpkiError::UnexpectedSignatureLength {
            expected: modulus_len,
            actual: response.data.len(),
        }),
        Status::SecurityStatusNotSatisfied => Err(JpkiError::SecurityStatusNotSatisfied),
        _ => Err(unexpected(response.sw, Operation::ComputeSignature)),
    }
}
