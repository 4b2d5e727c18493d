//! The Graph API side of WhatsApp: sending texts and read receipts, and mapping the Cloud API's
//! error codes onto [`SendFailure`] (branching on `error.code`, never on the HTTP status alone,
//! which differs between codes and API versions).

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::LocalBoxFuture;
use futures_util::FutureExt;
use serde::Deserialize;
use serde_json::json;
use tracing::debug;

use crate::channels::journal::Entry;
use crate::channels::transport::{Labels, OutboundFile, SendFailure, Transport};
use crate::config::{Secret, WhatsAppConfig};

const TIMEOUT: Duration = Duration::from_secs(30);

/// A client for one business phone number.
#[derive(Clone)]
pub(crate) struct GraphClient {
    http: reqwest::Client,
    messages_url: Arc<str>,
    /// `{base}/{version}/{phone-number-id}/media`, where files are uploaded before a send.
    media_url: Arc<str>,
    token: Secret,
    phone_number_id: String,
    media: Arc<super::media::GraphMedia>,
}

#[derive(Deserialize)]
struct ErrorReply {
    error: ErrorBody,
}

#[derive(Deserialize)]
struct ErrorBody {
    code: i64,
    #[serde(default)]
    message: String,
    #[serde(default)]
    error_data: Option<ErrorData>,
}

#[derive(Deserialize)]
struct ErrorData {
    #[serde(default)]
    details: Option<String>,
}

impl GraphClient {
    pub(crate) fn new(config: &WhatsAppConfig, http: reqwest::Client) -> Self {
        let base = config.api_base_url.trim_end_matches('/');
        let version = config.api_version.trim_matches('/');
        GraphClient {
            http: http.clone(),
            messages_url: format!("{base}/{version}/{}/messages", config.phone_number_id).into(),
            media_url: format!("{base}/{version}/{}/media", config.phone_number_id).into(),
            token: config
                .access_token
                .clone()
                .unwrap_or_else(|| Secret::new("")),
            phone_number_id: config.phone_number_id.clone(),
            media: Arc::new(super::media::GraphMedia::new(config, http)),
        }
    }

    /// The HTTP client, the bearer token and the media upload URL (for `media_send`).
    pub(super) fn upload_parts(&self) -> (&reqwest::Client, &str, &Secret) {
        (&self.http, &self.media_url, &self.token)
    }

    pub(super) fn post(&self, body: serde_json::Value) -> LocalBoxFuture<'static, Result<(), SendFailure>> {
        let request = self
            .http
            .post(&*self.messages_url)
            .bearer_auth(self.token.expose())
            .timeout(TIMEOUT)
            .json(&body);
        async move {
            let response = request
                .send()
                .await
                .map_err(|e| SendFailure::RetryChannel {
                    why: format!(
                        "Graph API unreachable: {}",
                        crate::net::http::error_chain(&e)
                    ),
                    after: None,
                })?;
            let status = response.status();
            if status.is_success() {
                return Ok(());
            }
            let bytes = response.bytes().await.unwrap_or_default();
            Err(classify(status.as_u16(), &bytes))
        }
        .boxed_local()
    }
}

/// A business-scoped user id (`US.13491208655302741918`, a parent one `US.ENT.…`): a country
/// code and a period, where a phone number has only digits.
/// The start of a `messages` body for chat `to`: a group's chat is `group:<group_id>` (see
/// `message_kinds::GROUP_CHAT_PREFIX`), sent with `recipient_type: "group"`; a sender known only
/// by a business-scoped user id (`US.1349…`, never a phone number, which is digits) is
/// addressed with `recipient`; phone numbers and groups with `to`. Texts and files alike.
pub(super) fn addressed(to: &str) -> serde_json::Value {
    let (recipient_type, to) = match super::message_kinds::group_of(to) {
        Some(group) => ("group", group),
        None => ("individual", to),
    };
    let mut body = json!({
        "messaging_product": "whatsapp",
        "recipient_type": recipient_type,
    });
    if recipient_type == "individual" && is_user_id(to) {
        body["recipient"] = json!(to);
    } else {
        body["to"] = json!(to);
    }
    body
}

fn is_user_id(to: &str) -> bool {
    to.split_once('.')
        .is_some_and(|(country, rest)| country.len() == 2 && !rest.is_empty())
}

