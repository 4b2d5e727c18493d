//! `channels.telegram`: a Telegram bot on the Bot API: its keys, defaults, credentials (with
//! their environment variables) and rules. The channel itself is `src/channels/telegram/`; this
//! file is its config section, kept in the config layer so that strict parsing, overrides and
//! redaction stay where the rest of the schema is.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::super::env::Override;
use super::super::error::Problem;
use super::super::secret::Secret;
use super::conversation::{Conversation, EditMode, GroupConfig, GroupPolicy, ReactionMode};
use super::{check_common, missing_secret, ChannelSection, Common, DmPolicy};

/// The channel's name: its config key, CLI and API name, journal and session-key segment.
pub(crate) const NAME: &str = "telegram";

/// `channels.telegram`: a Telegram bot.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct TelegramConfig {
    /// Default false: a channel needs credentials, so it is opt-in.
    pub enabled: bool,
    /// The token from @BotFather (`123456:ABC...`).
    pub bot_token: Option<Secret>,
    /// Default `https://api.telegram.org`; point it elsewhere for tests or a local Bot API server.
    pub api_base_url: String,
    /// `polling` (default: works behind NAT, nothing to expose) or `webhook`.
    pub mode: TelegramMode,
    /// Webhook mode: the secret Telegram sends in `X-Telegram-Bot-Api-Secret-Token`
    /// (1-256 characters of `A-Z a-z 0-9 _ -`).
    pub webhook_secret: Option<Secret>,
    /// Long-poll duration in seconds; default 30.
    pub poll_timeout_seconds: u64,
    /// Who may message the agent; default `pairing`.
    pub dm_policy: DmPolicy,
    /// Telegram user ids always allowed; `"*"` means anyone (with `dmPolicy: "open"`).
    pub allow_from: Vec<String>,
    /// Outbound messages per second; default 30 (Telegram's bulk limit).
    pub sends_per_second: u32,
    /// Reply chunks are at most this many characters; default and maximum 4096.
    pub text_chunk_limit: usize,
    /// Which groups the agent takes part in; default `allowlist` (only those in `groups`).
    pub group_policy: GroupPolicy,
    /// Per group id (or `"*"`): mention gating, members, system prompt.
    pub groups: BTreeMap<String, GroupConfig>,
    /// What a reaction does; default `record` (kept in the transcript, not answered).
    pub reactions: ReactionMode,
    /// What an edited message does; default `record` (the transcript takes the new text).
    pub edits: EditMode,
}

impl Default for TelegramConfig {
    fn default() -> Self {
        TelegramConfig {
            enabled: false,
            bot_token: None,
            api_base_url: "https://api.telegram.org".into(),
            mode: TelegramMode::Polling,
            webhook_secret: None,
            poll_timeout_seconds: 30,
            dm_policy: DmPolicy::Pairing,
            allow_from: Vec::new(),
            sends_per_second: 30,
            text_chunk_limit: 4096,
            group_policy: GroupPolicy::default(),
            groups: BTreeMap::new(),
            reactions: ReactionMode::default(),
            edits: EditMode::default(),
        }
    }
}

/// `channels.telegram.mode`: how updates arrive.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TelegramMode {
    /// `getUpdates` long polling; the default.
    #[default]
    Polling,
    /// Telegram POSTs updates to `/webhooks/telegram` (register it with `setWebhook`).
    Webhook,
}

impl ChannelSection for TelegramConfig {
    fn enabled(&self) -> bool {
        self.enabled
    }

    fn common(&self) -> Common<'_> {
        Common {
            api_base_url: &self.api_base_url,
            dm_policy: self.dm_policy,
            allow_from: &self.allow_from,
            sends_per_second: self.sends_per_second,
            text_chunk_limit: self.text_chunk_limit,
            conversation: Conversation {
                group_policy: self.group_policy,
                groups: &self.groups,
                reactions: self.reactions,
                edits: self.edits,
            },
        }
    }

    fn missing_credentials(&self) -> Vec<(&'static str, &'static str)> {
        if missing_secret(&self.bot_token) {
            vec![("channels.telegram.botToken", "PINCER_TELEGRAM_BOT_TOKEN")]
        } else {
            Vec::new()
        }
    }

    fn check(&self, problems: &mut Vec<Problem>) {
        if self.enabled && self.mode == TelegramMode::Webhook {
            let valid = self.webhook_secret.as_ref().is_some_and(|s| {
                let s = s.expose();
                (1..=256).contains(&s.len())
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            });
            if !valid {
                problems.push(Problem::new(
                    "channels.telegram.webhookSecret",
                    "required in webhook mode: 1-256 characters of A-Z, a-z, 0-9, _ and - \
                     (Telegram sends it back in X-Telegram-Bot-Api-Secret-Token)",
                ));
            }
        }
        if !(1..=300).contains(&self.poll_timeout_seconds) {
            problems.push(Problem::new(
                "channels.telegram.pollTimeoutSeconds",
                "must be from 1 to 300",
            ));
        }
        check_common(NAME, self.common(), problems);
    }
}

/// The environment variables that stand in for this section's credentials.
pub(in crate::config) const OVERRIDES: &[Override] = &[Override {
    name: "PINCER_TELEGRAM_BOT_TOKEN",
    alias: Some("TELEGRAM_BOT_TOKEN"),
    apply: |config, value| {
        config.channels.telegram.bot_token = Some(Secret::new(value));
        Ok(())
    },
}];
