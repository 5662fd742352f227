//! The loopback HTTP + WebSocket server.
//!
//! - `GET /v1` upgrades to the WebSocket of wire protocol v1, after [`Gate::check_handshake`]:
//!   a refused handshake gets **403** and no WebSocket at all.
//! - `GET /health` answers `{"name","version","protocol","readers"}`. A request with an
//!   `Origin` must carry an allowed one (then it gets CORS headers; this is also how a page
//!   triggers the browser's Local Network Access prompt); without `Origin` (curl, monitoring)
//!   it is answered without CORS. `OPTIONS /health` answers preflights for allowed origins.
//! - Limits: frames and messages ≤ [`MAX_MESSAGE`]; the request head must arrive within
//!   [`HEADER_TIMEOUT`]; a connection silent for [`IDLE_TIMEOUT`] (we ping every
//!   [`PING_INTERVAL`], and browsers answer pings by themselves) is closed; a client that does
//!   not take a frame within [`WRITE_TIMEOUT`] is dropped.
//! - Caps (issue 11, docs/security.md T12): at most [`MAX_CONNECTIONS`] open WebSockets —
//!   one more gets **503** (`Retry-After: 5`) before the upgrade, so a page sees a failed
//!   handshake, not a socket that dies later; at most [`MAX_HANDLES_PER_CONNECTION`] handles
//!   per WebSocket (`connect` beyond → `too-many-handles`); at most [`MAX_HTTP_CONNECTIONS`]
//!   HTTP connections still before their upgrade (a request head takes at most
//!   [`HEADER_TIMEOUT`]); one more is answered a bare 503 and closed. A WebSocket's slot is
//!   held from the upgrade until its task ends, not only while hyper owns the connection
//!   (hyper lets go of a connection at the upgrade: that is how 150 sockets once stayed open
//!   under a cap of 64).
//! - When `accept` fails (EMFILE: out of file descriptors, ENFILE, ENOBUFS…) the next try
//!   would fail the same way at once; the accept loop waits [`ACCEPT_BACKOFF_MIN`], doubling
//!   up to [`ACCEPT_BACKOFF_MAX`], instead of spinning on a core and flooding the log.
//!
//! Requests on one connection are answered in order; the `readers` event is pushed between
//! answers whenever a reader or card comes or goes. When a connection ends, its handles are
//! released, so a vanished page never keeps the card.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc};

use crate::cards::Cards;
use crate::gate::Gate;
use crate::policy;
use crate::protocol::{self, Call, ErrorCode, PROTOCOL_VERSION, Request, WireError};

/// Largest accepted WebSocket message or frame.
pub const MAX_MESSAGE: usize = 64 * 1024;
/// How long a client may take to send its request head.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the bridge pings an open WebSocket.
pub const PING_INTERVAL: Duration = Duration::from_secs(20);
/// A WebSocket with no incoming frame (not even a pong) for this long is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long one outgoing frame may wait for a slow client.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Most WebSockets open at once.
pub const MAX_CONNECTIONS: usize = 64;
/// Most handles one WebSocket may hold at once.
pub const MAX_HANDLES_PER_CONNECTION: usize = 8;
/// Most HTTP connections served at once before an upgrade (`/health`, handshakes in flight).
pub const MAX_HTTP_CONNECTIONS: usize = 64;
/// The first wait after a failed `accept`.
pub const ACCEPT_BACKOFF_MIN: Duration = Duration::from_millis(10);
/// The longest wait between failed `accept`s.
pub const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// The name reported by `hello` and `/health`.
pub const NAME: &str = "myna-bridge";

/// The `--simulate` side: a virtual reader whose card can be swapped.
pub trait Simulator: Send + Sync {
    /// The persona names a page may insert.
    fn personas(&self) -> Vec<String>;
    /// Puts `persona`'s card in the virtual reader (replacing any card there).
    fn insert(&self, persona: &str) -> Result<(), WireError>;
    /// Takes the card out.
    fn remove(&self);
    /// Takes the card out and presents the same card again (`no-card` if the reader is
    /// empty): what staff do before a patient's last PIN try.
    fn reinsert(&self) -> Result<(), WireError>;
}

/// Timeouts of connections (the defaults are the constants above; tests shorten them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// How long a client may take to send its request head.
    pub header: Duration,
    /// How often the bridge pings.
    pub ping: Duration,
    /// Silence after which a connection is closed.
    pub idle: Duration,
    /// How long one outgoing frame may wait.
    pub write: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            header: HEADER_TIMEOUT,
            ping: PING_INTERVAL,
            idle: IDLE_TIMEOUT,
            write: WRITE_TIMEOUT,
        }
    }
}

