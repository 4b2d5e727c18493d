//! `pincer pairing list|approve|revoke <channel> ...`: through the running gateway when there is
//! one (so `--notify` goes out through the live channel), else on the pairing store's files
//! directly (they are locked, so the two never race), sending `--notify` with the channel's
//! credentials from the config.

use std::path::Path;

use serde::Serialize;
use serde_json::json;

use super::client::{block_on, encode, GatewayClient};
use super::{CliError, PairingAction};
use crate::api::pairing::revoke_in;
use crate::api::{ApiError, PairingApproved, PairingList, PairingRevoked};
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

/// What each action answers.
#[derive(Serialize)]
#[serde(untagged)]
enum Answer {
    List(PairingList),
    Approved(PairingApproved),
    Revoked(PairingRevoked),
}

async fn online(
    client: &GatewayClient,
    channel: &str,
    action: &PairingAction,
) -> Result<Answer, CliError> {
    let base = format!("/admin/pairing/{}", encode(channel));
    Ok(match action {
        PairingAction::List { .. } => Answer::List(client.get(&base).await?),
        PairingAction::Approve {
            code,
            notify,
            replay,
            ..
        } => Answer::Approved(
            client
                .post(
                    &format!("{base}/approve"),
                    &json!({ "code": code, "notify": notify, "replay": replay }),
                )
                .await?,
        ),
        PairingAction::Revoke { id, .. } => Answer::Revoked(
            client
                .post(&format!("{base}/revoke"), &json!({ "id": id }))
                .await?,
        ),
    })
}

fn offline(
    config: Option<&Path>,
    channel: &str,
    action: &PairingAction,
) -> Result<Answer, CliError> {
    let paths = Paths::resolve(config)?;
    let options = GatewayOptions {
        config_path: config.map(Path::to_path_buf),
        ..GatewayOptions::default()
    };
    let loaded = load_config(&paths, &options)?;
    let store = PairingStore::new(&paths.state_dir);
    let failed = |e: ApiError| CliError::Usage(e.to_string());
    Ok(match action {
        PairingAction::List { .. } => {
            Answer::List(PairingList::of(&store, channel).map_err(failed)?)
        }
        PairingAction::Approve {
            code,
            notify,
            replay,
            ..
        } => {
            let approved = store
                .approve(channel, code, *replay)
                .map_err(|e| failed(e.into()))?;
            let sent = if *notify {
                Some(match offline_transport(&loaded.config, channel) {
                    Some(transport) => {
                        block_on(transport.send_text(&approved.id, APPROVED_MESSAGE, None, None))?
                            .map_err(|failure| failure.why().to_string())
                    }
                    None => Err(format!(
                        "the {channel} channel is not enabled in the config"
                    )),
                })
            } else {
                None
            };
            Answer::Approved(PairingApproved {
                ok: true,
                channel: channel.to_string(),
                approved,
                notified: sent.as_ref().map(Result::is_ok),
                notify_error: sent.and_then(Result::err),
            })
        }
        PairingAction::Revoke { id, .. } => {
            Answer::Revoked(revoke_in(&store, channel, id).map_err(failed)?)
        }
    })
}

fn print(channel: &str, action: &PairingAction, answer: &Answer) {
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
    match answer {
        Answer::List(list) => {
            if list.requests.is_empty() {
                println!("No pending {channel} pairing requests.");
            } else {
                println!("{:<10} {:<24} {:<24} AGE", "CODE", "SENDER", "NAME");
                for request in &list.requests {
                    let age_min = now_ms().saturating_sub(request.created_at_ms) / 60_000;
                    println!(
                        "{:<10} {:<24} {:<24} {age_min} min",
                        request.code,
                        request.id,
                        request.name.as_deref().unwrap_or("-"),
                    );
                }
                println!("\nApprove one with: pincer pairing approve {channel} <CODE>");
            }
            if !list.approved.is_empty() {
                println!("Approved senders: {}", list.approved.join(", "));
            }
        }
        Answer::Approved(approved) => {
            let id = &approved.approved.id;
            println!("Approved {channel} sender {id}: their messages now reach the assistant.");
            match (approved.notified, approved.notify_error.as_deref()) {
                (Some(true), _) => println!("They were told."),
                (Some(false), Some(why)) => println!("Could not tell them: {why}"),
                _ => {}
            }
        }
        Answer::Revoked(revoked) => {
            println!("Revoked {channel} sender {}.", revoked.revoked)
        }
    }
}
