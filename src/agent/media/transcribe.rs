//! Transcribing a voice note or an audio file through an OpenAI-compatible
//! `POST {baseUrl}/audio/transcriptions` (OpenAI, Groq, whisper.cpp and faster-whisper servers
//! all speak it): a multipart body with `file`, `model`, `response_format=json` and an optional
//! `language`, the provider's key as a bearer token, `{"text": ...}` back.
//!
//! The provider is a `models.providers` id (`media.transcription.provider`), so its base URL
//! and key are configured once for both uses.

use std::time::{Duration, Instant};

use crate::config::TranscriptionConfig;
use crate::providers::catalog::ProviderCatalog;

/// How long one transcription may take (a 25 MB file on a slow CPU server).
const TIMEOUT: Duration = Duration::from_secs(300);

/// A transcript and how long it took.
#[derive(Debug, Clone)]
pub(crate) struct Transcript {
    pub text: String,
    pub millis: u64,
}

/// Why a transcription failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TranscribeError {
    /// Network or 5xx: the run retries the turn.
    #[error("the transcription service is unavailable: {0}")]
    Passing(String),
    /// Refused (4xx), misconfigured, or an answer without text: the model gets a note.
    #[error("the transcription failed: {0}")]
    Final(String),
}

/// Transcribes `bytes` (a file named `file_name` of type `mime`).
pub(crate) async fn transcribe(
    catalog: &ProviderCatalog,
    config: &TranscriptionConfig,
    bytes: Vec<u8>,
    file_name: String,
    mime: &str,
) -> Result<Transcript, TranscribeError> {
    let started = Instant::now();
    let endpoint = catalog
        .endpoint(&config.provider)
        .map_err(TranscribeError::Final)?;
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(file_name)
        .mime_str(mime)
        .map_err(|e| TranscribeError::Final(e.to_string()))?;
    let mut form = reqwest::multipart::Form::new()
        .part("file", part)
        .text("model", config.model.clone())
        .text("response_format", "json");
    if let Some(language) = &config.language {
        form = form.text("language", language.clone());
    }
    let url = format!(
        "{}/audio/transcriptions",
        endpoint.base_url.trim_end_matches('/')
    );
    let mut request = endpoint
        .http
        .post(url)
        .headers(endpoint.headers.clone())
        .timeout(TIMEOUT)
        .multipart(form);
    if let Some(key) = endpoint.api_key.as_ref().filter(|k| !k.is_empty()) {
        request = request.bearer_auth(key.expose());
    }
    let response = request
        .send()
        .await
        .map_err(|e| TranscribeError::Passing(crate::net::http::error_chain(&e)))?;
    let status = response.status();
    if status.is_server_error() || status.as_u16() == 429 {
        return Err(TranscribeError::Passing(format!("HTTP {status}")));
    }
    if !status.is_success() {
        let body = response.text().await.unwrap_or_default();
        let body: String = body.chars().take(200).collect();
        return Err(TranscribeError::Final(format!("HTTP {status}: {body}")));
    }
    #[derive(serde::Deserialize)]
    struct Answer {
        text: String,
    }
    let answer: Answer = response
        .json()
        .await
        .map_err(|e| TranscribeError::Final(format!("an answer without text: {e}")))?;
    Ok(Transcript {
        text: answer.text.trim().to_string(),
        millis: started.elapsed().as_millis() as u64,
    })
}
