//! OpenClaw's `openclaw.json` mapped to Pincer's `pincer.json5`: the model and its fallbacks,
//! the providers, the gateway, the agent defaults, the sandbox, the tool policy and the session
//! scope ([`mod@super::config_channels`] does the channels). Credentials never go into the config:
//! each is handed back as a secret (`NAME`, value) for `<state>/secrets.env`, and the config
//! names the variable (`apiKeyEnv`) or relies on the one Pincer already reads
//! (`PINCER_GATEWAY_TOKEN`, `ANTHROPIC_API_KEY`, ...). Every key that has no Pincer equivalent is
//! reported with the reason, never dropped silently. The tool policy, the session scope and
//! `env` are in [`mod@super::config_policy`].

use serde_json::{json, Map, Value};

use super::plan::Skipped;
use super::{config_channels, config_policy};
use crate::config::DmScope;

/// What the mapping produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Mapped {
    /// The Pincer config, as JSON (rendered to JSON5 text by the caller).
    pub config: Value,
    /// Secrets for the secrets file, `(NAME, value)`, from the config key named third.
    pub secrets: Vec<(String, String, String)>,
    pub skipped: Vec<Skipped>,
    /// How OpenClaw split direct messages into sessions (so imported keys match).
    pub dm_scope: DmScope,
}

impl Mapped {
    pub(super) fn skip(&mut self, what: impl Into<String>, reason: impl Into<String>) {
        self.skipped.push(Skipped {
            what: what.into(),
            reason: reason.into(),
        });
    }

    pub(super) fn secret(&mut self, name: &str, value: &str, from: &str) {
        if !value.is_empty() {
            self.secrets
                .push((name.to_string(), value.to_string(), from.to_string()));
        }
    }

    pub(super) fn note(&mut self, what: impl Into<String>, reason: impl Into<String>) {
        self.skip(what, reason);
    }
}

/// Top-level keys with a fixed reason for not being imported.
const NOT_MAPPED: &[(&str, &str)] = &[
    ("meta", "OpenClaw's own bookkeeping"),
    ("wizard", "OpenClaw's own bookkeeping"),
    ("$schema", "OpenClaw's schema, not Pincer's"),
    ("cron", "not imported: recreate the jobs with `pincer cron add` (see the cron jobs listed below)"),
    ("hooks", "Pincer has no webhooks or hook mappings yet"),
    ("plugins", "Pincer has no plugin system; its channels and tools are built in"),
    ("skills", "skill installation settings; the skills folder itself is copied to the workspace"),
    ("auth", "auth profiles are OpenClaw's key store; API keys found in the config and auth-profiles.json are imported as secrets"),
    ("messages", "reply formatting and queue settings differ; Pincer's `messages` section keeps its defaults"),
    ("logging", "Pincer's logging settings differ (see `logging` in its README); defaults kept"),
    ("browser", "Pincer's browser tool has its own limits (`tools.browser`); defaults kept"),
    ("ui", "the Control UI has no appearance settings in Pincer"),
    ("memory", "Pincer has no memory search; MEMORY.md and memory/ are copied to the workspace"),
    ("commands", "Pincer has no chat commands or command owners"),
    ("accessGroups", "Pincer has no access groups; list the senders in each channel's allowFrom"),
    ("bindings", "Pincer has one agent, so there is nothing to bind"),
    ("broadcast", "Pincer has no broadcast groups"),
    ("talk", "Pincer has no voice mode"),
    ("discovery", "Pincer does not advertise itself on the network"),
    ("canvasHost", "Pincer has no canvas"),
    ("secrets", "Pincer has no secret providers; credentials found are stored in secrets.env"),
    ("update", "Pincer is updated by its package, not by itself"),
    ("diagnostics", "Pincer's diagnostics are `pincer doctor` and /metrics"),
];

