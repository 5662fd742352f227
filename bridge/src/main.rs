//! `myna-bridge` command line: parses flags and wires the library's parts together.
//!
//! Today it has one subcommand, `virtual-card`; the bridge server becomes the default
//! command later (`myna-bridge --listen … --allow-origin …`).

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use myna_bridge::personas::Personas;
use myna_bridge::virtual_card::{CardContents, CardOptions, SharedCard, TimingModel, VirtualCard};
use myna_bridge::vpcd;

#[derive(Debug, Parser)]
#[command(name = "myna-bridge", version, about = "myna-web's local card bridge")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Insert a virtual My Number Card of a test persona into a vpcd reader of pcscd.
    VirtualCard(VirtualCardArgs),
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
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match Cli::parse().command {
        Command::VirtualCard(args) => virtual_card(args),
    }
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
    let handle =
        vpcd::spawn_vpcd(args.vpcd, SharedCard::new(card)).context("starting the vpcd adapter")?;
    let stopper = handle.stopper();
    ctrlc::set_handler(move || stopper.stop()).context("installing the Ctrl-C handler")?;
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
