//! How the card answers each command: `SELECT`, `READ BINARY`, `VERIFY`, `CHANGE REFERENCE
//! DATA`, `COMPUTE DIGITAL SIGNATURE` (the behaviour is listed in the crate documentation).

use myna_core::apdu::{Command, Response};
use myna_core::profile::{Fid, MY_NUMBER_CARD, cla, ins, select};
use myna_core::sw::StatusWord;
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, Pss};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::pin::PinObject;
use crate::{Ef, PartialRead, VerifyStatusWhenVerified, VirtualCard, status};

/// `6981`: command incompatible with file structure (reading a key, verifying a certificate).
const SW_INCOMPATIBLE_FILE: StatusWord = StatusWord(0x6981);

impl VirtualCard {
    /// The response and the number of RSA operations performed.
    pub(crate) fn process(&mut self, raw: &[u8]) -> (Response, u32) {
        let (Some(&cla), Some(&ins)) = (raw.first(), raw.get(1)) else {
            return status(StatusWord::WRONG_LENGTH);
        };
        match (cla, ins) {
            (
                cla::ISO,
                ins::SELECT
                | ins::READ_BINARY
                | ins::VERIFY
                | ins::CHANGE_REFERENCE_DATA
                | ins::GET_RESPONSE,
            )
            | (cla::PROPRIETARY, ins::COMPUTE_DIGITAL_SIGNATURE) => {}
            (cla::ISO | cla::PROPRIETARY, _) => return status(StatusWord::INS_NOT_SUPPORTED),
            _ => return status(StatusWord::CLA_NOT_SUPPORTED),
        }
        let Ok(cmd) = Command::decode(raw) else {
            return status(StatusWord::WRONG_LENGTH);
        };
        match ins {
            ins::SELECT => status(self.select(&cmd)),
            ins::READ_BINARY => (self.read_binary(&cmd), 0),
            ins::VERIFY => status(self.verify(&cmd)),
            ins::CHANGE_REFERENCE_DATA => status(self.change_reference_data(&cmd)),
            ins::COMPUTE_DIGITAL_SIGNATURE => self.compute_signature(&cmd),
            // GET RESPONSE: this card never leaves response bytes waiting.
            _ => status(StatusWord::CONDITIONS_NOT_SATISFIED),
        }
    }

    fn select(&mut self, cmd: &Command) -> StatusWord {
        match cmd.p1() {
            select::P1_DF_NAME => self.select_application(cmd),
            select::P1_EF => self.select_ef(cmd),
            select::P1_MF_OR_FILE_ID => self.select_mf_or_file(cmd),
            _ => StatusWord::INCORRECT_P1_P2,
        }
    }

    fn select_application(&mut self, cmd: &Command) -> StatusWord {
        let name = cmd.data();
        if name.is_empty() || name.len() > 16 {
            return StatusWord::WRONG_LENGTH;
        }
        // An unknown AID is "not found" whatever P2 asks for (OpenSC's other drivers probe
        // with P2 = 00); only the applications the card has are picky about P2.
        let Some(index) = self.apps.iter().position(|a| a.def.aid.starts_with(name)) else {
            return StatusWord::FILE_NOT_FOUND;
        };
        if cmd.p2() != select::P2_NO_RESPONSE_DATA {
            return StatusWord::INCORRECT_P1_P2;
        }
        if self.current_app != Some(index) {
            self.verified.clear();
        }
        self.current_app = Some(index);
        self.current_ef = None;
        StatusWord::OK
    }

    fn select_ef(&mut self, cmd: &Command) -> StatusWord {
        if cmd.p2() != select::P2_NO_RESPONSE_DATA {
            return StatusWord::INCORRECT_P1_P2;
        }
        self.select_file_id(cmd.data())
    }

    /// Makes the EF named by a two-byte file ID in the current application current.
    fn select_file_id(&mut self, data: &[u8]) -> StatusWord {
        let [hi, lo] = data else {
            return StatusWord::WRONG_LENGTH;
        };
        let fid = Fid(u16::from_be_bytes([*hi, *lo]));
        match self.current_app {
            Some(app) if self.apps[app].files.contains_key(&fid) => {
                self.current_ef = Some(fid);
                StatusWord::OK
            }
            _ => StatusWord::FILE_NOT_FOUND,
        }
    }

