//! The APDU policy: what a web page may send to the card through `transmit`.
//!
//! The bridge is the trust boundary. A page — even an allowed origin after an XSS — must not
//! be able to read the 個人番号, use the signing certificate or key, make the auth key sign
//! arbitrary data, or burn PIN tries. So `transmit` is not a relay: every command is decoded
//! strictly ([`Command::decode`]), checked against the profile below, and only then sent.
//! PIN verification and signing happen inside the bridge (`authenticate`), never through
//! `transmit`.
//!
//! Profile `eligibility` (the default and only one) allows exactly:
//! - `SELECT` of the JPKI-AP by AID (`00 A4 04 0C|00 0A D392F000260100000001`);
//! - inside it, `SELECT` of EF `000A` (auth certificate), `000B` (its CA), `0006` (token info)
//!   (`00 A4 02 0C|00 02 <FID>`);
//! - `READ BINARY` (`00 B0`, offset form, short or extended `Le`) of the EF selected by such
//!   a SELECT.
//!
//! Everything else is refused before it reaches the card: other applications, other EFs
//! (signing certificate `0001`, keys, PIN objects), the short-EF-identifier forms of READ
//! BINARY (they select implicitly), `VERIFY`, `COMPUTE DIGITAL SIGNATURE`, writes, secure
//! messaging or proprietary classes, and anything that does not decode as an ISO case.
//!
//! The policy tracks what the *page* has selected, per session. A SELECT changes the tracked
//! state only once the card answered `9000` ([`Policy::record`]) — a failed SELECT leaves
//! the tracked selection where it was. The bridge's own `pinStatus`/`authenticate` select the
//! PIN and key EFs; they tell the policy through [`Policy::internal_selection`], so a
//! following READ BINARY is refused until the page selects an allowed EF again.
//!
//! ## The card's selection is not the bridge's alone (issue 11)
//! Between two of the bridge's PC/SC transactions any other program on the PC (shared mode,
//! as every card program uses) can select another application, verify its PIN and select
//! its files — the 券面事項入力補助AP and its EF `0001` (the 個人番号) included — and leave the
//! card so. The tracked selection is therefore only a statement of *what the page asked
//! for*, never of what the card has now. So every allowed command says what it relies on
//! ([`Allowed::relies_on`]): a `SELECT` of an EF relies on the JPKI-AP being current, a
//! `READ BINARY` on the JPKI-AP and the EF. The bridge sends such a command only inside a
//! transaction that first re-selects what it relies on (`cards::transmit_page_command`);
//! inside one transaction no other program's command can come in between. A
//! `GET RESPONSE` relies on the card's previous answer, which another program may have
//! produced (a `61xx` after its own `READ BINARY` of `0001`); the page never needs one,
//! because the bridge follows a `61xx` itself inside the transaction of the command that
//! caused it, so a page's `GET RESPONSE` is refused ([`Denied::GetResponse`]).

use myna_core::apdu::Command;
use myna_core::profile::{CardProfile, Fid, MY_NUMBER_CARD, cla, ins, select};

/// The name of the only profile, as reported in `hello`.
pub const ELIGIBILITY: &str = "eligibility";

/// The EFs of the JPKI-AP that `transmit` may select and read: the card table's
/// [`CardProfile::eligibility_readable`] (auth certificate, its CA, token info).
pub const READABLE_FILES: &[Fid] = MY_NUMBER_CARD.eligibility_readable;

/// Why a command was refused. Each is reported as `policy-denied` with this as the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Denied {
    /// The bytes are not a well-formed command APDU.
    #[error("not a well-formed command APDU: {0}")]
    Malformed(#[from] myna_core::apdu::ApduError),
    /// Secure messaging, chaining, logical channels or a proprietary class.
    #[error("class byte {0:02X} is not allowed")]
    Class(u8),
    /// An application other than the JPKI-AP.
    #[error("selecting this application is not allowed (only the JPKI-AP)")]
    Application,
    /// A SELECT form other than by-AID or EF-under-current-DF.
    #[error("this SELECT form (P1 {p1:02X}, P2 {p2:02X}) is not allowed")]
    SelectForm {
        /// P1 of the refused command.
        p1: u8,
        /// P2 of the refused command.
        p2: u8,
    },
    /// An EF outside the readable set, or an EF select outside the JPKI-AP.
    #[error("selecting EF {0} is not allowed")]
    File(Fid),
    /// READ BINARY when the current EF is not one of the readable files.
    #[error("READ BINARY is allowed only after selecting 000A, 000B or 0006 in the JPKI-AP")]
    ReadWithoutAllowedFile,
    /// READ BINARY in its short-EF-identifier form (an implicit select).
    #[error("READ BINARY with a short EF identifier is not allowed")]
    ShortEfIdentifier,
    /// GET RESPONSE: the card's pending answer may be another program's; the bridge follows
    /// `61xx` itself inside the transaction of the command that caused it.
    #[error(
        "GET RESPONSE is not sent for a page: the bridge fetches a 61xx answer itself, inside the transaction of the command that caused it"
    )]
    GetResponse,
    /// Any other instruction: VERIFY, signing, writes, …
    #[error("instruction {0:02X} is not allowed through transmit")]
    Instruction(u8),
}

