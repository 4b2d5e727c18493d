//! The built-in tools, built from the config: their limits, the shared process table, the
//! `web_fetch` cache and its janitor, the media retention sweep and the memory indexer (children
//! of `/gateway/tools`).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use pincer_actors::ChildSpec;

use super::current_time::CurrentTime;
use super::exec::processes::{ProcessTable, ProcessTool};
use super::exec::spawn::Settings;
use super::exec::Exec;
use super::fs::{Edit, Limits, Read, Write};
use super::memory::{MemoryGet, MemorySearch};
use super::message::Message;
use super::patch::ApplyPatch;
use super::sessions::{SessionStatus, SessionsHistory, SessionsList, SessionsSend};
use super::spawn::SessionsSpawn;
use super::subagents::SubagentsTool;
use super::web::WebFetch;
use super::ToolRegistry;
use crate::agent::memory::MemoryService;
use crate::cache::{janitor_spec, MultiLevelCache};
use crate::config::Config;

/// How often the cache janitor sweeps expired entries (the seed's minute).
const CACHE_SWEEP: Duration = Duration::from_secs(60);

/// The built-ins and what the gateway must keep of them.
pub(crate) struct Builtins {
    pub registry: ToolRegistry,
    /// Background commands, killed at shutdown.
    pub processes: Arc<ProcessTable>,
    /// Static children of `/gateway/tools` (the cache janitor, the media retention).
    pub children: Vec<ChildSpec>,
}

/// Every built-in tool, configured by `config`, with state under `state_dir`; the memory tools
/// search through `memory`.
pub(crate) fn build(config: &Config, state_dir: &Path, memory: Arc<MemoryService>) -> Builtins {
    let tools = &config.tools;
    let limits = Limits::from(&tools.fs);
    let processes = Arc::new(ProcessTable::new(tools.exec.max_processes));
    let settings = Arc::new(Settings {
        timeout: Duration::from_millis(tools.exec.timeout.max(1)),
        background_timeout: Duration::from_millis(tools.exec.background_timeout.max(1)),
        max_output: usize::try_from(tools.exec.max_output_bytes).unwrap_or(usize::MAX),
        confine: tools.exec.sandbox,
        tmp_dir: state_dir.join("tmp").join("exec"),
        secret_env: config
            .models
            .providers
            .values()
            .filter_map(|p| p.api_key_env.clone())
            .collect(),
        base_env: None,
    });
    let mut children = Vec::new();
    let cache = (tools.web_fetch.cache_ttl > 0).then(|| {
        let cache = Arc::new(MultiLevelCache::new(
            state_dir.join("cache").join("web_fetch"),
            Duration::from_millis(tools.web_fetch.cache_ttl),
            usize::try_from(tools.web_fetch.cache_memory_bytes).unwrap_or(usize::MAX),
        ));
        children.push(janitor_spec("web-cache", Arc::clone(&cache), CACHE_SWEEP));
        cache
    });
    if config.media.retention_days > 0 {
        children.push(crate::agent::media::retention::retention_spec(
            state_dir.join("media"),
            config.media.retention_days,
        ));
    }
    children.push(crate::agent::memory::indexer::indexer_spec(Arc::clone(
        &memory,
    )));
    let mut registry = ToolRegistry::default();
    registry.register(Arc::new(CurrentTime));
    registry.register(Arc::new(Read { limits }));
    registry.register(Arc::new(Write { limits }));
    registry.register(Arc::new(Edit { limits }));
    registry.register(Arc::new(ApplyPatch { limits }));
    registry.register(Arc::new(Exec {
        settings,
        table: Arc::clone(&processes),
    }));
    registry.register(Arc::new(ProcessTool {
        table: Arc::clone(&processes),
    }));
    registry.register(Arc::new(SessionsList));
    registry.register(Arc::new(SessionsHistory));
    registry.register(Arc::new(SessionsSend));
    registry.register(Arc::new(SessionStatus));
    registry.register(Arc::new(SessionsSpawn));
    registry.register(Arc::new(SubagentsTool));
    registry.register(Arc::new(WebFetch::new(tools.web_fetch.clone(), cache)));
    registry.register(Arc::new(MemorySearch { service: memory }));
    registry.register(Arc::new(MemoryGet));
    registry.register(Arc::new(Message::new(&tools.message)));
    Builtins {
        registry,
        processes,
        children,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::agent::tools::policy::builtin_names;

    /// A memory service without embeddings over `dir`.
    pub(crate) fn test_memory(dir: &Path) -> Arc<MemoryService> {
        Arc::new(MemoryService::new(
            dir.join("memory-index"),
            dir.to_path_buf(),
            Arc::new(crate::agent::tools::walls::Walls::none()),
            Ok(None),
            crate::config::MemorySearchConfig::default(),
        ))
    }

    #[test]
    fn every_listed_builtin_is_registered_and_vice_versa() {
        let dir = tempfile::tempdir().unwrap();
        let built = build(&Config::default(), dir.path(), test_memory(dir.path()));
        let registered: Vec<&str> = built.registry.names().collect();
        let mut listed: Vec<&str> = builtin_names().collect();
        listed.sort_unstable();
        assert_eq!(registered, listed);
        assert_eq!(
            built.children.len(),
            3,
            "the cache janitor, the media retention and the memory indexer"
        );
    }
}
