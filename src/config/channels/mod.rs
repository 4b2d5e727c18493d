//! `channels.*`: the chat networks bridged to the agent and who may reach the agent through them.
//!
//! Each channel's section is a file of its own here ([`whatsapp`], [`telegram`]): its struct,
//! defaults, credentials, environment overrides and rules, behind the narrow [`ChannelSection`]
//! view that the rest of the config layer (validation, `unrunnable`) and the channel layer's
//! plug-ins read. The sections stay in the config layer (the foundation, which imports no
//! channel) so that the strict schema, the key paths of its errors, the overrides and the
//! redaction by type (`Secret`) cover them like every other key. [`SECTIONS`] is the config
//! layer's list of them, one line per channel in the `channel_sections!` call below; the channel
//! layer's own list is its registry (`src/channels/registry.rs`).
//!
//! Credentials are [`Secret`]s and can come from the environment instead of the file
//! (`PINCER_WHATSAPP_ACCESS_TOKEN`, ... see [`mod@super::env`]); cross-key rules (an enabled
//! channel needs its credentials, `open` needs `allowFrom: ["*"]`) are each section's
//! [`ChannelSection::check`], run by [`mod@super::validate`].

use serde::{Deserialize, Serialize};

use super::env::Override;
use super::error::Problem;
use super::secret::Secret;

pub(crate) mod conversation;

pub(crate) use conversation::Conversation;
pub use telegram::{TelegramConfig, TelegramMode};
pub use whatsapp::WhatsAppConfig;

