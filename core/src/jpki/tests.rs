//! Unit tests of the JPKI-AP client over a scripted transport.

use super::*;
use crate::cases::assert_cases;
use crate::transport::TransportErrorKind;
use crate::transport::testing::{ScriptedTransport, hex};
use pollster::block_on;

const SELECT_AP: &str = "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01";
const SELECT_000A: &str = "00 A4 02 0C 02 00 0A";
const SELECT_000B: &str = "00 A4 02 0C 02 00 0B";
const SELECT_0006: &str = "00 A4 02 0C 02 00 06";
const SELECT_0017: &str = "00 A4 02 0C 02 00 17";
const SELECT_0018: &str = "00 A4 02 0C 02 00 18";
const PIN_STATUS: &str = "00 20 00 80";
const VERIFY_1234: &str = "00 20 00 80 04 31 32 33 34";
const OK: &[u8] = &[0x90, 0x00];

/// A DER-shaped certificate of `total` bytes (`30 82 LL LL` + filler), then `padding`
/// bytes of `FF` as an EF larger than its certificate would hold.
fn certificate_file(total: usize, padding: usize) -> (Vec<u8>, Vec<u8>) {
    let content = total - 4;
    let mut cert = vec![0x30, 0x82, (content >> 8) as u8, content as u8];
    cert.extend((0..content).map(|i| (i * 7 + 3) as u8));
    let mut file = cert.clone();
    file.extend(std::iter::repeat_n(0xFF, padding));
    (cert, file)
}

fn with_sw(data: &[u8], sw: &[u8]) -> Vec<u8> {
    [data, sw].concat()
}

trait ScriptedReads {
    /// Appends a READ BINARY `read` (hex) answered with `data` and 90 00.
    fn reads(self, read: &str, data: &[u8]) -> Self;
}

impl ScriptedReads for ScriptedTransport {
    fn reads(self, read: &str, data: &[u8]) -> Self {
        self.expect(&hex(read), &with_sw(data, OK))
    }
}

/// The answer of an operation that met status `sw` it does not expect.
fn unexpected<T>(sw: StatusWord, during: Operation) -> Result<T, JpkiError> {
    Err(JpkiError::UnexpectedStatus { sw, during })
}

/// Reads the auth certificate through `t`, which must then have used its whole script; what
/// it read and in how many APDUs.
fn read_auth_in(t: &mut ScriptedTransport) -> (Result<Vec<u8>, JpkiError>, usize) {
    let read = block_on(read_auth_certificate(t));
    t.assert_finished();
    (read, t.sent().len())
}

/// Reads the certificate in EF `fid` through `t`, which must then have used its whole script.
fn read_in(t: &mut ScriptedTransport, fid: u16) -> Result<Vec<u8>, JpkiError> {
    let read = block_on(read_certificate(t, Fid(fid)));
    t.assert_finished();
    read
}

fn digest_info() -> Vec<u8> {
    let mut d = hex("30 31 30 0D 06 09 60 86 48 01 65 03 04 02 01 05 00 04 20");
    d.extend([0x5A; 32]);
    d
}

// ---- exchange -------------------------------------------------------------------------

#[test]
fn exchange_follows_61xx_including_6100_as_256() {
    let mut t = ScriptedTransport::new()
        .expect_hex("80 2A 00 80 01 AA 00", "61 00")
        .expect(&hex("00 C0 00 00 00"), &with_sw(&[1; 256], &hex("61 10")))
        .reads("00 C0 00 00 10", &[2; 16]);
    let cmd = Command::compute_digital_signature(&[0xAA]).unwrap();
    let response = block_on(exchange(&mut t, &cmd)).unwrap();
    assert_eq!(response.sw, StatusWord::OK);
    assert_eq!(response.data, [vec![1; 256], vec![2; 16]].concat());
    assert_eq!(t.sent().len(), 3);
    t.assert_finished();
}

#[test]
fn exchange_keeps_data_that_came_with_61xx() {
    let mut t = ScriptedTransport::new()
        .expect(&hex("00 B0 00 00 04"), &with_sw(&[1, 2], &hex("61 02")))
        .reads("00 C0 00 00 02", &[3, 4]);
    let cmd = Command::read_binary(0, 4).unwrap();
    let response = block_on(exchange(&mut t, &cmd)).unwrap();
    assert_eq!(response.data, vec![1, 2, 3, 4]);
    t.assert_finished();
}

