//! `confirmQualification`: the whole eligibility check, once.
//!
//! ```text
//! POST {serviceUrl}/api/v1/challenges (Bearer)      → {nonce, expiresAt}      step "challenge"
//! bridge listReaders → the one card (or `reader`)                               step "card"
//! visual: readFile 000A (select + reads in one bridge transaction)              step "certificate"
//! pin:    authenticate {nonce, pin, allowLastAttempt} → certificate + signature step "authenticate"
//! POST {serviceUrl}/api/v1/confirmations → XmlMsg (application/xml)          step "confirmation"
//!      the contract's ConfirmationRequest (core wire::service) by serde_json: {mode,
//!      certificate, signature?, algorithm?, nonce, origin: location.origin, operator?, token?}
//! parse (core oqs), 受診券照合 when a voucher is given                          step "done"
//! ```
//!
//! The PIN is sent at most once: a wrong PIN fails the call with `pin-incorrect` (and
//! `remaining`), one try left without `allowLastAttempt` with `last-attempt-needs-consent`,
//! with it but without the card re-placed since the bridge saw one try left with
//! `last-attempt-needs-representation`; asking the patient again is the page's decision. The
//! card session is always released.
//!
//! Each service request has a time limit ([`DEFAULT_SERVICE_TIMEOUT_MS`], or the option
//! `serviceTimeoutMs`) covering the whole exchange, body included: a service that accepts the
//! connection and never answers fails the call with `service-timeout` instead of holding the
//! reception screen. A timeout at `challenge` happens before the card is touched (PIN tries
//! unchanged). A timeout at `confirmation` comes after the card signed the nonce and the card
//! session was released; the service may have spent that single-use nonce, so the only way on
//! is a new call (a new challenge) — nothing is retried here, the PIN least of all.

use std::rc::Rc;

use js_sys::{Function, Object};
use myna_core::oqs::{self, XmlMsg};
use myna_core::profile::AuthAlgorithm;
use myna_core::wire::service;
use myna_core::wire::timeouts::{CLIENT_REQUEST_MS, SERVICE_DEFAULT_MS, SERVICE_MAX_MS};
use myna_core::wire::{Reader, Token, method};
use wasm_bindgen::JsValue;
use web_sys::RequestMode;

use crate::client::link::BridgeInner;
use crate::client::read;
use crate::error::{WebError, WebResult};
use crate::http::{FetchFailure, HttpRequest, HttpResponse, fetch};
use crate::js;
use crate::qualification::{decode_bytes, message_to_js, voucher_from_js};
use crate::session::SessionInner;
use crate::view::{FromJs, QualificationView, VoucherView};

/// The default time limit of one eligibility-service request, in milliseconds.
///
/// The service's work per request is small — issuing a nonce; checking a certificate chain,
/// its revocation and one signature, then looking up the qualification — and normally takes
/// well under a few seconds even through a relay to the national system. The slow part of a
/// confirmation, the card's RSA signature, runs in the bridge between the two requests and is
/// not inside either. 30 s leaves a slow service ample room yet hands a stuck one back to the
/// staff (with the fallback procedure) before the queue at reception grows; it is far inside
/// a nonce's validity (minutes), so a confirmation that answers in time is never refused for
/// an expired nonce because of the wait.
pub const DEFAULT_SERVICE_TIMEOUT_MS: u32 = SERVICE_DEFAULT_MS;

/// The largest `serviceTimeoutMs` accepted (5 minutes).
pub const MAX_SERVICE_TIMEOUT_MS: u32 = SERVICE_MAX_MS;

/// Checks a `serviceTimeoutMs` value: `None` (not a number) and anything but an integer from
/// 1 to [`MAX_SERVICE_TIMEOUT_MS`] is `invalid-argument`.
pub fn service_timeout_ms(value: Option<f64>) -> WebResult<u32> {
    match value {
        Some(ms)
            if ms.fract() == 0.0 && (1.0..=f64::from(MAX_SERVICE_TIMEOUT_MS)).contains(&ms) =>
        {
            Ok(ms as u32)
        }
        _ => Err(WebError::InvalidArgument(format!(
            "`serviceTimeoutMs` must be an integer from 1 to {MAX_SERVICE_TIMEOUT_MS} (milliseconds)"
        ))),
    }
}

/// How the patient is identified: the contract's [`ConfirmationMode`] (`pin`, `visual`).
pub use myna_core::wire::service::ConfirmationMode as Mode;