/// Maps the parsed `openclaw.json`.
pub(crate) fn map(source: &Value) -> Mapped {
    let mut out = Mapped {
        config: json!({}),
        dm_scope: DmScope::Main,
        ..Mapped::default()
    };
    let Some(root) = source.as_object() else {
        out.skip("(config)", "the file is not a JSON object");
        return out;
    };
    let mut config = Map::new();
    for (key, value) in root {
        match key.as_str() {
            "agents" => agents(value, &mut config, &mut out),
            "models" => models(value, &mut config, &mut out),
            "gateway" => gateway(value, &mut config, &mut out),
            "channels" => config_channels::channels(value, &mut config, &mut out),
            "tools" => config_policy::tools(value, &mut config, &mut out),
            "session" => config_policy::session(value, &mut out),
            "env" => config_policy::env(value, &mut out),
            "agent" => out.skip("agent", "the old single-agent section; move it to agents.defaults in OpenClaw first, or set agent.model in Pincer"),
            other => match NOT_MAPPED.iter().find(|(name, _)| *name == other) {
                Some((_, reason)) => out.skip(other, *reason),
                None => out.skip(other, "no Pincer equivalent"),
            },
        }
    }
    let scope = match out.dm_scope {
        DmScope::Main => "main",
        DmScope::PerPeer => "per-peer",
        DmScope::PerChannelPeer => "per-channel-peer",
        DmScope::PerAccountChannelPeer => "per-account-channel-peer",
    };
    // Always written: OpenClaw's default (`main`) is not Pincer's, and imported session keys
    // only continue under the scope they were made with.
    config.insert("session".into(), json!({ "dmScope": scope }));
    out.config = Value::Object(config);
    out
}

pub(super) fn object<'a>(
    value: &'a Value,
    key: &str,
    out: &mut Mapped,
) -> Option<&'a Map<String, Value>> {
    match value {
        Value::Object(map) => Some(map),
        Value::Null => None,
        _ => {
            out.skip(key, "expected an object");
            None
        }
    }
}

pub(super) fn section<'a>(
    config: &'a mut Map<String, Value>,
    path: &[&str],
) -> &'a mut Map<String, Value> {
    let mut here = config;
    for part in path {
        let entry = here
            .entry(part.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        here = match entry {
            Value::Object(map) => map,
            _ => unreachable!("made an object above"),
        };
    }
    here
}

