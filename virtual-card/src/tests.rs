//! Every status-word path of the virtual card.

use std::sync::OnceLock;

use myna_core::profile::{CARD_INFO_INPUT_AID, CARD_SURFACE_AID, JPKI_AID, MY_NUMBER_CARD};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use rsa::{Pkcs1v15Sign, Pss, RsaPrivateKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::*;
use crate::commands::digest_info;
use myna_core::apdu::Command;

/// One 2048-bit key for all tests (generation is the slow part).
fn key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| {
        RsaPrivateKey::new(&mut ChaCha20Rng::seed_from_u64(7), 2048).expect("key generation")
    })
}

/// Certificate-shaped bytes: `30 82 LL LL` and a pattern (the card never parses them).
fn fake_der(total: usize, salt: u8) -> Vec<u8> {
    let body = total - 4;
    let mut out = vec![0x30, 0x82, (body >> 8) as u8, body as u8];
    out.extend((0..body).map(|i| (i as u8).wrapping_mul(31).wrapping_add(salt)));
    out
}

fn contents(pin: Option<&str>) -> CardContents {
    CardContents::new(fake_der(1500, 1), fake_der(1300, 2), key().clone(), pin)
}

fn card() -> VirtualCard {
    VirtualCard::new(contents(Some("1234"))).unwrap()
}

fn h(text: &str) -> Vec<u8> {
    hex::decode(text.replace(' ', "")).unwrap()
}

/// Sends hex, returns (data, SW).
fn tx(card: &mut VirtualCard, command: &str) -> (Vec<u8>, u16) {
    tx_bytes(card, &h(command))
}

fn tx_bytes(card: &mut VirtualCard, command: &[u8]) -> (Vec<u8>, u16) {
    let response = card.transmit(command).unwrap().response;
    let (data, sw) = response.split_at(response.len() - 2);
    (data.to_vec(), u16::from_be_bytes([sw[0], sw[1]]))
}

fn sw(card: &mut VirtualCard, command: &str) -> u16 {
    tx(card, command).1
}

/// Runs an APDU script: each line `COMMAND -> SW  note` sends the command (hex, or the name
/// of one of the `SELECT_*` commands below) and fails unless the card answers that status
/// word; `#` starts a comment line.
fn apdu_script(card: &mut VirtualCard, script: &str) {
    for line in script.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (command, answer) = line.split_once(" -> ").expect("COMMAND -> SW");
        let command = match command {
            "SELECT_JPKI" => SELECT_JPKI,
            "SELECT_INFO" => SELECT_INFO,
            "SELECT_SURFACE" => SELECT_SURFACE,
            hex => hex,
        };
        let want = answer.split_whitespace().next().expect("a status word");
        assert_eq!(format!("{:04X}", sw(card, command)), want, "{line}");
    }
}

const SELECT_JPKI: &str = "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01";
const SELECT_INFO: &str = "00 A4 04 0C 0A D3 92 10 00 31 00 01 01 04 08";
const SELECT_SURFACE: &str = "00 A4 04 0C 0A D3 92 10 00 31 00 01 01 04 02";

/// The current application's AID and the current EF.
fn selected(c: &VirtualCard) -> (Option<&'static [u8]>, Option<Fid>) {
    (c.current_application(), c.current_ef())
}

fn jpki_card() -> VirtualCard {
    let mut c = card();
    assert_eq!(sw(&mut c, SELECT_JPKI), 0x9000);
    c
}

/// Runs `script` ([`apdu_script`]) on a fresh card with JPKI selected; the card after it.
fn jpki_script(script: &str) -> VirtualCard {
    let mut c = jpki_card();
    apdu_script(&mut c, script);
    c
}

fn verify_auth_pin(c: &mut VirtualCard) {
    assert_eq!(sw(c, "00 A4 02 0C 02 00 18"), 0x9000);
    assert_eq!(sw(c, "00 20 00 80 04 31 32 33 34"), 0x9000);
}

/// The JPKI signature command `80 2A P1 P2` with `data` and `le`.
fn sign_command(p1: u8, p2: u8, data: &[u8], le: u32) -> Vec<u8> {
    Command::case4(0x80, 0x2A, p1, p2, data.to_vec(), le)
        .unwrap()
        .encode()
        .to_vec()
}

/// SELECT EF 0017 and sign a SHA-256 DigestInfo with scheme 00, the OpenSC/bridge form.
fn sign_digest_info(c: &mut VirtualCard, message: &[u8]) -> (Vec<u8>, u16) {
    assert_eq!(sw(c, "00 A4 02 0C 02 00 17"), 0x9000);
    let mut apdu = h("80 2A 00 80 33");
    apdu.extend_from_slice(&digest_info(&Sha256::digest(message)));
    apdu.push(0x00);
    tx_bytes(c, &apdu)
}

#[test]
fn the_card_holds_every_file_the_profile_lists() {
    let p = &MY_NUMBER_CARD;
    let c = card();
    for (app, def) in c
        .apps
        .iter()
        .zip([&p.jpki, &p.card_info_input, &p.card_surface])
    {
        assert_eq!(app.def.aid, def.aid);
        let fids: Vec<Fid> = def.files.iter().map(|f| f.fid).collect();
        assert_eq!(app.files.keys().copied().collect::<Vec<_>>(), {
            let mut sorted = fids.clone();
            sorted.sort();
            sorted
        });
    }
}

