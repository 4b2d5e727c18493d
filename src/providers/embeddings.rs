//! The OpenAI-compatible embeddings client: `POST {baseUrl}/embeddings` with
//! `{"model", "input": [..]}`, answered `{"data": [{"index", "embedding": [..]}, ..]}` (OpenAI,
//! Ollama, llama.cpp's server and vLLM all speak it).
//!
//! Memory search is its user: the paragraphs of the notes go in batches of
//! `memory.embeddings.batchSize`, the query alone. The provider is a catalog [`Endpoint`] (base
//! URL, key, headers, the shared HTTP client), the same as the model calls'. Failures are
//! classified so the caller can say why search fell back to keywords.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use super::catalog::Endpoint;

/// How long one batch may take (a local CPU server embedding 64 paragraphs).
const TIMEOUT: Duration = Duration::from_secs(60);

/// Why a batch could not be embedded.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum EmbeddingsError {
    /// Network, timeout, 429 or 5xx: it may work later.
    #[error("the embeddings provider is unavailable: {0}")]
    Unavailable(String),
    /// Refused (4xx: a wrong key, an unknown model): it will not work until the config changes.
    #[error("the embeddings provider refused the request: {0}")]
    Refused(String),
    /// The answer was not what the API promises (missing items, other lengths).
    #[error("the embeddings provider answered badly: {0}")]
    BadAnswer(String),
}

/// One provider and model, with the batch size and the expected length.
#[derive(Debug, Clone)]
pub struct EmbeddingsClient {
    endpoint: Endpoint,
    model: String,
    batch_size: usize,
    dimensions: Option<usize>,
}

#[derive(Deserialize)]
struct Answer {
    data: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    index: usize,
    embedding: Vec<f32>,
}

impl EmbeddingsClient {
    /// A client for `model` at `endpoint`; `batch_size` is at least 1.
    pub fn new(
        endpoint: Endpoint,
        model: String,
        batch_size: usize,
        dimensions: Option<usize>,
    ) -> Self {
        EmbeddingsClient {
            endpoint,
            model,
            batch_size: batch_size.max(1),
            dimensions,
        }
    }

    /// The model's name, for status lines.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// One vector per text, in order, asked in batches. Every vector has the same length (the
    /// configured `dimensions`, else the first answer's).
    pub async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbeddingsError> {
        let mut out = Vec::with_capacity(texts.len());
        let mut expected = self.dimensions;
        for batch in texts.chunks(self.batch_size) {
            let vectors = self.embed_batch(batch).await?;
            for vector in &vectors {
                let length = *expected.get_or_insert(vector.len());
                if vector.len() != length || length == 0 {
                    return Err(EmbeddingsError::BadAnswer(format!(
                        "a vector of {} dimensions where {length} were expected",
                        vector.len()
                    )));
                }
            }
            out.extend(vectors);
        }
        Ok(out)
    }

    async fn embed_batch(&self, batch: &[String]) -> Result<Vec<Vec<f32>>, EmbeddingsError> {
        let url = format!(
            "{}/embeddings",
            self.endpoint.base_url.trim_end_matches('/')
        );
        let mut request = self
            .endpoint
            .http
            .post(url)
            .headers(self.endpoint.headers.clone())
            .timeout(TIMEOUT)
            .json(&json!({ "model": self.model, "input": batch }));
        if let Some(key) = self.endpoint.api_key.as_ref().filter(|k| !k.is_empty()) {
            request = request.bearer_auth(key.expose());
        }
        let response = request
            .send()
            .await
            .map_err(|e| EmbeddingsError::Unavailable(crate::net::http::error_chain(&e)))?;
        let status = response.status();
        if status.is_server_error() || status.as_u16() == 429 {
            return Err(EmbeddingsError::Unavailable(format!("HTTP {status}")));
        }
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            let body: String = body.chars().take(200).collect();
            return Err(EmbeddingsError::Refused(format!("HTTP {status}: {body}")));
        }
        let answer: Answer = response
            .json()
            .await
            .map_err(|e| EmbeddingsError::BadAnswer(e.to_string()))?;
        order(answer.data, batch.len())
    }
}

/// The items put back in input order; each index exactly once.
fn order(items: Vec<Item>, count: usize) -> Result<Vec<Vec<f32>>, EmbeddingsError> {
    let mut slots: Vec<Option<Vec<f32>>> = vec![None; count];
    for item in items {
        let slot = slots.get_mut(item.index).ok_or_else(|| {
            EmbeddingsError::BadAnswer(format!("index {} for {count} inputs", item.index))
        })?;
        if slot.replace(item.embedding).is_some() {
            return Err(EmbeddingsError::BadAnswer(format!(
                "index {} twice",
                item.index
            )));
        }
    }
    slots
        .into_iter()
        .enumerate()
        .map(|(index, slot)| {
            slot.ok_or_else(|| EmbeddingsError::BadAnswer(format!("no vector for input {index}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(index: usize, value: f32) -> Item {
        Item {
            index,
            embedding: vec![value],
        }
    }

    #[test]
    fn items_are_put_back_in_input_order_and_gaps_refused() {
        let ordered = order(vec![item(1, 1.0), item(0, 0.0)], 2).unwrap();
        assert_eq!(ordered, [vec![0.0], vec![1.0]]);
        assert!(matches!(
            order(vec![item(0, 0.0)], 2),
            Err(EmbeddingsError::BadAnswer(_))
        ));
        assert!(order(vec![item(0, 0.0), item(0, 1.0)], 2).is_err());
        assert!(order(vec![item(5, 0.0)], 1).is_err());
    }
}
