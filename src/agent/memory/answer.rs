//! A search's answer as the model reads it (`memory_search`) and the operator API serves it
//! (`memory.search`, `pincer memory search`): one typed shape for both.

use serde::{Deserialize, Serialize};

use super::Found;

/// Characters of a paragraph shown in a result.
const SNIPPET_CHARS: usize = 700;

/// The answer to one search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchAnswer {
    pub query: String,
    /// `hybrid` (keywords and meaning) or `keywords` (BM25 alone).
    pub mode: String,
    /// Why the search fell back to keywords (the provider failed or is unusable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub results: Vec<SearchResult>,
}

/// One paragraph found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchResult {
    /// The note, relative to the workspace.
    pub path: String,
    /// `first-last`, counted from 1 (what `memory_get` takes as `from`).
    pub lines: String,
    /// The merged score (hybrid: 0..1 weighted, or the RRF sum), or BM25's (keywords).
    pub score: f64,
    pub snippet: String,
    /// Which signals found it: `keywords`, `meaning`.
    pub matched: Vec<String>,
    pub text_score: Option<f64>,
    pub vector_score: Option<f64>,
}

fn round(score: f64) -> f64 {
    (score * 1000.0).round() / 1000.0
}

impl SearchAnswer {
    /// The answer for `query` from what the service found.
    pub fn new(query: &str, found: Found) -> SearchAnswer {
        let results = found
            .hits
            .into_iter()
            .map(|hit| {
                let mut matched = Vec::new();
                if hit.text.is_some() {
                    matched.push("keywords".to_string());
                }
                if hit.vector.is_some() {
                    matched.push("meaning".to_string());
                }
                SearchResult {
                    lines: format!("{}-{}", hit.chunk.first_line, hit.chunk.last_line),
                    snippet: hit.chunk.text.chars().take(SNIPPET_CHARS).collect(),
                    path: hit.chunk.path,
                    score: round(hit.score),
                    matched,
                    text_score: hit.text.map(round),
                    vector_score: hit.vector.map(round),
                }
            })
            .collect();
        SearchAnswer {
            query: query.to_string(),
            mode: found.mode.to_string(),
            note: found.note,
            results,
        }
    }
}
