//! `web_fetch` against a local HTTP server: text extraction, the address rule, limits, and the
//! cache (a second fetch is served without a request).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::*;
use crate::agent::tools::test_context;

/// Serves `body` with `content_type` to every connection; counts requests.
fn serve(content_type: &'static str, body: String) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            counter.fetch_add(1, SeqCst);
            let mut buffer = [0u8; 4096];
            let _ = stream.read(&mut buffer);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body.as_bytes());
        }
    });
    (format!("http://{addr}/page"), hits)
}

fn settings(allow_hosts: &[&str]) -> WebFetchTool {
    WebFetchTool {
        allow_hosts: allow_hosts.iter().map(|h| h.to_string()).collect(),
        timeout: 5_000,
        ..WebFetchTool::default()
    }
}

#[actix::test]
async fn pages_are_fetched_as_text_and_cached() {
    let dir = tempfile::tempdir().unwrap();
    let cx = test_context(dir.path());
    let (url, hits) = serve(
        "text/html; charset=utf-8",
        "<html><head><title>Local page</title></head><body><p>Hello <b>there</b></p></body></html>"
            .into(),
    );
    let cache = Arc::new(MultiLevelCache::new(
        dir.path().join("cache"),
        Duration::from_secs(300),
        1 << 20,
    ));
    let tool = WebFetch::new(settings(&["127.0.0.1"]), Some(Arc::clone(&cache)));
    let page = tool.call(&cx, json!({ "url": url })).await.unwrap();
    assert!(
        page.contains("Status: 200\nTitle: Local page\n\nHello there"),
        "{page}"
    );
    let again = tool.call(&cx, json!({ "url": url })).await.unwrap();
    assert!(again.starts_with("(cached)\n"), "{again}");
    assert_eq!(hits.load(SeqCst), 1, "the second fetch came from the cache");
}

#[actix::test]
async fn private_addresses_are_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let cx = test_context(dir.path());
    let (url, hits) = serve("text/plain", "internal".into());
    let strict = WebFetch::new(settings(&[]), None);
    let refused = strict.call(&cx, json!({ "url": url })).await.unwrap_err();
    assert!(refused.contains("refused"), "{refused}");
    let by_name = url.replace("127.0.0.1", "localhost");
    let refused = strict
        .call(&cx, json!({ "url": by_name }))
        .await
        .unwrap_err();
    assert!(
        refused.contains("refused") || refused.contains("loopback"),
        "{refused}"
    );
    assert_eq!(hits.load(SeqCst), 0, "nothing reached the server");
    let schemes = strict
        .call(&cx, json!({ "url": "file:///etc/passwd" }))
        .await
        .unwrap_err();
    assert!(schemes.contains("only http and https"));
    let open = WebFetch::new(
        WebFetchTool {
            allow_private: true,
            ..settings(&[])
        },
        None,
    );
    assert!(open
        .call(&cx, json!({ "url": url }))
        .await
        .unwrap()
        .ends_with("internal"));
}

#[actix::test]
async fn size_limits_cut_the_text() {
    let dir = tempfile::tempdir().unwrap();
    let cx = test_context(dir.path());
    let (url, _) = serve("text/plain", "abcdefghij".repeat(1000));
    let tool = WebFetch::new(
        WebFetchTool {
            max_bytes: 100,
            max_chars: 50,
            ..settings(&["127.0.0.1"])
        },
        None,
    );
    let page = tool.call(&cx, json!({ "url": url })).await.unwrap();
    assert!(page.contains("(truncated"), "{page}");
    assert!(page.ends_with(&"abcdefghij".repeat(5)), "{page}");
    let (binary, _) = serve("image/png", "\u{89}PNG".into());
    let refused = tool.call(&cx, json!({ "url": binary })).await.unwrap_err();
    assert!(refused.contains("not text"), "{refused}");
}
