//! The WhatsApp Graph API throttles the business number (error 130429, "rate limit hit") for a
//! while: sends back off channel-wide, probe one at a time instead of stampeding, and every reply
//! goes out once the throttle lifts.

use std::time::{Duration, Instant};

use super::{admin, assert_answered_once, send, sender, wait_until};
use crate::support::channels::{gateway, whatsapp, WA_TOKEN};
use pincer_emulators::graph::GraphApi;
use pincer_emulators::Emulator;

const THROTTLE: Duration = Duration::from_secs(12);
const MESSAGES: usize = 30;

#[test]
fn a_throttled_graph_api_is_probed_with_backoff_and_every_reply_completes() {
    let provider = Emulator::openai();
    let graph = GraphApi::start(WA_TOKEN);
    let gateway = gateway(&provider, &[whatsapp(&graph, "open", "'*'", "")]);
    graph.fail_for(THROTTLE, 130429, 400);
    let started = Instant::now();

    let wamids: Vec<String> = (0..MESSAGES)
        .map(|n| send(&gateway, &sender("03", n), n, &format!("hello {n}")))
        .collect();
    let paused = wait_until(
        "the channel to report its pause",
        Duration::from_secs(10),
        || {
            let actors = super::actors(&gateway);
            actors.into_iter().find(|a| {
                a["path"] == "/gateway/channels/whatsapp"
                    && a["status"].as_str().unwrap_or("").contains("paused")
            })
        },
    );
    assert!(paused["status"]
        .as_str()
        .unwrap_or("")
        .contains("sends paused"));
    let figures = admin(&gateway, "/admin/channels");
    assert!(
        figures["channels"]["whatsapp"]["sendRetries"]
            .as_u64()
            .unwrap_or(0)
            > 0,
        "{figures:#}"
    );

    assert_answered_once(&graph, &wamids, Duration::from_secs(90));
    let refused = graph.failed().len();
    let elapsed = started.elapsed();
    assert!(
        elapsed >= THROTTLE,
        "nothing could go out during the throttle"
    );
    // Backoff 1, 2, 4, 8 s covers a 12 s throttle in about 5 probes. Without the probe, every
    // waiting reply would retry after every pause (~30 x 5).
    assert!(
        refused <= 10,
        "{refused} sends were refused during the throttle: the channel should probe one at a time"
    );
    assert_eq!(graph.sends().len(), MESSAGES);
    let figures = admin(&gateway, "/admin/channels");
    assert_eq!(figures["journal"]["pending"], 0, "{figures:#}");
    assert_eq!(
        figures["channels"]["whatsapp"]["sendFailures"], 0,
        "{figures:#}"
    );
}
