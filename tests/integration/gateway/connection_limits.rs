//! Connection exhaustion, against the real binary: half-open connections and slowloris heads
//! neither keep a new client's `/healthz` waiting nor stay open past the request-head timeout
//! (`gateway.connectionTimeout`, 2 s), and one client address at `maxConnectionsPerClient` busy
//! connections is refused (503, naming the key) while another address is still served.

use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpStream};
use std::os::fd::FromRawFd;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::support::ws::WsClient;
use crate::support::{Gateway, Response};

/// A TCP connection to `to` from the loopback address `source` (127.0.0.0/8 is all loopback).
#[allow(
    unsafe_code,
    reason = "bind(2) to a chosen loopback source address before connect(2); std cannot"
)]
fn connect_from(source: Ipv4Addr, to: SocketAddr) -> TcpStream {
    fn sockaddr(addr: SocketAddrV4) -> libc::sockaddr_in {
        libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: addr.port().to_be(),
            sin_addr: libc::in_addr {
                s_addr: u32::from(*addr.ip()).to_be(),
            },
            sin_zero: [0; 8],
        }
    }
    let SocketAddr::V4(to) = to else {
        panic!("the gateway listens on IPv4 loopback, not {to}")
    };
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: plain socket calls on a descriptor this function owns until it hands it over.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
        let stream = TcpStream::from_raw_fd(fd);
        let local = sockaddr(SocketAddrV4::new(source, 0));
        let bound = libc::bind(fd, (&raw const local).cast(), len);
        assert_eq!(
            bound,
            0,
            "bind {source}: {}",
            std::io::Error::last_os_error()
        );
        let remote = sockaddr(to);
        let connected = libc::connect(fd, (&raw const remote).cast(), len);
        assert_eq!(
            connected,
            0,
            "connect {to}: {}",
            std::io::Error::last_os_error()
        );
        stream
    }
}

/// `GET path` over `stream` (`Connection: close`); the status and body, or why there were none.
fn get_over(mut stream: TcpStream, path: &str) -> Result<(u16, String), String> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: pincer\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    read_answer(stream)
}

fn read_answer(mut stream: TcpStream) -> Result<(u16, String), String> {
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&raw).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("no status line in {text:?}"))?;
    Ok((status, text))
}

/// `/healthz` from a fresh connection on another thread; the answer and how long it took, or
/// `None` when none came within `limit`.
fn healthz_within(addr: SocketAddr, limit: Duration) -> Option<(Response, Duration)> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let started = Instant::now();
        let response = crate::support::http_get(addr, "/healthz", &[]);
        let _ = tx.send((response, started.elapsed()));
    });
    rx.recv_timeout(limit).ok()
}

/// Whether the gateway closed `stream` (EOF, an error, or its 408) within `limit`.
fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    let mut buffer = [0u8; 512];
    while Instant::now() < deadline {
        let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(n) if String::from_utf8_lossy(&buffer[..n]).starts_with("HTTP/1.1 408") => {
                return true
            }
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return true,
        }
    }
    false
}

#[test]
fn half_open_and_slowloris_connections_neither_delay_healthz_nor_outlive_the_head_timeout() {
    let gateway = Gateway::start(None);
    let addr = gateway.addr;
    let mut idle: Vec<TcpStream> = (0..300)
        .map(|i| TcpStream::connect(addr).unwrap_or_else(|e| panic!("half-open {i}: {e}")))
        .collect();
    // Slowloris: heads that never finish.
    let mut slow: Vec<TcpStream> = (0..50)
        .map(|_| {
            let mut stream = TcpStream::connect(addr).expect("slowloris connect");
            let _ = stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: pincer\r\nX-Slow: ");
            stream
        })
        .collect();
    let opened = Instant::now();
    let (response, took) = healthz_within(addr, Duration::from_secs(3))
        .expect("/healthz did not answer within 3 s of 350 stale connections");
    assert_eq!(response.status, 200, "{response:?}");
    eprintln!("/healthz under 300 half-open + 50 slowloris connections: {took:?}");
    // None of them is still open once the 2 s head timeout has passed (allow for a slow host).
    let limit = Duration::from_secs(8);
    for (i, stream) in idle.iter_mut().chain(slow.iter_mut()).enumerate() {
        let left = limit.saturating_sub(opened.elapsed());
        assert!(
            closed_within(stream, left),
            "stale connection {i} still open {:?} after it was opened",
            opened.elapsed()
        );
    }
    assert_eq!(gateway.get("/healthz", &[]).status, 200);
}