#[test]
fn power_controls_the_card_and_answers_the_atr() {
    let mut c = card();
    assert!(c.is_powered());
    assert_eq!(c.atr(), MY_NUMBER_CARD_ATR);
    c.power_off();
    assert!(!c.is_powered());
    assert_eq!(c.transmit(&h(SELECT_JPKI)), Err(PoweredOff));
    assert_eq!(c.power_on(), MY_NUMBER_CARD_ATR);
    assert_eq!(c.reset(), MY_NUMBER_CARD_ATR);
    assert_eq!(sw(&mut c, SELECT_JPKI), 0x9000);
}

#[test]
fn applications_are_selected_by_aid_or_prefix() {
    let mut c = card();
    assert_eq!(sw(&mut c, SELECT_JPKI), 0x9000);
    assert_eq!(c.current_application(), Some(JPKI_AID));
    assert_eq!(sw(&mut c, SELECT_INFO), 0x9000);
    assert_eq!(c.current_application(), Some(CARD_INFO_INPUT_AID));
    assert_eq!(sw(&mut c, SELECT_SURFACE), 0x9000);
    assert_eq!(c.current_application(), Some(CARD_SURFACE_AID));
    // The 券面AP has no EFs the profile knows.
    assert_eq!(sw(&mut c, "00 A4 02 0C 02 00 01"), 0x6A82);
    // A prefix selects the first application it matches.
    assert_eq!(sw(&mut c, "00 A4 04 0C 04 D3 92 F0 00"), 0x9000);
    assert_eq!(c.current_application(), Some(JPKI_AID));
    assert_eq!(
        sw(&mut c, "00 A4 04 0C 09 D3 92 10 00 31 00 01 01 04"),
        0x9000
    );
    assert_eq!(c.current_application(), Some(CARD_INFO_INPUT_AID));
    // Unknown: 6A82, and the selection stays.
    assert_eq!(sw(&mut c, "00 A4 04 0C 07 A0 00 00 03 08 00 00"), 0x6A82);
    assert_eq!(c.current_application(), Some(CARD_INFO_INPUT_AID));
    apdu_script(
        &mut c,
        "00 A4 04 0C 0B D3 92 F0 00 26 01 00 00 00 01 FF -> 6A82  the JPKI AID and one byte more
         # Parameters and lengths.
         00 A4 04 00 0A D3 92 F0 00 26 01 00 00 00 01 -> 6A86
         00 A4 04 00 06 A0 00 00 00 01 01 -> 6A82  probe, P2 00
         00 A4 04 0C -> 6700
         00 A4 01 0C 02 00 0A -> 6A86
         00 A4 08 0C 02 00 0A -> 6A86",
    );
    let mut long = h("00 A4 04 0C 11");
    long.extend_from_slice(&[0xD3; 17]);
    assert_eq!(tx_bytes(&mut c, &long).1, 0x6700, "an AID of 17 bytes");
}

#[test]
fn efs_are_selected_inside_the_current_application() {
    let mut c = card();
    // No application yet.
    assert_eq!(sw(&mut c, "00 A4 02 0C 02 00 0A"), 0x6A82);
    assert_eq!(sw(&mut c, SELECT_JPKI), 0x9000);
    assert_eq!(sw(&mut c, "00 A4 02 0C 02 00 0A"), 0x9000);
    let jpki_000a = (Some(JPKI_AID), Some(Fid(0x000A)));
    assert_eq!(selected(&c), jpki_000a);
    // An unknown EF, bad lengths and parameters: the selection stays.
    apdu_script(
        &mut c,
        "00 A4 02 0C 02 12 34 -> 6A82
         00 A4 02 0C 01 0A -> 6700
         00 A4 02 0C 03 00 0A 00 -> 6700
         00 A4 02 00 02 00 0A -> 6A86
         # The 券面事項入力補助AP's files are not in the JPKI-AP and vice versa.
         00 A4 02 0C 02 00 11 -> 6A82",
    );
    assert_eq!(selected(&c), jpki_000a);
    assert_eq!(sw(&mut c, SELECT_INFO), 0x9000);
    assert_eq!(selected(&c), (Some(CARD_INFO_INPUT_AID), None));
    assert_eq!(sw(&mut c, "00 A4 02 0C 02 00 0A"), 0x6A82);
    assert_eq!(sw(&mut c, "00 A4 02 0C 02 00 11"), 0x9000);
}

