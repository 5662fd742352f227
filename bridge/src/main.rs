//! `myna-bridge` command line: parses flags and wires the library's parts together.
//!
//! - `myna-bridge [--listen 127.0.0.1:PORT] [--allow-origin ORIGIN]… [--config FILE]
//!   [--simulate[=PERSONA]] [--realistic-timing]`: the bridge.
//! - `myna-bridge virtual-card --vpcd 127.0.0.1:35963 --persona NAME`: a virtual card in a
//!   vpcd reader of pcscd.
//! - `myna-bridge init-config --allow-origin ORIGIN… [--config FILE]`: the first `bridge.toml`,
//!   for installers (an existing file is never touched; see `initial_config`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use myna_bridge::backend::Backend;
use myna_bridge::pcsc_backend::PcscBackend;
use myna_bridge::personas::Personas;
use myna_bridge::server::{self, Simulator};
use myna_bridge::sim_backend::SimBackend;
use myna_bridge::{config, initial_config};
use myna_virtual_card::vpcd;
use myna_virtual_card::{CardContents, CardOptions, SharedCard, TimingModel, VirtualCard};

const ABOUT: &str = "myna-web's local card bridge: lets allowed web pages check health-insurance \
eligibility with a My Number Card in this computer's card reader";

const LONG_ABOUT: &str = "\
myna-web's local card bridge.

It lets the web pages you allow (your reception system) reach this computer's card reader
for オンライン資格確認 (資格確認限定型), and nothing else:
  * it listens on this computer only (127.0.0.1), at ws://127.0.0.1:PORT/v1;
  * only pages whose origin you allow can connect (everything else gets 403);
  * pages can read the card's authentication certificate and ask for one PIN check and
    signature; they can never read the 個人番号, use the signing key, or send PIN tries
    of their own, and the last PIN try needs explicit consent.

Allowed origins: --allow-origin (repeatable) and/or `allow_origins = [\"https://...\"]` in the
config file (default: bridge.toml in your config directory, e.g. ~/.config/myna-bridge/ on
Linux; see --config). An origin is scheme://host[:port] exactly as the browser shows it,
e.g. https://reception.clinic.example.jp — no path, no trailing slash.

Port: 27450 by default (--listen 127.0.0.1:PORT). Only loopback addresses are accepted.
If the port is taken (most likely by another bridge, perhaps another user's on a shared PC),
the bridge says so and exits with status 3.

Allowed http:// origins must be this computer (localhost, 127.x.x.x, [::1]); any other
page must be https.

--simulate puts a virtual reader with a test card in place of PC/SC, for developing a web
page without a card reader; pages then can swap test cards (personas).";

#[derive(Debug, Parser)]
#[command(name = "myna-bridge", version, about = ABOUT, long_about = LONG_ABOUT)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Where to listen: a loopback address and port [default: 127.0.0.1:27450].
    #[arg(long, value_name = "ADDR:PORT")]
    listen: Option<SocketAddr>,
    /// A web origin allowed to connect, e.g. https://reception.clinic.example.jp (repeatable).
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    allow_origins: Vec<String>,
    /// The config file [default: bridge.toml in the platform's config directory].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// FOR TEST RIGS ONLY, and only with --simulate: allow a plain-http origin whose host is not
    /// this computer (e.g. a page made to look public for the browsers' local-network tests).
    /// Anyone on the network path to such a page can inject script into it.
    #[arg(long = "allow-insecure-http-origin", value_name = "ORIGIN")]
    insecure_http_origins: Vec<String>,
    /// Use a virtual reader holding a test card (PERSONA, default `default`) instead of PC/SC.
    #[arg(long, value_name = "PERSONA", num_args = 0..=1, default_missing_value = "default")]
    simulate: Option<String>,
    /// With --simulate: answer with a real card's latency (demos, benchmarks).
    #[arg(long)]
    realistic_timing: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Insert a virtual My Number Card of a test persona into a vpcd reader of pcscd.
    VirtualCard(VirtualCardArgs),
    /// Write the config file allowing ORIGIN, unless it exists (installers run this; an
    /// existing file is never changed).
    InitConfig(InitConfigArgs),
}

#[derive(Debug, clap::Args)]
struct InitConfigArgs {
    /// A web origin to allow, e.g. https://reception.clinic.example.jp (repeatable).
    #[arg(long = "allow-origin", value_name = "ORIGIN", required = true)]
    allow_origins: Vec<String>,
    /// The config file [default: bridge.toml in the platform's config directory].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct VirtualCardArgs {
    /// The vpcd to connect to (`Virtual PCD 00 00` is 35963, `… 00 01` is 35964).
    #[arg(long, default_value = "127.0.0.1:35963")]
    vpcd: SocketAddr,
    /// The persona whose card to insert (see tests/fixtures/personas/personas.toml).
    #[arg(long, default_value = "default")]
    persona: String,
    /// Answer with the latency of a real contact card instead of at once.
    #[arg(long)]
    realistic_timing: bool,
}

fn main() -> Result<()> {
    myna_bridge::logging::init();
    let cli = Cli::parse();
    match cli.command {
        Some(Command::VirtualCard(args)) => virtual_card(args),
        Some(Command::InitConfig(args)) => init_config(args),
        None => serve(cli.serve),
    }
}

