//! `myna-demo`: the eligibility service simulator's command line. Parses flags and wires
//! the library's parts; the work is in the `myna_demo` library.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};
use myna_demo::clock::{Clock, SystemClock};
use myna_demo::db::Db;
use myna_demo::store::{crls, records, terminals};
use myna_demo::{AppState, TrustAnchors, app, open_database};

#[derive(Debug, Parser)]
#[command(
    name = "myna-demo",
    version,
    about = "myna-web's eligibility service simulator"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the eligibility API. A new database is created and seeded with the demo
    /// facility (1399999999 / W0000001 / DEMO0001, PIN and 目視 enabled) and the personas.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8787")]
        listen: SocketAddr,
        /// The SQLite database (created if missing).
        #[arg(long)]
        db: Option<PathBuf>,
        /// A web origin of the demo facility (repeatable; default: this server's own
        /// origin, http://LISTEN). Added to an existing database's demo facility too.
        #[arg(long = "facility-origin", value_name = "ORIGIN")]
        facility_origins: Vec<String>,
        /// A trust anchor certificate (DER or PEM), e.g. a J-LIS root (repeatable;
        /// default: the personas' test CA).
        #[arg(long = "trust-anchor", value_name = "FILE")]
        trust_anchors: Vec<PathBuf>,
        /// The `myna-web` npm package (`cargo xtask pkg`'s output) the reception page at `/`
        /// loads, served at `/pkg/…` (default: the workspace's `pkg/` when it exists;
        /// without it the page says how to build it).
        #[arg(long = "pkg-dir", value_name = "DIR")]
        pkg_dir: Option<PathBuf>,
        /// The bridge the reception page connects to: ws://127.0.0.1:PORT/v1 (loopback only;
        /// the page's own URL cannot change it).
        #[arg(
            long = "bridge-url",
            value_name = "URL",
            default_value = myna_demo::http::web::DEFAULT_BRIDGE_URL,
            value_parser = myna_demo::http::web::check_bridge_url
        )]
        bridge_url: String,
        /// How many verified certificate chains to remember (0: verify every
        /// certificate's chain in full, e.g. to measure without the cache). Validity dates,
        /// the JPKI profile and revocation are checked on every request either way.
        #[arg(
            long = "certificate-cache",
            value_name = "N",
            env = "MYNA_DEMO_CERTIFICATE_CACHE",
            default_value_t = myna_demo::verify::DEFAULT_CHAIN_CACHE
        )]
        certificate_cache: usize,
    },
    /// Import insured records from a CSV file (see the README for the columns).
    ImportCsv {
        /// The SQLite database.
        #[arg(long)]
        db: Option<PathBuf>,
        /// The CSV file (UTF-8, header row).
        file: PathBuf,
    },
    /// Manage the CRLs confirmations are checked against (one per issuing CA).
    #[command(subcommand)]
    Crl(CrlCommand),
    /// Revoke a terminal registration.
    RevokeTerminal {
        /// The SQLite database.
        #[arg(long)]
        db: Option<PathBuf>,
        /// The terminal ID (`t_…`).
        terminal_id: String,
    },
    /// Issue a facility administration's token (printed once): it may revoke the facility's
    /// terminals through the API (`DELETE /api/v1/terminals/{id}`).
    AdminToken {
        /// The SQLite database.
        #[arg(long)]
        db: Option<PathBuf>,
        /// The facility code.
        #[arg(long, default_value = myna_demo::seed::DEMO_FACILITY_CODE)]
        facility: String,
    },
    /// Lift the lock on activations after too many wrong codes (for a facility/user ID, or
    /// with --client for a client's IP address).
    UnlockActivation {
        /// The SQLite database.
        #[arg(long)]
        db: Option<PathBuf>,
        /// The facility code.
        #[arg(long, default_value = myna_demo::seed::DEMO_FACILITY_CODE)]
        facility: String,
        /// The user ID.
        #[arg(long, default_value = myna_demo::seed::DEMO_USER_ID)]
        user_id: String,
        /// A client IP address to unlock instead.
        #[arg(long)]
        client: Option<String>,
    },
    /// List a facility's terminals.
    Terminals {
        /// The SQLite database.
        #[arg(long)]
        db: Option<PathBuf>,
        /// The facility code.
        #[arg(long, default_value = myna_demo::seed::DEMO_FACILITY_CODE)]
        facility: String,
    },
}