/// The slots of open WebSockets: [`MAX_CONNECTIONS`] unless a test asks for fewer.
#[derive(Debug, Clone)]
pub struct SocketSlots(Arc<Semaphore>);

impl SocketSlots {
    /// `n` slots.
    pub fn new(n: usize) -> Self {
        SocketSlots(Arc::new(Semaphore::new(n)))
    }

    /// Slots free now.
    pub fn available(&self) -> usize {
        self.0.available_permits()
    }
}

impl Default for SocketSlots {
    fn default() -> Self {
        SocketSlots::new(MAX_CONNECTIONS)
    }
}

/// Everything a connection needs.
pub struct AppState {
    /// WebSocket timeouts.
    pub timeouts: Timeouts,
    /// The origin/Host checks.
    pub gate: Gate,
    /// Card sessions.
    pub cards: Arc<Cards>,
    /// Present with `--simulate`.
    pub simulator: Option<Arc<dyn Simulator>>,
    /// Open WebSockets' slots.
    pub sockets: SocketSlots,
}

/// The router (testable without a socket).
pub fn app(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/health", get(health).options(health_preflight))
        .route("/v1", get(websocket))
        .with_state(state)
}

/// Lets pages with cross-origin isolation (COEP `require-corp`) see our answers at all, so a
/// refused origin is told apart from a bridge that is not running. Carries no data.
const CORP: (header::HeaderName, HeaderValue) = (
    header::HeaderName::from_static("cross-origin-resource-policy"),
    HeaderValue::from_static("cross-origin"),
);

fn forbidden(why: &dyn std::fmt::Display) -> Response {
    tracing::info!("refused: {why}");
    (StatusCode::FORBIDDEN, [CORP], "forbidden\n").into_response()
}

/// The allowed origin of a CORS request, `Ok(None)` without `Origin`, `Err` for a refused one.
fn cors_origin(state: &AppState, headers: &HeaderMap) -> Result<Option<HeaderValue>, String> {
    state.gate.check_host(headers).map_err(|e| e.to_string())?;
    match headers.get(header::ORIGIN) {
        None => Ok(None),
        Some(origin) if origin.to_str().is_ok_and(|o| state.gate.allows(o)) => {
            Ok(Some(origin.clone()))
        }
        Some(origin) => Err(format!("health from origin {origin:?}")),
    }
}

async fn health(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let origin = match cors_origin(&state, &headers) {
        Ok(o) => o,
        Err(refusal) => return forbidden(&refusal),
    };
    let readers = state.cards.backend().watch().borrow().readers.len();
    let body = protocol::Health {
        name: NAME.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        protocol: PROTOCOL_VERSION,
        readers,
    };
    let mut response = axum::Json(body).into_response();
    let h = response.headers_mut();
    h.insert(header::VARY, HeaderValue::from_static("Origin"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(CORP.0, CORP.1);
    if let Some(origin) = origin {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    }
    response
}

async fn health_preflight(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    match cors_origin(&state, &headers) {
        Ok(Some(origin)) => {
            let mut response = StatusCode::NO_CONTENT.into_response();
            let h = response.headers_mut();
            h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET"),
            );
            h.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            );
            h.insert(header::VARY, HeaderValue::from_static("Origin"));
            // Private Network Access preflights (older Chrome) ask for this.
            h.insert(
                "access-control-allow-private-network",
                HeaderValue::from_static("true"),
            );
            response
        }
        Ok(None) => StatusCode::NO_CONTENT.into_response(),
        Err(refusal) => forbidden(&refusal),
    }
}

async fn websocket(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    // The gate first: a refused page learns nothing, not even whether this is a WebSocket.
    let origin = match state.gate.check_handshake(&headers) {
        Ok(origin) => origin,
        Err(refusal) => return forbidden(&refusal),
    };
    let upgrade = match upgrade {
        Ok(u) => u,
        Err(rejection) => return rejection.into_response(),
    };
    // The slot is taken before the upgrade and moves into the socket's task: it is free
    // again only when the socket is gone.
    let Ok(slot) = state.sockets.0.clone().try_acquire_owned() else {
        tracing::warn!(%origin, "{MAX_CONNECTIONS} WebSockets open; refusing one more (503)");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [CORP, (header::RETRY_AFTER, HeaderValue::from_static("5"))],
            "too many connections\n",
        )
            .into_response();
    };
    tracing::info!(%origin, "WebSocket connected");
    upgrade
        .max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .on_upgrade(move |socket| async move {
            connection(socket, origin, state).await;
            drop(slot);
        })
}

