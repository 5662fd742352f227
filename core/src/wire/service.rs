//! The eligibility service's JSON bodies (`web-demo/openapi.yaml`): what a reception
//! terminal sends and what it gets back, besides the `XmlMsg` answers ([`crate::oqs`]).
//!
//! The simulator (`myna-demo`) deserializes the requests and serializes the answers with
//! these types; the benchmark client and the browser module build the requests with them.
//! The service's refusals are `XmlMsg`s, not JSON, and are not described here.

use serde::{Deserialize, Serialize};

use super::Token;

/// `POST /api/v1/challenges`.
pub const CHALLENGES_PATH: &str = "/api/v1/challenges";
/// `POST /api/v1/confirmations`.
pub const CONFIRMATIONS_PATH: &str = "/api/v1/confirmations";
/// `POST /api/v1/terminals/activate`.
pub const ACTIVATE_PATH: &str = "/api/v1/terminals/activate";

/// The answer to `POST /api/v1/challenges` (201).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChallengeResponse {
    /// A single-use nonce, 43–128 base64url characters.
    pub nonce: String,
    /// When it expires (RFC 3339, UTC).
    pub expires_at: String,
}

/// How the patient was identified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConfirmationMode {
    /// The 4-digit PIN: the card signed the challenge.
    Pin,
    /// 目視: staff compared the face with the card; the certificate only.
    Visual,
}

impl ConfirmationMode {
    /// `pin` or `visual`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ConfirmationMode::Pin => "pin",
            ConfirmationMode::Visual => "visual",
        }
    }

    /// The mode a body names, if any.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pin" => Some(ConfirmationMode::Pin),
            "visual" => Some(ConfirmationMode::Visual),
            _ => None,
        }
    }
}

/// The body of `POST /api/v1/confirmations`.
///
/// `mode` stays text so that the service can answer an unknown mode with its own refusal
/// rather than a body that does not parse; [`ConfirmationMode`] names the two it knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmationRequest {
    /// `pin` or `visual` ([`ConfirmationMode::as_str`]).
    pub mode: String,
    /// The user-authentication certificate, DER in standard base64.
    pub certificate: String,
    /// PIN mode: the card's signature, standard base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// PIN mode: the signature's algorithm as the bridge named it (`authenticate` →
    /// `algorithm`), a JOSE name ([`crate::profile::AuthAlgorithm`]); absent means `RS256`,
    /// the only one before issue 14. Text for the same reason as `mode`: the service answers
    /// a name it does not know with its own refusal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<String>,
    /// The challenge's nonce.
    pub nonce: String,
    /// The page origin the signature is bound to.
    pub origin: String,
    /// Who at the desk confirmed (audit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    /// The terminal's own reference, echoed in the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arbitrary_file_identifier: Option<String>,
    /// Which token answered, as the bridge reported it (`AuthenticateResult.token`, issue
    /// 14): recorded in the audit. The service cannot verify it from the certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Token>,
}

/// The body of `POST /api/v1/terminals/activate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivateRequest {
    /// 医療機関コード (10 digits).
    pub facility_code: String,
    /// The facility's user ID.
    pub user_id: String,
    /// The one-time activation code.
    pub activation_code: String,
    /// A name for this terminal.
    pub device_name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_have_the_documented_field_names() {
        let body = ConfirmationRequest {
            mode: ConfirmationMode::Pin.as_str().into(),
            certificate: "Y2VydA==".into(),
            signature: Some("c2ln".into()),
            algorithm: Some(crate::profile::AuthAlgorithm::Es384.as_str().into()),
            nonce: "n".into(),
            origin: "https://clinic.example".into(),
            operator: None,
            arbitrary_file_identifier: None,
            token: None,
        };
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"mode":"pin","certificate":"Y2VydA==","signature":"c2ln","algorithm":"ES384","nonce":"n","origin":"https://clinic.example"}"#
        );
        let phone = ConfirmationRequest {
            token: Some(Token::Android),
            ..body
        };
        assert!(
            serde_json::to_string(&phone)
                .unwrap()
                .ends_with(r#","token":"android"}"#)
        );
        let challenge: ChallengeResponse =
            serde_json::from_str(r#"{"nonce":"abc","expiresAt":"2026-12-06T00:05:00Z"}"#).unwrap();
        assert_eq!(challenge.expires_at, "2026-12-06T00:05:00Z");
        let visual: ConfirmationRequest = serde_json::from_str(
            r#"{"mode":"visual","certificate":"Y2VydA==","nonce":"n","origin":"o","operator":"A"}"#,
        )
        .unwrap();
        assert_eq!(
            ConfirmationMode::parse(&visual.mode),
            Some(ConfirmationMode::Visual)
        );
        assert_eq!(visual.signature, None);
        assert_eq!(visual.token, None);
        let card: ConfirmationRequest = serde_json::from_str(
            r#"{"mode":"visual","certificate":"Y2VydA==","nonce":"n","origin":"o","token":"card"}"#,
        )
        .unwrap();
        assert_eq!(card.token, Some(Token::Card));
        assert!(
            serde_json::from_str::<ConfirmationRequest>(
                r#"{"mode":"pin","certificate":"","nonce":"n","origin":"o","token":"watch"}"#
            )
            .is_err(),
            "a token the contract does not name is a bad body"
        );
        assert_eq!(visual.algorithm, None);
        assert_eq!(ConfirmationMode::parse("PIN"), None);
    }
}
