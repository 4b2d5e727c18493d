//! `memory_search` and `memory_get`: the agent's notes, `MEMORY.md` and `memory/**/*.md` in its
//! workspace, as OpenClaw keeps them.
//!
//! Both are thin over `agent::memory`: search asks the [`MemoryService`] for the calling
//! session's workspace (the main one, or a sandboxed session's own folder), which brings that
//! workspace's index up to date and ranks by BM25, merged with embeddings when a provider is
//! configured; `memory_get` reads lines of one note and only opens memory files.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde_json::{json, Value};

use super::fs::blocking;
use super::workspace::{place, place_of, resolve_for, shown};
use super::{args, Tool, ToolContext};
use crate::agent::memory::chunks::is_memory_file;
use crate::agent::memory::reader::read_note;
use crate::agent::memory::{MemoryService, SearchAnswer};
use crate::providers::ToolSpec;

/// `memory_search`.
pub(crate) struct MemorySearch {
    pub service: Arc<MemoryService>,
}

impl Tool for MemorySearch {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "memory_search".into(),
            description: "Search your notes (MEMORY.md and memory/*.md in the workspace) by \
                          keywords and meaning; returns the best matching paragraphs with file, \
                          lines and which signals matched. Read more with memory_get."
                .into(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "query": { "type": "string" },
                    "maxResults": { "type": "integer", "minimum": 1, "maximum": 20 },
                    "minScore": { "type": "number", "minimum": 0 }
                },
                "required": ["query"]
            }),
        }
    }

    fn call(
        &self,
        cx: &ToolContext,
        arguments: Value,
    ) -> BoxFuture<'static, Result<String, String>> {
        let root = cx.workspace.to_path_buf();
        let service = Arc::clone(&self.service);
        Box::pin(async move {
            let query = args::string(&arguments, "query")?.to_string();
            let limit = args::opt_u64(&arguments, "maxResults")?
                .unwrap_or(5)
                .clamp(1, 20);
            let min_score = match arguments.get("minScore") {
                None | Some(Value::Null) => 0.0,
                Some(value) => value
                    .as_f64()
                    .filter(|s| s.is_finite() && *s >= 0.0)
                    .ok_or("minScore must be a number of 0 or more")?,
            };
            let limit = usize::try_from(limit).unwrap_or(5);
            let found = service.search(&root, &query, limit, min_score).await?;
            serde_json::to_string(&SearchAnswer::new(&query, found)).map_err(|e| e.to_string())
        })
    }
}

/// `memory_get`.
pub(crate) struct MemoryGet;

impl Tool for MemoryGet {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "memory_get".into(),
            description: "Read lines of a memory file (MEMORY.md or memory/*.md), e.g. around a \
                          memory_search result."
                .into(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "path": { "type": "string" },
                    "from": { "type": "integer", "minimum": 1 },
                    "lines": { "type": "integer", "minimum": 1 }
                },
                "required": ["path"]
            }),
        }
    }

    fn call(
        &self,
        cx: &ToolContext,
        arguments: Value,
    ) -> BoxFuture<'static, Result<String, String>> {
        let root = cx.workspace.to_path_buf();
        let checked = args::string(&arguments, "path").and_then(|path| resolve_for(cx, path));
        let opened = place_of(cx);
        Box::pin(async move {
            let full = checked?;
            let (real_root, walls) = opened?;
            let path = args::string(&arguments, "path")?.to_string();
            let from = args::opt_u64(&arguments, "from")?.unwrap_or(1).max(1);
            let count = args::opt_u64(&arguments, "lines")?
                .unwrap_or(200)
                .clamp(1, 2000);
            blocking(move || {
                let relative = shown(&root, &full);
                if !is_memory_file(&relative) {
                    return Err(format!(
                        "{path} is not a memory file (MEMORY.md or memory/*.md)"
                    ));
                }
                let text = read_note(place(&real_root, &walls), &full, &relative)?;
                let skip = usize::try_from(from - 1).unwrap_or(usize::MAX);
                let take = usize::try_from(count).unwrap_or(200);
                let lines: Vec<&str> = text.lines().skip(skip).take(take).collect();
                Ok(lines.join("\n"))
            })
            .await
        })
    }
}
