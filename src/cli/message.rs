//! `pincer message send --channel C --to ID (--text T | --file PATH [--text CAPTION])`: through
//! the running gateway's channel actor (so rate limits and retries apply) when there is one, else
//! straight to the platform with the channel's credentials from the config.
//!
//! A file is read here, by the operator's own command, and its bytes sent (`POST
//! /admin/channels/{channel}/send-file` with the file as the body): the gateway never opens a
//! path a request names (see `api::send_file`).

use std::io::Read as _;
use std::path::Path;

use serde::Serialize;
use serde_json::json;

use super::client::{block_on, encode, GatewayClient};
use super::{CliError, MessageAction};
use crate::api::{SendFileRequest, Sent, MAX_BODY_BYTES};
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
        file,
        as_voice,
        json,
    } = action;
    let channel = channel.to_lowercase();
    if !KNOWN.contains(&channel.as_str()) {
        return Err(CliError::Usage(format!(
            "unknown channel {channel:?}; use one of: {}",
            KNOWN.join(", ")
        )));
    }
    let text = text.as_deref().filter(|t| !t.trim().is_empty());
    if to.trim().is_empty() || (text.is_none() && file.is_none()) {
        return Err(CliError::Usage(
            "--to and --text (or --file) must not be empty".into(),
        ));
    }
    let upload = match file {
        Some(path) => Some(read_file(path, &channel, to, text, *as_voice)?),
        None => None,
    };
    let answer = match GatewayClient::discover(config) {
        Ok(client) => {
            let sent: Sent = match &upload {
                Some(request) => block_on(client.post_bytes(
                    &file_path(request),
                    request.bytes.clone(),
                    request.mime.as_deref(),
                ))??,
                None => block_on(client.post(
                    &format!("/admin/channels/{}/send", encode(&channel)),
                    &json!({ "to": to, "text": text }),
                ))??,
            };
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
            match &upload {
                Some(request) => {
                    let file = request
                        .outbound()
                        .map_err(|e| CliError::Usage(e.to_string()))?;
                    block_on(transport.send_file(to, file))?
                        .map_err(|failure| CliError::Http(failure.why().to_string()))?;
                }
                None => {
                    for piece in crate::channels::chunk::split(text.unwrap_or_default(), 4096) {
                        block_on(transport.send_text(to, &piece, None, None))?
                            .map_err(|failure| CliError::Http(failure.why().to_string()))?;
                    }
                }
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

/// Reads `path` (at most the largest file a send takes) into a checked request.
fn read_file(
    path: &Path,
    channel: &str,
    to: &str,
    caption: Option<&str>,
    as_voice: bool,
) -> Result<SendFileRequest, CliError> {
    let opened = std::fs::File::open(path)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
    let mut bytes = Vec::new();
    opened
        .take(MAX_BODY_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let request = SendFileRequest {
        channel: channel.to_string(),
        to: to.to_string(),
        file_name,
        caption: caption.map(str::to_string),
        mime: None,
        as_voice,
        bytes: bytes.into(),
    };
    // Checked here too, so an oversized file is refused before it is uploaded anywhere.
    request
        .outbound()
        .map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?;
    Ok(request)
}

/// `/admin/channels/{channel}/send-file?to&fileName&caption&asVoice`.
fn file_path(request: &SendFileRequest) -> String {
    let mut path = format!(
        "/admin/channels/{}/send-file?to={}&fileName={}",
        encode(&request.channel),
        encode(&request.to),
        encode(&request.file_name)
    );
    if let Some(caption) = &request.caption {
        path.push_str(&format!("&caption={}", encode(caption)));
    }
    if request.as_voice {
        path.push_str("&asVoice=true");
    }
    path
}
