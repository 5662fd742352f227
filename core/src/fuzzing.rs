//! Fuzzing entry points (not API: hidden from the docs, no stability promise).
//!
//! Each function takes the fuzzer's bytes and must return normally for *every* input: a
//! panic is a finding. Besides "never panics", each asserts the round trips its parsers
//! promise (decode → encode gives the same bytes, encode → decode the same value). The
//! cargo-fuzz targets in `fuzz/` are one line each calling these; regression tests call them
//! with the inputs that once failed.

use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, Waker};

use crate::apdu::{Command, Response};
use crate::jpki::{self, MAX_CERTIFICATE_LEN, MAX_GET_RESPONSE_ROUNDS, Pin};
use crate::oqs::{self, Encoding, XmlMsg};
use crate::profile::MY_NUMBER_CARD;
use crate::profile::ins::{
    COMPUTE_DIGITAL_SIGNATURE as INS_SIGN, GET_RESPONSE as INS_GET_RESPONSE,
    READ_BINARY as INS_READ_BINARY, SELECT as INS_SELECT, VERIFY as INS_VERIFY,
};
use crate::transport::{Transport, TransportError, TransportErrorKind};
use crate::x509::{self, Crl, TrustAnchor};

/// `apdu` target: command and response APDUs, the DER length of a certificate head, and the
/// JPKI client reading a card whose answers are `data`.
pub fn apdu(data: &[u8]) {
    command_round_trip(data);
    response_round_trip(data);
    certificate_length_agrees_with_der(data);
    client_over_scripted_card(data);
}

fn command_round_trip(data: &[u8]) {
    let Ok(cmd) = Command::decode(data) else {
        return;
    };
    let encoded = cmd.encode();
    assert_eq!(
        &encoded[..],
        data,
        "encode(decode(bytes)) != bytes for {cmd:?}"
    );
    let again = Command::decode(&encoded).expect("an encoded command decodes");
    assert_eq!(again, cmd, "decode(encode(cmd)) != cmd");
    assert_eq!(cmd.is_extended(), again.is_extended());
    let _ = cmd.case();
    if let Some(le) = cmd.le() {
        let same = cmd.with_le(le).expect("its own Le is valid");
        assert_eq!(same, cmd, "with_le(le()) changed the command");
    }
}

fn response_round_trip(data: &[u8]) {
    let Ok(response) = Response::decode(data) else {
        assert!(
            data.len() < 2,
            "a response of {} bytes was refused",
            data.len()
        );
        return;
    };
    assert_eq!(response.encode(), data, "encode(decode(bytes)) != bytes");
    assert_eq!(Response::decode(&response.encode()), Ok(response.clone()));
    let sw = response.sw;
    assert_eq!(sw.to_bytes(), [sw.sw1(), sw.sw2()]);
    let _ = (sw.status(), sw.meaning(), sw.is_success());
}

/// `certificate_length` against the `der` crate's own reading of the same header.
fn certificate_length_agrees_with_der(data: &[u8]) {
    use der::{Decode, Header, Reader, SliceReader, Tag};

    let ours = jpki::certificate_length(data);
    if let Ok(total) = ours {
        assert!((2..=MAX_CERTIFICATE_LEN).contains(&total), "length {total}");
    }
    // `der` reads any tag and lengths up to 2^28; compare only where both apply.
    let Ok(mut reader) = SliceReader::new(data) else {
        return;
    };
    let theirs = Header::decode(&mut reader).map(|h| (h, reader.position()));
    match (ours, theirs) {
        (Ok(total), Ok((header, header_len))) => {
            assert_eq!(header.tag, Tag::Sequence);
            let content = usize::try_from(u32::from(header.length)).expect("u32 fits usize");
            let header_len = usize::try_from(u32::from(header_len)).expect("u32 fits usize");
            assert_eq!(total, header_len + content, "DER disagrees on the length");
        }
        (Ok(total), Err(e)) => panic!("certificate_length accepted {total} where der says {e}"),
        (Err(_), Ok((header, header_len))) if header.tag == Tag::Sequence => {
            let total = u64::from(u32::from(header_len)) + u64::from(u32::from(header.length));
            assert!(
                total > MAX_CERTIFICATE_LEN as u64,
                "certificate_length refused a SEQUENCE of {total} bytes that der reads"
            );
        }
        (Err(_), _) => {}
    }
}

