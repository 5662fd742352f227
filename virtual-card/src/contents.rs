//! What a virtual card holds: certificates, keys, PINs and the bytes of its data files.

use rsa::RsaPrivateKey;
use zeroize::Zeroizing;

use myna_core::profile::{ANDROID_PHONE, CardProfile, MY_NUMBER_CARD, token_label};
use myna_core::wire::Token;
use myna_personas::Persona;

/// The contact ATR of a My Number Card batch: `3B E0 00 FF 81 31 FE 45 14`.
///
/// TS = 3B (direct convention); T0 = E0 (TB1, TC1, TD1 follow; no historical bytes);
/// TB1 = 00 (no VPP); TC1 = FF (minimum guard time); TD1 = 81 (TD2 follows, T=1);
/// TD2 = 31 (TA3, TB3 follow, T=1); TA3 = FE (IFSC 254); TB3 = 45 (BWI 4, CWI 5);
/// TCK = 14 (XOR of T0..TB3). It is the one ATR in OpenSC's `jpki_atrs` table.
pub const MY_NUMBER_CARD_ATR: [u8; 9] = [0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14];

/// The signing password (署名用パスワード) every card built from a persona carries: personas
/// define no signing password, and this product never uses one. Test data.
pub const TEST_SIGN_PASSWORD: &str = "MYNAWEBTEST1";

/// The 個人番号 every virtual card carries: twelve zeros, obviously not a real number (its
/// check digit happens to be valid). It exists so that policies refusing it can be tested.
pub const FAKE_MY_NUMBER: &str = "000000000000";

/// Everything a [`super::VirtualCard`] is built from. Built by [`CardContents::new`] with
/// test defaults for what eligibility does not use; every field may be changed before
/// [`super::VirtualCard::new`].
#[derive(Clone)]
pub struct CardContents {
    /// The ATR answered on power-on and reset.
    pub atr: Vec<u8>,
    /// JPKI-AP EF `000A`: 利用者証明用電子証明書 (DER).
    pub auth_certificate: Vec<u8>,
    /// JPKI-AP EF `000B`: its CA certificate (DER).
    pub auth_ca_certificate: Vec<u8>,
    /// JPKI-AP EF `0017`: the auth private key.
    pub auth_key: RsaPrivateKey,
    /// JPKI-AP EF `0018`: the 4-digit auth PIN; `None` for a card without a PIN.
    pub auth_pin: Option<Zeroizing<String>>,
    /// Tries left on the auth PIN.
    pub auth_pin_remaining: u8,
    /// JPKI-AP EF `0001`: 署名用電子証明書 (DER). Default: the auth certificate's bytes.
    pub sign_certificate: Vec<u8>,
    /// JPKI-AP EF `0002`: its CA certificate (DER). Default: the auth CA certificate.
    pub sign_ca_certificate: Vec<u8>,
    /// JPKI-AP EF `001A`: the signing private key. Default: the auth key.
    pub sign_key: RsaPrivateKey,
    /// JPKI-AP EF `001B`: the signing password. Default: [`TEST_SIGN_PASSWORD`].
    pub sign_password: Option<Zeroizing<String>>,
    /// Tries left on the signing password.
    pub sign_password_remaining: u8,
    /// JPKI-AP EF `0006`: token info. Default: [`token_info`] of the card's label with a
    /// test serial number.
    pub token_info: Vec<u8>,
    /// Which token this is: the card (default), an Android phone or an iPhone
    /// ([`CardContents::as_token`]). It picks the card table the virtual card follows.
    pub token: Token,
    /// 券面事項入力補助AP EF `0001` (個人番号). Default: [`my_number_file`] of
    /// [`FAKE_MY_NUMBER`].
    pub my_number_file: Vec<u8>,
    /// 券面事項入力補助AP EF `0002` (基本4情報). Default: [`basic_info_file`] of test data.
    pub basic_info_file: Vec<u8>,
    /// 券面事項入力補助AP EF `0011`: its 4-digit PIN. Default: the auth PIN.
    pub card_info_pin: Option<Zeroizing<String>>,
    /// Tries left on the 券面事項入力補助AP PIN.
    pub card_info_pin_remaining: u8,
}