    /// `P1 = 00`: the MF without data, or a file ID.
    fn select_mf_or_file(&mut self, cmd: &Command) -> StatusWord {
        if !matches!(cmd.p2(), 0x00 | select::P2_NO_RESPONSE_DATA) {
            return StatusWord::INCORRECT_P1_P2;
        }
        if cmd.data().is_empty() {
            // Real cards: 6A86 straight after reset; 9000 and no change inside an AP.
            return if self.current_app.is_some() {
                StatusWord::OK
            } else {
                StatusWord::INCORRECT_P1_P2
            };
        }
        self.select_file_id(cmd.data())
    }

    /// Resolves a short EF identifier in the current application and makes it current.
    fn select_by_sfi(&mut self, sfi: u8) -> Result<Fid, StatusWord> {
        if sfi == 0 || sfi > 0x1E {
            return Err(StatusWord::INCORRECT_P1_P2);
        }
        let fid = Fid(u16::from(sfi));
        match self.current_app {
            Some(app) if self.apps[app].files.contains_key(&fid) => {
                self.current_ef = Some(fid);
                Ok(fid)
            }
            _ => Err(StatusWord::FILE_NOT_FOUND),
        }
    }

    /// The EF a `P2` of `80` (current EF) or `80|SFI` names.
    fn ef_from_p2(&mut self, p2: u8) -> Result<Fid, StatusWord> {
        if p2 & 0xE0 != 0x80 {
            return Err(StatusWord::INCORRECT_P1_P2);
        }
        match p2 & 0x1F {
            0 => self.current_ef.ok_or(StatusWord::COMMAND_NOT_ALLOWED),
            sfi => self.select_by_sfi(sfi),
        }
    }

    fn current_file(&self, fid: Fid) -> Option<&Ef> {
        self.apps[self.current_app?].files.get(&fid)
    }

    fn read_binary(&mut self, cmd: &Command) -> Response {
        let fail = Response::status;
        if !cmd.data().is_empty() {
            return fail(StatusWord::WRONG_LENGTH);
        }
        let Some(le) = cmd.le() else {
            return fail(StatusWord::WRONG_LENGTH);
        };
        let (fid, offset) = if cmd.p1() & 0x80 != 0 {
            if cmd.p1() & 0x60 != 0 {
                return fail(StatusWord::INCORRECT_P1_P2);
            }
            match self.select_by_sfi(cmd.p1() & 0x1F) {
                Ok(fid) => (fid, usize::from(cmd.p2())),
                Err(sw) => return fail(sw),
            }
        } else {
            let Some(fid) = self.current_ef else {
                return fail(StatusWord::COMMAND_NOT_ALLOWED);
            };
            (fid, usize::from(u16::from_be_bytes([cmd.p1(), cmd.p2()])))
        };
        let (data, guard) = match self.current_file(fid) {
            Some(Ef::Binary { data, guard }) => (data, *guard),
            Some(_) => return fail(SW_INCOMPATIBLE_FILE),
            None => return fail(StatusWord::COMMAND_NOT_ALLOWED),
        };
        if let Some(pin) = guard
            && !self.verified.contains(&pin)
        {
            return fail(StatusWord::SECURITY_STATUS_NOT_SATISFIED);
        }
        if offset >= data.len() {
            return fail(StatusWord::WRONG_P1_P2);
        }
        let wanted = le as usize;
        let end = data.len().min(offset.saturating_add(wanted));
        let sw = if end - offset < wanted
            && self.options.partial_read == PartialRead::EndOfFileWarning
        {
            StatusWord::END_OF_FILE
        } else {
            StatusWord::OK
        };
        Response::new(data[offset..end].to_vec(), sw)
    }

    /// The PIN object `P2` names, made current.
    fn pin_from_p2(&mut self, p2: u8) -> Result<Fid, StatusWord> {
        let fid = self.ef_from_p2(p2)?;
        match self.current_file(fid) {
            Some(Ef::Pin(_)) => Ok(fid),
            _ => Err(SW_INCOMPATIBLE_FILE),
        }
    }

    fn pin_mut(&mut self, fid: Fid) -> Option<&mut PinObject> {
        match self.apps[self.current_app?].files.get_mut(&fid)? {
            Ef::Pin(pin) => Some(pin),
            _ => None,
        }
    }