#[test]
fn one_address_at_its_cap_of_busy_connections_is_refused_while_another_is_served() {
    let gateway = Gateway::start(Some("{ gateway: { maxConnectionsPerClient: 4 } }"));
    let token = gateway.token();
    // Four authenticated WebSocket clients from 127.0.0.1: busy connections, never replaced.
    let mut clients: Vec<WsClient> = (0..4)
        .map(|_| WsClient::connect(gateway.addr, &token).0)
        .collect();
    let local = Ipv4Addr::new(127, 0, 0, 1);
    let refused = read_answer(connect_from(local, gateway.addr))
        .expect("a 503 for the fifth connection from 127.0.0.1");
    assert_eq!(refused.0, 503, "{}", refused.1);
    assert!(
        refused.1.contains("TOO_MANY_CONNECTIONS") && refused.1.contains("maxConnectionsPerClient"),
        "{}",
        refused.1
    );
    // Another address is served meanwhile.
    let other = get_over(
        connect_from(Ipv4Addr::new(127, 0, 0, 2), gateway.addr),
        "/healthz",
    )
    .expect("/healthz from 127.0.0.2");
    assert_eq!(other.0, 200, "{}", other.1);
    // The first address gets its place back when one of its connections ends.
    drop(clients.pop());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match get_over(connect_from(local, gateway.addr), "/healthz") {
            Ok((200, _)) => break,
            answer => assert!(
                Instant::now() < deadline,
                "127.0.0.1 still refused after one of its connections closed: {answer:?}"
            ),
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_new_connection_replaces_the_oldest_one_of_its_address_that_sent_nothing() {
    let gateway = Gateway::start(Some("{ gateway: { maxConnectionsPerClient: 3 } }"));
    // One at a time, so that the gateway's workers admit them in this order.
    let mut silent: Vec<TcpStream> = (0..3)
        .map(|_| {
            let stream = TcpStream::connect(gateway.addr).expect("connect");
            std::thread::sleep(Duration::from_millis(100));
            stream
        })
        .collect();
    let answer = healthz_within(gateway.addr, Duration::from_secs(3)).expect("/healthz answered");
    assert_eq!(answer.0.status, 200);
    assert!(
        closed_within(&mut silent[0], Duration::from_millis(1000)),
        "the oldest silent connection was not closed for the newcomer (well before the 2 s head timeout)"
    );
    for (i, stream) in silent.iter_mut().enumerate().skip(1) {
        assert!(
            !closed_within(stream, Duration::from_millis(200)),
            "silent connection {i} was closed too, not just the oldest"
        );
    }
}

#[test]
fn unauthenticated_websockets_give_way_to_newcomers_and_authenticated_ones_do_not() {
    let gateway = Gateway::start(Some("{ gateway: { maxConnectionsPerClient: 3 } }"));
    let (mut authenticated, _) = WsClient::connect(gateway.addr, &gateway.token());
    // Upgraded, challenged, never authenticated; one at a time so that they are admitted in order.
    let mut pending: Vec<WsClient> = (0..2)
        .map(|_| {
            let mut client = WsClient::open(gateway.addr);
            client
                .next_frame(Duration::from_secs(5))
                .expect("challenge");
            std::thread::sleep(Duration::from_millis(100));
            client
        })
        .collect();
    let answer = healthz_within(gateway.addr, Duration::from_secs(3)).expect("/healthz answered");
    assert_eq!(answer.0.status, 200);
    // The older unauthenticated socket made room (long before its 15 s handshake timeout).
    assert_eq!(
        pending[0].closed(Duration::from_secs(2)).map(|c| c.0),
        Some(1006),
        "the oldest unauthenticated WebSocket was not closed for the newcomer"
    );
    assert_eq!(pending[1].closed(Duration::from_millis(300)), None);
    assert_eq!(
        authenticated.request("health", serde_json::json!({}))["ok"],
        true
    );
}