#[test]
fn exchange_bounds_the_get_response_chain() {
    let mut t = ScriptedTransport::new().expect_hex("00 B0 00 00 00", "61 01");
    for _ in 0..MAX_GET_RESPONSE_ROUNDS {
        t = t.expect_hex("00 C0 00 00 01", "AA 61 01");
    }
    let cmd = Command::read_binary(0, 256).unwrap();
    assert_eq!(
        block_on(exchange(&mut t, &cmd)),
        Err(JpkiError::ResponseChainTooLong {
            rounds: MAX_GET_RESPONSE_ROUNDS
        })
    );
    t.assert_finished();
}

/// Found by the `apdu` fuzz target: a card that answers every `GET RESPONSE` with
/// `6Cxx` first costs two `GET RESPONSE`s per round; the chain is still bounded, at
/// 2 × [`MAX_GET_RESPONSE_ROUNDS`] commands.
#[test]
fn a_6cxx_on_every_get_response_keeps_the_chain_bounded() {
    let mut t = ScriptedTransport::new().expect_hex("00 B0 00 00 00", "61 02");
    for _ in 0..MAX_GET_RESPONSE_ROUNDS {
        t = t
            .expect_hex("00 C0 00 00 02", "6C 01")
            .expect_hex("00 C0 00 00 01", "AA 61 02");
    }
    let cmd = Command::read_binary(0, 256).unwrap();
    assert_eq!(
        block_on(exchange(&mut t, &cmd)),
        Err(JpkiError::ResponseChainTooLong {
            rounds: MAX_GET_RESPONSE_ROUNDS
        })
    );
    let get_responses = t.sent().iter().filter(|c| c[1] == 0xC0).count();
    assert_eq!(get_responses, 2 * MAX_GET_RESPONSE_ROUNDS);
    t.assert_finished();
}

#[test]
fn exchange_resends_once_on_6cxx_with_the_exact_le() {
    let mut t = ScriptedTransport::new()
        .expect_hex("00 B0 00 00 00", "6C 20")
        .reads("00 B0 00 00 20", &[9; 32]);
    let cmd = Command::read_binary(0, 256).unwrap();
    let response = block_on(exchange(&mut t, &cmd)).unwrap();
    assert_eq!(response.data, vec![9; 32]);
    t.assert_finished();

    // Only once: a second 6Cxx is returned to the operation, which reports it.
    let mut t = ScriptedTransport::new()
        .expect_hex(SELECT_000A, "90 00")
        .expect_hex("00 B0 00 00 00", "6C 20")
        .expect_hex("00 B0 00 00 20", "6C 10");
    assert_eq!(
        read_in(&mut t, 0x000A),
        unexpected(StatusWord(0x6C10), Operation::ReadBinary)
    );
}

#[test]
fn exchange_then_61xx_after_a_6cxx_resend() {
    let mut t = ScriptedTransport::new()
        .expect_hex("00 B0 00 00 00", "6C 00")
        .expect_hex("00 B0 00 00 00", "61 00")
        .reads("00 C0 00 00 00", &[5; 256]);
    let cmd = Command::read_binary(0, 256).unwrap();
    assert_eq!(block_on(exchange(&mut t, &cmd)).unwrap().data, vec![5; 256]);
    t.assert_finished();
}

#[test]
fn exchange_reports_transport_failures_and_short_responses() {
    let mut t = ScriptedTransport::new().expect_error(
        &hex(SELECT_AP),
        TransportError::new(TransportErrorKind::NoCard, "SCARD_E_NO_SMARTCARD"),
    );
    match block_on(select_jpki_ap(&mut t)) {
        Err(JpkiError::Transport(e)) => assert_eq!(e.kind(), TransportErrorKind::NoCard),
        other => panic!("{other:?}"),
    }
    let mut t = ScriptedTransport::new().expect_hex(SELECT_AP, "90");
    assert_eq!(
        block_on(select_jpki_ap(&mut t)),
        Err(JpkiError::Apdu(ApduError::ResponseTooShort { len: 1 }))
    );
}

// ---- SELECT ---------------------------------------------------------------------------

