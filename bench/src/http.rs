//! A minimal HTTP/1.1 client for the eligibility service: one keep-alive connection per
//! [`HttpConn`], requests one at a time, as a reception terminal sends them.

use std::net::SocketAddr;

use anyhow::{Context as _, Result};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use myna_core::profile::AuthAlgorithm;
use myna_core::wire::service::{
    self, ActivateRequest, ChallengeResponse, ConfirmationMode, ConfirmationRequest,
};
use serde_json::Value;
use tokio::net::TcpStream;

/// The demo facility every new service database is seeded with.
pub const FACILITY_CODE: &str = "1399999999";
/// Its user ID.
pub const USER_ID: &str = "W0000001";
/// Its activation code.
pub const ACTIVATION_CODE: &str = "DEMO0001";

/// One keep-alive connection.
pub struct HttpConn {
    sender: SendRequest<Full<Bytes>>,
    host: String,
}

impl HttpConn {
    /// Connects (TCP_NODELAY on).
    pub async fn connect(addr: SocketAddr) -> Result<Self> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true)?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(HttpConn {
            sender,
            host: addr.to_string(),
        })
    }

    /// Sends one request; the status and the whole body.
    pub async fn request(
        &mut self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Bytes>,
    ) -> Result<(StatusCode, Bytes)> {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", &self.host);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        let request = request.body(Full::new(body.unwrap_or_default()))?;
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status();
        let bytes = response.into_body().collect().await?.to_bytes();
        Ok((status, bytes))
    }

    /// Registers a terminal of the demo facility; its bearer token.
    pub async fn activate(&mut self, device: &str) -> Result<String> {
        let body = ActivateRequest {
            facility_code: FACILITY_CODE.into(),
            user_id: USER_ID.into(),
            activation_code: ACTIVATION_CODE.into(),
            device_name: device.into(),
        };
        let (status, bytes) = self
            .request(
                Method::POST,
                service::ACTIVATE_PATH,
                None,
                Some(serde_json::to_vec(&body)?.into()),
            )
            .await?;
        anyhow::ensure!(
            status == StatusCode::CREATED,
            "activation answered {status}: {}",
            String::from_utf8_lossy(&bytes)
        );
        let value: Value = serde_json::from_slice(&bytes)?;
        Ok(value["token"]
            .as_str()
            .context("activation answered no token")?
            .to_owned())
    }

    /// A fresh challenge nonce.
    pub async fn challenge(&mut self, token: &str) -> Result<String> {
        let (status, bytes) = self
            .request(Method::POST, service::CHALLENGES_PATH, Some(token), None)
            .await?;
        anyhow::ensure!(
            status == StatusCode::CREATED,
            "challenge answered {status}: {}",
            String::from_utf8_lossy(&bytes)
        );
        let challenge: ChallengeResponse =
            serde_json::from_slice(&bytes).context("challenge answered no nonce")?;
        Ok(challenge.nonce)
    }

    /// `POST /api/v1/confirmations` with a prepared JSON body; the status and the XML.
    pub async fn confirm(&mut self, token: &str, body: Bytes) -> Result<(StatusCode, Bytes)> {
        self.request(
            Method::POST,
            service::CONFIRMATIONS_PATH,
            Some(token),
            Some(body),
        )
        .await
    }
}

/// The JSON body of a PIN-mode confirmation, with the signature's `algorithm` as the bridge
/// named it (what the browser module passes on).
pub fn pin_confirmation_body(
    certificate: &[u8],
    signature: &[u8],
    algorithm: AuthAlgorithm,
    nonce: &str,
    origin: &str,
) -> Bytes {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let body = ConfirmationRequest {
        mode: ConfirmationMode::Pin.as_str().into(),
        certificate: b64.encode(certificate),
        signature: Some(b64.encode(signature)),
        algorithm: Some(algorithm.as_str().into()),
        nonce: nonce.into(),
        origin: origin.into(),
        operator: None,
        arbitrary_file_identifier: None,
        token: None,
    };
    // Serializing plain strings cannot fail.
    serde_json::to_vec(&body).unwrap_or_default().into()
}

/// Checks that a confirmation answer is a successful `XmlMsg` (`SegmentOfResult` 1) with
/// one valid qualification; its `QualificationValidity`.
pub fn check_confirmation(status: StatusCode, xml: &[u8]) -> Result<String> {
    anyhow::ensure!(
        status == StatusCode::OK,
        "confirmation answered {status}: {}",
        String::from_utf8_lossy(xml)
    );
    let msg = myna_core::oqs::parse(xml).context("parsing the XmlMsg")?;
    anyhow::ensure!(
        msg.message_header
            .segment_of_result
            .as_ref()
            .is_some_and(|c| c.raw() == "1"),
        "the XmlMsg is not a normal answer: {:?}",
        msg.message_header.error_code
    );
    anyhow::ensure!(!msg.results().is_empty(), "the XmlMsg holds no result");
    Ok(msg
        .message_body
        .qualification_validity
        .as_ref()
        .context("the answer has no QualificationValidity")?
        .raw()
        .to_owned())
}
