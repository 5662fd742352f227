//! Path building and verification from a leaf to one of the caller's trust anchors
//! ([`verify_chain`]); see the [module documentation](super) for the checks.

use super::certificate::{CertificateInfo, parse_certificate};
use super::error::{CertificateError, ChainError};
use super::names::names_match;
use super::signature::{SignatureAlgorithm, verify_signed};
use super::{MAX_PATH_LEN, MIN_RSA_BITS};

/// A trust anchor: a CA certificate the caller trusts (e.g. one of the J-LIS
/// 利用者証明用 root generations).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustAnchor {
    pub(super) certificate: CertificateInfo,
}

impl TrustAnchor {
    /// Makes a trust anchor of a DER certificate. Nothing is verified here; being an anchor
    /// is the caller's decision. [`verify_chain`] still requires the anchor to be a CA, valid
    /// at the given time, and allowed to sign certificates.
    pub fn from_der(der: &[u8]) -> Result<Self, CertificateError> {
        parse_certificate(der).map(|certificate| Self { certificate })
    }

    /// The anchor's certificate.
    pub fn certificate(&self) -> &CertificateInfo {
        &self.certificate
    }
}

/// A verified path.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedPath {
    /// The certificates, leaf first, anchor last.
    pub certificates: Vec<CertificateInfo>,
    /// The position of the anchor in the `anchors` argument.
    pub anchor_index: usize,
}

impl VerifiedPath {
    /// The leaf.
    pub fn leaf(&self) -> &CertificateInfo {
        &self.certificates[0]
    }

    /// The anchor's certificate.
    pub fn anchor(&self) -> &CertificateInfo {
        &self.certificates[self.certificates.len() - 1]
    }
}

