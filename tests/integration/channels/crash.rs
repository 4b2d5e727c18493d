//! Nothing lost, nothing twice: a stream of signed WhatsApp webhooks while the gateway is killed
//! with SIGKILL three times (the third restart lands in safe mode, which still journals, and is
//! cleared by the operator). Senders behave like Meta: a POST that did not get its 200 is sent
//! again (to whichever gateway is up). Every message that was ever acknowledged must be answered
//! exactly once, as counted by the Graph API emulator: by quoted id (replies quote the message they
//! answer) and by content (the model emulator echoes the turn's question, so each message's text
//! must be in exactly one reply; see `tests/integration/channels/collect_crash.rs` for collected turns).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::support::channels::{channel_status, config, whatsapp, APP_SECRET, PNID, WA_TOKEN};
use crate::support::Gateway;
use pincer_emulators::graph::{self, GraphApi};
use pincer_emulators::Emulator;

const SENDERS: usize = 4;
const PER_SENDER: usize = 60;

#[test]
fn every_accepted_message_is_answered_exactly_once_across_kill_9() {
    let provider = Emulator::openai();
    // Turns take a little while, so that some are in flight at every kill.
    provider.set_delay(Duration::from_millis(30));
    let graph = GraphApi::start(WA_TOKEN);
    // Meta reports each send's status; after a crash a possibly-answered message waits for it
    // (the emulator retries the status every 100 ms until the restarted gateway takes it). 10 s,
    // a third of the default: with 3 s a loaded CI machine (the whole suite on two cores) was
    // once slower than the window, and the reply went out a second time.
    graph.post_sent_status(true);
    let text = config(
        &provider,
        &[whatsapp(&graph, "open", "'*'", ", confirmWaitSeconds: 10")],
    );
    let mut gateway = Gateway::start(Some(&text));
    let aim = |graph: &GraphApi, gateway: &Gateway| {
        graph.set_webhook_target(
            &format!("http://{}/webhooks/whatsapp", gateway.addr),
            APP_SECRET,
            PNID,
        )
    };
    aim(&graph, &gateway);
    let target = Arc::new(Mutex::new(gateway.addr));
    let deadline = Instant::now() + Duration::from_secs(120);

    let senders: Vec<_> = (0..SENDERS)
        .map(|s| {
            let target = Arc::clone(&target);
            thread::spawn(move || {
                let mut acknowledged = Vec::new();
                for n in 0..PER_SENDER {
                    // One sender number per message: each is its own session, never batched.
                    let from = format!("1555{s:02}{n:04}");
                    let wamid = format!("wamid.K{s}-{n}");
                    let text = format!("message {s}-{n}");
                    let body = graph::text_webhook(PNID, &[(&from, &wamid, &text)]);
                    let signature = graph::sign(&body, APP_SECRET);
                    loop {
                        assert!(Instant::now() < deadline, "{wamid} was never acknowledged");
                        let addr: SocketAddr = *target.lock().unwrap();
                        match graph::try_post_webhook(
                            addr,
                            "/webhooks/whatsapp",
                            &body,
                            Some(&signature),
                        ) {
                            Ok((200, _)) => break,
                            _ => thread::sleep(Duration::from_millis(20)),
                        }
                    }
                    acknowledged.push((wamid, text));
                }
                acknowledged
            })
        })
        .collect();

    for kill in 1..=3 {
        let wanted = kill * SENDERS * PER_SENDER / 4;
        let until = Instant::now() + Duration::from_secs(60);
        while graph.sends().len() < wanted && Instant::now() < until {
            thread::sleep(Duration::from_millis(5));
        }
        let home = gateway.kill9();
        gateway = Gateway::start_in(home, &[]);
        *target.lock().unwrap() = gateway.addr;
        aim(&graph, &gateway);
    }

    let acknowledged: Vec<(String, String)> = senders
        .into_iter()
        .flat_map(|s| s.join().expect("sender thread"))
        .collect();
    assert_eq!(acknowledged.len(), SENDERS * PER_SENDER);
    // Three unclean starts in five minutes trip the crash-loop breaker: the gateway came back in
    // safe mode, where webhooks are still journaled (and acknowledged) but channels do not run.
    let ready = gateway.get("/readyz", &[]);
    assert!(ready.text.contains("safe mode"), "{}", ready.text);
    // The operator clears it and restarts; the journal is replayed.
    let output = gateway.terminate();
    assert!(
        output.status.success(),
        "{}",
        crate::support::stderr(&output)
    );
    let output = crate::support::run_cli(gateway.home.path(), &["service", "clear-safe-mode"]);
    assert!(
        output.status.success(),
        "{}",
        crate::support::stderr(&output)
    );
    let home = std::mem::replace(&mut gateway.home, tempfile::tempdir().expect("placeholder"));
    gateway = Gateway::start_in(home, &[]);
    aim(&graph, &gateway);
    let until = Instant::now() + Duration::from_secs(60);
    while graph.sends().len() < acknowledged.len() && Instant::now() < until {
        thread::sleep(Duration::from_millis(20));
    }
    // Anything sent twice would show up now.
    thread::sleep(Duration::from_secs(2));
    let counts: HashMap<String, usize> = graph.sends_by_context();
    let missing: Vec<&String> = acknowledged
        .iter()
        .map(|(w, _)| w)
        .filter(|w| !counts.contains_key(*w))
        .collect();
    let twice: Vec<(&String, &usize)> = counts.iter().filter(|(_, n)| **n != 1).collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged messages were never answered: {missing:?}",
        missing.len()
    );
    assert!(
        twice.is_empty(),
        "messages answered more than once: {twice:?}"
    );
    let echoed = graph.echoed_texts();
    let by_content: Vec<(&String, usize)> = acknowledged
        .iter()
        .map(|(_, text)| (text, echoed.get(text).copied().unwrap_or(0)))
        .filter(|(_, n)| *n != 1)
        .collect();
    assert!(
        by_content.is_empty(),
        "messages not in exactly one reply (by content): {by_content:?}"
    );
    assert_eq!(graph.sends().len(), acknowledged.len());
    let figures = channel_status(&gateway);
    assert_eq!(figures["journal"]["pending"], 0, "{figures:#}");
}
