//! `send.file` (`POST /admin/channels/{channel}/send-file`, `pincer message send --file`): a file
//! sent on a channel, through the channel's actor so its rate limits and retries apply.
//!
//! The operator's CLI reads the file and sends its bytes; the gateway never opens a path an
//! operator names. A token holder is not the owner of the gateway's file system: letting the
//! request name a path would let any credential holder (a script, a narrowed `operator.write`
//! client) send out `secrets.env` or any file the gateway's user can read. The bytes come as the
//! raw request body (the parameters in the path and query string): base64 inside JSON would
//! grow a 16 MiB file by a third and make the body a string to parse whole.

use serde::{Deserialize, Serialize};

use super::channels::known_channel;
use super::params::required;
use super::send::Sent;
use super::{ApiError, Operator};
use crate::sessions::media::OutboundFile;
use crate::sessions::outbound::{classify, too_large, MAX_FILE_BYTES};

/// `send.file {channel, to, fileName, caption?, mime?, asVoice?}` and the file's bytes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendFileRequest {
    pub channel: String,
    /// The recipient's platform id.
    pub to: String,
    /// The file's name as the recipient sees it; its extension decides the kind (image,
    /// audio, video, document).
    pub file_name: String,
    #[serde(default)]
    pub caption: Option<String>,
    /// The MIME type, when the sender knows better than the extension.
    #[serde(default)]
    pub mime: Option<String>,
    /// An `.ogg`/`.opus` file goes as a voice note.
    #[serde(default, deserialize_with = "super::params::flag")]
    pub as_voice: bool,
    /// The file (the HTTP body; never serialised).
    #[serde(skip)]
    pub bytes: bytes::Bytes,
}

impl SendFileRequest {
    /// The file to send, checked: a name, bytes, and within its kind's limit.
    pub fn outbound(&self) -> Result<OutboundFile, ApiError> {
        let file_name = required("fileName", &self.file_name)?;
        let file_name = file_name
            .rsplit('/')
            .next()
            .unwrap_or(file_name)
            .to_string();
        if self.bytes.is_empty() {
            return Err(ApiError::Invalid("the file is empty".into()));
        }
        let (kind, mime) = classify(&file_name, self.as_voice);
        if let Some(why) = too_large(kind, self.bytes.len() as u64) {
            return Err(ApiError::TooLarge(why));
        }
        Ok(OutboundFile {
            kind,
            bytes: self.bytes.clone(),
            file_name,
            mime: self
                .mime
                .clone()
                .filter(|m| !m.trim().is_empty())
                .unwrap_or_else(|| mime.to_string()),
            caption: self.caption.clone().filter(|c| !c.trim().is_empty()),
        })
    }
}

/// The largest body `send.file` reads.
pub const MAX_BODY_BYTES: u64 = MAX_FILE_BYTES;

impl Operator {
    /// `send.file`: `SEND_FAILED` when the channel is not enabled, unavailable, or the platform
    /// refuses; `PAYLOAD_TOO_LARGE` over the kind's limit.
    pub async fn send_file(&self, request: SendFileRequest) -> Result<Sent, ApiError> {
        let channel = known_channel(&request.channel)?;
        let to = required("to", &request.to)?.to_string();
        let file = request.outbound()?;
        self.channels
            .send_file(&channel, &to, file)
            .await
            .map_err(ApiError::SendFailed)?;
        Ok(Sent {
            ok: true,
            channel,
            to,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_checked_before_it_is_sent() {
        let mut request = SendFileRequest {
            channel: "telegram".into(),
            to: "1".into(),
            file_name: "dir/photo.png".into(),
            bytes: bytes::Bytes::from_static(b"\x89PNG"),
            ..SendFileRequest::default()
        };
        let file = request.outbound().unwrap();
        assert_eq!(
            (file.file_name.as_str(), file.mime.as_str()),
            ("photo.png", "image/png")
        );
        request.bytes = bytes::Bytes::from(vec![0u8; 5 * 1024 * 1024 + 1]);
        assert_eq!(request.outbound().unwrap_err().code(), "PAYLOAD_TOO_LARGE");
        request.bytes = bytes::Bytes::new();
        assert_eq!(request.outbound().unwrap_err().code(), "INVALID_REQUEST");
    }
}
