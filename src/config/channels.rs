//! `channels.*`: the chat networks bridged to the agent (WhatsApp Cloud API, Telegram Bot API)
//! and who may reach the agent through them.
//!
//! Credentials are [`Secret`]s and can come from the environment instead of the file
//! (`PINCER_WHATSAPP_ACCESS_TOKEN`, ... see [`mod@super::env`]); cross-key rules (an enabled
//! channel needs its credentials, `open` needs `allowFrom: ["*"]`) live in
//! [`mod@super::validate`].

use serde::{Deserialize, Serialize};

use super::secret::Secret;

/// `channels`: messaging networks bridged to the agent.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ChannelsConfig {
    /// The WhatsApp channel (official Business Cloud API).
    pub whatsapp: WhatsAppConfig,
    /// The Telegram channel (Bot API).
    pub telegram: TelegramConfig,
    /// Largest webhook body accepted, in bytes; default 1 MiB (Meta batches stay far below).
    /// Bigger bodies get 413 before anything is parsed.
    pub webhook_max_bytes: usize,
    /// How long a handled message's platform id is remembered to drop redeliveries; default 24
    /// hours, as long as Meta keeps retrying a webhook.
    pub dedupe_hours: u64,
}

impl Default for ChannelsConfig {
    fn default() -> Self {
        ChannelsConfig {
            whatsapp: WhatsAppConfig::default(),
            telegram: TelegramConfig::default(),
            webhook_max_bytes: 1024 * 1024,
            dedupe_hours: 24,
        }
    }
}

/// `channels.whatsapp`: a WhatsApp Business phone number on the Cloud API.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct WhatsAppConfig {
    /// Default false: a channel needs credentials, so it is opt-in.
    pub enabled: bool,
    /// The business phone number's id from the Meta app dashboard (not the number itself).
    pub phone_number_id: String,
    /// A system-user access token with `whatsapp_business_messaging`.
    pub access_token: Option<Secret>,
    /// The Meta app secret: every webhook POST is checked against its HMAC signature.
    pub app_secret: Option<Secret>,
    /// The token Meta echoes during the webhook subscription handshake.
    pub verify_token: Option<Secret>,
    /// Default `https://graph.facebook.com`; point it elsewhere for tests or a proxy.
    pub api_base_url: String,
    /// Graph API version; default `v21.0`.
    pub api_version: String,
    /// Who may message the agent; default `pairing`.
    pub dm_policy: DmPolicy,
    /// Phone numbers (digits with country code, as WhatsApp sends them) always allowed; `"*"`
    /// means anyone (with `dmPolicy: "open"`).
    pub allow_from: Vec<String>,
    /// Outbound messages per second; default 80 (the Cloud API's standard throughput).
    pub sends_per_second: u32,
    /// Reply chunks are at most this many characters; default and maximum 4096.
    pub text_chunk_limit: usize,
    /// Mark inbound messages as read (blue ticks) when they reach the agent; default true.
    pub mark_read: bool,
    /// After a crash, a reply that may have gone out waits this long for its delivery status
    /// before it is sent again; default 30 seconds.
    pub confirm_wait_seconds: u64,
}

impl Default for WhatsAppConfig {
    fn default() -> Self {
        WhatsAppConfig {
            enabled: false,
            phone_number_id: String::new(),
            access_token: None,
            app_secret: None,
            verify_token: None,
            api_base_url: "https://graph.facebook.com".into(),
            api_version: "v21.0".into(),
            dm_policy: DmPolicy::Pairing,
            allow_from: Vec::new(),
            sends_per_second: 80,
            text_chunk_limit: 4096,
            mark_read: true,
            confirm_wait_seconds: 30,
        }
    }
}

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

/// `channels.*.dmPolicy`: who may talk to the agent in direct messages.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum DmPolicy {
    /// Unknown senders must be approved with a pairing code; the default.
    #[default]
    Pairing,
    /// Only ids in `allowFrom` (and approved pairings).
    Allowlist,
    /// Anyone; requires `allowFrom: ["*"]` so that it is never an accident.
    Open,
    /// Direct messages are ignored.
    Disabled,
}