#[derive(Debug, Subcommand)]
enum CrlCommand {
    /// Verify a CRL (DER) against the trust anchors, require it to be current now, and
    /// store it as its CA's CRL. A service running on the same database uses it from its
    /// next confirmation.
    Load {
        /// The SQLite database.
        #[arg(long)]
        db: Option<PathBuf>,
        /// A trust anchor certificate (DER or PEM), as given to `serve` (repeatable;
        /// default: the personas' test CA).
        #[arg(long = "trust-anchor", value_name = "FILE")]
        trust_anchors: Vec<PathBuf>,
        /// The CRL, DER.
        file: PathBuf,
    },
    /// List the stored CRLs.
    List {
        /// The SQLite database.
        #[arg(long)]
        db: Option<PathBuf>,
    },
}

/// The trust anchors from `files`, or the personas' test CA.
fn trust_anchors(files: &[PathBuf]) -> anyhow::Result<TrustAnchors> {
    Ok(if files.is_empty() {
        myna_demo::personas::trust_anchors(&myna_personas::Personas::embedded())?
    } else {
        TrustAnchors::from_files(files)?
    })
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "myna_demo=info,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let clock = SystemClock;
    match cli.command {
        Command::Serve {
            listen,
            db,
            facility_origins,
            trust_anchors,
            pkg_dir,
            certificate_cache,
            bridge_url,
        } => {
            let origins = if facility_origins.is_empty() {
                vec![format!("http://{listen}")]
            } else {
                facility_origins
            };
            for origin in &origins {
                myna_core::auth::validate_origin(origin)
                    .with_context(|| format!("--facility-origin {origin:?}"))?;
            }
            let personas = myna_personas::Personas::embedded();
            let anchors = self::trust_anchors(&trust_anchors)?.with_chain_cache(certificate_cache);
            if certificate_cache == 0 {
                tracing::info!("certificate chain cache off: every chain is verified in full");
            }
            let seed = myna_demo::personas::seed_data(&personas)?;
            let path = db_path(db)?;
            let db = open_database(&path, &origins, &seed, clock.now())
                .with_context(|| format!("opening {}", path.display()))?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            let pkg_dir = pkg_dir.or_else(default_pkg_dir);
            match &pkg_dir {
                Some(dir) if dir.join("myna-web.js").is_file() => {
                    tracing::info!(dir = %dir.display(), "serving the npm package at /pkg/");
                }
                Some(dir) => tracing::warn!(
                    dir = %dir.display(),
                    "no myna-web.js in the package directory; run `cargo xtask pkg`"
                ),
                None => tracing::warn!(
                    "no npm package (pkg/) to serve; the page at / will say how to build it"
                ),
            }
            runtime.block_on(serve(listen, db, anchors, pkg_dir, &bridge_url))
        }
        Command::ImportCsv { db, file } => {
            let db = open_existing(db)?;
            let input = std::fs::File::open(&file)
                .with_context(|| format!("opening {}", file.display()))?;
            let count = db.call_blocking(|conn| records::import_csv(conn, input))?;
            println!("imported {count} insured records from {}", file.display());
            Ok(())
        }
        Command::Crl(CrlCommand::Load {
            db,
            trust_anchors,
            file,
        }) => {
            let anchors = self::trust_anchors(&trust_anchors)?;
            let der =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let db = open_existing(db)?;
            let (crl, stored) = myna_demo::revocation::load(&db, &anchors, &der, clock.now())
                .with_context(|| format!("{} not loaded", file.display()))?;
            println!(
                "{}: {} {}",
                file.display(),
                match stored {
                    crls::Stored::Added => "added",
                    crls::Stored::Replaced => "replaced the",
                },
                crl.describe()
            );
            Ok(())
        }
        Command::Crl(CrlCommand::List { db }) => {
            let db = open_existing(db)?;
            let rfc3339 = myna_demo::store::audit::format_rfc3339;
            for crl in db.call_blocking(|conn| crls::list(conn))? {
                println!(
                    "{}\tthisUpdate {}\tnextUpdate {}\t{} entries\tloaded {}",
                    crl.issuer_key,
                    rfc3339(crl.this_update),
                    crl.next_update.map_or_else(|| "none".to_owned(), rfc3339),
                    crl.entries,
                    rfc3339(crl.loaded_at)
                );
            }
            Ok(())
        }
        Command::RevokeTerminal { db, terminal_id } => {
            let db = open_existing(db)?;
            let now = clock.now();
            let info = db.call_blocking(|conn| terminals::revoke(conn, None, &terminal_id, now))?;
            println!("{} ({}) revoked", info.terminal_id, info.device_name);
            Ok(())
        }
        Command::AdminToken { db, facility } => {
            let db = open_existing(db)?;
            let now = clock.now();
            let token = db.call_blocking(|conn| {
                myna_demo::store::admin_tokens::issue(conn, &facility, now)
            })?;
            eprintln!(
                "administrator token of facility {facility} (shown once; keep it like the \
                 activation code):"
            );
            println!("{token}");
            Ok(())
        }
        Command::UnlockActivation {
            db,
            facility,
            user_id,
            client,
        } => {
            use myna_demo::store::activation_limits::{Scope, clear};
            let db = open_existing(db)?;
            let scope = match client {
                Some(ip) => Scope::Client(ip),
                None => Scope::Facility {
                    code: facility,
                    user_id,
                },
            };
            let scopes = [scope];
            let cleared = db.call_blocking(|conn| clear(conn, &scopes))?;
            println!(
                "{}",
                if cleared > 0 {
                    "unlocked"
                } else {
                    "nothing was locked"
                }
            );
            Ok(())
        }
        Command::Terminals { db, facility } => {
            let db = open_existing(db)?;
            for t in db.call_blocking(|conn| terminals::list(conn, &facility))? {
                let state = match t.revoked_at {
                    Some(at) => format!("revoked {}", myna_demo::store::audit::rfc3339(at)),
                    None => "active".to_owned(),
                };
                println!(
                    "{}\t{}\t{}\t{state}",
                    t.terminal_id,
                    myna_demo::store::audit::rfc3339(t.created_at),
                    t.device_name
                );
            }
            Ok(())
        }
    }
}

