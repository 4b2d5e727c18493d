//! Long polling (`getUpdates`) as a supervised task child, `/gateway/channels/telegram-poller`.
//!
//! Each batch of updates is journaled (fsync) before the offset moves past it, so an update is
//! confirmed to Telegram only once it is durable; a crash in between means Telegram delivers it
//! again and the journal's dedup drops the copy. The HTTP client waits 10 s longer than the poll
//! timeout, so a quiet poll ends with Telegram's empty answer rather than a client timeout.
//! Errors never end the loop: a 409 conflict (another instance polls this token, or a webhook is
//! set) and a refused token are reported in the link state and retried with backoff; 429 waits
//! exactly `retry_after`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use pincer_actors::{ChildContext, ChildSpec, RestartType};
use serde_json::json;
use tracing::{error, info, warn};

use super::api::{ApiError, BotClient};
use super::identity::SharedIdentity;
use super::update::{parse, ALLOWED_UPDATES};
use crate::channels::hub::ChannelHandle;
use crate::channels::ingress::accept;
use crate::channels::journal::Journal;
use crate::channels::stats::ChannelStats;

/// What the poller needs.
#[derive(Clone)]
pub(crate) struct Poller {
    pub client: BotClient,
    pub journal: Journal,
    pub actor: pincer_actors::ActorRef<crate::channels::actor::ChannelActor>,
    pub stats: Arc<ChannelStats>,
    pub poll_timeout: Duration,
    /// Where the next offset is kept between runs (an optimisation: dedup makes it safe to lose).
    pub offset_file: PathBuf,
    /// Who the bot is, for group mentions (its username arrives once `getMe` answers).
    pub identity: SharedIdentity,
}

impl Poller {
    /// The supervised task.
    pub(crate) fn spec(self) -> ChildSpec {
        ChildSpec::task("telegram-poller", "poller", move |cx| {
            let poller = self.clone();
            let cx = cx.clone();
            async move {
                poller.run(cx).await;
                Ok(())
            }
            .boxed_local()
        })
        .restart(RestartType::Permanent)
    }

    async fn run(self, cx: ChildContext) {
        let handle = ChannelHandle {
            actor: self.actor.clone(),
            stats: Arc::clone(&self.stats),
        };
        let mut offset = std::fs::read_to_string(&self.offset_file)
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
            .unwrap_or(0);
        let mut failures = 0u32;
        let mut polls = 0u64;
        loop {
            cx.set_status(format!("polling from offset {offset}; {polls} polls"));
            let body = json!({
                "offset": offset,
                "timeout": self.poll_timeout.as_secs(),
                "allowed_updates": ALLOWED_UPDATES,
            });
            let result = self
                .client
                .call(
                    "getUpdates",
                    body,
                    self.poll_timeout + Duration::from_secs(10),
                )
                .await;
            polls += 1;
            let updates = match result {
                Ok(result) => result.as_array().cloned().unwrap_or_default(),
                Err(error) => {
                    failures += 1;
                    let pause = self.failed(&error, failures);
                    cx.set_status(format!("{error}; retrying in {} s", pause.as_secs()));
                    tokio::time::sleep(pause).await;
                    continue;
                }
            };
            if failures > 0 || !self.stats.healthy() {
                info!("Telegram polling works again");
                self.stats.set_link(true, "polling");
            }
            failures = 0;
            let mut next = offset;
            let mut records = Vec::with_capacity(updates.len());
            let me = self.identity.get();
            for update in updates {
                match parse(update, &me) {
                    Ok(parsed) => {
                        next = next.max(parsed.update_id + 1);
                        match parsed.record {
                            Some(record) => records.push(record),
                            None => {
                                self.stats
                                    .refused
                                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            }
                        }
                    }
                    Err(why) => {
                        self.stats
                            .rejected
                            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        warn!(%why, "malformed Telegram update skipped");
                    }
                }
            }
            if let Err(why) = accept(&self.journal, &handle, records).await {
                // Do not move the offset: Telegram keeps the updates for the next poll.
                error!(%why, "Telegram updates could not be journaled; polling them again");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            if next != offset {
                offset = next;
                if let Err(why) = std::fs::write(&self.offset_file, offset.to_string()) {
                    warn!(%why, file = %self.offset_file.display(), "cannot keep the Telegram offset");
                }
            }
        }
    }

    /// Reports a failed poll; returns how long to wait.
    fn failed(&self, error: &ApiError, failures: u32) -> Duration {
        let backoff = Duration::from_secs(1u64 << failures.saturating_sub(1).min(5))
            .min(Duration::from_secs(30));
        match error.code {
            409 => {
                let why = format!(
                    "conflict: {} (another gateway or bot instance polls this token, or a webhook \
                     is set: stop the other one, or run `deleteWebhook`)",
                    error.description
                );
                if failures == 1 {
                    error!("Telegram {why}");
                }
                self.stats.set_link(false, why);
                backoff.max(Duration::from_secs(5))
            }
            401 | 404 => {
                if failures == 1 {
                    error!(%error, "Telegram refuses the bot token (channels.telegram.botToken)");
                }
                self.stats.set_link(
                    false,
                    format!("unhealthy: the bot token is refused ({error})"),
                );
                Duration::from_secs(60)
            }
            429 => error.retry_after.unwrap_or(Duration::from_secs(1)),
            _ => {
                warn!(%error, failures, "Telegram poll failed");
                self.stats
                    .set_link(false, format!("polling failed: {error}"));
                backoff
            }
        }
    }
}
