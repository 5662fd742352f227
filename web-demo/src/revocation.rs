//! Revocation, checked the way a relying party must: against the issuing CA's own CRL,
//! verified, fresh, and keyed by issuer **and** serial.
//!
//! ## What a confirmation is checked against
//! Each trust anchor (a J-LIS 利用者証明用 CA generation; the personas' test CA here) has at
//! most one current CRL. A CRL counts only once its signature verified with a trust anchor
//! whose subject is the CRL's issuer ([`VerifiedCrl::verify`]; J-LIS generations share one
//! DN, so every anchor of that name is tried and the one whose key verifies is the issuer).
//! The CRL is then filed under that anchor's identity, [`IssuerKey`]: the SHA-256 of the
//! anchor certificate's SubjectPublicKeyInfo — not its name, which both generations share.
//!
//! A card's certificate names its issuer by DN too, so the CA that verified the chain
//! ([`crate::verify::CheckedCertificate::issuer_key`]) picks the CRL. Then, at the request's
//! time from the service's [`crate::clock::Clock`]:
//! 1. no verified CRL of that CA → **`MW0034`** (revocation cannot be checked; never a pass);
//! 2. the serial is listed → **`MW0009`** (revoked; a listing stays true after nextUpdate);
//! 3. the request's time is outside the CRL's thisUpdate..=nextUpdate → **`MW0033`** (the
//!    CRL is not current: an operator must load a newer one);
//! 4. otherwise the certificate is not revoked.
//!
//! So a certificate of the old CA generation with the same serial as a revoked certificate
//! of the new one is not refused, and the reverse: the serials of two CAs never mix.
//!
//! ## Loading and replacing CRLs
//! CRLs live in the database (`crls`, one row per [`IssuerKey`]; [`crate::store::crls`]).
//! `myna-demo crl load FILE` ([`load`]) verifies a CRL against the trust anchors, refuses
//! it if it is not current at the system time, or older than the stored one of the same CA,
//! stores it and bumps a generation counter. A running service reads that counter in the
//! first database job of every confirmation; when it differs from the generation it holds,
//! it reads every stored CRL, verifies each again against **its own** trust anchors (a row
//! that does not verify is dropped with a warning, so its CA's certificates get `MW0034`),
//! and swaps the new set in ([`Revocations::check`]). The first confirmation that starts
//! after `crl load` committed uses the new CRL; no restart, no file watching.
//!
//! A new database is seeded with the personas' CRL (verified against the personas' CA); an
//! older database that has no CRL of that CA gets it when opened.
//!
//! ## What it does not do
//! No fetching (the CRL distribution points are not contacted), no OCSP, no delta CRLs, and
//! no partitioned CRLs: a CRL with an issuingDistributionPoint covers only part of its CA's
//! certificates (the real J-LIS CRLs are split by municipality), so "not listed" would not
//! mean "not revoked"; such a CRL is refused when loaded. A deployment against the real
//! J-LIS CAs needs a combined CRL per CA (or this module extended to scopes).
//!
//! ## Cost
//! Per confirmation: one counter read inside a job that runs anyway, a hash-map and a
//! hash-set lookup. The RSA verification of a CRL runs once per load, on the blocking pool.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use myna_core::x509::{CertificateInfo, Crl, CrlError, iso8601_utc};
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

use crate::db::Db;
use crate::errors::ErrorCode;
use crate::store::crls::{self, StoreCrlError, Stored};
use crate::store::{StoreError, atomically};
use crate::verify::TrustAnchors;

/// A CA's identity: the SHA-256 of its certificate's DER SubjectPublicKeyInfo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IssuerKey([u8; 32]);

impl IssuerKey {
    /// The identity of the CA `ca`.
    pub fn of(ca: &CertificateInfo) -> Self {
        Self(Sha256::digest(&ca.spki_der).into())
    }

