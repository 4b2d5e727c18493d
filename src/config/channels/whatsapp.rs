//! `channels.whatsapp`: a WhatsApp Business phone number on the Cloud API: its keys, defaults,
//! credentials (with their environment variables) and rules. The channel itself is
//! `src/channels/whatsapp/`; this file is its config section, kept in the config layer so that
//! strict parsing, overrides and redaction stay where the rest of the schema is.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::super::env::Override;
use super::super::error::Problem;
use super::super::secret::Secret;
use super::conversation::{Conversation, EditMode, GroupConfig, GroupPolicy, ReactionMode};
use super::{check_common, missing_secret, ChannelSection, Common, DmPolicy};

/// The channel's name: its config key, CLI and API name, journal and session-key segment.
pub(crate) const NAME: &str = "whatsapp";

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
    /// Which groups the agent takes part in; default `allowlist` (only those in `groups`).
    pub group_policy: GroupPolicy,
    /// Per group id (or `"*"`): mention gating, members, system prompt.
    pub groups: BTreeMap<String, GroupConfig>,
    /// What a reaction does; default `record` (kept in the transcript, not answered).
    pub reactions: ReactionMode,
    /// What an edited message does; default `record` (the transcript takes the new text).
    pub edits: EditMode,
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
            group_policy: GroupPolicy::default(),
            groups: BTreeMap::new(),
            reactions: ReactionMode::default(),
            edits: EditMode::default(),
        }
    }
}

impl ChannelSection for WhatsAppConfig {
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
        let mut keys = Vec::new();
        if self.phone_number_id.trim().is_empty() {
            keys.push(("channels.whatsapp.phoneNumberId", "-"));
        }
        for (key, secret, var) in [
            (
                "channels.whatsapp.accessToken",
                &self.access_token,
                "PINCER_WHATSAPP_ACCESS_TOKEN",
            ),
            (
                "channels.whatsapp.appSecret",
                &self.app_secret,
                "PINCER_WHATSAPP_APP_SECRET",
            ),
            (
                "channels.whatsapp.verifyToken",
                &self.verify_token,
                "PINCER_WHATSAPP_VERIFY_TOKEN",
            ),
        ] {
            if missing_secret(secret) {
                keys.push((key, var));
            }
        }
        keys
    }

    fn check(&self, problems: &mut Vec<Problem>) {
        check_common(NAME, self.common(), problems);
    }
}

/// The environment variables that stand in for this section's credentials.
pub(in crate::config) const OVERRIDES: &[Override] = &[
    Override {
        name: "PINCER_WHATSAPP_ACCESS_TOKEN",
        alias: None,
        apply: |config, value| {
            config.channels.whatsapp.access_token = Some(Secret::new(value));
            Ok(())
        },
    },
    Override {
        name: "PINCER_WHATSAPP_APP_SECRET",
        alias: None,
        apply: |config, value| {
            config.channels.whatsapp.app_secret = Some(Secret::new(value));
            Ok(())
        },
    },
    Override {
        name: "PINCER_WHATSAPP_VERIFY_TOKEN",
        alias: None,
        apply: |config, value| {
            config.channels.whatsapp.verify_token = Some(Secret::new(value));
            Ok(())
        },
    },
];