/// What the card has selected, as far as this session knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Selection {
    /// Unknown or something the policy does not allow reading from.
    #[default]
    Unknown,
    /// The JPKI-AP, with this EF current (or none yet).
    Jpki(Option<Fid>),
}

/// What the card must have selected for an allowed command to mean what the policy allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reliance {
    /// Nothing: a `SELECT` of the JPKI-AP by its AID.
    Nothing,
    /// The JPKI-AP must be current (a `SELECT` of an EF inside it).
    JpkiAp,
    /// The JPKI-AP with this EF current (a `READ BINARY`).
    JpkiFile(Fid),
}

/// An allowed command, with the selection it relies on and the one it makes once the card
/// accepts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowed {
    relies_on: Reliance,
    selects: Option<Selection>,
}

impl Allowed {
    /// What must be (re)selected, in the same transaction, before the command is sent.
    pub fn relies_on(&self) -> Reliance {
        self.relies_on
    }
}

/// The per-session policy state.
#[derive(Debug, Clone)]
pub struct Policy {
    profile: &'static CardProfile,
    selection: Selection,
}

impl Default for Policy {
    fn default() -> Self {
        Policy::eligibility()
    }
}

impl Policy {
    /// The `eligibility` profile for the My Number Card, nothing selected yet.
    pub fn eligibility() -> Self {
        Policy {
            profile: &MY_NUMBER_CARD,
            selection: Selection::Unknown,
        }
    }

    /// What this session believes is selected.
    pub fn selection(&self) -> Selection {
        self.selection
    }

    /// Decides whether `apdu` may be sent. Nothing is recorded until [`Policy::record`].
    pub fn authorize(&self, apdu: &[u8]) -> Result<Allowed, Denied> {
        let cmd = Command::decode(apdu)?;
        if cmd.cla() != cla::ISO {
            return Err(Denied::Class(cmd.cla()));
        }
        match cmd.ins() {
            ins::SELECT => self.authorize_select(&cmd),
            ins::READ_BINARY => {
                if cmd.p1() & 0x80 != 0 {
                    return Err(Denied::ShortEfIdentifier);
                }
                match self.selection {
                    Selection::Jpki(Some(fid))
                        if self.profile.eligibility_readable.contains(&fid) =>
                    {
                        Ok(Allowed {
                            relies_on: Reliance::JpkiFile(fid),
                            selects: None,
                        })
                    }
                    _ => Err(Denied::ReadWithoutAllowedFile),
                }
            }
            ins::GET_RESPONSE => Err(Denied::GetResponse),
            other => Err(Denied::Instruction(other)),
        }
    }

    fn authorize_select(&self, cmd: &Command) -> Result<Allowed, Denied> {
        // P2 0C: no response data; 00: return FCI. Both select the same thing.
        if !matches!(cmd.p2(), select::P2_NO_RESPONSE_DATA | 0x00) {
            return Err(Denied::SelectForm {
                p1: cmd.p1(),
                p2: cmd.p2(),
            });
        }
        match cmd.p1() {
            select::P1_DF_NAME if cmd.data() == self.profile.jpki.aid => Ok(Allowed {
                relies_on: Reliance::Nothing,
                selects: Some(Selection::Jpki(None)),
            }),
            select::P1_DF_NAME => Err(Denied::Application),
            select::P1_EF => {
                let [hi, lo] = cmd.data() else {
                    return Err(Denied::SelectForm {
                        p1: cmd.p1(),
                        p2: cmd.p2(),
                    });
                };
                let fid = Fid(u16::from_be_bytes([*hi, *lo]));
                match self.selection {
                    Selection::Jpki(_) if self.profile.eligibility_readable.contains(&fid) => {
                        Ok(Allowed {
                            relies_on: Reliance::JpkiAp,
                            selects: Some(Selection::Jpki(Some(fid))),
                        })
                    }
                    _ => Err(Denied::File(fid)),
                }
            }
            p1 => Err(Denied::SelectForm { p1, p2: cmd.p2() }),
        }
    }

    /// Records the card's answer to an allowed command: a SELECT takes effect on `9000` only.
    pub fn record(&mut self, allowed: Allowed, response: &[u8]) {
        let ok = response.len() >= 2 && response[response.len() - 2..] == [0x90, 0x00];
        if let (Some(selection), true) = (allowed.selects, ok) {
            self.selection = selection;
        }
    }

