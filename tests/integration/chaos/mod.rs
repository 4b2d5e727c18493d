//! Chaos tests (issue 9): the gateway under the failures its users will meet, on 127.0.0.1 only,
//! each bounded in time.
//!
//! - `provider`: the model provider answers 529 for 30 s, with and without a fallback model;
//! - `graph`: the WhatsApp Graph API throttles (130429) for a while;
//! - `disk`: the state directory's filesystem fills up (a small tmpfs in a private mount
//!   namespace), then gets space back;
//! - `panics`: a handler panics in every actor kind (session, run, tool, channel, WS connection,
//!   monitor), through `POST /admin/actors/{id}/panic`.
//!
//! `kill -9` of the gateway during a stream of webhooks is `tests/integration/channels/crash.rs` (and, with
//! collected turns, `tests/integration/channels/collect_crash.rs`). Every test here checks the same promise at
//! its end: each message the gateway acknowledged is answered exactly once, as counted by the
//! Graph API emulator, both by quoted id (replies quote the message they answer) and by content
//! (the model emulator echoes the turn's question, so each message's text is in exactly one
//! reply).

mod disk;
mod graph;
mod panics;
mod provider;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::channels::post_text;
use crate::support::Gateway;
use pincer_emulators::graph::GraphApi;

/// The text of every message [`send`] posted, by wamid (wamids differ across tests, so the tests
/// running in parallel share it safely).
static SENT_TEXTS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

/// Posts one text message from `from` (signed, as Meta does) and asserts it was acknowledged;
/// returns its `wamid`.
pub fn send(gateway: &Gateway, from: &str, n: usize, text: &str) -> String {
    let wamid = format!("wamid.CHAOS-{from}-{n}");
    let status = post_text(gateway, from, &wamid, text);
    assert_eq!(status, 200, "the webhook for {wamid} was not acknowledged");
    remember(&wamid, text);
    wamid
}

/// Records the text of a message a test posted itself (for the count by content).
pub fn remember(wamid: &str, text: &str) {
    SENT_TEXTS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push((wamid.to_string(), text.to_string()));
}

/// The texts of `wamids`, as [`send`] posted them.
fn texts_of(wamids: &[String]) -> Vec<String> {
    let sent = SENT_TEXTS.lock().unwrap_or_else(|p| p.into_inner());
    wamids
        .iter()
        .map(|w| {
            sent.iter()
                .find(|(wamid, _)| wamid == w)
                .map(|(_, text)| text.clone())
                .unwrap_or_else(|| panic!("{w} was posted without `send` or `remember`"))
        })
        .collect()
}

/// Waits until every message in `wamids` has a reply, then a little more (so that a second reply
/// would show), and asserts each got exactly one. Returns the replies' texts by wamid.
pub fn assert_answered_once(
    graph: &GraphApi,
    wamids: &[String],
    within: Duration,
) -> HashMap<String, String> {
    let deadline = Instant::now() + within;
    loop {
        let counts = graph.sends_by_context();
        if wamids.iter().all(|w| counts.contains_key(w)) || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_secs(1));
    let counts = graph.sends_by_context();
    let missing: Vec<&String> = wamids.iter().filter(|w| !counts.contains_key(*w)).collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged messages were never answered within {within:?}: {missing:?}",
        missing.len(),
        wamids.len()
    );
    let twice: Vec<(&String, &usize)> = counts
        .iter()
        .filter(|(w, n)| wamids.contains(w) && **n != 1)
        .collect();
    assert!(
        twice.is_empty(),
        "messages answered more than once: {twice:?}"
    );
    // By content: a text sent k times is in exactly k echoed replies (a message answered inside
    // another's turn and again in its own is seen here, not above).
    let mut wanted: HashMap<String, usize> = HashMap::new();
    for text in texts_of(wamids) {
        *wanted.entry(text).or_insert(0) += 1;
    }
    let echoed = graph.echoed_texts();
    let off: Vec<(&String, usize, usize)> = wanted
        .iter()
        .map(|(text, n)| (text, *n, echoed.get(text).copied().unwrap_or(0)))
        .filter(|(_, n, found)| n != found)
        .collect();
    assert!(
        off.is_empty(),
        "answered by content (text, sent, in replies): {off:?}; replies: {:?}",
        graph.sends().iter().map(|s| &s.body).collect::<Vec<_>>()
    );
    graph
        .sends()
        .into_iter()
        .filter_map(|sent| Some((sent.context?, sent.body)))
        .collect()
}

/// `GET path` with the gateway's token; asserts 200 and returns the JSON body.
pub fn admin(gateway: &Gateway, path: &str) -> Value {
    let response = gateway.get_authed(path);
    assert_eq!(response.status, 200, "GET {path}: {}", response.text);
    response.body
}

/// The flat actor list.
pub fn actors(gateway: &Gateway) -> Vec<Value> {
    admin(gateway, "/admin/actors?flat=1")["actors"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Polls until `check` holds, or panics naming `what`.
pub fn wait_until<T>(what: &str, within: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {within:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The sender number of message `n` in a test's series (`prefix` keeps tests apart).
pub fn sender(prefix: &str, n: usize) -> String {
    format!("1555{prefix}{n:04}")
}