impl core::fmt::Debug for CardContents {
    /// Shows sizes and counters only: no PIN, no key.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CardContents")
            .field("atr", &self.atr)
            .field("auth_certificate", &self.auth_certificate.len())
            .field("auth_pin_set", &self.auth_pin.is_some())
            .field("auth_pin_remaining", &self.auth_pin_remaining)
            .field("sign_password_set", &self.sign_password.is_some())
            .field("sign_password_remaining", &self.sign_password_remaining)
            .field("card_info_pin_set", &self.card_info_pin.is_some())
            .field("card_info_pin_remaining", &self.card_info_pin_remaining)
            .finish_non_exhaustive()
    }
}

impl CardContents {
    /// A card with these auth certificate, CA certificate, key and PIN (`None`: no PIN), all
    /// counters full, and test defaults for everything else.
    pub fn new(
        auth_certificate: Vec<u8>,
        auth_ca_certificate: Vec<u8>,
        auth_key: RsaPrivateKey,
        auth_pin: Option<&str>,
    ) -> Self {
        let profile = &myna_core::profile::MY_NUMBER_CARD;
        let auth_pin = auth_pin.map(|p| Zeroizing::new(p.to_owned()));
        CardContents {
            atr: MY_NUMBER_CARD_ATR.to_vec(),
            sign_certificate: auth_certificate.clone(),
            sign_ca_certificate: auth_ca_certificate.clone(),
            auth_certificate,
            auth_ca_certificate,
            sign_key: auth_key.clone(),
            auth_key,
            card_info_pin: auth_pin.clone(),
            auth_pin,
            auth_pin_remaining: profile.auth_pin_tries,
            sign_password: Some(Zeroizing::new(TEST_SIGN_PASSWORD.to_owned())),
            sign_password_remaining: myna_core::profile::SIGN_PASSWORD_TRIES,
            token_info: token_info(profile.token_label, "0000000000000000"),
            token: Token::Card,
            my_number_file: my_number_file(FAKE_MY_NUMBER),
            basic_info_file: basic_info_file(&BasicInfo::test_data()),
            card_info_pin_remaining: myna_core::profile::CARD_INFO_INPUT_PIN_TRIES,
        }
    }

    /// The contents of the card that `persona` holds: its auth certificate and key, its
    /// issuer (the persona CA) as EF `000B`, its PIN and tries left (the 券面事項入力補助AP PIN is the same
    /// PIN with full tries), the insurance record's name/address/birth date/sex as 基本4情報,
    /// and [`FAKE_MY_NUMBER`].
    pub fn for_persona(persona: &Persona) -> Self {
        let mut contents = CardContents::new(
            persona.auth_cert_der.clone(),
            persona.issuer_cert_der.clone(),
            persona.auth_key.clone(),
            persona.pin.as_ref().map(|p| p.as_str()),
        );
        contents.auth_pin_remaining = persona.pin_remaining;
        contents.token_info = token_info(
            MY_NUMBER_CARD.token_label,
            &serial_from(&persona.subject_cn),
        );
        contents = contents.as_token(persona.token);
        let basic = match &persona.insurance {
            Some(record) => BasicInfo {
                name: record.name.clone(),
                address: record.address.clone().unwrap_or_default(),
                birth_date: record.birthdate.clone(),
                sex: record.sex1.clone(),
            },
            None => BasicInfo::test_data(),
        };
        contents.basic_info_file = basic_info_file(&basic);
        contents
    }
}

impl CardContents {
    /// The same contents answering as `token`: its label in EF `0006` (the rest of the file
    /// kept), and its card table ([`CardContents::profile`]).
    pub fn as_token(mut self, token: Token) -> Self {
        let label = match token {
            Token::Card => token_label::MY_NUMBER_CARD,
            Token::Android => token_label::ANDROID,
            Token::Iphone => token_label::IPHONE,
        };
        let mut field = label.as_bytes().to_vec();
        field.resize(32, b' ');
        if self.token_info.len() < 32 {
            self.token_info.resize(32, b' ');
        }
        self.token_info[..32].copy_from_slice(&field);
        self.token = token;
        self
    }

    /// The card table the virtual card follows for [`CardContents::token`]:
    /// - the card: [`MY_NUMBER_CARD`];
    /// - an Android phone: [`ANDROID_PHONE`] — EF `000A` only after the auth PIN; before it,
    ///   `SELECT 000A` succeeds and `READ BINARY` answers `6982` (security status not
    ///   satisfied). `docs/phones.md` §2: *likely 6982, unverified* — the card answers `6982`
    ///   for its protected files (OpenSC #3169); no phone trace is public. The try limit and
    ///   PIN length are the card's (not documented for phones).
    /// - an iPhone: only its EF `0006` label is documented (`docs/phones.md` §3). Past that
    ///   nothing is modelled from a source: it keeps the card's table, and the bridge never
    ///   sends anything past the label to it (`token-not-supported`).
    pub fn profile(&self) -> &'static CardProfile {
        match self.token {
            Token::Android => &ANDROID_PHONE,
            Token::Card | Token::Iphone => &MY_NUMBER_CARD,
        }
    }
}

