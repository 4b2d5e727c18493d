//! `pincer debug memory`: the seed's `DebuggingTools.profileMemory` for the running gateway.
//!
//! The seed read V8's heap statistics. A Rust gateway has no managed heap; its memory is what
//! the kernel accounts to the process (`/proc/<pid>/status` and `smaps_rollup`, see
//! [`super::procfs`]) and what holds it is the actors: sessions above all, bounded by
//! `agents.sessionCacheSize`. [`MemoryProfile::build`] joins the kernel's figures with the
//! gateway's own answers (`/admin/actors?flat=1`, `/admin/metrics`).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::procfs::{ProcStatus, SmapsRollup};

/// Actor counts, by kind and state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ActorCounts {
    pub total: u64,
    /// kind → state (`running`, `stopped`, ...) → count.
    pub by_kind: BTreeMap<String, BTreeMap<String, u64>>,
}

impl ActorCounts {
    /// Counts the actors of an `/admin/actors?flat=1` answer.
    pub(crate) fn from_flat(answer: &Value) -> ActorCounts {
        let mut counts = ActorCounts::default();
        for actor in answer["actors"].as_array().into_iter().flatten() {
            let kind = actor["kind"].as_str().unwrap_or("unknown").to_string();
            let state = actor["state"].as_str().unwrap_or("unknown").to_string();
            *counts
                .by_kind
                .entry(kind)
                .or_default()
                .entry(state)
                .or_default() += 1;
            counts.total += 1;
        }
        counts
    }

    /// Actors of `kind` in `state`.
    pub(crate) fn count(&self, kind: &str, state: &str) -> u64 {
        self.by_kind
            .get(kind)
            .and_then(|states| states.get(state))
            .copied()
            .unwrap_or(0)
    }
}

/// Sessions in memory against the cache bound.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SessionMemory {
    /// Session actors running now.
    pub live: u64,
    /// `agents.sessionCacheSize`: beyond it, idle sessions are evicted.
    pub cache_size: u32,
}

/// The profile.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MemoryProfile {
    pub pid: u32,
    pub url: String,
    /// From `/proc/<pid>/status`; `None` off Linux or for another user's process.
    pub process: Option<ProcStatus>,
    /// From `/proc/<pid>/smaps_rollup`, when the kernel has it.
    pub smaps_rollup: Option<SmapsRollup>,
    /// `agents.memoryLimit` in MB: the memory guard sheds load above 80% of it.
    pub memory_limit_mb: u64,
    pub actors: ActorCounts,
    pub sessions: SessionMemory,
    /// The gateway's `/admin/metrics` answer as it came (its sampler's RSS and rates).
    pub metrics: Value,
}

/// What the gateway and the kernel said, for [`MemoryProfile::build`].
pub(crate) struct ProfileInputs<'a> {
    pub pid: u32,
    pub url: &'a str,
    pub process: Option<ProcStatus>,
    pub smaps_rollup: Option<SmapsRollup>,
    pub actors_flat: &'a Value,
    pub metrics: Value,
    pub session_cache_size: u32,
    pub memory_limit_mb: u64,
}

impl MemoryProfile {
    /// Joins the inputs into the profile.
    pub(crate) fn build(inputs: ProfileInputs<'_>) -> MemoryProfile {
        let actors = ActorCounts::from_flat(inputs.actors_flat);
        let live = actors.count("session", "running");
        MemoryProfile {
            pid: inputs.pid,
            url: inputs.url.to_string(),
            process: inputs.process,
            smaps_rollup: inputs.smaps_rollup,
            memory_limit_mb: inputs.memory_limit_mb,
            sessions: SessionMemory {
                live,
                cache_size: inputs.session_cache_size,
            },
            actors,
            metrics: inputs.metrics,
        }
    }

    /// Resident memory: the kernel's figure, else the gateway's own sample.
    pub(crate) fn rss_bytes(&self) -> Option<u64> {
        self.process
            .as_ref()
            .and_then(|p| p.vm_rss_bytes)
            .or_else(|| self.metrics["process"]["rssBytes"].as_u64())
    }

    /// RSS as a fraction of `agents.memoryLimit`.
    pub(crate) fn limit_usage(&self) -> Option<f64> {
        let limit = self.memory_limit_mb.checked_mul(1024 * 1024)?;
        (limit > 0).then(|| self.rss_bytes().unwrap_or(0) as f64 / limit as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn actors_are_counted_by_kind_and_state() {
        let flat = json!({ "count": 5, "actors": [
            { "kind": "supervisor", "state": "running" },
            { "kind": "session", "state": "running" },
            { "kind": "session", "state": "running" },
            { "kind": "session", "state": "stopped" },
            { "kind": "web", "state": "restarting" },
        ]});
        let profile = MemoryProfile::build(ProfileInputs {
            pid: 7,
            url: "http://127.0.0.1:1",
            process: Some(ProcStatus {
                vm_rss_bytes: Some(100 << 20),
                ..ProcStatus::default()
            }),
            smaps_rollup: None,
            actors_flat: &flat,
            metrics: json!({ "process": { "rssBytes": 1 } }),
            session_cache_size: 100,
            memory_limit_mb: 512,
        });
        assert_eq!(profile.actors.total, 5);
        assert_eq!(profile.actors.count("session", "running"), 2);
        assert_eq!(profile.actors.count("session", "stopped"), 1);
        assert_eq!(profile.actors.count("web", "restarting"), 1);
        assert_eq!(profile.sessions.live, 2);
        assert_eq!(profile.sessions.cache_size, 100);
        assert_eq!(profile.rss_bytes(), Some(100 << 20));
        let usage = profile.limit_usage().expect("limit");
        assert!((usage - 100.0 / 512.0).abs() < 1e-9);
        let value = serde_json::to_value(&profile).expect("json");
        assert_eq!(value["actors"]["byKind"]["session"]["running"], 2);
        assert_eq!(value["process"]["vmRssBytes"], 100 << 20);
    }

    #[test]
    fn rss_falls_back_to_the_gateways_sample() {
        let profile = MemoryProfile::build(ProfileInputs {
            pid: 7,
            url: "u",
            process: None,
            smaps_rollup: None,
            actors_flat: &json!({}),
            metrics: json!({ "process": { "rssBytes": 4096 } }),
            session_cache_size: 10,
            memory_limit_mb: 0,
        });
        assert_eq!(profile.rss_bytes(), Some(4096));
        assert_eq!(profile.limit_usage(), None);
        assert_eq!(profile.actors.total, 0);
    }
}
