//! The Bot API client: `getUpdates`, `sendMessage`, `sendChatAction`, with Telegram's response
//! envelope (`{ok, result}` / `{ok:false, error_code, description, parameters.retry_after}`)
//! mapped onto [`SendFailure`] and [`PollError`].

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::LocalBoxFuture;
use futures_util::FutureExt;
use serde::Deserialize;
use serde_json::{json, Value};
use tracing::debug;

use crate::channels::journal::{ContentKind, Entry, MessageBody};
use crate::channels::transport::{Labels, OutboundFile, SendFailure, Transport};
use crate::sessions::media::MediaSource;
use crate::config::TelegramConfig;

const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// A client for one bot.
#[derive(Clone)]
pub(crate) struct BotClient {
    http: reqwest::Client,
    /// `{apiBaseUrl}/bot{token}/`; never logged (it holds the token).
    base: Arc<str>,
    /// `{apiBaseUrl}/file/bot{token}/`: where `getFile` paths download from; never logged.
    pub(super) files: Arc<str>,
    bot_id: String,
}

#[derive(Debug, Deserialize)]
struct Envelope {
    ok: bool,
    #[serde(default)]
    result: Value,
    #[serde(default)]
    error_code: Option<u16>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parameters: Option<Parameters>,
}

#[derive(Debug, Deserialize)]
struct Parameters {
    #[serde(default)]
    retry_after: Option<u64>,
}

/// A failed Bot API call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    /// Telegram's `error_code` (the HTTP status), 0 when the server could not be reached.
    pub code: u16,
    pub description: String,
    pub retry_after: Option<Duration>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.code == 0 {
            write!(f, "{}", self.description)
        } else {
            write!(f, "Telegram error {}: {}", self.code, self.description)
        }
    }
}

impl BotClient {
    pub(crate) fn new(config: &TelegramConfig, http: reqwest::Client) -> Self {
        let token = config
            .bot_token
            .as_ref()
            .map(|t| t.expose().to_string())
            .unwrap_or_default();
        let api = config.api_base_url.trim_end_matches('/');
        BotClient {
            http,
            base: format!("{api}/bot{token}/").into(),
            files: format!("{api}/file/bot{token}/").into(),
            bot_id: bot_id(&token),
        }
    }

    /// A POST of `method` (the URL holds the token: never log the builder).
    pub(super) fn request(&self, method: &str, timeout: Duration) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}{method}", self.base))
            .timeout(timeout)
    }

    /// Calls `method` with a JSON body; `timeout` bounds the whole request.
    pub(crate) fn call(
        &self,
        method: &str,
        body: Value,
        timeout: Duration,
    ) -> LocalBoxFuture<'static, Result<Value, ApiError>> {
        read_envelope(self.request(method, timeout).json(&body)).boxed_local()
    }

    /// [`BotClient::call`] as a `Send` future (for the media source, which runs anywhere).
    pub(crate) fn call_send(
        &self,
        method: &str,
        body: Value,
        timeout: Duration,
    ) -> impl std::future::Future<Output = Result<Value, ApiError>> + Send + 'static {
        read_envelope(self.request(method, timeout).json(&body))
    }
}

/// Sends `request` and reads Telegram's envelope: its `result`, or the error it describes.
pub(super) async fn read_envelope(request: reqwest::RequestBuilder) -> Result<Value, ApiError> {
    let response = request.send().await.map_err(|e| ApiError {
        code: 0,
        // The URL holds the token: describe the error without it.
        description: format!(
            "Telegram unreachable: {}",
            crate::net::http::error_chain(&e.without_url())
        ),
        retry_after: None,
    })?;
    let status = response.status().as_u16();
    let envelope: Envelope = response.json().await.map_err(|e| ApiError {
        code: status,
        description: format!("unreadable answer: {}", e.without_url()),
        retry_after: None,
    })?;
    if envelope.ok {
        return Ok(envelope.result);
    }
    Err(ApiError {
        code: envelope.error_code.unwrap_or(status),
        description: envelope
            .description
            .unwrap_or_else(|| "no description".to_string()),
        retry_after: envelope
            .parameters
            .and_then(|p| p.retry_after)
            .map(Duration::from_secs),
    })
}

