//! `POST /api/v1/terminals/activate`, `POST /api/v1/terminals/token` (renewal) and
//! `DELETE /api/v1/terminals/{id}`.
//!
//! - Activation is throttled per facility/user ID and per client
//!   ([`crate::store::activation_limits`]): after too many wrong codes every activation in
//!   that scope is `MW0030` (429, `Retry-After`) until the cooling period ends.
//! - Renewal trades a live token for a new one ([`terminals::renew`]).
//! - Revocation takes the facility administration's token
//!   ([`crate::store::admin_tokens`]); a terminal's token gets `MW0031` (403), so a stolen
//!   reception PC cannot switch off its siblings.

use std::net::SocketAddr;

use axum::Extension;
use axum::extract::{ConnectInfo, Path};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use myna_core::wire::service::ActivateRequest;
use serde::Serialize;

use super::body::ApiJson;
use super::error::{ApiError, Failure};
use super::{Call, Credentials, bearer_token, check_origin_header, respond, short_text};
use crate::AppState;
use crate::errors::ErrorCode;
use crate::store::activation_limits::{self, Scope};
use crate::store::audit::rfc3339;
use crate::store::{StoreError, admin_tokens, facilities, terminals};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ActivateResponse {
    terminal_id: String,
    token: String,
    facility_code: String,
    facility_name: String,
    device_name: String,
    modes: Vec<&'static str>,
    expires_at: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RenewResponse {
    terminal_id: String,
    token: String,
    expires_at: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RevokeResponse {
    terminal_id: String,
    device_name: String,
    revoked_at: String,
}

pub(super) async fn activate(
    client: Option<Extension<ConnectInfo<SocketAddr>>>,
    call: Call,
    body: Result<ApiJson<ActivateRequest>, ApiError>,
) -> Response {
    let replier = call.replier();
    let client = client.map(|Extension(ConnectInfo(addr))| addr.ip().to_string());
    let answer = activate_inner(&call.state, client, &call.headers, body).await;
    respond(&replier, StatusCode::CREATED, answer)
}

async fn activate_inner(
    state: &AppState,
    client: Option<String>,
    headers: &HeaderMap,
    body: Result<ApiJson<ActivateRequest>, ApiError>,
) -> Result<ActivateResponse, Failure> {
    let ApiJson(request) = body?;
    let device_name = short_text(&request.device_name)?;
    let now = state.now();
    let origin = headers.get(axum::http::header::ORIGIN).cloned();
    let device = device_name.clone();
    let mut scopes = vec![Scope::Facility {
        code: request.facility_code.clone(),
        user_id: request.user_id.clone(),
    }];
    // Without a peer address (the router driven in-process) there is no client scope.
    scopes.extend(client.map(Scope::Client));
    let outcome = state
        .db()
        .write(move |conn| {
            // The lock first: while it holds, not even the right code is looked at.
            activation_limits::check(conn, &scopes, now).map_err(|err| match err {
                StoreError::ActivationLocked { until } => {
                    // Debug, not warn: a guesser sends many of these; the lock itself is in
                    // the table.
                    tracing::debug!(%until, "activation refused: locked after wrong codes");
                    Failure::ActivationLocked {
                        retry_after: (until - now).whole_seconds().max(1),
                    }
                }
                other => other.into(),
            })?;
            // Credentials next, then the browser's origin: a page on a foreign origin gets
            // no token and uses up no terminal slot.
            let facility = match facilities::check_credentials(
                conn,
                &request.facility_code,
                &request.user_id,
                &request.activation_code,
            ) {
                Ok(facility) => facility,
                Err(StoreError::ActivationRejected) => {
                    // A refusal that must keep its write: the job answers Ok.
                    activation_limits::record_failure(conn, &scopes, now)?;
                    return Ok(Err(StoreError::ActivationRejected));
                }
                Err(other) => return Err(other.into()),
            };
            check_origin_header(origin.as_ref(), &facility.origins)?;
            let activation = terminals::activate(
                conn,
                &request.facility_code,
                &request.user_id,
                &request.activation_code,
                &device,
                now,
            )?;
            activation_limits::clear(conn, &scopes)?;
            Ok::<_, Failure>(Ok((activation, facility)))
        })
        .await;
    let (activation, facility) = outcome?.map_err(Failure::from)?;
    tracing::info!(terminal = %activation.terminal_id, facility = %facility.code, "terminal activated");
    let mut modes = Vec::new();
    if facility.pin_mode {
        modes.push("pin");
    }
    if facility.visual_mode {
        modes.push("visual");
    }
    Ok(ActivateResponse {
        terminal_id: activation.terminal_id,
        token: activation.token,
        facility_code: facility.code,
        facility_name: facility.name,
        device_name,
        modes,
        expires_at: rfc3339(activation.expires_at.unix_timestamp()),
    })
}

pub(super) async fn renew(call: Call) -> Response {
    let replier = call.replier();
    let result = async {
        let credentials = Credentials::of(&call.state, &call.headers)?;
        let now = call.state.now();
        let (_, renewed) = call
            .db()
            .write(move |conn| {
                // The origin check as for every terminal request, then the trade.
                credentials.authenticate(conn)?;
                Ok::<_, Failure>(terminals::renew(conn, &credentials.token, now)?)
            })
            .await?;
        tracing::info!(terminal = %renewed.terminal_id, "terminal token renewed");
        Ok::<_, Failure>(RenewResponse {
            terminal_id: renewed.terminal_id,
            token: renewed.token,
            expires_at: rfc3339(renewed.expires_at.unix_timestamp()),
        })
    }
    .await;
    respond(&replier, StatusCode::CREATED, result)
}

pub(super) async fn revoke(call: Call, Path(id): Path<String>) -> Response {
    let replier = call.replier();
    let result = async {
        let token = bearer_token(&call.headers)
            .ok_or(ErrorCode::Unauthorized)?
            .to_owned();
        let now = call.state.now();
        let (_, info) = call
            .db()
            .write(move |conn| {
                let Some(facility) = admin_tokens::facility_of(conn, &token)? else {
                    // A terminal's token (of this facility or any other) is not an
                    // administrator's: say so rather than "unknown token".
                    return Err(match terminals::authenticate(conn, &token, now) {
                        Ok(_) | Err(StoreError::TokenExpired | StoreError::TerminalRevoked) => {
                            StoreError::AdminRequired
                        }
                        Err(other) => other,
                    });
                };
                terminals::revoke(conn, Some(&facility), &id, now).map(|info| (facility, info))
            })
            .await
            .map_err(Failure::from)?;
        tracing::info!(terminal = %info.terminal_id, "terminal revoked");
        Ok::<_, Failure>(RevokeResponse {
            terminal_id: info.terminal_id,
            device_name: info.device_name,
            revoked_at: info.revoked_at.map(rfc3339).unwrap_or_default(),
        })
    }
    .await;
    respond(&replier, StatusCode::OK, result)
}