    /// Lower-case hex, as stored and shown.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl std::fmt::Display for IssuerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Why a CRL is not used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CrlRefusal {
    /// Not a DER CRL this service can read.
    #[error("not a usable CRL: {0}")]
    Malformed(CrlError),
    /// No trust anchor has the CRL's issuer as its subject.
    #[error("no trust anchor is the CRL's issuer ({issuer})")]
    UnknownIssuer {
        /// The CRL's issuer DN.
        issuer: String,
    },
    /// Trust anchors have the issuer's name, but none of their keys verifies the CRL (or
    /// none may sign CRLs): forged, corrupted, or from a CA that is not trusted.
    #[error("the CRL's signature does not verify with any trust anchor named {issuer}: {reason}")]
    BadSignature {
        /// The CRL's issuer DN.
        issuer: String,
        /// The last anchor's reason.
        reason: CrlError,
    },
    /// The CRL carries an issuingDistributionPoint: it covers only part of its CA.
    #[error("a partitioned CRL (issuingDistributionPoint) cannot say a certificate is not revoked")]
    Partitioned,
    /// Not current at the given time.
    #[error("the CRL is not current: {0}")]
    NotCurrent(CrlError),
}

/// A CRL whose signature verified with a trust anchor.
#[derive(Debug, Clone)]
pub struct VerifiedCrl {
    issuer_key: IssuerKey,
    crl: Crl,
    der: Vec<u8>,
    revoked: HashSet<String>,
}

impl VerifiedCrl {
    /// Parses `der` and verifies its signature with the trust anchor that issued it (every
    /// anchor whose subject is the CRL's issuer is tried). Freshness is not checked here:
    /// see [`Self::check_current`].
    pub fn verify(anchors: &TrustAnchors, der: &[u8]) -> Result<Self, CrlRefusal> {
        let crl = Crl::parse(der).map_err(CrlRefusal::Malformed)?;
        if crl.partitioned {
            return Err(CrlRefusal::Partitioned);
        }
        let mut refused = None;
        for anchor in anchors.as_slice() {
            match crl.verify_signature(anchor) {
                Ok(()) => {
                    let revoked = crl.revoked.iter().map(|r| r.serial.clone()).collect();
                    return Ok(Self {
                        issuer_key: IssuerKey::of(anchor.certificate()),
                        crl,
                        der: der.to_vec(),
                        revoked,
                    });
                }
                Err(CrlError::IssuerMismatch) => {}
                Err(other) => refused = Some(other),
            }
        }
        let issuer = crl.issuer.to_string();
        Err(match refused {
            Some(reason) => CrlRefusal::BadSignature { issuer, reason },
            None => CrlRefusal::UnknownIssuer { issuer },
        })
    }

    /// [`Self::verify`], then [`Self::check_current`] at `at`: what a CRL must pass to be
    /// loaded.
    pub fn verify_current(
        anchors: &TrustAnchors,
        der: &[u8],
        at: OffsetDateTime,
    ) -> Result<Self, CrlRefusal> {
        let crl = Self::verify(anchors, der)?;
        crl.check_current(at)?;
        Ok(crl)
    }

    /// Whether `at` lies within thisUpdate..=nextUpdate.
    pub fn check_current(&self, at: OffsetDateTime) -> Result<(), CrlRefusal> {
        self.crl
            .check_time(at.unix_timestamp())
            .map_err(CrlRefusal::NotCurrent)
    }

    /// The issuing CA's identity.
    pub fn issuer_key(&self) -> IssuerKey {
        self.issuer_key
    }

    /// Whether `serial` ([`CertificateInfo::serial`]'s form) is listed.
    pub fn lists(&self, serial: &str) -> bool {
        self.revoked.contains(serial)
    }

    /// How many certificates it lists.
    pub fn len(&self) -> usize {
        self.revoked.len()
    }

    /// Whether it lists none.
    pub fn is_empty(&self) -> bool {
        self.revoked.is_empty()
    }

    /// thisUpdate, unix seconds.
    pub fn this_update(&self) -> i64 {
        self.crl.this_update
    }

    /// nextUpdate, unix seconds.
    pub fn next_update(&self) -> Option<i64> {
        self.crl.next_update
    }

    /// cRLNumber (hex), if any.
    pub fn crl_number(&self) -> Option<&str> {
        self.crl.crl_number.as_deref()
    }

    /// The DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// One line for logs and the command line.
    pub fn describe(&self) -> String {
        format!(
            "CRL of CA {} ({}), {} entries, thisUpdate {}, nextUpdate {}",
            self.issuer_key,
            self.crl.issuer,
            self.len(),
            iso8601_utc(self.this_update()),
            self.next_update()
                .map_or_else(|| "none".to_owned(), iso8601_utc)
        )
    }
}

