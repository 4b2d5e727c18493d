//! The load: signed WhatsApp webhooks from client threads, each on its own keep-alive
//! connection, and the Graph emulator's send hook routing every reply back to the thread whose
//! message it quotes (`wamid.B<thread>-<n>`).
//!
//! Closed loop (`closed`): each thread posts a message and waits for its reply before the next:
//! the highest sustained rate. Paced (`paced`): threads post on a fixed schedule regardless of
//! replies, and a message's latency counts from its scheduled time (no coordinated omission);
//! the soak (`soak.rs`) is a long paced run.

use std::collections::HashMap;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::common::client::Client;
use crate::common::Result;
use crate::setup::sender;
use crate::{APP_SECRET, PNID};
use pincer_emulators::graph;

const REPLY_TIMEOUT: Duration = Duration::from_secs(30);

/// What one thread saw.
#[derive(Default)]
pub(crate) struct Outcome {
    /// Of the answered messages.
    pub(crate) latencies: Vec<Duration>,
    pub(crate) sent: usize,
    /// Messages without a reply 30 s after the last post (paced runs; a closed loop fails).
    pub(crate) lost: usize,
}

/// The signed webhook of message `n` of thread `thread`, from one of the paired senders.
fn webhook(thread: usize, n: usize, senders: usize, threads: usize) -> (String, Vec<u8>, String) {
    let wamid = format!("wamid.B{thread}-{n}");
    let from = sender((thread + n * threads) % senders);
    let body = graph::text_webhook(PNID, &[(&from, &wamid, &format!("bench message {n}"))]);
    let header = format!(
        "X-Hub-Signature-256: {}\r\n",
        graph::sign(&body, APP_SECRET)
    );
    (wamid, body, header)
}

fn post(client: &mut Client, body: &[u8], header: &str) -> Result<()> {
    let response = client.request("POST", "/webhooks/whatsapp", header, body)?;
    if response.status != 200 {
        return Err(format!(
            "webhook answered {}: {}",
            response.status,
            String::from_utf8_lossy(&response.body)
        ));
    }
    Ok(())
}

/// Closed loop: `count` messages, each waiting for its reply.
pub(crate) fn closed(
    client: &mut Client,
    replies: &Receiver<(String, Instant)>,
    thread: usize,
    first: usize,
    count: usize,
    senders: usize,
    threads: usize,
) -> Result<Outcome> {
    let mut outcome = Outcome::default();
    for n in first..first + count {
        let (wamid, body, header) = webhook(thread, n, senders, threads);
        let started = Instant::now();
        post(client, &body, &header)?;
        outcome.sent += 1;
        loop {
            let (quoted, at) = replies
                .recv_timeout(REPLY_TIMEOUT)
                .map_err(|_| format!("no reply to {wamid} within 30 s"))?;
            if quoted == wamid {
                outcome
                    .latencies
                    .push(at.saturating_duration_since(started));
                break;
            }
        }
    }
    Ok(outcome)
}

/// Paced: message `n` is due at `start + n * interval`; replies still missing 30 s after the
/// last post are counted as lost.
#[allow(clippy::too_many_arguments)]
pub(crate) fn paced(
    client: &mut Client,
    replies: &Receiver<(String, Instant)>,
    thread: usize,
    first: usize,
    count: usize,
    senders: usize,
    threads: usize,
    start: Instant,
    interval: Duration,
) -> Result<Outcome> {
    let mut due: HashMap<String, Instant> = HashMap::with_capacity(count);
    let mut outcome = Outcome::default();
    let mut sent = 0;
    let mut collect = |due: &mut HashMap<String, Instant>, wait: Duration| -> Result<()> {
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match replies.recv_timeout(left) {
                Ok((quoted, at)) => {
                    if let Some(scheduled) = due.remove(&quoted) {
                        outcome
                            .latencies
                            .push(at.saturating_duration_since(scheduled));
                    }
                }
                Err(RecvTimeoutError::Timeout) => return Ok(()),
                Err(RecvTimeoutError::Disconnected) => return Err("reply channel closed".into()),
            }
        }
    };
    for (i, n) in (first..first + count).enumerate() {
        let scheduled = start + interval * i as u32;
        collect(
            &mut due,
            scheduled.saturating_duration_since(Instant::now()),
        )?;
        let (wamid, body, header) = webhook(thread, n, senders, threads);
        due.insert(wamid, scheduled);
        post(client, &body, &header)?;
        sent += 1;
    }
    let deadline = Instant::now() + REPLY_TIMEOUT;
    while !due.is_empty() && Instant::now() < deadline {
        collect(&mut due, Duration::from_millis(100))?;
    }
    outcome.sent = sent;
    outcome.lost = due.len();
    Ok(outcome)
}
