//! Who the bot is: its user id and username, which group messages are matched against
//! ([`super::mention`]). The id is known from the start (a bot token begins with it); the
//! username comes from `getMe`, asked once when the channel starts by a task child
//! (`/gateway/channels/telegram-identity`) that retries with backoff until Telegram answers. A
//! failing `getMe` never stops the channel: until it answers, group messages count as addressed
//! only when they reply to the bot or name it by id (`text_mention`).

use std::sync::{Arc, RwLock};
use std::time::Duration;

use futures_util::FutureExt;
use pincer_actors::{ChildSpec, RestartType};
use serde_json::json;
use tracing::{info, warn};

use super::api::BotClient;
use super::wire::User;

/// The bot as group messages address it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BotIdentity {
    /// The token's prefix as written: the account of the channel's journal entries.
    pub account: String,
    /// Its user id (0 when the token does not start with one).
    pub id: i64,
    /// Its username without `@`, once `getMe` answered.
    pub username: Option<String>,
}

impl BotIdentity {
    /// What the token alone tells: the id before its `:`.
    pub fn from_bot_id(bot_id: &str) -> Self {
        BotIdentity {
            account: bot_id.to_string(),
            id: bot_id.parse().unwrap_or_default(),
            username: None,
        }
    }
}

/// The identity shared by the poller, the webhook route and the `getMe` task.
#[derive(Debug, Clone)]
pub(crate) struct SharedIdentity(Arc<RwLock<BotIdentity>>);

impl SharedIdentity {
    pub(crate) fn new(identity: BotIdentity) -> Self {
        SharedIdentity(Arc::new(RwLock::new(identity)))
    }

    /// What is known now.
    pub(crate) fn get(&self) -> BotIdentity {
        self.0
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn set(&self, identity: BotIdentity) {
        *self.0.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = identity;
    }

    /// The task that asks `getMe` until it answers, then ends.
    pub(crate) fn learn(self, client: BotClient) -> ChildSpec {
        ChildSpec::task("telegram-identity", "identity", move |cx| {
            let (shared, client, cx) = (self.clone(), client.clone(), cx.clone());
            async move {
                let mut failures = 0u32;
                loop {
                    cx.set_status("asking getMe");
                    match client.call("getMe", json!({}), Duration::from_secs(30)).await {
                        Ok(result) => match serde_json::from_value::<User>(result) {
                            Ok(user) => {
                                info!(id = user.id, username = ?user.username, "Telegram bot identity known");
                                shared.set(BotIdentity {
                                    account: shared.get().account,
                                    id: user.id,
                                    username: user.username,
                                });
                                return Ok(());
                            }
                            Err(why) => warn!(%why, "getMe answered something else than a user"),
                        },
                        Err(error) => {
                            if failures == 0 {
                                warn!(%error, "getMe failed; group mentions by username are not recognised until it answers");
                            }
                        }
                    }
                    failures += 1;
                    let pause = Duration::from_secs(1u64 << failures.min(6)).min(Duration::from_secs(60));
                    cx.set_status(format!("getMe failed {failures} times; retrying in {} s", pause.as_secs()));
                    tokio::time::sleep(pause).await;
                }
            }
            .boxed_local()
        })
        .restart(RestartType::Transient)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_prefix_gives_the_id() {
        assert_eq!(BotIdentity::from_bot_id("123456").id, 123456);
        assert_eq!(BotIdentity::from_bot_id("").id, 0);
        let shared = SharedIdentity::new(BotIdentity::from_bot_id("42"));
        shared.set(BotIdentity {
            account: "42".into(),
            id: 42,
            username: Some("b".into()),
        });
        assert_eq!(shared.get().username.as_deref(), Some("b"));
    }
}
