//! # myna-web — the browser module (npm package `myna-web`)
//!
//! The thin JavaScript surface over `myna-core`: a client for the local `myna-bridge`
//! (WebSocket, protocol v1), the eligibility flow against an eligibility service, the
//! `XmlMsg` parser and 受診券照合 from the core, and the 資格情報 panel.
//!
//! ```text
//! page ──connectBridge──▶ Bridge ──ws JSON frames──▶ myna-bridge ──PC/SC──▶ card
//!        confirmQualification: challenge (service) → card (bridge) → confirmation (service)
//!        → core oqs::parse → JSON view → renderQualification (DOM text nodes)
//! ```
//!
//! ## What it does and does not do
//! - Card reads run the core's JPKI-AP operations over a transport whose every APDU is a
//!   bridge `transmit` frame; the bridge's policy decides what reaches the card. PIN checks
//!   and signing run **inside the bridge** (`authenticate`): the page hands over the PIN once
//!   and never retries it.
//! - No protocol logic is written here: APDUs, status words, `XmlMsg`, code tables,
//!   identifiers, 和暦 and X.509 come from `myna-core`. This crate converts between JS values
//!   and core types, moves frames, and builds DOM nodes.
//! - No storage, no logging of results or PINs, no network beyond the bridge URL and the
//!   service URL the page gives.
//!
//! ## Errors
//! Every rejection is a JS `Error` named `MynaWebError` with a stable `code`
//! ([`error::WebError::code`]); bridge codes pass through unchanged.
//!
//! ## Threading
//! Single-threaded (the page's event loop): shared state is `Rc`/`RefCell`, futures are
//! `!Send` and run with `wasm_bindgen_futures`.

#![forbid(unsafe_code)]

/// The module's allocator: `talc`'s for single-threaded WebAssembly, which grows the
/// module's memory as needed; smaller than the default `dlmalloc` (issue 15, item 8:
/// see docs/benchmarks.md).
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

pub mod bridge;
pub mod certificate;
pub mod checkup;
pub mod client;
pub mod error;
pub mod flow;
mod http;
mod js;
pub mod qualification;
pub mod render;
pub mod session;
mod types;
pub mod view;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use web_sys::Element;

use crate::error::{WebError, WebResult};

fn throw<T>(result: WebResult<T>) -> Result<T, JsValue> {
    result.map_err(JsValue::from)
}

/// `connectBridge(url, options?)` → `Promise<Bridge>`.
#[wasm_bindgen(js_name = connectBridge, unchecked_return_type = "Promise<Bridge>")]
pub fn connect_bridge(
    url: String,
    #[wasm_bindgen(unchecked_optional_param_type = "ConnectBridgeOptions")] options: JsValue,
) -> Promise {
    js::promise(async move {
        bridge::connect_bridge(&url, &options)
            .await
            .map(JsValue::from)
    })
}

/// `parseCertificate(der)` → the certificate's facts, for showing it (not a trust decision:
/// no signature is verified). Throws `invalid-certificate` when `der` is empty or is not
/// exactly one DER X.509 certificate (bytes after it included), when its two signature
/// algorithms differ or its signature is not whole bytes, when its key is neither RSA (an
/// odd modulus of at most 4096 bits, an odd exponent from 3 to 2^33 − 1 below it) nor an
/// uncompressed P-384 point, when an extension appears twice, or when its keyUsage,
/// extendedKeyUsage, certificatePolicies, basicConstraints or subjectKeyIdentifier does not
/// decode. Its cRLDistributionPoints and authorityKeyIdentifier are not decoded (not shown):
/// a certificate whose CRL distribution point or authority key identifier is malformed is
/// shown, not refused (the eligibility service, which decides trust, refuses it). The
/// error's message names which of these faults it was (e.g. `not a readable certificate: not
/// a DER X.509 certificate`, `… extension 2.5.29.15 does not decode`), not `der`'s detail of
/// where the DER went wrong.
#[wasm_bindgen(js_name = parseCertificate, unchecked_return_type = "CertificateInfo")]
pub fn parse_certificate(der: &[u8]) -> Result<JsValue, JsValue> {
    throw(certificate::parse(der))
}

/// `parseQualificationXml(input)` → the `XmlMsg` tree.
#[wasm_bindgen(js_name = parseQualificationXml, unchecked_return_type = "XmlMsg")]
pub fn parse_qualification_xml(
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array | ArrayBuffer")] input: JsValue,
) -> Result<JsValue, JsValue> {
    throw(qualification::parse_input(&input).map(|msg| qualification::message_to_js(&msg)))
}

/// `parseCopyText(text)` → the `XmlMsg` tree of the official マイナ資格確認アプリ's copied
/// result (the same tree `parseQualificationXml` gives); throws `copy-text-…`.
#[wasm_bindgen(js_name = parseCopyText, unchecked_return_type = "XmlMsg")]
pub fn parse_copy_text(text: &str) -> Result<JsValue, JsValue> {
    throw(
        myna_core::oqs::parse_copy_text(text)
            .map(|msg| qualification::message_to_js(&msg))
            .map_err(WebError::from),
    )
}

/// `confirmQualification(options)` → `Promise<QualificationResult>`.
#[wasm_bindgen(js_name = confirmQualification, unchecked_return_type = "Promise<QualificationResult>")]
pub fn confirm_qualification(
    #[wasm_bindgen(unchecked_param_type = "ConfirmQualificationOptions")] options: JsValue,
) -> Promise {
    js::promise(async move { flow::confirm_qualification(&options).await })
}

