//! Sending one reply: its chunks in order, each waiting at the channel's [`SendGate`] and retried
//! the way the platform's error asks (the whole channel paused, or only this recipient), for at
//! most [`RETRY_FOR`]. Only the first chunk quotes the message being answered.

use std::rc::Rc;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::warn;

use super::gate::{backoff, Pass, SendGate};
use super::stats::ChannelStats;
use super::transport::{OutboundFile, SendFailure, Transport};
use futures_util::future::LocalBoxFuture;

/// How long a reply is retried before it is given up (logged and counted).
pub(crate) const RETRY_FOR: Duration = Duration::from_secs(15 * 60);

/// One reply on its way out.
pub(crate) struct Reply {
    pub to: String,
    pub chunks: Vec<String>,
    pub quote: Option<String>,
    /// Echoed by the platform in delivery statuses (see [`Transport::confirms_delivery`]).
    pub tag: Option<String>,
}

/// Sends `reply`; `Err` is a [`SendFailure::Permanent`] (also when retries ran out) or
/// [`SendFailure::Unhealthy`].
pub(crate) async fn send_reply(
    transport: Arc<dyn Transport>,
    gate: Rc<SendGate>,
    stats: Arc<ChannelStats>,
    reply: Reply,
) -> Result<(), SendFailure> {
    for (index, chunk) in reply.chunks.iter().enumerate() {
        let quote = if index == 0 {
            reply.quote.as_deref()
        } else {
            None
        };
        send_with_retries(&transport, &gate, &stats, &reply.to, || {
            transport.send_text(&reply.to, chunk, quote, reply.tag.as_deref())
        })
        .await?;
    }
    Ok(())
}

/// Sends `file` to `to` (the `message` tool, `pincer message send --file`), paced and retried
/// like a reply.
pub(crate) async fn send_file(
    transport: Arc<dyn Transport>,
    gate: Rc<SendGate>,
    stats: Arc<ChannelStats>,
    to: String,
    file: OutboundFile,
) -> Result<(), SendFailure> {
    send_with_retries(&transport, &gate, &stats, &to, || {
        transport.send_file(&to, file.clone())
    })
    .await
}

/// One send made by `attempt`, each try waiting at the gate, retried as the platform's error
/// asks for at most [`RETRY_FOR`].
async fn send_with_retries(
    transport: &Arc<dyn Transport>,
    gate: &SendGate,
    stats: &ChannelStats,
    to: &str,
    mut attempt_once: impl FnMut() -> LocalBoxFuture<'static, Result<(), SendFailure>>,
) -> Result<(), SendFailure> {
    let channel = transport.labels().channel;
    let started = Instant::now();
    let mut attempt = 0u32;
    loop {
        // Held until the outcome is reported: the send's place in the gate's window.
        let ticket = gate.wait(to).await;
        let pass = ticket.pass;
        let failure = match attempt_once().await {
            Ok(()) => {
                gate.succeeded();
                return Ok(());
            }
            Err(failure) => failure,
        };
        attempt += 1;
        let (pause, whole_channel) = match &failure {
            SendFailure::Permanent { .. } | SendFailure::Unhealthy { .. } => {
                if pass == Pass::Probe {
                    gate.probe_ended();
                }
                return Err(failure);
            }
            // The channel's own streak sets the pause, whichever reply met the throttle.
            SendFailure::RetryChannel { after, .. } => (gate.throttled(*after), true),
            SendFailure::RetryRecipient { after, .. } => {
                if pass == Pass::Probe {
                    gate.probe_ended();
                }
                (backoff(attempt, *after), false)
            }
        };
        if started.elapsed() + pause > RETRY_FOR {
            return Err(SendFailure::Permanent {
                why: format!(
                    "gave up after {attempt} attempts in {} s: {}",
                    started.elapsed().as_secs(),
                    failure.why()
                ),
            });
        }
        stats.send_retries.fetch_add(1, Relaxed);
        warn!(
            channel,
            to,
            attempt,
            pause_ms = pause.as_millis() as u64,
            why = failure.why(),
            "send throttled or failed; retrying"
        );
        if !whole_channel {
            gate.pause_recipient(to, pause);
        }
    }
}
