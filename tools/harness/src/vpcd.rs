//! A persona's virtual My Number Card in a vpcd reader of the real pcscd, held in the calling
//! process so it can read the card's APDU log and change its timing model while the card is
//! in the reader. What the benchmark's card phase and the virtual card's OpenSC interop tests
//! both do; behind the `vpcd` feature (it links PC/SC and the virtual card), which `xtask`
//! does not use.

use std::ffi::CString;
use std::net::SocketAddr;
use std::time::Duration;

use crate::{Error, Result};
use myna_personas::Persona;
use myna_virtual_card::vpcd::{VpcdHandle, spawn_vpcd};
use myna_virtual_card::{ApduLog, SharedCard, VirtualCard};

/// The vpcd port of `Virtual PCD 00 00`; `00 01` is the next one.
pub const FIRST_VPCD_PORT: u16 = myna_virtual_card::vpcd::DEFAULT_PORT;

/// The pcscd reader name of the vpcd listening on `port`.
pub fn reader_name_for_port(port: u16) -> Result<String> {
    let index = port
        .checked_sub(FIRST_VPCD_PORT)
        .filter(|i| *i < 100)
        .ok_or_else(|| {
            Error::Unavailable(format!("{port} is not a vpcd port (35963, 35964, …)"))
        })?;
    Ok(format!("Virtual PCD 00 {index:02}"))
}

/// The readers pcscd lists now.
pub fn reader_names(ctx: &pcsc::Context) -> Vec<String> {
    let Ok(len) = ctx.list_readers_len() else {
        return Vec::new();
    };
    let mut buf = vec![0; len];
    match ctx.list_readers(&mut buf) {
        Ok(names) => names.map(|n| n.to_string_lossy().into_owned()).collect(),
        Err(_) => Vec::new(),
    }
}

/// The full name of the reader whose name contains `part`.
pub fn find_reader(ctx: &pcsc::Context, part: &str) -> Result<CString> {
    let names = reader_names(ctx);
    let name = names.iter().find(|n| n.contains(part)).ok_or_else(|| {
        Error::Unavailable(format!(
            "pcscd has no reader {part:?} (readers: {names:?}); is vsmartcard-vpcd installed?"
        ))
    })?;
    Ok(CString::new(name.as_str()).expect("pcscd's reader names have no NUL"))
}

/// Whether pcscd sees a card in `reader` now.
pub fn card_present(reader: &CString) -> bool {
    let Ok(ctx) = pcsc::Context::establish(pcsc::Scope::User) else {
        return false;
    };
    let mut states = [pcsc::ReaderState::new(reader.clone(), pcsc::State::UNAWARE)];
    ctx.get_status_change(Duration::from_millis(500), &mut states)
        .is_ok()
        && states[0].event_state().contains(pcsc::State::PRESENT)
}

/// A persona's virtual card in a vpcd reader; pulled out on drop.
pub struct InsertedCard {
    /// The card (its timing model can be changed while inserted).
    pub card: SharedCard,
    /// Its APDU log.
    pub log: ApduLog,
    /// The pcscd reader's full name.
    pub reader: String,
    handle: Option<VpcdHandle>,
}

impl InsertedCard {
    /// Waits for the reader to be empty (another program's card must leave first, up to
    /// 60 s), inserts `persona`'s card through the vpcd on `port`, waits for pcscd to see it.
    pub fn insert(persona: &Persona, port: u16) -> Result<Self> {
        let ctx = pcsc::Context::establish(pcsc::Scope::User).map_err(|e| {
            Error::Unavailable(format!(
                "pcscd is not reachable ({e}); start it with `pcscd`"
            ))
        })?;
        let reader = find_reader(&ctx, &reader_name_for_port(port)?)?;
        wait_until("the reader to be empty", Duration::from_secs(60), || {
            !card_present(&reader)
        })?;
        let card = VirtualCard::from_persona(persona).map_err(|e| {
            Error::Unavailable(format!("building the card of {}: {e}", persona.name))
        })?;
        let card = SharedCard::new(card);
        let log = card.log();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let handle = spawn_vpcd(addr, card.clone()).map_err(Error::io(format!(
            "connecting the virtual card to vpcd on {addr}"
        )))?;
        if !handle.wait_connected(Duration::from_secs(10)) {
            return Err(Error::Unavailable(format!(
                "the virtual card could not reach vpcd on {addr}: {:?}",
                handle.last_error()
            )));
        }
        wait_until("pcscd to see the card", Duration::from_secs(10), || {
            card_present(&reader)
        })?;
        Ok(InsertedCard {
            card,
            log,
            reader: reader.to_string_lossy().into_owned(),
            handle: Some(handle),
        })
    }
}

impl Drop for InsertedCard {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            handle.shutdown();
        }
        if let Ok(reader) = CString::new(self.reader.as_str()) {
            let _ = wait_until("the card to leave", Duration::from_secs(10), || {
                !card_present(&reader)
            });
        }
    }
}

/// Polls `done` every 50 ms until it holds or `timeout` passes.
fn wait_until(what: &str, timeout: Duration, done: impl Fn() -> bool) -> Result<()> {
    crate::wait_until(what, timeout, Duration::from_millis(50), || Ok(done()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vpcd_ports_name_their_readers() {
        assert_eq!(reader_name_for_port(35963).unwrap(), "Virtual PCD 00 00");
        assert_eq!(reader_name_for_port(35964).unwrap(), "Virtual PCD 00 01");
        assert!(reader_name_for_port(8080).is_err());
    }
}
