//! `pincer message send --channel C --to ID --text T`: through the running gateway's channel
//! actor (so rate limits and retries apply) when there is one, else straight to the platform
//! with the channel's credentials from the config.

use std::path::Path;

use serde::Serialize;
use serde_json::json;

use super::client::{block_on, encode, GatewayClient};
use super::{CliError, MessageAction};
use crate::api::Sent;
use crate::channels::hub::{offline_transport, KNOWN};
use crate::config::{load_config, GatewayOptions};
use crate::paths::Paths;

/// The `send` answer, and `via: "direct"` when no gateway ran and the CLI sent it itself.
#[derive(Serialize)]
struct Delivery {
    #[serde(flatten)]
    sent: Sent,
    #[serde(skip_serializing_if = "Option::is_none")]
    via: Option<&'static str>,
}

pub fn run(config: Option<&Path>, action: &MessageAction) -> Result<i32, CliError> {
    let MessageAction::Send {
        channel,
        to,
        text,
        json,
    } = action;
    let channel = channel.to_lowercase();
    if !KNOWN.contains(&channel.as_str()) {
        return Err(CliError::Usage(format!(
            "unknown channel {channel:?}; use one of: {}",
            KNOWN.join(", ")
        )));
    }
    if to.trim().is_empty() || text.trim().is_empty() {
        return Err(CliError::Usage("--to and --text must not be empty".into()));
    }
    let answer = match GatewayClient::discover(config) {
        Ok(client) => {
            let sent: Sent = block_on(client.post(
                &format!("/admin/channels/{}/send", encode(&channel)),
                &json!({ "to": to, "text": text }),
            ))??;
            Delivery { sent, via: None }
        }
        Err(CliError::NotRunning(_)) => {
            let paths = Paths::resolve(config)?;
            let options = GatewayOptions {
                config_path: config.map(Path::to_path_buf),
                ..GatewayOptions::default()
            };
            let loaded = load_config(&paths, &options)?;
            let transport = offline_transport(&loaded.config, &channel).ok_or_else(|| {
                CliError::Usage(format!(
                    "the {channel} channel is not enabled and configured in the config"
                ))
            })?;
            for piece in crate::channels::chunk::split(text, 4096) {
                block_on(transport.send_text(to, &piece, None, None))?
                    .map_err(|failure| CliError::Http(failure.why().to_string()))?;
            }
            let sent = Sent {
                ok: true,
                channel: channel.clone(),
                to: to.clone(),
            };
            Delivery {
                sent,
                via: Some("direct"),
            }
        }
        Err(error) => return Err(error),
    };
    if *json {
        println!(
            "{}",
            serde_json::to_string_pretty(&answer).unwrap_or_default()
        );
    } else {
        println!("Sent to {to} on {channel}.");
    }
    Ok(crate::exit::OK)
}
