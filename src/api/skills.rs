//! `skills.status` (WS, OpenClaw's name; `GET /admin/skills`, `pincer skills list|check`): every
//! skill found, in priority order, with its source, path, whether it is offered to the model and,
//! if not, why.
//!
//! The running gateway answers from its current snapshot (what the next run's prompt lists); the
//! CLI without a gateway loads the same folders with the same functions ([`report`]).

use serde::{Deserialize, Serialize};

use super::{ApiError, Operator};
use crate::agent::skills::{Snapshot, Source};

/// `skills.status`: every skill, or the one named.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkillsStatusRequest {
    /// Only the skills of this name (every source's); `NOT_FOUND` when there is none.
    #[serde(default)]
    pub name: Option<String>,
}

/// The skills as the gateway sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkillsStatus {
    pub skills: Vec<SkillStatusEntry>,
    /// How many are offered to the model.
    pub eligible: usize,
    /// The list's version: 1 at start, one more per reload.
    pub version: u64,
    /// The sources, highest priority first.
    pub sources: Vec<SkillSource>,
}

/// One source folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkillSource {
    pub source: String,
    pub dir: String,
}

/// One skill folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkillStatusEntry {
    pub name: String,
    pub description: String,
    /// `workspace`, `managed` or `extra`.
    pub source: String,
    /// Its `SKILL.md`.
    pub path: String,
    /// Offered to the model (to unsandboxed sessions).
    pub eligible: bool,
    /// Why not, when not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emoji: Option<String>,
    /// False when `skills.entries.<name>.enabled` is false.
    pub enabled: bool,
    /// A skill of the same name in a higher source wins over this one.
    pub shadowed: bool,
    /// The variable its `apiKey` fills.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_env: Option<String>,
}

/// The answer for `snapshot` read from `roots`, narrowed to `name` when given.
pub(crate) fn report(
    snapshot: &Snapshot,
    roots: &[(Source, std::path::PathBuf)],
    name: Option<&str>,
) -> Result<SkillsStatus, ApiError> {
    use crate::agent::skills::SkillState;
    let skills: Vec<SkillStatusEntry> = snapshot
        .skills
        .iter()
        .filter(|skill| name.is_none_or(|name| skill.name == name))
        .map(|skill| SkillStatusEntry {
            name: skill.name.clone(),
            description: skill.description.clone(),
            source: skill.source.label().to_string(),
            path: skill.file.display().to_string(),
            eligible: skill.eligible(),
            reason: skill.state.reason(),
            emoji: skill.meta.emoji.clone(),
            enabled: skill.state != SkillState::Disabled,
            shadowed: matches!(skill.state, SkillState::Shadowed(_)),
            primary_env: skill.meta.primary_env.clone(),
        })
        .collect();
    if let Some(name) = name {
        if skills.is_empty() {
            return Err(ApiError::NotFound(format!("no skill named {name:?}")));
        }
    }
    Ok(SkillsStatus {
        eligible: skills.iter().filter(|s| s.eligible).count(),
        skills,
        version: snapshot.version,
        sources: roots
            .iter()
            .map(|(source, dir)| SkillSource {
                source: source.label().to_string(),
                dir: dir.display().to_string(),
            })
            .collect(),
    })
}

impl Operator {
    /// `skills.status` (the current snapshot: nothing is read from disk).
    pub async fn skills_status(
        &self,
        request: SkillsStatusRequest,
    ) -> Result<SkillsStatus, ApiError> {
        let catalog = self
            .engine
            .tools
            .skills()
            .ok_or_else(|| ApiError::NotRunning("this gateway loads no skills".into()))?;
        let name = request
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty());
        report(&catalog.current(), &catalog.inputs().roots, name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::skills::catalog::{load, SkillInputs};
    use crate::config::Config;

    #[test]
    fn the_report_lists_reasons_and_narrows_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let managed = dir.path().join("skills/needs");
        std::fs::create_dir_all(&managed).unwrap();
        std::fs::write(
            managed.join("SKILL.md"),
            "---\nname: needs\ndescription: d\nmetadata: {\"openclaw\":{\"emoji\":\"🔧\",\"requires\":{\"bins\":[\"no-such-bin-x\"]}}}\n---\n",
        )
        .unwrap();
        let inputs = SkillInputs::from_config(&Config::default(), dir.path());
        let snapshot = load(&inputs, 1);
        let all = report(&snapshot, &inputs.roots, None).unwrap();
        assert_eq!(all.skills.len(), 1);
        let entry = &all.skills[0];
        assert!(!entry.eligible && entry.enabled && !entry.shadowed);
        assert_eq!(
            entry.reason.as_deref(),
            Some("missing on PATH: no-such-bin-x")
        );
        assert_eq!(entry.emoji.as_deref(), Some("🔧"));
        assert_eq!(all.sources[1].source, "managed");
        assert!(matches!(
            report(&snapshot, &inputs.roots, Some("other")),
            Err(ApiError::NotFound(_))
        ));
    }
}