/// A connection's handles, each with its reader.
type Handles = HashMap<u32, String>;

async fn connection(socket: WebSocket, origin: String, state: Arc<AppState>) {
    let Timeouts {
        ping, idle, write, ..
    } = state.timeouts;
    let (mut sink, mut stream) = socket.split();
    let (out, mut out_rx) = mpsc::channel::<Message>(32);
    let writer = tokio::spawn(async move {
        let mut ping = tokio::time::interval(ping);
        ping.tick().await;
        loop {
            let message = tokio::select! {
                m = out_rx.recv() => match m { Some(m) => m, None => break },
                _ = ping.tick() => Message::Ping(Default::default()),
            };
            match tokio::time::timeout(write, sink.send(message)).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => break,
                Err(_) => {
                    tracing::info!("dropping a client that does not read");
                    break;
                }
            }
        }
        let _ = tokio::time::timeout(write, sink.close()).await;
    });

    let mut readers = state.cards.backend().watch();
    readers.borrow_and_update();
    let mut handles = Handles::new();
    loop {
        tokio::select! {
            incoming = tokio::time::timeout(idle, stream.next()) => {
                let frame = match incoming {
                    Err(_) => { tracing::info!("closing an idle connection"); break }
                    Ok(None | Some(Err(_))) => break,
                    Ok(Some(Ok(frame))) => frame,
                };
                let reply = match frame {
                    Message::Text(text) => dispatch(&state, &origin, &mut handles, text.as_str()).await,
                    Message::Binary(_) => protocol::answer(
                        &Value::Null,
                        Err(WireError::new(ErrorCode::BadRequest, "binary frames are not part of the protocol")),
                    ),
                    Message::Close(_) => break,
                    Message::Ping(_) | Message::Pong(_) => continue,
                };
                if out.send(Message::Text(reply.into())).await.is_err() {
                    break;
                }
            }
            changed = readers.changed() => {
                if changed.is_err() { break }
                let snapshot = readers.borrow_and_update().clone();
                let event = protocol::readers_event(&snapshot.readers, snapshot.service);
                if out.send(Message::Text(event.into())).await.is_err() {
                    break;
                }
            }
        }
    }
    for (handle, reader) in handles.drain() {
        state.cards.disconnect(&reader, handle).await;
    }
    drop(out);
    let _ = writer.await;
    tracing::info!(%origin, "WebSocket closed");
}

fn reader_of(handles: &Handles, handle: u32) -> Result<String, WireError> {
    handles.get(&handle).cloned().ok_or_else(|| {
        WireError::new(
            ErrorCode::UnknownHandle,
            "no such handle on this connection",
        )
    })
}

async fn dispatch(state: &AppState, origin: &str, handles: &mut Handles, text: &str) -> String {
    let request = match Request::parse(text) {
        Ok(r) => r,
        Err(failure) => return protocol::answer(&failure.id, Err(failure.error)),
    };
    let outcome = call(state, origin, handles, request.call).await;
    if let Err(e) = &outcome {
        tracing::debug!(code = ?e.code, "request failed: {}", e.message);
    }
    protocol::answer(&request.id, outcome)
}

