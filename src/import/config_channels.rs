//! OpenClaw's `channels` mapped to Pincer's: WhatsApp and Telegram keep who may reach the agent
//! (`dmPolicy`, `allowFrom`); Telegram keeps its bot token (as a secret). Group settings, other
//! accounts and every other channel are reported as not imported, each with its reason.
//!
//! WhatsApp cannot be switched on by the import: OpenClaw links a phone as a WhatsApp Web
//! device, Pincer talks to the Business Cloud API, so the section is written disabled and the
//! report says which keys to add.

use serde_json::{json, Map, Value};

use super::config_map::Mapped;

/// Maps `channels` into `config`.
pub(crate) fn channels(value: &Value, config: &mut Map<String, Value>, out: &mut Mapped) {
    let Some(channels) = value.as_object() else {
        out.note("channels", "expected an object");
        return;
    };
    let mut mapped = Map::new();
    for (name, section) in channels {
        match name.as_str() {
            "whatsapp" => {
                let mut whatsapp = common("whatsapp", section, out);
                whatsapp.insert("enabled".into(), json!(false));
                out.note(
                    "channels.whatsapp (link)",
                    "OpenClaw links WhatsApp as a Web device; Pincer uses the Business Cloud API: set \
                     channels.whatsapp.phoneNumberId, accessToken, appSecret and verifyToken, then enabled: true",
                );
                mapped.insert("whatsapp".into(), Value::Object(whatsapp));
            }
            "telegram" => {
                let mut telegram = common("telegram", section, out);
                let enabled = section
                    .get("enabled")
                    .and_then(Value::as_bool)
                    .unwrap_or(true);
                match section.get("botToken").and_then(Value::as_str) {
                    Some(token) if !token.is_empty() => {
                        out.secret(
                            "PINCER_TELEGRAM_BOT_TOKEN",
                            token,
                            "channels.telegram.botToken",
                        );
                        telegram.insert("enabled".into(), json!(enabled));
                    }
                    _ => {
                        telegram.insert("enabled".into(), json!(false));
                        out.note(
                            "channels.telegram.botToken",
                            "no plain bot token in the config (a tokenFile or secret reference is not read); \
                             the channel is written disabled",
                        );
                    }
                }
                mapped.insert("telegram".into(), Value::Object(telegram));
            }
            "defaults" => out.note("channels.defaults", "no Pincer equivalent"),
            other => out.note(
                format!("channels.{other}"),
                format!("Pincer has no {other} channel (it has WhatsApp and Telegram)"),
            ),
        }
    }
    if !mapped.is_empty() {
        config.insert("channels".into(), Value::Object(mapped));
    }
}

/// The keys both channels share; the rest reported.
fn common(channel: &str, section: &Value, out: &mut Mapped) -> Map<String, Value> {
    let mut mapped = Map::new();
    let Some(section) = section.as_object() else {
        out.note(format!("channels.{channel}"), "expected an object");
        return mapped;
    };
    for (key, value) in section {
        let name = format!("channels.{channel}.{key}");
        match key.as_str() {
            "dmPolicy" => match value.as_str() {
                Some(policy @ ("pairing" | "allowlist" | "open" | "disabled")) => {
                    mapped.insert("dmPolicy".into(), json!(policy));
                }
                _ => out.note(name, "unknown policy; Pincer's default (pairing) applies"),
            },
            "allowFrom" => {
                let ids = allow_ids(channel, value, &name, out);
                mapped.insert("allowFrom".into(), json!(ids));
            }
            "enabled" | "botToken" => {}
            "groups" | "groupPolicy" | "groupAllowFrom" | "groupChat" => out.note(
                name,
                "Pincer has no group support yet: it answers direct messages only",
            ),
            "accounts" => out.note(
                name,
                "Pincer runs one account per channel; only the channel-level settings are imported",
            ),
            "tokenFile" => out.note(
                name,
                "not read (a file outside the config); put the token in PINCER_TELEGRAM_BOT_TOKEN",
            ),
            "webhookUrl" | "webhookSecret" | "webhookPath" => out.note(
                name,
                "the webhook is set up again for Pincer's /webhooks/telegram (channels.telegram.mode: webhook)",
            ),
            _ => out.note(name, "no Pincer equivalent"),
        }
    }
    // `open` needs the wildcard in Pincer too; OpenClaw enforces the same rule.
    if mapped.get("dmPolicy") == Some(&json!("open"))
        && !mapped
            .get("allowFrom")
            .and_then(Value::as_array)
            .is_some_and(|ids| ids.contains(&json!("*")))
    {
        mapped.insert("dmPolicy".into(), json!("allowlist"));
        out.note(
            format!("channels.{channel}.dmPolicy"),
            "`open` without \"*\" in allowFrom admits only the listed senders: imported as allowlist",
        );
    }
    mapped
}

/// The sender ids of an `allowFrom` list, as Pincer compares them: WhatsApp numbers keep their
/// digits, Telegram ids lose a `telegram:`/`tg:` prefix; `accessGroup:` entries are reported.
pub(crate) fn allow_ids(channel: &str, value: &Value, name: &str, out: &mut Mapped) -> Vec<String> {
    let mut ids = Vec::new();
    let items: Vec<String> = match value.as_array() {
        Some(items) => items
            .iter()
            .filter_map(|item| match item {
                Value::String(text) => Some(text.trim().to_string()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        None => {
            out.note(name, "expected a list");
            return ids;
        }
    };
    for item in items {
        if item.starts_with("accessGroup:") {
            out.note(format!("{name}: {item}"), "Pincer has no access groups");
            continue;
        }
        match sender_id(channel, &item) {
            Some(id) => {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            None => out.note(
                format!("{name}: {item}"),
                "not a sender id Pincer recognises",
            ),
        }
    }
    ids
}

/// One sender id in Pincer's spelling, or `None` when it is not one (`*` stays `*`).
pub(crate) fn sender_id(channel: &str, raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw == "*" {
        return Some(raw.to_string());
    }
    let raw = raw
        .strip_prefix(&format!("{channel}:"))
        .or_else(|| raw.strip_prefix("tg:"))
        .unwrap_or(raw);
    let id: String = raw
        .trim_start_matches('+')
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    let ok = !id.is_empty() && id.len() <= 32 && id.chars().all(|c| c.is_ascii_digit());
    ok.then_some(id)
}
