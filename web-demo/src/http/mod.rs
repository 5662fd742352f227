//! The HTTP API: routes, CORS, bearer authentication and JSON bodies.
//!
//! | method & path | auth | answer |
//! |---|---|---|
//! | `POST /api/v1/terminals/activate` | facility credentials in the body | 201 JSON `{terminalId, token, …}` |
//! | `POST /api/v1/terminals/token` | Bearer (the terminal's live token) | 201 JSON `{terminalId, token, expiresAt}` |
//! | `DELETE /api/v1/terminals/{id}` | Bearer (the facility administration's token) | 200 JSON |
//! | `POST /api/v1/challenges` | Bearer | 201 JSON `{nonce, expiresAt}` |
//! | `POST /api/v1/confirmations` | Bearer | `application/xml` `XmlMsg` (card: [`confirmations`]; `mode: "official-app"`: [`official_app`]) |
//! | `POST /api/v1/searches` | Bearer | `application/xml` `XmlMsg` |
//! | `GET /api/v1/audit` | Bearer | JSON |
//! | `POST /api/v1/fallbacks` | Bearer | 201 JSON `{id, occurredAt}` |
//! | `GET /`, `/app.js`, `/app.css`, `/config.js`, `/terminal-token.js`, `/representation.js`, `/official-app.js`, `/modules/{file}` | none | the reception page ([`web`]) |
//! | `GET`/`PUT /api/v1/contracted-insurers` | Bearer | JSON (the 委託元保険者一覧; [`checkup`]) |
//! | `GET`/`PUT /api/v1/rosters/{day}` | Bearer | JSON; `PUT` takes the roster CSV |
//! | `POST /api/v1/rosters/{day}/checks` | Bearer | 201 JSON |
//! | `GET /api/v1/rosters/{day}/export` | Bearer | `text/csv` (UTF-8 with BOM or CP932) |
//! | `GET /pkg/{file}` | none | the `myna-web` npm package, from `--pkg-dir` |
//! | `GET /api/v1/openapi.yaml` | none | the OpenAPI description |
//! | `GET /health` | none | JSON |
//!
//! Every failure is an `XmlMsg` error (the codes: [`crate::errors`]): handlers answer
//! `Result<_, ApiError>` ([`error`]), and read JSON bodies with [`body::ApiJson`], axum's
//! `Json` with its rejections mapped to codes.
//!
//! ## Database work per request
//! A request's writes go to the writer ([`crate::db::Db::write`]) in as few jobs as its
//! order of checks allows, each committed (with other requests' jobs) before the handler
//! goes on; a request that only reads uses [`crate::db::Db::read`]. Where a write job
//! needs the terminal, it authenticates the token itself ([`Credentials`]) rather than in
//! a round trip of its own: a PIN confirmation is two jobs (token + nonce burn; revocation
//! + records + audit row), a challenge one.

mod audit;
pub mod body;
mod challenges;
mod checkup;
mod confirmations;
pub mod error;
mod fallbacks;
mod official_app;
pub mod reply;
mod searches;
mod terminals;
pub mod web;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, ORIGIN};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use rusqlite::Connection;
use serde::Serialize;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::AppState;
use crate::errors::ErrorCode;
use crate::qualification::overall_validity;
use crate::store::StoreError;
use crate::store::audit::{self as audit_store, AuditEntry};
use crate::store::records::InsuredRecord;
use crate::store::terminals::{self as terminal_store, AuthenticatedTerminal};
use error::{ApiError, Failure};
use myna_core::oqs::{CodeTable as _, XmlMsg};
use reply::{Charset, XmlReplier};

/// The largest request body accepted (a certificate and a signature fit many times over).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The OpenAPI description served at `/api/v1/openapi.yaml`.
pub const OPENAPI_YAML: &str = include_str!("../../openapi.yaml");

/// The service's router. Everything it needs is in `state`; tests drive it with
/// `tower::ServiceExt::oneshot`, `main` serves it on a socket.
pub fn app(state: AppState) -> Router {
    let origins: Vec<HeaderValue> = state
        .cors_origins()
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([AUTHORIZATION, CONTENT_TYPE])
        .max_age(std::time::Duration::from_secs(600));
    Router::new()
        .route("/api/v1/terminals/activate", post(terminals::activate))
        .route("/api/v1/terminals/token", post(terminals::renew))
        .route("/api/v1/terminals/{id}", delete(terminals::revoke))
        .route("/api/v1/challenges", post(challenges::issue))
        .route("/api/v1/confirmations", post(official_app::dispatch))
        .route("/api/v1/searches", post(searches::search))
        .route("/api/v1/audit", get(audit::list))
        .route("/api/v1/fallbacks", post(fallbacks::record))
        .route(
            "/api/v1/contracted-insurers",
            get(checkup::get_insurers).put(checkup::put_insurers),
        )
        .route(
            "/api/v1/rosters/{day}",
            get(checkup::get_roster).put(checkup::put_roster).layer(
                axum::extract::DefaultBodyLimit::max(myna_core::checkup::roster::MAX_ROSTER_BYTES),
            ),
        )
        .route("/api/v1/rosters/{day}/checks", post(checkup::post_check))
        .route("/api/v1/rosters/{day}/export", get(checkup::export))
        .route("/", get(web::index))
        .route("/app.js", get(web::app_js))
        .route("/representation.js", get(web::representation_js))
        .route("/app.css", get(web::app_css))
        .route("/config.js", get(web::config_js))
        .route("/official-app.js", get(web::official_app_js))
        .route("/modules/{file}", get(web::module))
        .route("/terminal-token.js", get(web::terminal_token_js))
        .route("/pkg/{file}", get(web::pkg_file))
        .route("/api/v1/openapi.yaml", get(openapi))
        .route("/health", get(health))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(cors)
        .with_state(state)
}

