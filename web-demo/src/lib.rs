//! # myna-demo — the eligibility service simulator
//!
//! A faithful stand-in for the national eligibility service (オンライン資格確認・資格確認限定型)
//! for vendors, tests and the demo: the same data model receipt systems parse (OQS
//! `XmlMsg`), the same failure modes, real cryptographic verification, real storage.
//!
//! ## What it does
//! - **Terminals** ([`store::terminals`]): a facility's code, user ID and activation code
//!   register a device (at most 20 active per application) and yield a bearer token, of
//!   which only the SHA-256 is stored.
//! - **Challenges** ([`store::challenges`]): single-use 256-bit nonces, five minutes,
//!   bound to the terminal.
//! - **Confirmations** ([`http`], [`verify`]): PIN mode verifies the card's signature over
//!   `myna_core::auth`'s message for one of the facility's registered origins; both modes
//!   verify the user-authentication certificate (chain to the trust anchors at the current
//!   time, JPKI profile) and check revocation against the current, verified CRL of the CA
//!   the chain verified to ([`revocation`]). The insured records linked to the certificate's
//!   serial become an `XmlMsg` ([`qualification`]).
//! - **Searches**: 資格照会 by insurer number, symbol, number, branch and birth date.
//! - **Audit** ([`store::audit`]): one row per confirmation and search, committed before the
//!   answer is sent; never a PIN, a certificate, or insurance numbers.
//! - Every failure is an `XmlMsg` with `SegmentOfResult` 9 and a code from the one table in
//!   [`errors`].
//!
//! - **The reception page** ([`http`]'s `web` routes): the demo checkup-reception screen
//!   at `/`, built on the `myna-web` npm package served from `--pkg-dir` at `/pkg/…`.
//!
//! ## What it does not do
//! It never sees a PIN (the card checks it; the service sees a signature), never handles a
//! 個人番号, returns 資格情報 only (no medical, drug or checkup data), and does not talk to
//! the national system. No rate limiting of activation attempts (a deployment in front of
//! it should add one).
//!
//! ## Flow and threading
//! `main` parses flags, opens the database ([`open_database`]: migrations, seeding), builds
//! an [`AppState`] and serves [`app`]. Handlers run on tokio. Their writes go as jobs to
//! the database's writer thread, which commits the jobs of all requests in flight in one
//! transaction and one fsync ([`db::Db::write`], group commit); reads that are not part of
//! a write run on read-only connections on the blocking pool ([`db::Db::read`]). See [`db`]
//! for why and what it guarantees. Certificate and signature checks run on the blocking
//! pool, the CA's signature over a certificate remembered by [`verify`]'s chain cache. Time
//! comes only from the [`clock::Clock`] in the state, so tests move it.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod clock;
pub mod db;
pub mod errors;
pub mod http;
pub mod personas;
pub mod qualification;
pub mod revocation;
pub mod secrets;
pub mod seed;
pub mod store;
pub mod validity;
pub mod verify;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use time::OffsetDateTime;

pub use http::app;
pub use verify::TrustAnchors;

use clock::Clock;
use db::{Db, DbError, Opened};
use seed::SeedData;
use store::StoreError;

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    db: Db,
    clock: Arc<dyn Clock>,
    anchors: TrustAnchors,
    revocations: Arc<revocation::Revocations>,
    cors_origins: Vec<String>,
    pkg_dir: Option<PathBuf>,
    bridge_url: String,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("db", &self.inner.db)
            .field("cors_origins", &self.inner.cors_origins)
            .field("pkg_dir", &self.inner.pkg_dir)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// A state over `db`, reading time from `clock` and verifying certificates against
    /// `anchors`. The facilities' registered origins are read now, for CORS (a restart
    /// picks up new ones).
    pub async fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        anchors: TrustAnchors,
    ) -> Result<Self, StoreError> {
        let cors_origins = db.read(store::facilities::all_origins).await?;
        Ok(Self {
            inner: Arc::new(Inner {
                db,
                clock,
                revocations: Arc::new(revocation::Revocations::new(anchors.clone())),
                anchors,
                cors_origins,
                pkg_dir: None,
                bridge_url: http::web::DEFAULT_BRIDGE_URL.to_owned(),
            }),
        })
    }

    /// The state serving the npm package (`cargo xtask pkg`'s `pkg/`) from `dir` at
    /// `/pkg/…` for the reception page; without one, `/pkg/…` answers 404 and the page says
    /// how to build it.
    pub fn with_pkg_dir(mut self, dir: Option<PathBuf>) -> Self {
        Arc::make_mut(&mut self.inner).pkg_dir = dir;
        self
    }

    /// The state pointing the reception page at the bridge `url` (checked with
    /// [`http::web::check_bridge_url`]; an unchecked one is refused and the default kept).
    pub fn with_bridge_url(mut self, url: &str) -> Result<Self, String> {
        let url = http::web::check_bridge_url(url)?;
        Arc::make_mut(&mut self.inner).bridge_url = url;
        Ok(self)
    }

    /// The bridge the reception page connects to.
    pub fn bridge_url(&self) -> &str {
        &self.inner.bridge_url
    }

    /// The directory of the npm package served at `/pkg/…`, if any.
    pub fn pkg_dir(&self) -> Option<&Path> {
        self.inner.pkg_dir.as_deref()
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    /// The current instant, from the state's clock.
    pub fn now(&self) -> OffsetDateTime {
        self.inner.clock.now()
    }

    /// The trust anchors.
    pub fn trust_anchors(&self) -> &TrustAnchors {
        &self.inner.anchors
    }

    /// The CRLs confirmations are checked against.
    pub fn revocations(&self) -> &revocation::Revocations {
        &self.inner.revocations
    }

    /// Every registered origin (the CORS allow-list).
    pub fn cors_origins(&self) -> &[String] {
        &self.inner.cors_origins
    }
}

/// Why [`open_database`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Seeding or updating the demo facility failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Opens the database at `path`. A new one is seeded with the demo facility (its web
/// origins `origins`) and `data`; an existing one gets `origins` added to its demo
/// facility (if it still has one), so a restart on another port keeps working, and the
/// CRLs of `data` whose CA has no CRL stored yet (a database from before CRLs were kept).
pub fn open_database(
    path: &Path,
    origins: &[String],
    data: &SeedData,
    now: OffsetDateTime,
) -> Result<Db, OpenError> {
    let (db, opened) = Db::open(path)?;
    prepare(&db, opened, origins, data, now)?;
    Ok(db)
}

/// [`open_database`] for a database already opened (e.g. in memory).
pub fn prepare(
    db: &Db,
    opened: Opened,
    origins: &[String],
    data: &SeedData,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    db.call_blocking(|conn| match opened {
        Opened::Created => {
            tracing::info!(records = data.records.len(), "seeding a new database");
            seed::seed_new_database(conn, origins.to_vec(), data, now)
        }
        Opened::Existing => {
            match store::facilities::add_origins(conn, seed::DEMO_FACILITY_CODE, origins) {
                Err(StoreError::FacilityNotFound(_)) => Ok(()),
                other => other,
            }?;
            seed::add_missing_crls(conn, data, now)
        }
    })
}
