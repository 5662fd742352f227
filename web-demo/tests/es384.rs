//! Issue 14 item 5, the card-profile seam proven: a confirmation signed with ES384 (ECDSA
//! P-384 / SHA-384, the key algorithm announced for the next-generation card) by the
//! `next-gen` persona — a P-384 test certificate issued by the personas' RSA test root —
//! through the service's HTTP API on a real SQLite file: `app()` with `oneshot`, and once
//! through the real `myna-demo serve` binary over a socket. The service dispatches its
//! verification on the confirmation's `algorithm` and refuses an algorithm that does not
//! match the certificate's key (`MW0040`) or that it does not know (`MW0039`).
//!
//! What this does not cover: a certificate or CRL *signed* by an EC CA (the core verifies
//! certificate and CRL signatures with RSA keys only, and refuses an EC issuer), and any card
//! command of the next-generation card (none is public).

mod support;

use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use myna_core::profile::{AuthAlgorithm, NEXT_GENERATION_CARD};
use myna_core::x509::{PublicKey, parse_certificate};
use p384::ecdsa::signature::Signer as _;
use serde_json::{Value, json};
use support::service::Service;
use support::{Card, Harness, ORIGIN};

/// The next-generation persona's certificate and key.
struct NextGenerationCard {
    certificate: Vec<u8>,
    key: p384::ecdsa::SigningKey,
}

impl NextGenerationCard {
    fn load() -> Self {
        let personas = myna_personas::Personas::embedded();
        let persona = personas
            .next_generation()
            .find(|p| p.name == "next-gen")
            .expect("the next-gen persona");
        assert_eq!(persona.algorithm, NEXT_GENERATION_CARD.auth_algorithm);
        NextGenerationCard {
            certificate: persona.auth_cert_der.clone(),
            key: persona.auth_key.clone(),
        }
    }

    /// ES384 over the auth message, `r ‖ s` (RFC 6979: the same bytes every time).
    fn sign(&self, origin: &str, nonce: &str) -> Vec<u8> {
        let message = myna_core::auth::auth_message(origin, nonce);
        let signature: p384::ecdsa::Signature = self.key.sign(&message);
        signature.to_bytes().to_vec()
    }

    /// A fresh nonce for `token` and the card's signature over it for [`ORIGIN`].
    async fn signed_nonce(&self, h: &Harness, token: &str) -> (String, Vec<u8>) {
        let nonce = h.nonce(token).await;
        let signature = self.sign(ORIGIN, &nonce);
        (nonce, signature)
    }

    fn body(&self, nonce: &str, signature: &[u8], algorithm: Option<&str>) -> Value {
        let mut body = json!({
            "mode": "pin",
            "certificate": STANDARD.encode(&self.certificate),
            "signature": STANDARD.encode(signature),
            "nonce": nonce,
            "origin": ORIGIN,
        });
        if let Some(algorithm) = algorithm {
            body["algorithm"] = algorithm.into();
        }
        body
    }
}

const ES384: Option<&str> = Some("ES384");

#[test]
fn the_next_generation_certificate_has_a_p384_key_from_the_rsa_test_root() {
    let card = NextGenerationCard::load();
    let info = parse_certificate(&card.certificate).unwrap();
    assert!(matches!(info.public_key, PublicKey::EcP384(_)));
    assert_eq!(info.key_algorithm(), "EC");
    info.check_jpki_auth().unwrap();
    // The signature is deterministic (RFC 6979), so fixtures and runs reproduce.
    let nonce = "A".repeat(43);
    assert_eq!(card.sign(ORIGIN, &nonce), card.sign(ORIGIN, &nonce));
    assert_eq!(card.sign(ORIGIN, &nonce).len(), 96);
}

#[tokio::test]
async fn issue_14_an_es384_confirmation_is_verified_and_answered() {
    let (h, token) = Harness::with_terminal().await;
    let card = NextGenerationCard::load();
    let (nonce, signature) = card.signed_nonce(&h, &token).await;
    let msg = h
        .confirm(&token, card.body(&nonce, &signature, ES384))
        .await
        .assert_status_ok();
    let validity = msg.message_body.qualification_validity.as_ref().unwrap();
    assert_eq!(validity.raw(), "1");
    assert_eq!(msg.results()[0].name.as_deref(), Some("森　結衣"));
    let audit = h.audit(&token).await;
    assert!(
        audit
            .iter()
            .any(|r| r["mode"] == "pin" && r["errorCode"].is_null())
    );
}

