//! Command and response APDUs (ISO/IEC 7816-3 §12.1, 7816-4 §5.1), short and extended.
//!
//! [`Command::decode`] is strict: it accepts exactly the seven ISO cases (1, 2S, 3S, 4S, 2E,
//! 3E, 4E) and rejects any length that does not match one, so a policy that inspects a
//! decoded command sees what the card would see. Command data is zeroized on drop because a
//! `VERIFY` carries a PIN; [`Command::encode`] returns a [`Zeroizing`] buffer for the same
//! reason.

use zeroize::{Zeroize, Zeroizing};

use crate::profile::{Fid, MY_NUMBER_CARD, cla, ins, select};
use crate::sw::StatusWord;

/// Why bytes are not a valid APDU, or a command cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApduError {
    /// A command APDU needs at least CLA INS P1 P2.
    #[error("command APDU is {len} bytes; at least 4 are needed")]
    CommandTooShort {
        /// The length received.
        len: usize,
    },
    /// The length fields do not describe the bytes that follow (no ISO case matches).
    #[error("command APDU of {len} bytes matches no ISO 7816-3 case")]
    LengthMismatch {
        /// The length received.
        len: usize,
    },
    /// Command data longer than 65535 bytes.
    #[error("command data of {len} bytes exceeds 65535")]
    DataTooLong {
        /// The data length asked for.
        len: usize,
    },
    /// `Le` must be 1–65536.
    #[error("Le {le} is outside 1..=65536")]
    LeOutOfRange {
        /// The value asked for.
        le: u32,
    },
    /// READ BINARY offsets are 15 bits (P1 bit 8 selects the short-EF form).
    #[error("READ BINARY offset {offset} exceeds 32767")]
    OffsetTooLarge {
        /// The offset asked for.
        offset: usize,
    },
    /// A response APDU needs at least SW1 SW2.
    #[error("response APDU is {len} bytes; at least 2 are needed")]
    ResponseTooShort {
        /// The length received.
        len: usize,
    },
}

/// The ISO 7816-3 case of a command: which of Lc/data and Le are present, and in which form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// No data, no Le.
    Case1,
    /// Le only, short form.
    Case2Short,
    /// Lc + data, short form.
    Case3Short,
    /// Lc + data + Le, short form.
    Case4Short,
    /// Le only, extended form.
    Case2Extended,
    /// Lc + data, extended form.
    Case3Extended,
    /// Lc + data + Le, extended form.
    Case4Extended,
}

/// A command APDU.
#[derive(Clone, PartialEq, Eq)]
pub struct Command {
    cla: u8,
    ins: u8,
    p1: u8,
    p2: u8,
    data: Vec<u8>,
    le: Option<u32>,
    extended: bool,
}

impl Drop for Command {
    fn drop(&mut self) {
        self.data.zeroize();
    }
}

impl core::fmt::Debug for Command {
    /// Shows the header and lengths only: command data may be a PIN.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "Command({:02X} {:02X} {:02X} {:02X}, {} data bytes, Le {:?})",
            self.cla,
            self.ins,
            self.p1,
            self.p2,
            self.data.len(),
            self.le
        )
    }
}

const fn check_le(le: u32) -> Result<u32, ApduError> {
    if le == 0 || le > 65536 {
        Err(ApduError::LeOutOfRange { le })
    } else {
        Ok(le)
    }
}

impl Command {
    fn build(
        header: [u8; 4],
        data: Vec<u8>,
        le: Option<u32>,
        force_extended: bool,
    ) -> Result<Self, ApduError> {
        let mut data = Zeroizing::new(data);
        if data.len() > 65535 {
            return Err(ApduError::DataTooLong { len: data.len() });
        }
        if let Some(le) = le {
            check_le(le)?;
        }
        let extended = force_extended || data.len() > 255 || le.is_some_and(|le| le > 256);
        Ok(Command {
            cla: header[0],
            ins: header[1],
            p1: header[2],
            p2: header[3],
            data: core::mem::take(&mut *data),
            le,
            extended,
        })
    }