    /// The bridge itself selected something (the PIN or key EF for `authenticate`), or the
    /// card was reset or reconnected (`None`): what `transmit` may read follows.
    pub fn internal_selection(&mut self, jpki_ef: Option<Fid>) {
        self.selection = match jpki_ef {
            Some(fid) => Selection::Jpki(Some(fid)),
            None => Selection::Unknown,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).unwrap()
    }

    const SELECT_JPKI: &str = "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01";
    /// SELECT EF `000A` (the auth certificate).
    const SELECT_000A: &str = "00 A4 02 0C 02 00 0A";
    const OK: [u8; 2] = [0x90, 0x00];

    /// Why the policy refuses `apdu` (hex); panics if it allows it.
    fn denied(policy: &Policy, apdu: &str) -> Denied {
        policy.authorize(&hex(apdu)).unwrap_err()
    }

    fn send(policy: &mut Policy, apdu: &str) -> Result<(), Denied> {
        let allowed = policy.authorize(&hex(apdu))?;
        policy.record(allowed, &OK);
        Ok(())
    }

    #[test]
    fn the_eligibility_reads_pass() {
        let mut p = Policy::eligibility();
        send(&mut p, SELECT_JPKI).unwrap();
        for ef in ["00 0A", "00 0B", "00 06"] {
            send(&mut p, &format!("00 A4 02 0C 02 {ef}")).unwrap();
            send(&mut p, "00 B0 00 00 04").unwrap();
            send(&mut p, "00 B0 00 04 00").unwrap();
            send(&mut p, "00 B0 01 00 00 05 DC").unwrap();
        }
        send(&mut p, "00 A4 04 00 0A D3 92 F0 00 26 01 00 00 00 01").unwrap();
    }

    #[test]
    fn other_applications_are_refused_including_the_my_number_one() {
        let p = Policy::eligibility();
        for aid in [
            "D3 92 10 00 31 00 01 01 04 08", // 券面事項入力補助AP (個人番号)
            "D3 92 10 00 31 00 01 01 04 02", // 券面AP
            "D3 92 10 00 31 00 01 01 04 01", // 住基AP
            "D3 92 F0 00 26 01 00 00 00",    // JPKI AID prefix (partial match)
            "D3 92 F0 00 26 01 00 00 00 01 00",
        ] {
            let len = hex(aid).len();
            let apdu = format!("00 A4 04 0C {len:02X} {aid}");
            assert_eq!(denied(&p, &apdu), Denied::Application, "{aid}");
        }
        // Select by path, MF, parent: all other SELECT forms.
        for apdu in [
            "00 A4 00 00",
            "00 A4 08 0C 02 00 0A",
            "00 A4 03 0C",
            "00 A4 04 04 02 3F 00",
        ] {
            assert!(
                matches!(p.authorize(&hex(apdu)), Err(Denied::SelectForm { .. })),
                "{apdu}"
            );
        }
    }

    #[test]
    fn protected_files_are_refused_inside_the_jpki_ap() {
        let mut p = Policy::eligibility();
        send(&mut p, SELECT_JPKI).unwrap();
        for fid in [
            0x0001, 0x0002, 0x0017, 0x0018, 0x001A, 0x001B, 0x0011, 0x3F00,
        ] {
            let apdu = format!("00 A4 02 0C 02 {:02X} {:02X}", fid >> 8, fid & 0xFF);
            assert_eq!(denied(&p, &apdu), Denied::File(Fid(fid)), "{fid:04X}");
        }
    }

    #[test]
    fn a_readable_fid_is_refused_outside_the_jpki_ap() {
        // EF 0001/0002 of the 券面事項入力補助AP share FIDs with JPKI files; 000A does not
        // exist there, but the policy must not rely on that: no EF select without the JPKI-AP.
        let p = Policy::eligibility();
        assert_eq!(denied(&p, SELECT_000A), Denied::File(Fid(0x000A)));
    }

    #[test]
    fn reading_needs_an_allowed_current_file() {
        let mut p = Policy::eligibility();
        assert_eq!(denied(&p, "00 B0 00 00 04"), Denied::ReadWithoutAllowedFile);
        send(&mut p, SELECT_JPKI).unwrap();
        assert_eq!(denied(&p, "00 B0 00 00 04"), Denied::ReadWithoutAllowedFile);
        // Short-EF-identifier forms select implicitly: refused even for allowed files.
        send(&mut p, SELECT_000A).unwrap();
        assert_eq!(denied(&p, "00 B0 8A 00 04"), Denied::ShortEfIdentifier);
        assert_eq!(denied(&p, "00 B0 81 00 04"), Denied::ShortEfIdentifier);
    }