#[test]
fn the_mf_cannot_be_selected() {
    let mut c = card();
    assert_eq!(sw(&mut c, "00 A4 00 00"), 0x6A86);
    assert_eq!(sw(&mut c, "00 A4 00 0C 02 3F 00"), 0x6A82);
    assert_eq!(sw(&mut c, SELECT_JPKI), 0x9000);
    assert_eq!(sw(&mut c, "00 A4 02 0C 02 00 0A"), 0x9000);
    // Inside an application: 9000 and nothing changes.
    assert_eq!(sw(&mut c, "00 A4 00 00"), 0x9000);
    assert_eq!(selected(&c), (Some(JPKI_AID), Some(Fid(0x000A))));
    assert_eq!(sw(&mut c, "00 A4 00 0C 02 3F 00"), 0x6A82);
    // P1 = 00 with a FID of the current application selects it.
    assert_eq!(sw(&mut c, "00 A4 00 0C 02 00 0B"), 0x9000);
    assert_eq!(c.current_ef(), Some(Fid(0x000B)));
    assert_eq!(sw(&mut c, "00 A4 00 0C 01 0B"), 0x6700);
    assert_eq!(sw(&mut c, "00 A4 00 04"), 0x6A86);
}

#[test]
fn read_binary_reads_certificates_in_chunks() {
    let mut c = jpki_card();
    let cert = fake_der(1500, 1);
    assert_eq!(sw(&mut c, "00 B0 00 00 04"), 0x6986, "no current EF");
    assert_eq!(sw(&mut c, "00 A4 02 0C 02 00 0A"), 0x9000);
    let (head, s) = tx(&mut c, "00 B0 00 00 04");
    assert_eq!((head.as_slice(), s), (&cert[..4], 0x9000));
    let total = usize::from(u16::from_be_bytes([head[2], head[3]])) + 4;
    let mut read = head;
    while read.len() < total {
        let want = (total - read.len()).min(256);
        let apdu = Command::read_binary(read.len(), want as u32)
            .unwrap()
            .encode();
        let (chunk, s) = tx_bytes(&mut c, &apdu);
        assert_eq!(s, 0x9000);
        assert_eq!(chunk.len(), want);
        read.extend_from_slice(&chunk);
    }
    assert_eq!(read, cert);
    // The CA certificate too.
    assert_eq!(sw(&mut c, "00 A4 02 0C 02 00 0B"), 0x9000);
    let (all, s) = tx(&mut c, "00 B0 00 00 00 05 14");
    assert_eq!((all, s), (fake_der(1300, 2), 0x9000));
}

#[test]
fn read_binary_at_and_past_the_end() {
    let mut c = jpki_card();
    let cert = fake_der(1500, 1);
    assert_eq!(sw(&mut c, "00 A4 02 0C 02 00 0A"), 0x9000);
    // 1500 = 0x05DC. Reaching the end returns what is left with 9000.
    let (rest, s) = tx(&mut c, "00 B0 05 00 00");
    assert_eq!((rest.as_slice(), s), (&cert[0x500..], 0x9000));
    assert_eq!(rest.len(), 0xDC);
    let (last, s) = tx(&mut c, "00 B0 05 DB 01");
    assert_eq!((last.as_slice(), s), (&cert[0x5DB..], 0x9000));
    // At or past the end: 6B00, no data.
    assert_eq!(tx(&mut c, "00 B0 05 DC 01"), (vec![], 0x6B00));
    assert_eq!(tx(&mut c, "00 B0 7F FF 01"), (vec![], 0x6B00));
    // Extended Le beyond the file: the whole file.
    let (all, s) = tx(&mut c, "00 B0 00 00 00 00 00");
    assert_eq!((all, s), (cert.clone(), 0x9000));
    // Lengths: no Le, or data, is wrong.
    apdu_script(
        &mut c,
        "00 B0 00 00 -> 6700
         00 B0 00 00 01 00 -> 6700
         00 B0 00 00 01 00 04 -> 6700
         00 B0 00 00 05 04 -> 6700  matches no ISO case",
    );
}

#[test]
fn partial_reads_can_answer_6282() {
    let options = CardOptions::default().with_partial_read(PartialRead::EndOfFileWarning);
    let mut c = VirtualCard::with_options(contents(Some("1234")), options).unwrap();
    assert_eq!(sw(&mut c, SELECT_JPKI), 0x9000);
    assert_eq!(sw(&mut c, "00 A4 02 0C 02 00 06"), 0x9000);
    let (info, s) = tx(&mut c, "00 B0 00 00 00");
    assert_eq!((info.len(), s), (160, 0x6282));
    let (exact, s) = tx(&mut c, "00 B0 00 00 A0");
    assert_eq!((exact.len(), s), (160, 0x9000));
    assert_eq!(sw(&mut c, "00 B0 00 A0 01"), 0x6B00);
}

#[test]
fn read_binary_by_short_ef_identifier() {
    let mut c = jpki_card();
    let cert = fake_der(1500, 1);
    let (head, s) = tx(&mut c, "00 B0 8A 00 04");
    assert_eq!((head.as_slice(), s), (&cert[..4], 0x9000));
    assert_eq!(c.current_ef(), Some(Fid(0x000A)));
    let (chunk, s) = tx(&mut c, "00 B0 8B 10 08");
    assert_eq!(
        (chunk.as_slice(), s),
        (&fake_der(1300, 2)[0x10..0x18], 0x9000)
    );
    assert_eq!(c.current_ef(), Some(Fid(0x000B)));
    assert_eq!(sw(&mut c, "00 B0 9E 00 04"), 0x6A82, "no EF 001E");
    assert_eq!(sw(&mut c, "00 B0 80 00 04"), 0x6A86, "SFI 0");
    assert_eq!(sw(&mut c, "00 B0 9F 00 04"), 0x6A86, "SFI 1F");
    assert_eq!(sw(&mut c, "00 B0 AA 00 04"), 0x6A86, "P1 bits 7-6");
    // Before any application.
    let mut fresh = card();
    assert_eq!(sw(&mut fresh, "00 B0 8A 00 04"), 0x6A82);
    // Token info through its SFI: 160 bytes with the My Number Card label.
    let (info, s) = tx(&mut c, "00 B0 86 00 00");
    assert_eq!((info.len(), s), (160, 0x9000));
    assert_eq!(&info[..32], b"JPKIAPICCTOKEN2                 ");
}