#[test]
fn select_maps_6a82_to_not_a_my_number_card_or_file_not_found() {
    let mut t = ScriptedTransport::new().expect_hex(SELECT_AP, "6A 82");
    assert_eq!(
        block_on(read_auth_certificate(&mut t)),
        Err(JpkiError::ApplicationNotFound)
    );
    assert_eq!(t.sent().len(), 1);

    let mut t = ScriptedTransport::new()
        .expect_hex(SELECT_AP, "90 00")
        .expect_hex(SELECT_000B, "6A 82");
    assert_eq!(
        block_on(read_auth_ca_certificate(&mut t)),
        Err(JpkiError::FileNotFound { fid: Fid(0x000B) })
    );
    t.assert_finished();

    let mut t = ScriptedTransport::new().expect_hex(SELECT_AP, "6D 00");
    assert_eq!(
        block_on(select_jpki_ap(&mut t)),
        unexpected(StatusWord::INS_NOT_SUPPORTED, Operation::SelectApplication)
    );
    let mut t = ScriptedTransport::new().expect_hex(SELECT_0006, "69 86");
    assert_eq!(
        block_on(select_ef(&mut t, Fid(0x0006))),
        unexpected(StatusWord::COMMAND_NOT_ALLOWED, Operation::SelectFile)
    );
}

// ---- certificates ---------------------------------------------------------------------

#[test]
fn auth_certificate_of_1400_bytes_takes_8_short_or_4_extended_apdus() {
    let (cert, file) = certificate_file(1400, 600);
    let script = |extended| {
        ScriptedTransport::new()
            .with_extended_length(extended)
            .expect_hex(SELECT_AP, "90 00")
            .expect_hex(SELECT_000A, "90 00")
            .reads("00 B0 00 00 00", &file[0..256])
    };
    let mut t = script(false)
        .reads("00 B0 01 00 00", &file[256..512])
        .reads("00 B0 02 00 00", &file[512..768])
        .reads("00 B0 03 00 00", &file[768..1024])
        .reads("00 B0 04 00 00", &file[1024..1280])
        .reads("00 B0 05 00 78", &file[1280..1400]);
    assert_eq!(read_auth_in(&mut t), (Ok(cert.clone()), 8));
    // 1400 - 256 = 1144 = 0x0478, one extended READ BINARY.
    let mut t = script(true).reads("00 B0 01 00 00 04 78", &file[256..1400]);
    assert_eq!(read_auth_in(&mut t), (Ok(cert), 4));
}

#[test]
fn ca_certificate_of_1636_bytes_in_short_and_extended_mode() {
    // 1636 = 6 × 256 + 100: ⌈1636/256⌉ = 7 reads short.
    let (cert, file) = certificate_file(1636, 0);
    let mut t = ScriptedTransport::new()
        .expect_hex(SELECT_AP, "90 00")
        .expect_hex(SELECT_000B, "90 00");
    for (i, offset) in (0..1536).step_by(256).enumerate() {
        let cmd = format!("00 B0 {i:02X} 00 00");
        t = t.reads(&cmd, &file[offset..offset + 256]);
    }
    t = t.reads("00 B0 06 00 64", &file[1536..1636]);
    assert_eq!(block_on(read_auth_ca_certificate(&mut t)).unwrap(), cert);
    assert_eq!(t.sent().len(), 9);
    t.assert_finished();

    let mut t = ScriptedTransport::new()
        .with_extended_length(true)
        .expect_hex(SELECT_000B, "90 00")
        .reads("00 B0 00 00 00", &file[..256])
        .reads("00 B0 01 00 00 05 64", &file[256..]);
    assert_eq!(read_in(&mut t, 0x000B), Ok(cert));
    assert_eq!(t.sent().len(), 3);
}

#[test]
fn short_reads_continue_from_where_the_card_stopped() {
    let (cert, file) = certificate_file(1300, 0);
    let mut t = ScriptedTransport::new()
        .expect_hex(SELECT_000A, "90 00")
        .reads("00 B0 00 00 00", &file[0..256])
        // The card gives 200 of the 256 asked for…
        .reads("00 B0 01 00 00", &file[256..456])
        // …so the next read starts at 456 = 0x01C8.
        .reads("00 B0 01 C8 00", &file[456..712])
        .reads("00 B0 02 C8 00", &file[712..968])
        .reads("00 B0 03 C8 00", &file[968..1224])
        .reads("00 B0 04 C8 4C", &file[1224..1300]);
    assert_eq!(read_in(&mut t, 0x000A), Ok(cert.clone()));

    // An extended read answered short is followed by another extended read of the rest.
    let mut t = ScriptedTransport::new()
        .with_extended_length(true)
        .expect_hex(SELECT_000A, "90 00")
        .reads("00 B0 00 00 00", &file[0..256])
        .reads("00 B0 01 00 00 04 14", &file[256..1000])
        .reads("00 B0 03 E8 00 01 2C", &file[1000..1300]);
    assert_eq!(read_in(&mut t, 0x000A), Ok(cert));
}

