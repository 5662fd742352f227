//! `POST /api/v1/confirmations`: a card-based check, by PIN (the card signed the
//! challenge) or by staff visual check (目視).
//!
//! Order of checks (the first failure answers): terminal token → body → the facility's
//! modes → signature (with a known `algorithm`, absent = RS256) / operator present → nonce
//! (consumed here, whatever follows) → origin → certificate (chain, validity, profile) →
//! signature (PIN mode: by its algorithm, which must match the certificate's key) → revocation
//! (the current, verified CRL of the CA the chain verified to: [`crate::revocation`]) →
//! the linked insured records. The audit row is committed before the answer leaves.
//!
//! The work, in three steps:
//! 1. one write job: the token (and `Origin` header), the facility's modes, the nonce
//!    burnt — committed before anything is verified with it (the body is read before, on
//!    the runtime; what it says counts only once the terminal authenticated) — and the
//!    CRL generation;
//! 2. on the blocking pool: the certificate (its chain from the cache of [`verify`] when
//!    it verified before) and the card's signature; then revocation, in memory (the CRLs
//!    are reloaded first when step 1 saw a newer generation);
//! 3. one write job: the linked records and the audit row of the answer they make (or of
//!    the revocation refusal).
//!
//! A refusal before step 3 commits its audit row in a job of its own.

use axum::http::HeaderMap;
use axum::response::Response;
use myna_core::oqs::{ReferenceClassification, XmlMsg};
use myna_core::profile::AuthAlgorithm;
use myna_core::wire::Token;
use myna_core::wire::service::{ConfirmationMode, ConfirmationRequest};
use rusqlite::Connection;
use time::OffsetDateTime;

use super::body::ApiJson;
use super::error::{ApiError, Failure};
use super::reply::XmlReplier;
use super::{Authenticated, Call, Credentials, answer_run, lookup_and_audit, optional_short_text};
use crate::AppState;
use crate::errors::ErrorCode;
use crate::qualification::{answer, expiry_notice};
use crate::store::audit::{AuditEntry, AuditKind, AuditMode};
use crate::store::terminals::AuthenticatedTerminal;
use crate::store::{challenges, crls, records};
use crate::verify::{self, decode_base64};

/// Largest certificate accepted (a JPKI auth certificate is about 1.5 KB).
const MAX_CERTIFICATE_BYTES: usize = 8 * 1024;
/// Largest signature accepted (RSA-4096).
const MAX_SIGNATURE_BYTES: usize = 512;

/// What the body said, as far as it could be read. It goes into the audit row and the
/// answer only once the terminal authenticated.
#[derive(Debug, Default)]
struct Said {
    mode: Option<AuditMode>,
    operator: Option<String>,
    arbitrary_file_identifier: Option<String>,
    /// The token the bridge reported (issue 14), recorded as said: nothing in the
    /// certificate tells a card from a phone.
    token: Option<Token>,
}

/// What the card presented, well-formed.
struct Evidence {
    certificate: Vec<u8>,
    /// PIN mode: the signature and the algorithm it claims.
    signature: Option<(Vec<u8>, AuthAlgorithm)>,
    nonce: String,
    origin: String,
}

/// The body's checks that come after the facility's modes.
type Presented = Result<Evidence, ErrorCode>;

pub(super) async fn confirm(
    call: Call,
    body: Result<ApiJson<ConfirmationRequest>, ApiError>,
) -> Result<Response, ApiError> {
    let now = call.state.now();
    let mut replier = XmlReplier::new(now, call.charset).reference(ReferenceClassification::Card);
    let mut entry = AuditEntry::new(now, AuditKind::Confirmation);
    let ran = run(&call.state, &call.headers, body, &mut replier, &mut entry).await;
    answer_run(&call.state, &replier, entry, ran).await
}

