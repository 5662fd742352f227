//! The end-to-end part of the card phase: PIN confirmations through the bridge and a release
//! service against the same APDUs from a direct PC/SC client, then the same paired rounds
//! with the Android persona's phone (issue 14: its own order, the certificate after the
//! VERIFY) in the next vpcd reader, then the card with the modelled card timing.

use anyhow::{Context as _, Result};
use serde_json::json;

use super::{Config, ORIGIN, Recorder, progress};
use crate::direct::DirectRun;
use crate::e2e;
use crate::http::HttpConn;
use crate::stats::{median, ms, percentile};
use crate::ws::BridgeClient;
use myna_harness::vpcd::InsertedCard;

/// The persona whose phone the Android rounds use (PIN 1234, valid, linked).
pub const ANDROID_PERSONA: &str = "android";

/// The Android figures, failed together.
pub(super) const ANDROID_METRICS: &[&str] = &[
    "e2e_android_pin_confirmation_ms",
    "e2e_android_direct_pcsc_same_apdus_ms",
    "e2e_android_added_ms",
    "e2e_android_over_direct_pcsc_ratio",
];

pub(super) async fn e2e_phase(
    config: &Config,
    rec: &mut Recorder,
    client: &mut BridgeClient,
    handle: &mut u64,
    inserted: &InsertedCard,
    pin: &str,
    phone: &mut Option<InsertedCard>,
) -> Result<()> {
    progress("end to end: starting the release service");
    let (service, addr) = super::service::start_service(
        config,
        "myna-demo-e2e",
        &config.work.join("e2e.sqlite3"),
        false,
    )?;
    let mut http = HttpConn::connect(addr).await?;
    let token = http.activate("bench e2e").await?;
    // Warm-up with an instant card (connections, caches), not counted.
    confirm_once(client, *handle, inserted, &mut http, &token, pin).await?;

    // Measured: an instant card (no timing model), the confirmation through the bridge and
    // the same APDUs from a direct PC/SC client, alternating.
    let (runs, direct_runs) =
        paired_rounds(config, client, handle, inserted, &mut http, &token, pin).await?;
    let services: Vec<f64> = runs.iter().map(|r| ms(r.service)).collect();
    let Paired {
        total,
        direct,
        added,
    } = Paired::of(&runs, &direct_runs)?;
    let bridge_and_client: Vec<f64> = runs
        .iter()
        .zip(&direct_runs)
        .map(|(r, d)| ms(r.authenticate) - ms(d.total))
        .collect();
    let service_ms = median(&services).context("no run")?;
    let n = runs.len();
    rec.set(
        "e2e_pin_confirmation_ms",
        total,
        format!("median of {n}: challenge, bridge authenticate on pcscd + vpcd (instant card), confirmation, XmlMsg parsed"),
    );
    rec.set(
        "e2e_direct_pcsc_same_apdus_ms",
        direct,
        format!("median of {n}: the same APDUs (certificate, tries left, VERIFY, signature) and reset from a direct PC/SC client, same card and reader"),
    );
    rec.set(
        "e2e_added_ms",
        median(&added).context("no run")?,
        format!(
            "median of {n} paired rounds of (confirmation through the bridge - direct PC/SC run right after it): WebSocket, bridge, our client and the two service requests; {}",
            spread(&added)
        ),
    );
    rec.set(
        "e2e_service_ms",
        service_ms,
        "median: the challenge and confirmation requests, timed at the client",
    );
    rec.set(
        "e2e_bridge_and_client_ms",
        median(&bridge_and_client).context("no run")?,
        format!(
            "median of {n} paired rounds of (the authenticate request timed at the client - the direct PC/SC run right after it): WebSocket, bridge, JSON and the client's own work; {}",
            spread(&bridge_and_client)
        ),
    );
    rec.set(
        "e2e_over_direct_pcsc_ratio",
        total / direct,
        "e2e_pin_confirmation_ms / e2e_direct_pcsc_same_apdus_ms",
    );

    // The Android phone, with the same service and bridge connection; its failure fails only
    // its own figures.
    if let Err(e) = android_rounds(config, rec, client, &mut http, &token, phone).await {
        rec.fail(ANDROID_METRICS, &e);
    }

    // Modelled: the same confirmation with TimingModel::realistic (the vpcd adapter sleeps
    // each command's modelled delay). Its card time is an assumption, not a measurement.
    inserted
        .card
        .lock()
        .set_timing(myna_virtual_card::TimingModel::realistic());
    let mut modelled = Vec::new();
    for _ in 0..config.e2e_runs {
        modelled.push(confirm_once(client, *handle, inserted, &mut http, &token, pin).await?);
    }
    drop(service);
    let totals: Vec<f64> = modelled.iter().map(|r| ms(r.total)).collect();
    let cards: Vec<f64> = modelled.iter().map(|r| ms(r.card)).collect();
    rec.set(
        "e2e_pin_confirmation_ms_modelled_card",
        median(&totals).context("no run")?,
        format!("MODELLED card time: median of {n} confirmations with TimingModel::realistic (12 ms/APDU, 1.02 ms/byte, 400 ms/signature, slept by the vpcd adapter)"),
    );
    rec.set(
        "e2e_card_time_modelled_ms",
        median(&cards).context("no run")?,
        "MODELLED: the sum of the card log's delays (an assumption, docs/benchmarks.md)",
    );
    Ok(())
}

/// The medians of paired rounds, and each round's difference.
struct Paired {
    /// The median confirmation through the bridge and the service.
    total: f64,
    /// The median direct PC/SC run.
    direct: f64,
    /// Per round, the confirmation minus the direct run right after it: the two saw the
    /// same machine state, so their difference cancels most of the noise that separate
    /// medians keep (a difference of medians once came out negative, 2026-12-06).
    added: Vec<f64>,
}

