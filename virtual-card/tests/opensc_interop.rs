//! Fidelity on the real PC/SC path: the virtual card goes into pcscd's `Virtual PCD 00 01`
//! reader through vpcd (in-process, so the test holds the card's log and state), and
//! OpenSC's own tools — `opensc-tool`, `pkcs15-tool`, `pkcs11-tool` with its JPKI driver —
//! use it. The `pcsc` crate measures the round-trip latency of that path.
//!
//! Needs a running pcscd with vsmartcard-vpcd and OpenSC installed. Without them the tests
//! print why and pass, unless `MYNA_REQUIRE_PCSC=1` (the project's test command sets it),
//! in which case they fail.

use std::process::Command;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use base64::Engine;
use myna_core::profile::{CARD_INFO_INPUT_AID, JPKI_AID};
use myna_core::x509::parse_certificate;
use myna_harness::opensc::{self, AUTH_TOKEN_LABEL, PKCS11_MODULE};
use myna_harness::vpcd::{self, InsertedCard};
use myna_personas::{Persona, Personas};
use myna_virtual_card::{ApduLog, LogEntry, SharedCard, TimingModel};

/// vpcd's second reader: `Virtual PCD 00 01` listens on 35964.
const PORT: u16 = vpcd::FIRST_VPCD_PORT + 1;
const READER: &str = "Virtual PCD 00 01";

/// One card in the reader at a time.
static READER_LOCK: Mutex<()> = Mutex::new(());

fn required() -> bool {
    std::env::var("MYNA_REQUIRE_PCSC").is_ok_and(|v| v == "1")
}

/// `Err(reason)` when the PC/SC path or OpenSC is not there.
fn environment() -> Result<(), String> {
    let ctx = pcsc::Context::establish(pcsc::Scope::User)
        .map_err(|e| format!("pcscd is not reachable ({e}); start it with `pcscd -f &`"))?;
    let readers = vpcd::reader_names(&ctx);
    if !readers.iter().any(|r| r.contains(READER)) {
        return Err(format!(
            "pcscd has no reader {READER:?} (readers: {readers:?}); install vsmartcard-vpcd"
        ));
    }
    for tool in ["opensc-tool", "pkcs15-tool", "pkcs11-tool"] {
        if Command::new(tool).arg("--help").output().is_err() {
            return Err(format!("{tool} is not installed (apt-get install opensc)"));
        }
    }
    if !std::path::Path::new(PKCS11_MODULE).exists() {
        return Err(format!(
            "{PKCS11_MODULE} is missing (apt-get install opensc-pkcs11)"
        ));
    }
    Ok(())
}

/// Whether to go on: fails the test if the environment is required, skips otherwise.
fn ready(test: &str) -> bool {
    match environment() {
        Ok(()) => true,
        Err(reason) if required() => panic!("{test}: MYNA_REQUIRE_PCSC=1 but {reason}"),
        Err(reason) => {
            eprintln!("SKIPPED {test}: {reason} (set MYNA_REQUIRE_PCSC=1 to fail instead)");
            false
        }
    }
}

/// A test's card: the persona's card in the reader (pulled out on drop), with the reader
/// held for the test.
struct Inserted {
    persona: Persona,
    card: SharedCard,
    log: ApduLog,
    /// OpenSC's index of the reader (`opensc-tool --reader`).
    reader: String,
    _in_reader: InsertedCard,
    // Dropped last: the next test's card goes in once this one is out.
    _reader: MutexGuard<'static, ()>,
}

impl Inserted {
    /// `persona`'s card in the reader for `test`; `None` when the test is skipped (see
    /// [`ready`]).
    fn for_test(test: &str, persona: &str) -> Option<Self> {
        if !ready(test) {
            return None;
        }
        let reader = READER_LOCK.lock().unwrap_or_else(|p| p.into_inner());
        let persona = Personas::embedded().get(persona).unwrap().clone();
        let in_reader = InsertedCard::insert(&persona, PORT).unwrap();
        Some(Inserted {
            card: in_reader.card.clone(),
            log: in_reader.log.clone(),
            reader: opensc_reader_index(),
            persona,
            _in_reader: in_reader,
            _reader: reader,
        })
    }