#[test]
fn certificate_reads_through_61xx_and_6cxx() {
    let (cert, file) = certificate_file(300, 0);
    let mut t = ScriptedTransport::new()
        .expect_hex(SELECT_000A, "90 00")
        .expect_hex("00 B0 00 00 00", "61 00")
        .reads("00 C0 00 00 00", &file[..256])
        .expect_hex("00 B0 01 00 2C", "6C 2C")
        .reads("00 B0 01 00 2C", &file[256..]);
    assert_eq!(read_in(&mut t, 0x000A), Ok(cert));
}

#[test]
fn end_of_file_6282_with_the_last_bytes_is_success() {
    // A 200-byte certificate in a 200-byte EF: Le = 256 runs past the end.
    let mut cert = vec![0x30, 0x81, 0xC5];
    cert.extend((0..0xC5).map(|i| i as u8));
    let mut t = ScriptedTransport::new()
        .expect_hex(SELECT_000A, "90 00")
        .expect(&hex("00 B0 00 00 00"), &with_sw(&cert, &hex("62 82")));
    assert_eq!(read_in(&mut t, 0x000A), Ok(cert));
    assert_eq!(t.sent().len(), 2);
}

#[test]
fn a_file_shorter_than_its_certificate_is_truncated() {
    let (_, file) = certificate_file(1300, 0);
    let truncated = |expected, read| JpkiError::CertificateTruncated { expected, read };
    let first_read = || {
        ScriptedTransport::new()
            .expect_hex(SELECT_000A, "90 00")
            .reads("00 B0 00 00 00", &file[..256])
    };
    let cases = [
        (
            "6282 with some data, before the declared end",
            first_read().expect(
                &hex("00 B0 01 00 00"),
                &with_sw(&file[256..300], &hex("62 82")),
            ),
            truncated(1300, 300),
        ),
        (
            "6B00: the offset is already past the end of the EF",
            first_read().expect_hex("00 B0 01 00 00", "6B 00"),
            truncated(1300, 256),
        ),
        (
            "an empty 9000 answer (would otherwise loop forever)",
            first_read().expect_hex("00 B0 01 00 00", "90 00"),
            truncated(1300, 256),
        ),
        (
            "an empty EF: 6B00 at offset 0",
            ScriptedTransport::new()
                .expect_hex(SELECT_000A, "90 00")
                .expect_hex("00 B0 00 00 00", "6B 00"),
            truncated(2, 0),
        ),
    ];
    for (case, mut t, error) in cases {
        let read = block_on(read_certificate(&mut t, Fid(0x000A)));
        assert_eq!(read, Err(error), "{case}");
        t.assert_finished();
    }
}

#[test]
fn other_read_statuses_are_unexpected() {
    let mut t = ScriptedTransport::new()
        .expect_hex(SELECT_000A, "90 00")
        .expect_hex("00 B0 00 00 00", "69 82");
    assert_eq!(
        block_on(read_certificate(&mut t, Fid(0x000A))),
        unexpected(
            StatusWord::SECURITY_STATUS_NOT_SATISFIED,
            Operation::ReadBinary
        )
    );
}

#[test]
fn der_headers_are_parsed_strictly() {
    use JpkiError::{CertificateTooLarge, CertificateTruncated, MalformedLength, UnexpectedTag};
    let too_large = |declared| CertificateTooLarge {
        declared,
        max: 8192,
    };
    let truncated = |expected, read| CertificateTruncated { expected, read };
    assert_cases(
        |head| certificate_length(&hex(head)),
        &[
            ("30 82 05 74", Ok(1400)),
            ("30 82 01 00", Ok(260)),
            ("30 81 C5", Ok(200)),
            ("30 81 80", Ok(131)),
            ("30 7F", Ok(129)),
            ("30 00", Ok(2)),
            ("30 82 1F FC", Ok(MAX_CERTIFICATE_LEN)),
            ("FF FF FF FF", Err(UnexpectedTag { tag: 0xFF })),
            ("31 82 05 74", Err(UnexpectedTag { tag: 0x31 })),
            ("30 80 00 00", Err(MalformedLength)),
            ("30 81 7F", Err(MalformedLength)),
            ("30 82 00 FF", Err(MalformedLength)),
            ("30 83 00 1F FC", Err(MalformedLength)),
            ("30 85 01 00 00 00 00", Err(MalformedLength)),
            ("30 FF", Err(MalformedLength)),
            ("30 82 1F FD", Err(too_large(0x1FFD + 4))),
            ("30 83 01 00 00", Err(too_large(0x10000 + 5))),
            ("30 84 FF FF FF FF", Err(too_large(0xFFFF_FFFF + 6))),
            ("", Err(truncated(2, 0))),
            ("30", Err(truncated(2, 1))),
            ("30 82 05", Err(truncated(4, 3))),
        ],
    );
}

