//! The memory service: every workspace's index (the main one, and each sandbox folder a
//! sandboxed session searches), the embeddings client, and the provider's state. The memory
//! tools, the indexer actor and the operator API all go through it.
//!
//! A search first brings its workspace's index up to date (files are only stat'ed unless they
//! changed, see [`WorkspaceIndex::refresh`]), embeds what is new, then embeds the query and merges.
//! A failing provider never fails a search: it falls back to BM25 and says so in the result and
//! in the status.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use super::index::{now_ms, Hit, WorkspaceIndex};
use super::reader::read_note;
use super::store;
use crate::agent::tools::walls::Walls;
use crate::config::MemorySearchConfig;
use crate::providers::embeddings::EmbeddingsClient;

/// The embeddings provider as the last call left it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum ProviderState {
    /// No `memory.embeddings`: BM25 alone.
    Off,
    /// Configured but unusable (an unknown provider, no HTTP client): why.
    Unusable { error: String },
    /// Not called yet.
    Idle,
    /// The last call worked.
    Ready,
    /// The last call failed: why and when (ms since 1970).
    Failing { error: String, since_ms: u64 },
}

/// One workspace's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceFigures {
    pub root: String,
    pub files: usize,
    pub chunks: usize,
    pub vectors: usize,
    pub dimensions: usize,
    pub model: Option<String>,
    /// When its index last changed (ms since 1970; 0: never).
    pub indexed_at_ms: u64,
}

/// A search's answer.
#[derive(Debug, Clone)]
pub struct Found {
    pub hits: Vec<Hit>,
    /// `hybrid` or `keywords`.
    pub mode: &'static str,
    /// Why the search fell back to keywords, when it did.
    pub note: Option<String>,
}

/// Every workspace's index and the embeddings provider.
pub struct MemoryService {
    dir: PathBuf,
    main: PathBuf,
    walls: Arc<Walls>,
    embedder: Option<EmbeddingsClient>,
    settings: MemorySearchConfig,
    indexes: Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<WorkspaceIndex>>>>,
    provider: Mutex<ProviderState>,
    /// Told after every index change (the indexer actor refreshes its status line).
    pub(crate) changed: tokio::sync::Notify,
}