/// The last 16 characters of `id`, left-padded with `0` (token-info serial numbers are 16).
fn serial_from(id: &str) -> String {
    let chars: Vec<char> = id.chars().filter(|c| c.is_ascii_graphic()).collect();
    let tail: String = chars[chars.len().saturating_sub(16)..].iter().collect();
    format!("{tail:0>16}")
}

/// The 160 bytes of JPKI-AP EF `0006`: a PKCS #11 `CK_TOKEN_INFO` with 32-bit big-endian
/// integers, as the `myna-card` crate describes a physical card's (label, manufacturer,
/// model, serial, flags, session and PIN-length counts, memory, versions, time).
///
/// The label is `label` (a [`token_label`], e.g. the card's `JPKIAPICCTOKEN2`); manufacturer and model say this is a
/// virtual test card; `serial` (16 ASCII characters, padded or cut) is the caller's. Flags
/// `0000040D` (RNG, login required, user PIN initialised, token initialised), one session,
/// PIN length 6–16 and hardware/firmware version `"03"`/`"01"` follow that description
/// **(uncertain: taken from one source)**.
///
/// A phone's EF `0006` beyond its label is not documented (`docs/phones.md` §1): the
/// virtual phones keep this layout, which only the label of matters to any client.
pub fn token_info(label: &str, serial: &str) -> Vec<u8> {
    fn padded(out: &mut Vec<u8>, text: &str, width: usize) {
        let bytes = text.as_bytes();
        let n = bytes.len().min(width);
        out.extend_from_slice(&bytes[..n]);
        out.resize(out.len() + (width - n), b' ');
    }
    let mut out = Vec::with_capacity(160);
    padded(&mut out, label, 32);
    padded(&mut out, "myna-web virtual card TEST DATA", 32);
    padded(&mut out, "VIRTUAL", 16);
    padded(&mut out, serial, 16);
    for word in [
        0x0000_040Du32, // flags
        1,              // max sessions
        0,              // sessions
        1,              // max r/w sessions
        0,              // r/w sessions
        16,             // max PIN length
        6,              // min PIN length
        u32::MAX,       // total public memory: unavailable
        u32::MAX,       // free public memory
        u32::MAX,       // total private memory
        u32::MAX,       // free private memory
    ] {
        out.extend_from_slice(&word.to_be_bytes());
    }
    out.extend_from_slice(b"03");
    out.extend_from_slice(b"01");
    padded(&mut out, "", 16);
    out
}

/// 券面事項入力補助AP EF `0001`: `FF 10 0C` + 12 ASCII digits + two `FF` filler bytes (the
/// layout read off a JPKI test card by the `myna-card` crate).
pub fn my_number_file(number: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0x10, 0x0C];
    let mut digits = number.as_bytes().to_vec();
    digits.resize(12, b'0');
    out.extend_from_slice(&digits);
    out.extend_from_slice(&[0xFF, 0xFF]);
    out
}

/// The 基本4情報 written into 券面事項入力補助AP EF `0002`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicInfo {
    /// Name, family and given name separated by U+3000.
    pub name: String,
    /// Address (UTF-8; full-width digits on real cards).
    pub address: String,
    /// Birth date, `YYYYMMDD`.
    pub birth_date: String,
    /// Sex: `1` male, `2` female, `9` not applicable.
    pub sex: String,
}

impl BasicInfo {
    /// Placeholder values for a card whose persona has no insurance record.
    pub fn test_data() -> Self {
        BasicInfo {
            name: "試験　データ".to_owned(),
            address: "東京都千代田区テスト町１－１".to_owned(),
            birth_date: "19900101".to_owned(),
            sex: "9".to_owned(),
        }
    }
}

/// BER definite length.
fn ber_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else if len <= 0xFF {
        out.extend_from_slice(&[0x81, len as u8]);
    } else {
        let len = u16::try_from(len).unwrap_or(u16::MAX);
        out.push(0x82);
        out.extend_from_slice(&len.to_be_bytes());
    }
}

