//! The vpcd codec, and the adapter against a fake vpcd on a loopback listener.

use std::io::Cursor;
use std::net::TcpListener;
use std::sync::OnceLock;

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use rsa::RsaPrivateKey;

use super::*;
use crate::{CardContents, MY_NUMBER_CARD_ATR, VirtualCard};

#[test]
fn frames_round_trip() {
    let mut wire = Vec::new();
    write_frame(&mut wire, &[0x00, 0xA4, 0x04, 0x0C]).unwrap();
    write_frame(&mut wire, &[CTRL_ATR]).unwrap();
    assert_eq!(wire, [0, 4, 0x00, 0xA4, 0x04, 0x0C, 0, 1, 4]);
    let mut reader = Cursor::new(wire);
    assert_eq!(
        read_frame(&mut reader, MAX_FRAME).unwrap(),
        Some(vec![0x00, 0xA4, 0x04, 0x0C])
    );
    assert_eq!(
        read_frame(&mut reader, MAX_FRAME).unwrap(),
        Some(vec![CTRL_ATR])
    );
    assert_eq!(
        read_frame(&mut reader, MAX_FRAME).unwrap(),
        None,
        "clean EOF"
    );
    // The largest frame the length can carry.
    let mut wire = Vec::new();
    write_frame(&mut wire, &vec![0xAB; MAX_FRAME]).unwrap();
    assert_eq!(&wire[..2], &[0xFF, 0xFF]);
    let back = read_frame(&mut Cursor::new(wire), MAX_FRAME)
        .unwrap()
        .unwrap();
    assert_eq!(back.len(), MAX_FRAME);
}

#[test]
fn malformed_frames_are_typed_errors() {
    let read = |bytes: &[u8], max: usize| read_frame(&mut Cursor::new(bytes.to_vec()), max);
    assert!(matches!(
        read(&[0, 0], MAX_FRAME),
        Err(VpcdError::EmptyFrame)
    ));
    assert!(matches!(
        read(&[0x01, 0x00, 1, 2, 3], 255),
        Err(VpcdError::FrameTooLarge { len: 256, max: 255 })
    ));
    assert!(matches!(
        read(&[0x00], MAX_FRAME),
        Err(VpcdError::Truncated {
            expected: 2,
            received: 1
        })
    ));
    assert!(matches!(
        read(&[0x00, 0x05, 1, 2], MAX_FRAME),
        Err(VpcdError::Truncated {
            expected: 7,
            received: 4
        })
    ));
    let mut sink = Vec::new();
    assert!(matches!(
        write_frame(&mut sink, &[]),
        Err(VpcdError::EmptyFrame)
    ));
    assert!(matches!(
        write_frame(&mut sink, &vec![0; MAX_FRAME + 1]),
        Err(VpcdError::FrameTooLarge { len: 65536, .. })
    ));
    assert!(sink.is_empty());
}

#[test]
fn messages_are_classified() {
    assert_eq!(
        ReaderMessage::decode(&[0]).unwrap(),
        ReaderMessage::PowerOff
    );
    assert_eq!(ReaderMessage::decode(&[1]).unwrap(), ReaderMessage::PowerOn);
    assert_eq!(ReaderMessage::decode(&[2]).unwrap(), ReaderMessage::Reset);
    assert_eq!(
        ReaderMessage::decode(&[4]).unwrap(),
        ReaderMessage::AtrRequest
    );
    assert!(matches!(
        ReaderMessage::decode(&[3]),
        Err(VpcdError::UnknownControl { code: 3 })
    ));
    assert!(matches!(
        ReaderMessage::decode(&[]),
        Err(VpcdError::EmptyFrame)
    ));
    // Two bytes are an APDU (too short for the card, which answers 6700).
    assert_eq!(
        ReaderMessage::decode(&[0, 1]).unwrap(),
        ReaderMessage::Apdu(vec![0, 1])
    );
    let verify = ReaderMessage::decode(&[0x00, 0x20, 0x00, 0x80, 0x04, b'1', b'2', b'3', b'4']);
    assert_eq!(format!("{:?}", verify.unwrap()), "Apdu(9 bytes)");
}

fn key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::new(&mut ChaCha20Rng::seed_from_u64(11), 2048).unwrap())
}

fn shared_card() -> SharedCard {
    let contents = CardContents::new(
        vec![0x30, 0x00],
        vec![0x30, 0x00],
        key().clone(),
        Some("1234"),
    );
    SharedCard::new(VirtualCard::new(contents).unwrap())
}

fn fast() -> VpcdOptions {
    VpcdOptions {
        reconnect_min: Duration::from_millis(10),
        reconnect_max: Duration::from_millis(50),
        ..VpcdOptions::default()
    }
}

/// Plays vpcd on the accepted connection: sends a payload, reads an answer.
struct FakeVpcd {
    stream: TcpStream,
}