/// A card whose answers are read from the fuzz input: each answer is a big-endian `u16`
/// length and that many bytes (data + SW1 SW2). Commands sent are kept for checks. Once the
/// answers run out, the card is "removed".
struct ScriptedCard<'a> {
    answers: &'a [u8],
    extended: bool,
    sent: Vec<Vec<u8>>,
}

impl<'a> ScriptedCard<'a> {
    fn new(answers: &'a [u8], extended: bool) -> Self {
        ScriptedCard {
            answers,
            extended,
            sent: Vec::new(),
        }
    }

    fn next_answer(&mut self) -> Option<Vec<u8>> {
        let [hi, lo, rest @ ..] = self.answers else {
            return None;
        };
        let len = usize::from(u16::from_be_bytes([*hi, *lo])).min(rest.len());
        let (answer, rest) = rest.split_at(len);
        self.answers = rest;
        Some(answer.to_vec())
    }

    /// Every command the client sent is a well-formed APDU that encodes back to itself, and
    /// the client never sent more than the answers it got plus the one that found none.
    fn check_commands(&self, allowed_ins: &[u8]) {
        for bytes in &self.sent {
            let cmd = Command::decode(bytes).expect("the client sent a malformed APDU");
            assert_eq!(&cmd.encode()[..], &bytes[..]);
            assert!(
                allowed_ins.contains(&cmd.ins()),
                "the client sent INS {:02X} in a flow that only uses {allowed_ins:02X?}",
                cmd.ins()
            );
            if !self.extended {
                assert!(!cmd.is_extended(), "extended APDU on a short-only reader");
            }
        }
    }
}

impl Transport for ScriptedCard<'_> {
    fn transmit(
        &mut self,
        command: &[u8],
    ) -> impl Future<Output = Result<Vec<u8>, TransportError>> {
        self.sent.push(command.to_vec());
        let answer = self
            .next_answer()
            .ok_or_else(|| TransportError::new(TransportErrorKind::CardRemoved, "script ended"));
        core::future::ready(answer)
    }

    fn supports_extended_length(&self) -> bool {
        self.extended
    }
}

/// Polls a future that never waits (every transport here answers at once).
fn now<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("a scripted transport never waits"),
    }
}

fn client_over_scripted_card(answers: &[u8]) {
    let reads = [INS_SELECT, INS_READ_BINARY, INS_GET_RESPONSE];
    for extended in [false, true] {
        let mut card = ScriptedCard::new(answers, extended);
        if let Ok(certificate) = now(jpki::read_auth_certificate(&mut card)) {
            assert_eq!(
                jpki::certificate_length(&certificate),
                Ok(certificate.len()),
                "read_certificate returned other than exactly one DER certificate"
            );
        }
        card.check_commands(&reads);
        // Every GET RESPONSE chain is bounded: at most one per answer and per round.
        let chains = card
            .sent
            .iter()
            .filter(|c| c[1] == INS_GET_RESPONSE)
            .count();
        assert!(chains <= card.sent.len());
    }

    let mut card = ScriptedCard::new(answers, false);
    let _ = now(jpki::read_token_info(&mut card));
    card.check_commands(&reads);

    let mut card = ScriptedCard::new(answers, false);
    if let Ok(status) = now(jpki::auth_pin_status(&mut card)) {
        // `remaining` is what the card says (`63Cx`), even above the profile's count.
        assert!(!(status.blocked && status.verified));
        assert_eq!(status.blocked, status.remaining == 0, "{status:?}");
    }
    card.check_commands(&[INS_SELECT, INS_VERIFY, INS_GET_RESPONSE]);

    let mut card = ScriptedCard::new(answers, false);
    let pin = Pin::auth("1234").expect("a 4-digit PIN");
    let _ = now(jpki::verify_auth_pin(&mut card, &pin));
    card.check_commands(&[INS_SELECT, INS_VERIFY, INS_GET_RESPONSE]);
    let verifies = card.sent.iter().filter(|c| c[1] == INS_VERIFY).count();
    assert!(
        verifies <= 2,
        "VERIFY sent {verifies} times: a PIN is tried at most once"
    );

    let mut card = ScriptedCard::new(answers, false);
    let digest_info = crate::auth::digest_info_sha256(b"fuzz");
    if let Ok(signature) = now(jpki::sign_with_auth_key(&mut card, &digest_info)) {
        assert_eq!(
            signature.len(),
            MY_NUMBER_CARD.auth_algorithm.signature_len()
        );
    }
    card.check_commands(&[INS_SELECT, INS_SIGN, INS_GET_RESPONSE]);
    let rounds = card
        .sent
        .iter()
        .filter(|c| c[1] == INS_GET_RESPONSE)
        .count();
    // Two exchanges (SELECT, then the signature), each at most MAX rounds of GET RESPONSE,
    // each round resent at most once after a `6Cxx`.
    assert!(
        rounds <= 2 * 2 * MAX_GET_RESPONSE_ROUNDS,
        "{rounds} GET RESPONSEs"
    );
}

