//! Telegram's [`MediaSource`]: `getFile` turns a `file_id` into a `file_path`, downloaded from
//! `{apiBaseUrl}/file/bot<token>/<file_path>` (the token is in the path, so no bearer). Bot API
//! downloads are limited to 20 MB: a larger file is refused before asking, and Telegram's
//! "file is too big" is [`MediaError::TooLarge`]; other 400s (an unknown or expired id) are
//! [`MediaError::Gone`]; network failures, 429 and 5xx are [`MediaError::Unavailable`].

use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use serde::Deserialize;
use serde_json::json;

use super::api::{ApiError, BotClient};
use crate::sessions::media::{Located, MediaError, MediaRef, MediaSource};

/// The largest file a bot may download through the Bot API.
pub const DOWNLOAD_LIMIT: u64 = 20 * 1024 * 1024;

const LOOKUP_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Deserialize)]
struct FileInfo {
    #[serde(default)]
    file_size: Option<u64>,
    #[serde(default)]
    file_path: Option<String>,
}

impl MediaSource for BotClient {
    fn locate(&self, media: &MediaRef) -> BoxFuture<'static, Result<Located, MediaError>> {
        let media = media.clone();
        if let Some(size) = media.size.filter(|size| *size > DOWNLOAD_LIMIT) {
            return async move { Err(too_large(&media, size)) }.boxed();
        }
        let lookup = self.call_send("getFile", json!({ "file_id": media.id }), LOOKUP_TIMEOUT);
        let files = self.files.clone();
        async move {
            let result = lookup.await.map_err(|error| failure(&media, error))?;
            let info: FileInfo = serde_json::from_value(result)
                .map_err(|e| MediaError::Unavailable(format!("unreadable getFile answer: {e}")))?;
            let path = info.file_path.filter(|p| !p.is_empty()).ok_or_else(|| {
                MediaError::Gone("getFile gave no file_path (the file cannot be downloaded)".into())
            })?;
            let size = info.file_size.or(media.size);
            if let Some(size) = size.filter(|size| *size > DOWNLOAD_LIMIT) {
                return Err(too_large(&media, size));
            }
            Ok(Located {
                url: format!("{files}{}", path.trim_start_matches('/')),
                bearer: None,
                mime: media.mime.clone(),
                sha256: None,
                size,
            })
        }
        .boxed()
    }
}

fn too_large(media: &MediaRef, size: u64) -> MediaError {
    MediaError::TooLarge {
        kind: media.kind,
        size,
        limit: DOWNLOAD_LIMIT,
    }
}

/// What a failed `getFile` means for the download.
fn failure(media: &MediaRef, error: ApiError) -> MediaError {
    let why = error.to_string();
    match error.code {
        400 if error.description.to_ascii_lowercase().contains("too big") => match media.size {
            Some(size) => too_large(media, size),
            None => MediaError::Gone(format!("{why} (Bot API downloads stop at 20 MB)")),
        },
        400 => MediaError::Gone(why),
        _ => MediaError::Unavailable(why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sessions::media::MediaKind;

    fn media(size: Option<u64>) -> MediaRef {
        MediaRef {
            kind: MediaKind::Document,
            id: "BQACAgIAAxkBAAIB".into(),
            mime: Some("application/pdf".into()),
            sha256: None,
            file_name: Some("a.pdf".into()),
            size,
            duration_s: None,
            dimensions: None,
            animated: false,
        }
    }

    fn error(code: u16, description: &str) -> ApiError {
        ApiError {
            code,
            description: description.into(),
            retry_after: None,
        }
    }

    #[test]
    fn get_file_errors_map_to_media_errors() {
        assert_eq!(
            failure(&media(Some(30_000_000)), error(400, "Bad Request: file is too big")),
            MediaError::TooLarge {
                kind: MediaKind::Document,
                size: 30_000_000,
                limit: DOWNLOAD_LIMIT
            }
        );
        assert!(matches!(
            failure(&media(None), error(400, "Bad Request: file is too big")),
            MediaError::Gone(_)
        ));
        assert!(matches!(
            failure(&media(None), error(400, "Bad Request: invalid file_id")),
            MediaError::Gone(_)
        ));
        for code in [0, 429, 500, 502] {
            assert!(matches!(
                failure(&media(None), error(code, "x")),
                MediaError::Unavailable(_)
            ));
        }
    }

    #[actix_web::test]
    async fn get_file_then_the_file_url_downloads_the_bytes() {
        let bot = pincer_emulators::telegram::BotApi::start("123456:ABC");
        let path = bot.add_file("BQACAgIAAxkBAAIB", b"%PDF-1.7 receipt");
        let config = crate::config::TelegramConfig {
            bot_token: Some(crate::config::Secret::new("123456:ABC")),
            api_base_url: bot.base_url(),
            ..Default::default()
        };
        let http = crate::net::http::builder("the media test").build().unwrap();
        let client = BotClient::new(&config, http.clone());
        let located = client.locate(&media(Some(16))).await.expect("located");
        assert_eq!(located.bearer, None);
        assert_eq!(located.size, Some(16));
        assert_eq!(located.url, format!("{}/file/bot123456:ABC/{path}", bot.base_url()));
        let response = http.get(&located.url).send().await.unwrap();
        let bytes = response.bytes().await.unwrap();
        assert_eq!(&bytes[..], b"%PDF-1.7 receipt");
        assert_eq!(bot.downloads(), vec![path]);
        let mut unknown = media(None);
        unknown.id = "nope".into();
        assert!(matches!(client.locate(&unknown).await, Err(MediaError::Gone(_))));
        let huge = media(Some(DOWNLOAD_LIMIT + 1));
        assert!(matches!(client.locate(&huge).await, Err(MediaError::TooLarge { .. })));
    }
}