#[test]
fn keys_and_pins_are_never_readable() {
    let mut c = jpki_card();
    verify_auth_pin(&mut c);
    assert_eq!(sw(&mut c, "00 A4 02 0C 02 00 17"), 0x9000);
    assert_eq!(tx(&mut c, "00 B0 00 00 00"), (vec![], 0x6981));
    assert_eq!(tx(&mut c, "00 B0 98 00 04"), (vec![], 0x6981));
    assert_eq!(tx(&mut c, "00 B0 9A 00 04"), (vec![], 0x6981));
}

#[test]
fn the_signing_certificate_needs_the_signing_password() {
    let mut c = jpki_card();
    assert_eq!(sw(&mut c, "00 A4 02 0C 02 00 01"), 0x9000);
    assert_eq!(tx(&mut c, "00 B0 00 00 04"), (vec![], 0x6982));
    // The auth PIN does not open it.
    verify_auth_pin(&mut c);
    assert_eq!(sw(&mut c, "00 B0 81 00 04"), 0x6982);
    // Its CA certificate is free.
    assert_eq!(sw(&mut c, "00 B0 82 00 04"), 0x9000);
    assert_eq!(sw(&mut c, "00 A4 02 0C 02 00 1B"), 0x9000);
    assert_eq!(sw(&mut c, "00 20 00 80"), 0x63C5);
    let mut verify = h("00 20 00 80 0C");
    verify.extend_from_slice(TEST_SIGN_PASSWORD.as_bytes());
    assert_eq!(tx_bytes(&mut c, &verify).1, 0x9000);
    let (head, s) = tx(&mut c, "00 B0 81 00 04");
    assert_eq!((head.as_slice(), s), (&fake_der(1500, 1)[..4], 0x9000));
}

#[test]
fn verify_counts_tries_down_and_blocks() {
    let mut c = jpki_card();
    assert_eq!(sw(&mut c, "00 A4 02 0C 02 00 18"), 0x9000);
    assert_eq!(sw(&mut c, "00 20 00 80"), 0x63C3);
    assert_eq!(sw(&mut c, "00 20 00 80 04 30 30 30 30"), 0x63C2);
    assert_eq!(c.auth_pin_remaining(), 2);
    assert_eq!(sw(&mut c, "00 20 00 80"), 0x63C2);
    // A correct PIN resets the counter.
    assert_eq!(sw(&mut c, "00 20 00 80 04 31 32 33 34"), 0x9000);
    assert_eq!(c.auth_pin_remaining(), 3);
    assert!(c.auth_pin_verified());
    // A wrong one clears the verified state again.
    assert_eq!(sw(&mut c, "00 20 00 80 04 30 30 30 30"), 0x63C2);
    assert!(!c.auth_pin_verified());
    // Wrong lengths count as wrong PINs.
    assert_eq!(sw(&mut c, "00 20 00 80 05 31 32 33 34 35"), 0x63C1);
    assert_eq!(sw(&mut c, "00 20 00 80 03 31 32 33"), 0x63C0);
    assert_eq!(c.auth_pin_remaining(), 0);
    apdu_script(
        &mut c,
        "# Blocked: every try 6984, even the right PIN; the status query says 63C0.
         00 20 00 80 04 31 32 33 34 -> 6984
         00 20 00 80 -> 63C0",
    );
    assert!(!c.auth_pin_verified());
    // And signing stays impossible.
    assert_eq!(sign_digest_info(&mut c, b"m").1, 0x6982);
    // The counter survives a power cycle.
    c.power_off();
    c.power_on();
    apdu_script(
        &mut c,
        "SELECT_JPKI -> 9000
         00 20 00 98 -> 63C0",
    );
}

#[test]
fn verify_parameters_and_lengths() {
    let mut c = jpki_script(
        "00 20 00 80 -> 6986  no current EF
         00 A4 02 0C 02 00 0A -> 9000
         00 20 00 80 04 31 32 33 34 -> 6981  a certificate
         00 20 01 98 04 31 32 33 34 -> 6A86
         00 20 00 01 04 31 32 33 34 -> 6A86
         00 20 00 00 -> 6A86
         00 20 00 A0 -> 6A86
         00 20 00 9E 04 31 32 33 34 -> 6A82  no EF 001E
         00 20 00 98 04 31 32 33 34 00 -> 6700  Le",
    );
    let mut long = h("00 20 00 98 11");
    long.extend_from_slice(&[b'1'; 17]);
    assert_eq!(tx_bytes(&mut c, &long).1, 0x6700);
    // Nothing above used a try.
    assert_eq!(c.auth_pin_remaining(), 3);
    // The SFI form verifies and selects.
    assert_eq!(sw(&mut c, "00 20 00 98 04 31 32 33 34"), 0x9000);
    assert_eq!(c.current_ef(), Some(Fid(0x0018)));
}

