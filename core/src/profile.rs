//! The My Number Card as data: the one card table.
//!
//! Every fact about the card that code acts on is named here once: application IDs, file IDs
//! (including the files the bridge's policy must refuse, such as the 個人番号), which file
//! needs which PIN ([`Access`]), the class and instruction bytes ([`cla`], [`ins`]), the
//! `SELECT` modes ([`select`]), the key algorithm with its DigestInfo prefix
//! ([`SignatureAlgorithm`]), PIN references and limits, token labels, and the APDU order of
//! the two eligibility flows ([`FlowStep`]). The client ([`crate::jpki`], [`crate::apdu`]'s
//! builders), the bridge's APDU policy, the virtual card (`myna-virtual-card`), the
//! benchmark's minimum APDU counts and the fuzzers read it; status words live in
//! [`crate::sw`]. The interop tests against OpenSC and the `myna-card` crate keep it honest.
//!
//! Sources: OpenSC `card-jpki.c`/`jpki.h`, the `myna-card` crate, jpki/myna (see
//! `docs/card-protocol.md`). Another token — a phone's JPKI applet, or the next card
//! generation (次期個人番号カード, ECDSA P-384) — is another [`CardProfile`] value (its own
//! file map, flows and [`SignatureAlgorithm`]), not edits scattered through the code.

/// Class bytes (`CLA`).
pub mod cla {
    /// Interindustry commands (ISO 7816-4): `SELECT`, `READ BINARY`, `VERIFY`, …
    pub const ISO: u8 = 0x00;
    /// The JPKI-AP's proprietary class, used by `COMPUTE DIGITAL SIGNATURE`.
    pub const PROPRIETARY: u8 = 0x80;
}

/// Instruction bytes (`INS`) of the commands this project sends or the virtual card answers.
pub mod ins {
    /// `SELECT` (ISO 7816-4 §11.1.1).
    pub const SELECT: u8 = 0xA4;
    /// `READ BINARY` (§11.2.3).
    pub const READ_BINARY: u8 = 0xB0;
    /// `VERIFY` (§11.5.6): with data checks a PIN, without data asks for the tries left.
    pub const VERIFY: u8 = 0x20;
    /// `CHANGE REFERENCE DATA` (§11.5.7): changes a PIN after it was verified.
    pub const CHANGE_REFERENCE_DATA: u8 = 0x24;
    /// `GET RESPONSE` (§11.6.1), after a `61xx`.
    pub const GET_RESPONSE: u8 = 0xC0;
    /// JPKI `COMPUTE DIGITAL SIGNATURE` (with [`super::cla::PROPRIETARY`]).
    pub const COMPUTE_DIGITAL_SIGNATURE: u8 = 0x2A;

    /// The name of an instruction this table knows, e.g. `"READ BINARY"`.
    pub const fn name(ins: u8) -> Option<&'static str> {
        Some(match ins {
            SELECT => "SELECT",
            READ_BINARY => "READ BINARY",
            VERIFY => "VERIFY",
            CHANGE_REFERENCE_DATA => "CHANGE REFERENCE DATA",
            GET_RESPONSE => "GET RESPONSE",
            COMPUTE_DIGITAL_SIGNATURE => "COMPUTE DIGITAL SIGNATURE",
            _ => return None,
        })
    }
}

/// `P1`/`P2` of `SELECT`.
pub mod select {
    /// `P1 = 00`: the MF, or a file by its identifier.
    pub const P1_MF_OR_FILE_ID: u8 = 0x00;
    /// `P1 = 02`: an EF under the current DF (the application), by its file identifier.
    pub const P1_EF: u8 = 0x02;
    /// `P1 = 04`: a DF (an application) by its name, the AID.
    pub const P1_DF_NAME: u8 = 0x04;
    /// `P2 = 0C`: first or only occurrence, no response data (no FCI).
    pub const P2_NO_RESPONSE_DATA: u8 = 0x0C;
}