    /// Case 1: header only.
    pub fn case1(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        Command {
            cla,
            ins,
            p1,
            p2,
            data: Vec::new(),
            le: None,
            extended: false,
        }
    }

    /// Case 2: expects up to `le` response bytes (1–65536; above 256 the extended form).
    pub fn case2(cla: u8, ins: u8, p1: u8, p2: u8, le: u32) -> Result<Self, ApduError> {
        Self::build([cla, ins, p1, p2], Vec::new(), Some(le), false)
    }

    /// Case 3: sends `data` (1–65535 bytes; above 255 the extended form), expects none.
    pub fn case3(cla: u8, ins: u8, p1: u8, p2: u8, data: Vec<u8>) -> Result<Self, ApduError> {
        if data.is_empty() {
            return Ok(Self::case1(cla, ins, p1, p2));
        }
        Self::build([cla, ins, p1, p2], data, None, false)
    }

    /// Case 4: sends `data` and expects up to `le` response bytes.
    pub fn case4(
        cla: u8,
        ins: u8,
        p1: u8,
        p2: u8,
        data: Vec<u8>,
        le: u32,
    ) -> Result<Self, ApduError> {
        if data.is_empty() {
            return Self::case2(cla, ins, p1, p2, le);
        }
        Self::build([cla, ins, p1, p2], data, Some(le), false)
    }

    /// This command in the extended-length form even where the short form would do.
    pub fn into_extended(mut self) -> Self {
        if !self.data.is_empty() || self.le.is_some() {
            self.extended = true;
        }
        self
    }

    /// `SELECT` an application by AID without response data: `00 A4 04 0C Lc <AID>`.
    pub fn select_application(aid: &[u8]) -> Self {
        Self::case3(
            cla::ISO,
            ins::SELECT,
            select::P1_DF_NAME,
            select::P2_NO_RESPONSE_DATA,
            aid.to_vec(),
        )
        .expect("an AID is at most 16 bytes")
    }

    /// `SELECT` an EF of the current application: `00 A4 02 0C 02 <FID>`.
    pub fn select_ef(fid: Fid) -> Self {
        Self::case3(
            cla::ISO,
            ins::SELECT,
            select::P1_EF,
            select::P2_NO_RESPONSE_DATA,
            fid.to_bytes().to_vec(),
        )
        .expect("two bytes")
    }

    /// `READ BINARY` of the current EF: `00 B0 <offset hi> <offset lo> <Le>` (`Le` 1–65536).
    pub fn read_binary(offset: usize, le: u32) -> Result<Self, ApduError> {
        if offset > 0x7FFF {
            return Err(ApduError::OffsetTooLarge { offset });
        }
        Self::case2(
            cla::ISO,
            ins::READ_BINARY,
            (offset >> 8) as u8,
            offset as u8,
            le,
        )
    }

    /// `VERIFY` the PIN object `P2` refers to: `00 20 00 <P2> <Lc> <PIN>`.
    pub fn verify(p2: u8, pin: &[u8]) -> Self {
        Self::case3(cla::ISO, ins::VERIFY, 0x00, p2, pin.to_vec())
            .expect("a PIN is at most 16 bytes")
    }

    /// `VERIFY` with no data: asks for the tries left without using one (`00 20 00 <P2>`).
    pub fn verify_status(p2: u8) -> Self {
        Self::case1(cla::ISO, ins::VERIFY, 0x00, p2)
    }

    /// `GET RESPONSE`: `00 C0 00 00 <Le>` (`Le` 1–256).
    pub fn get_response(le: u16) -> Result<Self, ApduError> {
        if le > 256 {
            return Err(ApduError::LeOutOfRange { le: le as u32 });
        }
        Self::case2(cla::ISO, ins::GET_RESPONSE, 0x00, 0x00, le as u32)
    }

