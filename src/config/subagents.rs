//! `agents.defaults.subagents`: the limits of the `sessions_spawn` tool, under OpenClaw's key
//! names (`maxSpawnDepth`, `maxChildrenPerAgent`, `maxConcurrent`, `model`,
//! `runTimeoutSeconds`). The model can spawn sub-agents whenever the tool is offered to it, so
//! these limits are the guard against a run that spawns without end; [`check`] refuses zeros.

use serde::{Deserialize, Serialize};

use super::error::Problem;

/// `agents.defaults.subagents`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct SubagentsConfig {
    /// How deep sub-agents may nest; default 1, OpenClaw's: a session spawns
    /// children, a child cannot spawn. At most 5.
    pub max_spawn_depth: u32,
    /// Children of one session running at once; default 5, OpenClaw's.
    pub max_children_per_agent: u32,
    /// Sub-agents running at once across the gateway; default 8 (OpenClaw's
    /// `subagent` lane). Their model calls also wait for run permits
    /// (`agents.maxConcurrentRuns`) like every run.
    pub max_concurrent: u32,
    /// The model of a child that names none (`provider/model`); default
    /// none: the parent's chain.
    pub model: Option<String>,
    /// Seconds a child may run before it is stopped, when `sessions_spawn`
    /// gives no `runTimeoutSeconds`; default 0: only
    /// `agents.defaults.timeoutSeconds` bounds it.
    pub run_timeout_seconds: u64,
}

/// The deepest nesting `maxSpawnDepth` may ask for.
pub(crate) const MAX_SPAWN_DEPTH: u32 = 5;

impl Default for SubagentsConfig {
    fn default() -> Self {
        SubagentsConfig {
            max_spawn_depth: 1,
            max_children_per_agent: 5,
            max_concurrent: 8,
            model: None,
            run_timeout_seconds: 0,
        }
    }
}

/// Zero counts, a depth past [`MAX_SPAWN_DEPTH`] and an empty model are refused.
pub(crate) fn check(config: &SubagentsConfig, problems: &mut Vec<Problem>) {
    let base = "agents.defaults.subagents";
    if config.max_spawn_depth > MAX_SPAWN_DEPTH {
        problems.push(Problem::new(
            format!("{base}.maxSpawnDepth"),
            format!("must be at most {MAX_SPAWN_DEPTH} (0 turns sub-agents off)"),
        ));
    }
    for (key, value) in [
        ("maxChildrenPerAgent", config.max_children_per_agent),
        ("maxConcurrent", config.max_concurrent),
    ] {
        if value == 0 {
            problems.push(Problem::new(format!("{base}.{key}"), "must be at least 1"));
        }
    }
    if config
        .model
        .as_deref()
        .is_some_and(|model| model.trim().is_empty())
    {
        problems.push(Problem::new(
            format!("{base}.model"),
            "must name a model (provider/model) or be left out",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_openclaws_and_bad_values_name_their_key() {
        let defaults = SubagentsConfig::default();
        assert_eq!(
            (
                defaults.max_spawn_depth,
                defaults.max_children_per_agent,
                defaults.max_concurrent
            ),
            (1, 5, 8)
        );
        let mut problems = Vec::new();
        check(&defaults, &mut problems);
        assert!(problems.is_empty());
        let bad = SubagentsConfig {
            max_spawn_depth: 6,
            max_children_per_agent: 0,
            max_concurrent: 0,
            model: Some(" ".into()),
            run_timeout_seconds: 0,
        };
        check(&bad, &mut problems);
        let keys: Vec<String> = problems.iter().map(|p| p.key.clone()).collect();
        assert_eq!(
            keys,
            [
                "agents.defaults.subagents.maxSpawnDepth",
                "agents.defaults.subagents.maxChildrenPerAgent",
                "agents.defaults.subagents.maxConcurrent",
                "agents.defaults.subagents.model"
            ]
        );
    }
}
