//! `POST /api/v1/challenges`: a single-use nonce for the terminal.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Serialize;

use super::reply::{self, Charset, XmlReplier};
use super::{authenticate, log_store_error};
use crate::AppState;
use crate::store::audit::rfc3339;
use crate::store::challenges;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ChallengeResponse {
    nonce: String,
    expires_at: String,
}

pub(super) async fn issue(
    State(state): State<AppState>,
    charset: Charset,
    headers: HeaderMap,
) -> Response {
    let mut replier = XmlReplier::new(state.now(), charset);
    let result = async {
        let terminal = authenticate(&state, &headers).await?;
        replier.facility(&terminal.facility.code);
        let now = state.now();
        state
            .db()
            .call(move |conn| challenges::issue(conn, &terminal.terminal_id, now))
            .await
            .map_err(|e| log_store_error(&e))
    }
    .await;
    match result {
        Ok(challenge) => reply::json(
            StatusCode::CREATED,
            &ChallengeResponse {
                nonce: challenge.nonce,
                expires_at: rfc3339(challenge.expires_at.unix_timestamp()),
            },
        ),
        Err(code) => replier.error(code),
    }
}