struct Options {
    bridge: Rc<BridgeInner>,
    service_url: String,
    terminal_token: String,
    mode: Mode,
    pin: Option<zeroize::Zeroizing<String>>,
    allow_last_attempt: bool,
    operator: Option<String>,
    voucher: Option<VoucherView>,
    voucher_js: JsValue,
    check_options: crate::checkup::CheckOptions,
    reader: Option<String>,
    on_progress: Option<Function>,
    service_timeout_ms: u32,
}

impl Options {
    fn from_js(options: &JsValue) -> WebResult<Self> {
        if !options.is_object() {
            return Err(WebError::InvalidArgument(
                "confirmQualification takes an options object".into(),
            ));
        }
        let bridge = BridgeInner::from_js(&js::get(options, "bridge"))?;
        let service_url = js::req_string(options, "serviceUrl")?;
        let service_url = service_url.trim().trim_end_matches('/').to_string();
        if !(service_url.starts_with("https://") || service_url.starts_with("http://")) {
            return Err(WebError::InvalidArgument(
                "`serviceUrl` must be an http(s) URL".into(),
            ));
        }
        let mode = match js::req_string(options, "mode")?.as_str() {
            "pin" => Mode::Pin,
            "visual" => Mode::Visual,
            other => {
                return Err(WebError::InvalidArgument(format!(
                    "`mode` must be \"pin\" or \"visual\", not {other:?}"
                )));
            }
        };
        let pin = js::opt_string(options, "pin")?.map(zeroize::Zeroizing::new);
        if mode == Mode::Pin && pin.is_none() {
            return Err(WebError::InvalidArgument(
                "`pin` is required in PIN mode".into(),
            ));
        }
        let voucher_js = js::get(options, "voucher");
        let timeout = js::get(options, "serviceTimeoutMs");
        let service_timeout_ms = if timeout.is_undefined() || timeout.is_null() {
            DEFAULT_SERVICE_TIMEOUT_MS
        } else {
            service_timeout_ms(timeout.as_f64())?
        };
        Ok(Options {
            bridge,
            service_url,
            terminal_token: js::req_string(options, "terminalToken")?,
            mode,
            pin,
            allow_last_attempt: js::opt_bool(options, "allowLastAttempt")?,
            operator: js::opt_string(options, "operator")?,
            voucher: voucher_from_js(&voucher_js)?,
            voucher_js,
            check_options: crate::checkup::CheckOptions::from_js(options)?,
            reader: js::opt_string(options, "reader")?,
            on_progress: js::opt_function(options, "onProgress")?,
            service_timeout_ms,
        })
    }

    fn progress(&self, step: &str, extra: impl FnOnce(&Object)) {
        if let Some(f) = &self.on_progress {
            let event = Object::new();
            js::set(&event, "step", step);
            extra(&event);
            js::notify(f, &event.into());
        }
    }
}

/// Picks the reader to use: the named one (which must hold a card) or the only one with a
/// card.
pub fn choose_reader(readers: &[Reader], wanted: Option<&str>) -> WebResult<String> {
    if let Some(name) = wanted {
        let reader = readers
            .iter()
            .find(|r| r.name == name)
            .ok_or_else(|| WebError::NoReader(name.to_string()))?;
        return if reader.has_card() {
            Ok(reader.name.clone())
        } else {
            Err(WebError::NoCard(format!(
                "the reader {name:?} holds no card"
            )))
        };
    }
    let with_card: Vec<&Reader> = readers.iter().filter(|r| r.has_card()).collect();
    match with_card.as_slice() {
        [] => Err(WebError::NoCard(if readers.is_empty() {
            "no card reader is connected".into()
        } else {
            "no reader holds a card".into()
        })),
        [one] => Ok(one.name.clone()),
        several => Err(WebError::SeveralCards(
            several.iter().map(|r| r.name.clone()).collect(),
        )),
    }
}

/// A POST to the eligibility service, within the call's time limit.
async fn post(options: &Options, path: &str, body: Option<String>) -> WebResult<HttpResponse> {
    let url = format!("{}{path}", options.service_url);
    let mut headers = vec![
        (
            "Authorization",
            format!("Bearer {}", options.terminal_token),
        ),
        ("Accept", "application/json, application/xml".to_string()),
    ];
    if body.is_some() {
        headers.push(("Content-Type", "application/json".to_string()));
    }
    fetch(HttpRequest {
        url: &url,
        method: "POST",
        headers,
        body,
        mode: RequestMode::Cors,
        timeout_ms: Some(options.service_timeout_ms),
    })
    .await
    .map_err(|failure| match failure {
        FetchFailure::Invalid(why) => WebError::InvalidArgument(format!("{url}: {why}")),
        FetchFailure::Network(detail) => WebError::ServiceUnreachable { url, detail },
        FetchFailure::TimedOut { after_ms } => WebError::ServiceTimeout { url, after_ms },
        FetchFailure::Unsupported(what) => WebError::Environment(what.into()),
    })
}

