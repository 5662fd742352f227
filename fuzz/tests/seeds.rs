//! The committed seed corpus (`fuzz/seeds/<target>/`): small, real-shaped inputs the fuzzer
//! starts from, made here from the project's fixtures and from a real virtual-card session.
//!
//! `MYNA_WRITE_SEEDS=1 cargo test --test seeds` (in `fuzz/`) rewrites them; without it the
//! test fails if a committed seed differs from what this file makes, so they cannot drift
//! from the fixtures or from the byte formats of `myna_fuzz`.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use arbitrary::{Arbitrary, Unstructured};
use myna_bridge::fuzzing::{Frame, PinFrame, PinValue, Step};
use myna_bridge::personas::Personas;
use myna_core::apdu::Command;
use myna_core::jpki;
use myna_core::profile::{CARD_INFO_INPUT_AID, Fid, JPKI_AID, MY_NUMBER_CARD};
use myna_core::transport::{Transport, TransportError};
use myna_fuzz::{FrameInput, PolicySteps, encode_frame, encode_steps};
use myna_virtual_card::{CardContents, VirtualCard};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Polls a future that never waits.
fn now<F: Future>(future: F) -> F::Output {
    match pin!(future)
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the virtual card never waits"),
    }
}

/// The virtual card, recording every answer in the `apdu` target's script format
/// (big-endian u16 length, then the answer).
struct Recorder {
    card: VirtualCard,
    script: Vec<u8>,
}

impl Transport for Recorder {
    fn transmit(
        &mut self,
        command: &[u8],
    ) -> impl Future<Output = Result<Vec<u8>, TransportError>> {
        let response = self.card.transmit(command).expect("powered").response;
        let len = u16::try_from(response.len()).expect("short answers");
        self.script.extend_from_slice(&len.to_be_bytes());
        self.script.extend_from_slice(&response);
        std::future::ready(Ok(response))
    }
}

fn default_card() -> VirtualCard {
    let personas = Personas::embedded();
    let persona = personas.get("default").expect("default persona");
    VirtualCard::new(CardContents::for_persona(persona)).expect("card")
}

fn apdu_seeds() -> Vec<(String, Vec<u8>)> {
    let mut seeds: Vec<(String, Vec<u8>)> = vec![
        (
            "select-jpki".into(),
            Command::select_application(JPKI_AID).encode().to_vec(),
        ),
        (
            "select-000a".into(),
            Command::select_ef(Fid(0x000A)).encode().to_vec(),
        ),
        ("read-binary-short".into(), hex("00 B0 00 00 00")),
        ("read-binary-extended".into(), hex("00 B0 01 00 00 03 7B")),
        ("verify-status".into(), hex("00 20 00 80")),
        ("verify-1234".into(), hex("00 20 00 80 04 31 32 33 34")),
        ("get-response".into(), hex("00 C0 00 00 00")),
        (
            "case4-extended".into(),
            hex("80 2A 00 80 00 00 03 01 02 03 00 00"),
        ),
        ("response-ok".into(), hex("90 00")),
        ("response-tries".into(), hex("63 C3")),
        ("response-more".into(), hex("61 10")),
        (
            "certificate-head".into(),
            hex("30 82 04 77 30 82 03 5F A0 03 02 01 02"),
        ),
        ("certificate-head-long".into(), hex("30 84 00 00 10 00")),
    ];
    // Whole sessions with the default persona's card: the `apdu` target replays their
    // answers to the JPKI client.
    let mut r = Recorder {
        card: default_card(),
        script: Vec::new(),
    };
    now(jpki::read_auth_certificate(&mut r)).expect("reads");
    seeds.push(("session-read-certificate".into(), r.script));
    let mut r = Recorder {
        card: default_card(),
        script: Vec::new(),
    };
    now(jpki::read_token_info(&mut r)).expect("reads");
    now(jpki::auth_pin_status(&mut r)).expect("status");
    seeds.push(("session-token-and-pin-status".into(), r.script));
    seeds
}

