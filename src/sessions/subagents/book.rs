//! The sub-agent records: in memory for readers (the session tools, the operator API) and in
//! `subagents.json` beside the transcripts, written atomically at every change, so the parent of
//! a child, its task and its outcome survive restarts. The limits are checked here, against the
//! records, by the registry actor alone (admission and insertion happen in one of its handlers,
//! so two spawns cannot both take the last place).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::{SubagentRecord, SubagentStatus};
use crate::config::SubagentsConfig;

/// Ended (and announced) records kept for the operator and the `subagents` tool.
pub(crate) const MAX_ENDED_KEPT: usize = 500;

/// The limits of `agents.defaults.subagents`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_spawn_depth: u32,
    pub max_children_per_agent: u32,
    pub max_concurrent: u32,
}

impl From<&SubagentsConfig> for Limits {
    fn from(config: &SubagentsConfig) -> Self {
        Limits {
            max_spawn_depth: config.max_spawn_depth,
            max_children_per_agent: config.max_children_per_agent,
            max_concurrent: config.max_concurrent,
        }
    }
}

/// Why a spawn was refused; the message is what the model reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpawnRefusal {
    #[error(
        "sub-agents may nest {max} deep (agents.defaults.subagents.maxSpawnDepth); this session \
         is at depth {depth} and cannot spawn"
    )]
    TooDeep { depth: u32, max: u32 },
    #[error(
        "this session already has {max} running sub-agents \
         (agents.defaults.subagents.maxChildrenPerAgent); wait for one to finish"
    )]
    TooManyChildren { max: u32 },
    #[error(
        "{max} sub-agents are running in the gateway (agents.defaults.subagents.maxConcurrent); \
         try again when one has finished"
    )]
    TooManyRunning { max: u32 },
    #[error("the task is empty")]
    EmptyTask,
    #[error(
        "a stateless request cannot spawn sub-agents: it has no session their results could \
         come back to (send a session key)"
    )]
    NoSession,
    #[error("cannot record the sub-agent: {0}")]
    Store(String),
    #[error("cannot start the sub-agent: {0}")]
    Start(String),
}

/// Every child ever spawned (until its parent's reset removes nothing: records stay, for the
/// operator's history), by run id.
pub struct SubagentBook {
    path: PathBuf,
    records: Mutex<BTreeMap<String, SubagentRecord>>,
}

impl std::fmt::Debug for SubagentBook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubagentBook")
            .field("path", &self.path)
            .finish()
    }
}