/// A time at which the persona certificates are valid (2026-01-01T00:00:00Z).
pub const PERSONA_TIME: i64 = 1_767_225_600;

/// `x509` target: `data` as a certificate (checked against `anchor_der`, as an anchor of
/// its own, and as the anchor of `leaf_der`), as a trust anchor and as a CRL.
pub fn x509(data: &[u8], anchor_der: &[u8], leaf_der: &[u8]) {
    let anchor = TrustAnchor::from_der(anchor_der).expect("the fuzzing anchor parses");
    let anchors = [anchor];
    let mut times = vec![PERSONA_TIME, i64::MIN, i64::MAX, 0];

    // The lazy parse accepts what the checked one accepts, reads it the same, and differs only
    // by a CRL DP or AKI that its accessors then refuse.
    let lazy = x509::parse_certificate_lazy(data);
    match (x509::parse_certificate(data), &lazy) {
        (Ok(info), lazy) => {
            assert_eq!(lazy.as_ref(), Ok(&info), "the lazy parse read it otherwise");
            assert!(info.crl_distribution_points().is_ok() && info.authority_key_id().is_ok());
        }
        (Err(refused), Ok(lazy)) => {
            let found = [
                lazy.crl_distribution_points().err(),
                lazy.authority_key_id().err(),
            ];
            assert!(
                found.contains(&Some(refused)),
                "the lazy parse accepted what its accessors do not refuse"
            );
        }
        (Err(_), Err(_)) => {}
    }
    // The display-only reader (the browser module's `parseCertificate`) refuses what the lazy
    // parse refuses, with the same variant, and reads the same facts.
    match (&lazy, x509::parse_certificate_view(data)) {
        (Ok(info), Ok(view)) => {
            assert_eq!(
                x509::CertificateView::from(info),
                view,
                "the view read it otherwise"
            );
            assert_eq!(info.check_jpki_auth(), view.check_jpki_auth());
        }
        (Err(lazy), Err(view)) => assert_eq!(
            core::mem::discriminant(lazy),
            core::mem::discriminant(&view),
            "refused as {lazy:?} and as {view:?}"
        ),
        (lazy, view) => panic!(
            "the lazy parse says {:?}, the view {:?}",
            lazy.as_ref().err(),
            view.err()
        ),
    }

    if let Ok(info) = x509::parse_certificate(data) {
        assert_eq!(
            info.der(),
            data,
            "parse_certificate kept other bytes than its input"
        );
        times.extend([info.not_before, info.not_after]);
        let _ = (info.not_before_iso(), info.not_after_iso());
        let _ = (info.key_algorithm(), info.public_key.bits());
        let _ = (info.has_crl_distribution_point(), info.is_self_issued());
        let _ = (info.check_jpki_auth(), info.is_jpki_auth());
        let _ = (info.subject.display_forward(), info.issuer.to_string());
        let _ = info.subject.common_name();
        for &at in &times {
            let _ = info.is_valid_at(at);
        }
        assert!(info.verify_rs256(b"message", &[0u8; 256]).is_err());
        let own = TrustAnchor::from_der(data).expect("a parsed certificate is an anchor");
        assert_eq!(own.certificate(), &info);
        let own = [own];
        let _ = x509::verify_chain(data, &[], &own, PERSONA_TIME);
        if let Ok(path) = x509::verify_chain(leaf_der, &[], &own, PERSONA_TIME) {
            assert_eq!(path.leaf().der(), leaf_der);
            assert_eq!(path.anchor().der(), data);
        }
    } else {
        assert!(TrustAnchor::from_der(data).is_err());
    }

    for &at in &times {
        let _ = x509::iso8601_utc(at);
    }
    // Each path tried costs an RSA verification: the persona time and the extremes only.
    for at in [PERSONA_TIME, i64::MIN, i64::MAX] {
        if let Ok(path) = x509::verify_chain(data, &[], &anchors, at) {
            assert_eq!(path.leaf().der(), data);
            assert_eq!(path.anchor(), anchors[0].certificate());
            assert!(path.leaf().is_valid_at(at));
        }
    }

    if let Ok(crl) = Crl::parse(data) {
        let _ = crl.verify_signature(&anchors[0]);
        for &at in &times {
            let _ = crl.check_time(at);
        }
        let _ = crl.is_revoked("01");
        let _ = crl.revocation_of(anchors[0].certificate());
        for entry in &crl.revoked {
            assert!(crl.is_revoked(&entry.serial));
        }
    }
}