#[test]
fn a_malformed_header_stops_after_the_first_read() {
    let mut first = hex("30 80");
    first.resize(256, 0xAB);
    let mut t = ScriptedTransport::new()
        .with_extended_length(true)
        .expect_hex(SELECT_000A, "90 00")
        .reads("00 B0 00 00 00", &first);
    assert_eq!(read_in(&mut t, 0x000A), Err(JpkiError::MalformedLength));

    let mut first = hex("30 82 40 00");
    first.resize(256, 0xAB);
    let mut t = ScriptedTransport::new()
        .expect_hex(SELECT_000A, "90 00")
        .reads("00 B0 00 00 00", &first);
    assert!(matches!(
        read_in(&mut t, 0x000A),
        Err(JpkiError::CertificateTooLarge { .. })
    ));
}

// ---- token info -----------------------------------------------------------------------

fn token_info_card(label: &[u8], sw: &str) -> ScriptedTransport {
    ScriptedTransport::new()
        .expect_hex(SELECT_AP, "90 00")
        .expect_hex(SELECT_0006, "90 00")
        .expect(&hex("00 B0 00 00 20"), &with_sw(label, &hex(sw)))
}

#[test]
fn token_info_names_the_card() {
    let mut label = b"JPKIAPICCTOKEN2".to_vec();
    label.resize(32, b' ');
    let mut t = token_info_card(&label, "90 00");
    let info = block_on(read_token_info(&mut t)).unwrap();
    assert_eq!(info.label, "JPKIAPICCTOKEN2");
    assert_eq!(info.kind, TokenKind::MyNumberCard);
    assert_eq!(t.sent().len(), 3);
    t.assert_finished();

    let mut label = b"JPKIAPICCTOKEN".to_vec();
    label.resize(32, b' ');
    let mut t = token_info_card(&label, "90 00");
    assert_eq!(
        block_on(read_token_info(&mut t)).unwrap().kind,
        TokenKind::JukiCard
    );

    // Issue 14: the phones' labels (docs/phones.md §1), space- or NUL-padded.
    let mut label = b"JPKIAPGPSETOKEN".to_vec();
    label.resize(32, b' ');
    let android = TokenInfo::from_label_bytes(&label);
    assert_eq!(android.kind, TokenKind::Android);
    assert_eq!(android.kind.wire(), Some(crate::wire::Token::Android));
    assert_eq!(
        android.served_profile().unwrap().token_label,
        "JPKIAPGPSETOKEN"
    );
    let mut label = b"JPKIAPIOSTOKEN".to_vec();
    label.resize(32, 0);
    let iphone = TokenInfo::from_label_bytes(&label);
    assert_eq!(iphone.kind, TokenKind::Iphone);
    assert_eq!(iphone.kind.wire(), Some(crate::wire::Token::Iphone));
    assert!(matches!(
        iphone.served_profile(),
        Err(JpkiError::TokenNotSupported { label }) if label == "JPKIAPIOSTOKEN"
    ));
    assert_eq!(
        TokenKind::MyNumberCard.wire(),
        Some(crate::wire::Token::Card)
    );
    assert_eq!(TokenKind::JukiCard.profile(), None);

    let mut t = token_info_card(b"SOMEOTHERTOKEN\0\0", "62 82");
    let info = block_on(read_token_info(&mut t)).unwrap();
    assert_eq!(info.label, "SOMEOTHERTOKEN");
    assert_eq!(info.kind, TokenKind::Unknown);

    let info = TokenInfo::from_label_bytes(&[0xFF; 40]);
    assert_eq!(info.kind, TokenKind::Unknown);
    assert_eq!(info.label.chars().count(), 32);
    assert_eq!(TokenInfo::from_label_bytes(b"").label, "");
}

// ---- PIN ------------------------------------------------------------------------------

fn pin_status_card(sw: &str) -> ScriptedTransport {
    ScriptedTransport::new()
        .expect_hex(SELECT_0018, "90 00")
        .expect_hex(PIN_STATUS, sw)
}