    /// JPKI `COMPUTE DIGITAL SIGNATURE` with the key in the current EF over a DER
    /// DigestInfo (the card adds PKCS#1 v1.5 type-1 padding): `80 2A 00 80 <Lc> <data> 00`.
    pub fn compute_digital_signature(digest_info: &[u8]) -> Result<Self, ApduError> {
        let profile = &MY_NUMBER_CARD;
        Self::case4(
            cla::PROPRIETARY,
            ins::COMPUTE_DIGITAL_SIGNATURE,
            0x00,
            profile.current_ef_reference,
            digest_info.to_vec(),
            profile.auth_algorithm.signature_len() as u32,
        )
    }

    /// CLA.
    pub fn cla(&self) -> u8 {
        self.cla
    }
    /// INS.
    pub fn ins(&self) -> u8 {
        self.ins
    }
    /// P1.
    pub fn p1(&self) -> u8 {
        self.p1
    }
    /// P2.
    pub fn p2(&self) -> u8 {
        self.p2
    }
    /// The command data (empty for cases 1 and 2).
    pub fn data(&self) -> &[u8] {
        &self.data
    }
    /// The expected response length, 1–65536, if any.
    pub fn le(&self) -> Option<u32> {
        self.le
    }
    /// Whether this command uses the extended-length form.
    pub fn is_extended(&self) -> bool {
        self.extended
    }

    /// This command with another `Le` (for a `6Cxx` resend).
    pub fn with_le(&self, le: u32) -> Result<Self, ApduError> {
        Self::build(
            [self.cla, self.ins, self.p1, self.p2],
            self.data.clone(),
            Some(le),
            self.extended,
        )
    }

    /// Its ISO 7816-3 case.
    pub fn case(&self) -> Case {
        match (self.data.is_empty(), self.le.is_some(), self.extended) {
            (true, false, _) => Case::Case1,
            (true, true, false) => Case::Case2Short,
            (false, false, false) => Case::Case3Short,
            (false, true, false) => Case::Case4Short,
            (true, true, true) => Case::Case2Extended,
            (false, false, true) => Case::Case3Extended,
            (false, true, true) => Case::Case4Extended,
        }
    }

    /// The bytes sent to the card.
    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(9 + self.data.len()));
        out.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        let le_short = |le: u32| if le == 256 { 0 } else { le as u8 };
        let le_ext = |le: u32| {
            if le == 65536 {
                [0, 0]
            } else {
                (le as u16).to_be_bytes()
            }
        };
        if self.extended {
            out.push(0x00);
            if !self.data.is_empty() {
                out.extend_from_slice(&(self.data.len() as u16).to_be_bytes());
                out.extend_from_slice(&self.data);
            }
            if let Some(le) = self.le {
                out.extend_from_slice(&le_ext(le));
            }
        } else {
            if !self.data.is_empty() {
                out.push(self.data.len() as u8);
                out.extend_from_slice(&self.data);
            }
            if let Some(le) = self.le {
                out.push(le_short(le));
            }
        }
        out
    }

    /// Parses command bytes, accepting exactly the ISO 7816-3 cases.
    pub fn decode(bytes: &[u8]) -> Result<Self, ApduError> {
        let len = bytes.len();
        if len < 4 {
            return Err(ApduError::CommandTooShort { len });
        }
        let header = [bytes[0], bytes[1], bytes[2], bytes[3]];
        let body = &bytes[4..];
        let short_le = |b: u8| if b == 0 { 256 } else { b as u32 };
        let ext_le = |hi: u8, lo: u8| match u16::from_be_bytes([hi, lo]) {
            0 => 65536,
            n => n as u32,
        };
        let mismatch = ApduError::LengthMismatch { len };
        match body {
            [] => Ok(Self::case1(header[0], header[1], header[2], header[3])),
            [le] => Self::build(header, Vec::new(), Some(short_le(*le)), false),
            [0, hi, lo] => Self::build(header, Vec::new(), Some(ext_le(*hi, *lo)), true),
            [lc, rest @ ..] if *lc != 0 => {
                let lc = *lc as usize;
                if rest.len() == lc {
                    Self::build(header, rest.to_vec(), None, false)
                } else if rest.len() == lc + 1 {
                    Self::build(header, rest[..lc].to_vec(), Some(short_le(rest[lc])), false)
                } else {
                    Err(mismatch)
                }
            }
            [0, hi, lo, rest @ ..] => {
                let lc = u16::from_be_bytes([*hi, *lo]) as usize;
                if lc == 0 {
                    Err(mismatch)
                } else if rest.len() == lc {
                    Self::build(header, rest.to_vec(), None, true)
                } else if rest.len() == lc + 2 {
                    let le = ext_le(rest[lc], rest[lc + 1]);
                    Self::build(header, rest[..lc].to_vec(), Some(le), true)
                } else {
                    Err(mismatch)
                }
            }
            _ => Err(mismatch),
        }
    }
}

