//! `send` (WS, `POST /admin/channels/{channel}/send`, `pincer message send`): an outbound message
//! on a channel, through the channel's actor so its rate limits and retries apply.

use serde::{Deserialize, Serialize};

use super::channels::known_channel;
use super::params::required;
use super::{ApiError, Operator};

/// `send {channel, to, text}` (`message` is accepted for `text`, as OpenClaw names it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendRequest {
    pub channel: String,
    /// The recipient's platform id.
    pub to: String,
    #[serde(alias = "message")]
    pub text: String,
}

/// A message handed to the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    pub ok: bool,
    pub channel: String,
    pub to: String,
}

impl Operator {
    /// `send`: `SEND_FAILED` when the channel is not enabled, unavailable, or the platform refuses.
    pub async fn send(&self, request: SendRequest) -> Result<Sent, ApiError> {
        let channel = known_channel(&request.channel)?;
        let to = required("to", &request.to)?;
        let text = required("text", &request.text)?;
        self.channels
            .notify(&channel, to, text)
            .await
            .map_err(ApiError::SendFailed)?;
        Ok(Sent {
            ok: true,
            channel,
            to: request.to,
        })
    }
}
