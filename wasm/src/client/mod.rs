//! The bridge client below the JS façade ([`crate::bridge`]): one WebSocket to `myna-bridge`,
//! requests matched to answers, reader events, and reconnection, over the wire contract
//! ([`myna_core::wire`]).
//!
//! - [`endpoint`]: the URL a page gives, normalised, and the loopback rule (step 1 below);
//! - [`permission`]: Local Network Access and the `/health` probe (steps 2–3);
//! - [`link`]: the WebSocket, request ids and time limits, events, reconnection (step 4 on);
//! - [`read`]: the bridge's frames decoded into the contract's types.
//!
//! Imports go one way: the façade and the card session use this module; nothing here uses
//! them.
//!
//! ## Connecting (`connectBridge`)
//! 1. The URL is normalised (`ws://127.0.0.1:27450` → `…/v1`; `http`/`https` accepted). Its
//!    host must be loopback — `127.0.0.0/8`, `[::1]` or `localhost`
//!    ([`myna_core::loopback`]) — unless the caller passed `allowNonLoopbackBridge: true`:
//!    otherwise `bridge-not-loopback`, before anything touches the network. The page sends
//!    the patient's PIN to this URL; a URL taken from a link (`?bridge=`) or any input an
//!    attacker can shape would send it to the attacker's server (issue 11).
//! 2. Local Network Access: `navigator.permissions.query({name: "loopback-network"})` (falling
//!    back to the older `local-network-access`; browsers that do not know the name — they
//!    throw or reject — count as "no such permission"). `denied` → `permission-denied` at once.
//!    A page served from loopback itself is not subject to it (the permission is ignored).
//! 3. `GET /health` in `cors` mode. It tells whether the bridge runs and lets the browser ask
//!    for the permission. A refused origin gets a 403 **without** CORS headers, which `fetch`
//!    reports exactly like a refused connection, so on failure a second `no-cors` request
//!    tells them apart: an opaque answer means something is listening → `origin-refused`
//!    (a WebSocket refused with 403 is indistinguishable from a dead port in the browser,
//!    hence this detour). Another failure → `permission-denied` if the permission is denied;
//!    `permission-pending` if it is still "prompt" and the attempt took over 1.5 s (the
//!    browser asks only once a connection to loopback is made, so a refused connection fails
//!    at once, while a prompt closed unanswered took the user's time); else
//!    `bridge-not-running`. On a page with COEP `require-corp` the `no-cors` probe is blocked
//!    too, so a refused origin shows as `bridge-not-running` there.
//! 4. The WebSocket (`binaryType = "arraybuffer"`), then `hello`: `protocol` must be 1, else
//!    `protocol-mismatch`.
//!
//! ## Requests
//! Frames `{"id", "method", "params"}` with increasing numeric ids; answers are matched by id
//! (an answer with `id: null` — an unreadable frame — goes to the oldest request, since the
//! bridge answers in order). Each request has a client-side time limit above the bridge's own
//! (30 s; 60 s for `authenticate`;
//! [`myna_core::wire::timeouts`]). When the socket closes every request in flight fails with
//! `connection-lost`.
//!
//! ## Connection lost
//! After a connection that was up closes, the client reconnects with backoff (0.5, 1, 2, 4, 8,
//! then every 10 s), emitting `reconnecting` state events with the attempt, the delay and the
//! last error, then `connected`. Card sessions belong to one connection (their handles die
//! with it): an older session answers `connection-lost`; connect to the card again.

pub mod endpoint;
pub(crate) mod link;
pub(crate) mod permission;
pub mod read;