pub(super) fn strings(value: &Value) -> Option<Vec<String>> {
    value.as_array().map(|items| {
        items
            .iter()
            .filter_map(|item| match item {
                Value::String(text) => Some(text.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect()
    })
}

/// `agents.defaults` (and `agents.list`/`agents.entries`, which Pincer's one agent lacks).
fn agents(value: &Value, config: &mut Map<String, Value>, out: &mut Mapped) {
    let Some(agents) = object(value, "agents", out) else {
        return;
    };
    for (key, value) in agents {
        match key.as_str() {
            "defaults" => defaults(value, config, out),
            "list" | "entries" => out.skip(
                format!("agents.{key}"),
                "Pincer has one agent (main); per-agent settings are not imported (its identity lives in IDENTITY.md, which is copied)",
            ),
            other => out.skip(format!("agents.{other}"), "no Pincer equivalent"),
        }
    }
}

fn defaults(value: &Value, config: &mut Map<String, Value>, out: &mut Mapped) {
    let Some(defaults) = object(value, "agents.defaults", out) else {
        return;
    };
    for (key, value) in defaults {
        let name = format!("agents.defaults.{key}");
        match key.as_str() {
            "model" => match value {
                Value::String(model) => {
                    section(config, &["agents", "defaults"]).insert("model".into(), json!(model));
                }
                Value::Object(chain) => {
                    let Some(primary) = chain.get("primary").and_then(Value::as_str) else {
                        out.skip(name, "no `primary` model");
                        continue;
                    };
                    let fallbacks = chain.get("fallbacks").and_then(strings).unwrap_or_default();
                    let model = if fallbacks.is_empty() {
                        json!(primary)
                    } else {
                        json!({ "primary": primary, "fallbacks": fallbacks })
                    };
                    section(config, &["agents", "defaults"]).insert("model".into(), model);
                }
                _ => out.skip(name, "expected a model name or { primary, fallbacks }"),
            },
            "timeoutSeconds" => match value.as_u64() {
                Some(seconds) if seconds > 0 => {
                    section(config, &["agents", "defaults"])
                        .insert("timeoutSeconds".into(), json!(seconds));
                }
                _ => out.skip(name, "expected a positive number of seconds"),
            },
            "maxConcurrent" => match value.as_u64() {
                Some(n) if n > 0 => {
                    section(config, &["agents"]).insert("maxConcurrentRuns".into(), json!(n));
                }
                _ => out.skip(name, "expected a positive number"),
            },
            "sandbox" => sandbox(value, config, out),
            "workspace" => out.skip(
                name,
                "the workspace files are copied into Pincer's own workspace rather than pointing at the OpenClaw folder",
            ),
            "models" => out.skip(name, "model aliases and per-model parameters have no Pincer equivalent"),
            "heartbeat" => out.skip(name, "not imported: set agents.defaults.heartbeat (every, target, activeHours); HEARTBEAT.md is copied"),
            _ => out.skip(name, "no Pincer equivalent"),
        }
    }
}

/// `agents.defaults.sandbox`: the mode maps; Docker settings do not (Pincer confines tools
/// with Landlock and its own file rules).
fn sandbox(value: &Value, config: &mut Map<String, Value>, out: &mut Mapped) {
    let Some(sandbox) = object(value, "agents.defaults.sandbox", out) else {
        return;
    };
    for (key, value) in sandbox {
        let name = format!("agents.defaults.sandbox.{key}");
        match (key.as_str(), value.as_str()) {
            ("mode", Some(mode @ ("off" | "non-main" | "all"))) => {
                section(config, &["agents", "defaults", "sandbox"])
                    .insert("mode".into(), json!(mode));
            }
            ("mode", _) => out.skip(name, "unknown sandbox mode"),
            _ => out.skip(
                name,
                "Pincer sandboxes tools itself (Landlock, a folder per session), without Docker",
            ),
        }
    }
}

/// `models.providers`: Anthropic-Messages and OpenAI-Completions providers map; their keys go
/// to the secrets file.
fn models(value: &Value, config: &mut Map<String, Value>, out: &mut Mapped) {
    let Some(models) = object(value, "models", out) else {
        return;
    };
    for (key, value) in models {
        if key != "providers" {
            out.skip(format!("models.{key}"), "no Pincer equivalent");
            continue;
        }
        let Some(providers) = object(value, "models.providers", out) else {
            continue;
        };
        for (id, provider) in providers {
            if let Some(mapped) = provider_entry(id, provider, out) {
                section(config, &["models", "providers"]).insert(id.clone(), mapped);
            }
        }
    }
}

/// The variable a provider's key is stored under: the built-in ones' own, else `<ID>_API_KEY`.
pub(crate) fn key_variable(id: &str) -> String {
    let cleaned: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("{cleaned}_API_KEY")
}

fn provider_entry(id: &str, value: &Value, out: &mut Mapped) -> Option<Value> {
    let name = format!("models.providers.{id}");
    let provider = object(value, &name, out)?;
    let api = provider
        .get("api")
        .and_then(Value::as_str)
        .unwrap_or(match id {
            "anthropic" => "anthropic-messages",
            _ => "openai-completions",
        });
    if !matches!(api, "anthropic-messages" | "openai-completions") {
        out.skip(
            name,
            format!("Pincer speaks the Anthropic Messages and OpenAI Chat Completions APIs, not {api:?}"),
        );
        return None;
    }
    let Some(base_url) = provider.get("baseUrl").and_then(Value::as_str) else {
        out.skip(name, "no baseUrl");
        return None;
    };
    let mut mapped = Map::new();
    mapped.insert("api".into(), json!(api));
    mapped.insert("baseUrl".into(), json!(base_url));
    match provider.get("apiKey") {
        Some(Value::String(key)) => {
            if let Some(var) = key.strip_prefix("${").and_then(|k| k.strip_suffix('}')) {
                mapped.insert("apiKeyEnv".into(), json!(var));
            } else {
                let var = key_variable(id);
                out.secret(&var, key, &format!("{name}.apiKey"));
                mapped.insert("apiKeyEnv".into(), json!(var));
            }
        }
        Some(Value::Object(reference)) => match (
            reference.get("source").and_then(Value::as_str),
            reference.get("id").and_then(Value::as_str),
        ) {
            (Some("env"), Some(var)) => {
                mapped.insert("apiKeyEnv".into(), json!(var));
            }
            _ => out.skip(
                format!("{name}.apiKey"),
                "a secret reference Pincer cannot resolve (only environment variables); store the key with `pincer onboard` or in secrets.env",
            ),
        },
        _ => {}
    }
    for key in provider.keys() {
        match key.as_str() {
            "api" | "baseUrl" | "apiKey" => {}
            "headers" => out.skip(
                format!("{name}.headers"),
                "header values may be credentials; set them by hand in models.providers.<id>.headers",
            ),
            "models" => out.skip(
                format!("{name}.models"),
                "Pincer needs no model catalog: any model id of the provider can be named",
            ),
            other => out.skip(format!("{name}.{other}"), "no Pincer equivalent"),
        }
    }
    Some(Value::Object(mapped))
}

/// `gateway`: port, bind, auth (its token or password into the secrets file), Tailscale.
fn gateway(value: &Value, config: &mut Map<String, Value>, out: &mut Mapped) {
    let Some(gateway) = object(value, "gateway", out) else {
        return;
    };
    for (key, value) in gateway {
        let name = format!("gateway.{key}");
        match key.as_str() {
            "port" => match value.as_u64().and_then(|p| u16::try_from(p).ok()) {
                Some(port) => {
                    section(config, &["gateway"]).insert("port".into(), json!(port));
                }
                None => out.skip(name, "not a port number"),
            },
            "bind" => match value.as_str() {
                Some(bind @ ("loopback" | "lan" | "tailnet")) => {
                    section(config, &["gateway"]).insert("bind".into(), json!(bind));
                }
                _ => out.skip(
                    name,
                    "Pincer binds to loopback, lan or tailnet; kept loopback",
                ),
            },
            "auth" => auth(value, config, out),
            "tailscale" => {
                if let Some(mode @ ("off" | "serve" | "funnel")) =
                    value.get("mode").and_then(Value::as_str)
                {
                    section(config, &["gateway", "tailscale"]).insert("mode".into(), json!(mode));
                }
                if let Some(reset) = value.get("resetOnExit").and_then(Value::as_bool) {
                    section(config, &["gateway", "tailscale"])
                        .insert("resetOnExit".into(), json!(reset));
                }
            }
            "mode" => out.skip(name, "Pincer always runs its gateway on this machine"),
            _ => out.skip(name, "no Pincer equivalent"),
        }
    }
}

fn auth(value: &Value, config: &mut Map<String, Value>, out: &mut Mapped) {
    let Some(auth) = object(value, "gateway.auth", out) else {
        return;
    };
    let mode = auth.get("mode").and_then(Value::as_str);
    match mode {
        Some(mode @ ("token" | "password" | "none")) => {
            section(config, &["gateway", "auth"]).insert("mode".into(), json!(mode));
        }
        Some(other) => out.skip(
            "gateway.auth.mode",
            format!("Pincer has token, password and none, not {other:?}; kept token"),
        ),
        None => {}
    }
    for key in auth.keys() {
        let name = format!("gateway.auth.{key}");
        match (key.as_str(), auth.get(key)) {
            ("mode", _) => {}
            ("token", Some(Value::String(token))) if mode != Some("password") => {
                out.secret("PINCER_GATEWAY_TOKEN", token, &name);
            }
            ("password", Some(Value::String(password))) if mode == Some("password") => {
                out.secret("PINCER_GATEWAY_PASSWORD", password, &name);
            }
            ("token" | "password", _) => out.skip(
                name,
                "not used by the imported auth mode, or not a plain value",
            ),
            _ => out.skip(name, "no Pincer equivalent"),
        }
    }
}

#[cfg(test)]
#[path = "config_map_tests.rs"]
mod tests;