/// The DER prefix of a SHA-256 DigestInfo (`SEQUENCE { SEQUENCE { id-sha256, NULL },
/// OCTET STRING (32 bytes) }`), RFC 8017 §9.2 note 1.
pub const SHA256_DIGEST_INFO_PREFIX: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// A signature algorithm by its JOSE name (RFC 7518 §3.1): what the bridge's `authenticate`
/// answers in `algorithm`, the browser module passes on in the confirmation's `algorithm`,
/// and the eligibility service dispatches its verification on (issue 14 item 5). The
/// service refuses one that does not match the certificate's key, and a name it does not
/// know ([`AuthAlgorithm::parse`] gives `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 ([`RSA2048_PKCS1V15_SHA256`]): the My Number Card's
    /// and the Android phone's.
    Rs256,
    /// ECDSA on P-384 with SHA-384, the signature as `r ‖ s` (96 bytes, RFC 7518 §3.4): the
    /// key algorithm announced for the next-generation card ([`NEXT_GENERATION_CARD`]).
    Es384,
}

impl AuthAlgorithm {
    /// Every algorithm, in declaration order.
    pub const ALL: &'static [AuthAlgorithm] = &[AuthAlgorithm::Rs256, AuthAlgorithm::Es384];

    /// The JOSE name, as sent on the wire (`"RS256"`, `"ES384"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            AuthAlgorithm::Rs256 => "RS256",
            AuthAlgorithm::Es384 => "ES384",
        }
    }

    /// The algorithm with this exact JOSE name (case matters, as in JOSE).
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "RS256" => Some(AuthAlgorithm::Rs256),
            "ES384" => Some(AuthAlgorithm::Es384),
            _ => None,
        }
    }
}

impl core::fmt::Display for AuthAlgorithm {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for AuthAlgorithm {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for AuthAlgorithm {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&name)
            .ok_or_else(|| serde::de::Error::unknown_variant(&name, &["RS256", "ES384"]))
    }
}

/// How a token's authentication key signs, as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignatureAlgorithm {
    /// Its JOSE name, the bridge's `authenticate` → `algorithm` ([`AuthAlgorithm::Rs256`]).
    pub jose: AuthAlgorithm,
    /// The key size in bits (the RSA modulus).
    pub key_bits: usize,
    /// The hash length in bytes.
    pub hash_len: usize,
    /// What the card is given to sign: this prefix, then the hash (a DER DigestInfo the card
    /// pads with PKCS#1 v1.5 type 1).
    pub digest_info_prefix: &'static [u8],
}

impl SignatureAlgorithm {
    /// The signature's length in bytes (the modulus length for RSA).
    pub const fn signature_len(&self) -> usize {
        self.key_bits / 8
    }

    /// The length of the DigestInfo the card is given.
    pub const fn digest_info_len(&self) -> usize {
        self.digest_info_prefix.len() + self.hash_len
    }
}

/// RSASSA-PKCS1-v1_5 with SHA-256 and a 2048-bit key: the My Number Card's auth key.
pub const RSA2048_PKCS1V15_SHA256: SignatureAlgorithm = SignatureAlgorithm {
    jose: AuthAlgorithm::Rs256,
    key_bits: 2048,
    hash_len: 32,
    digest_info_prefix: &SHA256_DIGEST_INFO_PREFIX,
};

/// One command (or run of commands) of an eligibility flow, in the order the card gets them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowStep {
    /// `SELECT` of the JPKI-AP by AID.
    SelectJpki,
    /// `SELECT` of an EF of the current application.
    SelectEf(Fid),
    /// The `READ BINARY`s of the current EF's certificate (the first gives its length).
    ReadCertificate,
    /// `VERIFY` without data: the tries left, none used.
    PinStatus,
    /// `VERIFY` with the PIN, exactly once.
    VerifyPin,
    /// `COMPUTE DIGITAL SIGNATURE` with the current key EF.
    Sign,
    /// `READ BINARY` of the token-info label (32 bytes of EF `0006`), after
    /// `SelectEf(token_info)`: which token answered ([`TOKEN_DETECTION`]).
    ReadTokenLabel,
}

/// What the bridge sends right after `SELECT` of the JPKI-AP, in every flow, to learn which
/// token answered before it acts on the token's rules (2 APDUs, inside the same transaction):
/// `SELECT 0006`, `READ BINARY` of the 32-byte label. The peers that serve phones do the
/// same (`docs/phones.md` §1, "APDUs peers use"); the card answers it without a PIN, and
/// both peers read it on Android before any `VERIFY` (an inference recorded there).
pub const TOKEN_DETECTION: &[FlowStep] =
    &[FlowStep::SelectEf(TOKEN_INFO), FlowStep::ReadTokenLabel];

