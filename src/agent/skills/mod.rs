//! Skills, in the AgentSkills / OpenClaw format: folders that teach the model a task.
//!
//! A skill is a folder with a `SKILL.md` whose YAML front matter names it (`name`,
//! `description`) and may gate it (`metadata.openclaw`: `requires.bins|anyBins|env|config`, `os`,
//! `always`, and `primaryEnv`, `emoji`). The body is instructions the model reads when the skill
//! applies. The gateway never runs anything of a skill; it only lists it.
//!
//! - [`frontmatter`]: the bounded front-matter parser; [`metadata`]: the `openclaw` object;
//! - [`discover`]: the sources in priority order (`<workspace>/skills`, `<state>/skills`,
//!   `skills.load.extraDirs`), a same-named skill of a lower source listed as shadowed;
//! - [`eligibility`]: requirements against PATH, the environment, the config and the OS, each
//!   ineligible skill with its reason;
//! - [`prompt`]: the `<available_skills>` block of the system prompt, capped;
//! - [`catalog`]: the current list, shared by the runs, the operator API and the poller task
//!   `/gateway/tools/skills` that reloads it when the folders change;
//! - [`usage`]: per run, which skills it read, so that only that run's `exec` calls get their
//!   `env` (and the read tool may open their files outside the workspace).

pub mod catalog;
pub mod discover;
pub mod eligibility;
pub mod frontmatter;
pub mod metadata;
pub mod prompt;
pub mod usage;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use catalog::{SkillCatalog, SkillInputs, Snapshot};
pub use metadata::OpenClawMeta;
pub use usage::SkillUse;

/// The file that makes a folder a skill.
pub const SKILL_FILE: &str = "SKILL.md";

/// Where a skill was found, highest priority first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// `<workspace>/skills`: the agent's own (and what the model may have written).
    Workspace,
    /// `<state>/skills`: installed by `pincer skills install`.
    Managed,
    /// `skills.load.extraDirs`.
    Extra,
}

impl Source {
    /// The name shown to operators.
    pub fn label(self) -> &'static str {
        match self {
            Source::Workspace => "workspace",
            Source::Managed => "managed",
            Source::Extra => "extra",
        }
    }
}

/// Whether a skill is offered to the model, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkillState {
    /// Offered (when the session may see skills).
    Eligible,
    /// A requirement is unmet; the reason names it.
    Ineligible(String),
    /// `skills.entries.<name>.enabled: false`.
    Disabled,
    /// The `SKILL.md` does not read (no front matter, no name, bad metadata, too large).
    Invalid(String),
    /// A skill of the same name in a higher-priority source wins.
    Shadowed(Source),
}

impl SkillState {
    /// Why the skill is not offered; `None` when it is.
    pub fn reason(&self) -> Option<String> {
        match self {
            SkillState::Eligible => None,
            SkillState::Ineligible(reason) | SkillState::Invalid(reason) => Some(reason.clone()),
            SkillState::Disabled => Some("disabled (skills.entries.<name>.enabled: false)".into()),
            SkillState::Shadowed(by) => Some(format!(
                "shadowed by the skill of the same name in the {} source",
                by.label()
            )),
        }
    }
}

/// One skill folder as loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skill {
    /// The front matter's `name` (the folder's name when the file does not read).
    pub name: String,
    pub description: String,
    pub source: Source,
    /// The skill's folder.
    pub dir: PathBuf,
    /// Its `SKILL.md`.
    pub file: PathBuf,
    pub meta: OpenClawMeta,
    pub state: SkillState,
}

impl Skill {
    pub fn eligible(&self) -> bool {
        self.state == SkillState::Eligible
    }
}

/// Whether `name` may name a skill: 1 to 64 of letters, digits, `-`, `_`, `.`, starting with a
/// letter or digit (it becomes a folder name under `<state>/skills` and a config key).
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 64
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The longest description kept (the AgentSkills limit); longer ones are cut.
pub const MAX_DESCRIPTION_CHARS: usize = 1024;

/// A skill's front matter, read and checked: the pieces a [`Skill`] is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub name: String,
    pub description: String,
    /// The `openclaw` metadata, or why it does not read.
    pub meta: Result<OpenClawMeta, String>,
}

/// Reads a `SKILL.md`'s text: its name, description and metadata, or why it is not a skill.
pub fn parse_skill(text: &str) -> Result<Parsed, String> {
    let map = frontmatter::parse(text).map_err(|e| e.to_string())?;
    let name = match map.get("name") {
        Some(serde_json::Value::String(name)) => name.trim().to_string(),
        Some(_) => return Err("the front matter's `name` is not text".into()),
        None => return Err("the front matter has no `name`".into()),
    };
    if !valid_name(&name) {
        return Err(format!(
            "the name {name:?} is not a skill name (1-64 letters, digits, -, _ or ., starting with a letter or digit)"
        ));
    }
    let description = match map.get("description") {
        Some(serde_json::Value::String(text)) => clean_description(text),
        Some(_) => return Err("the front matter's `description` is not text".into()),
        None => return Err("the front matter has no `description`".into()),
    };
    if description.is_empty() {
        return Err("the description is empty".into());
    }
    let meta = metadata::from_front_matter(map.get("metadata"));
    Ok(Parsed {
        name,
        description,
        meta,
    })
}

/// A description on one line: control characters as spaces, runs of spaces as one, cut at
/// [`MAX_DESCRIPTION_CHARS`].
fn clean_description(text: &str) -> String {
    let spaced: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let words: Vec<&str> = spaced.split_whitespace().collect();
    words
        .join(" ")
        .chars()
        .take(MAX_DESCRIPTION_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skill_needs_a_name_and_a_description() {
        let ok = parse_skill("---\nname: gh\ndescription: \"GitHub\\n  via gh\"\n---\n").unwrap();
        assert_eq!(ok.name, "gh");
        assert_eq!(ok.description, "GitHub via gh");
        assert!(ok.meta.is_ok());
        for (file, why) in [
            ("---\ndescription: x\n---\n", "no `name`"),
            ("---\nname: gh\n---\n", "no `description`"),
            ("---\nname: ../x\ndescription: d\n---\n", "not a skill name"),
            ("---\nname: [1]\ndescription: d\n---\n", "not text"),
            ("no front matter", "no front matter"),
        ] {
            let refused = parse_skill(file).unwrap_err();
            assert!(refused.contains(why), "{file:?}: {refused}");
        }
    }

    #[test]
    fn long_descriptions_are_cut() {
        let file = format!("---\nname: a\ndescription: {}\n---\n", "x".repeat(5000));
        assert_eq!(
            parse_skill(&file).unwrap().description.len(),
            MAX_DESCRIPTION_CHARS
        );
    }
}
