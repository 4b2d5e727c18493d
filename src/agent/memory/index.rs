//! One workspace's memory index: its notes (with the stamp and hash that tell a change), their
//! paragraphs, the BM25 index over them and one vector row per paragraph.
//!
//! Re-indexing is by content: a note whose size and modification time are unchanged is not read
//! again; a note that is read is re-chunked only when its hash differs; and a paragraph keeps
//! its vector whenever a paragraph with the same text (hash) had one, wherever it moved, so only
//! new or edited paragraphs are sent to the embeddings provider.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

use super::bm25::Bm25;
use super::chunks::{chunks, content_hash, memory_files, Chunk, ContentHash};
use super::hybrid::{merge, Merged};
use super::vectors::Vectors;
use crate::config::MemorySearchConfig;

/// What tells a changed file without reading it: size and modification time (ns since 1970).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub len: u64,
    pub modified_ns: u64,
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Stamp {
        let modified_ns = meta
            .modified()
            .ok()
            .and_then(|m| m.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
        Stamp {
            len: meta.len(),
            modified_ns,
        }
    }
}

/// One note as indexed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Note {
    pub stamp: Stamp,
    pub hash: ContentHash,
    pub chunks: Vec<Chunk>,
}

/// A search result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub chunk: Chunk,
    /// The merged score (hybrid), or the BM25 score (keywords alone).
    pub score: f64,
    pub text: Option<f64>,
    pub vector: Option<f64>,
}

/// The index of one workspace.
#[derive(Debug, Default, Clone)]
pub struct WorkspaceIndex {
    pub(crate) notes: BTreeMap<String, Note>,
    chunks: Vec<Chunk>,
    hashes: Vec<ContentHash>,
    pub(crate) vectors: Vectors,
    /// The embedding model the vectors came from.
    pub(crate) model: Option<String>,
    bm25: Bm25,
    /// When the index last changed (ms since 1970).
    pub(crate) indexed_at_ms: u64,
}

impl WorkspaceIndex {
    /// An index rebuilt from stored notes and vectors; the vectors are dropped when they do not
    /// fit the notes' paragraphs.
    pub(crate) fn from_parts(
        notes: BTreeMap<String, Note>,
        vectors: Vectors,
        model: Option<String>,
        indexed_at_ms: u64,
    ) -> WorkspaceIndex {
        let mut index = WorkspaceIndex {
            notes,
            model,
            indexed_at_ms,
            ..WorkspaceIndex::default()
        };
        index.rebuild();
        if vectors.rows() == index.chunks.len() {
            index.vectors = vectors;
        }
        index
    }

    /// The paragraphs, in row order.
    pub fn chunks(&self) -> &[Chunk] {
        &self.chunks
    }

    /// How many notes are indexed.
    pub fn notes(&self) -> usize {
        self.notes.len()
    }

    /// How many paragraphs hold a vector.
    pub fn embedded(&self) -> usize {
        self.vectors.filled()
    }

    /// Sets or replaces the note `path` with `text`; true when its paragraphs changed.
    pub fn put_note(&mut self, path: &str, stamp: Stamp, text: &str) -> bool {
        let hash = content_hash(text);
        if let Some(note) = self.notes.get_mut(path) {
            if note.hash == hash {
                note.stamp = stamp;
                return false;
            }
        }
        let note = Note {
            stamp,
            hash,
            chunks: chunks(path, text),
        };
        self.notes.insert(path.to_string(), note);
        true
    }

    /// Makes every note be read again at the next refresh (`pincer memory reindex`): a note
    /// whose text is unchanged still keeps its paragraphs and vectors.
    pub fn forget_stamps(&mut self) {
        for note in self.notes.values_mut() {
            note.stamp = Stamp::default();
        }
    }

    /// Brings the index up to date with the memory files under `root`, reading with `read`
    /// (workspace-relative path shown, full path) only the files whose stamp changed. Returns
    /// whether any paragraph changed; the BM25 index and vector rows are rebuilt then.
    pub fn refresh(
        &mut self,
        root: &Path,
        read: &dyn Fn(&Path, &str) -> Result<String, String>,
    ) -> bool {
        let mut seen = Vec::new();
        let mut changed = false;
        for file in memory_files(root) {
            let shown = file
                .strip_prefix(root)
                .unwrap_or(&file)
                .display()
                .to_string();
            let Ok(meta) = std::fs::metadata(&file) else {
                continue;
            };
            let stamp = Stamp::of(&meta);
            seen.push(shown.clone());
            if self.notes.get(&shown).is_some_and(|n| n.stamp == stamp) {
                continue;
            }
            match read(&file, &shown) {
                Ok(text) => changed |= self.put_note(&shown, stamp, &text),
                Err(error) => {
                    tracing::debug!(%error, note = %shown, "memory note not indexed");
                    changed |= self.notes.remove(&shown).is_some();
                    seen.pop();
                }
            }
        }
        let before = self.notes.len();
        self.notes.retain(|path, _| seen.contains(path));
        changed |= self.notes.len() != before;
        if changed {
            self.rebuild();
        }
        changed
    }

