//! The card phase: the virtual card in pcscd's vpcd reader, the release bridge on PC/SC;
//! APDU counts, the bridge's overhead, the end-to-end part ([`super::e2e`]), the idle bridge.

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use myna_harness::Proc;
use serde_json::{Value, json};

use super::{Config, ORIGIN, PERSONA, Recorder, progress};
use crate::apdus::{self, FlowCount};
use crate::procs::{self, free_port};
use crate::stats::percentile;
use crate::ws::BridgeClient;
use crate::{idle, overhead};
use myna_core::profile::{ANDROID_PHONE, MY_NUMBER_CARD};
use myna_harness::vpcd::InsertedCard;

/// Starts the release bridge on PC/SC, allowing [`ORIGIN`]; its port.
fn start_bridge(config: &Config) -> Result<(Proc, u16)> {
    let port = free_port()?;
    let logs = config.work.join("logs");
    let child = procs::start_bridge(&config.bridge, "myna-bridge", port, ORIGIN, &[], &[], &logs)?;
    Ok((child, port))
}

/// Waits until the bridge lists `reader` with a card present.
pub(super) async fn wait_reader_present(client: &mut BridgeClient, reader: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let listed: Value = client.call_ok("listReaders", json!({})).await?;
        let present = listed["readers"].as_array().is_some_and(|readers| {
            readers
                .iter()
                .any(|r| r["name"] == reader && r["state"] == "present")
        });
        if present {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the bridge does not see a card in {reader:?}: {listed}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(super) async fn card_phase(config: &Config, rec: &mut Recorder) -> Result<()> {
    let personas = myna_personas::Personas::embedded();
    let persona = personas.get(PERSONA).context("the default persona")?;
    let pin = persona
        .pin
        .as_deref()
        .context("the persona has no PIN")?
        .to_owned();
    let key = persona.auth_key.to_public_key();

    progress("inserting the virtual card into vpcd, starting the release bridge");
    let inserted = InsertedCard::insert(persona, config.vpcd_port)?;
    let (mut bridge, port) = start_bridge(config)?;
    let mut client = BridgeClient::connect(port, ORIGIN).await?;
    client.call_ok("hello", json!({})).await?;
    wait_reader_present(&mut client, &inserted.reader).await?;
    let handle = client.open(&inserted.reader).await?;

    // APDU counts.
    let result: Result<()> = async {
        progress("counting the PIN flow (bridge authenticate)");
        let pin_flow =
            apdus::pin_flow(&mut client, handle, &inserted.log, ORIGIN, &pin, &key).await?;
        progress(&format!("PIN flow:\n{}", indent(&pin_flow.listing())));
        progress("counting the visual flow (bridge readFile)");
        let visual =
            apdus::visual_flow(&mut client, handle, &inserted.log, &persona.auth_cert_der).await?;
        progress(&format!("visual flow:\n{}", indent(&visual.listing())));
        record_flows(rec, &pin_flow, &visual);
        Ok(())
    }
    .await;
    if let Err(e) = result {
        rec.fail(
            &[
                "pin_flow_apdus",
                "pin_flow_apdus_minimum",
                "pin_flow_apdus_minimum_sfi",
                "visual_flow_apdus",
                "visual_flow_apdus_minimum",
                "pin_flow_apdus_minimum_android",
                "visual_flow_apdus_minimum_android",
            ],
            &e,
        );
    }

    // OpenSC, with the bridge's session closed so OpenSC starts from a card nobody holds.
    client
        .call_ok("disconnect", json!({ "handle": handle }))
        .await?;
    progress("counting OpenSC (one pkcs11-tool session: log in, sign, read the certificate)");
    match apdus::opensc_flow(
        &inserted.reader,
        &inserted.log,
        &pin,
        &persona.auth_cert_der,
        &config.work,
    ) {
        Ok(flow) => {
            progress(&format!("OpenSC:\n{}", indent(&flow.listing())));
            rec.set(
                "opensc_apdus_same_operations",
                flow.apdus() as f64,
                "one pkcs11-tool process: --login --sign (SHA256-RSA-PKCS) --read-object (cert), \
                 card-driver probing included, counted in the card's log on pcscd + vpcd",
            );
        }
        Err(e) => rec.fail(&["opensc_apdus_same_operations"], &e),
    }

    // Overhead.
    let handle = client.open(&inserted.reader).await?;
    progress(&format!(
        "bridge overhead: {} rounds x {} READ BINARY per path",
        config.overhead_rounds, config.overhead_per_round
    ));
    match overhead::measure(
        &mut client,
        handle,
        &inserted.reader,
        config.overhead_rounds,
        config.overhead_per_round,
        50,
    )
    .await
    {
        Ok(l) => {
            let (bridge, direct) = (l.bridge_ms(), l.direct_ms());
            let note = format!(
                "{} READ BINARY (256 B) per path in {} interleaved rounds; each bridge APDU minus the median direct PC/SC APDU of its round",
                bridge.len(),
                config.overhead_rounds
            );
            if let (Some(p50), Some(p99)) = (l.overhead(50.0), l.overhead(99.0)) {
                rec.set("bridge_overhead_ms_p50", p50, note.clone());
                rec.set("bridge_overhead_ms_p99", p99, note);
            }
            if let (Some(b), Some(d)) = (percentile(&bridge, 50.0), percentile(&direct, 50.0)) {
                rec.set("bridge_apdu_ms_p50", b, "WebSocket + bridge + pcscd + vpcd");
                rec.set("direct_pcsc_apdu_ms_p50", d, "pcsc crate + pcscd + vpcd");
                rec.set(
                    "bridge_apdu_over_direct_pcsc_ratio",
                    b / d,
                    "bridge_apdu_ms_p50 / direct_pcsc_apdu_ms_p50, the same READ BINARY on the same card, interleaved in this run",
                );
                match overhead::loopback_rtt_ms(2_000) {
                    Ok(rtt) => {
                        rec.set(
                            "loopback_tcp_rtt_ms_p50",
                            rtt,
                            "one byte there and back over loopback TCP, TCP_NODELAY, 2,000 times",
                        );
                        rec.set(
                            "direct_pcsc_apdu_over_loopback_rtt_ratio",
                            d / rtt,
                            "delayed-ACK guard: a vpcd link without TCP_NODELAY adds ~40 ms per APDU",
                        );
                    }
                    Err(e) => rec.fail(
                        &[
                            "loopback_tcp_rtt_ms_p50",
                            "direct_pcsc_apdu_over_loopback_rtt_ratio",
                        ],
                        &e,
                    ),
                }
            }
        }
        Err(e) => rec.fail(
            &[
                "bridge_overhead_ms_p50",
                "bridge_overhead_ms_p99",
                "bridge_apdu_ms_p50",
                "direct_pcsc_apdu_ms_p50",
                "bridge_apdu_over_direct_pcsc_ratio",
                "loopback_tcp_rtt_ms_p50",
                "direct_pcsc_apdu_over_loopback_rtt_ratio",
            ],
            &e,
        ),
    }
    inserted.log.clear();

    // End to end: against the direct PC/SC reference, then with the modelled card timing.
    let mut handle = handle;
    // The Android persona's phone, in the next reader from the end-to-end part to the end.
    let mut phone = None;
    let e2e_result = super::e2e::e2e_phase(
        config,
        rec,
        &mut client,
        &mut handle,
        &inserted,
        &pin,
        &mut phone,
    )
    .await;
    inserted
        .card
        .lock()
        .set_timing(myna_virtual_card::TimingModel::instant());
    if let Err(e) = e2e_result {
        rec.fail(
            &[
                "e2e_added_ms",
                "e2e_bridge_and_client_ms",
                "e2e_service_ms",
                "e2e_pin_confirmation_ms",
                "e2e_direct_pcsc_same_apdus_ms",
                "e2e_over_direct_pcsc_ratio",
                "e2e_pin_confirmation_ms_modelled_card",
                "e2e_card_time_modelled_ms",
            ],
            &e,
        );
        rec.fail(super::e2e::ANDROID_METRICS, &e);
    }
    let _ = client.call("disconnect", json!({ "handle": handle })).await;
    client.close().await;

    // Idle.
    progress(&format!(
        "idle bridge: one page connected, sampling /proc for {:?}",
        config.idle
    ));
    bridge.check_running()?;
    match idle::measure(bridge.pid(), port, ORIGIN, &inserted.reader, config.idle).await {
        Ok(idle) => {
            let note = format!(
                "release bridge after the card measurements, one WebSocket (hello + connect), {:?}, {} threads",
                config.idle, idle.threads
            );
            rec.set("bridge_idle_rss_mib", idle.rss_mib, note.clone());
            rec.set("bridge_idle_cpu_percent", idle.cpu_percent, note.clone());
            rec.set("bridge_idle_wakeups_per_s", idle.wakeups_per_s, note);
        }
        Err(e) => rec.fail(
            &[
                "bridge_idle_rss_mib",
                "bridge_idle_cpu_percent",
                "bridge_idle_wakeups_per_s",
            ],
            &e,
        ),
    }
    bridge.check_running()?;
    drop(bridge);
    drop(phone);
    drop(inserted);
    Ok(())
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn record_flows(rec: &mut Recorder, pin_flow: &FlowCount, visual: &FlowCount) {
    let extended = apdus::used_extended_reads(&pin_flow.entries);
    let len = pin_flow.certificate_len;
    let link = if extended {
        "extended length"
    } else {
        "short APDUs"
    };
    rec.set(
        "pin_flow_apdus",
        pin_flow.apdus() as f64,
        "bridge authenticate on pcscd + vpcd, counted in the card's log",
    );
    rec.set(
        "pin_flow_apdus_minimum",
        apdus::total(&apdus::pin_flow_minimum(&MY_NUMBER_CARD, len, extended)) as f64,
        format!(
            "{len}-byte certificate, {link}, EFs selected, the token detected (docs/benchmarks.md)"
        ),
    );
    rec.set(
        "pin_flow_apdus_minimum_sfi",
        apdus::total(&apdus::pin_flow_minimum_sfi(len, extended)) as f64,
        "reference: EFs named by short EF identifier, no SELECT of an EF",
    );
    rec.set(
        "visual_flow_apdus",
        visual.apdus() as f64,
        "bridge readFile 000A (one transaction), what the module runs in 目視 mode",
    );
    rec.set(
        "visual_flow_apdus_minimum",
        apdus::total(&apdus::visual_flow_minimum(
            &MY_NUMBER_CARD,
            visual.certificate_len,
            apdus::used_extended_reads(&visual.entries),
        )) as f64,
        "SELECT AP, the token detection (SELECT 0006, READ BINARY 32), SELECT 000A, the READ BINARYs",
    );
    // An Android phone (issue 14): the same certificate length, the phone's order. Its flow
    // is counted command by command in bridge/tests/bridge_ws.rs (`phones`), not here.
    rec.set(
        "pin_flow_apdus_minimum_android",
        apdus::total(&apdus::pin_flow_minimum(&ANDROID_PHONE, len, extended)) as f64,
        "Android phone: the card's commands, the certificate after the one VERIFY (docs/benchmarks.md, per token)",
    );
    rec.set(
        "visual_flow_apdus_minimum_android",
        apdus::total(&apdus::visual_flow_minimum(&ANDROID_PHONE, len, extended)) as f64,
        "Android phone: SELECT AP and the token detection, then pin-required (no 目視)",
    );
}
