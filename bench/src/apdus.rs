//! Card round trips: what the product's flows send (counted in the virtual card's log), the
//! fewest the card needs for the same operations, and what OpenSC sends for them.
//!
//! The minimum is worked out in `docs/benchmarks.md`; [`pin_flow_minimum`] is that argument
//! as code, one [`Step`] per command with the reason it cannot be left out.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use base64::Engine as _;
use myna_core::profile::{
    CARD_INFO_INPUT_AID, CardProfile, FlowStep, JPKI_AID, MY_NUMBER_CARD, cla, ins, select,
    with_token_detection,
};
use myna_harness::opensc::{self, AUTH_TOKEN_LABEL, PKCS11_MODULE};
use myna_virtual_card::{ApduLog, LogEntry};
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use serde_json::json;
use sha2::{Digest as _, Sha256};

use crate::ws::BridgeClient;

/// The largest response of a short `READ BINARY` (`Le = 00`).
pub const SHORT_READ: usize = MY_NUMBER_CARD.max_short_read;

/// One command of a minimal flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The command.
    pub command: String,
    /// How many of it.
    pub count: usize,
}

/// `READ BINARY`s for a certificate of `len` bytes when its length is taken from the first
/// read: short APDUs read 256 bytes at a time (the first 256 give the DER length, the rest
/// follow), so ⌈len / 256⌉; with extended length the first read gives the length and one
/// more takes the rest.
pub fn certificate_reads(len: usize, extended: bool) -> usize {
    if extended {
        if len <= SHORT_READ { 1 } else { 2 }
    } else {
        len.div_ceil(SHORT_READ).max(1)
    }
}

/// One step of the card table's flow as counted commands, for a certificate of `len` bytes.
fn step(flow_step: FlowStep, len: usize, extended: bool) -> Step {
    let (command, count) = match flow_step {
        FlowStep::SelectJpki => ("SELECT JPKI-AP".to_owned(), 1),
        FlowStep::SelectEf(fid) => (format!("SELECT EF {fid}"), 1),
        FlowStep::ReadCertificate => ("READ BINARY".to_owned(), certificate_reads(len, extended)),
        FlowStep::PinStatus => ("VERIFY (no data: tries left)".to_owned(), 1),
        FlowStep::VerifyPin => ("VERIFY (PIN)".to_owned(), 1),
        FlowStep::Sign => ("COMPUTE DIGITAL SIGNATURE".to_owned(), 1),
        FlowStep::ReadTokenLabel => ("READ BINARY (token label)".to_owned(), 1),
    };
    Step { command, count }
}

fn flow(steps: &[FlowStep], len: usize, extended: bool) -> Vec<Step> {
    steps.iter().map(|&s| step(s, len, extended)).collect()
}

/// The fewest commands that read the auth certificate (`len` bytes) with EFs addressed by
/// `SELECT`: the visual (目視) flow of the token's table ([`CardProfile::visual_flow`]) with
/// the token detection the bridge runs after `SELECT` of the JPKI-AP (2 APDUs,
/// [`myna_core::profile::TOKEN_DETECTION`]). A token without a 目視 flow (an Android phone) costs the `SELECT`
/// and the detection, then `pin-required`.
///
/// [`CardProfile::visual_flow`]: myna_core::profile::CardProfile::visual_flow
pub fn visual_flow_minimum(profile: &CardProfile, len: usize, extended: bool) -> Vec<Step> {
    if profile.visual_flow.is_empty() {
        return flow(
            &with_token_detection(&[FlowStep::SelectJpki]),
            len,
            extended,
        );
    }
    flow(&with_token_detection(profile.visual_flow), len, extended)
}

/// The fewest commands for the PIN flow with EFs addressed by `SELECT`, the token's
/// [`CardProfile::pin_flow`] with the detection after `SELECT` of the JPKI-AP: the
/// certificate, the tries left (to ask consent before the last try without spending one),
/// one `VERIFY`, one signature — in the token's order.
///
/// [`CardProfile::pin_flow`]: myna_core::profile::CardProfile::pin_flow
pub fn pin_flow_minimum(profile: &CardProfile, len: usize, extended: bool) -> Vec<Step> {
    flow(&with_token_detection(profile.pin_flow), len, extended)
}