/// Maps a failed Graph API reply onto what to do about it.
pub(crate) fn classify(status: u16, body: &[u8]) -> SendFailure {
    let Ok(ErrorReply { error }) = serde_json::from_slice::<ErrorReply>(body) else {
        let why = format!("Graph API HTTP {status}");
        return match status {
            401 => SendFailure::Unhealthy { why },
            429 | 500..=599 => SendFailure::RetryChannel { why, after: None },
            _ => SendFailure::Permanent { why },
        };
    };
    let details = error
        .error_data
        .and_then(|d| d.details)
        .map(|d| format!(" ({d})"))
        .unwrap_or_default();
    let why = format!("Graph API error {}: {}{details}", error.code, error.message);
    match error.code {
        // Throughput (130429), app (4) and account (80007) rate limits, spam rate limit (131048),
        // and "something went wrong / service unavailable" (131000, 1, 2).
        130429 | 4 | 80007 | 131048 | 131000 | 1 | 2 => {
            SendFailure::RetryChannel { why, after: None }
        }
        // Too many messages to this one user.
        131056 => SendFailure::RetryRecipient { why, after: None },
        // Token expired or invalid.
        190 | 0 => SendFailure::Unhealthy { why },
        _ if status >= 500 => SendFailure::RetryChannel { why, after: None },
        _ if status == 401 => SendFailure::Unhealthy { why },
        // 131047 (outside the 24-hour window), 131026 (undeliverable), 100, permissions, ...
        _ => SendFailure::Permanent { why },
    }
}

impl Transport for GraphClient {
    fn labels(&self) -> Labels {
        super::LABELS
    }

    fn account(&self) -> &str {
        &self.phone_number_id
    }

    fn send_text(
        &self,
        to: &str,
        text: &str,
        reply_to: Option<&str>,
        tag: Option<&str>,
    ) -> LocalBoxFuture<'static, Result<(), SendFailure>> {
        let mut body = addressed(to);
        body["type"] = json!("text");
        body["text"] = json!({ "preview_url": false, "body": text });
        if let Some(id) = reply_to {
            body["context"] = json!({ "message_id": id });
        }
        if let Some(tag) = tag {
            body["biz_opaque_callback_data"] = json!(tag);
        }
        self.post(body)
    }

    fn confirms_delivery(&self) -> bool {
        true
    }

    fn send_file(
        &self,
        to: &str,
        file: OutboundFile,
    ) -> LocalBoxFuture<'static, Result<(), SendFailure>> {
        super::media_send::send_file(self, to, file)
    }

    fn media_source(&self) -> Option<Arc<dyn crate::sessions::media::MediaSource>> {
        let source: Arc<dyn crate::sessions::media::MediaSource> = self.media.clone();
        Some(source)
    }

    fn mark_read(&self, entry: &Entry) -> LocalBoxFuture<'static, ()> {
        let sending = self.post(json!({
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": entry.record.platform_id,
            "typing_indicator": { "type": "text" },
        }));
        async move {
            if let Err(failure) = sending.await {
                debug!(
                    why = failure.why(),
                    "could not mark a WhatsApp message read"
                );
            }
        }
        .boxed_local()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(code: i64) -> Vec<u8> {
        json!({"error": {"message": format!("(#{code}) x"), "type": "OAuthException", "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": "d"}, "fbtrace_id": "A"}})
        .to_string()
        .into_bytes()
    }

    #[test]
    fn user_ids_are_told_from_numbers() {
        assert!(is_user_id("US.13491208655302741918"));
        assert!(is_user_id("US.ENT.11815799212886844830"));
        assert!(!is_user_id("16505551234"));
        assert!(!is_user_id("+1 650 555 1234"));
    }

    #[test]
    fn error_codes_map_to_the_documented_handling() {
        for code in [130429, 4, 80007, 131000] {
            assert!(
                matches!(
                    classify(400, &graph(code)),
                    SendFailure::RetryChannel { .. }
                ),
                "{code}"
            );
        }
        assert!(matches!(
            classify(400, &graph(131056)),
            SendFailure::RetryRecipient { .. }
        ));
        for code in [131047, 131026, 100, 131051] {
            assert!(
                matches!(classify(400, &graph(code)), SendFailure::Permanent { .. }),
                "{code}"
            );
        }
        assert!(matches!(
            classify(401, &graph(190)),
            SendFailure::Unhealthy { .. }
        ));
        assert!(matches!(
            classify(503, b"<html>"),
            SendFailure::RetryChannel { .. }
        ));
        assert!(matches!(classify(400, b""), SendFailure::Permanent { .. }));
        assert!(classify(400, &graph(131047)).why().contains("131047"));
    }
}
