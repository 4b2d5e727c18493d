//! Memory search: the agent's notes (`MEMORY.md`, `memory/**/*.md` in its workspace) ranked by
//! keywords (BM25) and, when `memory.embeddings` names a provider, by meaning (embeddings),
//! the two merged (`memory.search`).
//!
//! - [`chunks`]: which files are notes, their paragraphs with path and line range, content hashes;
//! - [`bm25`]: the keyword ranking (an inverted index); [`vectors`]: unit vectors in one
//!   contiguous buffer, cosine by brute force; [`hybrid`]: weighted or reciprocal-rank merge;
//! - [`index`]: one workspace's index, re-indexed by stamp and content hash (unchanged
//!   paragraphs keep their vectors); [`store`]: its file in `<state>/memory/`;
//! - [`answer`]: the typed answer the tool and the operator API share;
//! - [`service`]: every workspace's index and the embeddings provider, used by the
//!   `memory_search` / `memory_get` tools (`agent::tools::memory`), the operator API
//!   (`api::memory`) and [`indexer`], the actor `/gateway/tools/memory-index`.

pub mod answer;
pub mod bm25;
pub mod chunks;
pub mod hybrid;
pub mod index;
pub(crate) mod indexer;
pub(crate) mod reader;
pub mod service;
pub mod store;
pub mod vectors;

pub use answer::{SearchAnswer, SearchResult};
pub use index::{Hit, WorkspaceIndex};
pub use service::{Found, MemoryService, ProviderState, WorkspaceFigures};
