//! `POST /api/v1/challenges`: a single-use nonce for the terminal (the token checked and
//! the nonce stored in one write job).

use axum::http::StatusCode;
use axum::response::Response;
use myna_core::wire::service::ChallengeResponse;

use super::error::Failure;
use super::{Authenticated, Call, Credentials, respond};
use crate::store::audit::rfc3339;
use crate::store::challenges;

pub(super) async fn issue(call: Call) -> Response {
    let mut replier = call.replier();
    let now = call.state.now();
    let result = async {
        let credentials = Credentials::of(&call.state, &call.headers)?;
        let Authenticated { terminal, outcome } = call
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
    let answer = result.map(|challenge| ChallengeResponse {
        nonce: challenge.nonce,
        expires_at: rfc3339(challenge.expires_at.unix_timestamp()),
    });
    respond(&replier, StatusCode::CREATED, answer)
}
