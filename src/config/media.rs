//! `media`: what the agent accepts of the photos, voice notes and documents channel messages
//! bring, how long the downloaded files are kept, and who transcribes audio.
//!
//! The agent's run reads these (`crate::agent::media`): the limits before and during each
//! download, the retention in the sweep under `/gateway/tools`, the transcription provider when
//! a voice note or audio file arrives. Cross-key rules (a transcription provider must be a known
//! model provider) are in [`check`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::Problem;
use super::schema::Config;

/// `media`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct MediaConfig {
    /// The largest file accepted, per kind, in bytes.
    pub max_bytes: MediaLimits,
    /// Accepted MIME types per kind (`image: ["image/jpeg", "image/png"]`, or `image/*`); a kind
    /// not listed accepts every type. Default empty: everything within the size limits.
    pub accept: BTreeMap<String, Vec<String>>,
    /// Days downloaded files are kept under `<state>/media/`; 0 keeps them forever. Default 30.
    pub retention_days: u32,
    /// Model refs (`provider/model`, or `provider/*` for all of a provider's) that take no image
    /// input: they get a short note instead. Default empty: every model is sent images.
    pub text_only_models: Vec<String>,
    /// Who transcribes voice notes and audio; unset: not transcribed (the sender is told once
    /// how to enable it).
    pub transcription: Option<TranscriptionConfig>,
}

impl Default for MediaConfig {
    fn default() -> Self {
        MediaConfig {
            max_bytes: MediaLimits::default(),
            accept: BTreeMap::new(),
            retention_days: 30,
            text_only_models: Vec::new(),
            transcription: None,
        }
    }
}

/// `media.maxBytes`: per-kind size limits.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct MediaLimits {
    /// Default 10 MB (above what the model APIs take as one image anyway).
    pub image: u64,
    /// Default 25 MB: OpenAI's transcription limit.
    pub voice: u64,
    /// Default 25 MB, as `voice`.
    pub audio: u64,
    /// Default 16 MB: WhatsApp's own limit for video.
    pub video: u64,
    /// Default 20 MB.
    pub document: u64,
    /// Default 1 MB.
    pub sticker: u64,
}

const MB: u64 = 1024 * 1024;

impl Default for MediaLimits {
    fn default() -> Self {
        MediaLimits {
            image: 10 * MB,
            voice: 25 * MB,
            audio: 25 * MB,
            video: 16 * MB,
            document: 20 * MB,
            sticker: MB,
        }
    }
}

/// `media.transcription`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TranscriptionConfig {
    /// A `models.providers` id (or the built-in `openai`) whose base URL and API key are used for
    /// `POST {baseUrl}/audio/transcriptions`.
    pub provider: String,
    /// Default `whisper-1` (OpenAI's name; a whisper.cpp or Groq server names its own).
    #[serde(default = "default_transcription_model")]
    pub model: String,
    /// ISO-639-1 language hint (`en`, `de`); unset: detected.
    #[serde(default)]
    pub language: Option<String>,
}

fn default_transcription_model() -> String {
    "whisper-1".to_string()
}

/// Providers the catalog knows without configuration that speak the transcription API (Ollama,
/// also built in, does not).
const BUILT_IN_TRANSCRIBERS: [&str; 1] = ["openai"];

/// Checks the media keys against each other and the model providers.
pub(crate) fn check(config: &Config, problems: &mut Vec<Problem>) {
    let media = &config.media;
    if let Some(transcription) = &media.transcription {
        let provider = transcription.provider.as_str();
        let known = BUILT_IN_TRANSCRIBERS.contains(&provider)
            || config.models.providers.contains_key(provider);
        if !known {
            problems.push(Problem::new(
                "media.transcription.provider",
                format!(
                    "`{provider}` is not a model provider: name one of models.providers (or the built-in `openai`)"
                ),
            ));
        }
        if transcription.model.trim().is_empty() {
            problems.push(Problem::new(
                "media.transcription.model",
                "must not be empty",
            ));
        }
    }
    const KINDS: [&str; 6] = ["image", "voice", "audio", "video", "document", "sticker"];
    for kind in media.accept.keys() {
        if !KINDS.contains(&kind.as_str()) {
            problems.push(Problem::new(
                format!("media.accept.{kind}"),
                format!("not a media kind: use one of {}", KINDS.join(", ")),
            ));
        }
    }
    for (position, model) in media.text_only_models.iter().enumerate() {
        if !model.contains('/') {
            problems.push(Problem::new(
                format!("media.textOnlyModels[{position}]"),
                "write `provider/model` or `provider/*`",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(config: &Config) -> Vec<String> {
        let mut problems = Vec::new();
        check(config, &mut problems);
        problems.into_iter().map(|p| p.key).collect()
    }

    #[test]
    fn an_unknown_transcription_provider_is_named() {
        let mut config = Config::default();
        config.media.transcription = Some(TranscriptionConfig {
            provider: "nowhere".into(),
            model: "whisper-1".into(),
            language: None,
        });
        assert_eq!(keys(&config), ["media.transcription.provider"]);
        config.media.transcription.as_mut().unwrap().provider = "openai".into();
        assert!(keys(&config).is_empty());
    }

    #[test]
    fn unknown_kinds_and_bare_model_names_are_refused() {
        let mut config = Config::default();
        config
            .media
            .accept
            .insert("photo".into(), vec!["image/png".into()]);
        config.media.text_only_models.push("llama3".into());
        assert_eq!(
            keys(&config),
            ["media.accept.photo", "media.textOnlyModels[0]"]
        );
    }
}