#[test]
fn pin_status_reads_every_answer_without_using_a_try() {
    let not_verified = |remaining| PinStatus {
        remaining,
        blocked: false,
        verified: false,
    };
    let blocked = PinStatus {
        remaining: 0,
        blocked: true,
        verified: false,
    };
    let cases = [
        ("63 C3", not_verified(3)),
        ("63 C2", not_verified(2)),
        ("63 C1", not_verified(1)),
        ("63 C0", blocked),
        ("69 84", blocked),
        ("69 83", blocked),
        (
            "90 00",
            PinStatus {
                remaining: 3,
                blocked: false,
                verified: true,
            },
        ),
    ];
    for (sw, status) in cases {
        let mut t = pin_status_card(sw);
        assert_eq!(block_on(auth_pin_status(&mut t)), Ok(status), "{sw}");
        // Nothing but the SELECT carries data: no PIN, so no try is used.
        assert_eq!(t.sent()[1], hex(PIN_STATUS));
        t.assert_finished();
    }
    assert!(not_verified(1).is_last_attempt());
    assert!(!not_verified(2).is_last_attempt());
    assert!(!blocked.is_last_attempt());

    let mut t = pin_status_card("67 00");
    assert_eq!(
        block_on(auth_pin_status(&mut t)),
        unexpected(StatusWord::WRONG_LENGTH, Operation::PinStatus)
    );
    let mut t = ScriptedTransport::new().expect_hex(SELECT_0018, "6A 82");
    assert_eq!(
        block_on(auth_pin_status(&mut t)),
        Err(JpkiError::FileNotFound { fid: Fid(0x0018) })
    );
}

fn verify_card(sw: &str) -> ScriptedTransport {
    ScriptedTransport::new()
        .expect_hex(SELECT_0018, "90 00")
        .expect_hex(VERIFY_1234, sw)
}

#[test]
fn verify_sends_exactly_one_verify_and_maps_every_answer() {
    let pin = Pin::auth("1234").unwrap();
    let cases = [
        ("90 00", Ok(())),
        ("63 C2", Err(JpkiError::PinIncorrect { remaining: 2 })),
        ("63 C1", Err(JpkiError::PinIncorrect { remaining: 1 })),
        ("63 C0", Err(JpkiError::PinIncorrect { remaining: 0 })),
        ("69 84", Err(JpkiError::PinBlocked)),
        ("69 83", Err(JpkiError::PinBlocked)),
        (
            "69 85",
            unexpected(StatusWord::CONDITIONS_NOT_SATISFIED, Operation::Verify),
        ),
        // 6Cxx is not resent for a VERIFY: it has no Le, and the PIN goes out once.
        ("6C 04", unexpected(StatusWord(0x6C04), Operation::Verify)),
    ];
    for (sw, expected) in cases {
        let mut t = verify_card(sw);
        assert_eq!(block_on(verify_auth_pin(&mut t, &pin)), expected, "{sw}");
        let verifies = t.sent().iter().filter(|c| c[1] == 0x20).count();
        assert_eq!(verifies, 1, "{sw}");
        t.assert_finished();
    }

    let mut t = ScriptedTransport::new()
        .expect_hex(SELECT_0018, "90 00")
        .expect_error(
            &hex(VERIFY_1234),
            TransportError::new(TransportErrorKind::CardRemoved, "removed"),
        );
    assert!(matches!(
        block_on(verify_auth_pin(&mut t, &pin)),
        Err(JpkiError::Transport(_))
    ));
    t.assert_finished();
}

#[test]
fn the_consented_check_sends_the_pin_once_and_only_when_it_may() {
    let pin = Pin::auth("1234").unwrap();
    // (tries left answer, consent, the PIN's answer if it is sent, expected)
    type Case = (
        &'static str,
        bool,
        Option<&'static str>,
        Result<(), JpkiError>,
    );
    let cases: [Case; 8] = [
        ("63 C3", false, Some("90 00"), Ok(())),
        (
            "63 C2",
            false,
            Some("63 C1"),
            Err(JpkiError::PinIncorrect { remaining: 1 }),
        ),
        (
            "63 C1",
            false,
            None,
            Err(JpkiError::LastAttemptNeedsConsent),
        ),
        ("63 C1", true, Some("90 00"), Ok(())),
        (
            "63 C1",
            true,
            Some("63 C0"),
            Err(JpkiError::PinIncorrect { remaining: 0 }),
        ),
        ("63 C0", true, None, Err(JpkiError::PinBlocked)),
        ("69 84", true, None, Err(JpkiError::PinBlocked)),
        // Verified earlier in this card session: the holder still proves the PIN now.
        ("90 00", false, Some("90 00"), Ok(())),
    ];
    for (status, consent, answer, expected) in cases {
        let mut t = pin_status_card(status);
        if let Some(answer) = answer {
            t = t.expect_hex(VERIFY_1234, answer);
        }
        let result = block_on(verify_auth_pin_with_consent(&mut t, &pin, consent));
        assert_eq!(result, expected, "{status} consent={consent}");
        let with_pin = t
            .sent()
            .iter()
            .filter(|c| c[1] == 0x20 && c.len() > 4)
            .count();
        assert_eq!(with_pin, usize::from(answer.is_some()), "{status}");
        assert_eq!(t.sent().len(), 2 + usize::from(answer.is_some()));
        t.assert_finished();
    }
}