    /// The VERIFY commands that carried a PIN (redacted in the log).
    fn pin_verifies(&self) -> Vec<LogEntry> {
        self.log
            .entries()
            .into_iter()
            .filter(|e| e.ins() == Some(0x20) && e.redacted_len.is_some())
            .collect()
    }
}

/// Runs a tool (killed after 60 s, [`myna_harness::run_tool`]); returns (success, stdout,
/// stderr).
fn run(program: &str, args: &[&str]) -> (bool, String, String) {
    let mut command = Command::new(program);
    command.args(args);
    let out = myna_harness::run_tool(command, Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("{program} {args:?}: {e}"));
    (out.success(), out.stdout, out.stderr)
}

fn run_ok(program: &str, args: &[&str]) -> String {
    let (ok, stdout, stderr) = run(program, args);
    assert!(ok, "{program} {args:?} failed:\n{stdout}\n{stderr}");
    stdout
}

/// OpenSC's index of the reader (`opensc-tool --list-readers`).
fn opensc_reader_index() -> String {
    let list = run_ok("opensc-tool", &["--list-readers"]);
    list.lines()
        .find(|line| line.contains(READER))
        .and_then(|line| line.split_whitespace().next())
        .unwrap_or_else(|| panic!("{READER} not in:\n{list}"))
        .to_owned()
}

/// The PKCS#11 slot id of the auth-PIN token in the reader (`pkcs11-tool --list-slots`).
fn auth_slot() -> String {
    let list = run_ok("pkcs11-tool", &["--module", PKCS11_MODULE, "--list-slots"]);
    opensc::auth_slot(&list, READER)
        .unwrap_or_else(|| panic!("no {AUTH_TOKEN_LABEL:?} slot on {READER}:\n{list}"))
}

/// `pkcs15-tool` reading the auth certificate (ID 01): (success, stdout (PEM), stderr).
fn read_auth_certificate(reader: &str) -> (bool, String, String) {
    run(
        "pkcs15-tool",
        &["--reader", reader, "--read-certificate", "01"],
    )
}

/// The DER inside a PEM certificate.
fn pem_to_der(pem: &str) -> Vec<u8> {
    let body: String = pem
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN CERTIFICATE-----"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("PEM base64")
}

/// The "Tries left" OpenSC reports for the User Authentication PIN.
fn auth_tries_left(reader: &str) -> u8 {
    let pins = run_ok("pkcs15-tool", &["--reader", reader, "--list-pins"]);
    let section = pins
        .split("PIN [")
        .find(|s| s.starts_with("User Authentication PIN"))
        .unwrap_or_else(|| panic!("no auth PIN in:\n{pins}"));
    section
        .lines()
        .find_map(|l| l.trim().strip_prefix("Tries left"))
        .and_then(|l| l.trim_start_matches([' ', ':']).trim().parse().ok())
        .unwrap_or_else(|| panic!("no tries left in:\n{section}"))
}

/// OpenSC reads the CA certificate (ID 03, the test root) and reports `tries` left on the
/// auth PIN.
#[track_caller]
fn assert_ca_and_tries_left(reader: &str, tries: u8) {
    let ca = run_ok(
        "pkcs15-tool",
        &["--reader", reader, "--read-certificate", "03"],
    );
    assert_eq!(pem_to_der(&ca), Personas::embedded().ca_cert_der());
    assert_eq!(auth_tries_left(reader), tries);
}

fn temp_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("myna-opensc-{}-{name}", std::process::id()))
}

/// One `pkcs11-tool` process on `slot` logged in with `pin`, doing `operations`.
fn pkcs11_session(slot: &str, pin: &str, operations: &[&str]) -> (bool, String, String) {
    let mut args = vec![
        "--module",
        PKCS11_MODULE,
        "--slot",
        slot,
        "--login",
        "--pin",
        pin,
    ];
    args.extend_from_slice(operations);
    run("pkcs11-tool", &args)
}

/// The `pkcs11-tool` arguments that sign `input` into `output` with the auth key (ID 01).
fn sign_args<'a>(input: &'a std::path::Path, output: &'a std::path::Path) -> [&'a str; 9] {
    [
        "--sign",
        "--mechanism",
        "SHA256-RSA-PKCS",
        "--id",
        "01",
        "-i",
        input.to_str().unwrap(),
        "-o",
        output.to_str().unwrap(),
    ]
}