/// The same with every EF named by its short EF identifier in the command itself
/// (`READ BINARY P1 = 8A`, `VERIFY P2 = 98`, `COMPUTE DIGITAL SIGNATURE P2 = 97`): no
/// `SELECT` of an EF at all. A reference figure: see `docs/benchmarks.md` for which of these
/// forms real cards are known to accept.
pub fn pin_flow_minimum_sfi(len: usize, extended: bool) -> Vec<Step> {
    vec![
        Step {
            command: "SELECT JPKI-AP".to_owned(),
            count: 1,
        },
        Step {
            command: "SELECT EF 0006".to_owned(),
            count: 1,
        },
        Step {
            command: "READ BINARY (token label)".to_owned(),
            count: 1,
        },
        Step {
            command: "READ BINARY (first by SFI 0A)".to_owned(),
            count: certificate_reads(len, extended),
        },
        Step {
            command: "VERIFY by SFI 18 (no data: tries left)".to_owned(),
            count: 1,
        },
        Step {
            command: "VERIFY by SFI 18 (PIN)".to_owned(),
            count: 1,
        },
        Step {
            command: "COMPUTE DIGITAL SIGNATURE by SFI 17".to_owned(),
            count: 1,
        },
    ]
}

/// The total of a flow's steps.
pub fn total(steps: &[Step]) -> usize {
    steps.iter().map(|s| s.count).sum()
}

/// A short name for a logged command (PIN data is never in the log).
pub fn describe(entry: &LogEntry) -> String {
    let c = &entry.command;
    let name = match (c.first(), c.get(1), c.get(2)) {
        (Some(&cla::ISO), Some(&ins::SELECT), Some(&select::P1_DF_NAME)) => {
            if entry.selects_application(JPKI_AID) {
                "SELECT JPKI-AP".to_owned()
            } else {
                "SELECT application".to_owned()
            }
        }
        (Some(&cla::ISO), Some(&ins::SELECT), Some(&select::P1_EF)) if c.len() >= 7 => {
            format!("SELECT EF {:02X}{:02X}", c[5], c[6])
        }
        (Some(&cla::ISO), Some(&ins::READ_BINARY), Some(p1)) if p1 & 0x80 != 0 => {
            format!("READ BINARY SFI {:02X}", p1 & 0x1F)
        }
        (Some(&cla::ISO), Some(&ins::READ_BINARY), _) => {
            if c.len() == 7 {
                "READ BINARY (extended)".to_owned()
            } else {
                "READ BINARY".to_owned()
            }
        }
        (Some(&cla::ISO), Some(&ins::VERIFY), _) if entry.redacted_len.is_some() => {
            "VERIFY (PIN)".to_owned()
        }
        (Some(&cla::ISO), Some(&ins::VERIFY), _) => "VERIFY (no data)".to_owned(),
        (Some(&cla::PROPRIETARY), Some(&ins::COMPUTE_DIGITAL_SIGNATURE), _) => {
            "COMPUTE DIGITAL SIGNATURE".to_owned()
        }
        (Some(&cla::ISO), Some(&ins::GET_RESPONSE), _) => "GET RESPONSE".to_owned(),
        _ => hex::encode_upper(&c[..c.len().min(4)]),
    };
    format!("{name} -> {:04X}", entry.sw.0)
}

/// Whether any logged `READ BINARY` used the extended-length form (`00 B0 P1 P2 00 Le Le`).
pub fn used_extended_reads(entries: &[LogEntry]) -> bool {
    entries
        .iter()
        .any(|e| e.ins() == Some(ins::READ_BINARY) && e.command.len() == 7 && e.command[4] == 0)
}

/// What one flow sent to the card.
#[derive(Debug, Clone)]
pub struct FlowCount {
    /// The commands, in order.
    pub entries: Vec<LogEntry>,
    /// The auth certificate's length (DER, bytes).
    pub certificate_len: usize,
}

impl FlowCount {
    /// How many commands.
    pub fn apdus(&self) -> usize {
        self.entries.len()
    }