/// The error an answer stands for: its `XmlMsg` error if it has one, else the status.
fn service_failure(answer: &HttpResponse) -> WebError {
    if let Ok(msg) = decode_bytes(&answer.body).and_then(|t| Ok(oqs::parse_str(&t)?))
        && msg.is_error()
    {
        return service_error(answer.status, &msg);
    }
    let text = String::from_utf8_lossy(&answer.body);
    let text: String = text.trim().chars().take(200).collect();
    WebError::Service {
        status: answer.status,
        error_code: None,
        error_message: (!text.is_empty()).then_some(text),
    }
}

fn service_error(status: u16, msg: &XmlMsg) -> WebError {
    let header = &msg.message_header;
    let body = &msg.message_body;
    WebError::Service {
        status,
        error_code: header
            .error_code
            .clone()
            .or_else(|| body.processing_result_code.clone()),
        error_message: header
            .error_message
            .clone()
            .or_else(|| body.processing_result_message.clone()),
    }
}

fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// `POST /api/v1/challenges` → the nonce.
async fn challenge(options: &Options) -> WebResult<String> {
    let answer = post(options, service::CHALLENGES_PATH, Some("{}".into())).await?;
    if !is_success(answer.status) {
        return Err(service_failure(&answer));
    }
    let text = String::from_utf8_lossy(&answer.body);
    let nonce = js_sys::JSON::parse(&text)
        .ok()
        .and_then(|v| js::get(&v, "nonce").as_string())
        .ok_or_else(|| WebError::ServiceBadResponse {
            status: answer.status,
            detail: "the challenge answer has no nonce".into(),
        })?;
    Ok(nonce)
}

/// What the card gave.
struct Proof {
    certificate: Vec<u8>,
    signature: Option<Vec<u8>>,
    /// PIN mode: the signature's algorithm as the bridge named it (issue 14 item 5).
    algorithm: Option<AuthAlgorithm>,
    /// `QualificationResult.token`: which token answered (issue 14).
    token: Option<Token>,
}

async fn card_step(options: &Options, session: &SessionInner, nonce: &str) -> WebResult<Proof> {
    match options.mode {
        Mode::Visual => {
            options.progress("certificate", |_| {});
            Ok(Proof {
                certificate: session.read_auth_certificate().await?,
                signature: None,
                algorithm: None,
                // The bridge gives a certificate without the PIN only to the card: an Android
                // phone answers `pin-required`, an iPhone `token-not-supported`.
                token: Some(Token::Card),
            })
        }
        Mode::Pin => {
            options.progress("authenticate", |_| {});
            let pin = options
                .pin
                .as_deref()
                .map(String::as_str)
                .unwrap_or_default();
            let auth = session
                .authenticate(nonce, pin, options.allow_last_attempt)
                .await?;
            Ok(Proof {
                certificate: auth.certificate,
                signature: Some(auth.signature),
                algorithm: Some(auth.algorithm),
                token: auth.token,
            })
        }
    }
}