/// `renderQualification(element, result, options?)` → the panel element.
#[wasm_bindgen(js_name = renderQualification)]
pub fn render_qualification(
    element: &Element,
    #[wasm_bindgen(unchecked_param_type = "QualificationResult | XmlMsg")] result: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "RenderOptions")] options: JsValue,
) -> Result<web_sys::HtmlElement, JsValue> {
    throw(render::render(element, &result, &options)).map(JsCast::unchecked_into)
}

/// `copyText(result, options?)` → the official app's copy text (CRLF, sections, 和暦) the
/// panel's copy button copies; `{identityLine: true}` adds `本人確認` when a smartphone
/// answered (`docs/copy-text.md`).
#[wasm_bindgen(js_name = copyText)]
pub fn copy_text(
    #[wasm_bindgen(unchecked_param_type = "QualificationResult | XmlMsg")] result: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "CopyTextOptions")] options: JsValue,
) -> Result<String, JsValue> {
    throw(render::copy_text_js(&result, &options))
}

/// `validateInsurerNumber(s)` → whether `s` is a valid 保険者番号 (8 digits, or 6 for 国保,
/// with the right check digit).
#[wasm_bindgen(js_name = validateInsurerNumber)]
pub fn validate_insurer_number(s: &str) -> bool {
    myna_core::identifiers::validate_insurer_number(s)
}

/// `toWareki("20190501")` → `"令和元年5月1日"`; throws `invalid-date`.
#[wasm_bindgen(js_name = toWareki)]
pub fn to_wareki(yyyymmdd: &str) -> Result<String, JsValue> {
    throw(myna_core::wareki::to_wareki(yyyymmdd).map_err(WebError::from))
}

/// `compareVoucher(voucher, result, options?)` → the 受診券照合: field by field, the person,
/// and `problems` (`qualification-invalid`, `outside-qualification-period`, `person-mismatch`,
/// `voucher-expired`, `insurer-not-contracted`, …); `isMatch` only with no problem. Options:
/// `date` (the 受診日; default the answer's confirmation date, else today) and
/// `contractedInsurers` (the facility's 委託元保険者一覧).
#[wasm_bindgen(js_name = compareVoucher, unchecked_return_type = "VoucherComparison")]
pub fn compare_voucher(
    #[wasm_bindgen(unchecked_param_type = "Voucher")] voucher: JsValue,
    #[wasm_bindgen(unchecked_param_type = "QualificationResult | XmlMsg")] result: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "CompareVoucherOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    throw(checkup::compare_voucher_js(&voucher, &result, &options))
}

/// `validateVoucher(voucher)` → `{valid, voucher, errors: [{code, field, message}]}`.
#[wasm_bindgen(js_name = validateVoucher, unchecked_return_type = "VoucherValidation")]
pub fn validate_voucher(
    #[wasm_bindgen(unchecked_param_type = "Voucher")] voucher: JsValue,
) -> Result<JsValue, JsValue> {
    throw(checkup::validate_voucher_js(&voucher))
}

/// `parseRoster(input)` → the day's roster: rows that imported, rows that did not (with their
/// line numbers), ignored columns; throws `roster-…` when the file cannot be read at all.
#[wasm_bindgen(js_name = parseRoster, unchecked_return_type = "RosterImport")]
pub fn parse_roster(
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array | ArrayBuffer")] input: JsValue,
) -> Result<JsValue, JsValue> {
    throw(checkup::parse_roster_js(&input))
}

/// `matchToRoster(rows, result)` → which roster row a check belongs to.
#[wasm_bindgen(js_name = matchToRoster, unchecked_return_type = "RosterMatch")]
pub fn match_to_roster(
    #[wasm_bindgen(unchecked_param_type = "Array<RosterRow | Voucher>")] rows: JsValue,
    #[wasm_bindgen(unchecked_param_type = "QualificationResult | XmlMsg")] result: JsValue,
) -> Result<JsValue, JsValue> {
    throw(checkup::match_to_roster_js(&rows, &result))
}

/// `dayList(rows, checks)` → the day's list (checked / problem / pending / not yet / not on
/// the roster).
#[wasm_bindgen(js_name = dayList, unchecked_return_type = "DayEntry[]")]
pub fn day_list(
    #[wasm_bindgen(unchecked_param_type = "Array<RosterRow | Voucher>")] rows: JsValue,
    #[wasm_bindgen(unchecked_param_type = "DayCheck[]")] checks: JsValue,
) -> Result<JsValue, JsValue> {
    throw(checkup::day_list_js(&rows, &checks))
}

/// `exportRosterCsv(rows, checks)` → the day's results as CSV bytes Excel opens (UTF-8 with
/// BOM; CP932 is the service's export).
#[wasm_bindgen(js_name = exportRosterCsv, unchecked_return_type = "Uint8Array")]
pub fn export_roster_csv(
    #[wasm_bindgen(unchecked_param_type = "Array<RosterRow | Voucher>")] rows: JsValue,
    #[wasm_bindgen(unchecked_param_type = "DayCheck[]")] checks: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "ExportRosterOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    throw(checkup::export_roster_csv_js(&rows, &checks, &options))
}

/// `rosterColumns()` → the column headers `parseRoster` accepts, per field.
#[wasm_bindgen(js_name = rosterColumns, unchecked_return_type = "RosterColumn[]")]
pub fn roster_columns() -> JsValue {
    checkup::roster_columns_js()
}