/// Signs `data` with pkcs11-tool and the auth key; `Ok(signature)` or `Err(output)`.
fn pkcs11_sign(slot: &str, pin: &str, data: &[u8]) -> Result<Vec<u8>, String> {
    let input = temp_path("data");
    let output = temp_path("sig");
    std::fs::write(&input, data).unwrap();
    let _ = std::fs::remove_file(&output);
    let (ok, stdout, stderr) = pkcs11_session(slot, pin, &sign_args(&input, &output));
    let result = if ok {
        Ok(std::fs::read(&output).unwrap())
    } else {
        Err(format!("{stdout}\n{stderr}"))
    };
    let _ = std::fs::remove_file(&input);
    let _ = std::fs::remove_file(&output);
    result
}

#[test]
fn opensc_recognises_reads_and_signs() {
    let Some(inserted) = Inserted::for_test("opensc_recognises_reads_and_signs", "default") else {
        return;
    };

    // Recognised as a JPKI card.
    let name = run_ok("opensc-tool", &["--reader", &inserted.reader, "--name"]);
    assert_eq!(name.trim(), "jpki");
    let atr = run_ok("opensc-tool", &["--reader", &inserted.reader, "--atr"]);
    assert_eq!(atr.trim(), "3b:e0:00:ff:81:31:fe:45:14");

    // The PKCS#15 emulation lists the four certificates; ID 01 is the auth certificate.
    let list = run_ok(
        "pkcs15-tool",
        &["--reader", &inserted.reader, "--list-certificates"],
    );
    for label in [
        "X.509 Certificate [User Authentication Certificate]",
        "X.509 Certificate [User Authentication Certificate CA]",
    ] {
        assert!(list.contains(label), "{label} not in:\n{list}");
    }
    let (ok, pem, stderr) = read_auth_certificate(&inserted.reader);
    assert!(ok, "{stderr}");
    assert_eq!(pem_to_der(&pem), inserted.persona.auth_cert_der);
    // The CA certificate; tries left come from VERIFY without data (63C3).
    assert_ca_and_tries_left(&inserted.reader, 3);

    // Sign through PKCS#11; the signature verifies with the certificate's key.
    let slot = auth_slot();
    let data = b"myna-web OpenSC interop";
    let signature = pkcs11_sign(&slot, "1234", data).expect("pkcs11-tool signs");
    assert_eq!(signature.len(), 256);
    parse_certificate(&inserted.persona.auth_cert_der)
        .unwrap()
        .verify_rs256(data, &signature)
        .expect("the signature verifies with the certificate's key");

    // What the card saw.
    let entries = inserted.log.entries();
    assert!(!entries.is_empty());
    assert!(
        !inserted.log.touched_application(CARD_INFO_INPUT_AID),
        "OpenSC touched the 券面事項入力補助AP"
    );
    let select_ef = |fid: [u8; 2]| {
        entries.iter().any(|e| {
            e.command.starts_with(&[0x00, 0xA4, 0x02, 0x0C, 0x02]) && e.command[5..] == fid
        })
    };
    // The certificate came from the card (no cache), read in READ BINARY chunks.
    assert!(select_ef([0x00, 0x0A]));
    assert!(entries.iter().any(|e| e.command.starts_with(&[0x00, 0xB0])
        && e.application == Some(JPKI_AID)
        && e.sw.is_success()));
    // One VERIFY with data, redacted; one signature with the auth key selected.
    let verifies = inserted.pin_verifies();
    assert_eq!(verifies.len(), 1, "{entries:#?}");
    assert_eq!(verifies[0].redacted_len, Some(5));
    assert!(
        entries
            .iter()
            .any(|e| e.command.starts_with(&[0x80, 0x2A, 0x00, 0x80]) && e.sw.is_success())
    );
    // The signing key was never used.
    assert!(!select_ef([0x00, 0x1A]));
    assert_eq!(inserted.card.lock().auth_pin_remaining(), 3);
}

