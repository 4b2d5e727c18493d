//! Media in the agent's run: what a channel message's photos, voice notes and documents become
//! before the model sees them.
//!
//! A turn whose request carries [`crate::sessions::media::Inbound`] media, and whose user message
//! is not persisted yet, is prepared before its first model call ([`prepare::prepare`]): every
//! reference is located through the channel's `MediaSource`, downloaded within its kind's limit
//! and stored under `<state>/media/` ([`fetch`]); images become image parts of the user message,
//! voice notes and audio a transcript ([`transcribe`]), documents a copy in the workspace inbox
//! and, for text types, their text ([`documents`]); video and stickers a one-line description.
//! Whatever cannot be read becomes a note saying why, so the turn goes on. The prepared message
//! is persisted like any user message: a restarted run, or a message replayed after a crash,
//! finds it and downloads nothing again (a crash before it downloads again, losing nothing).
//!
//! The current turn's image bytes are read when the run builds its request ([`images`]); older
//! images stay paths in the transcript and reach the model as a note. Files older than
//! `media.retentionDays` are swept by a task under `/gateway/tools` ([`retention`]).

pub(crate) mod documents;
pub(crate) mod fetch;
pub(crate) mod images;
pub(crate) mod prepare;
pub(crate) mod retention;
pub(crate) mod transcribe;

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::config::MediaConfig;

/// The media settings and where files are kept; held by the engine.
#[derive(Debug, Clone)]
pub struct MediaStage {
    pub config: MediaConfig,
    /// `<state>/media`.
    pub dir: PathBuf,
}

impl MediaStage {
    /// The stage for `config`, keeping files in `<state_dir>/media`.
    pub fn new(config: MediaConfig, state_dir: &Path) -> Self {
        MediaStage {
            config,
            dir: state_dir.join("media"),
        }
    }

    /// Whether `model_ref` takes no image input (`media.textOnlyModels`, `provider/*` matching
    /// all of a provider's).
    pub fn text_only(&self, model_ref: &str) -> bool {
        self.config
            .text_only_models
            .iter()
            .any(|entry| match entry.strip_suffix("/*") {
                Some(provider) => model_ref
                    .split_once('/')
                    .is_some_and(|(p, _)| p == provider),
                None => entry == model_ref,
            })
    }

    /// The marker that a chat was told how to enable transcription:
    /// `<state>/media/told/<sha256 of channel and chat>`.
    pub(crate) fn told_marker(&self, channel: &str, chat: &str) -> PathBuf {
        let digest = Sha256::digest(format!("{channel}\0{chat}").as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join("told").join(hex)
    }
}

/// A MIME type without its parameters, lower-cased (`Text/CSV; charset=utf-8` → `text/csv`).
pub(crate) fn essence(mime: &str) -> String {
    mime.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_only_models_match_by_ref_or_provider() {
        let config = MediaConfig {
            text_only_models: vec!["ollama/*".into(), "openai/gpt-3.5-turbo".into()],
            ..MediaConfig::default()
        };
        let stage = MediaStage::new(config, Path::new("/s"));
        assert!(stage.text_only("ollama/llama3"));
        assert!(stage.text_only("openai/gpt-3.5-turbo"));
        assert!(!stage.text_only("openai/gpt-4o"));
        assert!(!stage.text_only("ollamax/llama3"));
    }
}