/// A response APDU: data followed by a status word.
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    /// The response data (may be empty).
    pub data: Vec<u8>,
    /// SW1 SW2.
    pub sw: StatusWord,
}

impl core::fmt::Debug for Response {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Response({} data bytes, {:?})", self.data.len(), self.sw)
    }
}

impl Response {
    /// A response with data and a status word.
    pub fn new(data: Vec<u8>, sw: StatusWord) -> Self {
        Response { data, sw }
    }

    /// A data-less response carrying only `sw`.
    pub fn status(sw: StatusWord) -> Self {
        Response {
            data: Vec::new(),
            sw,
        }
    }

    /// Splits raw response bytes into data and status word.
    pub fn decode(bytes: &[u8]) -> Result<Self, ApduError> {
        if bytes.len() < 2 {
            return Err(ApduError::ResponseTooShort { len: bytes.len() });
        }
        let (data, sw) = bytes.split_at(bytes.len() - 2);
        Ok(Response {
            data: data.to_vec(),
            sw: StatusWord::new(sw[0], sw[1]),
        })
    }

    /// Data followed by SW1 SW2.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.data.len() + 2);
        out.extend_from_slice(&self.data);
        out.extend_from_slice(&self.sw.to_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{JPKI_AID, MY_NUMBER_CARD};
    use crate::transport::testing::hex;

    #[test]
    fn builders_produce_the_documented_bytes() {
        assert_eq!(
            *Command::select_application(JPKI_AID).encode(),
            hex("00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01")
        );
        assert_eq!(
            *Command::select_ef(MY_NUMBER_CARD.auth_certificate).encode(),
            hex("00 A4 02 0C 02 00 0A")
        );
        assert_eq!(
            *Command::read_binary(0, 4).unwrap().encode(),
            hex("00 B0 00 00 04")
        );
        assert_eq!(
            *Command::read_binary(0x104, 256).unwrap().encode(),
            hex("00 B0 01 04 00")
        );
        assert_eq!(
            *Command::read_binary(4, 1500).unwrap().encode(),
            hex("00 B0 00 04 00 05 DC")
        );
        assert_eq!(
            *Command::verify(0x80, b"1234").encode(),
            hex("00 20 00 80 04 31 32 33 34")
        );
        assert_eq!(*Command::verify_status(0x80).encode(), hex("00 20 00 80"));
        assert_eq!(
            *Command::get_response(256).unwrap().encode(),
            hex("00 C0 00 00 00")
        );
        let sig = Command::compute_digital_signature(&[0xAA; 51])
            .unwrap()
            .encode();
        assert_eq!(&sig[..5], &hex("80 2A 00 80 33")[..]);
        assert_eq!(sig.len(), 5 + 51 + 1);
        assert_eq!(sig[sig.len() - 1], 0x00);
    }

    #[test]
    fn decode_accepts_every_iso_case_and_round_trips() {
        let cases = [
            ("00 B0 00 00", Case::Case1),
            ("00 B0 00 00 00", Case::Case2Short),
            ("00 A4 02 0C 02 00 0A", Case::Case3Short),
            ("80 2A 00 80 02 AA BB 00", Case::Case4Short),
            ("00 B0 00 00 00 00 00", Case::Case2Extended),
            ("00 B0 00 00 00 05 DC", Case::Case2Extended),
            ("00 A4 02 0C 00 00 02 00 0A", Case::Case3Extended),
            ("80 2A 00 80 00 00 02 AA BB 01 00", Case::Case4Extended),
        ];
        for (bytes, case) in cases {
            let raw = hex(bytes);
            let cmd = Command::decode(&raw).unwrap();
            assert_eq!(cmd.case(), case, "{bytes}");
            assert_eq!(*cmd.encode(), raw, "{bytes}");
        }
        let ext = Command::decode(&hex("00 B0 00 00 00 00 00")).unwrap();
        assert_eq!(ext.le(), Some(65536));
        let short = Command::decode(&hex("00 B0 00 00 00")).unwrap();
        assert_eq!(short.le(), Some(256));
    }

    #[test]
    fn decode_rejects_lengths_that_match_no_case() {
        assert_eq!(
            Command::decode(&hex("00 A4 02")),
            Err(ApduError::CommandTooShort { len: 3 })
        );
        for bad in [
            "00 A4 02 0C 02 00",             // Lc says 2, one byte follows
            "00 A4 02 0C 02 00 0A 00 00",    // two bytes too many
            "00 A4 02 0C 00 00",             // extended marker, truncated
            "00 A4 02 0C 00 00 00 00 0A",    // extended Lc of zero
            "00 A4 02 0C 00 00 02 00 0A 00", // extended case 4 missing a Le byte
        ] {
            assert!(
                matches!(
                    Command::decode(&hex(bad)),
                    Err(ApduError::LengthMismatch { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn builders_check_their_ranges() {
        assert_eq!(
            Command::read_binary(0x8000, 4),
            Err(ApduError::OffsetTooLarge { offset: 0x8000 })
        );
        assert_eq!(
            Command::case2(0, 0xB0, 0, 0, 0),
            Err(ApduError::LeOutOfRange { le: 0 })
        );
        assert_eq!(
            Command::case2(0, 0xB0, 0, 0, 65537),
            Err(ApduError::LeOutOfRange { le: 65537 })
        );
        assert_eq!(
            Command::case3(0, 0xD6, 0, 0, vec![0; 65536]),
            Err(ApduError::DataTooLong { len: 65536 })
        );
        assert_eq!(
            Command::get_response(257),
            Err(ApduError::LeOutOfRange { le: 257 })
        );
        let resent = Command::read_binary(0, 256).unwrap().with_le(0x20).unwrap();
        assert_eq!(*resent.encode(), hex("00 B0 00 00 20"));
        assert!(
            Command::read_binary(0, 4)
                .unwrap()
                .into_extended()
                .is_extended()
        );
    }

    #[test]
    fn debug_never_shows_command_data() {
        let text = format!("{:?}", Command::verify(0x80, b"1234"));
        assert!(!text.contains("31 32") && !text.contains("1234"), "{text}");
    }

    #[test]
    fn responses_split_data_and_status() {
        let r = Response::decode(&hex("01 02 90 00")).unwrap();
        assert_eq!(r.data, vec![1, 2]);
        assert_eq!(r.sw, StatusWord::OK);
        assert_eq!(r.encode(), hex("01 02 90 00"));
        assert_eq!(
            Response::decode(&[0x90]),
            Err(ApduError::ResponseTooShort { len: 1 })
        );
        assert_eq!(
            Response::status(StatusWord::FILE_NOT_FOUND).encode(),
            hex("6A 82")
        );
    }
}
