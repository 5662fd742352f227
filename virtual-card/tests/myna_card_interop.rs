//! Fidelity against code we did not write: the `myna-card` crate (written and tested against
//! real cards) drives the virtual card in-process through its `Transmit` trait.

use myna_card::ap::jpki::{JpkiAp, SignatureScheme};
use myna_card::{Card, Pin, Retries, TokenType, Transmit};
use myna_core::profile::{CARD_INFO_INPUT_AID, MY_NUMBER_CARD};
use myna_core::x509::parse_certificate;
use myna_personas::{Persona, Personas};
use myna_virtual_card::{ApduLog, SharedCard, VirtualCard};
use sha2::{Digest, Sha256};

/// `myna-card`'s transport over the virtual card.
struct VirtualTransport(SharedCard);

impl Transmit for VirtualTransport {
    fn transmit(&mut self, command: &[u8]) -> myna_card::Result<Vec<u8>> {
        self.0
            .transmit(command)
            .map(|exchange| exchange.response)
            .map_err(|e| myna_card::Error::Malformed(e.to_string()))
    }
}

fn card_of(persona: &str) -> (Persona, Card<VirtualTransport>, SharedCard, ApduLog) {
    let personas = Personas::embedded();
    let persona = personas.get(persona).unwrap().clone();
    let card = VirtualCard::from_persona(&persona).unwrap();
    let shared = SharedCard::new(card);
    let log = shared.log();
    (
        persona,
        Card::new(VirtualTransport(shared.clone())),
        shared,
        log,
    )
}

#[test]
fn myna_card_reads_certificates_token_info_and_retries() {
    let personas = Personas::embedded();
    let (persona, mut card, _shared, log) = card_of("default");
    let mut jpki = JpkiAp::select(&mut card).unwrap();
    assert_eq!(
        jpki.read_auth_certificate_der().unwrap(),
        persona.auth_cert_der
    );
    assert_eq!(
        jpki.read_auth_ca_certificate_der().unwrap(),
        personas.ca_cert_der()
    );
    let certificate = jpki.read_auth_certificate().unwrap();
    assert_eq!(certificate.der(), persona.auth_cert_der.as_slice());
    assert_eq!(jpki.read_token_type().unwrap(), TokenType::Card);
    let info = jpki.read_token_info().unwrap();
    assert_eq!(info.token_type, TokenType::Card);
    assert_eq!(info.serial_number, "0000000000000001");
    assert_eq!(jpki.auth_pin_retries().unwrap(), Retries::Remaining(3));
    assert_eq!(jpki.sign_pin_retries().unwrap(), Retries::Remaining(5));
    // Nothing of the 券面事項入力補助AP was touched, and no PIN was sent.
    assert!(!log.touched_application(CARD_INFO_INPUT_AID));
    assert!(log.entries().iter().all(|e| e.redacted_len.is_none()));
}

#[test]
fn myna_card_verifies_the_pin_and_signs() {
    let (persona, mut card, shared, log) = card_of("default");
    let mut jpki = JpkiAp::select(&mut card).unwrap();
    let message = b"myna-web auth v1 fidelity";
    // Before the PIN: refused.
    assert!(matches!(
        jpki.sign_with_auth_key(SignatureScheme::PreHashedDigestInfo, &Sha256::digest(message)),
        Err(myna_card::Error::Status(sw)) if sw.value() == 0x6982
    ));
    jpki.verify_auth_pin(&Pin::numeric(persona.pin.as_deref().unwrap().as_str()).unwrap())
        .unwrap();
    // Every scheme, checked by myna-card against the certificate it reads off the card.
    for scheme in [
        SignatureScheme::Verbatim,
        SignatureScheme::Sha256Bare,
        SignatureScheme::PreHashedDigestInfo,
        SignatureScheme::Sha256DigestInfo,
        SignatureScheme::PreHashedPss,
        SignatureScheme::Sha256Pss,
    ] {
        let input: Vec<u8> = match scheme {
            SignatureScheme::PreHashedDigestInfo | SignatureScheme::PreHashedPss => {
                Sha256::digest(message).to_vec()
            }
            _ => message.to_vec(),
        };
        let signature = jpki
            .sign_with_auth_key_checked(scheme, &input)
            .unwrap_or_else(|e| panic!("{scheme:?}: {e}"));
        assert_eq!(signature.len(), 256);
    }
    // And with our own verifier (the core's, with the certificate's key): the DigestInfo
    // form is an ordinary RS256 signature.
    let signature = jpki
        .sign_with_auth_key(
            SignatureScheme::PreHashedDigestInfo,
            &Sha256::digest(message),
        )
        .unwrap();
    parse_certificate(&persona.auth_cert_der)
        .unwrap()
        .verify_rs256(message, &signature)
        .unwrap();
    assert!(shared.lock().auth_pin_verified());
    // The PIN never reached the log.
    let verify = log
        .entries()
        .into_iter()
        .find(|e| e.command.get(1) == Some(&0x20) && e.redacted_len.is_some())
        .expect("a VERIFY with data");
    assert_eq!(verify.command, [0x00, 0x20, 0x00, 0x80]);
    assert_eq!(verify.redacted_len, Some(5));
}

