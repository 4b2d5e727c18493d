//! `engine`: how many threads the gateway's actors use.
//!
//! The gateway starts its supervision tree on the main arbiter and places the busy actors (session
//! actors, their runs and tool calls, channel actors) on a set of engine arbiters, one thread
//! each. This section sizes that set; see `docs/architecture.md`, "Threads".

use serde::{Deserialize, Serialize};

use super::error::Problem;

/// The most engine threads accepted: far beyond any machine a personal gateway runs on, low
/// enough that a typo (`threads: 10000`) is refused rather than starting ten thousand threads.
pub(crate) const MAX_ENGINE_THREADS: u32 = 256;

/// `engine`: the engine's threads.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct EngineConfig {
    /// Engine arbiters (threads) for sessions, runs, tool calls and channels; 0 (the default)
    /// means one per core the process may use.
    pub threads: u32,
}

impl EngineConfig {
    /// The number of engine threads to start: `threads`, or the usable cores when it is 0.
    pub fn thread_count(&self) -> usize {
        match self.threads {
            0 => std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
            n => usize::try_from(n).unwrap_or(1),
        }
    }
}

/// Checks the section.
pub(crate) fn check(engine: &EngineConfig, problems: &mut Vec<Problem>) {
    if engine.threads > MAX_ENGINE_THREADS {
        problems.push(Problem::new(
            "engine.threads",
            format!(
                "{} is more than {MAX_ENGINE_THREADS}; use 0 for one thread per core",
                engine.threads
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_means_one_thread_per_core_and_a_huge_count_is_refused() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(EngineConfig { threads: 0 }.thread_count(), cores);
        assert_eq!(EngineConfig { threads: 3 }.thread_count(), 3);
        let mut problems = Vec::new();
        check(&EngineConfig { threads: 4 }, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        check(&EngineConfig { threads: 100_000 }, &mut problems);
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].to_string().contains("engine.threads"),
            "{problems:?}"
        );
    }
}
