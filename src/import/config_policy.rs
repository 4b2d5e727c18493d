//! The policy parts of `openclaw.json` for Pincer: `tools` (allow/deny, the sandbox's tool
//! policy, the exec timeout), `session` (the DM scope, so imported keys are routed to) and `env`
//! (API keys and tokens into the secrets file). The rest of the mapping is
//! [`mod@super::config_map`].

use serde_json::{json, Map, Value};

use super::config_map::{object, section, strings, Mapped};
use crate::config::DmScope;

/// `tools.allow`/`deny` and the sandbox's tool policy; profiles and per-tool settings do not map.
pub(super) fn tools(value: &Value, config: &mut Map<String, Value>, out: &mut Mapped) {
    let Some(tools) = object(value, "tools", out) else {
        return;
    };
    for (key, value) in tools {
        let name = format!("tools.{key}");
        match key.as_str() {
            "allow" | "deny" => {
                let list = tool_names(&name, value, out);
                section(config, &["tools"]).insert(key.clone(), json!(list));
            }
            "sandbox" => {
                let policy = value.get("tools");
                for (from, to) in [("allow", "allowlist"), ("deny", "denylist")] {
                    if let Some(list) = policy.and_then(|p| p.get(from)) {
                        let list = tool_names(&format!("{name}.tools.{from}"), list, out);
                        section(config, &["agents", "defaults", "sandbox"])
                            .insert(to.into(), json!(list));
                    }
                }
            }
            "exec" => {
                if let Some(seconds) = value.get("timeoutSeconds").and_then(Value::as_u64) {
                    section(config, &["tools", "exec"])
                        .insert("timeout".into(), json!(seconds.saturating_mul(1000)));
                }
                if let Some(map) = value.as_object() {
                    for other in map.keys().filter(|k| *k != "timeoutSeconds") {
                        out.skip(format!("{name}.{other}"), "no Pincer equivalent");
                    }
                }
            }
            "profile" => out.skip(
                name,
                "Pincer has no tool profiles: every tool is allowed unless tools.allow/deny say otherwise",
            ),
            "elevated" => out.skip(name, "Pincer has no elevated mode"),
            _ => out.skip(name, "no Pincer equivalent"),
        }
    }
}

/// The tool names and groups of a list; groups Pincer lacks are reported and left out.
fn tool_names(name: &str, value: &Value, out: &mut Mapped) -> Vec<String> {
    let known = crate::config::tools::TOOL_GROUPS
        .iter()
        .map(|(group, _)| *group)
        .chain(["group:openclaw"])
        .collect::<Vec<_>>();
    let mut list = Vec::new();
    for tool in strings(value).unwrap_or_default() {
        if tool.starts_with("group:") && !known.contains(&tool.as_str()) {
            out.skip(
                format!("{name}: {tool}"),
                "a tool group Pincer does not have",
            );
        } else {
            list.push(tool);
        }
    }
    list
}

/// `session.dmScope` carries over (so imported keys are the ones Pincer routes to); resets do
/// not.
pub(super) fn session(value: &Value, out: &mut Mapped) {
    let Some(session) = object(value, "session", out) else {
        return;
    };
    for (key, value) in session {
        let name = format!("session.{key}");
        match (key.as_str(), value.as_str()) {
            ("dmScope", Some(scope)) => {
                out.dm_scope = match scope {
                    "main" => DmScope::Main,
                    "per-peer" => DmScope::PerPeer,
                    "per-channel-peer" => DmScope::PerChannelPeer,
                    "per-account-channel-peer" => DmScope::PerAccountChannelPeer,
                    _ => {
                        out.skip(name, "unknown scope; kept main");
                        DmScope::Main
                    }
                }
            }
            ("reset" | "resetByChannel" | "resetTriggers" | "idleMinutes", _) => out.skip(
                name,
                "Pincer never resets a conversation by itself; `pincer sessions reset` starts one afresh",
            ),
            ("store", _) => out.skip(name, "Pincer keeps its sessions in its state directory"),
            _ => out.skip(name, "no Pincer equivalent"),
        }
    }
}

/// `env` (and `env.vars`): API keys become secrets; other variables do not carry over.
pub(super) fn env(value: &Value, out: &mut Mapped) {
    let Some(env) = object(value, "env", out) else {
        return;
    };
    let mut vars: Vec<(String, &Value)> = Vec::new();
    for (key, value) in env {
        match key.as_str() {
            "vars" => {
                if let Some(map) = value.as_object() {
                    vars.extend(map.iter().map(|(k, v)| (k.clone(), v)));
                }
            }
            "shellEnv" => out.skip(
                "env.shellEnv",
                "Pincer does not read a login shell's environment",
            ),
            _ => vars.push((key.clone(), value)),
        }
    }
    for (name, value) in vars {
        let credential = ["_API_KEY", "_TOKEN", "_SECRET"]
            .iter()
            .any(|suffix| name.ends_with(suffix));
        match value.as_str() {
            Some(text)
                if credential && crate::config::secrets::check_name(&name).is_ok() =>
            {
                out.secret(&name, text, &format!("env.{name}"));
            }
            _ => out.skip(
                format!("env.{name}"),
                "only credentials (*_API_KEY, *_TOKEN, *_SECRET) go to secrets.env; set other variables in the service's environment",
            ),
        }
    }
}