    /// The commands as text, one per line.
    pub fn listing(&self) -> String {
        self.entries
            .iter()
            .map(describe)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A base64url nonce of 43 characters (256 bits) from a counter: the bridge only checks the
/// syntax, the service issues its own.
pub fn bench_nonce(i: u64) -> String {
    let digest = Sha256::digest(format!("myna-bench nonce {i}"));
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

/// Runs the bridge's `authenticate` on `handle` and counts what reached the card. Checks the
/// signature against `key` for `origin` (what the bridge saw) and the nonce.
pub async fn pin_flow(
    client: &mut BridgeClient,
    handle: u64,
    log: &ApduLog,
    origin: &str,
    pin: &str,
    key: &RsaPublicKey,
) -> Result<FlowCount> {
    let nonce = bench_nonce(0);
    log.clear();
    let signed = client.authenticate(handle, &nonce, pin).await?;
    let entries = log.entries();
    let (certificate, signature) = (signed.certificate, signed.signature);
    let message = myna_core::auth::auth_message(origin, &nonce);
    key.verify(
        Pkcs1v15Sign::new::<Sha256>(),
        &Sha256::digest(&message),
        &signature,
    )
    .context("the card's signature does not verify for the bridge's origin and the nonce")?;
    Ok(FlowCount {
        entries,
        certificate_len: certificate.len(),
    })
}

/// Reads the auth certificate with the bridge's `readFile` (`SELECT` JPKI-AP, `SELECT 000A`,
/// the `READ BINARY`s, in one PC/SC transaction) — what the browser module runs in 目視 mode
/// — and counts.
pub async fn visual_flow(
    client: &mut BridgeClient,
    handle: u64,
    log: &ApduLog,
    expected: &[u8],
) -> Result<FlowCount> {
    log.clear();
    let result = client
        .call_ok(
            "readFile",
            json!({"handle": handle, "file": MY_NUMBER_CARD.auth_certificate.to_string()}),
        )
        .await
        .context("readFile of the auth certificate")?;
    let entries = log.entries();
    let certificate = base64::engine::general_purpose::STANDARD
        .decode(result["data"].as_str().unwrap_or_default())
        .context("readFile: data is not base64")?;
    if certificate != expected {
        bail!("the certificate read with readFile is not the persona's");
    }
    Ok(FlowCount {
        entries,
        certificate_len: certificate.len(),
    })
}

/// What reading the auth certificate costs through `transmit`, one APDU per request
/// (`myna_core::jpki::read_auth_certificate` over it): each request is its own transaction,
/// so the bridge re-selects what the command relies on first (issue 11) — the EF `SELECT`
/// costs one more (the JPKI-AP), every `READ BINARY` two more (the JPKI-AP and the EF).
/// A reference for why the flows use `readFile`.
pub fn visual_flow_via_transmit(len: usize, extended: bool) -> Vec<Step> {
    let reads = certificate_reads(len, extended);
    vec![
        Step {
            command: "SELECT JPKI-AP".to_owned(),
            count: 1,
        },
        Step {
            command: "SELECT JPKI-AP (re-selected), SELECT EF 000A".to_owned(),
            count: 2,
        },
        Step {
            command: "SELECT JPKI-AP, SELECT EF 000A (re-selected), READ BINARY".to_owned(),
            count: 3 * reads,
        },
    ]
}

/// Runs an OpenSC tool with a fresh `HOME` (no OpenSC file cache from an earlier run);
/// killed after 60 s ([`myna_harness::run_tool`]). Stdout on success.
fn run_opensc(program: &str, args: &[&str], home: &Path) -> Result<String> {
    let mut command = Command::new(program);
    command
        .args(args)
        .env("HOME", home)
        .env_remove("OPENSC_CONF");
    let out = myna_harness::run_tool(command, Duration::from_secs(60))
        .with_context(|| format!("{program} (is OpenSC installed?)"))?;
    if !out.success() {
        bail!(
            "{program} {args:?} failed ({}):\n{}\n{}",
            out.status,
            out.stdout,
            out.stderr
        );
    }
    Ok(out.stdout)
}

/// The PKCS#11 slot id of the auth-PIN token in `reader`.
fn auth_slot(reader: &str, home: &Path) -> Result<String> {
    let list = run_opensc(
        "pkcs11-tool",
        &["--module", PKCS11_MODULE, "--list-slots"],
        home,
    )?;
    opensc::auth_slot(&list, reader)
        .with_context(|| format!("no {AUTH_TOKEN_LABEL:?} slot on {reader}:\n{list}"))
}

/// What OpenSC sends for the same operations: one `pkcs11-tool` process — one PKCS#11
/// session, as an application using OpenSC would open — that logs in with the PIN, signs
/// with the auth key (`SHA256-RSA-PKCS`) and reads the auth certificate object. Slot
/// discovery (a separate `--list-slots` run) is not counted; OpenSC's file cache is empty
/// (a fresh `HOME`). Checks in the card's log that the PIN was verified once and the card
/// signed, that the certificate read is the persona's, and that the 券面事項入力補助AP was
/// never touched.
pub fn opensc_flow(
    reader: &str,
    log: &ApduLog,
    pin: &str,
    expected_certificate: &[u8],
    work: &Path,
) -> Result<FlowCount> {
    let fresh_home = |name: &str| -> Result<std::path::PathBuf> {
        let home = work.join(name);
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(&home)?;
        Ok(home)
    };
    let slot = auth_slot(reader, &fresh_home("opensc-home-slots")?)?;
    let input = work.join("opensc-data");
    let output = work.join("opensc-output");
    std::fs::write(
        &input,
        b"myna-web benchmark: same operations through OpenSC",
    )?;
    let _ = std::fs::remove_file(&output);
    let home = fresh_home("opensc-home")?;
    log.clear();
    // pkcs11-tool runs --sign before --read-object; both write --output-file, so it ends up
    // holding the certificate.
    run_opensc(
        "pkcs11-tool",
        &[
            "--module",
            PKCS11_MODULE,
            "--slot",
            &slot,
            "--login",
            "--pin",
            pin,
            "--sign",
            "--mechanism",
            "SHA256-RSA-PKCS",
            "--id",
            "01",
            "--input-file",
            path_str(&input)?,
            "--read-object",
            "--type",
            "cert",
            "--output-file",
            path_str(&output)?,
        ],
        &home,
    )?;
    let entries = log.entries();
    if log.touched_application(CARD_INFO_INPUT_AID) {
        bail!("OpenSC touched the 券面事項入力補助AP");
    }
    let verified = entries
        .iter()
        .filter(|e| e.ins() == Some(ins::VERIFY) && e.redacted_len.is_some())
        .collect::<Vec<_>>();
    if verified.len() != 1 || !verified[0].sw.is_success() {
        bail!("OpenSC did not verify the PIN exactly once: {verified:?}");
    }
    if !entries.iter().any(|e| {
        e.cla() == Some(cla::PROPRIETARY)
            && e.ins() == Some(ins::COMPUTE_DIGITAL_SIGNATURE)
            && e.sw.is_success()
    }) {
        bail!("the card did not sign for OpenSC");
    }
    let certificate = std::fs::read(&output)?;
    if certificate != expected_certificate {
        bail!("pkcs11-tool read a certificate other than the persona's");
    }
    Ok(FlowCount {
        entries,
        certificate_len: certificate.len(),
    })
}

fn path_str(path: &Path) -> Result<&str> {
    path.to_str().context("a non-UTF-8 path")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_reads_take_the_length_from_the_first_read() {
        assert_eq!(certificate_reads(1, false), 1);
        assert_eq!(certificate_reads(256, false), 1);
        assert_eq!(certificate_reads(257, false), 2);
        assert_eq!(certificate_reads(1_400, false), 6);
        assert_eq!(certificate_reads(1_536, false), 6);
        assert_eq!(certificate_reads(1_537, false), 7);
        assert_eq!(certificate_reads(256, true), 1);
        assert_eq!(certificate_reads(1_400, true), 2);
    }

    #[test]
    fn the_minimal_flows() {
        // A 1,400-byte certificate with short APDUs: 2 + 6 to read it, 2 to detect the
        // token, 5 for PIN + signature.
        let card = &MY_NUMBER_CARD;
        assert_eq!(total(&visual_flow_minimum(card, 1_400, false)), 10);
        assert_eq!(total(&pin_flow_minimum(card, 1_400, false)), 15);
        assert_eq!(total(&pin_flow_minimum(card, 1_400, true)), 11);
        assert_eq!(total(&pin_flow_minimum_sfi(1_400, false)), 12);
        // The test certificate (1,147 bytes): 14 for PIN, 9 for 目視 (12 and 7 before the
        // detection, issue 14).
        assert_eq!(total(&pin_flow_minimum(card, 1_147, false)), 14);
        assert_eq!(total(&visual_flow_minimum(card, 1_147, false)), 9);
        // An Android phone: the same commands in its order; 目視 stops after the detection.
        let android = &myna_core::profile::ANDROID_PHONE;
        assert_eq!(total(&pin_flow_minimum(android, 1_147, false)), 14);
        assert_eq!(total(&visual_flow_minimum(android, 1_147, false)), 3);
        // The card's commands, the certificate moved after the one VERIFY.
        let names = |profile| -> Vec<String> {
            pin_flow_minimum(profile, 1_147, false)
                .into_iter()
                .map(|s| s.command)
                .collect()
        };
        let (mut on_card, on_phone) = (names(card), names(android));
        let certificate = on_card.drain(3..5).collect::<Vec<_>>();
        on_card.splice(6..6, certificate);
        assert_eq!(on_phone, on_card);
        // The same read through transmit: every request re-selects what it relies on.
        assert_eq!(total(&visual_flow_via_transmit(1_147, false)), 18);
        assert_eq!(total(&visual_flow_via_transmit(1_400, false)), 21);
        // The steps name every command once, in order.
        let names: Vec<String> = pin_flow_minimum(card, 1_400, false)
            .into_iter()
            .map(|s| s.command)
            .collect();
        assert_eq!(
            names,
            [
                "SELECT JPKI-AP",
                "SELECT EF 0006",
                "READ BINARY (token label)",
                "SELECT EF 000A",
                "READ BINARY",
                "SELECT EF 0018",
                "VERIFY (no data: tries left)",
                "VERIFY (PIN)",
                "SELECT EF 0017",
                "COMPUTE DIGITAL SIGNATURE",
            ]
        );
    }

    #[test]
    fn nonces_are_valid_for_the_bridge() {
        let nonce = bench_nonce(7);
        assert_eq!(nonce.len(), 43);
        myna_core::auth::validate_nonce(&nonce).unwrap();
        assert_ne!(nonce, bench_nonce(8));
    }
}