#[test]
fn myna_card_sees_wrong_pins_and_blocking() {
    let (_persona, mut card, shared, _log) = card_of("last-try");
    let mut jpki = JpkiAp::select(&mut card).unwrap();
    assert_eq!(jpki.auth_pin_retries().unwrap(), Retries::Remaining(1));
    let wrong = Pin::numeric("0000").unwrap();
    // The last try exhausts the counter: 63C0, which myna-card reads as blocked.
    assert!(matches!(
        jpki.verify_auth_pin(&wrong),
        Err(myna_card::Error::PinBlocked)
    ));
    assert_eq!(jpki.auth_pin_retries().unwrap(), Retries::Blocked);
    assert!(matches!(
        jpki.verify_auth_pin(&wrong),
        Err(myna_card::Error::PinBlocked)
    ));
    assert_eq!(shared.lock().auth_pin_remaining(), 0);

    let (_persona, mut card, _shared, _log) = card_of("kokuho");
    let mut jpki = JpkiAp::select(&mut card).unwrap();
    assert!(matches!(
        jpki.verify_auth_pin(&wrong),
        Err(myna_card::Error::PinIncorrect { retries: Some(2) })
    ));
    assert_eq!(jpki.auth_pin_retries().unwrap(), Retries::Remaining(2));

    let (_persona, mut card, _shared, _log) = card_of("blocked");
    let mut jpki = JpkiAp::select(&mut card).unwrap();
    assert_eq!(jpki.auth_pin_retries().unwrap(), Retries::Blocked);
    let (_persona, mut card, _shared, _log) = card_of("no-pin");
    let mut jpki = JpkiAp::select(&mut card).unwrap();
    assert_eq!(jpki.auth_pin_retries().unwrap(), Retries::Blocked);
    assert!(jpki.read_auth_certificate_der().is_ok());
}

#[test]
fn myna_card_reads_the_file_limits_from_the_same_profile() {
    // The AID and FIDs myna-card hard-codes agree with the profile the virtual card uses.
    assert_eq!(myna_card::ap::jpki::DF, MY_NUMBER_CARD.jpki.aid);
    assert_eq!(
        myna_card::ap::jpki::ef::AUTH_CERTIFICATE,
        MY_NUMBER_CARD.auth_certificate.0
    );
    assert_eq!(
        myna_card::ap::jpki::ef::AUTH_CA_CERTIFICATE,
        MY_NUMBER_CARD.auth_ca_certificate.0
    );
    assert_eq!(myna_card::ap::jpki::ef::AUTH_KEY, MY_NUMBER_CARD.auth_key.0);
    assert_eq!(myna_card::ap::jpki::ef::AUTH_PIN, MY_NUMBER_CARD.auth_pin.0);
    assert_eq!(
        myna_card::ap::jpki::ef::TOKEN_INFO,
        MY_NUMBER_CARD.token_info.0
    );
    assert_eq!(myna_card::ap::text::DF, MY_NUMBER_CARD.card_info_input.aid);
}

/// Issue 14: what the `myna-card` crate (which classifies tokens but applies the card's
/// access rules to all of them, `docs/phones.md` §4) does with the virtual Android phone: it
/// names the token Android and the iPhone iPhone; its "readable without a PIN" certificate
/// read fails on the phone with 6982 until the auth PIN is verified, then gives the persona's
/// certificate.
#[test]
fn issue_14_myna_card_meets_the_virtual_phones() {
    let (persona, mut card, _shared, _log) = card_of("android");
    let mut jpki = JpkiAp::select(&mut card).unwrap();
    assert_eq!(jpki.read_token_type().unwrap(), TokenType::Android);
    assert!(matches!(
        jpki.read_auth_certificate_der(),
        Err(myna_card::Error::Status(sw)) if sw.value() == 0x6982
    ));
    jpki.verify_auth_pin(&Pin::numeric(persona.pin.as_deref().unwrap().as_str()).unwrap())
        .unwrap();
    assert_eq!(
        jpki.read_auth_certificate_der().unwrap(),
        persona.auth_cert_der
    );

    let (_, mut card, _shared, _log) = card_of("iphone");
    let mut jpki = JpkiAp::select(&mut card).unwrap();
    assert_eq!(jpki.read_token_type().unwrap(), TokenType::IPhone);
}
