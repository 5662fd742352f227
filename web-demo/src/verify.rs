//! Certificate and signature checks for confirmations, on `myna_core::x509` and
//! `myna_core::auth`, and the mapping of their failures to the service's error codes.
//!
//! PIN mode: the certificate chains to a configured trust anchor at the current time (or, for
//! a leaf that expired less than the grace period ago, at its `notAfter`: see
//! [`crate::validity`])
//! (leaf, intermediates-free path: the card's auth certificate is issued directly by the
//! 利用者証明用 CA), has the JPKI user-authentication profile (keyUsage digitalSignature,
//! EKU clientAuth, policy `1.2.392.200149.8.5.1.0.30`, RSA ≥ 2048 or EC P-384, not a CA), and
//! its key verifies the token's signature over `auth_message(origin, nonce)` by the algorithm
//! the bridge named: RS256 (the card, an Android phone) or ES384 (the announced
//! next-generation card, proven with test certificates; [`check_signature`]). Visual mode: the
//! same certificate checks, no signature. Revocation is checked by the caller against the
//! CRL of the anchor the chain verified to ([`CheckedCertificate::issuer_key`],
//! [`crate::revocation`]).
//!
//! ## The chain cache
//! Verifying the CA's signature over a certificate is an RSA operation, as costly as
//! verifying the card's signature, and a facility sees the same cards again and again. So
//! [`TrustAnchors`] remembers, for the last [`DEFAULT_CHAIN_CACHE`] certificates that
//! chained (keyed by the SHA-256 of their DER, the bytes compared in full on a hit), the
//! parsed leaf and which anchor it chained to. A hit skips parsing and the CA signature;
//! nothing else:
//! - the leaf's and the anchor's validity are checked against the request's time on every
//!   hit, exactly as [`x509::verify_chain`] checks them; when either fails the full
//!   verification runs and answers (so an expired certificate gets the same error as
//!   without a cache);
//! - the JPKI profile is checked on every request, and revocation against the current CRL
//!   of the anchor it chained to on every request by the caller;
//! - only successes are remembered (a failure is verified again next time).
//!
//! This is sound because everything else [`x509::verify_chain`] decides is a function of
//! the certificate's bytes and the anchors alone, both fixed for a cache entry: the
//! signature over identical bytes by the same key verifies identically forever, as do the
//! names, the key sizes, the extensions and the CA constraints. The anchors of a
//! [`TrustAnchors`] never change after it is built (a new set gets a new, empty cache).
//! `--certificate-cache 0` (or `MYNA_DEMO_CERTIFICATE_CACHE=0`) turns it off, to measure
//! without it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use myna_core::auth::{self, AuthError};
use myna_core::profile::AuthAlgorithm;
use myna_core::x509::{
    self, CertificateInfo, ChainError, PublicKey, SignatureError, TrustAnchor, VerifiedPath,
};
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

use crate::errors::ErrorCode;
use crate::revocation::IssuerKey;

/// Why trust anchors could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustAnchorError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file is neither a DER nor a PEM certificate.
    #[error("{path}: not a DER or PEM X.509 certificate: {reason}")]
    NotACertificate {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        reason: String,
    },
    /// No anchors.
    #[error("no trust anchors")]
    Empty,
}

/// How many verified chains [`TrustAnchors`] remembers unless told otherwise.
pub const DEFAULT_CHAIN_CACHE: usize = 1024;

/// The certificates a confirmation's certificate must chain to, with the cache of chains
/// verified to them (see the [module documentation](self)). Clones share the cache.
#[derive(Debug, Clone)]
pub struct TrustAnchors {
    anchors: Arc<Vec<TrustAnchor>>,
    chains: Option<Arc<ChainCache>>,
}

/// The chain cache's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChainCacheStats {
    /// Certificates served from the cache.
    pub hits: u64,
    /// Certificates verified in full (not cached, or no longer valid at the request's time).
    pub misses: u64,
    /// Chains remembered now.
    pub entries: usize,
    /// The most it remembers.
    pub capacity: usize,
}

