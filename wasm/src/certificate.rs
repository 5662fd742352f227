//! `parseCertificate(der)`: the core's X.509 reading as a plain object.

use js_sys::{Array, Object};
use myna_core::x509::{
    self, CertificateError, CertificateView, DistinguishedName, SignatureAlgorithm,
};
use wasm_bindgen::JsValue;

use crate::error::{WebError, WebResult};
use crate::js;

/// The name of a signature algorithm (the OID when it has none here).
fn signature_algorithm(alg: &SignatureAlgorithm) -> String {
    match alg {
        SignatureAlgorithm::RsaPkcs1Sha256 => "sha256WithRSAEncryption".into(),
        SignatureAlgorithm::RsaPkcs1Sha384 => "sha384WithRSAEncryption".into(),
        SignatureAlgorithm::RsaPkcs1Sha512 => "sha512WithRSAEncryption".into(),
        other => other.oid().to_string(),
    }
}

fn attributes(name: &DistinguishedName) -> Array {
    name.attributes
        .iter()
        .map(|a| {
            let o = Object::new();
            let kind = a.keyword.map_or_else(|| a.oid.to_string(), str::to_string);
            js::set(&o, "type", kind);
            js::set(&o, "value", a.value.as_str());
            JsValue::from(o)
        })
        .collect()
}

fn key_usage_names(info: &CertificateView) -> Array {
    let Some(k) = info.key_usage else {
        return Array::new();
    };
    [
        (k.digital_signature, "digitalSignature"),
        (k.non_repudiation, "nonRepudiation"),
        (k.key_encipherment, "keyEncipherment"),
        (k.data_encipherment, "dataEncipherment"),
        (k.key_agreement, "keyAgreement"),
        (k.key_cert_sign, "keyCertSign"),
        (k.crl_sign, "cRLSign"),
        (k.encipher_only, "encipherOnly"),
        (k.decipher_only, "decipherOnly"),
    ]
    .iter()
    .filter(|(set, _)| *set)
    .map(|(_, name)| JsValue::from_str(name))
    .collect()
}

fn oids(list: &[const_oid::ObjectIdentifier]) -> Array {
    list.iter()
        .map(|o| JsValue::from_str(&o.to_string()))
        .collect()
}

/// The facts of a DER certificate; `invalid-certificate` when it is not one. Read with the
/// core's display-only reader (`x509::parse_certificate_view`: `der`'s primitives, not
/// `x509-cert`'s derived structures, −16.2 KB gzipped), which refuses what the core's full parse
/// refuses except a malformed cRLDistributionPoints or authorityKeyIdentifier (not shown, not
/// decoded): such a certificate is shown; the service, which decides trust, refuses it
/// (`x509::parse_certificate` under `verify_chain`).
pub fn parse(der: &[u8]) -> WebResult<JsValue> {
    let info = x509::parse_certificate_view(der)
        .map_err(|e: CertificateError| WebError::InvalidCertificate(e.summary().to_string()))?;
    let out = Object::new();
    js::set(&out, "serialNumber", info.serial.as_str());
    js::set(&out, "subject", info.subject.display_forward());
    js::set(&out, "issuer", info.issuer.display_forward());
    js::set(&out, "subjectAttributes", attributes(&info.subject));
    js::set(&out, "issuerAttributes", attributes(&info.issuer));
    js::set(&out, "notBefore", info.not_before_iso());
    js::set(&out, "notAfter", info.not_after_iso());
    js::set(&out, "keyAlgorithm", info.key_algorithm());
    js::set(&out, "keyBits", info.key_bits as u32);
    js::set(
        &out,
        "signatureAlgorithm",
        signature_algorithm(&info.signature_algorithm),
    );
    match info.check_jpki_auth() {
        Ok(()) => js::set(&out, "isJpkiAuth", true),
        Err(why) => {
            js::set(&out, "isJpkiAuth", false);
            js::set(&out, "jpkiProfileError", why.to_string());
        }
    }
    js::set(&out, "keyUsage", key_usage_names(&info));
    js::set(&out, "extendedKeyUsage", oids(&info.extended_key_usage));
    js::set(&out, "policies", oids(&info.policies));
    js::set(&out, "isCa", info.is_ca());
    Ok(out.into())
}
