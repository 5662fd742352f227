//! The authentication message and its verification, against bytes computed outside this
//! crate (OpenSSL) and signatures made with a committed persona key the way the card makes
//! them.

mod support;

use myna_core::auth::{
    AUTH_MESSAGE_LEN, AuthError, NonceError, OriginError, auth_message, digest_info_sha256,
    validate_nonce, validate_origin, verify_auth_signature,
};
use myna_core::x509::{SignatureError, parse_certificate};
use rsa::Pkcs1v15Sign;
use support::*;

const ORIGIN: &str = "https://reception.example.jp";
const NONCE: &str = "3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// `printf 'myna-web auth v1\0'; printf %s "$ORIGIN" | openssl dgst -sha256 -binary;
/// printf %s "$NONCE" | openssl dgst -sha256 -binary`
const EXPECTED_M: &str = "6d796e612d776562206175746820763100\
    b00885838948d7e78583a5808b47d3741423a3ce76d00ddcd8ff6dfe90570fac\
    8c544a522abd1bb1a3b983faf2dab0c8e0511ec2a963e1fc7d92c5d1ca8b3672";

/// `openssl dgst -sha256 -binary m.bin`
const EXPECTED_SHA256_M: &str = "c129c281c373351a892ec7291d870c0d2dbf17109dafb805d9b99bd56e83700d";

/// `openssl dgst -sha256 -sign default/auth.key (PEM) m.bin`
const OPENSSL_SIGNATURE: &str = "7b7520d55f1bcaf620e4372c7c0ff7915bb22762d0473ab563bde1aac4df173e\
    492073b80c67c5c7b4e67f1414c5e6a2a22de881b551e390417f9220d0197ff3fbe9a83c47ec8895663eacaaaffd87dd\
    c8c515e5a0ac3037dace9925c454408a2780624b37e6c2d6fd96988db31568fa05e89ddd36a5ab44c608a432c586a150\
    f52f9851e9598592c3022e0d04bd68ce94582a6f44466085539acccfe8d25411673e8d7c0a189f34e4455911535fd6fb\
    76e1995b250c28b3ccd172083c421eb746dd3cfc9f380d937ff2c19b453c13fa45c39fdb39bd9123b77015e999a41d4b\
    a612d508eb4572f25829d5fc0494aab0e309a41b7ac8d1e80c5a728f7511ebfe";

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    hex::decode(s).unwrap()
}

/// What the card does: PKCS#1 v1.5 type-1 padding over the DigestInfo it is given, then the
/// private-key operation.
fn card_sign(key_pk8: &[u8], digest_info: &[u8]) -> Vec<u8> {
    key(key_pk8)
        .sign(Pkcs1v15Sign::new_unprefixed(), digest_info)
        .unwrap()
}

/// The `default` persona's card signature for `origin` and [`NONCE`].
fn default_card_signature(origin: &str) -> Vec<u8> {
    card_sign(
        DEFAULT_KEY,
        &digest_info_sha256(&auth_message(origin, NONCE)),
    )
}

#[test]
fn the_message_matches_openssl() {
    let m = auth_message(ORIGIN, NONCE);
    assert_eq!(m.len(), AUTH_MESSAGE_LEN);
    assert_eq!(m, unhex(EXPECTED_M));
    let di = digest_info_sha256(&m);
    assert_eq!(
        hex::encode(di),
        format!(
            "3031300d060960864801650304020105000420{}",
            EXPECTED_SHA256_M
        )
    );
}

#[test]
fn a_card_style_signature_verifies_and_equals_openssl_rs256() {
    let cert = parse_certificate(DEFAULT_CRT).unwrap();
    let signature = default_card_signature(ORIGIN);
    // PKCS#1 v1.5 is deterministic: the card's form is byte-identical to RS256 over M.
    assert_eq!(signature, unhex(OPENSSL_SIGNATURE));
    assert_eq!(
        verify_auth_signature(&cert, ORIGIN, NONCE, &signature),
        Ok(())
    );
    assert_eq!(
        verify_auth_signature(&cert.public_key, ORIGIN, NONCE, &signature),
        Ok(())
    );
}

#[test]
fn a_signature_is_bound_to_its_origin_nonce_and_key() {
    let cert = parse_certificate(DEFAULT_CRT).unwrap();
    let signature = default_card_signature(ORIGIN);
    let invalid = Err(AuthError::Signature(SignatureError::Invalid));
    for origin in [
        "https://evil.example.jp",
        "http://reception.example.jp",
        "https://reception.example.jp:8443",
    ] {
        assert_eq!(
            verify_auth_signature(&cert, origin, NONCE, &signature),
            invalid,
            "{origin}"
        );
    }
    let other_nonce = format!("{}B", &NONCE[..NONCE.len() - 1]);
    assert_eq!(
        verify_auth_signature(&cert, ORIGIN, &other_nonce, &signature),
        invalid
    );
    let kokuho = parse_certificate(KOKUHO_CRT).unwrap();
    assert_eq!(
        verify_auth_signature(&kokuho, ORIGIN, NONCE, &signature),
        invalid
    );
    let mut flipped = signature.clone();
    flipped[100] ^= 0x01;
    assert_eq!(
        verify_auth_signature(&cert, ORIGIN, NONCE, &flipped),
        invalid
    );
    assert_eq!(
        verify_auth_signature(&cert, ORIGIN, NONCE, &signature[..255]),
        Err(AuthError::Signature(SignatureError::WrongLength {
            expected: 256,
            actual: 255
        }))
    );
    // A signature over the raw message (no DigestInfo), or over the DigestInfo of a
    // different hash construction, is not an authentication signature.
    let raw = key(DEFAULT_KEY)
        .sign(
            Pkcs1v15Sign::new_unprefixed(),
            &auth_message(ORIGIN, NONCE)[..],
        )
        .unwrap();
    assert_eq!(verify_auth_signature(&cert, ORIGIN, NONCE, &raw), invalid);
}