/// `flow` as the bridge runs it: [`TOKEN_DETECTION`] right after its `SELECT` of the
/// JPKI-AP (the first step).
pub fn with_token_detection(flow: &[FlowStep]) -> Vec<FlowStep> {
    let mut steps = Vec::with_capacity(flow.len() + TOKEN_DETECTION.len());
    let (first, rest) = flow.split_at(flow.len().min(1));
    steps.extend_from_slice(first);
    steps.extend_from_slice(TOKEN_DETECTION);
    steps.extend_from_slice(rest);
    steps
}

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
    /// Readable only after the auth PIN (利用者証明用暗証番号) is verified: an Android phone's
    /// auth certificate (`docs/phones.md` §2).
    AuthPin,
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
    /// 署名用電子証明書 (signing certificate): behind the signing password; never read.
    pub sign_certificate: Fid,
    /// The CA certificate that issued [`Self::sign_certificate`].
    pub sign_ca_certificate: Fid,
    /// The signing private key.
    pub sign_key: Fid,
    /// The signing password object (署名用パスワード).
    pub sign_password: Fid,
    /// 券面事項入力補助AP EF: the 12-digit 個人番号. This product never reads it.
    pub my_number: Fid,
    /// 券面事項入力補助AP EF: 基本4情報 (name, address, birth date, sex).
    pub basic_info: Fid,
    /// 券面事項入力補助AP EF: its PIN object.
    pub card_info_input_pin: Fid,
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
    /// How the auth key signs (key size, hash, DigestInfo prefix).
    pub auth_algorithm: SignatureAlgorithm,
    /// The files the eligibility profile of the bridge lets a page read with `SELECT` +
    /// `READ BINARY` (all [`Access::Free`]): the auth certificate, its CA, token info.
    pub eligibility_readable: &'static [Fid],
    /// 目視 (visual) mode: the APDU order that reads the auth certificate.
    pub visual_flow: &'static [FlowStep],
    /// PIN mode: the APDU order of the bridge's `authenticate` (certificate, tries left, one
    /// `VERIFY`, signature), each command needed (see `docs/benchmarks.md`).
    pub pin_flow: &'static [FlowStep],
    /// The token-info label this token answers in EF `0006` ([`token_label`]).
    pub token_label: &'static str,
}

/// The labels at the start of EF `0006` (token information): 32 bytes of ASCII, padded with
/// spaces (or NULs: parsers trim both). Sources: `docs/phones.md` §1 (myna-card
/// `TokenType`, libmyna `CheckCard`, jpki/myna).
pub mod token_label {
    /// A My Number Card (the plastic card).
    pub const MY_NUMBER_CARD: &str = "JPKIAPICCTOKEN2";
    /// The old 住民基本台帳カード.
    pub const JUKI_CARD: &str = "JPKIAPICCTOKEN";
    /// An Android phone's スマホ用電子証明書 (GP-SE: GlobalPlatform Secure Element).
    pub const ANDROID: &str = "JPKIAPGPSETOKEN";
    /// An iPhone's マイナンバーカード機能. Only myna-card names it; how its applet answers a
    /// PC/SC reader is not public (`docs/phones.md` §3), so this project refuses it.
    pub const IPHONE: &str = "JPKIAPIOSTOKEN";
}

/// The JPKI-AP AID `D3 92 F0 00 26 01 00 00 00 01`.
pub const JPKI_AID: &[u8] = &[0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];
/// The 券面事項入力補助AP AID `D3 92 10 00 31 00 01 01 04 08`.
pub const CARD_INFO_INPUT_AID: &[u8] =
    &[0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08];
/// The 券面AP AID `D3 92 10 00 31 00 01 01 04 02`.
pub const CARD_SURFACE_AID: &[u8] = &[0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x02];

const AUTH_CERTIFICATE: Fid = Fid(0x000A);
const AUTH_CA_CERTIFICATE: Fid = Fid(0x000B);
const AUTH_KEY: Fid = Fid(0x0017);
const AUTH_PIN: Fid = Fid(0x0018);
const TOKEN_INFO: Fid = Fid(0x0006);