async fn openapi() -> Response {
    (
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("application/yaml; charset=utf-8"),
        )],
        OPENAPI_YAML,
    )
        .into_response()
}

async fn health() -> Response {
    reply::json(
        StatusCode::OK,
        &serde_json::json!({"name": "myna-demo", "version": env!("CARGO_PKG_VERSION")}),
    )
}

async fn not_found(state: axum::extract::State<AppState>) -> ApiError {
    XmlReplier::new(state.now(), Charset::UTF8).refuse(ErrorCode::NotFound)
}

async fn method_not_allowed(state: axum::extract::State<AppState>) -> ApiError {
    XmlReplier::new(state.now(), Charset::UTF8).refuse(ErrorCode::MethodNotAllowed)
}

/// The bearer token of a request, if it has a well-formed one.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && token.len() <= 256)
        .then_some(token)
}

/// Authenticates the request's terminal (on a read connection) and, for a browser
/// request, checks that its `Origin` header is one of the facility's origins.
async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<AuthenticatedTerminal, Failure> {
    let credentials = Credentials::of(state, headers)?;
    state
        .db()
        .read(move |conn| credentials.authenticate(conn))
        .await
}

/// What every API handler starts from: the state, the answer's character set (an
/// unsupported `charset` parameter is refused here, see [`Charset`]) and the request's
/// headers.
struct Call {
    state: AppState,
    charset: Charset,
    headers: HeaderMap,
}

impl FromRequestParts<AppState> for Call {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(Self {
            charset: Charset::from_request_parts(parts, state).await?,
            state: state.clone(),
            headers: parts.headers.clone(),
        })
    }
}

impl Call {
    /// A replier for an answer written now, in the request's character set.
    fn replier(&self) -> XmlReplier {
        XmlReplier::new(self.state.now(), self.charset)
    }

    /// The service's database.
    fn db(&self) -> &crate::db::Db {
        self.state.db()
    }

    /// The request's terminal (see [`authenticate`]).
    async fn authenticate(&self) -> Result<AuthenticatedTerminal, Failure> {
        authenticate(&self.state, &self.headers).await
    }

    /// What `work` makes, as a JSON answer with `status`; its failure as a refusal written
    /// when it ends (with no facility in its header).
    async fn json<T: Serialize>(
        &self,
        status: StatusCode,
        work: impl Future<Output = Result<T, Failure>>,
    ) -> Response {
        let result = work.await;
        respond(&self.replier(), status, result)
    }
}

/// `result` as a JSON answer with `status`, or as `replier`'s refusal.
fn respond<T: Serialize>(
    replier: &XmlReplier,
    status: StatusCode,
    result: Result<T, Failure>,
) -> Response {
    match result {
        Ok(body) => reply::json(status, &body),
        Err(failure) => replier.refuse(failure).into_response(),
    }
}

/// What authenticates a request (its bearer token and `Origin` header), taken out of the
/// headers so a database job can check it as its first step.
struct Credentials {
    token: String,
    origin: Option<HeaderValue>,
    /// The instant the request is judged at (token lifetimes), from the state's clock.
    now: time::OffsetDateTime,
}

impl Credentials {
    /// The request's credentials; a request without a well-formed bearer token is refused
    /// here, before any database work.
    fn of(state: &AppState, headers: &HeaderMap) -> Result<Self, ErrorCode> {
        Ok(Self {
            token: bearer_token(headers)
                .ok_or(ErrorCode::Unauthorized)?
                .to_owned(),
            origin: headers.get(ORIGIN).cloned(),
            now: state.now(),
        })
    }

    /// The terminal holding the token, when the `Origin` header (if any) is one of its
    /// facility's.
    fn authenticate(&self, conn: &Connection) -> Result<AuthenticatedTerminal, Failure> {
        let terminal = terminal_store::authenticate(conn, &self.token, self.now)?;
        check_origin_header(self.origin.as_ref(), &terminal.facility.origins)?;
        Ok(terminal)
    }
}

/// What a write job that authenticated its terminal decided: the terminal (for the
/// answer's header and the audit row) and the job's outcome.
struct Authenticated<T> {
    terminal: AuthenticatedTerminal,
    outcome: Result<T, Failure>,
}