impl DmPolicy {
    /// The config spelling, for messages and status output.
    pub fn as_str(self) -> &'static str {
        match self {
            DmPolicy::Pairing => "pairing",
            DmPolicy::Allowlist => "allowlist",
            DmPolicy::Open => "open",
            DmPolicy::Disabled => "disabled",
        }
    }
}

/// The credentials an enabled channel still lacks, as `(key, environment variable)`.
///
/// Not an error that stops the gateway: the seed's own example enables WhatsApp before any
/// credential exists, so such a config loads and the other channels and the API work. But nothing
/// calls it fine either: the channel stays down, the gateway logs an error and `/readyz` answers
/// 503 naming it, `pincer config validate` fails (exit 78) naming the keys, and `pincer security
/// audit` and `pincer doctor` warn (see [`unrunnable`]).
pub fn missing_credentials(
    channels: &ChannelsConfig,
    channel: &str,
) -> Vec<(&'static str, &'static str)> {
    let missing = |secret: &Option<Secret>| secret.as_ref().is_none_or(Secret::is_empty);
    let mut keys = Vec::new();
    match channel {
        "whatsapp" => {
            let w = &channels.whatsapp;
            if w.phone_number_id.trim().is_empty() {
                keys.push(("channels.whatsapp.phoneNumberId", "-"));
            }
            for (key, secret, var) in [
                (
                    "channels.whatsapp.accessToken",
                    &w.access_token,
                    "PINCER_WHATSAPP_ACCESS_TOKEN",
                ),
                (
                    "channels.whatsapp.appSecret",
                    &w.app_secret,
                    "PINCER_WHATSAPP_APP_SECRET",
                ),
                (
                    "channels.whatsapp.verifyToken",
                    &w.verify_token,
                    "PINCER_WHATSAPP_VERIFY_TOKEN",
                ),
            ] {
                if missing(secret) {
                    keys.push((key, var));
                }
            }
        }
        "telegram" if missing(&channels.telegram.bot_token) => {
            keys.push(("channels.telegram.botToken", "PINCER_TELEGRAM_BOT_TOKEN"));
        }
        _ => {}
    }
    keys
}

/// An enabled channel that cannot run because credentials are missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unrunnable {
    /// `whatsapp` or `telegram`.
    pub channel: &'static str,
    /// What is missing, as `(key, environment variable)`; the variable is `-` when none exists.
    pub missing: Vec<(&'static str, &'static str)>,
}

impl Unrunnable {
    /// `set channels.whatsapp.accessToken (or PINCER_WHATSAPP_ACCESS_TOKEN), ...`: the keys to
    /// set, each with the variable that can stand in for it.
    pub fn what_to_set(&self) -> String {
        let keys: Vec<String> = self
            .missing
            .iter()
            .map(|(key, var)| match *var {
                "-" => key.to_string(),
                var => format!("{key} (or {var})"),
            })
            .collect();
        format!("set {}", keys.join(", "))
    }
}

/// Every enabled channel that lacks a credential (after environment overrides, so a variable
/// from the environment or the secrets file counts). The one list the gateway's readiness, `pincer
/// config validate`, `pincer security audit` and `pincer doctor` all report from.
pub fn unrunnable(channels: &ChannelsConfig) -> Vec<Unrunnable> {
    [
        ("whatsapp", channels.whatsapp.enabled),
        ("telegram", channels.telegram.enabled),
    ]
    .into_iter()
    .filter(|(_, enabled)| *enabled)
    .filter_map(|(channel, _)| {
        let missing = missing_credentials(channels, channel);
        (!missing.is_empty()).then_some(Unrunnable { channel, missing })
    })
    .collect()
}