/// Verifies `leaf_der` up to one of `anchors`, through any of `intermediates`, at `at_unix`.
///
/// See the [module documentation](self) for the checks. When several paths fail, the error
/// reported is from the one that got furthest: a failure after a signature verified beats a
/// bad signature, which beats an unknown issuer.
pub fn verify_chain(
    leaf_der: &[u8],
    intermediates: &[&[u8]],
    anchors: &[TrustAnchor],
    at_unix: i64,
) -> Result<VerifiedPath, ChainError> {
    let leaf = parse_certificate(leaf_der).map_err(ChainError::Leaf)?;
    let intermediates = intermediates
        .iter()
        .enumerate()
        .map(|(index, der)| {
            parse_certificate(der)
                .map_err(|source| ChainError::MalformedIntermediate { index, source })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if anchors.is_empty() {
        return Err(ChainError::NoTrustAnchors);
    }
    check_own(&leaf, 0, at_unix, true)?;

    let builder = PathBuilder {
        intermediates: &intermediates,
        anchors,
        at: at_unix,
    };
    let mut used = vec![false; intermediates.len()];
    let mut path = Vec::new();
    let anchor_index = builder.extend(&leaf, 0, 0, &mut used, &mut path)?;

    let mut certificates = Vec::with_capacity(path.len() + 2);
    certificates.push(leaf);
    certificates.extend(path.iter().map(|&i| intermediates[i].clone()));
    certificates.push(anchors[anchor_index].certificate.clone());
    Ok(VerifiedPath {
        certificates,
        anchor_index,
    })
}

/// Checks a certificate on its own: validity at `at`, signature algorithm, and (unless it is
/// an anchor) unknown critical extensions.
fn check_own(
    cert: &CertificateInfo,
    depth: usize,
    at: i64,
    extensions: bool,
) -> Result<(), ChainError> {
    if at < cert.not_before {
        return Err(ChainError::NotYetValid {
            depth,
            not_before: cert.not_before,
        });
    }
    if at > cert.not_after {
        return Err(ChainError::Expired {
            depth,
            not_after: cert.not_after,
        });
    }
    if extensions {
        if let Some(&oid) = cert.unknown_critical_extensions.first() {
            return Err(ChainError::UnsupportedCriticalExtension { depth, oid });
        }
    }
    Ok(())
}

struct PathBuilder<'a> {
    intermediates: &'a [CertificateInfo],
    anchors: &'a [TrustAnchor],
    at: i64,
}

impl PathBuilder<'_> {
    /// Finds an issuer for `child` (at `depth`), recursing through unused intermediates;
    /// `below` counts the non-self-issued intermediates between `child` and the leaf,
    /// `child` included when it is one. Returns the anchor index; `path` holds the
    /// intermediates used.
    fn extend(
        &self,
        child: &CertificateInfo,
        depth: usize,
        below: usize,
        used: &mut [bool],
        path: &mut Vec<usize>,
    ) -> Result<usize, ChainError> {
        let mut best = ChainError::UnknownIssuer { depth };
        if let SignatureAlgorithm::Other(oid) = child.signature_algorithm {
            return Err(ChainError::UnsupportedSignatureAlgorithm { depth, oid });
        }
        if depth + 2 > MAX_PATH_LEN {
            return Err(ChainError::PathTooLong);
        }
        for (index, anchor) in self.anchors.iter().enumerate() {
            let issuer = &anchor.certificate;
            if !names_match(&child.issuer_name, &issuer.subject_name) {
                continue;
            }
            match self.check_issuer(child, depth, issuer, below, true) {
                Ok(()) => return Ok(index),
                Err(e) => best = more_telling(best, Failure::Here(e)),
            }
        }
        for index in 0..self.intermediates.len() {
            let issuer = &self.intermediates[index];
            if used[index] || !names_match(&child.issuer_name, &issuer.subject_name) {
                continue;
            }
            if let Err(e) = self.check_issuer(child, depth, issuer, below, false) {
                best = more_telling(best, Failure::Here(e));
                continue;
            }
            used[index] = true;
            path.push(index);
            let below = below + usize::from(!issuer.is_self_issued());
            match self.extend(issuer, depth + 1, below, used, path) {
                Ok(anchor) => return Ok(anchor),
                // A failure further up still got past this link's signature.
                Err(e) => best = more_telling(best, Failure::Beyond(e)),
            }
            path.pop();
            used[index] = false;
        }
        Err(best)
    }

    fn check_issuer(
        &self,
        child: &CertificateInfo,
        depth: usize,
        issuer: &CertificateInfo,
        below: usize,
        is_anchor: bool,
    ) -> Result<(), ChainError> {
        let issuer_depth = depth + 1;
        if issuer.key_bits < MIN_RSA_BITS {
            return Err(ChainError::WeakKey {
                depth: issuer_depth,
                bits: issuer.key_bits,
            });
        }
        verify_signed(
            &issuer.public_key,
            child.signature_algorithm,
            &child.tbs_der,
            &child.signature,
        )
        .map_err(|_| ChainError::BadSignature { depth })?;
        check_own(issuer, issuer_depth, self.at, !is_anchor)?;
        if !issuer.basic_constraints.is_some_and(|b| b.ca) {
            return Err(ChainError::NotACa {
                depth: issuer_depth,
            });
        }
        if issuer.key_usage.is_some_and(|k| !k.key_cert_sign) {
            return Err(ChainError::NotACertificateSigner {
                depth: issuer_depth,
            });
        }
        if let Some(limit) = issuer.basic_constraints.and_then(|b| b.path_len) {
            if below > usize::from(limit) {
                return Err(ChainError::PathLengthExceeded {
                    depth: issuer_depth,
                });
            }
        }
        Ok(())
    }
}

/// A failed attempt to extend a path by one issuer.
enum Failure {
    /// The candidate issuer itself failed.
    Here(ChainError),
    /// The candidate passed; the path failed further up.
    Beyond(ChainError),
}

/// Of two failures, the one from the attempt that got further (see [`verify_chain`]); the
/// earlier one when they got equally far.
fn more_telling(current: ChainError, new: Failure) -> ChainError {
    let rank = |e: &ChainError| match e {
        ChainError::UnknownIssuer { .. } => 0,
        ChainError::BadSignature { .. } => 1,
        _ => 2,
    };
    let (new, new_rank) = match new {
        Failure::Here(e) => {
            let r = rank(&e);
            (e, r)
        }
        Failure::Beyond(e) => (e, 2),
    };
    if new_rank > rank(&current) {
        new
    } else {
        current
    }
}
