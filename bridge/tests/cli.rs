//! The `myna-bridge virtual-card` command line, against a fake vpcd on a loopback port.

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{BIN, refused};

fn exchange(stream: &mut std::net::TcpStream, payload: &[u8]) -> Vec<u8> {
    let mut frame = (payload.len() as u16).to_be_bytes().to_vec();
    frame.extend_from_slice(payload);
    stream.write_all(&frame).unwrap();
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).unwrap();
    let mut body = vec![0u8; u16::from_be_bytes(len) as usize];
    stream.read_exact(&mut body).unwrap();
    body
}

#[test]
fn an_unknown_persona_is_refused_with_the_known_names() {
    let stderr = refused(Command::new(BIN).args([
        "virtual-card",
        "--vpcd",
        "127.0.0.1:9",
        "--persona",
        "nobody",
    ]));
    assert!(stderr.contains("unknown persona \"nobody\""), "{stderr}");
    assert!(
        stderr.contains("default") && stderr.contains("no-pin"),
        "{stderr}"
    );
}

#[test]
fn the_virtual_card_serves_vpcd_and_stops_on_ctrl_c() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let mut child = Command::new(BIN)
        .args(["virtual-card", "--vpcd", &addr, "--persona", "kokuho"])
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (mut stream, _) = listener.accept().unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    assert_eq!(
        exchange(&mut stream, &[4]),
        [0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14]
    );
    stream.write_all(&[0, 1, 1]).unwrap(); // power on
    let select = [
        0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01,
    ];
    assert_eq!(exchange(&mut stream, &select), [0x90, 0x00]);
    // The persona's PIN state: kokuho has 3 tries.
    assert_eq!(
        exchange(&mut stream, &[0x00, 0x20, 0x00, 0x98]),
        [0x63, 0xC3]
    );
    // Ctrl-C: the card leaves and the process exits cleanly.
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("myna-bridge did not stop on SIGINT");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "{exit:?}");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(stderr.contains("virtual card removed"), "{stderr}");
    // And vpcd sees the connection closed.
    let mut rest = Vec::new();
    assert_eq!(stream.read_to_end(&mut rest).unwrap_or(0), 0);
}
