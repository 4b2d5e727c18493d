//! Monitoring against the real binary: `/metrics` in Prometheus text with real figures, the seed's
//! `Metrics` JSON, threshold alerts posted once per episode to a webhook, and the memory guard.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::*;
use serde_json::Value;

fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn metrics_are_prometheus_text_with_measured_figures() {
    let gateway = Gateway::start(Some("{ monitoring: { sampleIntervalMs: 200 } }"));
    assert_eq!(
        gateway.get("/metrics", &[]).status,
        401,
        "metrics need auth by default"
    );
    wait_for("a first system sample", || {
        gateway
            .get_authed("/metrics")
            .text
            .contains("pincer_process_resident_memory_bytes")
    });
    let text = gateway.get_authed("/metrics").text;
    let value = |name: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} missing from\n{text}"))
    };
    let rss = value("pincer_process_resident_memory_bytes");
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", gateway.pid)).expect("proc status");
    let proc_rss_kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .expect("VmRSS");
    assert!(
        (rss / 1024.0 - proc_rss_kb).abs() < proc_rss_kb * 0.5,
        "RSS {rss} vs /proc {proc_rss_kb} kB"
    );
    assert!(value("pincer_system_memory_total_bytes") > 0.0);
    assert!(value("pincer_http_requests_total") >= 1.0);
    assert!(
        text.contains("pincer_actors{kind=\"supervisor\",state=\"running\"}"),
        "{text}"
    );
    assert!(
        text.contains("pincer_mailbox_queued{kind=\"web\"}"),
        "{text}"
    );

    let seed = gateway.get_authed("/admin/metrics").body;
    for path in [
        "gateway/uptime",
        "gateway/errorRate",
        "agents/tokenUsage/total",
        "system/cpuUsage",
        "system/networkIO/in",
    ] {
        assert!(
            seed.pointer(&format!("/{path}"))
                .is_some_and(Value::is_number),
            "{path} in {seed}"
        );
    }

    let public = Gateway::start(Some("{ monitoring: { metricsPublic: true } }"));
    assert_eq!(public.get("/metrics", &[]).status, 200);
}

/// A webhook receiver that records the JSON bodies POSTed to it.
fn webhook() -> (String, Arc<Mutex<Vec<Value>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/alerts", listener.local_addr().expect("addr"));
    let received = Arc::new(Mutex::new(Vec::new()));
    let store = Arc::clone(&received);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut buffer = Vec::new();
            let mut chunk = [0u8; 4096];
            let body = loop {
                let n = stream.read(&mut chunk).unwrap_or(0);
                if n == 0 {
                    break None;
                }
                buffer.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buffer).to_string();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let length = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().to_string())
                        })
                        .and_then(|v| v.parse::<usize>().ok())
                        .unwrap_or(0);
                    if body.len() >= length {
                        break Some(body[..length].to_string());
                    }
                }
            };
            if let Some(body) = body {
                if let Ok(json) = serde_json::from_str(&body) {
                    store.lock().expect("store").push(json);
                }
            }
            let _ = stream.write_all(
                b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    (url, received)
}

#[test]
fn a_threshold_alert_fires_once_per_episode_and_reaches_the_webhook() {
    let (url, received) = webhook();
    let config = format!(
        "{{ monitoring: {{ sampleIntervalMs: 100, alertWebhook: '{url}', thresholds: {{ memoryCritical: 0.0001, cpuWarning: 2, cpuCritical: 2, checkInterval: 100 }} }} }}"
    );
    let mut gateway = Gateway::start(Some(&config));
    wait_for("the alert at the webhook", || {
        !received.lock().expect("store").is_empty()
    });
    std::thread::sleep(Duration::from_millis(800));
    let alerts = received.lock().expect("store").clone();
    assert_eq!(
        alerts.len(),
        1,
        "one alert per episode, not one per check: {alerts:?}"
    );
    assert_eq!(alerts[0]["alert"]["state"], "fired");
    assert_eq!(alerts[0]["alert"]["metric"], "system.memoryUsage");
    assert_eq!(alerts[0]["alert"]["level"], "critical");

    let status = gateway.get_authed("/admin/status").body;
    assert_eq!(
        status["alerts"][0]["metric"], "system.memoryUsage",
        "{status}"
    );
    let output = gateway.terminate();
    assert!(
        stderr(&output).contains("ALERT [CRITICAL]: Memory usage is critically high"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn the_memory_guard_refuses_new_runs_with_a_clear_message() {
    let gateway = Gateway::start(Some(
        "{ agents: { memoryLimit: 1 }, monitoring: { sampleIntervalMs: 100 } }",
    ));
    wait_for("load shedding", || {
        gateway
            .get_authed("/metrics")
            .text
            .lines()
            .any(|l| l == "pincer_memory_guard_shedding 1")
    });
    let bearer = format!("Bearer {}", gateway.token());
    let body = serde_json::json!({ "messages": [{ "role": "user", "content": "hi" }] });
    let response = http_post(
        gateway.addr,
        "/v1/chat/completions",
        &[("Authorization", bearer.as_str())],
        &body,
    );
    // Shedding load passes: 503 with a Retry-After, as OpenAI clients expect.
    assert_eq!(response.status, 503, "{}", response.text);
    assert!(
        response.header("retry-after").is_some(),
        "{:?}",
        response.headers
    );
    let message = response.body["error"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains("shedding load") && message.contains("agents.memoryLimit"),
        "{message}"
    );
    let status = gateway.get_authed("/admin/status").body;
    assert!(
        status["shedding"]
            .as_str()
            .is_some_and(|s| s.contains("shedding")),
        "{status}"
    );
}