/// The workspace's `pkg/` (where `cargo xtask pkg` writes), when it exists.
fn default_pkg_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../pkg");
    dir.is_dir().then_some(dir)
}

async fn serve(
    listen: SocketAddr,
    db: Db,
    anchors: TrustAnchors,
    pkg_dir: Option<PathBuf>,
    bridge_url: &str,
) -> anyhow::Result<()> {
    let state = AppState::new(db, Arc::new(SystemClock), anchors)
        .await?
        .with_pkg_dir(pkg_dir)
        .with_bridge_url(bridge_url)
        .map_err(anyhow::Error::msg)?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, "myna-demo serving the eligibility API; reception page at http://{address}/");
    // The peer address: activation attempts are limited per client, too.
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM; in-flight requests finish (their audit rows are already
/// committed before any answer leaves).
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(%err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}

fn db_path(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(path) = given {
        return Ok(path);
    }
    let dirs = directories::ProjectDirs::from("", "myna-web", "myna-demo")
        .context("no home directory to hold the default database; pass --db PATH")?;
    Ok(dirs.data_dir().join("myna-demo.sqlite3"))
}

/// Opens a database the admin commands work on; refuses to create one (a typo in the path
/// would otherwise silently create an empty database).
fn open_existing(given: Option<PathBuf>) -> anyhow::Result<Db> {
    let path = db_path(given)?;
    if !Path::new(&path).exists() {
        bail!(
            "{} does not exist; `myna-demo serve --db {}` creates and seeds it",
            path.display(),
            path.display()
        );
    }
    let (db, _) = Db::open(&path).with_context(|| format!("opening {}", path.display()))?;
    Ok(db)
}
