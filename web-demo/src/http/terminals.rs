//! `POST /api/v1/terminals/activate` and `DELETE /api/v1/terminals/{id}`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::reply::{self, Charset, XmlReplier};
use super::{Refusal, authenticate, check_origin_header, json_body, log_store_error, short_text};
use crate::AppState;
use crate::errors::ErrorCode;
use crate::store::audit::rfc3339;
use crate::store::{facilities, terminals};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActivateRequest {
    facility_code: String,
    user_id: String,
    activation_code: String,
    device_name: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ActivateResponse {
    terminal_id: String,
    token: String,
    facility_code: String,
    facility_name: String,
    device_name: String,
    modes: Vec<&'static str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RevokeResponse {
    terminal_id: String,
    device_name: String,
    revoked_at: String,
}

pub(super) async fn activate(
    State(state): State<AppState>,
    charset: Charset,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let replier = XmlReplier::new(state.now(), charset);
    match activate_inner(&state, &headers, body).await {
        Ok(answer) => reply::json(StatusCode::CREATED, &answer),
        Err(code) => replier.error(code),
    }
}

async fn activate_inner(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<ActivateResponse, ErrorCode> {
    let request: ActivateRequest = json_body(headers, body)?;
    let device_name = short_text(&request.device_name)?;
    let now = state.now();
    let origin = headers.get(axum::http::header::ORIGIN).cloned();
    let device = device_name.clone();
    let (activation, facility) = state
        .db()
        .write(move |conn| {
            // Credentials first, then the browser's origin: a page on a foreign origin gets
            // no token and uses up no terminal slot.
            let facility = facilities::check_credentials(
                conn,
                &request.facility_code,
                &request.user_id,
                &request.activation_code,
            )?;
            check_origin_header(origin.as_ref(), &facility.origins).map_err(Refusal::Code)?;
            let activation = terminals::activate(
                conn,
                &request.facility_code,
                &request.user_id,
                &request.activation_code,
                &device,
                now,
            )?;
            Ok::<_, Refusal>((activation, facility))
        })
        .await
        .map_err(Refusal::into_code)?;
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
    })
}

pub(super) async fn revoke(
    State(state): State<AppState>,
    charset: Charset,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let mut replier = XmlReplier::new(state.now(), charset);
    let result = async {
        let terminal = authenticate(&state, &headers).await?;
        replier.facility(&terminal.facility.code);
        let now = state.now();
        let facility = terminal.facility.code.clone();
        state
            .db()
            .write(move |conn| terminals::revoke(conn, Some(&facility), &id, now))
            .await
            .map_err(|e| log_store_error(&e))
    }
    .await;
    match result {
        Ok(info) => {
            tracing::info!(terminal = %info.terminal_id, "terminal revoked");
            reply::json(
                StatusCode::OK,
                &RevokeResponse {
                    terminal_id: info.terminal_id,
                    device_name: info.device_name,
                    revoked_at: info.revoked_at.map(rfc3339).unwrap_or_default(),
                },
            )
        }
        Err(code) => replier.error(code),
    }
}