#[test]
fn the_status_query_when_verified() {
    let mut c = jpki_card();
    verify_auth_pin(&mut c);
    assert_eq!(
        sw(&mut c, "00 20 00 80"),
        0x63C3,
        "default: tries left, as OpenSC needs"
    );
    let options =
        CardOptions::default().with_verify_status_when_verified(VerifyStatusWhenVerified::Success);
    let mut c = VirtualCard::with_options(contents(Some("1234")), options).unwrap();
    assert_eq!(sw(&mut c, SELECT_JPKI), 0x9000);
    assert_eq!(sw(&mut c, "00 A4 02 0C 02 00 18"), 0x9000);
    assert_eq!(sw(&mut c, "00 20 00 80"), 0x63C3);
    assert_eq!(sw(&mut c, "00 20 00 80 04 31 32 33 34"), 0x9000);
    assert_eq!(sw(&mut c, "00 20 00 80"), 0x9000);
}

#[test]
fn a_card_without_a_pin_answers_6984() {
    let mut c = VirtualCard::new(contents(None)).unwrap();
    assert_eq!(sw(&mut c, SELECT_JPKI), 0x9000);
    assert_eq!(sw(&mut c, "00 A4 02 0C 02 00 18"), 0x9000);
    assert_eq!(sw(&mut c, "00 20 00 80"), 0x6984);
    assert_eq!(sw(&mut c, "00 20 00 80 04 31 32 33 34"), 0x6984);
    assert_eq!(sw(&mut c, "00 24 01 80 04 31 32 33 34"), 0x6984);
    assert_eq!(sign_digest_info(&mut c, b"m").1, 0x6982);
    // Its 券面事項入力補助 PIN is absent too; the certificate is still readable.
    assert_eq!(sw(&mut c, "00 B0 8A 00 04"), 0x9000);
    assert_eq!(sw(&mut c, SELECT_INFO), 0x9000);
    assert_eq!(sw(&mut c, "00 20 00 91"), 0x6984);
}

#[test]
fn verified_state_follows_the_application_and_power() {
    let mut c = jpki_card();
    verify_auth_pin(&mut c);
    // Re-selecting the same application keeps it (as myna-card observed on real cards).
    assert_eq!(sw(&mut c, SELECT_JPKI), 0x9000);
    assert!(c.auth_pin_verified());
    assert_eq!(sign_digest_info(&mut c, b"m").1, 0x9000);
    // Another application clears it.
    assert_eq!(sw(&mut c, SELECT_SURFACE), 0x9000);
    assert_eq!(sw(&mut c, SELECT_JPKI), 0x9000);
    assert!(!c.auth_pin_verified());
    assert_eq!(sign_digest_info(&mut c, b"m").1, 0x6982);
    // Reset clears it.
    verify_auth_pin(&mut c);
    c.reset();
    assert_eq!(c.current_application(), None);
    assert_eq!(sw(&mut c, SELECT_JPKI), 0x9000);
    assert_eq!(sign_digest_info(&mut c, b"m").1, 0x6982);
    // Power-off clears it.
    verify_auth_pin(&mut c);
    c.power_off();
    c.power_on();
    assert_eq!(sw(&mut c, SELECT_JPKI), 0x9000);
    assert_eq!(sign_digest_info(&mut c, b"m").1, 0x6982);
    // A failed SELECT of an unknown AID keeps it.
    verify_auth_pin(&mut c);
    assert_eq!(sw(&mut c, "00 A4 04 0C 05 A0 00 00 00 01"), 0x6A82);
    assert_eq!(sign_digest_info(&mut c, b"m").1, 0x9000);
}

#[test]
fn signs_a_digest_info_after_the_pin() {
    let mut c = jpki_card();
    let public = c.auth_public_key().unwrap();
    assert_eq!(sign_digest_info(&mut c, b"message").1, 0x6982);
    verify_auth_pin(&mut c);
    let (signature, s) = sign_digest_info(&mut c, b"message");
    assert_eq!((signature.len(), s), (256, 0x9000));
    public
        .verify(
            Pkcs1v15Sign::new::<Sha256>(),
            &Sha256::digest(b"message"),
            &signature,
        )
        .expect("the signature verifies");
    // Deterministic: the same input gives the same bytes.
    assert_eq!(sign_digest_info(&mut c, b"message").0, signature);
    // Without a Le the card answers all the same.
    let mut no_le = h("80 2A 00 80 33");
    no_le.extend_from_slice(&digest_info(&Sha256::digest(b"message")));
    assert_eq!(tx_bytes(&mut c, &no_le), (signature.clone(), 0x9000));
    // The short-EF form needs no SELECT.
    assert_eq!(sw(&mut c, "00 A4 02 0C 02 00 0A"), 0x9000);
    let mut sfi = h("80 2A 00 97 33");
    sfi.extend_from_slice(&digest_info(&Sha256::digest(b"message")));
    sfi.push(0);
    assert_eq!(tx_bytes(&mut c, &sfi), (signature, 0x9000));
    assert_eq!(c.current_ef(), Some(Fid(0x0017)));
}

