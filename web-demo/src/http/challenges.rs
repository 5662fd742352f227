//! `POST /api/v1/challenges`: a single-use nonce for the terminal (the token checked and
//! the nonce stored in one write job).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use myna_core::wire::service::ChallengeResponse;

use super::error::{ApiError, Failure};
use super::reply::{self, Charset, XmlReplier};
use super::{Authenticated, Credentials};
use crate::AppState;
use crate::store::audit::rfc3339;
use crate::store::challenges;

pub(super) async fn issue(
    State(state): State<AppState>,
    charset: Charset,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let mut replier = XmlReplier::new(state.now(), charset);
    let now = state.now();
    let result = async {
        let credentials = Credentials::of(&state, &headers)?;
        let Authenticated { terminal, outcome } = state
            .db()
            .write(move |conn| {
                let terminal = credentials.authenticate(conn)?;
                // `issue` is one savepoint: a failure leaves nothing behind.
                let outcome =
                    challenges::issue(conn, &terminal.terminal_id, now).map_err(Failure::from);
                Ok::<_, Failure>(Authenticated { terminal, outcome })
            })
            .await?;
        replier.facility(&terminal.facility.code);
        outcome
    }
    .await;
    let challenge = result.map_err(|failure: Failure| replier.refuse(failure))?;
    Ok(reply::json(
        StatusCode::CREATED,
        &ChallengeResponse {
            nonce: challenge.nonce,
            expires_at: rfc3339(challenge.expires_at.unix_timestamp()),
        },
    ))
}
