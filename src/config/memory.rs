//! `memory`: how `memory_search` ranks the agent's notes (`MEMORY.md`, `memory/**/*.md`).
//!
//! Without `memory.embeddings` the search is BM25 over words, as it always was. With it, every
//! paragraph is also embedded through the OpenAI-compatible `POST {baseUrl}/embeddings` of the
//! `models.providers` entry `memory.embeddings.provider` names (so the base URL and key are
//! configured once), and `memory.search` says how the two rankings are merged.

use serde::{Deserialize, Serialize};

use super::error::Problem;
use super::schema::Config;

/// `memory`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct MemoryConfig {
    /// Where the vectors come from; unset: BM25 alone.
    pub embeddings: Option<EmbeddingsConfig>,
    /// How keyword and vector rankings are merged.
    pub search: MemorySearchConfig,
}

/// `memory.embeddings`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmbeddingsConfig {
    /// A `models.providers` id (or a built-in: `openai`, `ollama`) whose base URL and key are
    /// used for `POST {baseUrl}/embeddings`.
    pub provider: String,
    /// The embedding model's name at that provider (`text-embedding-3-small`, `nomic-embed-text`).
    pub model: String,
    /// Paragraphs per request (default 64): fewer round trips, bounded request bodies.
    #[serde(default = "default_batch_size")]
    pub batch_size: u32,
    /// The vector length the model must answer with; unset: whatever the first answer has.
    /// A different length is an error (the index is never mixed).
    #[serde(default)]
    pub dimensions: Option<u32>,
}

fn default_batch_size() -> u32 {
    64
}

/// `memory.search`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct MemorySearchConfig {
    /// `weighted` (default): each ranking's scores scaled to 0..1 by its best, then
    /// `vectorWeight * vector + textWeight * text`; `rrf`: reciprocal rank fusion.
    pub mode: MergeMode,
    /// Default 0.7 (OpenClaw's).
    pub vector_weight: f64,
    /// Default 0.3 (OpenClaw's).
    pub text_weight: f64,
    /// The `k` of reciprocal rank fusion, `1 / (k + rank)`; default 60.
    pub rrf_k: u32,
}

impl Default for MemorySearchConfig {
    fn default() -> Self {
        MemorySearchConfig {
            mode: MergeMode::Weighted,
            vector_weight: 0.7,
            text_weight: 0.3,
            rrf_k: 60,
        }
    }
}

/// `memory.search.mode`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum MergeMode {
    #[default]
    Weighted,
    Rrf,
}

/// Providers known without configuration that serve `/embeddings`.
const BUILT_IN_EMBEDDERS: [&str; 2] = ["openai", "ollama"];

/// Checks the memory keys against each other and the model providers.
pub(crate) fn check(config: &Config, problems: &mut Vec<Problem>) {
    let memory = &config.memory;
    if let Some(embeddings) = &memory.embeddings {
        let provider = embeddings.provider.as_str();
        if !BUILT_IN_EMBEDDERS.contains(&provider)
            && !config.models.providers.contains_key(provider)
        {
            problems.push(Problem::new(
                "memory.embeddings.provider",
                format!("`{provider}` is not a model provider: name one of models.providers (or the built-in `openai`, `ollama`)"),
            ));
        }
        if embeddings.model.trim().is_empty() {
            problems.push(Problem::new("memory.embeddings.model", "must not be empty"));
        }
        if embeddings.batch_size == 0 || embeddings.batch_size > 2048 {
            problems.push(Problem::new(
                "memory.embeddings.batchSize",
                "must be between 1 and 2048",
            ));
        }
        if embeddings.dimensions == Some(0) {
            problems.push(Problem::new(
                "memory.embeddings.dimensions",
                "must be at least 1",
            ));
        }
    }
    let search = &memory.search;
    for (key, weight) in [
        ("memory.search.vectorWeight", search.vector_weight),
        ("memory.search.textWeight", search.text_weight),
    ] {
        if !(0.0..=1.0).contains(&weight) {
            problems.push(Problem::new(key, "must be between 0 and 1"));
        }
    }
    if search.vector_weight + search.text_weight <= 0.0 {
        problems.push(Problem::new(
            "memory.search.vectorWeight",
            "vectorWeight and textWeight must not both be 0",
        ));
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
    fn an_unknown_provider_and_bad_weights_are_named() {
        let mut config = Config::default();
        assert!(keys(&config).is_empty());
        config.memory.embeddings = Some(EmbeddingsConfig {
            provider: "nowhere".into(),
            model: "m".into(),
            batch_size: 0,
            dimensions: None,
        });
        config.memory.search.text_weight = 1.5;
        assert_eq!(
            keys(&config),
            [
                "memory.embeddings.provider",
                "memory.embeddings.batchSize",
                "memory.search.textWeight"
            ]
        );
    }

    #[test]
    fn the_mode_is_read_by_name() {
        let search: MemorySearchConfig = serde_json::from_str(r#"{"mode":"rrf"}"#).unwrap();
        assert_eq!(search.mode, MergeMode::Rrf);
        assert_eq!(search.vector_weight, 0.7);
    }
}