#[test]
fn every_signature_scheme_verifies() {
    let mut c = jpki_card();
    let public = c.auth_public_key().unwrap();
    verify_auth_pin(&mut c);
    let message = b"myna-web";
    let hash = Sha256::digest(message);
    let sign = |c: &mut VirtualCard, p1: u8, data: &[u8]| {
        let (sig, s) = tx_bytes(c, &sign_command(p1, 0x97, data, 256));
        assert_eq!((sig.len(), s), (256, 0x9000), "P1 {p1:02X}");
        sig
    };
    let unprefixed = Pkcs1v15Sign::new_unprefixed;
    let sig = sign(&mut c, 0x00, &digest_info(&hash));
    public
        .verify(Pkcs1v15Sign::new::<Sha256>(), &hash, &sig)
        .unwrap();
    let sig = sign(&mut c, 0x01, message);
    public.verify(unprefixed(), &hash, &sig).unwrap();
    let sig = sign(&mut c, 0x02, &hash);
    public
        .verify(Pkcs1v15Sign::new::<Sha256>(), &hash, &sig)
        .unwrap();
    let sig = sign(&mut c, 0x03, message);
    public
        .verify(Pkcs1v15Sign::new::<Sha256>(), &hash, &sig)
        .unwrap();
    let sig = sign(&mut c, 0x04, &hash);
    public.verify(Pss::new::<Sha256>(), &hash, &sig).unwrap();
    let sig = sign(&mut c, 0x05, message);
    public.verify(Pss::new::<Sha256>(), &hash, &sig).unwrap();
    // Scheme 00 signs exactly the bytes given (a bare hash here).
    let sig = sign(&mut c, 0x00, &hash);
    public.verify(unprefixed(), &hash, &sig).unwrap();
}

#[test]
fn signature_parameters_and_lengths() {
    let mut c = jpki_card();
    let di = digest_info(&[0xAB; 32]);
    let sign = |c: &mut VirtualCard, p1: u8, p2: u8, data: &[u8], le: u32| {
        tx_bytes(c, &sign_command(p1, p2, data, le)).1
    };
    assert_eq!(sign(&mut c, 0, 0x80, &di, 256), 0x6986, "no current EF");
    verify_auth_pin(&mut c);
    assert_eq!(sign(&mut c, 0, 0x80, &di, 256), 0x6981, "the PIN EF");
    assert_eq!(sign(&mut c, 0, 0x8A, &di, 256), 0x6981, "a certificate");
    assert_eq!(sign(&mut c, 6, 0x97, &di, 256), 0x6A86);
    assert_eq!(sign(&mut c, 0, 0x00, &di, 256), 0x6A86);
    assert_eq!(sign(&mut c, 0, 0x17, &di, 256), 0x6A86);
    assert_eq!(sign(&mut c, 0, 0x9E, &di, 256), 0x6A82);
    // Scheme 00: 1..=245 bytes under a 2048-bit key.
    assert_eq!(sign(&mut c, 0, 0x97, &[0x55; 245], 256), 0x9000);
    assert_eq!(sign(&mut c, 0, 0x97, &[0x55; 246], 256), 0x6700);
    assert_eq!(sw(&mut c, "80 2A 00 97 00"), 0x6700, "no data");
    // Pre-hashed schemes take exactly 32 bytes.
    assert_eq!(sign(&mut c, 2, 0x97, &[1; 31], 256), 0x6700);
    assert_eq!(sign(&mut c, 4, 0x97, &[1; 33], 256), 0x6700);
    // A Le below the signature size: 6C00 (resend with 256).
    assert_eq!(sign(&mut c, 0, 0x97, &di, 16), 0x6C00);
    // Extended APDUs work too.
    let ext = Command::case4(0x80, 0x2A, 0, 0x97, di.clone(), 256)
        .unwrap()
        .into_extended();
    assert_eq!(tx_bytes(&mut c, &ext.encode()).0.len(), 256);
    // The signing key needs the signing password, not the auth PIN.
    assert_eq!(sign(&mut c, 0, 0x9A, &di, 256), 0x6982);
    let mut verify = h("00 20 00 9B 0C");
    verify.extend_from_slice(TEST_SIGN_PASSWORD.as_bytes());
    assert_eq!(tx_bytes(&mut c, &verify).1, 0x9000);
    assert_eq!(sign(&mut c, 0, 0x9A, &di, 256), 0x9000);
}