/// Why [`load`] did not store a CRL.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The CRL was refused.
    #[error(transparent)]
    Refused(#[from] CrlRefusal),
    /// It is older than the stored one, or the database failed.
    #[error(transparent)]
    Store(#[from] StoreCrlError),
}

/// `myna-demo crl load`: verifies `der` against `anchors`, requires it to be current at
/// `now`, and stores it as its CA's current CRL (a running service over the same database
/// uses it from its next confirmation).
pub fn load(
    db: &Db,
    anchors: &TrustAnchors,
    der: &[u8],
    now: OffsetDateTime,
) -> Result<(VerifiedCrl, Stored), LoadError> {
    let crl = VerifiedCrl::verify_current(anchors, der, now)?;
    let stored = db.call_blocking(|conn| atomically(conn, |tx| crls::store(tx, &crl, now)))?;
    tracing::info!(crl = %crl.describe(), ?stored, "CRL loaded");
    Ok((crl, stored))
}

/// The verified CRLs of one generation of the `crls` table.
#[derive(Debug, Default)]
struct Snapshot {
    /// `None` until first loaded.
    generation: Option<i64>,
    crls: HashMap<IssuerKey, VerifiedCrl>,
}

impl Snapshot {
    fn verdict(
        &self,
        issuer: &IssuerKey,
        serial: &str,
        now: OffsetDateTime,
    ) -> Result<(), ErrorCode> {
        let Some(crl) = self.crls.get(issuer) else {
            tracing::warn!(%issuer, "no verified CRL of the certificate's CA: revocation cannot be checked");
            return Err(ErrorCode::RevocationListMissing);
        };
        if crl.lists(serial) {
            return Err(ErrorCode::CertificateRevoked);
        }
        crl.check_current(now).map_err(|err| {
            tracing::warn!(%issuer, %err, "the CA's CRL is not current: revocation cannot be checked");
            ErrorCode::RevocationListNotCurrent
        })
    }
}

/// The running service's view of the `crls` table (see the [module documentation](self)).
#[derive(Debug)]
pub struct Revocations {
    anchors: TrustAnchors,
    current: RwLock<Arc<Snapshot>>,
    reloading: tokio::sync::Mutex<()>,
}

impl Revocations {
    /// Nothing loaded yet; the first [`Self::check`] loads.
    pub fn new(anchors: TrustAnchors) -> Self {
        Self {
            anchors,
            current: RwLock::new(Arc::new(Snapshot::default())),
            reloading: tokio::sync::Mutex::new(()),
        }
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        Arc::clone(&self.current.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Whether the certificate `serial` issued by `issuer` may be accepted at `now`, with
    /// the CRLs of at least `generation` (read from the database by the caller, see
    /// [`crls::generation`]).
    pub async fn check(
        &self,
        db: &Db,
        generation: i64,
        issuer: IssuerKey,
        serial: &str,
        now: OffsetDateTime,
    ) -> Result<(), ErrorCode> {
        let mut snapshot = self.snapshot();
        if snapshot.generation.is_none_or(|held| held < generation) {
            snapshot = self.reload(db, generation).await?;
        }
        snapshot.verdict(&issuer, serial, now)
    }

    /// Reads and verifies every stored CRL, unless another request did while this one
    /// waited.
    async fn reload(&self, db: &Db, generation: i64) -> Result<Arc<Snapshot>, ErrorCode> {
        let _one_at_a_time = self.reloading.lock().await;
        let snapshot = self.snapshot();
        if snapshot.generation.is_some_and(|held| held >= generation) {
            return Ok(snapshot);
        }
        let (generation, ders) = db.read(crls::load_all).await.map_err(|err: StoreError| {
            tracing::error!(%err, "cannot read the CRLs");
            err.code()
        })?;
        let anchors = self.anchors.clone();
        let crls = tokio::task::spawn_blocking(move || {
            let mut crls = HashMap::new();
            for der in ders {
                match VerifiedCrl::verify(&anchors, &der) {
                    Ok(crl) => {
                        tracing::info!(crl = %crl.describe(), "CRL in use");
                        crls.insert(crl.issuer_key(), crl);
                    }
                    Err(err) => tracing::warn!(%err, "a stored CRL is not used"),
                }
            }
            crls
        })
        .await
        .map_err(|err| {
            tracing::error!(%err, "CRL verification task failed");
            ErrorCode::Internal
        })?;
        let snapshot = Arc::new(Snapshot {
            generation: Some(generation),
            crls,
        });
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::clone(&snapshot);
        Ok(snapshot)
    }
}
