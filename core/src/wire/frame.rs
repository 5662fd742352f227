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
use serde_json::Value;
use serde_json::value::RawValue;
use zeroize::Zeroizing;

use super::code::{ErrorCode, WireError};

/// A reader's state as the wire shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

/// A parsed request.
#[derive(Debug)]
pub struct Request {
    /// The client's id, echoed in the answer (a number or a string).
    pub id: Value,
    /// The call.
    pub call: Call,
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

/// A frame as read: `params` stays a slice of the frame's text and is deserialized straight
/// into the method's params type, so a key given twice (`"pin":"1111","pin":"2222"`) is a
/// `bad-request` at every level, never "the last one wins" (a `Value` map would keep only
/// the last), and the PIN is copied once, into its zeroizing string, not into a map first.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequest<'a> {
    id: Value,
    method: String,
    #[serde(default, borrow)]
    params: Option<&'a RawValue>,
}

/// Why a frame could not become a [`Request`]; answered with the id when one was readable.
#[derive(Debug)]
pub struct ParseFailure {
    /// The id, if the frame had a usable one.
    pub id: Value,
    /// The error to send.
    pub error: WireError,
}

fn params<T: serde::de::DeserializeOwned>(
    id: &Value,
    method: &str,
    p: &str,
) -> Result<T, ParseFailure> {
    // serde's messages quote offending values ("invalid type: integer `1234`"): for the
    // method that carries a PIN, say only what is expected.
    serde_json::from_str(p).map_err(|e| {
        let message = if method == "authenticate" {
            "bad params for authenticate: expects {handle: number, nonce: string, pin: string, \
             allowLastAttempt?: boolean}"
                .to_string()
        } else {
            format!("bad params for {method}: {e}")
        };
        ParseFailure {
            id: id.clone(),
            error: WireError::new(ErrorCode::BadRequest, message),
        }
    })
}

impl Request {
    /// Parses one text frame.
    pub fn parse(text: &str) -> Result<Request, ParseFailure> {
        let raw: RawRequest = serde_json::from_str(text).map_err(|e| ParseFailure {
            id: Value::Null,
            error: WireError::new(ErrorCode::BadRequest, format!("not a request frame: {e}")),
        })?;
        let id = raw.id;
        if !(id.is_u64() || id.is_string()) {
            return Err(ParseFailure {
                id: Value::Null,
                error: WireError::new(ErrorCode::BadRequest, "id must be a number or a string"),
            });
        }
        let p = raw.params.map_or("{}", RawValue::get);
        let no_params = |p: &str| match serde_json::from_str::<Value>(p) {
            Ok(Value::Object(m)) if m.is_empty() => Ok(()),
            _ => Err(ParseFailure {
                id: id.clone(),
                error: WireError::new(
                    ErrorCode::BadRequest,
                    format!("{} takes no params", raw.method),
                ),
            }),
        };
        let call = match raw.method.as_str() {
            method::HELLO => no_params(p).map(|()| Call::Hello)?,
            method::LIST_READERS => no_params(p).map(|()| Call::ListReaders)?,
            method::CONNECT => Call::Connect(params(&id, "connect", p)?),
            method::TRANSMIT => Call::Transmit(params(&id, "transmit", p)?),
            method::READ_FILE => Call::ReadFile(params(&id, "readFile", p)?),
            method::PIN_STATUS => Call::PinStatus(params(&id, "pinStatus", p)?),
            method::AUTHENTICATE => Call::Authenticate(params(&id, "authenticate", p)?),
            method::DISCONNECT => Call::Disconnect(params(&id, "disconnect", p)?),
            method::SIMULATE => Call::Simulate(params(&id, "simulate", p)?),
            other => {
                return Err(ParseFailure {
                    id,
                    error: WireError::new(ErrorCode::UnknownMethod, format!("no method {other:?}")),
                });
            }
        };
        Ok(Request { id, call })
    }
}