#[test]
fn opensc_sees_wrong_pins_and_the_block() {
    let Some(inserted) = Inserted::for_test("opensc_sees_wrong_pins_and_the_block", "last-try")
    else {
        return;
    };
    assert_eq!(auth_tries_left(&inserted.reader), 1);
    let slot = auth_slot();
    let err = pkcs11_sign(&slot, "0000", b"x").expect_err("a wrong PIN");
    assert!(
        err.contains("CKR_PIN_INCORRECT") || err.contains("CKR_PIN_LOCKED"),
        "{err}"
    );
    assert_eq!(inserted.card.lock().auth_pin_remaining(), 0);
    assert_eq!(auth_tries_left(&inserted.reader), 0);
    // Blocked: the right PIN no longer helps. The card answers 6984, which OpenSC's PKCS#11
    // layer reports as CKR_GENERAL_ERROR (it has no mapping for "reference data not usable").
    let err = pkcs11_sign(&slot, "6666", b"x").expect_err("blocked");
    assert!(err.contains("C_Login failed"), "{err}");
    assert!(inserted.log.entries().iter().any(|e| e.sw.0 == 0x6984));
    assert!(!inserted.log.touched_application(CARD_INFO_INPUT_AID));
}

/// Issue 14: what OpenSC's JPKI driver does with an Android phone (the `android` persona: the
/// card's AID and files, EF `000A` readable only after the auth PIN, `6982` before it —
/// `docs/phones.md` §2). Observed on this virtual phone, not on a real one: OpenSC takes it for
/// a JPKI card; it cannot read the auth certificate without the PIN (`pkcs15-tool` fails); it
/// reads the CA certificate and the tries left; through PKCS#11 it logs in and signs — but its
/// token has no auth certificate object even after the login (its probe of `000A`, made
/// before any PIN, got `6982`), so an application using OpenSC gets a signature from the phone
/// and no certificate to verify it with.
#[test]
fn issue_14_opensc_meets_an_android_phone() {
    let Some(inserted) = Inserted::for_test("issue_14_opensc_meets_an_android_phone", "android")
    else {
        return;
    };
    // The status words of the READ BINARYs sent while EF 000A was selected.
    let reads_of_000a = |entries: &[myna_virtual_card::LogEntry]| -> Vec<u16> {
        let mut selected = None;
        let mut answers = Vec::new();
        for e in entries {
            if e.command.starts_with(&[0x00, 0xA4, 0x02, 0x0C, 0x02]) {
                selected = e.command.get(5..7).map(|f| [f[0], f[1]]);
            } else if e.ins() == Some(0xB0) && selected == Some([0x00, 0x0A]) {
                answers.push(e.sw.0);
            }
        }
        answers
    };

    // Taken for a JPKI card (the card's AID and ATR).
    let name = run_ok("opensc-tool", &["--reader", &inserted.reader, "--name"]);
    assert_eq!(name.trim(), "jpki");

    // The auth certificate without the PIN: refused. The phone answers 6982 to the READ
    // BINARY of 000A, which pkcs15-tool reports as a failed read.
    inserted.log.clear();
    let (ok, stdout, stderr) = read_auth_certificate(&inserted.reader);
    assert!(!ok, "read without the PIN:\n{stdout}");
    assert!(stderr.contains("Certificate read failed"), "{stderr}");
    let answers = reads_of_000a(&inserted.log.entries());
    assert!(!answers.is_empty(), "OpenSC did not try 000A");
    assert!(answers.iter().all(|sw| *sw == 0x6982), "{answers:04X?}");

    // What needs no PIN still works: the CA certificate, the tries left (none spent).
    assert_ca_and_tries_left(&inserted.reader, 3);

    // PKCS#11, one session (as the benchmark's OpenSC count does with the card): OpenSC builds
    // its token before the login — its probe of 000A gets 6982, so the token has no auth
    // certificate object — then logs in (one VERIFY) and signs; the certificate object is
    // still not found.
    let slot = auth_slot();
    let data = b"myna-web OpenSC and an Android phone";
    let (input, signed) = (temp_path("android-in"), temp_path("android-sig"));
    std::fs::write(&input, data).unwrap();
    inserted.log.clear();
    let mut operations = sign_args(&input, &signed).to_vec();
    operations.extend(["--read-object", "--type", "cert", "--id", "01"]);
    let (ok, stdout, stderr) = pkcs11_session(&slot, "1234", &operations);
    let signature = std::fs::read(&signed).unwrap_or_default();
    assert!(!ok, "a certificate object appeared:\n{stdout}");
    assert!(stderr.contains("object not found"), "{stderr}");
    parse_certificate(&inserted.persona.auth_cert_der)
        .unwrap()
        .verify_rs256(data, &signature)
        .expect("the phone's signature verifies with its certificate's key");
    let entries = inserted.log.entries();
    let verifies = inserted.pin_verifies();
    assert_eq!(verifies.len(), 1, "one VERIFY with the PIN");
    assert!(verifies[0].sw.is_success());
    let answers = reads_of_000a(&entries);
    assert!(
        !answers.is_empty() && answers.iter().all(|sw| *sw == 0x6982),
        "{answers:04X?}"
    );

    // OpenSC ends its session without a reset: the virtual phone stays verified (it keeps the
    // state until a reset, as the virtual card does; whether a real phone does is not
    // public), and the next program reads 000A without a PIN. The bridge ends every
    // authenticate with a warm reset for this reason.
    inserted.log.clear();
    let (ok, pem, stderr) = read_auth_certificate(&inserted.reader);
    assert!(ok, "{stderr}");
    assert_eq!(pem_to_der(&pem), inserted.persona.auth_cert_der);
    assert!(inserted.pin_verifies().is_empty(), "no PIN was sent for it");
    for path in [input, signed] {
        let _ = std::fs::remove_file(path);
    }
    assert!(!inserted.log.touched_application(CARD_INFO_INPUT_AID));
    assert_eq!(inserted.card.lock().auth_pin_remaining(), 3);
}