/// `oqs` target: `data` as an `XmlMsg` file; what parses must survive `to_xml` in both
/// encodings and parse back to the same model.
pub fn oqs(data: &[u8]) {
    let parsed = oqs::parse(data);
    if let (Ok(text), Ok(Encoding::Utf8)) = (core::str::from_utf8(data), oqs::detect_encoding(data))
    {
        assert_eq!(
            oqs::parse_str(text),
            parsed,
            "parse_str and parse disagree on a UTF-8 document"
        );
    }
    let Ok(msg) = parsed else {
        return;
    };
    let _ = (msg.results(), msg.qualification_validity(), msg.is_error());
    for result in msg.results() {
        let _ = result.voucher_fields();
    }
    written_parses_back(&msg, Encoding::Utf8);
    // Known limit: an element name Shift_JIS cannot carry (parsed from UTF-8 input) is not
    // written faithfully in Shift_JIS; the round trip is asserted for every other document.
    let utf8 = String::from_utf8(oqs::to_xml(&msg, Encoding::Utf8)).expect("UTF-8 output");
    if element_names_fit_cp932(&utf8) {
        written_parses_back(&msg, Encoding::ShiftJis);
    }
}

/// `copy_text` target: the official app's copy text. Whatever [`oqs::parse_copy_text`]
/// reads, [`oqs::to_copy_text`] writes a text that reads again, and writing that gives the
/// same text and the same tree (write ∘ read is idempotent; fields the format has no label
/// for are not written, so the first read may hold more than the second); the tree is
/// writable as XML that parses.
pub fn copy_text(data: &[u8]) {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    let first = match oqs::parse_copy_text(text) {
        Ok(msg) => msg,
        Err(err) => {
            let _ = (err.code(), err.to_string());
            return;
        }
    };
    let written = oqs::to_copy_text(&first);
    assert!(written.ends_with("\r\n"), "every line ends in CRLF");
    assert!(
        !written.replace("\r\n", "").contains(['\r', '\n']),
        "no bare CR or LF"
    );
    let second = oqs::parse_copy_text(&written)
        .unwrap_or_else(|e| panic!("the written text does not read back: {e}\n{written}"));
    let again = oqs::to_copy_text(&second);
    assert_eq!(again, written, "write(read(write(x))) != write(x)");
    assert_eq!(
        oqs::parse_copy_text(&again).as_ref(),
        Ok(&second),
        "read ∘ write is not stable"
    );
    let xml = oqs::to_xml(&second, Encoding::Utf8);
    assert!(oqs::parse(&xml).is_ok(), "the tree is not writable as XML");
}

