//! The My Number Card as data: application IDs, file IDs, PIN references and limits.
//!
//! Everything the client ([`crate::jpki`]), the bridge's APDU policy and the virtual card
//! know about the card's layout comes from this one table, so the three cannot drift apart.
//! The interop tests against OpenSC and the `myna-card` crate keep it honest.
//!
//! Sources: OpenSC `card-jpki.c`/`jpki.h`, the `myna-card` crate, jpki/myna (see
//! `docs/card-protocol.md`). A second card generation (次期個人番号カード, ECDSA P-384) would
//! be a second [`CardProfile`] value, not edits scattered through the code.

/// A file identifier (FID) of an elementary file inside an application, e.g. `000A`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fid(pub u16);

impl Fid {
    /// The two bytes sent in `SELECT FILE` (big-endian).
    pub const fn to_bytes(self) -> [u8; 2] {
        self.0.to_be_bytes()
    }
}

impl core::fmt::Display for Fid {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:04X}", self.0)
    }
}

/// What protects an elementary file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Readable by anyone with `READ BINARY`.
    Free,
    /// A private key usable (never readable) after the auth PIN (利用者証明用 PIN) is verified.
    AuthKey,
    /// A private key usable after the signing password (署名用パスワード) is verified.
    SignKey,
    /// Readable only after the signing password is verified (署名用電子証明書).
    SignPassword,
    /// Readable only after the application's PIN is verified (券面事項入力補助AP files).
    AppPin,
    /// A PIN or password object: the target of `VERIFY`, never readable.
    PinObject,
}

/// One elementary file of an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileEntry {
    /// Its file identifier.
    pub fid: Fid,
    /// What it holds, in English with the Japanese term.
    pub name: &'static str,
    /// What protects it.
    pub access: Access,
}

/// One application (AP) on the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Application {
    /// The AID selected with `00 A4 04 0C`.
    pub aid: &'static [u8],
    /// Its name, in English with the Japanese term.
    pub name: &'static str,
    /// Its elementary files.
    pub files: &'static [FileEntry],
}

impl Application {
    /// The entry for `fid` in this application, if it has one.
    pub fn file(&self, fid: Fid) -> Option<&'static FileEntry> {
        self.files.iter().find(|f| f.fid == fid)
    }
}

/// Everything this project needs to know about one generation of the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardProfile {
    /// The 公的個人認証 application (JPKI-AP).
    pub jpki: Application,
    /// The 券面事項入力補助AP. It holds the 12-digit 個人番号: this product never reads it.
    pub card_info_input: Application,
    /// The 券面AP (card surface images). Never used by this product.
    pub card_surface: Application,
    /// 利用者証明用電子証明書 (user-authentication certificate, DER).
    pub auth_certificate: Fid,
    /// The CA certificate that issued [`Self::auth_certificate`].
    pub auth_ca_certificate: Fid,
    /// The auth private key (RSA-2048).
    pub auth_key: Fid,
    /// The auth PIN object (4 digits).
    pub auth_pin: Fid,
    /// Token information: a 32-byte space-padded ASCII label first.
    pub token_info: Fid,
    /// The `P2` of `VERIFY` and of `COMPUTE DIGITAL SIGNATURE`: "the currently selected EF".
    pub current_ef_reference: u8,
    /// Tries of the auth PIN on a fresh card.
    pub auth_pin_tries: u8,
    /// Length of the auth PIN in digits.
    pub auth_pin_length: usize,
    /// Largest `Le` of one short `READ BINARY` (`Le = 00`).
    pub max_short_read: usize,
    /// The RSA modulus size of the auth key, in bits.
    pub auth_key_bits: usize,
    /// The token-info label of a My Number Card (`JPKIAPICCTOKEN2`).
    pub token_label_my_number_card: &'static str,
    /// The token-info label of the old 住基カード (`JPKIAPICCTOKEN`).
    pub token_label_juki_card: &'static str,
}

/// The JPKI-AP AID `D3 92 F0 00 26 01 00 00 00 01`.
pub const JPKI_AID: &[u8] = &[0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];
/// The 券面事項入力補助AP AID `D3 92 10 00 31 00 01 01 04 08`.
pub const CARD_INFO_INPUT_AID: &[u8] =
    &[0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08];