#[test]
fn pcsc_round_trip_latency() {
    let Some(inserted) = Inserted::for_test("pcsc_round_trip_latency", "default") else {
        return;
    };
    let ctx = pcsc::Context::establish(pcsc::Scope::User).unwrap();
    let reader = vpcd::find_reader(&ctx, READER).unwrap();
    let card = ctx
        .connect(&reader, pcsc::ShareMode::Shared, pcsc::Protocols::ANY)
        .unwrap();
    let mut buf = [0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED];
    let mut send = |apdu: &[u8]| -> Vec<u8> { card.transmit(apdu, &mut buf).unwrap().to_vec() };
    assert_eq!(
        send(&hex::decode("00A4040C0AD392F000260100000001").unwrap()),
        [0x90, 0x00]
    );
    assert_eq!(send(&hex::decode("00A4020C02000A").unwrap()), [0x90, 0x00]);
    let read = hex::decode("00B0000004").unwrap();
    for _ in 0..20 {
        send(&read); // warm-up
    }
    let mut times: Vec<Duration> = (0..500)
        .map(|_| {
            let t = Instant::now();
            let response = send(&read);
            let elapsed = t.elapsed();
            assert_eq!(response.len(), 6);
            elapsed
        })
        .collect();
    times.sort();
    let p50 = times[times.len() / 2];
    let p95 = times[times.len() * 95 / 100];
    let mean = times.iter().sum::<Duration>() / times.len() as u32;
    eprintln!(
        "pcscd+vpcd READ BINARY round trip over 500 APDUs: p50 {p50:?}, p95 {p95:?}, mean {mean:?}, max {:?}",
        times[times.len() - 1]
    );
    // No speed is asserted here (docs/benchmarks.md: tests assert no absolute speed). The
    // delayed-ACK guard (with default TCP settings every APDU through vpcd waits ~40 ms) is
    // `cargo xtask bench`'s `vpcd_apdu_over_card_model_ratio`, measured in the same run.

    // The realistic timing model is honoured end to end.
    inserted.card.lock().set_timing(TimingModel::realistic());
    let read_256 = hex::decode("00B0000000").unwrap();
    let t = Instant::now();
    assert_eq!(send(&read_256).len(), 258);
    let expected = TimingModel::realistic().delay(5, 258, 0);
    assert!(t.elapsed() >= expected, "{:?} < {expected:?}", t.elapsed());
}