#[test]
fn pins_are_exactly_four_ascii_digits() {
    assert!(Pin::auth("1234").is_ok());
    assert!(Pin::auth("0000").is_ok());
    for (bad, error) in [
        (
            "",
            PinError::WrongLength {
                expected: 4,
                actual: 0,
            },
        ),
        (
            "123",
            PinError::WrongLength {
                expected: 4,
                actual: 3,
            },
        ),
        (
            "12345",
            PinError::WrongLength {
                expected: 4,
                actual: 5,
            },
        ),
        ("12a4", PinError::NotDigits),
        (" 123", PinError::NotDigits),
        ("１２３４", PinError::NotDigits),
        ("12.4", PinError::NotDigits),
    ] {
        assert_eq!(Pin::auth(bad).unwrap_err(), error, "{bad:?}");
    }
}

#[test]
fn debug_never_shows_pin_digits() {
    let pin = Pin::auth("9876").unwrap();
    let text = format!("{pin:?}");
    assert!(!text.contains("9876") && !text.contains('9'), "{text}");
    let cmd = Command::verify(MY_NUMBER_CARD.current_ef_reference, pin.as_bytes());
    let text = format!("{cmd:?}");
    assert!(!text.contains("9876") && !text.contains("39 38"), "{text}");
    let text = format!("{}", Pin::auth("98a6").unwrap_err());
    assert!(!text.contains("98"), "{text}");
}

// ---- signing --------------------------------------------------------------------------

fn sign_command() -> Vec<u8> {
    let d = digest_info();
    [hex("80 2A 00 80 33"), d, vec![0x00]].concat()
}

#[test]
fn sign_returns_the_256_byte_signature() {
    let signature: Vec<u8> = (0..256).map(|i| i as u8).collect();
    let mut t = ScriptedTransport::new()
        .expect_hex(SELECT_0017, "90 00")
        .expect(&sign_command(), &with_sw(&signature, OK));
    assert_eq!(
        block_on(sign_with_auth_key(&mut t, &digest_info())).unwrap(),
        signature
    );
    assert_eq!(t.sent().len(), 2);
    t.assert_finished();

    // T=0 style: the signature comes through GET RESPONSE.
    let mut t = ScriptedTransport::new()
        .expect_hex(SELECT_0017, "90 00")
        .expect(&sign_command(), &hex("61 00"))
        .reads("00 C0 00 00 00", &signature);
    assert_eq!(
        block_on(sign_with_auth_key(&mut t, &digest_info())).unwrap(),
        signature
    );
    t.assert_finished();
}

#[test]
fn sign_maps_6982_and_other_failures() {
    let mut t = ScriptedTransport::new()
        .expect_hex(SELECT_0017, "90 00")
        .expect(&sign_command(), &hex("69 82"));
    assert_eq!(
        block_on(sign_with_auth_key(&mut t, &digest_info())),
        Err(JpkiError::SecurityStatusNotSatisfied)
    );
    t.assert_finished();

    let mut t = ScriptedTransport::new()
        .expect_hex(SELECT_0017, "90 00")
        .expect(&sign_command(), &with_sw(&[1; 128], OK));
    assert_eq!(
        block_on(sign_with_auth_key(&mut t, &digest_info())),
        Err(JpkiError::UnexpectedSignatureLength {
            expected: 256,
            actual: 128
        })
    );

    let mut t = ScriptedTransport::new()
        .expect_hex(SELECT_0017, "90 00")
        .expect(&sign_command(), &hex("6A 80"));
    assert_eq!(
        block_on(sign_with_auth_key(&mut t, &digest_info())),
        unexpected(StatusWord::WRONG_DATA, Operation::ComputeSignature)
    );

    let mut t = ScriptedTransport::new().expect_hex(SELECT_0017, "6A 82");
    assert_eq!(
        block_on(sign_with_auth_key(&mut t, &digest_info())),
        Err(JpkiError::FileNotFound { fid: Fid(0x0017) })
    );
}

