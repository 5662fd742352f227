//! Every time limit of the wire, in one place: the bridge's own per request, the module's
//! above them (so the bridge's `timeout` answer arrives before the module gives up), and the
//! module's limits on the eligibility service.
//!
//! Plain numbers of milliseconds: the core reads no clock; the bridge turns them into
//! `Duration`s, the module hands them to its timers.

/// The bridge's limit for one card operation (`connect`, `transmit`, `readFile`,
/// `pinStatus`, `disconnect`).
pub const BRIDGE_OPERATION_MS: u32 = 30_000;
/// The bridge's limit for `authenticate` (tries left, VERIFY, signature).
pub const BRIDGE_AUTHENTICATE_MS: u32 = 60_000;

/// The module's limit for opening the WebSocket.
pub const CLIENT_OPEN_MS: u32 = 15_000;
/// The module's limit for a request, above [`BRIDGE_OPERATION_MS`].
pub const CLIENT_REQUEST_MS: u32 = 45_000;
/// The module's limit for `authenticate`, above [`BRIDGE_AUTHENTICATE_MS`].
pub const CLIENT_AUTHENTICATE_MS: u32 = 90_000;

/// The module's default limit for one request to the eligibility service.
pub const SERVICE_DEFAULT_MS: u32 = 30_000;
/// The largest limit a page may set for the eligibility service (`serviceTimeoutMs`).
pub const SERVICE_MAX_MS: u32 = 300_000;

// The client waits longer than the bridge, so the bridge's own answer decides.
const _: () = assert!(CLIENT_REQUEST_MS > BRIDGE_OPERATION_MS);
const _: () = assert!(CLIENT_AUTHENTICATE_MS > BRIDGE_AUTHENTICATE_MS);
const _: () = assert!(SERVICE_DEFAULT_MS <= SERVICE_MAX_MS);