fn tlv(out: &mut Vec<u8>, tag: [u8; 2], value: &[u8]) {
    out.extend_from_slice(&tag);
    ber_len(out, value.len());
    out.extend_from_slice(value);
}

/// 券面事項入力補助AP EF `0002`: `FF 20 <len>` { `DF21` four 2-byte offsets (from the start
/// of the file) of the next four tags, `DF22` name, `DF23` address, `DF24` birth date,
/// `DF25` sex }, the layout read off a JPKI test card by the `myna-card` crate.
pub fn basic_info_file(info: &BasicInfo) -> Vec<u8> {
    let fields: [([u8; 2], &[u8]); 4] = [
        ([0xDF, 0x22], info.name.as_bytes()),
        ([0xDF, 0x23], info.address.as_bytes()),
        ([0xDF, 0x24], info.birth_date.as_bytes()),
        ([0xDF, 0x25], info.sex.as_bytes()),
    ];
    let mut rest = Vec::new();
    let mut relative = Vec::new();
    for (tag, value) in fields {
        relative.push(rest.len());
        tlv(&mut rest, tag, value);
    }
    let body_len = 2 + 1 + 8 + rest.len();
    let mut header = vec![0xFF, 0x20];
    ber_len(&mut header, body_len);
    let base = header.len() + 2 + 1 + 8;
    let mut offsets = Vec::with_capacity(8);
    for r in relative {
        let at = u16::try_from(base + r).unwrap_or(u16::MAX);
        offsets.extend_from_slice(&at.to_be_bytes());
    }
    let mut out = header;
    tlv(&mut out, [0xDF, 0x21], &offsets);
    out.extend_from_slice(&rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_atr_checksum_is_right() {
        let tck = MY_NUMBER_CARD_ATR[1..8].iter().fold(0u8, |a, b| a ^ b);
        assert_eq!(tck, MY_NUMBER_CARD_ATR[8]);
    }

    #[test]
    fn token_info_has_the_card_label_and_160_bytes() {
        let info = token_info(token_label::MY_NUMBER_CARD, "0123456789ABCDEFXYZ");
        assert_eq!(info.len(), 160);
        assert_eq!(&info[..32], b"JPKIAPICCTOKEN2                 ");
        assert_eq!(&info[80..96], b"0123456789ABCDEF");
        assert_eq!(&info[96..100], &[0, 0, 4, 0x0D]);
        assert_eq!(&info[140..144], b"0301");
        assert_eq!(serial_from("JPKITEST0000000000000001"), "0000000000000001");
        assert_eq!(serial_from("AB"), "00000000000000AB");
    }

    #[test]
    fn the_my_number_file_has_the_card_layout() {
        let file = my_number_file(FAKE_MY_NUMBER);
        assert_eq!(file.len(), 17);
        assert_eq!(&file[..3], &[0xFF, 0x10, 0x0C]);
        assert_eq!(&file[3..15], b"000000000000");
        assert_eq!(&file[15..], &[0xFF, 0xFF]);
    }

    #[test]
    fn basic_info_reproduces_the_file_of_a_real_test_card() {
        // myna-card's fixture `text-0002.bin`, read off a JPKI test card (synthetic holder).
        let expected = "ff2065df2108000e002000590064df220fe9bb92e6a190e38080e5b9b9e4b99fdf2336e69db1\
                        e4baace983bde6b885e780ace5b882e8a6b3e5b883e5ad90e58d97efbc91efbc92efbc8d\
                        efbc97efbc8defbc92efbc90efbc92df24083139383030323137df250131";
        let info = BasicInfo {
            name: "黒桐\u{3000}幹也".to_owned(),
            address: "東京都清瀬市観布子南１２－７－２０２".to_owned(),
            birth_date: "19800217".to_owned(),
            sex: "1".to_owned(),
        };
        assert_eq!(hex::encode(basic_info_file(&info)), expected);
    }

    #[test]
    fn long_basic_info_uses_long_form_lengths() {
        let info = BasicInfo {
            address: "あ".repeat(60),
            ..BasicInfo::test_data()
        };
        let file = basic_info_file(&info);
        assert_eq!(&file[..3], &[0xFF, 0x20, 0x81]);
        let offsets: Vec<usize> = file[7..15]
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]) as usize)
            .collect();
        for (at, tag) in offsets.iter().zip([0x22, 0x23, 0x24, 0x25]) {
            assert_eq!(&file[*at..*at + 2], &[0xDF, tag]);
        }
    }
}
