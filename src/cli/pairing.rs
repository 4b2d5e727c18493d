//! `pincer pairing list|approve|revoke <channel> ...`: through the running gateway when there is
//! one (so `--notify` goes out through the live channel), else on the pairing store's files
//! directly (they are locked, so the two never race), sending `--notify` with the channel's
//! credentials from the config.

use std::path::Path;

use serde_json::{json, Value};

use super::client::{block_on, encode, GatewayClient};
use super::{CliError, PairingAction};
use crate::channels::hub::{offline_transport, KNOWN};
use crate::channels::pairing::{PairingStore, APPROVED_MESSAGE};
use crate::clock::now_ms;
use crate::config::{load_config, GatewayOptions};
use crate::paths::Paths;

pub fn run(config: Option<&Path>, action: &PairingAction) -> Result<i32, CliError> {
    let channel = match action {
        PairingAction::List { channel, .. }
        | PairingAction::Approve { channel, .. }
        | PairingAction::Revoke { channel, .. } => channel.to_lowercase(),
    };
    if !KNOWN.contains(&channel.as_str()) {
        return Err(CliError::Usage(format!(
            "unknown channel {channel:?}; use one of: {}",
            KNOWN.join(", ")
        )));
    }
    let answer = match GatewayClient::discover(config) {
        Ok(client) => block_on(online(&client, &channel, action))??,
        Err(CliError::NotRunning(_)) => offline(config, &channel, action)?,
        Err(error) => return Err(error),
    };
    print(&channel, action, &answer);
    Ok(crate::exit::OK)
}

async fn online(
    client: &GatewayClient,
    channel: &str,
    action: &PairingAction,
) -> Result<Value, CliError> {
    let base = format!("/admin/pairing/{}", encode(channel));
    match action {
        PairingAction::List { .. } => client.get_ok(&base).await,
        PairingAction::Approve { code, notify, .. } => {
            client
                .post_json_ok(
                    &format!("{base}/approve"),
                    &json!({ "code": code, "notify": notify }),
                )
                .await
        }
        PairingAction::Revoke { id, .. } => {
            client
                .post_json_ok(&format!("{base}/revoke"), &json!({ "id": id }))
                .await
        }
    }
}

fn offline(
    config: Option<&Path>,
    channel: &str,
    action: &PairingAction,
) -> Result<Value, CliError> {
    let paths = Paths::resolve(config)?;
    let options = GatewayOptions {
        config_path: config.map(Path::to_path_buf),
        ..GatewayOptions::default()
    };
    let loaded = load_config(&paths, &options)?;
    let store = PairingStore::new(&paths.state_dir);
    let failed = |e: crate::channels::pairing::PairingError| CliError::Usage(e.to_string());
    match action {
        PairingAction::List { .. } => Ok(json!({
            "channel": channel,
            "requests": store.list(channel).map_err(failed)?,
            "approved": store.approved(channel).map_err(failed)?,
        })),
        PairingAction::Approve { code, notify, .. } => {
            let approved = store.approve(channel, code).map_err(failed)?;
            let mut answer = json!({ "ok": true, "channel": channel, "approved": approved });
            if *notify {
                let sent = match offline_transport(&loaded.config, channel) {
                    Some(transport) => {
                        block_on(transport.send_text(&approved.id, APPROVED_MESSAGE, None, None))?
                            .map_err(|failure| failure.why().to_string())
                    }
                    None => Err(format!(
                        "the {channel} channel is not enabled in the config"
                    )),
                };
                answer["notified"] = json!(sent.is_ok());
                answer["notifyError"] = json!(sent.err());
            }
            Ok(answer)
        }
        PairingAction::Revoke { id, .. } => match store.revoke(channel, id).map_err(failed)? {
            true => Ok(json!({ "ok": true, "channel": channel, "revoked": id })),
            false => Err(CliError::Usage(format!(
                "{id} is not an approved {channel} sender"
            ))),
        },
    }
}

fn print(channel: &str, action: &PairingAction, answer: &Value) {
    let json = match action {
        PairingAction::List { json, .. } | PairingAction::Approve { json, .. } => *json,
        PairingAction::Revoke { .. } => false,
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(answer).unwrap_or_default()
        );
        return;
    }
    match action {
        PairingAction::List { .. } => {
            let requests = answer["requests"].as_array().cloned().unwrap_or_default();
            if requests.is_empty() {
                println!("No pending {channel} pairing requests.");
            } else {
                println!("{:<10} {:<24} {:<24} AGE", "CODE", "SENDER", "NAME");
                for request in &requests {
                    let age_min = now_ms()
                        .saturating_sub(request["createdAtMs"].as_u64().unwrap_or(0))
                        / 60_000;
                    println!(
                        "{:<10} {:<24} {:<24} {age_min} min",
                        request["code"].as_str().unwrap_or("?"),
                        request["id"].as_str().unwrap_or("?"),
                        request["name"].as_str().unwrap_or("-"),
                    );
                }
                println!("\nApprove one with: pincer pairing approve {channel} <CODE>");
            }
            let approved = answer["approved"].as_array().cloned().unwrap_or_default();
            let approved: Vec<&str> = approved.iter().filter_map(Value::as_str).collect();
            if !approved.is_empty() {
                println!("Approved senders: {}", approved.join(", "));
            }
        }
        PairingAction::Approve { .. } => {
            let id = answer["approved"]["id"].as_str().unwrap_or("?");
            println!("Approved {channel} sender {id}: their messages now reach the assistant.");
            match (answer["notified"].as_bool(), answer["notifyError"].as_str()) {
                (Some(true), _) => println!("They were told."),
                (Some(false), Some(why)) => println!("Could not tell them: {why}"),
                _ => {}
            }
        }
        PairingAction::Revoke { id, .. } => {
            println!("Revoked {channel} sender {id}.")
        }
    }
}