/// A browser's `Origin` header, when present, must be a registered origin of the facility.
fn check_origin_header(origin: Option<&HeaderValue>, origins: &[String]) -> Result<(), ErrorCode> {
    match origin {
        None => Ok(()),
        Some(origin) if origins.iter().any(|o| o.as_bytes() == origin.as_bytes()) => Ok(()),
        Some(_) => Err(ErrorCode::OriginMismatch),
    }
}

/// Commits the audit row for a confirmation or search, then answers. If the row cannot be
/// committed the result is withheld: an answer without its audit row never leaves.
async fn audit_then_answer(
    state: &AppState,
    replier: &XmlReplier,
    mut entry: AuditEntry,
    outcome: Result<XmlMsg, Failure>,
) -> Result<Response, ApiError> {
    set_outcome(
        &mut entry,
        match &outcome {
            Ok(msg) => Ok(msg
                .message_body
                .qualification_validity
                .as_ref()
                .map(|v| v.raw())),
            Err(failure) => Err(failure.code()),
        },
    );
    state
        .db()
        .write(move |conn| audit_store::insert(conn, &entry))
        .await
        .map_err(|err: StoreError| replier.refuse(err))?;
    match outcome {
        Ok(msg) => Ok(replier.xml(StatusCode::OK, &msg)),
        Err(failure) => Err(replier.refuse(failure)),
    }
}

/// The answer of a confirmation or search whose run audited its own lookup: the `XmlMsg`
/// (`Ok(Ok)`) or refusal (`Ok(Err)`) it made, or a failure before the lookup, audited here.
async fn answer_run(
    state: &AppState,
    replier: &XmlReplier,
    entry: AuditEntry,
    ran: Result<Result<XmlMsg, ErrorCode>, Failure>,
) -> Result<Response, ApiError> {
    match ran {
        // Audited with the lookup.
        Ok(Ok(msg)) => Ok(replier.xml(StatusCode::OK, &msg)),
        Ok(Err(code)) => Err(replier.refuse(code)),
        Err(failure) => audit_then_answer(state, replier, entry, Err(failure)).await,
    }
}

/// Fills in an audit row's outcome: a normal answer (200) with its `QualificationValidity`,
/// or an error answer.
fn set_outcome(entry: &mut AuditEntry, outcome: Result<Option<&str>, ErrorCode>) {
    match outcome {
        Ok(validity) => {
            entry.http_status = StatusCode::OK.as_u16();
            entry.qualification_validity = validity.map(str::to_owned);
            entry.error_code = None;
        }
        Err(code) => {
            entry.http_status = code.http_status();
            entry.qualification_validity = None;
            entry.error_code = Some(code.code().to_owned());
        }
    }
}

/// Looks up `lookup`'s records and commits the audit row of the answer they make, in one
/// write job: an answer with its row, or (when the job fails) an error to audit on its own.
/// `lookup` may refuse (e.g. a revoked certificate); the refusal is audited the same way.
async fn lookup_and_audit<F>(
    state: &AppState,
    mut entry: AuditEntry,
    lookup: F,
) -> Result<Result<Vec<InsuredRecord>, ErrorCode>, Failure>
where
    F: FnOnce(&Connection) -> Result<Result<Vec<InsuredRecord>, ErrorCode>, StoreError>
        + Send
        + 'static,
{
    state
        .db()
        .write(move |conn| {
            let found = lookup(conn)?;
            set_outcome(
                &mut entry,
                match &found {
                    Ok(records) => Ok(Some(overall_validity(records).code())),
                    Err(code) => Err(*code),
                },
            );
            audit_store::insert(conn, &entry)?;
            Ok::<_, StoreError>(found)
        })
        .await
        .map_err(Failure::from)
}

/// A free-text field (device name, operator): trimmed, 1–64 characters, no control
/// characters.
fn short_text(value: &str) -> Result<String, ErrorCode> {
    let value = value.trim();
    let count = value.chars().count();
    if count == 0 || count > 64 || value.chars().any(char::is_control) {
        return Err(ErrorCode::BadRequest);
    }
    Ok(value.to_owned())
}

/// An optional free-text field: absent, or a [`short_text`].
fn optional_short_text(value: &Option<String>) -> Result<Option<String>, ErrorCode> {
    value.as_deref().map(short_text).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_parsed_strictly() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer_token(&h), None);
        h.insert(AUTHORIZATION, HeaderValue::from_static("Bearer abc"));
        assert_eq!(bearer_token(&h), Some("abc"));
        h.insert(AUTHORIZATION, HeaderValue::from_static("bearer  abc "));
        assert_eq!(bearer_token(&h), Some("abc"));
        h.insert(AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer_token(&h), None);
        h.insert(AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert_eq!(bearer_token(&h), None);
    }

    #[test]
    fn short_texts_are_bounded() {
        assert_eq!(short_text(" 受付1 "), Ok("受付1".to_owned()));
        assert!(short_text("").is_err());
        assert!(short_text("a\nb").is_err());
        assert!(short_text(&"あ".repeat(65)).is_err());
        assert!(short_text(&"あ".repeat(64)).is_ok());
    }
}