/// The 券面AP AID `D3 92 10 00 31 00 01 01 04 02`.
pub const CARD_SURFACE_AID: &[u8] = &[0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x02];

/// The My Number Card (個人番号カード) of 2016 onwards, RSA-2048.
pub const MY_NUMBER_CARD: CardProfile = CardProfile {
    jpki: Application {
        aid: JPKI_AID,
        name: "JPKI-AP (公的個人認証AP)",
        files: &[
            FileEntry {
                fid: Fid(0x000A),
                name: "user-authentication certificate (利用者証明用電子証明書)",
                access: Access::Free,
            },
            FileEntry {
                fid: Fid(0x000B),
                name: "user-authentication CA certificate",
                access: Access::Free,
            },
            FileEntry {
                fid: Fid(0x0001),
                name: "signing certificate (署名用電子証明書)",
                access: Access::SignPassword,
            },
            FileEntry {
                fid: Fid(0x0002),
                name: "signing CA certificate",
                access: Access::Free,
            },
            FileEntry {
                fid: Fid(0x0006),
                name: "token info",
                access: Access::Free,
            },
            FileEntry {
                fid: Fid(0x0017),
                name: "user-authentication private key",
                access: Access::AuthKey,
            },
            FileEntry {
                fid: Fid(0x0018),
                name: "user-authentication PIN (利用者証明用暗証番号)",
                access: Access::PinObject,
            },
            FileEntry {
                fid: Fid(0x001A),
                name: "signing private key",
                access: Access::SignKey,
            },
            FileEntry {
                fid: Fid(0x001B),
                name: "signing password (署名用パスワード)",
                access: Access::PinObject,
            },
        ],
    },
    card_info_input: Application {
        aid: CARD_INFO_INPUT_AID,
        name: "券面事項入力補助AP (card info input support)",
        files: &[
            FileEntry {
                fid: Fid(0x0001),
                name: "個人番号 (12-digit individual number) — never read",
                access: Access::AppPin,
            },
            FileEntry {
                fid: Fid(0x0002),
                name: "基本4情報 (name, address, birth date, sex)",
                access: Access::AppPin,
            },
            FileEntry {
                fid: Fid(0x0011),
                name: "券面事項入力補助用暗証番号",
                access: Access::PinObject,
            },
        ],
    },
    card_surface: Application {
        aid: CARD_SURFACE_AID,
        name: "券面AP (card surface)",
        files: &[],
    },
    auth_certificate: Fid(0x000A),
    auth_ca_certificate: Fid(0x000B),
    auth_key: Fid(0x0017),
    auth_pin: Fid(0x0018),
    token_info: Fid(0x0006),
    current_ef_reference: 0x80,
    auth_pin_tries: 3,
    auth_pin_length: 4,
    max_short_read: 256,
    auth_key_bits: 2048,
    token_label_my_number_card: "JPKIAPICCTOKEN2",
    token_label_juki_card: "JPKIAPICCTOKEN",
};

/// Tries of the signing password (署名用パスワード) on a fresh card.
pub const SIGN_PASSWORD_TRIES: u8 = 5;
/// Tries of the 券面事項入力補助AP PIN on a fresh card.
pub const CARD_INFO_INPUT_PIN_TRIES: u8 = 3;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profile_names_the_files_eligibility_needs() {
        let p = MY_NUMBER_CARD;
        assert_eq!(
            p.jpki.file(p.auth_certificate).unwrap().access,
            Access::Free
        );
        assert_eq!(p.jpki.file(p.auth_key).unwrap().access, Access::AuthKey);
        assert_eq!(p.jpki.file(p.auth_pin).unwrap().access, Access::PinObject);
        assert_eq!(
            p.jpki.file(Fid(0x0001)).unwrap().access,
            Access::SignPassword
        );
        assert!(p.jpki.file(Fid(0x1234)).is_none());
        assert_eq!(Fid(0x000A).to_string(), "000A");
        assert_eq!(Fid(0x000A).to_bytes(), [0x00, 0x0A]);
    }
}
