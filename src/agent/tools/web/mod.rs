//! `web_fetch`: GET a URL and return its readable text, within limits, through the cache.
//!
//! - `guard.rs`: the address rule (no loopback or private addresses unless configured), applied
//!   in DNS resolution and to literal IPs, redirects included;
//! - `text.rs`: HTML to readable text.
//!
//! The answer (URL after redirects, status, title, text cut at `maxChars`) is cached by the
//! [`MultiLevelCache`] for `cacheTtl`, keyed by the requested URL; only 2xx answers are cached.
//! The body is read as a stream and cut at `maxBytes`; the whole fetch has `timeout`.

pub(crate) mod guard;
pub(crate) mod text;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::StreamExt;
use reqwest::Url;
use serde_json::{json, Value};

use self::guard::{AddressPolicy, GuardedResolver};
use super::{args, Tool, ToolContext};
use crate::cache::MultiLevelCache;
use crate::config::WebFetchTool;
use crate::providers::ToolSpec;

/// Redirects followed at most.
const MAX_REDIRECTS: usize = 5;

/// `web_fetch`.
pub(crate) struct WebFetch {
    pub settings: WebFetchTool,
    policy: Arc<AddressPolicy>,
    /// `None` when `cacheTtl` is 0.
    cache: Option<Arc<MultiLevelCache>>,
    client: OnceLock<Result<reqwest::Client, String>>,
}

impl WebFetch {
    pub(crate) fn new(settings: WebFetchTool, cache: Option<Arc<MultiLevelCache>>) -> Self {
        let policy = Arc::new(AddressPolicy::new(
            settings.allow_private,
            &settings.allow_hosts,
        ));
        WebFetch {
            settings,
            policy,
            cache,
            client: OnceLock::new(),
        }
    }

    fn client(&self) -> Result<reqwest::Client, String> {
        self.client
            .get_or_init(|| {
                let redirects = Arc::clone(&self.policy);
                let policy = Arc::clone(&self.policy);
                crate::net::http::builder("web_fetch")
                    .configure(move |b| {
                        b.no_proxy()
                            .user_agent(concat!(
                                "Pincer/",
                                env!("CARGO_PKG_VERSION"),
                                " (web_fetch)"
                            ))
                            .dns_resolver(GuardedResolver { policy })
                            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                                if attempt.previous().len() >= MAX_REDIRECTS {
                                    return attempt
                                        .error(format!("more than {MAX_REDIRECTS} redirects"));
                                }
                                match redirects.check_url(attempt.url()) {
                                    Ok(()) => attempt.follow(),
                                    Err(why) => attempt.error(why),
                                }
                            }))
                    })
                    .build()
                    .map_err(|e| e.to_string())
            })
            .clone()
    }
}

impl Tool for WebFetch {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "web_fetch".into(),
            description: "Fetch a web page (HTTP GET) and return its readable text (HTML is \
                          converted; JSON and plain text are returned as they are). Answers are \
                          cached for a few minutes."
                .into(),
            parameters: json!({
                "type": "object",
                "properties": { "url": { "type": "string", "description": "an http(s) URL" } },
                "required": ["url"]
            }),
        }
    }

    fn timeout(&self) -> Duration {
        Duration::from_millis(self.settings.timeout) + Duration::from_secs(5)
    }

    fn call(
        &self,
        _cx: &ToolContext,
        arguments: Value,
    ) -> BoxFuture<'static, Result<String, String>> {
        let settings = self.settings.clone();
        let policy = Arc::clone(&self.policy);
        let cache = self.cache.clone();
        let client = self.client();
        Box::pin(async move {
            let raw = args::string(&arguments, "url")?.trim().to_string();
            let url = Url::parse(&raw).map_err(|e| format!("{raw:?} is not a URL: {e}"))?;
            policy.check_url(&url)?;
            let key = url.to_string();
            if let Some(cache) = &cache {
                let (cache, key) = (Arc::clone(cache), key.clone());
                if let Ok(Some(hit)) = super::fs::blocking(move || Ok(cache.get(&key))).await {
                    return Ok(format!("(cached)\n{hit}"));
                }
            }
            let limit = Duration::from_millis(settings.timeout);
            let fetched = tokio::time::timeout(limit, fetch(client?, url, &settings)).await;
            let (status, page) = match fetched {
                Ok(result) => result?,
                Err(_) => {
                    return Err(format!(
                        "{raw}: no complete answer within {} ms",
                        settings.timeout
                    ))
                }
            };
            if let (Some(cache), true) = (cache, (200..300).contains(&status)) {
                let stored = page.clone();
                let _ = super::fs::blocking(move || {
                    cache.set(&key, &stored).map_err(|e| e.to_string())
                })
                .await;
            }
            if (200..300).contains(&status) {
                Ok(page)
            } else {
                Err(page)
            }
        })
    }
}

/// GETs `url`; returns the status and the rendered page.
async fn fetch(
    client: reqwest::Client,
    url: Url,
    settings: &WebFetchTool,
) -> Result<(u16, String), String> {
    let response = client
        .get(url.clone())
        .header(
            "Accept",
            "text/html, text/plain, application/json;q=0.9, */*;q=0.5",
        )
        .send()
        .await
        .map_err(|e| format!("{url}: {}", crate::net::http::error_chain(&e)))?;
    let status = response.status().as_u16();
    let final_url = response.url().to_string();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let textual = content_type.is_empty()
        || content_type.starts_with("text/")
        || content_type.contains("json")
        || content_type.contains("xml")
        || content_type.contains("javascript");
    if !textual {
        return Err(format!(
            "{final_url}: {content_type} content is not text; not shown"
        ));
    }
    let max_bytes = usize::try_from(settings.max_bytes).unwrap_or(usize::MAX);
    let mut body = Vec::new();
    let mut cut = false;
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|e| format!("{final_url}: {}", crate::net::http::error_chain(&e)))?;
        let room = max_bytes.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..room.min(chunk.len())]);
        if chunk.len() > room {
            cut = true;
            break;
        }
    }
    let raw = String::from_utf8_lossy(&body);
    let html = content_type.contains("html")
        || (content_type.is_empty() && raw.trim_start().starts_with('<'));
    let (title, mut text) = if html {
        (text::title(&raw), text::html_to_text(&raw))
    } else {
        (None, raw.into_owned())
    };
    let max_chars = usize::try_from(settings.max_chars).unwrap_or(usize::MAX);
    if let Some((at, _)) = text.char_indices().nth(max_chars) {
        text.truncate(at);
        cut = true;
    }
    let mut page = format!("URL: {final_url}\nStatus: {status}\n");
    if let Some(title) = title {
        page.push_str(&format!("Title: {title}\n"));
    }
    if cut {
        page.push_str("(truncated: tools.webFetch.maxBytes / maxChars)\n");
    }
    page.push('\n');
    page.push_str(&text);
    Ok((status, page))
}

#[cfg(test)]
mod tests;