/// Runs the flow; resolves to `{mode, reader, token?, qualification, xml, voucher?,
/// voucherComparison?}`.
pub async fn confirm_qualification(options: &JsValue) -> WebResult<JsValue> {
    let options = Options::from_js(options)?;
    let origin = js::page_origin()
        .ok_or_else(|| WebError::Environment("a page origin (location.origin)".into()))?;

    options.progress("challenge", |_| {});
    let nonce = challenge(&options).await?;

    options.progress("card", |_| {});
    let result = options
        .bridge
        .request(method::LIST_READERS, None, CLIENT_REQUEST_MS)
        .await?;
    let readers = read::readers(&js::get(&result, "readers"))?;
    let reader = choose_reader(&readers, options.reader.as_deref())?;
    let session = SessionInner::open(options.bridge.clone(), reader.clone()).await?;
    let proof = card_step(&options, &session, &nonce).await;
    // Release the card whatever happened; a failure to release changes nothing for the
    // caller.
    let _ = session.disconnect().await;
    let proof = proof?;

    options.progress("confirmation", |_| {});
    // The contract's body, the one the service reads. `token`: which token answered, as the
    // bridge reported it (issue 14): the service records it in the audit; it cannot verify it
    // from the certificate.
    let body = service::ConfirmationRequest {
        mode: options.mode.as_str().into(),
        certificate: js::base64_encode(&proof.certificate),
        signature: proof.signature.as_deref().map(js::base64_encode),
        algorithm: proof.algorithm.map(|a| a.as_str().into()),
        nonce,
        origin,
        operator: options.operator.clone(),
        arbitrary_file_identifier: None,
        token: proof.token,
    };
    let body = serde_json::to_string(&body)
        .map_err(|_| WebError::InvalidArgument("the confirmation is not serialisable".into()))?;
    let answer = post(&options, service::CONFIRMATIONS_PATH, Some(body)).await?;
    if !is_success(answer.status) {
        return Err(service_failure(&answer));
    }
    let xml = decode_bytes(&answer.body).map_err(|e| WebError::ServiceBadResponse {
        status: answer.status,
        detail: e.to_string(),
    })?;
    let msg = oqs::parse_str(&xml).map_err(|e| WebError::ServiceBadResponse {
        status: answer.status,
        detail: e.to_string(),
    })?;
    if msg.is_error() {
        return Err(service_error(answer.status, &msg));
    }

    let out = Object::new();
    js::set(&out, "mode", options.mode.as_str());
    js::set(&out, "reader", reader.as_str());
    if let Some(token) = proof.token {
        js::set(&out, "token", token.as_str());
    }
    js::set(&out, "qualification", message_to_js(&msg));
    js::set(&out, "xml", xml);
    if let Some(voucher) = &options.voucher {
        js::set(&out, "voucher", options.voucher_js.clone());
        let view = QualificationView::from_js(&js::get(&out, "qualification"));
        let (check, date) = crate::checkup::check(voucher, &view, &options.check_options);
        js::set(
            &out,
            "voucherComparison",
            crate::checkup::check_to_js(&check, &date),
        );
    }
    options.progress("done", |event| {
        if let Some(v) = msg.message_body.qualification_validity.as_ref() {
            js::set(event, "qualificationValidity", v.raw());
        }
    });
    Ok(out.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(name: &str, state: &str) -> Reader {
        Reader {
            name: name.into(),
            state: myna_core::wire::ReaderState::parse(state).expect(state),
            atr: None,
        }
    }

    #[test]
    fn the_only_card_is_chosen() {
        let readers = [reader("A", "empty"), reader("B", "present")];
        assert_eq!(choose_reader(&readers, None).unwrap(), "B");
    }

    #[test]
    fn no_card_several_cards_and_unknown_readers_are_errors() {
        assert_eq!(choose_reader(&[], None).unwrap_err().code(), "no-card");
        let empty = [reader("A", "empty"), reader("B", "mute")];
        assert_eq!(choose_reader(&empty, None).unwrap_err().code(), "no-card");
        let two = [reader("A", "present"), reader("B", "inuse")];
        let e = choose_reader(&two, None).unwrap_err();
        assert_eq!(e.code(), "several-cards");
        assert_eq!(e, WebError::SeveralCards(vec!["A".into(), "B".into()]));
        assert_eq!(choose_reader(&two, Some("B")).unwrap(), "B");
        assert_eq!(
            choose_reader(&two, Some("C")).unwrap_err().code(),
            "no-reader"
        );
        assert_eq!(
            choose_reader(&empty, Some("A")).unwrap_err().code(),
            "no-card"
        );
    }

    #[test]
    fn the_service_timeout_is_a_bounded_positive_integer() {
        assert_eq!(service_timeout_ms(Some(1.0)).unwrap(), 1);
        assert_eq!(service_timeout_ms(Some(1000.0)).unwrap(), 1000);
        assert_eq!(
            service_timeout_ms(Some(f64::from(MAX_SERVICE_TIMEOUT_MS))).unwrap(),
            300_000
        );
        for bad in [
            Some(0.0),
            Some(-0.0),
            Some(-1000.0),
            Some(0.5),
            Some(1500.5),
            Some(300_001.0),
            Some(f64::from(u32::MAX) + 1.0),
            Some(f64::NAN),
            Some(f64::INFINITY),
            None,
        ] {
            let e = service_timeout_ms(bad).unwrap_err();
            assert_eq!(e.code(), "invalid-argument", "{bad:?}");
            assert!(e.to_string().contains("serviceTimeoutMs"));
        }
        // The default is itself a value a page could pass.
        let default = f64::from(DEFAULT_SERVICE_TIMEOUT_MS);
        assert_eq!(
            service_timeout_ms(Some(default)).unwrap(),
            DEFAULT_SERVICE_TIMEOUT_MS
        );
    }
}
