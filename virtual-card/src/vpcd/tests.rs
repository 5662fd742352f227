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
    write_frame(&mut wire, &ReaderMessage::AtrRequest.encode()).unwrap();
    assert_eq!(wire, [0, 4, 0x00, 0xA4, 0x04, 0x0C, 0, 1, 4]);
    let mut reader = Cursor::new(wire);
    assert_eq!(
        read_frame(&mut reader, MAX_FRAME).unwrap(),
        Some(vec![0x00, 0xA4, 0x04, 0x0C])
    );
    assert_eq!(
        read_frame(&mut reader, MAX_FRAME).unwrap(),
        Some(ReaderMessage::AtrRequest.encode())
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
fn messages_are_classified_and_encoded_back() {
    // vpcd's control bytes, and every message back to its own bytes.
    for (bytes, message) in [
        (vec![0], ReaderMessage::PowerOff),
        (vec![1], ReaderMessage::PowerOn),
        (vec![2], ReaderMessage::Reset),
        (vec![4], ReaderMessage::AtrRequest),
        // Two bytes are an APDU (too short for the card, which answers 6700).
        (vec![0, 1], ReaderMessage::Apdu(vec![0, 1])),
    ] {
        assert_eq!(ReaderMessage::decode(&bytes).unwrap(), message);
        assert_eq!(message.encode(), bytes);
    }
    assert!(matches!(
        ReaderMessage::decode(&[3]),
        Err(VpcdError::UnknownControl { code: 3 })
    ));
    assert!(matches!(
        ReaderMessage::decode(&[]),
        Err(VpcdError::EmptyFrame)
    ));
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

    /// Sends a control message that has no answer.
    fn control(&mut self, message: ReaderMessage) {
        self.send(&message.encode());
    }

    /// Whether the adapter has closed this connection (its next read ends the stream).
    fn closed(&mut self) -> bool {
        matches!(read_frame(&mut self.stream, MAX_FRAME), Ok(None) | Err(_))
    }

    /// Asks for the ATR; the card's answer.
    fn atr(&mut self) -> Vec<u8> {
        self.exchange(&ReaderMessage::AtrRequest.encode())
    }
}

/// The adapter's next connection answers the ATR; how many connections it has made.
fn answers_again(listener: &TcpListener, handle: &VpcdHandle) -> u64 {
    assert_eq!(FakeVpcd::accept(listener).atr(), MY_NUMBER_CARD_ATR);
    handle.connections()
}

/// An adapter with a fresh card, connecting to a listener of the test's (vpcd's stand-in).
fn adapter(options: VpcdOptions) -> (TcpListener, SharedCard, VpcdHandle) {
    let (listener, addr) = listener();
    let card = shared_card();
    let handle = spawn_vpcd_with(addr, card.clone(), options).unwrap();
    (listener, card, handle)
}

fn listener() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

#[test]
fn the_adapter_answers_controls_and_apdus() {
    let (listener, card, handle) = adapter(fast());
    let mut vpcd = FakeVpcd::accept(&listener);
    assert!(handle.wait_connected(Duration::from_secs(5)));
    assert_eq!(handle.connections(), 1);
    vpcd.control(ReaderMessage::PowerOff);
    assert_eq!(vpcd.atr(), MY_NUMBER_CARD_ATR);
    // Powered off: the adapter still answers rather than leaving vpcd waiting.
    assert_eq!(vpcd.exchange(&[0x00, 0xA4, 0x00, 0x00]), [0x6F, 0x00]);
    vpcd.control(ReaderMessage::PowerOn);
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
    vpcd.control(ReaderMessage::Reset);
    assert_eq!(vpcd.exchange(&[0x00, 0xB0, 0x00, 0x00, 0x01]), [0x69, 0x86]);
    assert_eq!(vpcd.exchange(&[0x00, 0xA4]), [0x67, 0x00]);
    assert_eq!(card.log().len(), 6);
    assert_eq!(handle.connections(), 1);
    handle.shutdown();
}

#[test]
fn the_adapter_reconnects_after_vpcd_goes_away() {
    let (listener, card, handle) = adapter(fast());
    let mut first = FakeVpcd::accept(&listener);
    assert_eq!(first.atr(), MY_NUMBER_CARD_ATR);
    drop(first); // pcscd restarting
    let mut second = FakeVpcd::accept(&listener);
    assert_eq!(second.atr(), MY_NUMBER_CARD_ATR);
    assert!(handle.wait_connected(Duration::from_secs(5)));
    assert_eq!(handle.connections(), 2);
    // The card lost power with the connection.
    assert!(!card.lock().is_powered());
    handle.shutdown();
}

#[test]
fn malformed_frames_drop_the_connection() {
    let (listener, _, handle) = adapter(VpcdOptions {
        max_frame: 300,
        ..fast()
    });
    // A zero-length frame.
    let mut vpcd = FakeVpcd::accept(&listener);
    vpcd.stream.write_all(&[0, 0]).unwrap();
    let mut vpcd = FakeVpcd::accept(&listener);
    assert!(handle.last_error().unwrap().contains("zero-length"));
    // An oversized one.
    vpcd.send(&[0; 301]);
    assert_eq!(answers_again(&listener, &handle), 3);
    assert!(handle.last_error().unwrap().contains("exceeds"));
    handle.shutdown();
}

#[test]
fn detach_removes_the_card_until_attach() {
    let (listener, _, handle) = adapter(fast());
    let mut vpcd = FakeVpcd::accept(&listener);
    assert!(handle.wait_connected(Duration::from_secs(5)));
    handle.detach();
    assert!(handle.wait_disconnected(Duration::from_secs(5)));
    // vpcd sees the card gone: the connection is closed.
    assert!(vpcd.closed());
    // No reconnection while detached.
    listener.set_nonblocking(true).unwrap();
    std::thread::sleep(Duration::from_millis(150));
    assert!(listener.accept().is_err());
    listener.set_nonblocking(false).unwrap();
    handle.attach();
    assert_eq!(answers_again(&listener, &handle), 2);
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
    assert_eq!(vpcd.atr(), MY_NUMBER_CARD_ATR);
    let stopper = handle.stopper();
    stopper.stop();
    handle.join();
    // The adapter closed its side.
    assert!(vpcd.closed());
}
