//! Where a WhatsApp media id's bytes are: `GET {apiBaseUrl}/{apiVersion}/{media-id}` with the
//! access token answers `{url, mime_type, sha256, file_size, id}`, and the `url` is downloaded
//! with the same bearer token (by the agent's run, not here). The channel hands this to the
//! runs through [`crate::channels::transport::Transport::media_source`].

use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use serde::Deserialize;

use crate::config::{Secret, WhatsAppConfig};
use crate::sessions::media::{Located, MediaError, MediaRef, MediaSource};

const TIMEOUT: Duration = Duration::from_secs(30);

/// Looks up media ids of one business phone number's messages.
pub(crate) struct GraphMedia {
    http: reqwest::Client,
    /// `{apiBaseUrl}/{apiVersion}`, without a trailing slash.
    base: String,
    token: Secret,
}

/// The lookup's answer, as the Graph API documents it.
#[derive(Deserialize)]
struct Lookup {
    url: String,
    #[serde(default)]
    mime_type: Option<String>,
    #[serde(default)]
    sha256: Option<String>,
    /// A number in the docs; some versions send it as a string.
    #[serde(default)]
    file_size: Option<serde_json::Value>,
}

impl GraphMedia {
    pub(crate) fn new(config: &WhatsAppConfig, http: reqwest::Client) -> Self {
        let base = config.api_base_url.trim_end_matches('/');
        let version = config.api_version.trim_matches('/');
        GraphMedia {
            http,
            base: format!("{base}/{version}"),
            token: config
                .access_token
                .clone()
                .unwrap_or_else(|| Secret::new("")),
        }
    }
}

impl MediaSource for GraphMedia {
    fn locate(&self, media: &MediaRef) -> BoxFuture<'static, Result<Located, MediaError>> {
        let id = media.id.clone();
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            let why = format!("{id:?} is not a WhatsApp media id");
            return async move { Err(MediaError::Gone(why)) }.boxed();
        }
        let token = self.token.expose().to_string();
        let request = self
            .http
            .get(format!("{}/{id}", self.base))
            .bearer_auth(&token)
            .timeout(TIMEOUT);
        async move {
            let response = request.send().await.map_err(|e| {
                MediaError::Unavailable(format!(
                    "Graph API unreachable: {}",
                    crate::net::http::error_chain(&e)
                ))
            })?;
            let status = response.status().as_u16();
            let bytes = response
                .bytes()
                .await
                .map_err(|e| MediaError::Unavailable(format!("media lookup cut off: {e}")))?;
            if !(200..300).contains(&status) {
                return Err(failure(status, &bytes));
            }
            let lookup: Lookup = serde_json::from_slice(&bytes).map_err(|e| {
                MediaError::Unavailable(format!("the media lookup answer does not read: {e}"))
            })?;
            Ok(Located {
                url: lookup.url,
                bearer: Some(token),
                mime: lookup.mime_type,
                sha256: lookup.sha256,
                size: lookup.file_size.as_ref().and_then(size),
            })
        }
        .boxed()
    }
}

fn size(value: &serde_json::Value) -> Option<u64> {
    value
        .as_u64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
}

/// A failed lookup: the media is gone (400/404, expired or never ours) or the API could not
/// answer now (429, 5xx, a refused token that may be fixed).
fn failure(status: u16, body: &[u8]) -> MediaError {
    let why = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(reply) => match reply["error"]["code"].as_i64() {
            Some(code) => format!(
                "Graph API error {code}: {}",
                reply["error"]["message"].as_str().unwrap_or("")
            ),
            None => format!("Graph API HTTP {status}"),
        },
        Err(_) => format!("Graph API HTTP {status}"),
    };
    match status {
        400 | 404 | 410 => MediaError::Gone(why),
        _ => MediaError::Unavailable(why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_split_into_gone_and_unavailable() {
        let graph = br#"{"error":{"message":"Unsupported get request.","type":"GraphMethodException","code":100}}"#;
        assert!(matches!(failure(400, graph), MediaError::Gone(why) if why.contains("100")));
        assert!(matches!(failure(404, b""), MediaError::Gone(_)));
        for status in [429, 500, 503, 401] {
            assert!(matches!(failure(status, b"<html>"), MediaError::Unavailable(_)));
        }
        assert_eq!(size(&serde_json::json!(12)), Some(12));
        assert_eq!(size(&serde_json::json!("34")), Some(34));
        assert_eq!(size(&serde_json::json!("x")), None);
    }

    fn source(graph: &pincer_emulators::graph::GraphApi, token: &str) -> GraphMedia {
        let config = WhatsAppConfig {
            api_base_url: graph.base_url(),
            api_version: "v21.0".into(),
            access_token: Some(Secret::new(token)),
            ..WhatsAppConfig::default()
        };
        GraphMedia::new(&config, http())
    }

    fn http() -> reqwest::Client {
        crate::net::http::builder("test").build().expect("a client")
    }

    fn reference(id: &str) -> MediaRef {
        MediaRef {
            kind: crate::sessions::media::MediaKind::Image,
            id: id.into(),
            mime: None,
            sha256: None,
            file_name: None,
            size: None,
            duration_s: None,
            dimensions: None,
            animated: false,
        }
    }

    #[actix_web::test]
    async fn a_media_id_is_located_against_the_graph_emulator() {
        let graph = pincer_emulators::graph::GraphApi::start("EAAgood");
        let info = graph.add_media("1003383421387256", "image/jpeg", b"\xff\xd8 a receipt");
        let located = source(&graph, "EAAgood")
            .locate(&reference("1003383421387256"))
            .await
            .expect("located");
        assert_eq!(located.bearer.as_deref(), Some("EAAgood"));
        assert_eq!(located.mime.as_deref(), Some("image/jpeg"));
        assert_eq!(located.sha256.as_deref(), Some(info.sha256_hex.as_str()));
        assert_eq!(located.size, Some(info.file_size as u64));
        // The URL serves the bytes with the bearer token, and only with it.
        let http = http();
        let bytes = http
            .get(&located.url)
            .bearer_auth("EAAgood")
            .send()
            .await
            .expect("download")
            .bytes()
            .await
            .expect("bytes");
        assert_eq!(&bytes[..], b"\xff\xd8 a receipt");
        let refused = http.get(&located.url).send().await.expect("answered");
        assert_eq!(refused.status().as_u16(), 401);
        assert_eq!(graph.media_downloads(), vec!["1003383421387256".to_string()]);

        let gone = source(&graph, "EAAgood").locate(&reference("999")).await;
        assert!(matches!(gone, Err(MediaError::Gone(why)) if why.contains("100")));
        let refused = source(&graph, "EAAwrong")
            .locate(&reference("1003383421387256"))
            .await;
        assert!(matches!(refused, Err(MediaError::Unavailable(_))), "{refused:?}");
        let odd = source(&graph, "EAAgood").locate(&reference("../etc")).await;
        assert!(matches!(odd, Err(MediaError::Gone(_))));
        assert_eq!(graph.media_lookups(), vec!["1003383421387256", "999"]);
    }
}
