//! The frame-size limit of `/ws`, against the real binary: before `connect` succeeds a frame may
//! be at most 64 KiB and that is enforced on the frame's header, while reading (a header
//! announcing 2^60 bytes is refused at once, eight 24 MiB first frames cost the gateway almost no
//! memory); after `hello-ok` frames up to `maxPayload` (25 MiB) work and a fragmented message is
//! capped as a whole.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::support::ws::WsClient;
use crate::support::Gateway;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);

/// A masked client frame header (mask key zero, so the payload goes as is).
fn header(fin: bool, opcode: u8, length: u64) -> Vec<u8> {
    let mut bytes = vec![if fin { 0x80 | opcode } else { opcode }];
    match length {
        0..=125 => bytes.push(0x80 | length as u8),
        126..=65535 => {
            bytes.push(0x80 | 126);
            bytes.extend_from_slice(&(length as u16).to_be_bytes());
        }
        _ => {
            bytes.push(0x80 | 127);
            bytes.extend_from_slice(&length.to_be_bytes());
        }
    }
    bytes.extend_from_slice(&[0, 0, 0, 0]);
    bytes
}

/// A raw `/ws` upgrade; the stream, positioned after the 101 response head.
fn upgrade(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let request = format!(
        "GET /ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).expect("upgrade");
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).expect("upgrade answer");
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    stream
}

/// Everything the gateway sends until it closes the connection (or `limit` passes).
fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (Vec<u8>, bool) {
    let deadline = Instant::now() + limit;
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    while Instant::now() < deadline {
        match stream.read(&mut chunk) {
            Ok(0) => return (received, true),
            Ok(n) => received.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return (received, true),
        }
    }
    (received, false)
}

/// The server frames in `bytes` (unmasked, each in one piece): (opcode, payload).
fn frames(mut bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    while bytes.len() >= 2 {
        let opcode = bytes[0] & 0x0f;
        let (length, start) = match bytes[1] & 0x7f {
            126 if bytes.len() >= 4 => (u16::from_be_bytes([bytes[2], bytes[3]]) as usize, 4),
            127 => break,
            126 => break,
            short => (short as usize, 2),
        };
        if bytes.len() < start + length {
            break;
        }
        out.push((opcode, bytes[start..start + length].to_vec()));
        bytes = &bytes[start + length..];
    }
    out
}

/// The close code in a close frame's payload.
fn close_code(frames: &[(u8, Vec<u8>)]) -> Option<u16> {
    frames
        .iter()
        .find(|(opcode, _)| *opcode == 0x8)
        .and_then(|(_, payload)| payload.get(..2).map(|c| u16::from_be_bytes([c[0], c[1]])))
}

fn vm_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .expect("VmRSS")
}

#[test]
fn a_first_frame_announcing_2_pow_60_bytes_is_refused_at_once() {
    let gateway = Gateway::start(None);
    let mut stream = upgrade(gateway.addr);
    let started = Instant::now();
    stream
        .write_all(&header(true, 0x1, 1 << 60))
        .expect("send the header");
    let (received, closed) = read_until_closed(&mut stream, WAIT);
    let took = started.elapsed();
    assert!(closed, "the gateway kept the socket open for {took:?}");
    // The handshake allows 15 s for `connect`: the refusal must come from the header, not that.
    assert!(took < Duration::from_secs(10), "closed only after {took:?}");
    let frames = frames(&received);
    let refusal: Vec<Value> = frames
        .iter()
        .filter(|(opcode, _)| *opcode == 0x1)
        .filter_map(|(_, text)| serde_json::from_slice(text).ok())
        .filter(|frame: &Value| frame["type"] == "res")
        .collect();
    let message = refusal
        .first()
        .and_then(|f| f["error"]["message"].as_str())
        .unwrap_or_else(|| panic!("no error frame in {frames:?}"));
    assert!(
        message.contains("1152921504606846976 bytes") && message.contains("64 KiB"),
        "{message}"
    );
    assert_eq!(close_code(&frames), Some(1008), "{frames:?}");
}

#[test]
fn eight_unauthenticated_24_mib_first_frames_cost_almost_no_memory() {
    let gateway = Gateway::start(None);
    // Warm the upgrade path once so that its first allocations do not count.
    let mut warm = upgrade(gateway.addr);
    warm.write_all(&header(true, 0x1, 2)).expect("warm");
    warm.write_all(b"{}").expect("warm");
    drop(read_until_closed(&mut warm, WAIT));
    std::thread::sleep(Duration::from_millis(300));
    let before = vm_rss_kib(gateway.pid);
    let addr = gateway.addr;
    let senders: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(move || {
                let mut stream = upgrade(addr);
                let size = 24u64 << 20;
                let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
                let mut sent = 0u64;
                if stream.write_all(&header(true, 0x1, size)).is_ok() {
                    let chunk = vec![b'x'; 64 * 1024];
                    while sent < size && stream.write_all(&chunk).is_ok() {
                        sent += chunk.len() as u64;
                    }
                }
                let (received, closed) = read_until_closed(&mut stream, WAIT);
                (close_code(&frames(&received)), closed)
            })
        })
        .collect();
    let outcomes: Vec<_> = senders
        .into_iter()
        .map(|s| s.join().expect("sender"))
        .collect();
    let grown_kib = vm_rss_kib(gateway.pid).saturating_sub(before);
    for (code, closed) in &outcomes {
        assert!(
            closed,
            "a 24 MiB first frame left its socket open: {outcomes:?}"
        );
        assert_eq!(*code, Some(1008), "{outcomes:?}");
    }
    assert!(
        grown_kib < 30 * 1024,
        "eight 24 MiB first frames grew the gateway by {grown_kib} KiB"
    );
    // The gateway still serves.
    assert_eq!(gateway.get("/healthz", &[]).status, 200);
}

#[test]
fn after_hello_ok_a_1_mib_frame_works_and_a_fragmented_message_is_capped_as_a_whole() {
    let gateway = Gateway::start(None);
    let (mut client, hello) = WsClient::connect(gateway.addr, &gateway.token());
    let max_payload = hello["policy"]["maxPayload"].as_u64().expect("maxPayload");
    let pad = "x".repeat(1024 * 1024);
    let answer = client.request("health", json!({ "pad": pad }));
    assert_eq!(answer["ok"], true, "{answer}");

    // A small first fragment, then a continuation that takes the message past maxPayload.
    let stream = client.raw_stream();
    let mut frame = header(false, 0x1, 2);
    frame.extend_from_slice(b"{\"");
    frame.extend(header(true, 0x0, max_payload - 1));
    stream.write_all(&frame).expect("send the fragments");
    let (code, reason) = client.closed(WAIT).expect("closed");
    assert_eq!(code, 1009, "{reason}");
    assert!(reason.contains("maxPayload"), "{reason}");
    // Others still connect.
    let (mut other, _) = WsClient::connect(gateway.addr, &gateway.token());
    assert_eq!(other.request("health", json!({}))["ok"], true);
}
