//! X.509 for the My Number Card: the user-authentication certificate (利用者証明用電子証明書),
//! chain verification to given trust anchors at a given time, CRLs, and RS256 signatures.
//!
//! Pure: the caller passes the DER bytes, the trust anchors and the time (`at_unix`, seconds
//! since 1970-01-01T00:00:00Z). Nothing here reads a clock, a file or the network.
//!
//! ## What is checked where
//! - [`parse_certificate`] decodes one DER certificate (rejecting trailing bytes), and
//!   extracts what a caller needs: serial, names, validity, the key (RSA, or EC on P-384:
//!   parsed and shown, never used to verify here, see [`PublicKey::EcP384`]), key usage, extended
//!   key usage, policies, CRL distribution points, basic constraints and key identifiers
//!   (CRL distribution points and the authority key identifier through accessors that decode
//!   them; [`parse_certificate_lazy`] leaves both undecoded until asked).
//! - [`parse_certificate_view`] reads, for showing a certificate (the browser module's
//!   `parseCertificate`), the facts a page shows ([`CertificateView`]) with `der`'s primitives
//!   instead of `x509-cert`'s derived structures: it refuses what [`parse_certificate_lazy`]
//!   refuses and reads the same facts (tests and the `x509` fuzz target compare them).
//!   [`CertificateInfo::check_jpki_auth`] tells whether it has the JPKI authentication
//!   profile.
//! - [`verify_chain`] builds a path from a leaf to one of the [`TrustAnchor`]s through the
//!   given intermediates. **Issuers are matched by signature**: J-LIS root generations share
//!   one distinguished name, so a name only narrows the candidates (compared the RFC 5280
//!   §7.1 way: case-insensitive, whitespace-collapsed), and every candidate whose name
//!   matches is tried until one's signature verifies and every other check passes. For each
//!   certificate on the path it checks the validity period at `at_unix` (both ends
//!   inclusive), the signature algorithm (RSASSA-PKCS1-v1_5 with SHA-256/384/512), issuers'
//!   RSA keys of at least [`MIN_RSA_BITS`] (an EC issuer is refused), unknown critical extensions, and, for every issuer,
//!   basicConstraints `cA`, keyUsage `keyCertSign` (when key usage is present) and
//!   `pathLenConstraint`.
//! - [`Crl`] parses a CRL, verifies its signature against an issuer and answers "is this
//!   serial listed?". Whether a CRL is recent enough is the caller's policy
//!   ([`Crl::check_time`] helps).
//! - [`verify_rs256`] verifies an RSASSA-PKCS1-v1_5 SHA-256 signature (what the card makes
//!   over the authentication message, see [`crate::auth`]).
//!
//! ## What it does not do
//! No policy-tree processing (policies are reported, [`CertificateInfo::check_jpki_auth`]
//! checks the JPKI one), no name constraints (a certificate marking them critical is
//! rejected as an unknown critical extension), no revocation fetching, no PEM.
//!
//! ## Layout
//! Certificate parsing and the profile check live in `certificate.rs`, path building in
//! `chain.rs`, CRLs in `crl.rs`, distinguished names in `names.rs`, keys and
//! signature verification in `signature.rs`, the display-only reader in `view.rs`, every error enum in `error.rs`; `decode.rs` holds what certificates and CRLs
//! share in decoding and `time.rs` the unix-seconds/ISO 8601 conversions (`der`'s
//! calendar). Every public item is re-exported here: `myna_core::x509::…` is the one path.

use const_oid::ObjectIdentifier;

mod certificate;
mod chain;
mod crl;
mod decode;
mod error;
mod names;
mod signature;
mod time;
mod view;

pub use certificate::{
    BasicConstraints, CertificateInfo, CrlLocation, KeyUsage, parse_certificate,
    parse_certificate_lazy,
};
pub use chain::{TrustAnchor, VerifiedPath, verify_chain};
pub use crl::{Crl, RevokedCertificate};
pub use error::{CertificateError, ChainError, CrlError, JpkiProfileError, SignatureError};
pub use names::{DistinguishedName, NameAttribute};
pub use signature::{KeyKind, P384_POINT_LEN, PublicKey, SignatureAlgorithm, verify_rs256};
pub use time::iso8601_utc;
pub use view::{CertificateView, parse_certificate_view};

/// The JPKI user-authentication certificate policy (利用者証明用), `1.2.392.200149.8.5.1.0.30`.
pub const JPKI_AUTH_POLICY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.1.0.30");

/// The smallest RSA modulus accepted anywhere in this module, in bits (the card's size).
pub const MIN_RSA_BITS: usize = 2048;

/// The longest path [`verify_chain`] builds, leaf and anchor included.
pub const MAX_PATH_LEN: usize = 8;
