//! Which skills one run uses, and what that gives its tool calls.
//!
//! A run *uses* a skill once it has read that skill's `SKILL.md` with the `read` tool. From then
//! on (for the rest of that run only) its `exec` commands get the skill's variables
//! (`skills.entries.<name>.env`, and `apiKey` as its `primaryEnv`) and may read the skill's folder
//! when it lies outside the workspace. The gateway's own environment never changes, and another
//! run (another session, or the next turn) starts with no skill in use. A [`SkillUse`] lives in
//! the run's `ToolContext`, made with the current snapshot at the run's first tool call; an
//! attempt restarted mid-turn replays the earlier attempt's persisted reads ([`SkillUse::replay`]).
//!
//! The read tool may also open files of an eligible managed or extra skill's folder (read only)
//! although they lie outside the workspace: the prompt lists those paths. Workspace skills are
//! read as any workspace file; files the walls protect stay refused.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::{Snapshot, Source};
use crate::providers::ChatMessage;

/// One run's skills.
#[derive(Debug)]
pub struct SkillUse {
    snapshot: Arc<Snapshot>,
    used: Mutex<BTreeSet<String>>,
}

impl SkillUse {
    pub fn new(snapshot: Arc<Snapshot>) -> Self {
        SkillUse {
            snapshot,
            used: Mutex::new(BTreeSet::new()),
        }
    }

    fn used_names(&self) -> std::sync::MutexGuard<'_, BTreeSet<String>> {
        self.used.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Notes that the run read `file` (canonical): when it is an eligible skill's `SKILL.md`,
    /// the run uses that skill from now on. Returns the skill's name if so.
    pub fn note_read(&self, file: &Path) -> Option<String> {
        let skill = self.snapshot.located().iter().find(|l| l.file == file)?;
        self.used_names().insert(skill.name.clone());
        Some(skill.name.clone())
    }

    /// Notes the skills an earlier attempt of the same turn read: its persisted `read` calls
    /// that succeeded (`messages`, paths relative to `workspace` or absolute). A run restarted
    /// mid-turn continues from its persisted steps, so without this it would lose their env.
    pub fn replay(&self, workspace: &Path, messages: &[ChatMessage]) {
        for message in messages {
            let ChatMessage::Assistant { tool_calls, .. } = message else {
                continue;
            };
            for call in tool_calls.iter().filter(|call| call.name == "read") {
                let succeeded = messages.iter().any(|m| {
                    matches!(m, ChatMessage::Tool { call_id, is_error: false, .. } if *call_id == call.id)
                });
                let Some(path) = call.arguments["path"].as_str().filter(|_| succeeded) else {
                    continue;
                };
                if let Ok(real) = workspace.join(path).canonicalize() {
                    self.note_read(&real);
                }
            }
        }
    }

    /// The skills the run uses, by name.
    pub fn used(&self) -> Vec<String> {
        self.used_names().iter().cloned().collect()
    }

    /// The variables of the used skills, for an `exec` command (values exposed here only).
    pub fn env(&self) -> Vec<(String, String)> {
        self.used_names()
            .iter()
            .flat_map(|name| self.snapshot.env_of(name))
            .map(|(var, value)| (var.clone(), value.expose().to_string()))
            .collect()
    }

    /// The folder of an eligible managed or extra skill containing the file `path` (absolute),
    /// with the file, both canonical; `None` when no such skill holds it.
    pub fn outside_file(&self, path: &str) -> Option<(PathBuf, PathBuf)> {
        let given = Path::new(path);
        if !given.is_absolute() {
            return None;
        }
        let real = given.canonicalize().ok()?;
        self.snapshot
            .located()
            .iter()
            .filter(|l| l.source != Source::Workspace)
            .find(|l| real.starts_with(&l.dir))
            .map(|l| (real.clone(), l.dir.clone()))
    }

    /// The folders of the used managed and extra skills (canonical), which `exec` may read.
    pub fn read_roots(&self) -> Vec<PathBuf> {
        let used = self.used_names();
        self.snapshot
            .located()
            .iter()
            .filter(|l| l.source != Source::Workspace && used.contains(&l.name))
            .map(|l| l.dir.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::skills::catalog::{load, SkillInputs};
    use crate::config::{Config, Secret, SkillEntry};

    #[test]
    fn only_a_read_skill_gives_its_env_and_only_its_folder_opens() {
        let dir = tempfile::tempdir().unwrap();
        let managed = dir.path().join("skills");
        for name in ["one", "two"] {
            std::fs::create_dir_all(managed.join(name)).unwrap();
            std::fs::write(
                managed.join(name).join("SKILL.md"),
                format!("---\nname: {name}\ndescription: d\n---\n"),
            )
            .unwrap();
        }
        std::fs::write(managed.join("one/notes.txt"), "x").unwrap();
        let mut config = Config::default();
        for (name, value) in [("one", "1"), ("two", "2")] {
            let mut entry = SkillEntry::default();
            entry
                .env
                .insert(format!("{}_VAR", name.to_uppercase()), Secret::new(value));
            config.skills.entries.insert(name.into(), entry);
        }
        let snapshot = Arc::new(load(&SkillInputs::from_config(&config, dir.path()), 1));
        let usage = SkillUse::new(snapshot);
        assert!(usage.env().is_empty());
        let one = managed.join("one/SKILL.md").canonicalize().unwrap();
        assert_eq!(
            usage.note_read(&managed.join("one/notes.txt").canonicalize().unwrap()),
            None
        );
        assert_eq!(usage.note_read(&one).as_deref(), Some("one"));
        assert_eq!(usage.env(), [("ONE_VAR".to_string(), "1".to_string())]);
        assert_eq!(
            usage.read_roots(),
            [managed.join("one").canonicalize().unwrap()]
        );
        let notes = managed.join("one/notes.txt");
        assert!(usage.outside_file(notes.to_str().unwrap()).is_some());
        assert!(usage.outside_file("one/notes.txt").is_none());
        assert!(usage
            .outside_file(dir.path().join("other").to_str().unwrap())
            .is_none());

        // A restarted attempt finds the read of the earlier one in the turn's messages.
        let again = SkillUse::new(Arc::clone(&usage.snapshot));
        let read = |id: &str, path: &str| ChatMessage::Assistant {
            text: String::new(),
            tool_calls: vec![crate::providers::ToolCall {
                id: id.into(),
                name: "read".into(),
                arguments: serde_json::json!({ "path": path }),
            }],
        };
        let result = |id: &str, is_error: bool| ChatMessage::Tool {
            call_id: id.into(),
            name: "read".into(),
            content: String::new(),
            is_error,
        };
        let two = managed.join("two/SKILL.md").display().to_string();
        again.replay(dir.path(), &[read("a", &two), result("a", true)]);
        assert!(again.used().is_empty(), "a failed read uses nothing");
        again.replay(dir.path(), &[read("b", &two), result("b", false)]);
        assert_eq!(again.used(), ["two"]);
    }
}
