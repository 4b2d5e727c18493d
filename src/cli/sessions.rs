//! `pincer sessions list|show KEY|reset KEY|history KEY|children KEY [--json]`: through the running gateway
//! when there is one (so its in-memory state stays right), else straight from the transcripts on
//! disk, with the same functions and the same answers ([`crate::api::sessions`]).

use std::path::Path;

use serde::Serialize;

use super::client::{block_on, encode, GatewayClient};
use super::{CliError, SessionsAction};
use crate::api::history::history_in;
use crate::api::sessions::reset_in;
use crate::api::{History, HistoryMessage, SessionInfo, SessionList, SessionReset, SubagentList};
use crate::config::{load_config, GatewayOptions};
use crate::paths::Paths;
use crate::sessions::subagents::registry::STOPPED_BY_RESET;
use crate::sessions::subagents::SubagentBook;
use crate::sessions::SessionStore;

/// What each action answers.
#[derive(Serialize)]
#[serde(untagged)]
enum Answer {
    List(SessionList),
    Show(SessionInfo),
    Reset(SessionReset),
    History(History),
    Children(SubagentList),
}

pub fn run(config: Option<&Path>, action: &SessionsAction) -> Result<i32, CliError> {
    let answer = match GatewayClient::discover(config) {
        Ok(client) => block_on(online(&client, action))??,
        Err(CliError::NotRunning(_)) => offline(config, action)?,
        Err(error) => return Err(error),
    };
    print(action, &answer);
    Ok(crate::exit::OK)
}

async fn online(client: &GatewayClient, action: &SessionsAction) -> Result<Answer, CliError> {
    Ok(match action {
        SessionsAction::List(_) => Answer::List(client.get("/admin/sessions").await?),
        SessionsAction::Show { key, .. } => Answer::Show(
            client
                .get(&format!("/admin/sessions/{}", encode(key)))
                .await?,
        ),
        SessionsAction::Reset { key } => {
            let path = format!("/admin/sessions/{}/reset", encode(key));
            Answer::Reset(client.post(&path, &serde_json::Value::Null).await?)
        }
        SessionsAction::History { key, limit, .. } => {
            let path = format!("/admin/sessions/{}/history?limit={limit}", encode(key));
            Answer::History(client.get(&path).await?)
        }
        SessionsAction::Children { key, .. } => {
            let path = format!("/admin/sessions/{}/children", encode(key));
            Answer::Children(client.get(&path).await?)
        }
    })
}

fn offline(config: Option<&Path>, action: &SessionsAction) -> Result<Answer, CliError> {
    let paths = Paths::resolve(config)?;
    let options = GatewayOptions {
        config_path: config.map(Path::to_path_buf),
        ..GatewayOptions::default()
    };
    let loaded = load_config(&paths, &options)?;
    // The same default model the gateway would report.
    let model = crate::agent::RunSettings::from_config(&loaded.config)
        .models
        .into_iter()
        .next();
    let store = SessionStore::open(&paths.state_dir.join("agents").join("main").join("sessions"))
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let usage = |e: crate::api::ApiError| CliError::Usage(e.to_string());
    Ok(match action {
        SessionsAction::List(_) => Answer::List(SessionList::of(&store, model, None)),
        SessionsAction::Show { key, .. } => Answer::Show(store.inspect(key).into()),
        SessionsAction::Reset { key } => {
            let mut reset = reset_in(&store, key).map_err(usage)?;
            // No gateway runs, so no child does: their records only are marked stopped, so
            // that the next start does not resume them.
            reset.stopped_children = SubagentBook::open(store.dir())
                .stop_descendants(key, STOPPED_BY_RESET)
                .len();
            Answer::Reset(reset)
        }
        SessionsAction::Children { key, .. } => Answer::Children(SubagentList::of(
            &SubagentBook::open(store.dir()),
            Some(key.clone()),
        )),
        SessionsAction::History { key, limit, .. } => {
            Answer::History(history_in(&store, key, (*limit).clamp(1, 2000)).map_err(usage)?)
        }
    })
}

fn print(action: &SessionsAction, answer: &Answer) {
    let json = match action {
        SessionsAction::List(args) => args.json,
        SessionsAction::Show { json, .. }
        | SessionsAction::History { json, .. }
        | SessionsAction::Children { json, .. } => *json,
        SessionsAction::Reset { .. } => false,
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(answer).unwrap_or_default()
        );
        return;
    }
    match answer {
        Answer::List(list) => {
            println!(
                "{:<48} {:>8} {:>10} {:<30} UPDATED (unix ms)",
                "KEY", "MESSAGES", "TOKENS", "MODEL"
            );
            for s in &list.sessions {
                println!(
                    "{:<48} {:>8} {:>10} {:<30} {}",
                    s.key,
                    s.messages,
                    s.input_tokens + s.output_tokens,
                    s.model.as_deref().unwrap_or("-"),
                    s.updated_ms
                );
            }
        }
        Answer::Show(info) => {
            if !info.exists {
                println!("{}: no such session", info.key);
                return;
            }
            println!("session        {}", info.key);
            println!(
                "id             {}",
                info.session_id.as_deref().unwrap_or("?")
            );
            println!("size           {} bytes", info.size.unwrap_or(0));
            println!(
                "last modified  {} (unix ms)",
                info.last_modified_ms.unwrap_or(0)
            );
            println!("messages       {}", info.message_count);
            println!("tokens         {}", info.token_count);
            println!(
                "model          {}",
                info.metadata
                    .as_ref()
                    .and_then(|m| m.model.as_deref())
                    .unwrap_or("-")
            );
        }
        Answer::Reset(reset) => {
            println!(
                "session {} reset (its transcript was archived)",
                reset.reset
            );
            if reset.stopped_children > 0 {
                println!("{} running sub-agents stopped", reset.stopped_children);
            }
        }
        Answer::Children(list) => {
            if list.subagents.is_empty() {
                println!("no sub-agents");
            }
            for child in &list.subagents {
                println!(
                    "{:<40} {:<9} {:<16} {}",
                    child.child_session_key,
                    child.status.as_str(),
                    child.label.as_deref().unwrap_or("-"),
                    child.task.lines().next().unwrap_or_default()
                );
                if let Some(result) = &child.result {
                    println!("    {}", result.lines().next().unwrap_or_default());
                }
            }
        }
        Answer::History(history) => {
            if history.messages.is_empty() {
                println!("{}: no messages", history.session_key);
            }
            for message in &history.messages {
                match message {
                    HistoryMessage::User { content, .. } => println!("user       {content}"),
                    HistoryMessage::Assistant {
                        content,
                        tool_calls,
                        ..
                    } => {
                        if !tool_calls.is_empty() {
                            println!("assistant  (calls {})", tool_calls.join(", "));
                        }
                        if !content.is_empty() {
                            println!("assistant  {content}");
                        }
                    }
                    HistoryMessage::Tool {
                        name,
                        content,
                        is_error,
                        ..
                    } => {
                        let error = if *is_error { " (error)" } else { "" };
                        println!("tool       {name}{error}: {content}");
                    }
                    HistoryMessage::Error { content, .. } => println!("failed     {content}"),
                    HistoryMessage::Note {
                        kind,
                        from,
                        content,
                        ..
                    } => {
                        let from = from.as_deref().unwrap_or("someone");
                        println!("note       {kind:?} by {from}: {content}");
                    }
                }
            }
        }
    }
}