#[test]
fn class_instruction_and_length_errors() {
    let mut c = jpki_script(
        "84 A4 02 0C 02 00 0A -> 6E00
         0C B0 00 00 04 -> 6E00
         FF CA 00 00 00 -> 6E00
         00 CA 5F 51 00 -> 6D00
         00 84 00 00 08 -> 6D00
         80 A4 02 0C 02 00 0A -> 6D00
         00 2A 9E 9A 00 -> 6D00
         00 A4 02 -> 6700
         00 -> 6700
         00 A4 02 0C 05 00 0A -> 6700
         00 C0 00 00 10 -> 6985  nothing pending",
    );
    assert_eq!(tx_bytes(&mut c, &[]).1, 0x6700, "no bytes at all");
}

#[test]
fn the_card_info_application_needs_its_pin() {
    let mut c = card();
    assert_eq!(sw(&mut c, SELECT_INFO), 0x9000);
    assert_eq!(sw(&mut c, "00 A4 02 0C 02 00 02"), 0x9000);
    assert_eq!(tx(&mut c, "00 B0 00 00 00"), (vec![], 0x6982));
    assert_eq!(sw(&mut c, "00 B0 81 00 00"), 0x6982);
    assert_eq!(sw(&mut c, "00 A4 02 0C 02 00 11"), 0x9000);
    assert_eq!(sw(&mut c, "00 20 00 80"), 0x63C3);
    assert_eq!(sw(&mut c, "00 20 00 80 04 31 32 33 34"), 0x9000);
    let (basic, s) = tx(&mut c, "00 B0 82 00 00");
    assert_eq!(
        (basic, s),
        (basic_info_file(&BasicInfo::test_data()), 0x9000)
    );
    // The fake 個人番号 file obeys the same rule (its bytes are test data).
    let (number, s) = tx(&mut c, "00 B0 81 00 00");
    assert_eq!((number, s), (my_number_file(FAKE_MY_NUMBER), 0x9000));
    // Its PIN is separate from the auth PIN's counter.
    assert_eq!(sw(&mut c, "00 20 00 91 04 39 39 39 39"), 0x63C2);
    assert_eq!(
        c.pin_remaining(&MY_NUMBER_CARD.card_info_input, Fid(0x0011)),
        Some(2)
    );
    assert_eq!(c.auth_pin_remaining(), 3);
    apdu_script(
        &mut c,
        "# Leaving the application clears its PIN.
         SELECT_JPKI -> 9000
         SELECT_INFO -> 9000
         00 B0 82 00 00 -> 6982",
    );
}

#[test]
fn change_reference_data_replaces_a_verified_pin() {
    jpki_script(
        "00 A4 02 0C 02 00 18 -> 9000
         00 24 01 80 04 35 36 37 38 -> 6982  not verified
         00 20 00 80 04 31 32 33 34 -> 9000
         00 24 00 80 04 35 36 37 38 -> 6A86
         00 24 01 80 04 35 36 37 41 -> 6A80  not digits
         00 24 01 80 05 35 36 37 38 39 -> 6A80  five digits
         00 24 01 80 -> 6700
         # The new PIN replaces the old one.
         00 24 01 98 04 35 36 37 38 -> 9000
         00 20 00 80 04 31 32 33 34 -> 63C2
         00 20 00 80 04 35 36 37 38 -> 9000
         # Only on a PIN EF.
         00 A4 02 0C 02 00 0A -> 9000
         00 24 01 80 04 35 36 37 38 -> 6981",
    );
}

#[test]
fn the_log_records_every_command_without_pins() {
    let mut c = card();
    let log = c.log();
    assert_eq!(sw(&mut c, SELECT_JPKI), 0x9000);
    verify_auth_pin(&mut c);
    assert_eq!(sw(&mut c, "00 CA 00 00 00"), 0x6D00);
    let entries = log.entries();
    assert_eq!(entries.len(), 4);
    assert_eq!(entries[0].command, h(SELECT_JPKI));
    assert_eq!(entries[0].application, Some(JPKI_AID));
    assert_eq!(entries[2].command, h("00 20 00 80"));
    assert_eq!(entries[2].redacted_len, Some(5));
    assert_eq!(entries[2].sw, StatusWord::OK);
    assert_eq!(entries[3].sw, StatusWord::INS_NOT_SUPPORTED);
    assert!(entries.windows(2).all(|w| w[0].at <= w[1].at));
    assert!(!format!("{log:?}").contains("31323334"));
    assert!(log.touched_application(JPKI_AID));
    assert!(!log.touched_application(CARD_INFO_INPUT_AID));
    assert_eq!(sw(&mut c, "00 A4 04 0C 05 D3 92 10 00 31"), 0x9000);
    assert!(log.touched_application(CARD_INFO_INPUT_AID));
    // Debug output never shows a PIN either.
    assert!(!format!("{c:?}").contains("1234"));
    assert!(!format!("{:?}", contents(Some("1234"))).contains("1234"));
}