    /// Rebuilds the flat paragraph list, BM25 and the vector rows (reusing vectors by hash).
    pub fn rebuild(&mut self) {
        let old: HashMap<ContentHash, usize> = self
            .hashes
            .iter()
            .enumerate()
            .filter(|(row, _)| self.vectors.has(*row))
            .map(|(row, hash)| (*hash, row))
            .collect();
        let chunks: Vec<Chunk> = self
            .notes
            .values()
            .flat_map(|n| n.chunks.iter().cloned())
            .collect();
        let hashes: Vec<ContentHash> = chunks.iter().map(|c| content_hash(&c.text)).collect();
        let mut vectors = Vectors::with_rows(self.vectors.dims(), chunks.len());
        for (row, hash) in hashes.iter().enumerate() {
            if let Some(vector) = old.get(hash).and_then(|&r| self.vectors.get(r)) {
                vectors.set(row, vector);
            }
        }
        self.bm25 = Bm25::build(chunks.iter().map(|c| c.text.as_str()));
        self.chunks = chunks;
        self.hashes = hashes;
        self.vectors = vectors;
        self.indexed_at_ms = now_ms();
    }

    /// Drops every vector when they came from another model than `model`.
    pub fn use_model(&mut self, model: &str) {
        if self.model.as_deref() != Some(model) {
            self.vectors = Vectors::with_rows(0, self.chunks.len());
            self.model = Some(model.to_string());
        }
    }

    /// The rows without a vector and their text: what must be embedded.
    pub fn pending(&self) -> Vec<(usize, String)> {
        (0..self.chunks.len())
            .filter(|&row| !self.vectors.has(row))
            .map(|row| (row, self.chunks[row].text.clone()))
            .collect()
    }

    /// Stores `vectors[i]` as row `rows[i]`. A length other than the stored rows' drops those
    /// (the model changed its output): the index never mixes lengths.
    pub fn fill(&mut self, rows: &[usize], vectors: &[Vec<f32>]) {
        let Some(dims) = vectors.first().map(Vec::len) else {
            return;
        };
        if self.vectors.dims() != dims || self.vectors.rows() != self.chunks.len() {
            self.vectors = Vectors::with_rows(dims, self.chunks.len());
        }
        for (&row, vector) in rows.iter().zip(vectors) {
            self.vectors.set(row, vector);
        }
        self.indexed_at_ms = now_ms();
    }

    /// The best paragraphs for `query`: BM25 alone when `query_vector` is `None` (raw scores),
    /// else merged with the nearest vectors by `settings`. Results scoring below `min_score`
    /// are left out.
    pub fn search(
        &self,
        query: &str,
        query_vector: Option<&[f32]>,
        settings: &MemorySearchConfig,
        limit: usize,
        min_score: f64,
    ) -> Vec<Hit> {
        let candidates = (limit * 4).max(20);
        let text = self.bm25.rank(query, candidates);
        let merged: Vec<Merged> = match query_vector {
            Some(vector) => {
                let nearest = self.vectors.nearest(vector, candidates);
                merge(&text, &nearest, settings, limit)
            }
            None => text
                .iter()
                .take(limit)
                .map(|&(row, score)| Merged {
                    row,
                    score,
                    text: Some(score),
                    vector: None,
                })
                .collect(),
        };
        merged
            .into_iter()
            .filter(|m| m.score >= min_score)
            .filter_map(|m| {
                Some(Hit {
                    chunk: self.chunks.get(m.row)?.clone(),
                    score: m.score,
                    text: m.text,
                    vector: m.vector,
                })
            })
            .collect()
    }
}

pub(crate) use crate::clock::now_ms;

#[cfg(test)]
mod tests {
    use super::*;

    fn read(file: &Path, _shown: &str) -> Result<String, String> {
        std::fs::read_to_string(file).map_err(|e| e.to_string())
    }

    #[test]
    fn unchanged_paragraphs_keep_their_vectors_and_only_new_ones_are_pending() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("memory")).unwrap();
        std::fs::write(dir.path().join("MEMORY.md"), "alpha one\n\nbeta two\n").unwrap();
        let mut index = WorkspaceIndex::default();
        assert!(index.refresh(dir.path(), &read));
        assert!(!index.refresh(dir.path(), &read), "nothing changed");
        index.use_model("m");
        let pending = index.pending();
        assert_eq!(pending.len(), 2);
        let rows: Vec<usize> = pending.iter().map(|p| p.0).collect();
        index.fill(&rows, &[vec![1.0, 0.0], vec![0.0, 1.0]]);
        assert!(index.pending().is_empty());

        // Edit one paragraph, add a note: only those are pending.
        std::fs::write(dir.path().join("MEMORY.md"), "alpha one\n\nbeta changed\n").unwrap();
        std::fs::write(dir.path().join("memory/x.md"), "gamma\n").unwrap();
        assert!(index.refresh(dir.path(), &read));
        let texts: Vec<String> = index.pending().into_iter().map(|p| p.1).collect();
        assert_eq!(texts, ["beta changed", "gamma"]);
        assert_eq!(index.embedded(), 1, "alpha kept its vector");

        // A removed note leaves; another model drops every vector.
        std::fs::remove_file(dir.path().join("memory/x.md")).unwrap();
        assert!(index.refresh(dir.path(), &read));
        assert_eq!(index.notes(), 1);
        index.use_model("other");
        assert_eq!(index.embedded(), 0);
    }

    #[test]
    fn keyword_search_alone_gives_raw_bm25_scores() {
        let mut index = WorkspaceIndex::default();
        index.put_note("MEMORY.md", Stamp::default(), "the red car\n\nblue sky\n");
        index.rebuild();
        let hits = index.search("car", None, &MemorySearchConfig::default(), 5, 0.0);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].chunk.text, "the red car");
        assert_eq!(hits[0].vector, None);
        assert_eq!(Some(hits[0].score), hits[0].text);
        let high = index.search("car", None, &MemorySearchConfig::default(), 5, 100.0);
        assert!(high.is_empty(), "minScore filters");
    }
}
