use serde_json::json;

use super::*;

fn reasons(mapped: &Mapped) -> Vec<String> {
    mapped.skipped.iter().map(|s| s.what.clone()).collect()
}

#[test]
fn the_model_chain_providers_and_gateway_map_and_keys_become_secrets() {
    let mapped = map(&json!({
        "agents": { "defaults": {
            "model": { "primary": "openai/gpt-4o", "fallbacks": ["anthropic/claude-sonnet-4-5"] },
            "timeoutSeconds": 120,
            "maxConcurrent": 2,
            "sandbox": { "mode": "all", "docker": { "image": "x" } },
        }},
        "models": { "providers": {
            "openai": { "baseUrl": "https://api.openai.com/v1", "apiKey": "sk-1", "api": "openai-completions" },
            "my-proxy": { "baseUrl": "http://127.0.0.1:4000/v1", "apiKey": "${PROXY_KEY}" },
            "gem": { "baseUrl": "https://g", "api": "google-generative-ai", "apiKey": "g" },
        }},
        "gateway": { "port": 19000, "bind": "lan", "auth": { "mode": "password", "password": "pw-1", "token": "unused" } },
    }));
    let config = &mapped.config;
    assert_eq!(
        config["agents"]["defaults"]["model"],
        json!({ "primary": "openai/gpt-4o", "fallbacks": ["anthropic/claude-sonnet-4-5"] })
    );
    assert_eq!(config["agents"]["defaults"]["timeoutSeconds"], 120);
    assert_eq!(config["agents"]["maxConcurrentRuns"], 2);
    assert_eq!(config["agents"]["defaults"]["sandbox"]["mode"], "all");
    assert_eq!(
        config["models"]["providers"]["openai"],
        json!({ "api": "openai-completions", "baseUrl": "https://api.openai.com/v1", "apiKeyEnv": "OPENAI_API_KEY" })
    );
    assert_eq!(
        config["models"]["providers"]["my-proxy"]["apiKeyEnv"], "PROXY_KEY",
        "an environment reference stays a reference"
    );
    assert!(config["models"]["providers"].get("gem").is_none());
    assert_eq!(config["gateway"]["port"], 19000);
    assert_eq!(config["gateway"]["bind"], "lan");
    assert_eq!(config["gateway"]["auth"], json!({ "mode": "password" }));
    let text = config.to_string();
    for secret in ["sk-1", "pw-1", "unused"] {
        assert!(
            !text.contains(secret),
            "{secret} leaked into the config: {text}"
        );
    }
    let secrets: Vec<(&str, &str)> = mapped
        .secrets
        .iter()
        .map(|(n, v, _)| (n.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        secrets,
        [
            ("PINCER_GATEWAY_PASSWORD", "pw-1"),
            ("OPENAI_API_KEY", "sk-1")
        ]
    );
    let skipped = reasons(&mapped);
    for key in [
        "agents.defaults.sandbox.docker",
        "models.providers.gem",
        "gateway.auth.token",
    ] {
        assert!(
            skipped.iter().any(|s| s == key),
            "{key} not reported: {skipped:?}"
        );
    }
}

#[test]
fn channels_keep_their_policy_and_senders_and_report_groups() {
    let mapped = map(&json!({
        "channels": {
            "whatsapp": { "dmPolicy": "allowlist", "allowFrom": ["+1 555 000-1111", "accessGroup:ops"], "groups": {} },
            "telegram": { "botToken": "42:abc", "dmPolicy": "open", "allowFrom": ["tg:7", "telegram:8"] },
            "signal": { "enabled": true },
        }
    }));
    let channels = &mapped.config["channels"];
    assert_eq!(
        channels["whatsapp"],
        json!({ "dmPolicy": "allowlist", "allowFrom": ["15550001111"], "enabled": false })
    );
    assert_eq!(
        channels["telegram"],
        json!({ "dmPolicy": "allowlist", "allowFrom": ["7", "8"], "enabled": true }),
        "open without \"*\" admits only the listed senders, as in OpenClaw"
    );
    assert_eq!(
        mapped.secrets[0],
        (
            "PINCER_TELEGRAM_BOT_TOKEN".to_string(),
            "42:abc".to_string(),
            "channels.telegram.botToken".to_string()
        )
    );
    let skipped = reasons(&mapped);
    for key in [
        "channels.whatsapp.groups",
        "channels.whatsapp.allowFrom: accessGroup:ops",
        "channels.signal",
        "channels.telegram.dmPolicy",
    ] {
        assert!(
            skipped.iter().any(|s| s == key),
            "{key} not reported: {skipped:?}"
        );
    }
}

#[test]
fn the_session_scope_is_always_written_and_cron_is_reported() {
    let mapped = map(&json!({ "cron": { "enabled": true }, "somethingNew": 1 }));
    assert_eq!(mapped.dm_scope, DmScope::Main, "OpenClaw's default");
    assert_eq!(mapped.config["session"], json!({ "dmScope": "main" }));
    let cron = mapped
        .skipped
        .iter()
        .find(|s| s.what == "cron")
        .expect("cron");
    assert!(cron.reason.contains("pincer cron add"), "{cron:?}");
    assert!(mapped.skipped.iter().any(|s| s.what == "somethingNew"));

    let mapped = map(&json!({ "session": { "dmScope": "per-account-channel-peer" } }));
    assert_eq!(mapped.dm_scope, DmScope::PerAccountChannelPeer);
}

#[test]
fn tools_and_env_map_only_what_pincer_has() {
    let mapped = map(&json!({
        "tools": {
            "allow": ["read", "group:fs", "group:nodes"],
            "deny": ["browser"],
            "exec": { "timeoutSeconds": 90, "backgroundMs": 1 },
            "sandbox": { "tools": { "allow": ["read"], "deny": ["exec"] } },
        },
        "env": { "GROQ_API_KEY": "gsk", "vars": { "SLACK_TOKEN": "xoxb", "TZ": "UTC" } },
    }));
    let config = &mapped.config;
    assert_eq!(config["tools"]["allow"], json!(["read", "group:fs"]));
    assert_eq!(config["tools"]["deny"], json!(["browser"]));
    assert_eq!(config["tools"]["exec"]["timeout"], 90_000);
    assert_eq!(
        config["agents"]["defaults"]["sandbox"]["allowlist"],
        json!(["read"])
    );
    assert_eq!(
        config["agents"]["defaults"]["sandbox"]["denylist"],
        json!(["exec"])
    );
    let names: Vec<&str> = mapped.secrets.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(names, ["GROQ_API_KEY", "SLACK_TOKEN"]);
    let skipped = reasons(&mapped);
    assert!(skipped.contains(&"env.TZ".to_string()), "{skipped:?}");
    assert!(
        skipped.contains(&"tools.allow: group:nodes".to_string()),
        "{skipped:?}"
    );
}

#[test]
fn a_config_that_is_not_an_object_maps_to_nothing() {
    let mapped = map(&json!([1, 2]));
    assert_eq!(mapped.config, json!({}));
    assert_eq!(mapped.skipped.len(), 1);
}