async fn call(
    state: &AppState,
    origin: &str,
    handles: &mut Handles,
    call: Call,
) -> Result<Value, WireError> {
    let snapshot = || state.cards.backend().watch().borrow().clone();
    match call {
        Call::Hello => wire(protocol::Hello {
            bridge: protocol::BridgeId {
                name: NAME.into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            protocol: PROTOCOL_VERSION,
            origin: origin.into(),
            policy: policy::ELIGIBILITY.into(),
            readers: snapshot().readers,
            simulate: state.simulator.as_ref().map(|sim| protocol::Simulation {
                personas: sim.personas(),
            }),
        }),
        Call::ListReaders => {
            let snapshot = snapshot();
            if !snapshot.service {
                return Err(WireError::new(
                    ErrorCode::NoService,
                    "the PC/SC service is not running",
                ));
            }
            wire(protocol::ReadersResult {
                readers: snapshot.readers,
            })
        }
        Call::Connect(p) => {
            if handles.len() >= MAX_HANDLES_PER_CONNECTION {
                return Err(WireError::new(
                    ErrorCode::TooManyHandles,
                    format!(
                        "a connection holds at most {MAX_HANDLES_PER_CONNECTION} handles; \
                         disconnect one first"
                    ),
                ));
            }
            let handle = state.cards.connect(&p.reader).await?;
            handles.insert(handle, p.reader);
            wire(protocol::ConnectResult { handle })
        }
        Call::Transmit(p) => {
            let reader = reader_of(handles, p.handle)?;
            let apdu = hex::decode(&p.apdu)
                .map_err(|_| WireError::new(ErrorCode::BadRequest, "apdu must be hex"))?;
            let response = state.cards.transmit(&reader, p.handle, apdu).await?;
            wire(protocol::TransmitResult {
                response: hex::encode_upper(response),
            })
        }
        Call::ReadFile(p) => {
            let reader = reader_of(handles, p.handle)?;
            let fid = p.fid().ok_or_else(|| {
                WireError::new(ErrorCode::BadRequest, "file must be four hex digits")
            })?;
            let data = state.cards.read_file(&reader, p.handle, fid).await?;
            let data = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, data);
            wire(protocol::ReadFileResult { data })
        }
        Call::PinStatus(p) => {
            let reader = reader_of(handles, p.handle)?;
            let status = state.cards.pin_status(&reader, p.handle).await?;
            wire(protocol::PinStatusResult {
                remaining: status.remaining,
                blocked: status.blocked,
            })
        }
        Call::Authenticate(p) => {
            let reader = reader_of(handles, p.handle)?;
            let auth = state
                .cards
                .authenticate(
                    &reader,
                    p.handle,
                    origin.to_string(),
                    p.nonce,
                    p.pin,
                    p.allow_last_attempt,
                )
                .await?;
            wire(auth.to_wire())
        }
        Call::Disconnect(p) => {
            let reader = reader_of(handles, p.handle)?;
            handles.remove(&p.handle);
            state.cards.disconnect(&reader, p.handle).await;
            Ok(json!({}))
        }
        Call::Simulate(p) => {
            let sim = state.simulator.as_ref().ok_or_else(|| {
                WireError::new(
                    ErrorCode::NotSimulating,
                    "the bridge was not started with --simulate",
                )
            })?;
            match p {
                protocol::SimulateParams::Insert { persona } => sim.insert(&persona)?,
                protocol::SimulateParams::Remove => sim.remove(),
                protocol::SimulateParams::Reinsert => sim.reinsert()?,
            }
            Ok(json!({}))
        }
    }
}

/// A method's typed result as the `result` of its answer.
fn wire<T: serde::Serialize>(result: T) -> Result<Value, WireError> {
    serde_json::to_value(result).map_err(|e| WireError::new(ErrorCode::Internal, e.to_string()))
}

/// Serves `listener` until `shutdown` completes; open connections are closed then.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let header_timeout = state.timeouts.header;
    let router = app(state);
    let slots = Arc::new(Semaphore::new(MAX_HTTP_CONNECTIONS));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::pin!(shutdown);
    let mut backoff = ACCEPT_BACKOFF_MIN;
    loop {
        let (stream, peer): (_, SocketAddr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => {
                    backoff = ACCEPT_BACKOFF_MIN;
                    a
                }
                Err(e) => {
                    tracing::warn!("accept failed: {e}; waiting {backoff:?} before the next try");
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        () = &mut shutdown => break,
                    }
                    backoff = (backoff * 2).min(ACCEPT_BACKOFF_MAX);
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!("{MAX_HTTP_CONNECTIONS} HTTP connections in flight; refusing {peer}");
            // Best effort and never blocking: a fresh socket's send buffer takes these bytes.
            let _ = stream.try_write(
                b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\
                  Retry-After: 5\r\nContent-Length: 0\r\n\r\n",
            );
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = hyper_util::service::TowerToHyperService::new(router.clone());
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stop.changed() => {}
            }
            drop(slot);
        });
    }
    let _ = stop_tx.send(true);
    Ok(())
}

/// Waits for Ctrl-C, or SIGTERM on Unix (service managers stop services with it).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

/// Binds `listen` (already checked to be loopback) and serves until `shutdown`.
pub async fn run(
    listen: SocketAddr,
    gate_origins: Vec<String>,
    backend: Arc<dyn crate::backend::Backend>,
    simulator: Option<Arc<dyn Simulator>>,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let listener = TcpListener::bind(listen).await.map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!("cannot listen on {listen}: {e} (is another bridge running?)"),
        )
    })?;
    let port = listener.local_addr()?.port();
    let state = Arc::new(AppState {
        timeouts: Timeouts::default(),
        gate: Gate::new(port, gate_origins),
        cards: Cards::new(backend.clone()),
        simulator,
        sockets: SocketSlots::default(),
    });
    tracing::info!(
        "listening on ws://{}/v1 for {:?}",
        listener.local_addr()?,
        state.gate.origins().collect::<Vec<_>>()
    );
    let result = serve(listener, state, shutdown).await;
    backend.shutdown();
    tracing::info!("stopped");
    result
}