    /// Issue 11: every allowed command says what it relies on, so the bridge can re-select it
    /// inside the command's own transaction instead of trusting what it selected earlier.
    #[test]
    fn every_allowed_command_names_the_selection_it_relies_on() {
        let mut p = Policy::eligibility();
        let relies = |p: &Policy, apdu: &str| p.authorize(&hex(apdu)).unwrap().relies_on();
        assert_eq!(relies(&p, SELECT_JPKI), Reliance::Nothing);
        send(&mut p, SELECT_JPKI).unwrap();
        assert_eq!(relies(&p, SELECT_000A), Reliance::JpkiAp);
        for fid in [0x000A, 0x000B, 0x0006] {
            send(&mut p, &format!("00 A4 02 0C 02 00 {fid:02X}")).unwrap();
            assert_eq!(relies(&p, "00 B0 00 00 00"), Reliance::JpkiFile(Fid(fid)));
            assert_eq!(
                relies(&p, "00 B0 04 00 00 00 10"),
                Reliance::JpkiFile(Fid(fid))
            );
        }
    }

    #[test]
    fn a_failed_select_does_not_move_the_tracked_selection() {
        let mut p = Policy::eligibility();
        send(&mut p, SELECT_JPKI).unwrap();
        send(&mut p, SELECT_000A).unwrap();
        let allowed = p.authorize(&hex("00 A4 02 0C 02 00 06")).unwrap();
        p.record(allowed, &[0x6A, 0x82]);
        assert_eq!(p.selection(), Selection::Jpki(Some(Fid(0x000A))));
        let allowed = p.authorize(&hex(SELECT_JPKI)).unwrap();
        p.record(allowed, &[0x6A, 0x82]);
        assert_eq!(p.selection(), Selection::Jpki(Some(Fid(0x000A))));
        // A successful AP select clears the EF.
        let allowed = p.authorize(&hex(SELECT_JPKI)).unwrap();
        p.record(allowed, &OK);
        assert_eq!(p.selection(), Selection::Jpki(None));
    }

    #[test]
    fn internal_selections_of_the_bridge_close_reading() {
        let mut p = Policy::eligibility();
        send(&mut p, SELECT_JPKI).unwrap();
        send(&mut p, SELECT_000A).unwrap();
        // authenticate selected the key EF: reading "the current EF" must not pass now.
        p.internal_selection(Some(Fid(0x0017)));
        assert_eq!(denied(&p, "00 B0 00 00 04"), Denied::ReadWithoutAllowedFile);
        p.internal_selection(None);
        assert_eq!(p.selection(), Selection::Unknown);
        assert_eq!(denied(&p, SELECT_000A), Denied::File(Fid(0x000A)));
    }

    #[test]
    fn pin_signing_writes_and_other_classes_are_refused() {
        let mut p = Policy::eligibility();
        send(&mut p, SELECT_JPKI).unwrap();
        send(&mut p, SELECT_000A).unwrap();
        let cases: &[(&str, Denied)] = &[
            ("00 20 00 80 04 31 32 33 34", Denied::Instruction(0x20)), // VERIFY
            ("00 20 00 80", Denied::Instruction(0x20)),                // VERIFY status
            ("80 2A 00 80 02 AA BB 00", Denied::Class(0x80)),          // JPKI sign
            ("00 2A 9E 9A 02 AA BB 00", Denied::Instruction(0x2A)),    // ISO PSO
            ("00 88 00 00 02 AA BB 00", Denied::Instruction(0x88)),    // INTERNAL AUTH
            ("00 D6 00 00 01 00", Denied::Instruction(0xD6)),          // UPDATE BINARY
            (
                "00 24 00 80 08 31 32 33 34 35 36 37 38",
                Denied::Instruction(0x24),
            ),
            ("00 2C 00 80", Denied::Instruction(0x2C)), // RESET RETRY COUNTER
            ("00 84 00 00 08", Denied::Instruction(0x84)), // GET CHALLENGE
            ("00 CA 01 00 00", Denied::Instruction(0xCA)), // GET DATA
            ("0C B0 00 00 04", Denied::Class(0x0C)),    // secure messaging
            ("10 B0 00 00 04", Denied::Class(0x10)),    // command chaining
            ("01 B0 00 00 04", Denied::Class(0x01)),    // logical channel 1
            ("00 C0 01 00 00", Denied::GetResponse),
            ("00 C0 00 00 00", Denied::GetResponse),
        ];
        for (apdu, why) in cases {
            assert_eq!(p.authorize(&hex(apdu)).as_ref(), Err(why), "{apdu}");
        }
    }

    #[test]
    fn malformed_commands_are_refused() {
        let p = Policy::eligibility();
        for apdu in [
            "",
            "00",
            "00 A4 04",
            "00 A4 04 0C 0A D3 92",
            "00 B0 00 00 00 05",
        ] {
            assert!(
                matches!(p.authorize(&hex(apdu)), Err(Denied::Malformed(_))),
                "{apdu:?}"
            );
        }
    }
}