    fn verify(&mut self, cmd: &Command) -> StatusWord {
        if cmd.p1() != 0x00 {
            return StatusWord::INCORRECT_P1_P2;
        }
        if cmd.le().is_some() || cmd.data().len() > 16 {
            return StatusWord::WRONG_LENGTH;
        }
        let fid = match self.pin_from_p2(cmd.p2()) {
            Ok(fid) => fid,
            Err(sw) => return sw,
        };
        let already_verified = self.verified.contains(&fid);
        let when_verified = self.options.verify_status_when_verified;
        let Some(pin) = self.pin_mut(fid) else {
            return StatusWord::COMMAND_NOT_ALLOWED;
        };
        if pin.value.is_none() {
            return StatusWord::REFERENCE_DATA_NOT_USABLE;
        }
        if cmd.data().is_empty() {
            if already_verified && when_verified == VerifyStatusWhenVerified::Success {
                return StatusWord::OK;
            }
            return StatusWord::verify_failed(pin.remaining);
        }
        if pin.remaining == 0 {
            return StatusWord::REFERENCE_DATA_NOT_USABLE;
        }
        if pin.matches(cmd.data()) {
            pin.remaining = pin.max;
            self.verified.insert(fid);
            StatusWord::OK
        } else {
            pin.remaining -= 1;
            let left = pin.remaining;
            self.verified.remove(&fid);
            StatusWord::verify_failed(left)
        }
    }

    fn change_reference_data(&mut self, cmd: &Command) -> StatusWord {
        if cmd.p1() != 0x01 {
            return StatusWord::INCORRECT_P1_P2;
        }
        if cmd.le().is_some() || cmd.data().is_empty() || cmd.data().len() > 16 {
            return StatusWord::WRONG_LENGTH;
        }
        let fid = match self.pin_from_p2(cmd.p2()) {
            Ok(fid) => fid,
            Err(sw) => return sw,
        };
        let verified = self.verified.contains(&fid);
        let Some(pin) = self.pin_mut(fid) else {
            return StatusWord::COMMAND_NOT_ALLOWED;
        };
        if pin.value.is_none() || pin.remaining == 0 {
            return StatusWord::REFERENCE_DATA_NOT_USABLE;
        }
        if !verified {
            return StatusWord::SECURITY_STATUS_NOT_SATISFIED;
        }
        if !pin.format.accepts(cmd.data()) {
            return StatusWord::WRONG_DATA;
        }
        pin.value = Some(Zeroizing::new(cmd.data().to_vec()));
        StatusWord::OK
    }

    fn compute_signature(&mut self, cmd: &Command) -> (Response, u32) {
        let scheme = cmd.p1();
        if scheme > 0x05 {
            return status(StatusWord::INCORRECT_P1_P2);
        }
        let fid = match self.ef_from_p2(cmd.p2()) {
            Ok(fid) => fid,
            Err(sw) => return status(sw),
        };
        let Some(app) = self.current_app else {
            return status(StatusWord::COMMAND_NOT_ALLOWED);
        };
        let (key, guard) = match self.apps[app].files.get(&fid) {
            Some(Ef::Key { key, guard }) => (key.as_ref(), *guard),
            Some(_) => return status(SW_INCOMPATIBLE_FILE),
            None => return status(StatusWord::COMMAND_NOT_ALLOWED),
        };
        let data = cmd.data();
        let k = key.size();
        let length_ok = match scheme {
            0x00 => (1..=k.saturating_sub(11)).contains(&data.len()),
            0x02 | 0x04 => data.len() == 32,
            _ => !data.is_empty(),
        };
        if !length_ok {
            return status(StatusWord::WRONG_LENGTH);
        }
        if let Some(le) = cmd.le()
            && (le as usize) < k
        {
            // 6Cxx: resend with Le = xx (00 meaning 256, the size of a 2048-bit signature).
            return status(StatusWord::wrong_le(k as u8));
        }
        if !self.verified.contains(&guard) {
            return status(StatusWord::SECURITY_STATUS_NOT_SATISFIED);
        }
        let pkcs1 = Pkcs1v15Sign::new_unprefixed;
        let rng = &mut self.rng;
        let signed = match scheme {
            0x00 => key.sign(pkcs1(), data),
            0x01 => key.sign(pkcs1(), &Sha256::digest(data)),
            0x02 => key.sign(pkcs1(), &digest_info(data)),
            0x03 => key.sign(pkcs1(), &digest_info(&Sha256::digest(data))),
            0x04 => key.sign_with_rng(rng, Pss::new::<Sha256>(), data),
            _ => key.sign_with_rng(rng, Pss::new::<Sha256>(), &Sha256::digest(data)),
        };
        match signed {
            Ok(signature) => (Response::new(signature, StatusWord::OK), 1),
            Err(_) => status(StatusWord::NO_PRECISE_DIAGNOSIS),
        }
    }
}

/// A SHA-256 DigestInfo around `hash` (schemes `02` and `03`).
pub(crate) fn digest_info(hash: &[u8]) -> Vec<u8> {
    let mut out = MY_NUMBER_CARD.auth_algorithm.digest_info_prefix.to_vec();
    out.extend_from_slice(hash);
    out
}