/// Verified chains by the SHA-256 of the leaf's DER, least recently used evicted first.
struct ChainCache {
    capacity: usize,
    state: Mutex<CacheState>,
}

#[derive(Default)]
struct CacheState {
    entries: HashMap<[u8; 32], CachedChain>,
    /// Advances on every use; an entry's `last_used` orders evictions.
    tick: u64,
    hits: u64,
    misses: u64,
}

struct CachedChain {
    leaf: Arc<CertificateInfo>,
    anchor: usize,
    last_used: u64,
}

impl std::fmt::Debug for ChainCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainCache")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl ChainCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, CacheState> {
        // Nothing in the state can be left half-updated by a panic.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl TrustAnchors {
    /// Anchors from DER certificates.
    pub fn from_der<'a>(
        ders: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<Self, TrustAnchorError> {
        let anchors = ders
            .into_iter()
            .map(|der| {
                TrustAnchor::from_der(der).map_err(|e| TrustAnchorError::NotACertificate {
                    path: PathBuf::from("<embedded>"),
                    reason: e.to_string(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(anchors)
    }

    /// Anchors from files, each a DER or PEM (`-----BEGIN CERTIFICATE-----`) certificate.
    pub fn from_files(paths: &[PathBuf]) -> Result<Self, TrustAnchorError> {
        let anchors = paths
            .iter()
            .map(|path| load_file(path))
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(anchors)
    }

    fn new(anchors: Vec<TrustAnchor>) -> Result<Self, TrustAnchorError> {
        if anchors.is_empty() {
            return Err(TrustAnchorError::Empty);
        }
        Ok(Self {
            anchors: Arc::new(anchors),
            chains: None,
        }
        .with_chain_cache(DEFAULT_CHAIN_CACHE))
    }

    /// The same anchors with a new, empty cache of at most `capacity` verified chains
    /// (`0`: no cache, every certificate is verified in full).
    pub fn with_chain_cache(mut self, capacity: usize) -> Self {
        self.chains = (capacity > 0).then(|| {
            Arc::new(ChainCache {
                capacity,
                state: Mutex::new(CacheState::default()),
            })
        });
        self
    }

    /// The chain cache's counters (`None` without a cache).
    pub fn chain_cache_stats(&self) -> Option<ChainCacheStats> {
        let cache = self.chains.as_ref()?;
        let state = cache.lock();
        Some(ChainCacheStats {
            hits: state.hits,
            misses: state.misses,
            entries: state.entries.len(),
            capacity: cache.capacity,
        })
    }

    /// The anchors.
    pub fn as_slice(&self) -> &[TrustAnchor] {
        &self.anchors
    }

    /// The leaf of `der`'s chain verified earlier, when the leaf and the anchor it chained
    /// to are both valid at `at` (what [`x509::verify_chain`] checks against the time).
    fn remembered(
        &self,
        key: &[u8; 32],
        der: &[u8],
        at: i64,
    ) -> Option<(Arc<CertificateInfo>, usize)> {
        let cache = self.chains.as_ref()?;
        let mut state = cache.lock();
        state.tick += 1;
        let tick = state.tick;
        let found = state.entries.get_mut(key).and_then(|entry| {
            let anchor = self.anchors.get(entry.anchor)?.certificate();
            let usable =
                entry.leaf.der() == der && entry.leaf.is_valid_at(at) && anchor.is_valid_at(at);
            usable.then(|| {
                entry.last_used = tick;
                (Arc::clone(&entry.leaf), entry.anchor)
            })
        });
        if found.is_some() {
            state.hits += 1;
        } else {
            state.misses += 1;
        }
        found
    }

    /// Remembers that `leaf` (whose DER's SHA-256 is `key`) chained to anchor `anchor`.
    fn remember(&self, key: [u8; 32], leaf: &Arc<CertificateInfo>, anchor: usize) {
        let Some(cache) = self.chains.as_ref() else {
            return;
        };
        let mut state = cache.lock();
        if !state.entries.contains_key(&key) && state.entries.len() >= cache.capacity {
            let oldest = state
                .entries
                .iter()
                .min_by_key(|(_, entry)| entry.last_used)
                .map(|(key, _)| *key);
            if let Some(oldest) = oldest {
                state.entries.remove(&oldest);
            }
        }
        state.tick += 1;
        let last_used = state.tick;
        state.entries.insert(
            key,
            CachedChain {
                leaf: Arc::clone(leaf),
                anchor,
                last_used,
            },
        );
    }
}

fn load_file(path: &Path) -> Result<TrustAnchor, TrustAnchorError> {
    let bytes = std::fs::read(path).map_err(|source| TrustAnchorError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let not_a_certificate = |reason: String| TrustAnchorError::NotACertificate {
        path: path.to_path_buf(),
        reason,
    };
    let der = if bytes.trim_ascii_start().starts_with(b"-----BEGIN") {
        let (label, der) =
            der::pem::decode_vec(&bytes).map_err(|e| not_a_certificate(e.to_string()))?;
        if label != "CERTIFICATE" {
            return Err(not_a_certificate(format!(
                "PEM label {label}, not CERTIFICATE"
            )));
        }
        der
    } else {
        bytes
    };
    TrustAnchor::from_der(&der).map_err(|e| not_a_certificate(e.to_string()))
}

/// A certificate that passed [`check_certificate`].
#[derive(Debug, Clone)]
pub struct CheckedCertificate {
    info: Arc<CertificateInfo>,
    issuer: IssuerKey,
}

impl CheckedCertificate {
    /// The serial in the stored form (upper-case hex, see [`crate::store::normalize_serial`]).
    pub fn serial(&self) -> &str {
        &self.info.serial
    }

    /// notAfter.
    pub fn not_after(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(self.info.not_after)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// What the certificate says.
    pub fn info(&self) -> &CertificateInfo {
        &self.info
    }

    /// The identity of the trust anchor its chain verified to: the CA whose CRL says
    /// whether it is revoked.
    pub fn issuer_key(&self) -> IssuerKey {
        self.issuer
    }
}

/// Checks a card's user-authentication certificate at `now`: it parses, chains to one of
/// `anchors` within its validity (from the chain cache when it verified before and the
/// leaf and its anchor are still valid at `now`), and has the JPKI auth profile.
pub fn check_certificate(
    anchors: &TrustAnchors,
    der: &[u8],
    now: OffsetDateTime,
) -> Result<CheckedCertificate, ErrorCode> {
    let at = now.unix_timestamp();
    let key: [u8; 32] = Sha256::digest(der).into();
    let (info, anchor) = match anchors.remembered(&key, der, at) {
        Some(remembered) => remembered,
        None => {
            let path = match x509::verify_chain(der, &[], anchors.as_slice(), at) {
                Err(ChainError::Expired {
                    depth: 0,
                    not_after,
                }) => in_grace(der, anchors, not_after, now)?,
                other => other.map_err(|err| chain_error_code(&err))?,
            };
            let VerifiedPath {
                certificates,
                anchor_index,
                ..
            } = path;
            let leaf = certificates
                .into_iter()
                .next()
                .map(Arc::new)
                .ok_or(ErrorCode::Internal)?;
            anchors.remember(key, &leaf, anchor_index);
            (leaf, anchor_index)
        }
    };
    let issuer = anchors
        .as_slice()
        .get(anchor)
        .map(|anchor| IssuerKey::of(anchor.certificate()))
        .ok_or(ErrorCode::Internal)?;
    info.check_jpki_auth().map_err(|err| {
        tracing::info!(%err, "certificate profile refused");
        ErrorCode::CertificateProfile
    })?;
    Ok(CheckedCertificate { info, issuer })
}

/// The chain of an expired leaf, verified as of its `notAfter` while the national system
/// still gives 資格情報 for it ([`crate::validity`]); `MW0008` after that.
fn in_grace(
    der: &[u8],
    anchors: &TrustAnchors,
    not_after: i64,
    now: OffsetDateTime,
) -> Result<VerifiedPath, ErrorCode> {
    let expired =
        OffsetDateTime::from_unix_timestamp(not_after).map_err(|_| ErrorCode::Internal)?;
    let at =
        crate::validity::verification_time(expired, now).ok_or(ErrorCode::CertificateExpired)?;
    x509::verify_chain(der, &[], anchors.as_slice(), at.unix_timestamp())
        .map_err(|err| chain_error_code(&err))
}

/// The error code for a chain failure: the leaf's own validity gets its own codes;
/// anything wrong further up means the certificate is not trusted.
pub fn chain_error_code(err: &ChainError) -> ErrorCode {
    tracing::info!(%err, "certificate chain refused");
    match err {
        ChainError::Leaf(_) => ErrorCode::CertificateMalformed,
        ChainError::Expired { depth: 0, .. } => ErrorCode::CertificateExpired,
        ChainError::NotYetValid { depth: 0, .. } => ErrorCode::CertificateNotYetValid,
        ChainError::UnsupportedCriticalExtension { depth: 0, .. } => ErrorCode::CertificateProfile,
        ChainError::NoTrustAnchors => ErrorCode::Internal,
        _ => ErrorCode::UntrustedCertificate,
    }
}

/// Checks the token's signature over the authentication message for `origin` and `nonce`
/// with the certificate's key, by `algorithm` (the one the bridge named, issue 14 item 5):
///
/// | `algorithm` | the certificate's key | verified as |
/// |---|---|---|
/// | `RS256` | RSA (≥ 2048 bits) | RSASSA-PKCS1-v1_5 / SHA-256 ([`myna_core::auth::verify_auth_signature`]) |
/// | `ES384` | EC P-384 | ECDSA P-384 / SHA-384 over the same message, `r ‖ s` (96 bytes), RustCrypto `p384` |
/// | any other pairing | | `MW0040` [`ErrorCode::AlgorithmMismatch`], the signature not looked at |
///
/// `ES384` is verified here and not in the core, which the browser module links and which
/// verifies no EC signature (`myna_core::x509::PublicKey::EcP384`).
pub fn check_signature(
    certificate: &CheckedCertificate,
    algorithm: AuthAlgorithm,
    origin: &str,
    nonce: &str,
    signature: &[u8],
) -> Result<(), ErrorCode> {
    let refused = |err: AuthError| match err {
        AuthError::Signature(_) => ErrorCode::BadSignature,
        _ => ErrorCode::BadRequest,
    };
    match (algorithm, &certificate.info.public_key) {
        (AuthAlgorithm::Rs256, PublicKey::Rsa(_)) => {
            auth::verify_auth_signature(&*certificate.info, origin, nonce, signature)
                .map_err(refused)
        }
        (AuthAlgorithm::Es384, PublicKey::EcP384(point)) => {
            verify_es384(point, origin, nonce, signature).map_err(refused)
        }
        (algorithm, key) => {
            tracing::info!(
                %algorithm,
                key = key.algorithm(),
                "signature algorithm does not match the certificate's key"
            );
            Err(ErrorCode::AlgorithmMismatch)
        }
    }
}

/// ES384 over [`auth::auth_message`]: the origin and the nonce validated as for RS256, the
/// signature `r ‖ s` of 48 bytes each (the JOSE form), verified with the P-384 point (an
/// off-curve point or a signature of another length does not verify).
fn verify_es384(
    point: &[u8],
    origin: &str,
    nonce: &str,
    signature: &[u8],
) -> Result<(), AuthError> {
    use p384::ecdsa::signature::Verifier as _;
    auth::validate_origin(origin)?;
    auth::validate_nonce(nonce)?;
    let invalid = AuthError::Signature(SignatureError::Invalid);
    let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(|_| invalid)?;
    let signature = p384::ecdsa::Signature::from_slice(signature).map_err(|_| invalid)?;
    key.verify(&auth::auth_message(origin, nonce), &signature)
        .map_err(|_| invalid)
}

/// A nonce must look like one this service issues (base64url, 43–128 characters).
pub fn check_nonce_syntax(nonce: &str) -> Result<(), ErrorCode> {
    myna_core::auth::validate_nonce(nonce).map_err(|_| ErrorCode::BadRequest)
}

/// An origin must be an ASCII serialised web origin (`https://host[:port]`).
pub fn check_origin_syntax(origin: &str) -> Result<(), ErrorCode> {
    myna_core::auth::validate_origin(origin).map_err(|_| ErrorCode::BadRequest)
}

/// A 保険者番号 with a valid check digit; returns its normalised digits.
pub fn check_insurer_number(input: &str) -> Result<String, ErrorCode> {
    myna_core::identifiers::InsurerNumber::parse(input)
        .map(|n| n.as_str().to_owned())
        .map_err(|_| ErrorCode::InvalidInsurerNumber)
}

/// Standard base64 with or without padding (what the bridge sends), at most `max` bytes
/// decoded.
pub fn decode_base64(text: &str, max: usize) -> Option<Vec<u8>> {
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    if text.len() > max.div_ceil(3) * 4 + 4 {
        return None;
    }
    let bytes = LENIENT.decode(text.trim()).ok()?;
    (!bytes.is_empty() && bytes.len() <= max).then_some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn persona_certificates() -> Vec<Vec<u8>> {
        let personas = myna_personas::Personas::embedded();
        let mut certificates: Vec<Vec<u8>> =
            personas.iter().map(|p| p.auth_cert_der.clone()).collect();
        // A CA certificate (chains, fails the profile) and a certificate with one bit
        // flipped in its signature (fails the chain).
        certificates.push(personas.ca_cert_der().to_vec());
        let mut tampered = personas.iter().next().unwrap().auth_cert_der.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        certificates.push(tampered);
        certificates
    }

    fn outcome(anchors: &TrustAnchors, der: &[u8], at: i64) -> Result<String, ErrorCode> {
        let now = OffsetDateTime::from_unix_timestamp(at).unwrap();
        check_certificate(anchors, der, now).map(|c| c.serial().to_owned())
    }

    #[test]
    fn the_cache_answers_as_a_full_verification_would() {
        let personas = myna_personas::Personas::embedded();
        let cached = crate::personas::trust_anchors(&personas).unwrap();
        let uncached = cached.clone().with_chain_cache(0);
        assert!(uncached.chain_cache_stats().is_none());
        let certificates = persona_certificates();
        // Every certificate's own bounds and just outside them, and dates around them.
        let mut times: Vec<i64> = vec![
            1_780_272_000, // 2026-06-01
            1_735_689_600, // 2025-01-01
            4_102_444_800, // 2100-01-01
        ];
        for der in &certificates {
            if let Ok(info) = x509::parse_certificate(der) {
                times.extend([
                    info.not_before - 1,
                    info.not_before,
                    info.not_after,
                    info.not_after + 1,
                ]);
            }
        }
        // Warm the cache at every time (whatever verified once is remembered), then ask
        // again at every time: the answers never differ from a full verification.
        for round in 0..2 {
            for &at in &times {
                for der in &certificates {
                    assert_eq!(
                        outcome(&cached, der, at),
                        outcome(&uncached, der, at),
                        "round {round}, at {at}"
                    );
                }
            }
        }
        let stats = cached.chain_cache_stats().unwrap();
        assert!(stats.hits > 0 && stats.misses > 0, "{stats:?}");
        assert!(stats.entries <= certificates.len());
    }

    #[test]
    fn the_least_recently_used_chain_is_forgotten_first() {
        let personas = myna_personas::Personas::embedded();
        let anchors = crate::personas::trust_anchors(&personas)
            .unwrap()
            .with_chain_cache(2);
        let at = 1_780_272_000; // 2026-06-01, when these three are valid
        let [a, b, c] = ["default", "kokuho", "kouki"]
            .map(|name| personas.get(name).unwrap().auth_cert_der.clone());
        let stats = || anchors.chain_cache_stats().unwrap();
        outcome(&anchors, &a, at).unwrap();
        outcome(&anchors, &b, at).unwrap();
        outcome(&anchors, &a, at).unwrap(); // a is now the most recent
        assert_eq!((stats().hits, stats().misses), (1, 2));
        outcome(&anchors, &c, at).unwrap(); // forgets b
        assert_eq!(stats().entries, 2);
        outcome(&anchors, &a, at).unwrap();
        assert_eq!((stats().hits, stats().misses), (2, 3));
        outcome(&anchors, &b, at).unwrap();
        assert_eq!((stats().hits, stats().misses), (2, 4));
        assert_eq!(stats().capacity, 2);
    }

    /// A certificate whose cRLDistributionPoints or authorityKeyIdentifier does not decode is
    /// malformed to the service (the core's checked parse, through `verify_chain`), although
    /// the browser module's lazy parse shows it; it is refused before its (now broken)
    /// signature is looked at, and never remembered.
    #[test]
    fn a_malformed_crl_dp_or_aki_is_a_malformed_certificate() {
        let personas = myna_personas::Personas::embedded();
        let anchors = crate::personas::trust_anchors(&personas).unwrap();
        let good = personas.get("default").unwrap().auth_cert_der.clone();
        let at = 1_780_272_000; // 2026-06-01
        assert!(outcome(&anchors, &good, at).is_ok());
        for oid_last in [0x1f, 0x23] {
            // The extension's value (after OID 2.5.29.<oid_last> and its OCTET STRING header)
            // a SET instead of a SEQUENCE: every length still right.
            let oid = [0x06, 0x03, 0x55, 0x1d, oid_last];
            let at_oid = good.windows(5).position(|w| w == oid).unwrap() + 5;
            assert_eq!(good[at_oid], 0x04, "not critical: the OCTET STRING");
            let value = match good[at_oid + 1] {
                len @ 0x80.. => at_oid + 2 + usize::from(len & 0x7f),
                _ => at_oid + 2,
            };
            let mut bad = good.clone();
            assert_eq!(bad[value], 0x30);
            bad[value] = 0x31;
            assert!(x509::parse_certificate_lazy(&bad).is_ok());
            for _ in 0..2 {
                assert_eq!(
                    outcome(&anchors, &bad, at),
                    Err(ErrorCode::CertificateMalformed)
                );
            }
        }
        let stats = anchors.chain_cache_stats().unwrap();
        assert_eq!(stats.entries, 1, "only the good one is remembered");
    }

    #[test]
    fn base64_is_bounded_and_lenient_about_padding() {
        assert_eq!(decode_base64("AQID", 3), Some(vec![1, 2, 3]));
        assert_eq!(decode_base64("AQI=", 3), Some(vec![1, 2]));
        assert_eq!(decode_base64("AQI", 3), Some(vec![1, 2]));
        assert_eq!(decode_base64("AQIDBA==", 3), None);
        assert_eq!(decode_base64("", 3), None);
        assert_eq!(decode_base64("!!!!", 3), None);
    }

    #[test]
    fn insurer_numbers_need_their_check_digit() {
        assert_eq!(check_insurer_number("  138057"), Ok("138057".to_owned()));
        assert_eq!(check_insurer_number("01130012"), Ok("01130012".to_owned()));
        assert_eq!(
            check_insurer_number("01130013"),
            Err(ErrorCode::InvalidInsurerNumber)
        );
        assert_eq!(
            check_insurer_number("0113"),
            Err(ErrorCode::InvalidInsurerNumber)
        );
    }
}