fn x509_seeds() -> Vec<(String, Vec<u8>)> {
    let mut seeds = vec![
        (
            "root".to_string(),
            read("tests/fixtures/personas/ca/root.crt.der"),
        ),
        (
            "root-old".into(),
            read("tests/fixtures/personas/ca/root-old.crt.der"),
        ),
        ("crl".into(), read("tests/fixtures/personas/ca/crl.der")),
    ];
    // `next-gen`: a P-384 key (issue 14), read by the browser module's display-only reader too.
    for persona in [
        "default",
        "expired-cert",
        "revoked-cert",
        "child",
        "next-gen",
    ] {
        let path = format!("tests/fixtures/personas/{persona}/auth.crt.der");
        seeds.push((persona.to_string(), read(&path)));
    }
    // The default certificate with a malformed cRLDistributionPoints / authorityKeyIdentifier:
    // what the checked parse refuses and the lazy one and the display-only view (the browser
    // module's) accept.
    let default = read("tests/fixtures/personas/default/auth.crt.der");
    for (name, oid_last) in [("default-bad-crl-dp", 0x1f), ("default-bad-aki", 0x23)] {
        seeds.push((
            name.into(),
            with_extension_set_not_sequence(&default, oid_last),
        ));
    }
    seeds
}

/// `der` with the value of extension `2.5.29.<oid_last>` starting with a SET tag instead of
/// its SEQUENCE: every length stays right, only that extension no longer decodes.
fn with_extension_set_not_sequence(der: &[u8], oid_last: u8) -> Vec<u8> {
    let oid = [0x06, 0x03, 0x55, 0x1d, oid_last];
    let at = der
        .windows(oid.len())
        .position(|w| w == oid)
        .expect("the certificate has the extension")
        + oid.len();
    // An optional `critical` BOOLEAN, then the OCTET STRING (short length) holding the value.
    let at = if der[at] == 0x01 { at + 3 } else { at };
    assert_eq!(der[at], 0x04, "the extension's OCTET STRING");
    let value = if der[at + 1] < 0x80 {
        at + 2
    } else {
        at + 2 + usize::from(der[at + 1] & 0x7f)
    };
    assert_eq!(der[value], 0x30, "the extension's value is a SEQUENCE");
    let mut out = der.to_vec();
    out[value] = 0x31;
    out
}

/// The `.xml` fixtures in `dir` (below the workspace root), by name, with their stems.
fn xml_fixtures(dir: &str) -> Vec<(String, std::path::PathBuf)> {
    let mut paths: Vec<_> = std::fs::read_dir(root().join(dir))
        .expect("oqs fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let stem = path.file_stem().expect("name").to_string_lossy();
            (stem.into_owned(), path)
        })
        .collect()
}

fn oqs_seeds() -> Vec<(String, Vec<u8>)> {
    let mut seeds = Vec::new();
    for dir in ["core/tests/data/oqs", "core/tests/data/oqs/malformed"] {
        for (stem, path) in xml_fixtures(dir) {
            let prefix = if dir.ends_with("malformed") {
                "malformed-"
            } else {
                ""
            };
            seeds.push((
                format!("{prefix}{stem}"),
                std::fs::read(&path).expect("read"),
            ));
        }
    }
    seeds
}

const NONCE: &str = "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"";