/// Cross-key rules of `channels.*` (called by [`super::validate()`]).
pub(super) fn check(channels: &ChannelsConfig, problems: &mut Vec<super::Problem>) {
    use super::Problem;
    let whatsapp = &channels.whatsapp;
    check_common(
        "whatsapp",
        Common {
            api_base_url: &whatsapp.api_base_url,
            dm_policy: whatsapp.dm_policy,
            allow_from: &whatsapp.allow_from,
            sends_per_second: whatsapp.sends_per_second,
            text_chunk_limit: whatsapp.text_chunk_limit,
        },
        problems,
    );
    let telegram = &channels.telegram;
    if telegram.enabled && telegram.mode == TelegramMode::Webhook {
        let valid = telegram.webhook_secret.as_ref().is_some_and(|s| {
            let s = s.expose();
            (1..=256).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
        if !valid {
            problems.push(Problem::new(
                "channels.telegram.webhookSecret",
                "required in webhook mode: 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram \
                 sends it back in X-Telegram-Bot-Api-Secret-Token)",
            ));
        }
    }
    if !(1..=300).contains(&telegram.poll_timeout_seconds) {
        problems.push(Problem::new(
            "channels.telegram.pollTimeoutSeconds",
            "must be from 1 to 300",
        ));
    }
    check_common(
        "telegram",
        Common {
            api_base_url: &telegram.api_base_url,
            dm_policy: telegram.dm_policy,
            allow_from: &telegram.allow_from,
            sends_per_second: telegram.sends_per_second,
            text_chunk_limit: telegram.text_chunk_limit,
        },
        problems,
    );
    if channels.webhook_max_bytes < 1024 {
        problems.push(Problem::new(
            "channels.webhookMaxBytes",
            "must be at least 1024 bytes",
        ));
    }
    if channels.dedupe_hours == 0 {
        problems.push(Problem::new(
            "channels.dedupeHours",
            "must be at least 1: redelivered messages would be answered twice",
        ));
    }
}

struct Common<'a> {
    api_base_url: &'a str,
    dm_policy: DmPolicy,
    allow_from: &'a [String],
    sends_per_second: u32,
    text_chunk_limit: usize,
}

fn check_common(channel: &str, common: Common<'_>, problems: &mut Vec<super::Problem>) {
    use super::Problem;
    if !(common.api_base_url.starts_with("http://") || common.api_base_url.starts_with("https://"))
    {
        problems.push(Problem::new(
            format!("channels.{channel}.apiBaseUrl"),
            format!(
                "{:?} is not an http:// or https:// URL",
                common.api_base_url
            ),
        ));
    }
    if common.dm_policy == DmPolicy::Open && !common.allow_from.iter().any(|id| id.trim() == "*") {
        problems.push(Problem::new(
            format!("channels.{channel}.dmPolicy"),
            format!(
                "\"open\" lets anyone reach the agent and requires channels.{channel}.allowFrom \
                 to contain \"*\" to confirm it; use \"pairing\" to approve senders one by one"
            ),
        ));
    }
    if common.sends_per_second == 0 {
        problems.push(Problem::new(
            format!("channels.{channel}.sendsPerSecond"),
            "must be at least 1",
        ));
    }
    if !(1..=4096).contains(&common.text_chunk_limit) {
        problems.push(Problem::new(
            format!("channels.{channel}.textChunkLimit"),
            "must be from 1 to 4096 (the platform's limit per message)",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_enabled_channels_missing_a_credential_are_unrunnable() {
        let mut channels = ChannelsConfig::default();
        assert_eq!(unrunnable(&channels), []);
        channels.telegram.enabled = true;
        let found = unrunnable(&channels);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].channel, "telegram");
        assert_eq!(
            found[0].what_to_set(),
            "set channels.telegram.botToken (or PINCER_TELEGRAM_BOT_TOKEN)"
        );
        channels.telegram.bot_token = Some(Secret::new("1:x"));
        assert_eq!(unrunnable(&channels), []);

        channels.whatsapp.enabled = true;
        channels.whatsapp.phone_number_id = "1".into();
        channels.whatsapp.app_secret = Some(Secret::new("a"));
        channels.whatsapp.verify_token = Some(Secret::new("v"));
        channels.whatsapp.access_token = Some(Secret::new(""));
        let found = unrunnable(&channels);
        assert_eq!(found.len(), 1, "an empty credential is a missing one");
        assert_eq!(
            found[0].missing,
            [(
                "channels.whatsapp.accessToken",
                "PINCER_WHATSAPP_ACCESS_TOKEN"
            )]
        );
    }
}
