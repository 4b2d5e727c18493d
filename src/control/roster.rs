//! What OpenClaw's clients ask of a gateway before they chat: `system-presence` (who is
//! connected, the gateway itself first), `agents.list` (Pincer has one agent, `main`),
//! `models.list` (the model chain) and `commands.list` (Pincer has no chat commands yet: the
//! list is empty, which is the truth, not a placeholder).

use serde_json::{json, Value};

use super::methods::Call;
use crate::sessions::key::MAIN;

/// `system-presence`: OpenClaw's presence entries: the gateway (`mode: "gateway"`, `reason:
/// "self"`, which `openclaw gateway probe` looks for), then one per connected client.
pub(crate) fn system_presence(call: &Call) -> Value {
    let now = crate::clock::now_ms();
    let host = sysinfo::System::host_name().unwrap_or_else(|_| "localhost".to_string());
    let version = env!("CARGO_PKG_VERSION");
    let platform = std::env::consts::OS;
    let mut entries = vec![json!({
        "host": host, "version": version, "platform": platform, "mode": "gateway",
        "reason": "self", "ts": now, "instanceId": "gateway", "roles": ["gateway"],
        "text": format!("Gateway: {host} · app {version} · mode gateway · reason self"),
    })];
    entries.extend(
        call.control
            .presence_entries()
            .into_iter()
            .map(|(conn, p)| {
                json!({ "clientId": p.client_id, "version": p.version, "platform": p.platform,
            "mode": p.mode, "reason": "connect", "ts": p.connected_ms,
            "onlineSince": p.connected_ms, "instanceId": conn, "roles": ["operator"] })
            }),
    );
    Value::Array(entries)
}

/// `agents.list`: the one agent.
pub(crate) fn agents_list() -> Value {
    json!({ "defaultId": "main", "mainKey": "main", "scope": "per-sender",
        "ownership": "sole", "selectionRequired": false,
        "agents": [{ "id": "main", "name": "main", "kind": "agent", "mainSessionKey": MAIN }] })
}

/// `models.list`: the model chain, primary first, as `provider/model` ids.
pub(crate) fn models_list(call: &Call) -> Value {
    let models: Vec<Value> = call
        .operator
        .models()
        .iter()
        .map(|reference| {
            let (provider, name) = reference.split_once('/').unwrap_or(("", reference));
            json!({ "id": name, "name": name, "provider": provider, "ref": reference })
        })
        .collect();
    json!({ "models": models })
}

/// `commands.list`: none.
pub(crate) fn commands_list() -> Value {
    json!({ "commands": [] })
}