/// The bot's numeric id: the part of the token before `:`.
pub(crate) fn bot_id(token: &str) -> String {
    token.split(':').next().unwrap_or_default().to_string()
}

/// What a failed send means for the channel.
pub(crate) fn classify(error: ApiError) -> SendFailure {
    let why = error.to_string();
    match error.code {
        0 | 500..=599 => SendFailure::RetryChannel { why, after: None },
        429 => SendFailure::RetryChannel {
            why,
            after: Some(error.retry_after.unwrap_or(Duration::from_secs(1))),
        },
        401 | 404 => SendFailure::Unhealthy { why },
        // 400 (bad request, chat not found), 403 (blocked by the user), ...
        _ => SendFailure::Permanent { why },
    }
}

impl Transport for BotClient {
    fn labels(&self) -> Labels {
        super::LABELS
    }

    fn account(&self) -> &str {
        &self.bot_id
    }

    fn send_text(
        &self,
        to: &str,
        text: &str,
        reply_to: Option<&str>,
        _tag: Option<&str>,
    ) -> LocalBoxFuture<'static, Result<(), SendFailure>> {
        let mut body = json!({ "chat_id": to, "text": text });
        // Journal ids of Telegram messages are `<chat id>:<message id>`.
        if let Some(message_id) = reply_to
            .and_then(|id| id.rsplit(':').next())
            .and_then(|id| id.parse::<i64>().ok())
        {
            body["reply_parameters"] =
                json!({ "message_id": message_id, "allow_sending_without_reply": true });
        }
        let call = self.call("sendMessage", body, SEND_TIMEOUT);
        async move { call.await.map(|_| ()).map_err(classify) }.boxed_local()
    }

    fn send_file(
        &self,
        to: &str,
        file: OutboundFile,
    ) -> LocalBoxFuture<'static, Result<(), SendFailure>> {
        super::media_send::send_file(self, to, file)
    }

    fn media_source(&self) -> Option<Arc<dyn MediaSource>> {
        Some(Arc::new(self.clone()))
    }

    fn mark_read(&self, entry: &Entry) -> LocalBoxFuture<'static, ()> {
        // A pressed inline button spins until its callback query is answered.
        let (callback, answerable) = match &entry.record.body {
            MessageBody::Text(_) | MessageBody::Unsupported { .. } => (None, true),
            MessageBody::Content(content) => (
                content.callback_id.clone(),
                content.kind == ContentKind::Message,
            ),
        };
        let answer = callback.map(|id| {
            self.call(
                "answerCallbackQuery",
                json!({ "callback_query_id": id }),
                SEND_TIMEOUT,
            )
        });
        // Bots have no read receipts; "typing..." tells the sender the message arrived (only
        // for what is answered: not for reactions, edits or notices).
        let typing = answerable.then(|| {
            self.call(
                "sendChatAction",
                json!({ "chat_id": entry.record.chat, "action": "typing" }),
                SEND_TIMEOUT,
            )
        });
        async move {
            if let Some(answer) = answer {
                if let Err(error) = answer.await {
                    debug!(%error, "answerCallbackQuery failed");
                }
            }
            if let Some(typing) = typing {
                if let Err(error) = typing.await {
                    debug!(%error, "sendChatAction failed");
                }
            }
        }
        .boxed_local()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(code: u16, retry_after: Option<u64>) -> ApiError {
        ApiError {
            code,
            description: "x".into(),
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    #[test]
    fn errors_map_to_the_documented_handling() {
        assert_eq!(
            classify(error(429, Some(41))),
            SendFailure::RetryChannel {
                why: "Telegram error 429: x".into(),
                after: Some(Duration::from_secs(41))
            }
        );
        assert!(matches!(
            classify(error(403, None)),
            SendFailure::Permanent { .. }
        ));
        assert!(matches!(
            classify(error(400, None)),
            SendFailure::Permanent { .. }
        ));
        assert!(matches!(
            classify(error(401, None)),
            SendFailure::Unhealthy { .. }
        ));
        assert!(matches!(
            classify(error(502, None)),
            SendFailure::RetryChannel { after: None, .. }
        ));
        assert_eq!(bot_id("123456:ABC-def"), "123456");
    }
}