#[tokio::test]
async fn issue_14_a_wrong_es384_signature_origin_or_nonce_is_refused() {
    let (h, token) = Harness::with_terminal().await;
    let card = NextGenerationCard::load();

    // What the card signed, given the nonce sent and another valid one.
    type Signed = fn(&NextGenerationCard, &str, &str) -> Vec<u8>;
    let cases: [(&str, Signed); 5] = [
        ("one bit of the signature flipped", |card, nonce, _| {
            let mut signature = card.sign(ORIGIN, nonce);
            signature[10] ^= 0x01;
            signature
        }),
        ("signed for another origin", |card, nonce, _| {
            card.sign("https://elsewhere.example", nonce)
        }),
        (
            "signed over another nonce (a fresh, valid one is sent)",
            |card, _, other| card.sign(ORIGIN, other),
        ),
        // Not the JOSE form `r ‖ s`:
        ("the signature in DER", |card, nonce, _| {
            let signature = p384::ecdsa::Signature::from_slice(&card.sign(ORIGIN, nonce));
            signature.unwrap().to_der().as_bytes().to_vec()
        }),
        ("the signature cut short", |card, nonce, _| {
            card.sign(ORIGIN, nonce)[..95].to_vec()
        }),
    ];
    for (case, signed) in cases {
        println!("{case}");
        let other = h.nonce(&token).await;
        let nonce = h.nonce(&token).await;
        let signature = signed(&card, &nonce, &other);
        h.confirm(&token, card.body(&nonce, &signature, ES384))
            .await
            .assert_error(401, "MW0006");
    }
}

#[tokio::test]
async fn issue_14_an_algorithm_that_does_not_match_the_certificate_key_is_refused() {
    let (h, token) = Harness::with_terminal().await;
    let next = NextGenerationCard::load();
    let card = Card::load("default");

    // RS256 (named, or absent: the default) with the P-384 certificate, even over a right
    // ES384 signature.
    for algorithm in [Some("RS256"), None] {
        let (nonce, signature) = next.signed_nonce(&h, &token).await;
        h.confirm(&token, next.body(&nonce, &signature, algorithm))
            .await
            .assert_error(401, "MW0040");
    }

    // ES384 with an RSA certificate, over a right RS256 signature.
    let mut body = h.pin_body(&token, &card).await;
    body["algorithm"] = "ES384".into();
    h.confirm(&token, body).await.assert_error(401, "MW0040");

    // The same RSA card naming RS256 is answered.
    let mut body = h.pin_body(&token, &card).await;
    body["algorithm"] = AuthAlgorithm::Rs256.as_str().into();
    h.confirm(&token, body).await.assert_status_ok();
}

#[tokio::test]
async fn issue_14_an_unknown_algorithm_is_refused_before_the_nonce_is_used() {
    let (h, token) = Harness::with_terminal().await;
    let next = NextGenerationCard::load();
    let (nonce, signature) = next.signed_nonce(&h, &token).await;
    for unknown in ["ES512", "es384", "ES256", "PS256", "", "none"] {
        h.confirm(&token, next.body(&nonce, &signature, Some(unknown)))
            .await
            .assert_error(422, "MW0039");
    }
    // Not consumed by the refusals: the right body still goes through with it.
    h.confirm(&token, next.body(&nonce, &signature, ES384))
        .await
        .assert_status_ok();
}

/// The same through the real binary, over a socket, with the real clock and its own SQLite
/// file: accepted, and refused when the nonce is not the one signed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_14_es384_through_the_real_service() {
    let dir = tempfile::tempdir().unwrap();
    let service = Service::start(&dir.path().join("service.sqlite3"));
    let token = service.activate("es384").await;
    let card = NextGenerationCard::load();

    let first = service.nonce(&token).await;
    let signed = card.sign(ORIGIN, &first);
    let (status, msg) = service
        .confirm(&token, card.body(&first, &signed, ES384))
        .await;
    assert_eq!(status, StatusCode::OK.as_u16(), "{msg:?}");
    assert_eq!(
        msg.message_body
            .qualification_validity
            .as_ref()
            .map(|v| v.raw()),
        Some("1")
    );

    let second = service.nonce(&token).await;
    let (status, msg) = service
        .confirm(&token, card.body(&second, &signed, ES384))
        .await;
    assert_eq!(status, 401);
    assert_eq!(msg.message_header.error_code.as_deref(), Some("MW0006"));
}
