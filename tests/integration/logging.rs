//! Logging against the real binary: daily JSON-lines files read back by `pincer logs`, the syslog
//! socket, batched HTTP shipping, and JSON on the console.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::net::UnixDatagram;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::*;
use serde_json::Value;

#[test]
fn files_are_written_daily_and_pincer_logs_reads_and_filters_them() {
    let gateway = Gateway::start(None);
    assert_eq!(
        gateway
            .get("/admin/actors", &[("Authorization", "Bearer wrong")])
            .status,
        401
    );
    let logs = gateway.state_dir().join("logs");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text: String = std::fs::read_dir(&logs)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .collect();
        if text.contains("request refused") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no log file with the refused request in {}",
            logs.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let name = std::fs::read_dir(&logs)
        .expect("logs dir")
        .flatten()
        .next()
        .expect("a file")
        .file_name();
    let name = name.to_string_lossy();
    assert!(
        name.starts_with("pincer.") && name.ends_with(".log"),
        "{name}"
    );

    let raw = run_cli(gateway.home(), &["logs", "--json"]);
    let lines: Vec<Value> = stdout(&raw)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["fields"]["message"] == "HTTP server started"),
        "{}",
        stdout(&raw)
    );

    let warnings = stdout(&run_cli(gateway.home(), &["logs", "--level", "warn"]));
    assert!(
        warnings.contains("request refused") && warnings.contains("WARN"),
        "{warnings}"
    );
    assert!(
        !warnings.contains("HTTP server started"),
        "info lines are filtered out: {warnings}"
    );
}

#[test]
fn the_syslog_transport_sends_rfc3164_datagrams() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("log.sock");
    let socket = UnixDatagram::bind(&path).expect("bind");
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let config = format!(
        "{{ logging: {{ transports: [{{ type: 'syslog', config: {{ path: '{}' }} }}] }} }}",
        path.display()
    );
    let _gateway = Gateway::start(Some(&config));
    let mut buffer = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let n = socket.recv(&mut buffer).expect("a datagram");
        let text = String::from_utf8_lossy(&buffer[..n]).to_string();
        if text.contains("HTTP server started") {
            assert!(
                text.starts_with("<14>pincer["),
                "facility user, severity info: {text}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "no syslog line about the server");
    }
}

#[test]
fn the_http_transport_posts_batches_of_json_lines() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/logs", listener.local_addr().expect("addr"));
    let batches = Arc::new(Mutex::new(Vec::<Value>::new()));
    let store = Arc::clone(&batches);
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut raw = Vec::new();
            let mut chunk = [0u8; 65536];
            loop {
                let n = stream.read(&mut chunk).unwrap_or(0);
                if n == 0 {
                    break;
                }
                raw.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&raw).to_string();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let length: usize = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().to_string())
                        })
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    if body.len() >= length {
                        if let Ok(json) = serde_json::from_str(&body[..length]) {
                            store.lock().expect("store").push(json);
                        }
                        break;
                    }
                }
            }
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    let config = format!("{{ logging: {{ transports: [{{ type: 'http', config: {{ url: '{url}', flushMs: 200 }} }}] }} }}");
    let _gateway = Gateway::start(Some(&config));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = batches
            .lock()
            .expect("store")
            .iter()
            .filter_map(Value::as_array)
            .flatten()
            .any(|line| line["fields"]["message"] == "HTTP server started");
        if found {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no batch with the server start line"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_console_can_log_json() {
    let mut gateway = Gateway::start(Some(
        "{ logging: { format: 'json', transports: [{ type: 'console' }] } }",
    ));
    let output = gateway.terminate();
    let text = stderr(&output);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty());
    for line in lines {
        let parsed: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert!(parsed["level"].is_string(), "{line}");
    }
    assert!(
        !gateway.state_dir().join("logs").exists(),
        "no file transport configured"
    );
}
