//! `pincer sessions list|show KEY|reset KEY [--json]`: through the running gateway when there is
//! one (so its in-memory state stays right), else straight from the transcripts on disk.

use std::path::Path;

use serde_json::Value;

use super::client::{block_on, encode, GatewayClient};
use super::{CliError, SessionsAction};
use crate::config::{load_config, GatewayOptions};
use crate::paths::Paths;
use crate::sessions::SessionStore;

pub fn run(config: Option<&Path>, action: &SessionsAction) -> Result<i32, CliError> {
    let answer = match GatewayClient::discover(config) {
        Ok(client) => block_on(async {
            match action {
                SessionsAction::List(_) => client.get_ok("/admin/sessions").await,
                SessionsAction::Show { key, .. } => {
                    client
                        .get_ok(&format!("/admin/sessions/{}", encode(key)))
                        .await
                }
                SessionsAction::Reset { key } => {
                    client
                        .post_ok(&format!("/admin/sessions/{}/reset", encode(key)))
                        .await
                }
            }
        })??,
        Err(CliError::NotRunning(_)) => offline(config, action)?,
        Err(error) => return Err(error),
    };
    print(action, &answer);
    Ok(crate::exit::OK)
}

fn offline(config: Option<&Path>, action: &SessionsAction) -> Result<Value, CliError> {
    let paths = Paths::resolve(config)?;
    let options = GatewayOptions {
        config_path: config.map(Path::to_path_buf),
        ..GatewayOptions::default()
    };
    load_config(&paths, &options)?;
    let store = SessionStore::open(&paths.state_dir.join("agents").join("main").join("sessions"))
        .map_err(|e| CliError::Usage(e.to_string()))?;
    match action {
        SessionsAction::List(_) => {
            let mut sessions = store.list();
            sessions.sort_by_key(|s| std::cmp::Reverse(s.updated_ms));
            Ok(serde_json::json!({ "count": sessions.len(), "sessions": sessions }))
        }
        SessionsAction::Show { key, .. } => {
            Ok(serde_json::to_value(store.inspect(key)).unwrap_or(Value::Null))
        }
        SessionsAction::Reset { key } => match store.reset(key) {
            Ok(true) => Ok(serde_json::json!({ "ok": true, "reset": key })),
            Ok(false) => Err(CliError::Usage(format!("no session {key:?}"))),
            Err(error) => Err(CliError::Usage(error.to_string())),
        },
    }
}

fn print(action: &SessionsAction, answer: &Value) {
    let json = match action {
        SessionsAction::List(args) => args.json,
        SessionsAction::Show { json, .. } => *json,
        SessionsAction::Reset { .. } => false,
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(answer).unwrap_or_default()
        );
        return;
    }
    match action {
        SessionsAction::List(_) => {
            println!(
                "{:<48} {:>8} {:>10} {:<30} UPDATED (unix ms)",
                "KEY", "MESSAGES", "TOKENS", "MODEL"
            );
            for s in answer["sessions"].as_array().into_iter().flatten() {
                let tokens = s["inputTokens"].as_u64().unwrap_or(0)
                    + s["outputTokens"].as_u64().unwrap_or(0);
                println!(
                    "{:<48} {:>8} {:>10} {:<30} {}",
                    s["key"].as_str().unwrap_or("?"),
                    s["messages"].as_u64().unwrap_or(0),
                    tokens,
                    s["model"].as_str().unwrap_or("-"),
                    s["updatedMs"].as_u64().unwrap_or(0)
                );
            }
        }
        SessionsAction::Show { key, .. } => {
            if answer["exists"] != true {
                println!("{key}: no such session");
                return;
            }
            println!("session        {key}");
            println!(
                "id             {}",
                answer["sessionId"].as_str().unwrap_or("?")
            );
            println!(
                "size           {} bytes",
                answer["size"].as_u64().unwrap_or(0)
            );
            println!(
                "last modified  {} (unix ms)",
                answer["lastModifiedMs"].as_u64().unwrap_or(0)
            );
            println!(
                "messages       {}",
                answer["messageCount"].as_u64().unwrap_or(0)
            );
            println!(
                "tokens         {}",
                answer["tokenCount"].as_u64().unwrap_or(0)
            );
            println!(
                "model          {}",
                answer["metadata"]["model"].as_str().unwrap_or("-")
            );
        }
        SessionsAction::Reset { key } => {
            println!("session {key} reset (its transcript was archived)")
        }
    }
}