impl FakeVpcd {
    fn accept(listener: &TcpListener) -> Self {
        let (stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        FakeVpcd { stream }
    }

    fn send(&mut self, payload: &[u8]) {
        // Length and payload in separate writes, as vpcd does.
        let len = (payload.len() as u16).to_be_bytes();
        self.stream.write_all(&len).unwrap();
        self.stream.write_all(payload).unwrap();
    }

    fn exchange(&mut self, payload: &[u8]) -> Vec<u8> {
        self.send(payload);
        read_frame(&mut self.stream, MAX_FRAME).unwrap().unwrap()
    }
}

fn listener() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

#[test]
fn the_adapter_answers_controls_and_apdus() {
    let (listener, addr) = listener();
    let card = shared_card();
    let handle = spawn_vpcd_with(addr, card.clone(), fast()).unwrap();
    let mut vpcd = FakeVpcd::accept(&listener);
    assert!(handle.wait_connected(Duration::from_secs(5)));
    assert_eq!(handle.connections(), 1);
    vpcd.send(&[CTRL_OFF]);
    assert_eq!(vpcd.exchange(&[CTRL_ATR]), MY_NUMBER_CARD_ATR);
    // Powered off: the adapter still answers rather than leaving vpcd waiting.
    assert_eq!(vpcd.exchange(&[0x00, 0xA4, 0x00, 0x00]), [0x6F, 0x00]);
    vpcd.send(&[CTRL_ON]);
    let select = [
        0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01,
    ];
    assert_eq!(vpcd.exchange(&select), [0x90, 0x00]);
    assert_eq!(
        vpcd.exchange(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x0A]),
        [0x90, 0x00]
    );
    assert_eq!(
        vpcd.exchange(&[0x00, 0xB0, 0x00, 0x00, 0x00]),
        [0x30, 0x00, 0x90, 0x00]
    );
    // Unknown controls are ignored; the connection stays usable.
    vpcd.send(&[3]);
    assert_eq!(
        vpcd.exchange(&[0x00, 0xB0, 0x00, 0x01, 0x01]),
        [0x00, 0x90, 0x00]
    );
    // Reset clears the selection.
    vpcd.send(&[CTRL_RESET]);
    assert_eq!(vpcd.exchange(&[0x00, 0xB0, 0x00, 0x00, 0x01]), [0x69, 0x86]);
    assert_eq!(vpcd.exchange(&[0x00, 0xA4]), [0x67, 0x00]);
    assert_eq!(card.log().len(), 6);
    assert_eq!(handle.connections(), 1);
    handle.shutdown();
}

#[test]
fn the_adapter_reconnects_after_vpcd_goes_away() {
    let (listener, addr) = listener();
    let card = shared_card();
    let handle = spawn_vpcd_with(addr, card.clone(), fast()).unwrap();
    let mut first = FakeVpcd::accept(&listener);
    assert_eq!(first.exchange(&[CTRL_ATR]), MY_NUMBER_CARD_ATR);
    drop(first); // pcscd restarting
    let mut second = FakeVpcd::accept(&listener);
    assert_eq!(second.exchange(&[CTRL_ATR]), MY_NUMBER_CARD_ATR);
    assert!(handle.wait_connected(Duration::from_secs(5)));
    assert_eq!(handle.connections(), 2);
    // The card lost power with the connection.
    assert!(!card.lock().is_powered());
    handle.shutdown();
}

#[test]
fn malformed_frames_drop_the_connection() {
    let (listener, addr) = listener();
    let options = VpcdOptions {
        max_frame: 300,
        ..fast()
    };
    let handle = spawn_vpcd_with(addr, shared_card(), options).unwrap();
    // A zero-length frame.
    let mut vpcd = FakeVpcd::accept(&listener);
    vpcd.stream.write_all(&[0, 0]).unwrap();
    let mut vpcd = FakeVpcd::accept(&listener);
    assert!(handle.last_error().unwrap().contains("zero-length"));
    // An oversized one.
    vpcd.send(&[0; 301]);
    let mut vpcd = FakeVpcd::accept(&listener);
    assert!(handle.last_error().unwrap().contains("exceeds"));
    assert_eq!(vpcd.exchange(&[CTRL_ATR]), MY_NUMBER_CARD_ATR);
    assert_eq!(handle.connections(), 3);
    handle.shutdown();
}

#[test]
fn detach_removes_the_card_until_attach() {
    let (listener, addr) = listener();
    let handle = spawn_vpcd_with(addr, shared_card(), fast()).unwrap();
    let mut vpcd = FakeVpcd::accept(&listener);
    assert!(handle.wait_connected(Duration::from_secs(5)));
    handle.detach();
    assert!(handle.wait_disconnected(Duration::from_secs(5)));
    // vpcd sees the card gone: the connection is closed.
    assert!(matches!(
        read_frame(&mut vpcd.stream, MAX_FRAME),
        Ok(None) | Err(_)
    ));
    // No reconnection while detached.
    listener.set_nonblocking(true).unwrap();
    std::thread::sleep(Duration::from_millis(150));
    assert!(listener.accept().is_err());
    listener.set_nonblocking(false).unwrap();
    handle.attach();
    let mut vpcd = FakeVpcd::accept(&listener);
    assert_eq!(vpcd.exchange(&[CTRL_ATR]), MY_NUMBER_CARD_ATR);
    assert_eq!(handle.connections(), 2);
    handle.shutdown();
}

#[test]
fn the_adapter_keeps_trying_until_vpcd_listens_and_stops_on_request() {
    // Reserve a port, then close it: nothing listens there.
    let (listener, addr) = listener();
    drop(listener);
    let handle = spawn_vpcd_with(addr, shared_card(), fast()).unwrap();
    assert!(!handle.wait_connected(Duration::from_millis(200)));
    assert!(handle.last_error().is_some());
    let listener = TcpListener::bind(addr).unwrap();
    let mut vpcd = FakeVpcd::accept(&listener);
    assert_eq!(vpcd.exchange(&[CTRL_ATR]), MY_NUMBER_CARD_ATR);
    let stopper = handle.stopper();
    stopper.stop();
    handle.join();
    // The adapter closed its side.
    assert!(matches!(
        read_frame(&mut vpcd.stream, MAX_FRAME),
        Ok(None) | Err(_)
    ));
}