/// The workspace's real path: the one key of its index, whatever path names it.
fn canonical(root: &Path) -> Result<PathBuf, String> {
    root.canonicalize()
        .map_err(|e| format!("the workspace {} is not usable: {e}", root.display()))
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl MemoryService {
    /// A service storing indexes in `dir` (`<state>/memory`), whose main workspace is `main`,
    /// reading notes past `walls`. `embedder` is `Ok(None)` without `memory.embeddings`, `Err`
    /// when they are configured but unusable.
    pub fn new(
        dir: PathBuf,
        main: PathBuf,
        walls: Arc<Walls>,
        embedder: Result<Option<EmbeddingsClient>, String>,
        settings: MemorySearchConfig,
    ) -> MemoryService {
        let (embedder, state) = match embedder {
            Ok(Some(client)) => (Some(client), ProviderState::Idle),
            Ok(None) => (None, ProviderState::Off),
            Err(error) => (None, ProviderState::Unusable { error }),
        };
        MemoryService {
            dir,
            main,
            walls,
            embedder,
            settings,
            indexes: Mutex::new(HashMap::new()),
            provider: Mutex::new(state),
            changed: tokio::sync::Notify::new(),
        }
    }

    /// The service `config` asks for: indexes in `<state>/memory`, the embeddings client of
    /// `memory.embeddings` over the catalog's provider (its base URL, key and HTTP client).
    pub fn from_config(
        config: &crate::config::Config,
        state_dir: &Path,
        main: PathBuf,
        catalog: &crate::providers::catalog::ProviderCatalog,
        walls: Arc<Walls>,
    ) -> MemoryService {
        let embedder = match &config.memory.embeddings {
            None => Ok(None),
            Some(settings) => catalog.endpoint(&settings.provider).map(|endpoint| {
                Some(EmbeddingsClient::new(
                    endpoint,
                    settings.model.clone(),
                    usize::try_from(settings.batch_size).unwrap_or(64),
                    settings.dimensions.and_then(|d| usize::try_from(d).ok()),
                ))
            }),
        };
        MemoryService::new(
            state_dir.join("memory"),
            main,
            walls,
            embedder,
            config.memory.search.clone(),
        )
    }

    /// The main workspace (what the operator API and the indexer actor index).
    pub fn main(&self) -> &Path {
        &self.main
    }

    /// The provider's state.
    pub fn provider(&self) -> ProviderState {
        lock(&self.provider).clone()
    }

    /// The embedding model, when one is configured and usable.
    pub fn model(&self) -> Option<&str> {
        self.embedder.as_ref().map(EmbeddingsClient::model)
    }

    fn index_file(&self, root: &Path) -> PathBuf {
        let id = crate::agent::memory::chunks::content_hash(&root.display().to_string());
        let hex: String = id[..8].iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{hex}.idx"))
    }

    /// The index of `root`, loaded from disk the first time (an unreadable one starts empty).
    async fn index_of(&self, root: &Path) -> Arc<tokio::sync::Mutex<WorkspaceIndex>> {
        if let Some(index) = lock(&self.indexes).get(root) {
            return Arc::clone(index);
        }
        let file = self.index_file(root);
        let loaded = tokio::task::spawn_blocking(move || match store::load(&file) {
            Ok(index) => index,
            Err(store::StoreError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                WorkspaceIndex::default()
            }
            Err(error) => {
                tracing::warn!(%error, file = %file.display(), "memory index rebuilt");
                WorkspaceIndex::default()
            }
        })
        .await
        .unwrap_or_default();
        let mut indexes = lock(&self.indexes);
        Arc::clone(
            indexes
                .entry(root.to_path_buf())
                .or_insert_with(|| Arc::new(tokio::sync::Mutex::new(loaded))),
        )
    }

    /// Brings `root`'s index up to date: re-reads changed notes (all of them with `force`),
    /// embeds paragraphs without a vector, saves. Returns a note when embedding failed.
    pub async fn refresh(&self, root: &Path, force: bool) -> Result<Option<String>, String> {
        let real_root = canonical(root)?;
        let root = real_root.as_path();
        let shared = self.index_of(root).await;
        let mut guard = shared.lock().await;
        let mut index = std::mem::take(&mut *guard);
        if force {
            index.forget_stamps();
        }
        let walls = Arc::clone(&self.walls);
        let reading = real_root.clone();
        let result = tokio::task::spawn_blocking(move || {
            let place = crate::agent::tools::workspace::place(&reading, &walls);
            let changed = index.refresh(&reading, &|file, shown| read_note(place, file, shown));
            (index, changed)
        })
        .await;
        let (mut index, mut changed) = match result {
            Ok(done) => done,
            Err(error) => return Err(format!("indexing failed: {error}")),
        };
        let mut note = None;
        if let Some(embedder) = &self.embedder {
            let before = index.embedded();
            index.use_model(embedder.model());
            let pending = index.pending();
            if !pending.is_empty() {
                let (rows, texts): (Vec<usize>, Vec<String>) = pending.into_iter().unzip();
                match embedder.embed(&texts).await {
                    Ok(vectors) => {
                        index.fill(&rows, &vectors);
                        self.set_provider(ProviderState::Ready);
                    }
                    Err(error) => {
                        note = Some(error.to_string());
                        self.failed(error.to_string());
                    }
                }
            }
            changed |= index.embedded() != before;
        }
        if changed {
            let file = self.index_file(root);
            let saving = index.clone();
            let saved = tokio::task::spawn_blocking(move || store::save(&file, &saving)).await;
            if let Ok(Err(error)) = saved {
                tracing::warn!(%error, "memory index not saved; it is rebuilt at the next start");
            }
        }
        *guard = index;
        drop(guard);
        if changed {
            self.changed.notify_one();
        }
        Ok(note)
    }

    fn set_provider(&self, state: ProviderState) {
        *lock(&self.provider) = state;
    }

    fn failed(&self, error: String) {
        let mut state = lock(&self.provider);
        let since_ms = match &*state {
            ProviderState::Failing { since_ms, .. } => *since_ms,
            _ => now_ms(),
        };
        *state = ProviderState::Failing { error, since_ms };
    }

    /// The best paragraphs of `root`'s notes for `query`.
    pub async fn search(
        &self,
        root: &Path,
        query: &str,
        limit: usize,
        min_score: f64,
    ) -> Result<Found, String> {
        let real_root = canonical(root)?;
        let root = real_root.as_path();
        let mut note = self.refresh(root, false).await?;
        let mut query_vector = None;
        if let Some(embedder) = &self.embedder {
            match embedder.embed(&[query.to_string()]).await {
                Ok(mut vectors) => {
                    query_vector = vectors.pop();
                    self.set_provider(ProviderState::Ready);
                }
                Err(error) => {
                    note = Some(error.to_string());
                    self.failed(error.to_string());
                }
            }
        } else if let ProviderState::Unusable { error } = self.provider() {
            note = Some(format!("embeddings are configured but unusable: {error}"));
        }
        let shared = self.index_of(root).await;
        let index = shared.lock().await;
        let hybrid = query_vector.is_some() && index.embedded() > 0;
        let hits = index.search(
            query,
            query_vector.as_deref().filter(|_| hybrid),
            &self.settings,
            limit,
            min_score,
        );
        let note = note.map(|why| format!("keyword (BM25) results only: {why}"));
        Ok(Found {
            hits,
            mode: if hybrid { "hybrid" } else { "keywords" },
            note: if hybrid { None } else { note },
        })
    }

    /// The figures of every workspace indexed so far (the main one first).
    pub async fn figures(&self) -> Vec<WorkspaceFigures> {
        let mut roots: Vec<(PathBuf, Arc<tokio::sync::Mutex<WorkspaceIndex>>)> =
            lock(&self.indexes)
                .iter()
                .map(|(root, index)| (root.clone(), Arc::clone(index)))
                .collect();
        let main = self
            .main
            .canonicalize()
            .unwrap_or_else(|_| self.main.clone());
        roots.sort_by_key(|(root, _)| (root != &main, root.clone()));
        let mut out = Vec::with_capacity(roots.len());
        for (root, index) in roots {
            let index = index.lock().await;
            out.push(WorkspaceFigures {
                root: root.display().to_string(),
                files: index.notes(),
                chunks: index.chunks().len(),
                vectors: index.embedded(),
                dimensions: index.vectors.dims(),
                model: index.model.clone(),
                indexed_at_ms: index.indexed_at_ms,
            });
        }
        out
    }

    /// One line for `/admin/actors`: the main workspace's figures and the provider's state.
    pub async fn status_line(&self) -> String {
        let figures = self.figures().await;
        let provider = match self.provider() {
            ProviderState::Off => "embeddings off (BM25 alone)".to_string(),
            ProviderState::Unusable { error } => format!("embeddings unusable: {error}"),
            ProviderState::Idle => "embeddings not called yet".to_string(),
            ProviderState::Ready => format!("embeddings ok ({})", self.model().unwrap_or("?")),
            ProviderState::Failing { error, .. } => format!("embeddings failing: {error}"),
        };
        match figures.first() {
            Some(main) => format!(
                "{} files, {} chunks, {} vectors, indexed {}; {provider}",
                main.files,
                main.chunks,
                main.vectors,
                crate::clock::rfc3339(main.indexed_at_ms / 1000)
            ),
            None => format!("nothing indexed yet; {provider}"),
        }
    }
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