#[test]
fn the_timing_model_prices_each_exchange() {
    let options = CardOptions::default().with_timing(TimingModel::realistic());
    let mut c = VirtualCard::with_options(contents(Some("1234")), options).unwrap();
    let t = TimingModel::realistic();
    let select = c.transmit(&h(SELECT_JPKI)).unwrap();
    assert_eq!(select.delay, t.delay(15, 2, 0));
    verify_auth_pin(&mut c);
    assert_eq!(sw(&mut c, "00 A4 02 0C 02 00 17"), 0x9000);
    let mut apdu = h("80 2A 00 80 33");
    apdu.extend_from_slice(&digest_info(&[0; 32]));
    apdu.push(0);
    let signed = c.transmit(&apdu).unwrap();
    assert_eq!(signed.delay, t.delay(57, 258, 1));
    assert!(signed.delay >= Duration::from_millis(400));
    // A refused signature costs no RSA time.
    c.set_timing(TimingModel::realistic());
    let refused = c.transmit(&h("80 2A 07 80 01 00 00")).unwrap();
    assert_eq!(refused.delay, t.delay(7, 2, 0));
    assert_eq!(c.log().entries().last().unwrap().delay, refused.delay);
}

#[test]
fn contents_are_validated() {
    let err = |c: CardContents| VirtualCard::new(c).unwrap_err();
    let mut bad = contents(Some("12345"));
    assert!(matches!(
        err(bad.clone()),
        CardBuildError::InvalidPin {
            which: "auth PIN",
            ..
        }
    ));
    bad = contents(Some("12a4"));
    assert!(matches!(err(bad), CardBuildError::InvalidPin { .. }));
    let mut c = contents(Some("1234"));
    c.auth_pin_remaining = 4;
    assert_eq!(
        err(c),
        CardBuildError::TooManyTries {
            which: "auth PIN",
            remaining: 4,
            max: 3
        }
    );
    let mut c = contents(Some("1234"));
    c.sign_password = Some(Zeroizing::new("lowercase".to_owned()));
    assert!(matches!(
        err(c),
        CardBuildError::InvalidPin {
            which: "signing password",
            ..
        }
    ));
    let mut c = contents(Some("1234"));
    c.sign_password_remaining = 6;
    assert!(matches!(
        err(c),
        CardBuildError::TooManyTries { max: 5, .. }
    ));
    let mut c = contents(Some("1234"));
    c.atr = Vec::new();
    assert_eq!(err(c), CardBuildError::InvalidAtr { len: 0 });
    let mut c = contents(Some("1234"));
    c.auth_certificate = vec![0; 0x8000];
    assert_eq!(
        err(c),
        CardBuildError::FileTooLarge {
            fid: Fid(0x000A),
            len: 0x8000
        }
    );
    let small = RsaPrivateKey::new(&mut ChaCha20Rng::seed_from_u64(3), 1024).unwrap();
    let c = CardContents::new(fake_der(100, 0), fake_der(100, 0), small, Some("1234"));
    assert_eq!(
        err(c),
        CardBuildError::WrongKeySize {
            which: "auth key",
            bits: 1024,
            expected: 2048
        }
    );
}

#[test]
fn shared_cards_share_state_and_log() {
    let shared = SharedCard::new(card());
    let other = shared.clone();
    let response = shared.transmit(&h(SELECT_JPKI)).unwrap().response;
    assert_eq!(response, [0x90, 0x00]);
    assert_eq!(other.lock().current_application(), Some(JPKI_AID));
    assert_eq!(other.log().len(), 1);
    assert!(format!("{other:?}").contains("VirtualCard"));
}

/// Issue 14: an Android phone's JPKI applet as `docs/phones.md` §2 documents it — its label
/// in EF 0006 without a PIN, EF 000A only after the auth PIN (6982 before it: likely,
/// unverified), then the same signature as the card.
#[test]
fn issue_14_the_android_token_gives_its_certificate_only_after_the_pin() {
    let mut c =
        VirtualCard::new(contents(Some("1234")).as_token(myna_core::wire::Token::Android)).unwrap();
    assert_eq!(sw(&mut c, SELECT_JPKI), 0x9000);
    assert_eq!(sw(&mut c, "00 A4 02 0C 02 00 06"), 0x9000);
    let (label, status) = tx(&mut c, "00 B0 00 00 20");
    assert_eq!(status, 0x9000);
    assert_eq!(
        myna_core::jpki::TokenInfo::from_label_bytes(&label).kind,
        myna_core::jpki::TokenKind::Android
    );
    assert_eq!(sw(&mut c, "00 A4 02 0C 02 00 0A"), 0x9000);
    assert_eq!(sw(&mut c, "00 B0 00 00 00"), 0x6982);
    // The CA certificate stays free.
    assert_eq!(sw(&mut c, "00 A4 02 0C 02 00 0B"), 0x9000);
    assert_eq!(sw(&mut c, "00 B0 00 00 04"), 0x9000);
    verify_auth_pin(&mut c);
    assert_eq!(sw(&mut c, "00 A4 02 0C 02 00 0A"), 0x9000);
    let (head, status) = tx(&mut c, "00 B0 00 00 04");
    assert_eq!((head[0], status), (0x30, 0x9000));
    let (signature, status) = sign_digest_info(&mut c, b"m");
    assert_eq!((signature.len(), status), (256, 0x9000));
    // The card itself is unchanged: its 000A needs no PIN.
    let mut card = jpki_card();
    assert_eq!(sw(&mut card, "00 A4 02 0C 02 00 0A"), 0x9000);
    assert_eq!(sw(&mut card, "00 B0 00 00 04"), 0x9000);
}
