//! `memory.status`, `memory.reindex`, `memory.search` (WS, `GET /admin/memory`,
//! `POST /admin/memory/reindex`, `GET /admin/memory/search?query=..`, `pincer memory
//! status|reindex|search`): the main workspace's memory index, its embeddings provider, and a
//! search as the model would run it.

use serde::{Deserialize, Deserializer, Serialize};

use super::params::{flag, number};
use super::{ApiError, Operator};
use crate::agent::memory::{ProviderState, WorkspaceFigures};

pub use crate::agent::memory::{SearchAnswer as MemorySearchAnswer, SearchResult as MemoryResult};

/// `memory.status` takes no parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MemoryStatusRequest {}

/// `memory.reindex`: `full` re-reads every note even when its stamp is unchanged (paragraphs
/// whose text is unchanged still keep their vectors).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MemoryReindexRequest {
    #[serde(deserialize_with = "flag")]
    pub full: bool,
}

/// `memory.search`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MemorySearchRequest {
    pub query: String,
    /// 1..=20, default 5.
    #[serde(deserialize_with = "number")]
    pub max_results: Option<usize>,
    #[serde(deserialize_with = "decimal")]
    pub min_score: Option<f64>,
}

/// An optional score: a JSON number or its text (`?minScore=0.5`).
fn decimal<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    use serde::de::Error;
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Lenient {
        Number(f64),
        Text(String),
    }
    match Option::<Lenient>::deserialize(deserializer)? {
        None => Ok(None),
        Some(Lenient::Number(n)) => Ok(Some(n)),
        Some(Lenient::Text(text)) => text
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| D::Error::custom(format!("{text:?} is not a number"))),
    }
}

/// The index and the provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemoryStatus {
    /// `hybrid` when an embeddings provider is configured and usable, else `keywords`.
    pub mode: String,
    pub provider: Option<String>,
    pub model: Option<String>,
    /// The provider's state (`off`, `unusable`, `idle`, `ready`, `failing`, with the error).
    pub embeddings: ProviderState,
    /// The main workspace first, then each sandbox searched since start.
    pub workspaces: Vec<WorkspaceFigures>,
    /// What the last reindex said about the provider (`memory.reindex` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Operator {
    /// `memory.status`: figures in memory (the main workspace is loaded if it was not yet).
    pub async fn memory_status(
        &self,
        _request: MemoryStatusRequest,
    ) -> Result<MemoryStatus, ApiError> {
        Ok(self.memory_figures(None).await)
    }

    /// `memory.reindex`: brings the main workspace's index up to date now.
    pub async fn memory_reindex(
        &self,
        request: MemoryReindexRequest,
    ) -> Result<MemoryStatus, ApiError> {
        let memory = &self.engine.memory;
        let note = memory
            .refresh(memory.main(), request.full)
            .await
            .map_err(ApiError::Store)?;
        Ok(self.memory_figures(note).await)
    }

    /// `memory.search` over the main workspace.
    pub async fn memory_search(
        &self,
        request: MemorySearchRequest,
    ) -> Result<MemorySearchAnswer, ApiError> {
        let query = request.query.trim();
        if query.is_empty() {
            return Err(ApiError::Invalid("query must not be empty".into()));
        }
        let limit = request.max_results.unwrap_or(5).clamp(1, 20);
        let min_score = request.min_score.unwrap_or(0.0);
        if !min_score.is_finite() || min_score < 0.0 {
            return Err(ApiError::Invalid("minScore must be 0 or more".into()));
        }
        let memory = &self.engine.memory;
        let found = memory
            .search(memory.main(), query, limit, min_score)
            .await
            .map_err(ApiError::Store)?;
        Ok(MemorySearchAnswer::new(query, found))
    }

    async fn memory_figures(&self, note: Option<String>) -> MemoryStatus {
        let memory = &self.engine.memory;
        let embeddings = memory.provider();
        let configured = self.config.memory.embeddings.as_ref();
        let workspaces = memory.figures().await;
        MemoryStatus {
            mode: if memory.model().is_some() {
                "hybrid"
            } else {
                "keywords"
            }
            .to_string(),
            provider: configured.map(|c| c.provider.clone()),
            model: configured.map(|c| c.model.clone()),
            embeddings,
            workspaces,
            note,
        }
    }
}