/// The card's 目視 flow: `SELECT` JPKI-AP, `SELECT 000A`, the certificate's reads.
const VISUAL_FLOW: &[FlowStep] = &[
    FlowStep::SelectJpki,
    FlowStep::SelectEf(AUTH_CERTIFICATE),
    FlowStep::ReadCertificate,
];

/// The card's PIN flow: the certificate first (the card gives it without a PIN), then
/// `SELECT 0018`, the tries left, one `VERIFY`, `SELECT 0017`, the signature.
const PIN_FLOW: &[FlowStep] = &[
    FlowStep::SelectJpki,
    FlowStep::SelectEf(AUTH_CERTIFICATE),
    FlowStep::ReadCertificate,
    FlowStep::SelectEf(AUTH_PIN),
    FlowStep::PinStatus,
    FlowStep::VerifyPin,
    FlowStep::SelectEf(AUTH_KEY),
    FlowStep::Sign,
];

/// The JPKI-AP's files, the same on the card and on an Android phone (`docs/phones.md` §2:
/// the peers use the card's file IDs on phones) except what protects the auth certificate.
const fn jpki_files(auth_certificate: Access) -> [FileEntry; 9] {
    [
        FileEntry {
            fid: Fid(0x000A),
            name: "user-authentication certificate (利用者証明用電子証明書)",
            access: auth_certificate,
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
    ]
}

/// The card's JPKI-AP files: the auth certificate is free to read.
const CARD_JPKI_FILES: [FileEntry; 9] = jpki_files(Access::Free);

/// The My Number Card (個人番号カード) of 2016 onwards, RSA-2048.
pub const MY_NUMBER_CARD: CardProfile = CardProfile {
    jpki: Application {
        aid: JPKI_AID,
        name: "JPKI-AP (公的個人認証AP)",
        files: &CARD_JPKI_FILES,
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
    auth_certificate: AUTH_CERTIFICATE,
    auth_ca_certificate: AUTH_CA_CERTIFICATE,
    auth_key: AUTH_KEY,
    auth_pin: AUTH_PIN,
    token_info: TOKEN_INFO,
    sign_certificate: Fid(0x0001),
    sign_ca_certificate: Fid(0x0002),
    sign_key: Fid(0x001A),
    sign_password: Fid(0x001B),
    my_number: Fid(0x0001),
    basic_info: Fid(0x0002),
    card_info_input_pin: Fid(0x0011),
    current_ef_reference: 0x80,
    auth_pin_tries: 3,
    auth_pin_length: 4,
    max_short_read: 256,
    auth_algorithm: RSA2048_PKCS1V15_SHA256,
    eligibility_readable: &[AUTH_CERTIFICATE, AUTH_CA_CERTIFICATE, TOKEN_INFO],
    visual_flow: VISUAL_FLOW,
    pin_flow: PIN_FLOW,
    token_label: token_label::MY_NUMBER_CARD,
};

/// An Android phone's JPKI-AP files: the auth certificate only after the auth PIN.
const ANDROID_JPKI_FILES: [FileEntry; 9] = jpki_files(Access::AuthPin);

/// An Android phone's PIN flow (`docs/phones.md` §2, "Order peers use"): the phone gives its
/// auth certificate only after the auth PIN, so the tries left come first (none used), then
/// one `VERIFY`, then the certificate, then the signature — all under one `SELECT` of the
/// JPKI-AP, so the verified state holds until the signature.
const ANDROID_PIN_FLOW: &[FlowStep] = &[
    FlowStep::SelectJpki,
    FlowStep::SelectEf(AUTH_PIN),
    FlowStep::PinStatus,
    FlowStep::VerifyPin,
    FlowStep::SelectEf(AUTH_CERTIFICATE),
    FlowStep::ReadCertificate,
    FlowStep::SelectEf(AUTH_KEY),
    FlowStep::Sign,
];

/// An Android phone's スマホ用電子証明書 (token label `JPKIAPGPSETOKEN`, a GP-SE applet),
/// as far as `docs/phones.md` §2 documents it: the card's AID and file IDs (the peers use
/// them unchanged), but the auth certificate `000A` is readable only after the auth PIN
/// ([`Access::AuthPin`]), so there is no 目視 flow (`visual_flow` is empty: `pin-required`)
/// and the PIN flow verifies before it reads. The command forms are the card's short ones,
/// the only ones shown to work on a phone (`00 A4 02 0C`, short `00 B0`, `00 20 00 80`,
/// `80 2A 00 80` after `SELECT 0017`).
///
/// Not documented for phones, so taken from the card as the peers do: the PIN's try limit
/// (3), its length (4 digits), the key algorithm (the bridge reports the certificate's; the
/// card's RSA-2048 is the only one any peer handles). The phone has no 券面AP or
/// 券面事項入力補助AP (a strong hint, libmyna): this product never selects them on any token,
/// and the policy keeps refusing their AIDs.
pub const ANDROID_PHONE: CardProfile = CardProfile {
    jpki: Application {
        aid: JPKI_AID,
        name: "JPKI-AP on an Android phone (スマホ用電子証明書, GP-SE)",
        files: &ANDROID_JPKI_FILES,
    },
    eligibility_readable: &[AUTH_CA_CERTIFICATE, TOKEN_INFO],
    visual_flow: &[],
    pin_flow: ANDROID_PIN_FLOW,
    token_label: token_label::ANDROID,
    ..MY_NUMBER_CARD
};

/// A token announced but not issued, as far as it is public: its name and its key
/// algorithm. Deliberately **not** a [`CardProfile`]: no AID, file ID, access rule or APDU
/// order of it is public (`docs/card-protocol.md`, "The next-generation card"), so none is
/// invented, and no flow, policy or virtual card reads it. What it carries is the seam of
/// issue 14 item 5: its [`AuthAlgorithm`] is one the eligibility service verifies, proven
/// with a test certificate (the `next_generation` personas) through the service's HTTP API.
/// When its file map is published it becomes a [`CardProfile`] with `auth_algorithm` set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnnouncedToken {
    /// Its name, in English with the Japanese term.
    pub name: &'static str,
    /// The announced key algorithm of its authentication key.
    pub auth_algorithm: AuthAlgorithm,
    /// The announced key, e.g. `"ECDSA P-384"`.
    pub key: &'static str,
    /// When it is expected, as announced.
    pub expected: &'static str,
}

/// The next-generation My Number Card (次期個人番号カード): announced with ECDSA P-384 /
/// SHA-384 instead of RSA-2048, about FY2028 (`shared/domain/card.md`, "Next-generation
/// card"). No AIDs or file IDs are public.
pub const NEXT_GENERATION_CARD: AnnouncedToken = AnnouncedToken {
    name: "next-generation My Number Card (次期個人番号カード)",
    auth_algorithm: AuthAlgorithm::Es384,
    key: "ECDSA P-384",
    expected: "about FY2028 (announced)",
};

/// Tries of the signing password (署名用パスワード) on a fresh card.
pub const SIGN_PASSWORD_TRIES: u8 = 5;
/// Tries of the 券面事項入力補助AP PIN on a fresh card.
pub const CARD_INFO_INPUT_PIN_TRIES: u8 = 3;

#[cfg(test)]
mod tests {
    use super::*;

    /// The named files are the table's, with the access class their name says.
    #[test]
    fn every_named_file_is_in_its_application_with_its_access() {
        let p = MY_NUMBER_CARD;
        let jpki = [
            (p.auth_ca_certificate, Access::Free),
            (p.token_info, Access::Free),
            (p.sign_certificate, Access::SignPassword),
            (p.sign_ca_certificate, Access::Free),
            (p.sign_key, Access::SignKey),
            (p.sign_password, Access::PinObject),
        ];
        for (fid, access) in jpki {
            assert_eq!(p.jpki.file(fid).unwrap().access, access, "{fid}");
        }
        let input = [
            (p.my_number, Access::AppPin),
            (p.basic_info, Access::AppPin),
            (p.card_info_input_pin, Access::PinObject),
        ];
        for (fid, access) in input {
            assert_eq!(p.card_info_input.file(fid).unwrap().access, access, "{fid}");
        }
    }

    #[test]
    fn the_flows_use_the_named_files_and_the_key_algorithm_is_rs256() {
        let p = MY_NUMBER_CARD;
        assert_eq!(p.pin_flow[..p.visual_flow.len()], *p.visual_flow);
        assert!(p.pin_flow.contains(&FlowStep::SelectEf(p.auth_pin)));
        assert!(p.pin_flow.contains(&FlowStep::SelectEf(p.auth_key)));
        assert_eq!(p.pin_flow.last(), Some(&FlowStep::Sign));
        let a = p.auth_algorithm;
        assert_eq!(
            (a.jose.as_str(), a.signature_len(), a.digest_info_len()),
            ("RS256", 256, 51)
        );
        assert_eq!(ins::name(ins::READ_BINARY), Some("READ BINARY"));
        assert_eq!(ins::name(0x88), None);
    }

    /// Issue 14: the Android phone's table differs from the card's only where
    /// `docs/phones.md` says it does: 000A behind the auth PIN, no 目視, VERIFY before the
    /// certificate.
    #[test]
    fn issue_14_the_android_profile_verifies_before_it_reads() {
        let a = ANDROID_PHONE;
        assert_eq!(a.jpki.aid, MY_NUMBER_CARD.jpki.aid);
        assert_eq!(
            a.jpki.file(a.auth_certificate).unwrap().access,
            Access::AuthPin
        );
        assert!(a.visual_flow.is_empty());
        assert!(!a.eligibility_readable.contains(&a.auth_certificate));
        let at = |step| a.pin_flow.iter().position(|s| *s == step).unwrap();
        assert!(at(FlowStep::PinStatus) < at(FlowStep::VerifyPin));
        assert!(at(FlowStep::VerifyPin) < at(FlowStep::ReadCertificate));
        assert!(at(FlowStep::ReadCertificate) < at(FlowStep::Sign));
        assert_eq!(a.pin_flow[0], FlowStep::SelectJpki);
        assert_eq!(
            a.pin_flow
                .iter()
                .filter(|s| **s == FlowStep::SelectJpki)
                .count(),
            1
        );
        assert_eq!(a.pin_flow.len(), MY_NUMBER_CARD.pin_flow.len());
        for fid in a.eligibility_readable {
            assert_eq!(a.jpki.file(*fid).unwrap().access, Access::Free);
        }
        let flow = with_token_detection(MY_NUMBER_CARD.visual_flow);
        assert_eq!(
            flow,
            [
                FlowStep::SelectJpki,
                FlowStep::SelectEf(TOKEN_INFO),
                FlowStep::ReadTokenLabel,
                FlowStep::SelectEf(AUTH_CERTIFICATE),
                FlowStep::ReadCertificate,
            ]
        );
        assert_eq!(with_token_detection(&[]), TOKEN_DETECTION);
    }

    /// Issue 14 item 5: the algorithm names round-trip and nothing else parses; the
    /// next-generation card is its algorithm only (no file map to invent).
    #[test]
    fn issue_14_algorithms_have_their_jose_names() {
        for a in AuthAlgorithm::ALL {
            assert_eq!(AuthAlgorithm::parse(a.as_str()), Some(*a));
            let json = serde_json::to_string(a).unwrap();
            assert_eq!(json, format!("\"{a}\""));
            assert_eq!(serde_json::from_str::<AuthAlgorithm>(&json).unwrap(), *a);
        }
        for unknown in ["rs256", "ES256", "ES512", "PS256", "", "RS256 "] {
            assert_eq!(AuthAlgorithm::parse(unknown), None, "{unknown:?}");
            assert!(serde_json::from_str::<AuthAlgorithm>(&format!("{unknown:?}")).is_err());
        }
        assert_eq!(MY_NUMBER_CARD.auth_algorithm.jose, AuthAlgorithm::Rs256);
        assert_eq!(ANDROID_PHONE.auth_algorithm.jose, AuthAlgorithm::Rs256);
        assert_eq!(NEXT_GENERATION_CARD.auth_algorithm, AuthAlgorithm::Es384);
    }

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
        for fid in p.eligibility_readable {
            assert_eq!(p.jpki.file(*fid).unwrap().access, Access::Free);
        }
        assert_eq!(Fid(0x000A).to_string(), "000A");
        assert_eq!(Fid(0x000A).to_bytes(), [0x00, 0x0A]);
    }
}