#[test]
fn sign_refuses_bad_digest_info_lengths_before_sending_anything() {
    for len in [0, 246, 300] {
        let mut t = ScriptedTransport::new();
        assert_eq!(
            block_on(sign_with_auth_key(&mut t, &vec![0; len])),
            Err(JpkiError::InvalidDigestInfoLength { len, max: 245 })
        );
        assert!(t.sent().is_empty());
    }
}

// ---- a whole authentication -----------------------------------------------------------

#[test]
fn pin_authentication_is_six_apdus() {
    let signature = vec![0x42; 256];
    let mut t = ScriptedTransport::new()
        .expect_hex(SELECT_AP, "90 00")
        .expect_hex(SELECT_0018, "90 00")
        .expect_hex(PIN_STATUS, "63 C3")
        .expect_hex(VERIFY_1234, "90 00")
        .expect_hex(SELECT_0017, "90 00")
        .expect(&sign_command(), &with_sw(&signature, OK));
    let pin = Pin::auth("1234").unwrap();
    let result = block_on(async {
        select_jpki_ap(&mut t).await?;
        verify_auth_pin_with_consent(&mut t, &pin, false).await?;
        sign_with_auth_key(&mut t, &digest_info()).await
    });
    assert_eq!(result.unwrap(), signature);
    assert_eq!(t.sent().len(), 6);
    t.assert_finished();
}

// ---- the card table's flows -----------------------------------------------------------

/// What the card answers to one step of a flow, and the commands the step sends.
fn script_step(
    t: ScriptedTransport,
    step: crate::profile::FlowStep,
    file: &[u8],
    pin: &Pin,
) -> ScriptedTransport {
    use crate::profile::FlowStep;
    let p = MY_NUMBER_CARD;
    match step {
        FlowStep::SelectJpki => t.expect(&Command::select_application(p.jpki.aid).encode(), OK),
        FlowStep::SelectEf(fid) => t.expect(&Command::select_ef(fid).encode(), OK),
        // A certificate of more than 256 bytes: the first read, then the rest.
        FlowStep::ReadCertificate => t
            .expect(
                &Command::read_binary(0, 256).unwrap().encode(),
                &with_sw(&file[..256], OK),
            )
            .expect(
                &Command::read_binary(256, (file.len() - 256) as u32)
                    .unwrap()
                    .encode(),
                &with_sw(&file[256..], OK),
            ),
        FlowStep::PinStatus => t.expect(
            &Command::verify_status(p.current_ef_reference).encode(),
            &hex("63 C3"),
        ),
        FlowStep::VerifyPin => t.expect(
            &Command::verify(p.current_ef_reference, pin.as_bytes()).encode(),
            OK,
        ),
        FlowStep::Sign => t.expect(
            &Command::compute_digital_signature(&digest_info())
                .unwrap()
                .encode(),
            &with_sw(&[0x11; 256], OK),
        ),
        FlowStep::ReadTokenLabel => {
            let mut label = p.token_label.as_bytes().to_vec();
            label.resize(TOKEN_INFO_LABEL_LEN, b' ');
            t.expect(
                &Command::read_binary(0, TOKEN_INFO_LABEL_LEN as u32)
                    .unwrap()
                    .encode(),
                &with_sw(&label, OK),
            )
        }
    }
}

/// The client sends exactly the card table's flows, in their order: the 目視 flow is
/// `read_auth_certificate`; the PIN flow adds `verify_auth_pin_with_consent` and
/// `sign_with_auth_key`, as the bridge's `authenticate` runs them.
#[test]
fn the_client_runs_the_profiles_flows_in_order() {
    let (cert, file) = certificate_file(300, 0);
    let pin = Pin::auth("1234").unwrap();
    let p = MY_NUMBER_CARD;

    let mut t = p
        .visual_flow
        .iter()
        .fold(ScriptedTransport::new(), |t, &s| {
            script_step(t, s, &file, &pin)
        });
    assert_eq!(block_on(read_auth_certificate(&mut t)).unwrap(), cert);
    t.assert_finished();

    let mut t = p.pin_flow.iter().fold(ScriptedTransport::new(), |t, &s| {
        script_step(t, s, &file, &pin)
    });
    assert_eq!(block_on(read_auth_certificate(&mut t)).unwrap(), cert);
    block_on(verify_auth_pin_with_consent(&mut t, &pin, false)).unwrap();
    let signature = block_on(sign_with_auth_key(&mut t, &digest_info())).unwrap();
    assert_eq!(signature.len(), p.auth_algorithm.signature_len());
    t.assert_finished();
}