impl SubagentBook {
    /// The book of `dir/subagents.json`. A missing file is an empty book; an unreadable one is
    /// set aside (`subagents.json.corrupt-<ms>`) and logged, so a torn file never stops the
    /// gateway.
    pub fn open(dir: &Path) -> Self {
        let path = dir.join("subagents.json");
        let records = match std::fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice::<Vec<SubagentRecord>>(&bytes) {
                Ok(list) => list.into_iter().map(|r| (r.run_id.clone(), r)).collect(),
                Err(error) => {
                    let aside =
                        path.with_extension(format!("json.corrupt-{}", crate::clock::now_ms()));
                    tracing::warn!(%error, file = %path.display(), aside = %aside.display(),
                        "unreadable sub-agent records set aside");
                    let _ = std::fs::rename(&path, &aside);
                    BTreeMap::new()
                }
            },
            Err(_) => BTreeMap::new(),
        };
        SubagentBook {
            path,
            records: Mutex::new(records),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, SubagentRecord>> {
        self.records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Writes every record (small: one line per child), atomically.
    fn save(&self, records: &BTreeMap<String, SubagentRecord>) -> Result<(), String> {
        let list: Vec<&SubagentRecord> = records.values().collect();
        let bytes = serde_json::to_vec_pretty(&list).map_err(|e| e.to_string())?;
        if let Some(dir) = self.path.parent() {
            crate::fsutil::create_private_dir(dir).map_err(|e| e.to_string())?;
        }
        crate::fsutil::write_private(&self.path, &bytes)
            .map_err(|e| format!("{}: {e}", self.path.display()))
    }

    /// The depth a child of `parent` would have, or why it may not be spawned now.
    pub fn admit(&self, parent: &str, limits: Limits) -> Result<u32, SpawnRefusal> {
        let records = self.lock();
        let depth = records
            .values()
            .find(|r| r.child_session_key == parent)
            .map_or(0, |r| r.depth);
        if depth + 1 > limits.max_spawn_depth {
            return Err(SpawnRefusal::TooDeep {
                depth,
                max: limits.max_spawn_depth,
            });
        }
        let running = || {
            records
                .values()
                .filter(|r| r.status == SubagentStatus::Running)
        };
        if running().filter(|r| r.parent_session_key == parent).count()
            >= limits.max_children_per_agent as usize
        {
            return Err(SpawnRefusal::TooManyChildren {
                max: limits.max_children_per_agent,
            });
        }
        if running().count() >= limits.max_concurrent as usize {
            return Err(SpawnRefusal::TooManyRunning {
                max: limits.max_concurrent,
            });
        }
        Ok(depth + 1)
    }

    /// Adds `record` and writes the file; on failure the book is as before. Beyond
    /// [`MAX_ENDED_KEPT`] ended and announced records, the oldest are forgotten (their child
    /// sessions stay, with their transcripts).
    pub fn insert(&self, record: SubagentRecord) -> Result<(), SpawnRefusal> {
        let mut records = self.lock();
        let run_id = record.run_id.clone();
        records.insert(run_id.clone(), record);
        let mut ended: Vec<(u64, String)> = records
            .values()
            .filter(|r| r.status != SubagentStatus::Running && r.announced)
            .map(|r| (r.created_ms, r.run_id.clone()))
            .collect();
        if ended.len() > MAX_ENDED_KEPT {
            ended.sort();
            for (_, old) in &ended[..ended.len() - MAX_ENDED_KEPT] {
                records.remove(old);
            }
        }
        if let Err(why) = self.save(&records) {
            records.remove(&run_id);
            return Err(SpawnRefusal::Store(why));
        }
        Ok(())
    }

    /// Changes the record of `run_id` with `change` and writes the file; the record as it is
    /// now, `None` when there is no such record. A failed write is logged (memory stays right).
    pub fn update(
        &self,
        run_id: &str,
        change: impl FnOnce(&mut SubagentRecord),
    ) -> Option<SubagentRecord> {
        let mut records = self.lock();
        let record = records.get_mut(run_id)?;
        change(record);
        let now = record.clone();
        if let Err(error) = self.save(&records) {
            tracing::warn!(%error, run = run_id, "cannot write the sub-agent records");
        }
        Some(now)
    }

    /// Ends every running descendant of `parent` as stopped (`why`), and marks every ended
    /// child of it as announced (a reset parent has nobody to tell); the stopped ones' records.
    pub fn stop_descendants(&self, parent: &str, why: &str) -> Vec<SubagentRecord> {
        let mut records = self.lock();
        let mut parents = vec![parent.to_string()];
        let mut stopped = Vec::new();
        while let Some(parent) = parents.pop() {
            for record in records
                .values_mut()
                .filter(|r| r.parent_session_key == parent)
            {
                parents.push(record.child_session_key.clone());
                if record.status == SubagentStatus::Running {
                    record.status = SubagentStatus::Stopped;
                    record.result = Some(why.to_string());
                    record.ended_ms = Some(crate::clock::now_ms());
                    stopped.push(record.clone());
                }
                record.announced = true;
            }
        }
        if let Err(error) = self.save(&records) {
            tracing::warn!(%error, "cannot write the sub-agent records");
        }
        stopped
    }

    /// The record of `run_id`.
    pub fn get(&self, run_id: &str) -> Option<SubagentRecord> {
        self.lock().get(run_id).cloned()
    }

    /// The record whose child session is `key`.
    pub fn by_child(&self, key: &str) -> Option<SubagentRecord> {
        self.lock()
            .values()
            .find(|r| r.child_session_key == key)
            .cloned()
    }

    /// The children of `parent` (every child when `None`), oldest first.
    pub fn list(&self, parent: Option<&str>) -> Vec<SubagentRecord> {
        let mut list: Vec<SubagentRecord> = self
            .lock()
            .values()
            .filter(|r| parent.is_none_or(|p| r.parent_session_key == p))
            .cloned()
            .collect();
        list.sort_by(|a, b| {
            a.created_ms
                .cmp(&b.created_ms)
                .then(a.run_id.cmp(&b.run_id))
        });
        list
    }

    /// How many children are running.
    pub fn running(&self) -> usize {
        self.lock()
            .values()
            .filter(|r| r.status == SubagentStatus::Running)
            .count()
    }
}

#[cfg(test)]
#[path = "book_tests.rs"]
mod tests;