impl Paired {
    fn of(runs: &[e2e::E2eRun], direct_runs: &[DirectRun]) -> Result<Self> {
        let totals: Vec<f64> = runs.iter().map(|r| ms(r.total)).collect();
        let directs: Vec<f64> = direct_runs.iter().map(|r| ms(r.total)).collect();
        Ok(Paired {
            total: median(&totals).context("no run")?,
            direct: median(&directs).context("no run")?,
            added: runs
                .iter()
                .zip(direct_runs)
                .map(|(r, d)| ms(r.total) - ms(d.total))
                .collect(),
        })
    }
}

/// `p10 … ms, p90 … ms` of paired differences.
fn spread(v: &[f64]) -> String {
    format!(
        "p10 {:.3} ms, p90 {:.3} ms",
        percentile(v, 10.0).unwrap_or(f64::NAN),
        percentile(v, 90.0).unwrap_or(f64::NAN)
    )
}

/// `config.e2e_runs` rounds of one confirmation through the bridge and the service, then the
/// same APDUs from a direct PC/SC client on the same card (the counts must agree); a new
/// bridge session after each direct run (its reset ends the bridge's link).
async fn paired_rounds(
    config: &Config,
    client: &mut BridgeClient,
    handle: &mut u64,
    inserted: &InsertedCard,
    http: &mut HttpConn,
    token: &str,
    pin: &str,
) -> Result<(Vec<e2e::E2eRun>, Vec<DirectRun>)> {
    let mut runs = Vec::new();
    let mut direct_runs = Vec::new();
    for i in 0..config.e2e_runs {
        let run = confirm_once(client, *handle, inserted, http, token, pin).await?;
        let reader = inserted.reader.clone();
        let pin_owned = pin.to_owned();
        let direct_run = tokio::task::spawn_blocking(move || {
            crate::direct::authenticate(&reader, ORIGIN, e2e::REFERENCE_NONCE, &pin_owned)
        })
        .await??;
        anyhow::ensure!(
            direct_run.apdus == run.apdus,
            "the direct client sent {} APDUs, the bridge {}",
            direct_run.apdus,
            run.apdus
        );
        let _ = client
            .call("disconnect", json!({ "handle": *handle }))
            .await;
        *handle = client.open(&inserted.reader).await?;
        progress(&format!(
            "  run {}: total {:.2} ms (service {:.2} ms), direct PC/SC {:.2} ms, {} APDUs",
            i + 1,
            ms(run.total),
            ms(run.service),
            ms(direct_run.total),
            run.apdus
        ));
        runs.push(run);
        direct_runs.push(direct_run);
    }
    Ok((runs, direct_runs))
}

/// The Android persona's phone in the next vpcd reader (`vpcd_port + 1`), instant: the same
/// paired rounds as the card's (bridge + service confirmation against the phone's order from a
/// direct PC/SC client), recorded as the `e2e_android_*` figures. The phone stays in its reader
/// (`phone`) until the card phase ends: in one run, pulling it out here was followed by pcscd
/// losing its service ("internal communications error") under the bridge's next requests.
async fn android_rounds(
    config: &Config,
    rec: &mut Recorder,
    client: &mut BridgeClient,
    http: &mut HttpConn,
    token: &str,
    phone: &mut Option<InsertedCard>,
) -> Result<()> {
    let personas = myna_personas::Personas::embedded();
    let persona = personas
        .get(ANDROID_PERSONA)
        .context("the android persona")?;
    let pin = persona.pin.as_deref().context("no PIN")?.to_owned();
    progress("end to end, Android phone: inserting the android persona into the next vpcd");
    let phone = phone.insert(InsertedCard::insert(persona, config.vpcd_port + 1)?);
    super::card::wait_reader_present(client, &phone.reader).await?;
    let mut handle = client.open(&phone.reader).await?;
    // Warm-up, not counted.
    confirm_once(client, handle, phone, http, token, &pin).await?;
    let rounds = paired_rounds(config, client, &mut handle, phone, http, token, &pin).await;
    let _ = client.call("disconnect", json!({ "handle": handle })).await;
    let (runs, direct_runs) = rounds?;
    let Paired {
        total,
        direct,
        added,
    } = Paired::of(&runs, &direct_runs)?;
    let (n, apdus) = (runs.len(), runs.first().map_or(0, |r| r.apdus));
    rec.set(
        "e2e_android_pin_confirmation_ms",
        total,
        format!("median of {n}: the android persona's phone, {apdus} APDUs (tries left, VERIFY, certificate, signature), bridge + service, instant"),
    );
    rec.set(
        "e2e_android_direct_pcsc_same_apdus_ms",
        direct,
        format!("median of {n}: the same {apdus} APDUs in the phone's order and reset from a direct PC/SC client"),
    );
    rec.set(
        "e2e_android_added_ms",
        median(&added).context("no run")?,
        format!(
            "median of {n} paired rounds of (confirmation through the bridge - direct PC/SC run right after it), the phone; {}",
            spread(&added)
        ),
    );
    rec.set(
        "e2e_android_over_direct_pcsc_ratio",
        total / direct,
        "e2e_android_pin_confirmation_ms / e2e_android_direct_pcsc_same_apdus_ms",
    );
    Ok(())
}

/// One PIN confirmation through the bridge and the service on this phase's card session
/// ([`e2e::run_once`]).
async fn confirm_once(
    client: &mut BridgeClient,
    handle: u64,
    inserted: &InsertedCard,
    http: &mut HttpConn,
    token: &str,
    pin: &str,
) -> Result<e2e::E2eRun> {
    e2e::run_once(client, handle, &inserted.log, http, token, ORIGIN, pin).await
}
