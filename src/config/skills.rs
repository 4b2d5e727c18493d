//! `skills`: where skill folders load from besides the workspace and the state directory, how the
//! gateway notices changes, what each named skill gets (enabled, env, API key), and how much of the
//! system prompt the list of skills may take. OpenClaw's keys.
//!
//! The agent's skill loader reads these (`crate::agent::skills`); cross-key rules (variable names,
//! positive limits) are in [`check`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::Problem;
use super::schema::Config;
use super::secret::Secret;

/// `skills`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct SkillsConfig {
    /// Where skills load from besides `<workspace>/skills` and `<state>/skills`.
    pub load: SkillsLoad,
    /// Per skill, by its `name`: enabled or not, and the variables its runs' commands get.
    pub entries: BTreeMap<String, SkillEntry>,
    /// Caps on what the skills cost the model's prompt.
    pub limits: SkillsLimits,
}

/// `skills.load`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct SkillsLoad {
    /// Extra skill folders (each holding one folder per skill), lowest priority, in order; a
    /// leading `~/` is the home directory. Default empty.
    pub extra_dirs: Vec<String>,
    /// Default true: the skill folders are polled and a change reloads the list (the next turn's
    /// prompt has it). False: the list is read once, at start.
    pub watch: bool,
    /// Milliseconds between two polls of the skill folders; default 2000 (at least 250).
    pub poll_interval_ms: u64,
}

impl Default for SkillsLoad {
    fn default() -> Self {
        SkillsLoad {
            extra_dirs: Vec::new(),
            watch: true,
            poll_interval_ms: 2000,
        }
    }
}

/// `skills.entries.<name>`: OpenClaw's per-skill settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct SkillEntry {
    /// Default true; false hides the skill from the model (listed as disabled).
    pub enabled: bool,
    /// Variables given to the commands (`exec`) of a run that uses the skill, never to the
    /// gateway; they also satisfy its `requires.env`.
    pub env: BTreeMap<String, Secret>,
    /// The skill's API key, given as its `primaryEnv` variable like `env`.
    pub api_key: Option<Secret>,
}

impl Default for SkillEntry {
    fn default() -> Self {
        SkillEntry {
            enabled: true,
            env: BTreeMap::new(),
            api_key: None,
        }
    }
}

/// `skills.limits`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct SkillsLimits {
    /// Characters the list of skills may take in the system prompt; default 30000 (OpenClaw's).
    /// Skills past it are left out, and the list says how many.
    pub max_skills_prompt_chars: u32,
    /// Skills listed in the prompt at most; default 150 (OpenClaw's).
    pub max_skills_in_prompt: u32,
    /// Bytes of a `SKILL.md` read to find its front matter; a larger file is skipped as
    /// invalid. Default 256000 (OpenClaw's).
    pub max_skill_file_bytes: u64,
    /// Skill folders taken from one source at most; default 200 (OpenClaw's).
    pub max_skills_loaded_per_source: u32,
}

impl Default for SkillsLimits {
    fn default() -> Self {
        SkillsLimits {
            max_skills_prompt_chars: 30_000,
            max_skills_in_prompt: 150,
            max_skill_file_bytes: 256_000,
            max_skills_loaded_per_source: 200,
        }
    }
}

/// Whether `name` is a usable environment variable name (`[A-Za-z_][A-Za-z0-9_]*`).
pub(crate) fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The rules of `skills.*` the types cannot say.
pub(crate) fn check(config: &Config, problems: &mut Vec<Problem>) {
    let skills = &config.skills;
    for (position, dir) in skills.load.extra_dirs.iter().enumerate() {
        let dir = dir.trim();
        if dir.is_empty() {
            problems.push(Problem::new(
                format!("skills.load.extraDirs[{position}]"),
                "must not be empty",
            ));
        } else if !(dir.starts_with('/') || dir == "~" || dir.starts_with("~/")) {
            problems.push(Problem::new(
                format!("skills.load.extraDirs[{position}]"),
                "must be an absolute path (or start with ~/)",
            ));
        }
    }
    if skills.load.poll_interval_ms < 250 {
        problems.push(Problem::new(
            "skills.load.pollIntervalMs",
            "must be at least 250 (milliseconds)",
        ));
    }
    for (name, entry) in &skills.entries {
        if name.trim().is_empty() {
            problems.push(Problem::new("skills.entries", "a skill name is empty"));
        }
        for (variable, value) in &entry.env {
            if !is_env_name(variable) {
                problems.push(Problem::new(
                    format!("skills.entries.{name}.env.{variable}"),
                    "not a variable name (letters, digits and _, not starting with a digit)",
                ));
            }
            if value.expose().contains('\0') {
                problems.push(Problem::new(
                    format!("skills.entries.{name}.env.{variable}"),
                    "must not contain a NUL character",
                ));
            }
        }
        if entry.api_key.as_ref().is_some_and(|key| key.is_empty()) {
            problems.push(Problem::new(
                format!("skills.entries.{name}.apiKey"),
                "must not be empty",
            ));
        }
    }
    let limits = &skills.limits;
    for (key, value) in [
        (
            "maxSkillsPromptChars",
            u64::from(limits.max_skills_prompt_chars),
        ),
        ("maxSkillsInPrompt", u64::from(limits.max_skills_in_prompt)),
        ("maxSkillFileBytes", limits.max_skill_file_bytes),
        (
            "maxSkillsLoadedPerSource",
            u64::from(limits.max_skills_loaded_per_source),
        ),
    ] {
        if value == 0 {
            problems.push(Problem::new(
                format!("skills.limits.{key}"),
                "must be at least 1",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_names_are_checked() {
        assert!(is_env_name("GEMINI_API_KEY"));
        assert!(is_env_name("_x1"));
        assert!(!is_env_name("1X"));
        assert!(!is_env_name("A-B"));
        assert!(!is_env_name(""));
    }

    #[test]
    fn bad_values_name_their_key() {
        let mut config = Config::default();
        config.skills.load.extra_dirs = vec!["relative/dir".into()];
        config.skills.load.poll_interval_ms = 10;
        config.skills.limits.max_skills_prompt_chars = 0;
        let mut entry = SkillEntry::default();
        entry.env.insert("BAD-NAME".into(), Secret::new("v"));
        config.skills.entries.insert("gh".into(), entry);
        let mut problems = Vec::new();
        check(&config, &mut problems);
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "skills.load.extraDirs[0]",
                "skills.load.pollIntervalMs",
                "skills.entries.gh.env.BAD-NAME",
                "skills.limits.maxSkillsPromptChars"
            ]
        );
        let mut fine = Vec::new();
        check(&Config::default(), &mut fine);
        assert!(fine.is_empty());
    }
}
