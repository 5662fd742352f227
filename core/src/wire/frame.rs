//! The bridge's frames: requests as the bridge parses them, answers and events as it writes
//! them, and the typed results of every method.
//!
//! Client → bridge: `{"id":1,"method":"…","params":{…}}`. Bridge → client: `{"id":1,"result":{…}}`
//! or `{"id":1,"error":{"code":"…","message":"…", …}}`, and events
//! `{"event":"readers","data":{"readers":[…],"service":bool}}`.
//!
//! Parsing is strict: unknown methods answer `unknown-method`, unknown or missing parameters
//! `bad-request`. The PIN travels in `authenticate`'s params; it is held in a zeroizing
//! buffer from the moment it is parsed, and no `Debug` of a request shows it.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// A reader's state as the wire shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReaderState {
    /// No card.
    Empty,
    /// A card is present and free.
    Present,
    /// A card is present and another program uses it.
    Inuse,
    /// A card is present but does not answer.
    Mute,
    /// The reader cannot be used.
    Unavailable,
}

impl ReaderState {
    /// The state as sent on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReaderState::Empty => "empty",
            ReaderState::Present => "present",
            ReaderState::Inuse => "inuse",
            ReaderState::Mute => "mute",
            ReaderState::Unavailable => "unavailable",
        }
    }

    /// The state a wire string names, if any.
    pub fn parse(text: &str) -> Option<Self> {
        [
            ReaderState::Empty,
            ReaderState::Present,
            ReaderState::Inuse,
            ReaderState::Mute,
            ReaderState::Unavailable,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// Written as [`ReaderState::as_str`] (the derive's own table of names cost the browser
/// module 0.3 KB).
impl Serialize for ReaderState {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// One reader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reader {
    /// The PC/SC reader name.
    pub name: String,
    /// Its state.
    pub state: ReaderState,
    /// The card's ATR (upper-case hex), when a card is present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub atr: Option<String>,
}

impl Reader {
    /// A card is in this reader (`present`, or `inuse` by another connection).
    pub fn has_card(&self) -> bool {
        matches!(self.state, ReaderState::Present | ReaderState::Inuse)
    }
}

/// The methods and their parameters.
#[derive(Debug)]
pub enum Call {
    /// `hello`.
    Hello,
    /// `listReaders`.
    ListReaders,
    /// `connect {reader}`.
    Connect(ConnectParams),
    /// `transmit {handle, apdu}`.
    Transmit(TransmitParams),
    /// `readFile {handle, file}`.
    ReadFile(ReadFileParams),
    /// `pinStatus {handle}`.
    PinStatus(HandleParams),
    /// `authenticate {handle, nonce, pin, allowLastAttempt}`.
    Authenticate(AuthenticateParams),
    /// `disconnect {handle}`.
    Disconnect(HandleParams),
    /// `simulate {action: "insert" | "remove" | "reinsert", persona?}`.
    Simulate(SimulateParams),
}

/// `connect` params.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectParams {
    /// Reader name as listed.
    pub reader: String,
}

/// Params that name a handle.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandleParams {
    /// A handle from `connect`.
    pub handle: u32,
}

/// `transmit` params.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransmitParams {
    /// A handle from `connect`.
    pub handle: u32,
    /// The command APDU in hex.
    pub apdu: String,
}

/// `readFile` params.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadFileParams {
    /// A handle from `connect`.
    pub handle: u32,
    /// The EF as four hex digits: `000A`, `000B` or `0006`.
    pub file: String,
}

impl ReadFileParams {
    /// The file ID, if `file` is four hex digits (which files may be read is the policy's
    /// question, answered with `policy-denied`).
    pub fn fid(&self) -> Option<crate::profile::Fid> {
        let bytes = self.file.as_bytes();
        if bytes.len() != 4 || !bytes.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        u16::from_str_radix(&self.file, 16)
            .ok()
            .map(crate::profile::Fid)
    }
}

/// `authenticate` params.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AuthenticateParams {
    /// A handle from `connect`.
    pub handle: u32,
    /// The service's nonce (43–128 base64url characters).
    pub nonce: String,
    /// The 4-digit PIN, zeroized on drop.
    pub pin: Zeroizing<String>,
    /// Consent to use the last try.
    #[serde(default)]
    pub allow_last_attempt: bool,
}

impl core::fmt::Debug for AuthenticateParams {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AuthenticateParams")
            .field("handle", &self.handle)
            .field("nonce", &self.nonce)
            .field("pin", &"<redacted>")
            .field("allow_last_attempt", &self.allow_last_attempt)
            .finish()
    }
}

/// `simulate` params.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, tag = "action", rename_all = "lowercase")]
pub enum SimulateParams {
    /// Put the persona's card into the virtual reader (replacing any card there).
    Insert {
        /// Persona name.
        persona: String,
    },
    /// Take the card out.
    Remove,
    /// Take the card out and present the same card again.
    Reinsert,
}