/// The answer frame for a request.
pub fn answer(id: &Value, outcome: Result<Value, WireError>) -> String {
    let frame = match outcome {
        Ok(result) => serde_json::json!({ "id": id, "result": result }),
        Err(error) => serde_json::json!({ "id": id, "error": error }),
    };
    frame.to_string()
}

/// The `readers` event frame: `{"event":"readers","data":{"readers":[…],"service":bool}}`.
pub fn readers_event(readers: &[Reader], service: bool) -> String {
    serde_json::json!({
        "event": READERS_EVENT,
        "data": ReadersEvent { readers: readers.to_vec(), service },
    })
    .to_string()
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
    /// The signature algorithm, `RS256`.
    pub algorithm: String,
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
    fn parses_every_method() {
        let ok = [
            r#"{"id":1,"method":"hello"}"#,
            r#"{"id":"a","method":"listReaders","params":{}}"#,
            r#"{"id":2,"method":"connect","params":{"reader":"Virtual PCD 00 00"}}"#,
            r#"{"id":3,"method":"transmit","params":{"handle":1,"apdu":"00A4040C"}}"#,
            r#"{"id":4,"method":"pinStatus","params":{"handle":1}}"#,
            r#"{"id":5,"method":"authenticate","params":{"handle":1,"nonce":"n","pin":"1234"}}"#,
            r#"{"id":6,"method":"authenticate","params":{"handle":1,"nonce":"n","pin":"1234","allowLastAttempt":true}}"#,
            r#"{"id":7,"method":"disconnect","params":{"handle":1}}"#,
            r#"{"id":8,"method":"simulate","params":{"action":"insert","persona":"default"}}"#,
            r#"{"id":9,"method":"simulate","params":{"action":"remove"}}"#,
            r#"{"id":10,"method":"readFile","params":{"handle":1,"file":"000A"}}"#,
            r#"{"id":11,"method":"simulate","params":{"action":"reinsert"}}"#,
        ];
        for frame in ok {
            Request::parse(frame).unwrap_or_else(|e| panic!("{frame}: {e:?}"));
        }
        let Call::Authenticate(a) = Request::parse(ok[6]).unwrap().call else {
            panic!()
        };
        assert!(a.allow_last_attempt);
        assert_eq!(a.pin.as_str(), "1234");
    }

    #[test]
    fn refuses_malformed_frames_with_typed_codes() {
        let cases = [
            ("not json", ErrorCode::BadRequest, false),
            ("[]", ErrorCode::BadRequest, false),
            (r#"{"id":1}"#, ErrorCode::BadRequest, false),
            (
                r#"{"id":{},"method":"hello"}"#,
                ErrorCode::BadRequest,
                false,
            ),
            (
                r#"{"id":-1,"method":"hello"}"#,
                ErrorCode::BadRequest,
                false,
            ),
            (
                r#"{"id":1,"method":"hello","extra":1}"#,
                ErrorCode::BadRequest,
                false,
            ),
            (
                r#"{"id":1,"method":"hello","params":{"x":1}}"#,
                ErrorCode::BadRequest,
                true,
            ),
            (
                r#"{"id":1,"method":"sign"}"#,
                ErrorCode::UnknownMethod,
                true,
            ),
            (
                r#"{"id":1,"method":"transmit","params":{"handle":1}}"#,
                ErrorCode::BadRequest,
                true,
            ),
            (
                r#"{"id":1,"method":"transmit","params":{"handle":"1","apdu":""}}"#,
                ErrorCode::BadRequest,
                true,
            ),
            (
                r#"{"id":1,"method":"connect","params":{"reader":"r","mode":"x"}}"#,
                ErrorCode::BadRequest,
                true,
            ),
            (
                r#"{"id":1,"method":"simulate","params":{"action":"explode"}}"#,
                ErrorCode::BadRequest,
                true,
            ),
            (
                r#"{"id":1,"method":"simulate","params":{"action":"insert"}}"#,
                ErrorCode::BadRequest,
                true,
            ),
        ];
        for (frame, code, keeps_id) in cases {
            let failure = Request::parse(frame).expect_err(frame);
            assert_eq!(failure.error.code, code, "{frame}");
            assert_eq!(!failure.id.is_null(), keeps_id, "{frame}");
        }
    }

    /// A key given twice is refused, never "the last one wins": found by the `bridge_frame`
    /// fuzz target (`fuzz/regressions/bridge_frame/pin-given-twice`), where the page's
    /// first `pin` was silently replaced by a second one.
    #[test]
    fn a_key_given_twice_is_refused_at_every_level() {
        let cases = [
            (
                r#"{"id":1,"method":"authenticate","params":{"pin":"","handle":1,"nonce":"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn","pin":"1234"}}"#,
                true,
            ),
            (
                r#"{"id":1,"method":"transmit","params":{"handle":1,"apdu":"00A4040C","apdu":"0020008104"}}"#,
                true,
            ),
            (
                r#"{"id":1,"method":"simulate","params":{"action":"insert","persona":"a","persona":"b"}}"#,
                true,
            ),
            (r#"{"id":1,"method":"hello","method":"connect"}"#, false),
            (r#"{"id":1,"id":2,"method":"hello"}"#, false),
            (
                r#"{"id":1,"method":"pinStatus","params":{"handle":1,"handle":1}}"#,
                true,
            ),
            (
                r#"{"id":1,"method":"disconnect","params":{"handle":1},"params":{"handle":2}}"#,
                false,
            ),
        ];
        for (frame, keeps_id) in cases {
            let failure = Request::parse(frame).expect_err(frame);
            assert_eq!(failure.error.code, ErrorCode::BadRequest, "{frame}");
            assert_eq!(!failure.id.is_null(), keeps_id, "{frame}");
            assert!(!format!("{failure:?}").contains("1234"), "{frame}");
        }
        // `params: null` still means "no params".
        let Call::Hello = Request::parse(r#"{"id":1,"method":"hello","params":null}"#)
            .expect("null params")
            .call
        else {
            panic!("not hello")
        };
    }

    #[test]
    fn a_pin_never_shows_in_debug_or_errors() {
        let frame =
            r#"{"id":1,"method":"authenticate","params":{"handle":1,"nonce":"n","pin":"9876"}}"#;
        let text = format!("{:?}", Request::parse(frame).unwrap());
        assert!(!text.contains("9876"), "{text}");
        let bad = r#"{"id":1,"method":"authenticate","params":{"handle":1,"pin":"9876"}}"#;
        let text = format!("{:?}", Request::parse(bad).unwrap_err());
        assert!(!text.contains("9876"), "{text}");
        let typed =
            r#"{"id":1,"method":"authenticate","params":{"handle":1,"nonce":"n","pin":9876}}"#;
        let text = format!("{:?}", Request::parse(typed).unwrap_err());
        assert!(
            !text.contains("9876") && text.contains("BadRequest"),
            "{text}"
        );
    }

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

    #[test]
    fn frames_have_the_documented_shape() {
        assert_eq!(
            answer(&Value::from(3), Ok(serde_json::json!({"handle": 1}))),
            r#"{"id":3,"result":{"handle":1}}"#
        );
        let err = WireError::new(ErrorCode::PinIncorrect, "wrong PIN").with_remaining(2);
        assert_eq!(
            answer(&Value::from(4), Err(err)),
            r#"{"id":4,"error":{"code":"pin-incorrect","message":"wrong PIN","remaining":2}}"#
        );
        let r = Reader {
            name: "R".into(),
            state: ReaderState::Present,
            atr: Some("3B".into()),
        };
        assert_eq!(
            readers_event(&[r], true),
            r#"{"event":"readers","data":{"readers":[{"name":"R","state":"present","atr":"3B"}],"service":true}}"#
        );
    }
}