fn frames() -> Vec<(String, Frame)> {
    let raw = |s: &str| Frame::Raw(s.to_owned());
    let pin_frame = |method: &str, params: &[(&str, &str)], pin: PinValue| {
        Frame::Pin(PinFrame {
            id: "1".into(),
            method: method.into(),
            params: params
                .iter()
                .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
                .collect(),
            pin_at: 1,
            pin,
            trailer: String::new(),
        })
    };
    vec![
        ("hello".into(), raw(r#"{"id":1,"method":"hello"}"#)),
        (
            "list-readers".into(),
            raw(r#"{"id":"a","method":"listReaders","params":{}}"#),
        ),
        (
            "connect".into(),
            raw(r#"{"id":2,"method":"connect","params":{"reader":"Virtual PCD 00 00"}}"#),
        ),
        (
            "transmit".into(),
            raw(
                r#"{"id":3,"method":"transmit","params":{"handle":1,"apdu":"00A4040C0AD392F000260100000001"}}"#,
            ),
        ),
        (
            "pin-status".into(),
            raw(r#"{"id":4,"method":"pinStatus","params":{"handle":1}}"#),
        ),
        (
            "authenticate-raw".into(),
            raw(
                r#"{"id":5,"method":"authenticate","params":{"handle":1,"nonce":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","pin":"1234","allowLastAttempt":true}}"#,
            ),
        ),
        (
            "disconnect".into(),
            raw(r#"{"id":7,"method":"disconnect","params":{"handle":1}}"#),
        ),
        (
            "simulate".into(),
            raw(r#"{"id":8,"method":"simulate","params":{"action":"insert","persona":"default"}}"#),
        ),
        ("not-json".into(), raw(r#"{"id":1,"method":"hello""#)),
        (
            "authenticate".into(),
            pin_frame(
                "authenticate",
                &[
                    ("handle", "1"),
                    ("nonce", NONCE),
                    ("allowLastAttempt", "true"),
                ],
                PinValue::Text("1234".into()),
            ),
        ),
        (
            "authenticate-pin-number".into(),
            pin_frame(
                "authenticate",
                &[("handle", "1"), ("nonce", NONCE)],
                PinValue::Number("1234".into()),
            ),
        ),
        (
            "authenticate-bad-handle".into(),
            pin_frame(
                "authenticate",
                &[("handle", "\"x\""), ("nonce", NONCE)],
                PinValue::Text("9876".into()),
            ),
        ),
        (
            "transmit-with-pin".into(),
            pin_frame(
                "transmit",
                &[("handle", "1"), ("apdu", "\"00200080\"")],
                PinValue::Text("1234".into()),
            ),
        ),
    ]
}

fn bridge_frame_seeds() -> Vec<(String, Vec<u8>)> {
    frames()
        .into_iter()
        .map(|(name, frame)| (name, encode_frame(&frame)))
        .collect()
}

fn transmit(s: &str) -> Step {
    Step::Transmit(hex(s))
}

const SELECT_JPKI: &str = "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01";

fn step_lists() -> Vec<(String, Vec<Step>)> {
    let reads = |ef: &str| {
        vec![
            transmit(&format!("00 A4 02 0C 02 {ef}")),
            transmit("00 B0 00 00 00"),
            transmit("00 B0 01 00 00"),
            transmit("00 B0 02 00 00"),
            transmit("00 B0 03 00 00"),
            transmit("00 B0 04 00 00"),
        ]
    };
    let mut eligibility = vec![transmit(SELECT_JPKI)];
    for ef in ["00 0A", "00 0B", "00 06"] {
        eligibility.extend(reads(ef));
    }
    let mut my_number = vec![transmit(SELECT_JPKI)];
    let mut select_card_info = Command::select_application(CARD_INFO_INPUT_AID)
        .encode()
        .to_vec();
    my_number.push(Step::Transmit(select_card_info.clone()));
    select_card_info[3] = 0x00;
    my_number.extend([
        Step::Transmit(select_card_info),
        transmit("00 A4 04 0C 03 D3 92 10"),
        transmit("00 A4 02 0C 02 00 11"),
        transmit("00 20 00 80 04 31 32 33 34"),
        transmit("00 A4 02 0C 02 00 01"),
        transmit("00 B0 00 00 00"),
        transmit("00 B0 81 00 00"),
    ]);
    let after_authenticate = vec![
        transmit(SELECT_JPKI),
        transmit("00 A4 02 0C 02 00 0A"),
        Step::PinStatus,
        transmit("00 B0 00 00 00"),
        Step::RIGHT_PIN,
        transmit("00 B0 00 00 00"),
        transmit("00 A4 02 0C 02 00 17"),
        transmit("80 2A 00 80 03 01 02 03 00"),
        transmit("80 2A 00 97 03 01 02 03 00"),
        transmit("00 B0 97 00 00"),
    ];
    let pin_guessing = vec![
        transmit(SELECT_JPKI),
        transmit("00 A4 02 0C 02 00 18"),
        transmit("00 20 00 80 04 30 30 30 30"),
        transmit("00 20 00 98 04 30 30 30 30"),
        Step::WRONG_PIN,
        Step::WRONG_PIN_LAST_TRY_ALLOWED,
    ];
    let mut resets = vec![transmit(SELECT_JPKI), transmit("00 A4 02 0C 02 00 0A")];
    resets.extend([
        Step::Reset { noticed: false },
        transmit("00 B0 00 00 00"),
        transmit("00 A4 02 0C 02 00 0B"),
        transmit("00 B0 00 00 00"),
        Step::Reset { noticed: true },
        transmit("00 B0 00 00 00"),
        transmit("00 C0 00 00 00"),
    ]);
    let other_classes = vec![
        transmit("0C A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01"),
        transmit("80 A4 04 0C 0A D3 92 10 00 31 00 01 01 04 08"),
        transmit("00 A4 04 0C 00 00 0A D3 92 F0 00 26 01 00 00 00 01"),
        transmit("00 A4 00 00"),
        transmit("00 A4 00 0C 02 3F 00"),
        transmit("00 D6 00 00 01 00"),
    ];
    // Issue 11: another program selects the 個人番号 file between a page's requests; a
    // hostile page tries to use the last PIN try; the card presented again.
    let other_program = vec![
        transmit(SELECT_JPKI),
        transmit("00 A4 02 0C 02 00 0A"),
        Step::OtherProgram,
        transmit("00 B0 00 00 00"),
        Step::OtherProgram,
        transmit("00 A4 02 0C 02 00 0B"),
        Step::ReadFile(2),
        Step::OtherProgram,
        transmit("00 C0 00 00 00"),
        Step::WRONG_PIN_LAST_TRY_ALLOWED,
        Step::WRONG_PIN_LAST_TRY_ALLOWED,
        Step::RIGHT_PIN_LAST_TRY_ALLOWED,
        Step::PresentAgain,
        Step::PinStatus,
        Step::RIGHT_PIN_LAST_TRY_ALLOWED,
    ];
    vec![
        ("eligibility-reads".into(), eligibility),
        ("other-program-and-last-try".into(), other_program),
        ("my-number-attempts".into(), my_number),
        ("after-authenticate".into(), after_authenticate),
        ("pin-guessing".into(), pin_guessing),
        ("resets".into(), resets),
        ("other-classes-and-forms".into(), other_classes),
    ]
}

/// The copy text of every well-formed OQS fixture, the newer app's sections, and pastes
/// that must be refused (truncated, tabs lost, another language).
fn copy_text_seeds() -> Vec<(String, Vec<u8>)> {
    let mut seeds = Vec::new();
    for (stem, path) in xml_fixtures("core/tests/data/oqs") {
        let Ok(msg) = myna_core::oqs::parse(&std::fs::read(&path).expect("fixture")) else {
            continue;
        };
        let text = myna_core::oqs::to_copy_text(&msg);
        if stem == "normal_utf8" {
            let cut = text.len() / 2;
            let cut = (0..=cut)
                .rev()
                .find(|&i| text.is_char_boundary(i))
                .unwrap_or(0);
            seeds.push(("truncated".to_owned(), text.as_bytes()[..cut].to_vec()));
            seeds.push(("tabs-lost".to_owned(), text.replace('\t', " ").into_bytes()));
        }
        seeds.push((stem, text.into_bytes()));
    }
    seeds.push((
        "newer-app-sections".to_owned(),
        "資格情報(医療保険)\r\n確認日 : \t令和6年4月1日\r\n保険者番号\t138057\r\n照会番号\tR1\r\n\
         資格情報（医療扶助）\r\n公費負担者番号\t12131011\r\n氏名\t鈴木　一\r\n"
            .as_bytes()
            .to_vec(),
    ));
    seeds.push((
        "another-language".to_owned(),
        b"Qualification\r\nConfirmed on : \t2024-04-01\r\n".to_vec(),
    ));
    seeds
}

fn policy_seeds() -> Vec<(String, Vec<u8>)> {
    step_lists()
        .into_iter()
        .map(|(name, steps)| (name, encode_steps(&steps)))
        .collect()
}

fn roster_seeds() -> Vec<(String, Vec<u8>)> {
    let utf8 = "受診券整理番号,保険者番号,記号,番号,枝番,氏名,氏名カナ,生年月日,性別,有効期限,窓口負担,契約とりまとめ機関,予約時刻\r\n\
        25100000001,01130012,12-34,567,,山田　太郎,ﾔﾏﾀﾞ ﾀﾛｳ,1985/4/1,男,20260331,1000円,集合契約A,09:00\r\n\
        25100000002,01130012,12-34,567,,山田　花子,ﾔﾏﾀﾞ ﾊﾅｺ,令和1年5月1日,女,R8.3.31,,,09:10\r\n\
        25100000003,01130013,1,2,1,誤り　一郎,,1990/2/30,x,20260331,,,09:20\r\n\
        \r\n\
        25100000004,00138057,\"国,\"\"1\"\"\",①２,,鈴木　次郎,すずき　じろう,S50.1.2,1,20260331,\"=1+1\",,\"09\n30\"\r\n";
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(
        "insurerNumber,insuredIdentificationNumber,nameKana,kind\n138057,1,ｱ,利用券\n".as_bytes(),
    );
    // 保険者番号,番号,氏名カナ,生年月日 / 01130012,1001,ﾔﾏﾀﾞ ﾀﾛｳ,1980/4/15 in CP932.
    let cp932 = hex(
        "95db8caf8ed294d48d86 2c 94d48d86 2c 8e8196bc834a8369 2c 90b6944e8c8e93fa 0d0a \
         3031313330303132 2c 31303031 2c d4cfc0de20c0dbb3 2c 313938302f342f3135 0d0a",
    );
    vec![
        ("utf8-with-bad-rows".into(), utf8.as_bytes().to_vec()),
        ("bom-english-headers".into(), bom),
        ("cp932".into(), cp932),
        (
            "header-only".into(),
            "保険者番号,番号\n".as_bytes().to_vec(),
        ),
        (
            "missing-column".into(),
            "氏名,番号\n山田,1\n".as_bytes().to_vec(),
        ),
        (
            "duplicate-voucher-number".into(),
            "受診券整理番号,保険者番号,番号\n25100000001,01130012,1\n25100000001,01130012,2\n"
                .as_bytes()
                .to_vec(),
        ),
    ]
}

fn all_seeds() -> BTreeMap<&'static str, Vec<(String, Vec<u8>)>> {
    BTreeMap::from([
        ("apdu", apdu_seeds()),
        ("x509", x509_seeds()),
        ("oqs", oqs_seeds()),
        ("copy_text", copy_text_seeds()),
        ("bridge_frame", bridge_frame_seeds()),
        ("policy", policy_seeds()),
        ("roster", roster_seeds()),
    ])
}

/// Each named seed's encoding decodes (as `Input`, unwrapped by `inner`) to the seed again.
fn assert_decodes_back<T, Input>(
    seeds: Vec<(String, T)>,
    encode: impl Fn(&T) -> Vec<u8>,
    inner: impl Fn(Input) -> T,
) where
    T: PartialEq + std::fmt::Debug,
    Input: for<'a> Arbitrary<'a>,
{
    for (name, seed) in seeds {
        let bytes = encode(&seed);
        let decoded = Input::arbitrary_take_rest(Unstructured::new(&bytes)).expect(&name);
        assert_eq!(inner(decoded), seed, "{name}");
    }
}

#[test]
fn frame_seeds_decode_to_the_frames_they_encode() {
    assert_decodes_back(frames(), encode_frame, |input: FrameInput| input.0);
}

#[test]
fn policy_seeds_decode_to_the_steps_they_encode() {
    assert_decodes_back(
        step_lists(),
        |steps| encode_steps(steps),
        |input: PolicySteps| input.0,
    );
}

/// Runs one input through its target, as the fuzz target binary would.
fn run_target(target: &str, bytes: &[u8]) {
    let mut u = Unstructured::new(bytes);
    match target {
        "apdu" => myna_core::fuzzing::apdu(bytes),
        "x509" => myna_core::fuzzing::x509(bytes, myna_fuzz::PERSONA_ROOT, myna_fuzz::PERSONA_LEAF),
        "oqs" => myna_core::fuzzing::oqs(bytes),
        "copy_text" => myna_core::fuzzing::copy_text(bytes),
        "roster" => myna_core::fuzzing::roster(bytes),
        "bridge_frame" => {
            myna_bridge::fuzzing::bridge_frame(&FrameInput::arbitrary(&mut u).expect("decodes").0)
        }
        "policy" => {
            myna_bridge::fuzzing::policy(&PolicySteps::arbitrary(&mut u).expect("decodes").0)
        }
        other => panic!("unknown target {other}"),
    }
}

#[test]
fn every_seed_passes_its_target() {
    for (target, seeds) in all_seeds() {
        for (name, bytes) in seeds {
            eprintln!("{target}/{name}");
            run_target(target, &bytes);
        }
    }
}

/// Every input that once failed a target (`fuzz/regressions/<target>/`, fuzz/README.md
/// "Findings") passes it now: the same replay `cargo xtask fuzz` starts with, here without
/// libFuzzer, so it runs in `cargo xtask test` deterministically.
#[test]
fn every_past_finding_passes_its_target() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).expect("fuzz/regressions") {
        let entry = entry.expect("entry");
        let target = entry.file_name().to_string_lossy().into_owned();
        assert!(
            all_seeds().contains_key(target.as_str()),
            "no target {target}"
        );
        for input in std::fs::read_dir(entry.path()).expect("a target's findings") {
            let path = input.expect("entry").path();
            eprintln!("{}", path.display());
            run_target(&target, &std::fs::read(&path).expect("a finding"));
            replayed += 1;
        }
    }
    assert!(
        replayed >= 2,
        "the committed findings were not found in {}",
        dir.display()
    );
}

#[test]
fn the_committed_seeds_are_the_generated_ones() {
    let write = std::env::var_os("MYNA_WRITE_SEEDS").is_some();
    let seeds_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    for (target, seeds) in all_seeds() {
        let dir = seeds_dir.join(target);
        if write {
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("create seeds dir");
        }
        let mut expected: Vec<String> = Vec::new();
        for (name, bytes) in seeds {
            let path = dir.join(&name);
            if write {
                std::fs::write(&path, &bytes).expect("write seed");
            } else {
                let committed = std::fs::read(&path).unwrap_or_else(|e| {
                    panic!("{}: {e} (MYNA_WRITE_SEEDS=1 makes it)", path.display())
                });
                assert_eq!(
                    committed,
                    bytes,
                    "{} differs from what tests/seeds.rs makes",
                    path.display()
                );
            }
            expected.push(name);
        }
        let mut present: Vec<String> = std::fs::read_dir(&dir)
            .expect("seeds dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        present.sort();
        expected.sort();
        assert_eq!(present, expected, "unexpected files in {}", dir.display());
    }
}

#[test]
fn the_eligibility_script_replays_as_the_card_answered() {
    // The recorded session is what the JPKI client reads again from the script.
    let seeds = apdu_seeds();
    let (_, script) = seeds
        .iter()
        .find(|(name, _)| name == "session-read-certificate")
        .expect("the session seed");
    let leaf = read("tests/fixtures/personas/default/auth.crt.der");
    // 2 selects + 1 + ⌈(n − 256) / 256⌉ reads, each `len` + answer.
    let reads = 1 + (leaf.len() - MY_NUMBER_CARD.max_short_read).div_ceil(256);
    assert_eq!(script.len(), 2 * (2 + 2) + leaf.len() + reads * 4);
}
