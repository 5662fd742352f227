//! Random tokens and nonces, and the digests the database keeps instead of secrets.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};

/// Bytes of randomness in a terminal token and in a nonce: 256 bits.
pub const SECRET_BYTES: usize = 32;

/// Length of a [`random_base64url`] string: 43 characters for 32 bytes.
pub const SECRET_CHARS: usize = 43;

/// 32 bytes from the operating system's CSPRNG, as unpadded base64url (43 characters).
pub fn random_base64url() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A terminal's public identifier: `t_` + 16 random bytes in base64url. Not a secret.
pub fn terminal_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("t_{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_43_base64url_chars_and_differ() {
        let a = random_base64url();
        let b = random_base64url();
        assert_eq!(a.len(), SECRET_CHARS);
        assert_ne!(a, b);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).unwrap().len(), SECRET_BYTES);
    }

    #[test]
    fn terminal_ids_are_prefixed() {
        let id = terminal_id();
        assert!(id.starts_with("t_"));
        assert_eq!(id.len(), 2 + 22);
    }
}
