//! The bridge frames as text: [`Request::parse`] for the bridge, [`answer`] and
//! [`readers_event`] for what it writes (with the `json` feature, on by default; the browser
//! module reads frames from JS objects and leaves it off).

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::code::{ErrorCode, WireError};
use super::frame::{Call, READERS_EVENT, Reader, ReadersEvent, method};

/// A parsed request.
#[derive(Debug)]
pub struct Request {
    /// The client's id, echoed in the answer (a number or a string).
    pub id: Value,
    /// The call.
    pub call: Call,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::frame::ReaderState;

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