/// The exit status when the port is taken (documented in `--help` and docs/install.md).
const EXIT_PORT_IN_USE: i32 = 3;

/// Says plainly that the port is taken and what most likely holds it, then exits with
/// [`EXIT_PORT_IN_USE`].
fn port_in_use(listen: SocketAddr) -> ! {
    let port = listen.port();
    eprintln!(
        "error: port {port} is already in use on {ip}, so this bridge cannot start.\n\
         Most likely another myna-bridge is already running — perhaps started by another user \
         signed in to this computer (a shared reception PC), or as a service. Only one bridge \
         can serve port {port}: use the one that runs, stop it, or start this one on another \
         port with --listen {ip}:PORT (and point the reception page at that port).",
        ip = listen.ip()
    );
    std::process::exit(EXIT_PORT_IN_USE)
}

fn serve(args: ServeArgs) -> Result<()> {
    let (file, required) = match &args.config {
        Some(path) => (path.clone(), true),
        None => match config::default_config_path() {
            Some(path) => (path, false),
            None => (PathBuf::new(), false),
        },
    };
    let file_config = if file.as_os_str().is_empty() {
        config::FileConfig::default()
    } else {
        config::load_file(&file, required)?
    };
    let mut config = config::Config::resolve(args.listen, &args.allow_origins, file_config)?;
    if !args.insecure_http_origins.is_empty() && args.simulate.is_none() {
        anyhow::bail!(
            "--allow-insecure-http-origin works only with --simulate (a test rig's virtual card), \
             never with a real reader"
        );
    }
    for origin in &args.insecure_http_origins {
        config.allow_insecure_http_origin(origin)?;
        tracing::warn!(
            origin,
            "allowing a plain-http origin that is not this computer (test rigs only)"
        );
    }
    if config.allowed_origins.is_empty() {
        tracing::warn!(
            "no allowed origins: every page will be refused (use --allow-origin or {})",
            file.display()
        );
    }
    let (backend, simulator): (Arc<dyn Backend>, Option<Arc<dyn Simulator>>) = match &args.simulate
    {
        Some(persona) => {
            let personas = Personas::try_embedded().context("loading the embedded personas")?;
            let sim = SimBackend::new(personas, Some(persona), args.realistic_timing)
                .map_err(|e| anyhow::anyhow!("--simulate={persona}: {}", e.message))?;
            tracing::info!(persona, "simulating a virtual reader");
            (sim.clone(), Some(sim))
        }
        None => (PcscBackend::start(), None),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let served = runtime.block_on(server::run(
        config.listen,
        config.allowed_origins,
        backend,
        simulator,
        server::shutdown_signal(),
    ));
    match served {
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => port_in_use(config.listen),
        other => Ok(other?),
    }
}

fn init_config(args: InitConfigArgs) -> Result<()> {
    let path = match args.config {
        Some(path) => path,
        None => config::default_config_path().context("no config directory on this system")?,
    };
    match initial_config::init_config(&path, &args.allow_origins)? {
        initial_config::Outcome::Created => {
            tracing::info!(path = %path.display(), "config written");
        }
        initial_config::Outcome::KeptExisting { not_allowed } => {
            tracing::info!(path = %path.display(), "config exists; left as it is");
            if !not_allowed.is_empty() {
                tracing::warn!(
                    ?not_allowed,
                    "the existing config does not allow these origins; add them to \
                     allow_origins by hand if pages there should use the bridge"
                );
            }
        }
        _ => {}
    }
    Ok(())
}

fn virtual_card(args: VirtualCardArgs) -> Result<()> {
    let personas = Personas::try_embedded().context("loading the embedded personas")?;
    let Some(persona) = personas.get(&args.persona) else {
        let names: Vec<&str> = personas.names().collect();
        bail!(
            "unknown persona {:?}; known: {}",
            args.persona,
            names.join(", ")
        );
    };
    let timing = if args.realistic_timing {
        TimingModel::realistic()
    } else {
        TimingModel::instant()
    };
    let card = VirtualCard::with_options(
        CardContents::for_persona(persona),
        CardOptions::default().with_timing(timing),
    )
    .with_context(|| format!("building the card of persona {:?}", persona.name))?;
    // The handler goes in before the card starts answering: a Ctrl-C that comes early must
    // still remove the card cleanly, not kill the process mid-exchange.
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    ctrlc::set_handler(move || {
        let _ = stop_tx.send(());
    })
    .context("installing the Ctrl-C handler")?;
    let handle =
        vpcd::spawn_vpcd(args.vpcd, SharedCard::new(card)).context("starting the vpcd adapter")?;
    let stopper = handle.stopper();
    std::thread::spawn(move || {
        if stop_rx.recv().is_ok() {
            stopper.stop();
        }
    });
    tracing::info!(
        persona = %persona.name,
        vpcd = %args.vpcd,
        "virtual card running; Ctrl-C to remove it"
    );
    if !handle.wait_connected(Duration::from_secs(5)) {
        tracing::warn!(
            vpcd = %args.vpcd,
            error = handle.last_error().as_deref().unwrap_or("none"),
            "vpcd not reachable yet (is pcscd running with vsmartcard-vpcd?); still trying"
        );
    }
    handle.join();
    tracing::info!("virtual card removed");
    Ok(())
}