/// `Ok`: the answer, its audit row committed; `Err`: a refusal not yet audited.
async fn run(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<ApiJson<ConfirmationRequest>, ApiError>,
    replier: &mut XmlReplier,
    entry: &mut AuditEntry,
) -> Result<Result<XmlMsg, ErrorCode>, Failure> {
    let credentials = Credentials::of(state, headers)?;
    let mut said = Said::default();
    let read = read_body(body, &mut said);

    // Step 1: authenticate, check the modes, burn the nonce; committed when this returns.
    let now = state.now();
    let Authenticated { terminal, outcome } = state
        .db()
        .write(move |conn| {
            let terminal = credentials.authenticate(conn)?;
            let outcome = burn_nonce(conn, &terminal, read, now);
            let crl_generation = crls::generation(conn)?;
            let outcome = outcome.map(|evidence| (evidence, crl_generation));
            Ok::<_, Failure>(Authenticated { terminal, outcome })
        })
        .await?;
    replier.facility(&terminal.facility.code);
    entry.set_terminal(&terminal);
    entry.mode = said.mode;
    entry.token = said.token;
    entry.operator = said.operator;
    replier.arbitrary_file_identifier(said.arbitrary_file_identifier);
    let (evidence, crl_generation) = outcome?;

    if !terminal.facility.origins.contains(&evidence.origin) {
        return Err(ErrorCode::OriginMismatch.into());
    }

    // Step 2: the certificate and the signature, off the runtime.
    let anchors = state.trust_anchors().clone();
    let checked = tokio::task::spawn_blocking(move || {
        let checked = verify::check_certificate(&anchors, &evidence.certificate, now)?;
        if let Some((signature, algorithm)) = &evidence.signature {
            verify::check_signature(
                &checked,
                *algorithm,
                &evidence.origin,
                &evidence.nonce,
                signature,
            )?;
        }
        Ok::<_, ErrorCode>(checked)
    })
    .await
    .map_err(|err| Failure::Internal(format!("verification task failed: {err}")))??;

    let serial = checked.serial().to_owned();
    let revocation = state
        .revocations()
        .check(
            state.db(),
            crl_generation,
            checked.issuer_key(),
            &serial,
            now,
        )
        .await;

    // Step 3: records and the audit row (or the revocation refusal's), in one commit.
    let found = lookup_and_audit(state, entry.clone(), move |conn| {
        if let Err(code) = revocation {
            return Ok(Err(code));
        }
        Ok(Ok(records::find_by_serial(conn, &serial)?))
    })
    .await?;
    Ok(found.map(|found| {
        let msg = answer(&replier.context(), &found);
        match expiry_notice(checked.not_after(), now) {
            Some(notice) => msg.with_processing_result_message(notice),
            None => msg,
        }
    }))
}

/// Reads the body up to the facility's modes check, noting in `said` what it could read;
/// the rest of the body's checks are [`Presented`].
fn read_body(
    body: Result<ApiJson<ConfirmationRequest>, ApiError>,
    said: &mut Said,
) -> Result<(AuditMode, Presented), Failure> {
    let ApiJson(request) = body?;
    let mode = match ConfirmationMode::parse(&request.mode) {
        Some(ConfirmationMode::Pin) => AuditMode::Pin,
        Some(ConfirmationMode::Visual) => AuditMode::Visual,
        None => return Err(ErrorCode::BadRequest.into()),
    };
    said.mode = Some(mode);
    said.token = request.token;
    said.operator = optional_short_text(&request.operator)?;
    said.arbitrary_file_identifier = optional_short_text(&request.arbitrary_file_identifier)?;
    let presented = evidence(request, mode, said.operator.is_some());
    Ok((mode, presented))
}

fn evidence(
    request: ConfirmationRequest,
    mode: AuditMode,
    has_operator: bool,
) -> Result<Evidence, ErrorCode> {
    let signature = if mode == AuditMode::Pin {
        let signature = request
            .signature
            .as_deref()
            .ok_or(ErrorCode::SignatureMissing)?;
        let signature =
            decode_base64(signature, MAX_SIGNATURE_BYTES).ok_or(ErrorCode::BadRequest)?;
        // Absent: RS256, what every client sent before issue 14.
        let algorithm = match request.algorithm.as_deref() {
            None => AuthAlgorithm::Rs256,
            Some(name) => AuthAlgorithm::parse(name).ok_or(ErrorCode::UnsupportedAlgorithm)?,
        };
        Some((signature, algorithm))
    } else {
        if !has_operator {
            return Err(ErrorCode::OperatorMissing);
        }
        None
    };
    let certificate =
        decode_base64(&request.certificate, MAX_CERTIFICATE_BYTES).ok_or(ErrorCode::BadRequest)?;
    verify::check_nonce_syntax(&request.nonce)?;
    verify::check_origin_syntax(&request.origin)?;
    Ok(Evidence {
        certificate,
        signature,
        nonce: request.nonce,
        origin: request.origin,
    })
}

/// Inside the first write job, once the terminal authenticated: the facility's modes, the
/// rest of the body, then the nonce, burnt whatever follows. Every refusal here is an
/// answer, not a failure of the job: an expired nonce's burn must be committed.
fn burn_nonce(
    conn: &mut Connection,
    terminal: &AuthenticatedTerminal,
    read: Result<(AuditMode, Presented), Failure>,
    now: OffsetDateTime,
) -> Result<Evidence, Failure> {
    let (mode, presented) = read?;
    let enabled = match mode {
        AuditMode::Pin => terminal.facility.pin_mode,
        _ => terminal.facility.visual_mode,
    };
    if !enabled {
        return Err(ErrorCode::ModeNotAllowed.into());
    }
    let evidence = presented?;
    // `consume` makes its lookup and burn one savepoint: a database failure leaves
    // nothing half-done behind.
    challenges::consume(conn, &terminal.terminal_id, &evidence.nonce, now)?;
    Ok(evidence)
}