fn element_names_fit_cp932(xml: &str) -> bool {
    xml.split('<').skip(1).all(|tag| {
        let name = tag.trim_start_matches(['/', '?', '!']);
        let end = name
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(name.len());
        name[..end].chars().all(crate::oqs::cp932::cp932_carries)
    })
}

fn written_parses_back(msg: &XmlMsg, encoding: Encoding) {
    let bytes = oqs::to_xml(msg, encoding);
    assert_eq!(oqs::detect_encoding(&bytes), Ok(encoding));
    let back = match oqs::parse(&bytes) {
        Ok(back) => back,
        Err(e) => panic!(
            "to_xml({encoding}) wrote a document that does not parse: {e}\n{}",
            String::from_utf8_lossy(&bytes)
        ),
    };
    let mut expected = msg.clone();
    expected.message_header.character_code_identifier =
        Some(encoding.character_code_identifier().into());
    assert_eq!(
        back, expected,
        "to_xml({encoding}) then parse changed the model"
    );
    assert_eq!(oqs::to_xml(&back, encoding), bytes, "to_xml is not stable");
}

/// `roster` target: `data` as a roster file. What imports must survive the results CSV in both
/// encodings: the export, read back as a roster, gives the same rows (every column the export
/// writes that the roster reads), and every row number is a line of the file.
pub fn roster(data: &[u8]) {
    use crate::checkup::roster::{self, ExportEncoding};
    let Ok(import) = roster::parse_roster(data) else {
        return;
    };
    // Line breaks as the reader counts them: CRLF, LF or CR.
    let breaks = data
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && data.get(i + 1) != Some(&b'\n')))
        .count();
    let lines = 1 + breaks as u64;
    for line in import
        .rows
        .iter()
        .map(|r| r.line)
        .chain(import.errors.iter().map(|e| e.line))
    {
        assert!(line >= 2 && line <= lines, "line {line} of {lines}");
    }
    for e in &import.errors {
        assert!(!e.codes().is_empty());
        let _ = e.message_ja();
    }
    let text = roster::export_csv(&import.rows, &[]);
    // A cell the export guards against formulas (a leading `'`) reads back with the quote and
    // may then pass a length limit: such files are exported, not compared.
    let guarded = import.rows.iter().any(|r| {
        normalised(&r.voucher)
            .iter()
            .flatten()
            .any(|v| v.starts_with(['=', '+', '-', '@', '\'']))
    });
    for encoding in [ExportEncoding::Utf8Bom, ExportEncoding::Cp932] {
        let (bytes, lost) = roster::encode_export(&text, encoding);
        if lost > 0 || guarded {
            continue;
        }
        let back = roster::parse_roster(&bytes).expect("the export reads back as a roster");
        assert!(
            back.errors.is_empty(),
            "export rows fail: {:?}",
            back.errors
        );
        assert_eq!(back.rows.len(), import.rows.len());
        for (a, b) in import.rows.iter().zip(&back.rows) {
            let mut expected = a.voucher.clone();
            // The export writes neither kind, validity, window charge nor agency.
            expected.kind = None;
            expected.valid_until = None;
            expected.window_charge = None;
            expected.contract_agency = None;
            let got = b.voucher.clone();
            assert_eq!(normalised(&got), normalised(&expected));
        }
    }
}

fn normalised(v: &crate::checkup::voucher::Voucher) -> Vec<Option<String>> {
    crate::checkup::voucher::VoucherField::ALL
        .iter()
        .map(|f| v.get(*f).map(str::to_owned))
        .collect()
}