/// The name of the event that carries [`ReadersEvent`].
pub const READERS_EVENT: &str = "readers";

/// The method names, as the client sends them.
pub mod method {
    /// `hello` → [`super::Hello`].
    pub const HELLO: &str = "hello";
    /// `listReaders` → [`super::ReadersResult`].
    pub const LIST_READERS: &str = "listReaders";
    /// `connect {reader}` → [`super::ConnectResult`].
    pub const CONNECT: &str = "connect";
    /// `transmit {handle, apdu}` → [`super::TransmitResult`].
    pub const TRANSMIT: &str = "transmit";
    /// `readFile {handle, file}` → [`super::ReadFileResult`].
    pub const READ_FILE: &str = "readFile";
    /// `pinStatus {handle}` → [`super::PinStatusResult`].
    pub const PIN_STATUS: &str = "pinStatus";
    /// `authenticate {handle, nonce, pin, allowLastAttempt}` → [`super::AuthenticateResult`].
    pub const AUTHENTICATE: &str = "authenticate";
    /// `disconnect {handle}` → `{}`.
    pub const DISCONNECT: &str = "disconnect";
    /// `simulate {action, persona?}` → `{}`.
    pub const SIMULATE: &str = "simulate";
}

/// The bridge's name and version in [`Hello`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BridgeId {
    /// `myna-bridge`.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// What a bridge started with `--simulate` offers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Simulation {
    /// The personas `simulate {action: "insert"}` takes.
    pub personas: Vec<String>,
}

/// The result of `hello`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// Who answers.
    pub bridge: BridgeId,
    /// [`super::PROTOCOL_VERSION`].
    pub protocol: u32,
    /// The page origin the bridge saw in the handshake (it binds it into signatures).
    pub origin: String,
    /// The APDU policy, `eligibility`.
    pub policy: String,
    /// The readers now.
    pub readers: Vec<Reader>,
    /// Present when the bridge runs with `--simulate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub simulate: Option<Simulation>,
}

/// The result of `listReaders`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadersResult {
    /// The readers now.
    pub readers: Vec<Reader>,
}

/// The `data` of a `readers` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadersEvent {
    /// The readers now.
    pub readers: Vec<Reader>,
    /// Whether the PC/SC service is up.
    pub service: bool,
}

/// The result of `connect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectResult {
    /// The handle the other methods name.
    pub handle: u32,
}

/// The result of `transmit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransmitResult {
    /// The response APDU (data + SW1SW2), upper-case hex.
    pub response: String,
}

/// The result of `readFile`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadFileResult {
    /// The file's bytes, standard base64.
    pub data: String,
}

/// The result of `pinStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinStatusResult {
    /// Tries left.
    pub remaining: u8,
    /// Whether the PIN is blocked.
    pub blocked: bool,
}

/// The result of `authenticate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthenticateResult {
    /// The user-authentication certificate, DER in standard base64.
    pub certificate: String,
    /// The card's signature over the origin- and nonce-bound message, standard base64.
    pub signature: String,
    /// The signature algorithm: the token's key algorithm from its card table (`RS256` for
    /// the card and the Android phone), passed on to the service, which verifies by it.
    pub algorithm: crate::profile::AuthAlgorithm,
    /// Which token answered: the card or an Android phone (an iPhone is refused with
    /// `token-not-supported`).
    pub token: Token,
}

/// Which kind of token answered as the JPKI-AP, as pages see it
/// (`QualificationResult.token`): `"card" | "android" | "iphone"`. The core's
/// [`crate::jpki::TokenKind`] maps a token-info label to it (`docs/phones.md` §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Token {
    /// The plastic My Number Card (`JPKIAPICCTOKEN2`).
    Card,
    /// An Android phone's スマホ用電子証明書 (`JPKIAPGPSETOKEN`).
    Android,
    /// An iPhone (`JPKIAPIOSTOKEN`).
    Iphone,
}

impl Token {
    /// Every token, in declaration order.
    pub const ALL: &'static [Token] = &[Token::Card, Token::Android, Token::Iphone];

    /// The name as sent on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Token::Card => "card",
            Token::Android => "android",
            Token::Iphone => "iphone",
        }
    }
}

/// `GET /health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// `myna-bridge`.
    pub name: String,
    /// Its version.
    pub version: String,
    /// [`super::PROTOCOL_VERSION`].
    pub protocol: u32,
    /// How many readers are attached.
    pub readers: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_states_round_trip_and_say_whether_a_card_is_in() {
        for state in ["empty", "present", "inuse", "mute", "unavailable"] {
            let parsed = ReaderState::parse(state).expect(state);
            assert_eq!(parsed.as_str(), state);
            assert_eq!(
                serde_json::to_string(&parsed).unwrap(),
                format!("\"{state}\"")
            );
            let reader = Reader {
                name: "r".into(),
                state: parsed,
                atr: None,
            };
            assert_eq!(reader.has_card(), state == "present" || state == "inuse");
        }
        assert_eq!(ReaderState::parse("Present"), None);
    }
}