/// Declares the channel sections. For each `name: Type` (the section's file `name.rs` and its
/// struct): the module, the field `channels.<name>` of [`ChannelsConfig`], its default, and its
/// entry in [`SECTIONS`]. Adding a channel's section is one line in the call below.
macro_rules! channel_sections {
    ($($(#[doc = $doc:literal])* $name:ident: $ty:ident),* $(,)?) => {
        $(pub(crate) mod $name;)*

        /// `channels`: messaging networks bridged to the agent.
        #[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
        #[serde(rename_all = "camelCase", deny_unknown_fields, default)]
        pub struct ChannelsConfig {
            $($(#[doc = $doc])* pub $name: $name::$ty,)*
            /// Largest webhook body accepted, in bytes; default 1 MiB (Meta batches stay far
            /// below). Bigger bodies get 413 before anything is parsed.
            pub webhook_max_bytes: usize,
            /// How long a handled message's platform id is remembered to drop redeliveries;
            /// default 24 hours, as long as Meta keeps retrying a webhook.
            pub dedupe_hours: u64,
            /// The most handled messages remembered for that, newest first; default 100,000
            /// (about 800 KB). A personal assistant stays far below it within `dedupeHours`; a
            /// flood forgets its oldest ids early instead of growing memory with the traffic
            /// (at 200 messages/s, 100,000 still covers 8 minutes of redeliveries).
            pub dedupe_max_messages: usize,
        }

        impl Default for ChannelsConfig {
            fn default() -> Self {
                ChannelsConfig {
                    $($name: $name::$ty::default(),)*
                    webhook_max_bytes: 1024 * 1024,
                    dedupe_hours: 24,
                    dedupe_max_messages: 100_000,
                }
            }
        }

        /// Every channel section the schema has, in the order they are checked and reported.
        pub(crate) const SECTIONS: &[SectionEntry] = &[
            $(SectionEntry {
                name: $name::NAME,
                get: |channels| &channels.$name,
                overrides: $name::OVERRIDES,
            },)*
        ];
    };
}

channel_sections! {
    /// The WhatsApp channel (official Business Cloud API).
    whatsapp: WhatsAppConfig,
    /// The Telegram channel (Bot API).
    telegram: TelegramConfig,
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

/// The config layer's view of one channel's section: what the shared rules, readiness, the
/// audit and the channel actor need, whatever else the section holds.
pub trait ChannelSection {
    /// `channels.<name>.enabled`.
    fn enabled(&self) -> bool;

    /// The settings every channel has.
    fn common(&self) -> Common<'_>;

    /// The credentials this section lacks, as `(key, environment variable)` (`-` when no
    /// variable stands in for the key), whether or not the channel is enabled.
    fn missing_credentials(&self) -> Vec<(&'static str, &'static str)>;

    /// The section's cross-key rules (the shared ones through [`check_common`]), each failure
    /// naming its key path.
    fn check(&self, problems: &mut Vec<Problem>);
}

/// The settings every channel section has, borrowed from it.
#[derive(Debug, Clone, Copy)]
pub struct Common<'a> {
    /// `apiBaseUrl`: the platform's API (tests point it at an emulator).
    pub api_base_url: &'a str,
    /// `dmPolicy`.
    pub dm_policy: DmPolicy,
    /// `allowFrom`: ids always allowed (`"*"`: anyone).
    pub allow_from: &'a [String],
    /// `sendsPerSecond`.
    pub sends_per_second: u32,
    /// `textChunkLimit`.
    pub text_chunk_limit: usize,
    /// `groupPolicy`, `groups`, `reactions`, `edits`.
    pub conversation: Conversation<'a>,
}

/// One channel section, by name; the entries of [`SECTIONS`].
pub(crate) struct SectionEntry {
    /// The section's key under `channels` (`whatsapp`).
    pub name: &'static str,
    /// The section of a config.
    pub get: fn(&ChannelsConfig) -> &dyn ChannelSection,
    /// The environment variables that stand in for its credentials.
    pub(in crate::config) overrides: &'static [Override],
}

impl ChannelsConfig {
    /// The section called `name` (`whatsapp`), if the schema has one.
    pub fn section(&self, name: &str) -> Option<&dyn ChannelSection> {
        SECTIONS
            .iter()
            .find(|entry| entry.name == name)
            .map(|entry| (entry.get)(self))
    }

    /// Every section with its name, in [`SECTIONS`] order.
    pub fn sections(&self) -> impl Iterator<Item = (&'static str, &dyn ChannelSection)> {
        SECTIONS
            .iter()
            .map(move |entry| (entry.name, (entry.get)(self)))
    }
}

/// An unset or empty credential.
pub(super) fn missing_secret(secret: &Option<Secret>) -> bool {
    secret.as_ref().is_none_or(Secret::is_empty)
}

/// The credentials an enabled channel still lacks, as `(key, environment variable)`.
///
/// Not an error that stops the gateway: the seed's own example enables WhatsApp before any
/// credential exists, so such a config loads and the other channels and the API work. But nothing
/// calls it fine either: the channel stays down, the gateway logs an error and `/readyz` answers
/// 503 naming it, `pincer config validate` fails (exit 78) naming the keys, and `pincer security
/// audit` and `pincer doctor` warn (see [`unrunnable`]).
pub(crate) fn missing_credentials(
    channels: &ChannelsConfig,
    channel: &str,
) -> Vec<(&'static str, &'static str)> {
    channels
        .section(channel)
        .map(ChannelSection::missing_credentials)
        .unwrap_or_default()
}

/// An enabled channel that cannot run because credentials are missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unrunnable {
    /// `whatsapp` or `telegram`.
    pub channel: &'static str,
    /// What is missing, as `(key, environment variable)`; the variable is `-` when none exists.
    pub missing: Vec<(&'static str, &'static str)>,
}

impl Unrunnable {
    /// `set channels.whatsapp.accessToken (or PINCER_WHATSAPP_ACCESS_TOKEN), ...`: the keys to
    /// set, each with the variable that can stand in for it.
    pub(crate) fn what_to_set(&self) -> String {
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
pub(crate) fn unrunnable(channels: &ChannelsConfig) -> Vec<Unrunnable> {
    channels
        .sections()
        .filter(|(_, section)| section.enabled())
        .filter_map(|(channel, section)| {
            let missing = section.missing_credentials();
            (!missing.is_empty()).then_some(Unrunnable { channel, missing })
        })
        .collect()
}

/// Cross-key rules of `channels.*` (called by [`super::validate()`]).
pub(super) fn check(channels: &ChannelsConfig, problems: &mut Vec<Problem>) {
    for (_, section) in channels.sections() {
        section.check(problems);
    }
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
    if channels.dedupe_max_messages < MIN_DEDUPE_MESSAGES {
        problems.push(Problem::new(
            "channels.dedupeMaxMessages",
            format!(
                "must be at least {MIN_DEDUPE_MESSAGES}: fewer would forget redeliveries within \
                 seconds of a busy minute"
            ),
        ));
    }
}

/// The smallest `channels.dedupeMaxMessages` accepted.
const MIN_DEDUPE_MESSAGES: usize = 1_000;

/// The rules every channel section shares, for its [`ChannelSection::check`]: `channel` is its
/// name under `channels`.
pub(crate) fn check_common(channel: &str, common: Common<'_>, problems: &mut Vec<Problem>) {
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
    conversation::check(channel, common.conversation, problems);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_section_is_under_its_name() {
        let value = serde_json::to_value(ChannelsConfig::default()).expect("json");
        for (name, _) in ChannelsConfig::default().sections() {
            assert!(
                value.get(name).is_some(),
                "channels.{name} is not the section's key"
            );
        }
        assert_eq!(SECTIONS.len(), 2);
    }

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