#[test]
fn invalid_inputs_are_refused_before_the_signature_is_looked_at() {
    let cert = parse_certificate(DEFAULT_CRT).unwrap();
    let signature = default_card_signature(ORIGIN);
    assert_eq!(
        verify_auth_signature(&cert, "https://Reception.example.jp", NONCE, &signature),
        Err(AuthError::Origin(OriginError::NotLowercase))
    );
    assert_eq!(
        verify_auth_signature(&cert, ORIGIN, "short", &signature),
        Err(AuthError::Nonce(NonceError::TooShort { len: 5 }))
    );
    // Even a "valid" signature over an invalid origin is refused.
    let bad_origin = "https://reception.example.jp/";
    let signature = default_card_signature(bad_origin);
    assert_eq!(
        verify_auth_signature(&cert, bad_origin, NONCE, &signature),
        Err(AuthError::Origin(OriginError::HasPath))
    );
}

#[test]
fn nonce_edges() {
    let ok = |n: &str| validate_nonce(n);
    assert_eq!(ok(&"a".repeat(43)), Ok(()));
    assert_eq!(ok(&"Z9-_".repeat(32)), Ok(()));
    assert_eq!(ok(&"a".repeat(42)), Err(NonceError::TooShort { len: 42 }));
    assert_eq!(ok(""), Err(NonceError::TooShort { len: 0 }));
    assert_eq!(ok(&"a".repeat(129)), Err(NonceError::TooLong { len: 129 }));
    let a43 = "a".repeat(43);
    for (nonce, position) in [
        (format!("{a43}="), 43),
        (format!("{a43}+"), 43),
        (format!("a/{a43}"), 1),
        (format!("{a43} "), 43),
        (format!("é{a43}"), 0),
    ] {
        assert_eq!(
            ok(&nonce),
            Err(NonceError::InvalidCharacter { position }),
            "{nonce:?}"
        );
    }
}

#[test]
fn origins_accepted() {
    for origin in [
        "https://reception.example.jp",
        "http://localhost:8080",
        "https://localhost:8443",
        "http://127.0.0.1:5173",
        "https://[::1]:8443",
        "http://[2001:db8::1]",
        "https://xn--eckwd4c7c.xn--zckzah",
        "https://a-b.c0.example:65535",
        "http://emr:1",
    ] {
        assert_eq!(validate_origin(origin), Ok(()), "{origin}");
    }
}

#[test]
fn origins_refused() {
    use OriginError::*;
    let cases: &[(&str, OriginError)] = &[
        ("", Empty),
        ("null", Opaque),
        ("https://例え.jp", NotAscii),
        ("ftp://example.jp", UnsupportedScheme),
        ("wss://example.jp", UnsupportedScheme),
        ("example.jp", UnsupportedScheme),
        ("file:///etc/passwd", UnsupportedScheme),
        ("HTTPS://example.jp", NotLowercase),
        ("https://Example.jp", NotLowercase),
        ("https://user@example.jp", HasUserinfo),
        ("https://user:pw@example.jp", HasUserinfo),
        ("https://example.jp/", HasPath),
        ("https://example.jp/app", HasPath),
        ("https://example.jp?x=1", HasPath),
        ("https://example.jp#top", HasPath),
        ("https://", MissingHost),
        ("https://:8443", MissingHost),
        ("https://exa mple.jp", InvalidHost),
        ("https://example.jp.", InvalidHost),
        ("https://-example.jp", InvalidHost),
        ("https://ex_ample.jp", InvalidHost),
        ("https://example..jp", InvalidHost),
        ("https://1.2.3.04", InvalidHost),
        ("https://256.1.1.1", InvalidHost),
        ("https://[::0:1]", InvalidHost),
        ("https://[::1", InvalidHost),
        ("https://[::1]x", InvalidHost),
        ("https://example.jp:", InvalidPort),
        ("https://example.jp:08443", InvalidPort),
        ("https://example.jp:0", InvalidPort),
        ("https://example.jp:65536", InvalidPort),
        ("https://example.jp:99999999", InvalidPort),
        ("https://example.jp:+443", InvalidPort),
        ("https://example.jp:1:2", InvalidPort),
        ("https://example.jp:443", DefaultPort),
        ("http://example.jp:80", DefaultPort),
    ];
    for (origin, expected) in cases {
        assert_eq!(validate_origin(origin), Err(*expected), "{origin}");
    }
    let long_label = format!("https://{}.jp", "a".repeat(64));
    assert_eq!(validate_origin(&long_label), Err(InvalidHost));
    let long_host = format!("https://{}jp", "abcdefghi.".repeat(26));
    assert_eq!(validate_origin(&long_host), Err(InvalidHost));
}
