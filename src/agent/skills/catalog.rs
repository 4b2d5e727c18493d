//! The current list of skills, shared by the runs (the system prompt, the read and exec tools), the
//! operator API and the poller that keeps it fresh.
//!
//! The list is loaded when the gateway starts and is a [`Snapshot`] behind an `Arc`: a run's
//! system prompt lists the snapshot current when the run starts, its tools use the one current at
//! its first tool call (the same, unless a reload fell in between), and the next run takes
//! whatever is current then. The poller, a permanent task
//! `/gateway/tools/skills`, stats the skill folders every `skills.load.pollIntervalMs` (2 s by
//! default) and reloads only when their [`super::discover::fingerprint`] changed. Polling, not
//! inotify: a few dozen `stat` calls every two seconds cost nothing, need no crate and no
//! per-platform code, work on network and bind-mounted folders where inotify does not, and
//! see folders that do not exist yet (an `extraDirs` entry created later). Its status, shown in
//! `/admin/actors`, is the counts of the last load. A reload bumps the version in
//! [`SkillCatalog::changes`], which the control plane turns into a `skills.changed` event.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use futures_util::FutureExt;
use pincer_actors::{ChildSpec, RestartType};
use serde_json::Value;

use super::eligibility::{self, Probe};
use super::{discover, prompt, Skill, SkillState, Source};
use crate::config::{Config, Secret, SkillEntry, SkillsLimits};

/// What the loader reads, taken from the config at start.
#[derive(Debug, Clone)]
pub struct SkillInputs {
    /// The sources, highest priority first.
    pub roots: Vec<(Source, PathBuf)>,
    pub entries: BTreeMap<String, SkillEntry>,
    pub limits: SkillsLimits,
    /// The config as JSON (credentials masked), for `requires.config`.
    pub config: Value,
    pub watch: bool,
    pub poll: Duration,
}

impl SkillInputs {
    /// The inputs of the installation whose config is `config` and state directory `state_dir`.
    pub fn from_config(config: &Config, state_dir: &Path) -> Self {
        let workspace = crate::config::workspace::workspace_dir(config, state_dir);
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let mut roots = vec![
            (Source::Workspace, workspace.join("skills")),
            (Source::Managed, managed_dir(state_dir)),
        ];
        for dir in &config.skills.load.extra_dirs {
            roots.push((
                Source::Extra,
                crate::config::workspace::expand_home(dir.trim(), home.clone()),
            ));
        }
        SkillInputs {
            roots,
            entries: config.skills.entries.clone(),
            limits: config.skills.limits.clone(),
            config: serde_json::to_value(config).unwrap_or(Value::Null),
            watch: config.skills.load.watch,
            poll: Duration::from_millis(config.skills.load.poll_interval_ms.max(250)),
        }
    }
}

/// `<state>/skills`, where `pincer skills install` puts skills.
pub fn managed_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("skills")
}

/// The skills as loaded at one moment.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Every skill found, in priority order (shadowed and ineligible ones too).
    pub skills: Vec<Skill>,
    /// The folders' fingerprint when they were read.
    pub fingerprint: u64,
    /// 1 for the load at start, then one more per reload.
    pub version: u64,
    /// The variables each eligible skill gives its runs' commands.
    env: BTreeMap<String, Vec<(String, Secret)>>,
    /// The prompt block (eligible skills, capped), made once per load.
    prompt: Option<String>,
    /// Where each eligible skill really is (symlinks resolved), for the read tool.
    located: Vec<Located>,
}

/// An eligible skill's folder and file, canonical.
#[derive(Debug, Clone)]
pub struct Located {
    pub name: String,
    pub source: Source,
    pub dir: PathBuf,
    pub file: PathBuf,
}

impl Snapshot {
    /// The skills offered to the model.
    pub fn eligible(&self) -> impl Iterator<Item = &Skill> {
        self.skills.iter().filter(|skill| skill.eligible())
    }

    /// The system prompt's skills block, `None` when no skill is eligible.
    pub fn prompt(&self) -> Option<&str> {
        self.prompt.as_deref()
    }

    /// The variables skill `name` gives to the commands of a run that uses it.
    pub fn env_of(&self, name: &str) -> &[(String, Secret)] {
        self.env.get(name).map_or(&[], Vec::as_slice)
    }

    /// The eligible skills' canonical places.
    pub fn located(&self) -> &[Located] {
        &self.located
    }

    /// `(eligible, total)`.
    pub fn counts(&self) -> (usize, usize) {
        (self.eligible().count(), self.skills.len())
    }
}

/// Loads the skills of `inputs` now (blocking file reads), as version `version`.
pub fn load(inputs: &SkillInputs, version: u64) -> Snapshot {
    let limits = &inputs.limits;
    let per_source = usize::try_from(limits.max_skills_loaded_per_source).unwrap_or(usize::MAX);
    let fingerprint = discover::fingerprint(&inputs.roots, per_source);
    let mut skills = discover::load(&inputs.roots, per_source, limits.max_skill_file_bytes);
    let env_lookup = |name: &str| std::env::var(name).ok();
    let probe = Probe {
        path: std::env::var_os("PATH"),
        env: &env_lookup,
        os: eligibility::platform(),
        config: &inputs.config,
    };
    let mut env = BTreeMap::new();
    for skill in &mut skills {
        if skill.state != SkillState::Eligible {
            continue;
        }
        let entry = inputs.entries.get(&skill.name);
        skill.state = eligibility::check(&skill.name, &skill.meta, entry, &probe);
        if let (SkillState::Eligible, Some(entry)) = (&skill.state, entry) {
            env.insert(
                skill.name.clone(),
                entry_env(entry, skill.meta.primary_env.as_deref()),
            );
        }
    }
    let eligible: Vec<&Skill> = skills.iter().filter(|s| s.eligible()).collect();
    let located = eligible
        .iter()
        .filter_map(|skill| {
            Some(Located {
                name: skill.name.clone(),
                source: skill.source,
                dir: skill.dir.canonicalize().ok()?,
                file: skill.file.canonicalize().ok()?,
            })
        })
        .collect();
    let prompt = prompt::render(
        &eligible,
        usize::try_from(limits.max_skills_prompt_chars).unwrap_or(usize::MAX),
        usize::try_from(limits.max_skills_in_prompt).unwrap_or(usize::MAX),
    );
    Snapshot {
        skills,
        fingerprint,
        version,
        env,
        prompt,
        located,
    }
}

/// An entry's `env`, and its `apiKey` as `primary_env` unless `env` sets that variable itself.
fn entry_env(entry: &SkillEntry, primary_env: Option<&str>) -> Vec<(String, Secret)> {
    let mut vars: Vec<(String, Secret)> = entry
        .env
        .iter()
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    if let (Some(key), Some(var)) = (&entry.api_key, primary_env) {
        if crate::config::skills::is_env_name(var) && !entry.env.contains_key(var) {
            vars.push((var.to_string(), key.clone()));
        }
    }
    vars
}

/// The current skills and how to reload them.
#[derive(Debug)]
pub struct SkillCatalog {
    inputs: SkillInputs,
    current: RwLock<Arc<Snapshot>>,
    reloads: AtomicU64,
    /// The version of the current list, for those who want to hear of a reload (the control
    /// plane's `skills.changed` event).
    changes: tokio::sync::watch::Sender<u64>,
}

impl SkillCatalog {
    /// Loads the skills now (blocking; the gateway does it once at start).
    pub fn load(inputs: SkillInputs) -> Self {
        let first = load(&inputs, 1);
        SkillCatalog {
            inputs,
            current: RwLock::new(Arc::new(first)),
            reloads: AtomicU64::new(0),
            changes: tokio::sync::watch::channel(1).0,
        }
    }

    /// The list's version, changed at every reload; ends when the catalog is dropped.
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// The snapshot of this moment.
    pub fn current(&self) -> Arc<Snapshot> {
        Arc::clone(&self.current.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// The inputs the catalog reads.
    pub fn inputs(&self) -> &SkillInputs {
        &self.inputs
    }

    /// Reloads when the folders changed since the last load; whether it did (blocking).
    pub fn refresh(&self) -> bool {
        let per_source =
            usize::try_from(self.inputs.limits.max_skills_loaded_per_source).unwrap_or(usize::MAX);
        let now = discover::fingerprint(&self.inputs.roots, per_source);
        let current = self.current();
        if now == current.fingerprint {
            return false;
        }
        let version = current.version + 1;
        let fresh = load(&self.inputs, version);
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(fresh);
        self.reloads.fetch_add(1, Relaxed);
        self.changes.send_replace(version);
        true
    }

    /// The status line of the poller: the counts of the current list.
    fn status(&self) -> String {
        let snapshot = self.current();
        let (eligible, total) = snapshot.counts();
        let watching = if self.inputs.watch {
            format!("polled every {} ms", self.inputs.poll.as_millis())
        } else {
            "not watched (skills.load.watch: false)".to_string()
        };
        format!(
            "{eligible} eligible of {total} skills; {} reloads; {watching}",
            self.reloads.load(Relaxed)
        )
    }

    /// The permanent task `/gateway/tools/skills` that reloads the list when the folders change.
    pub fn poller_spec(self: &Arc<Self>) -> ChildSpec {
        let catalog = Arc::clone(self);
        ChildSpec::task("skills".to_string(), "skills", move |cx| {
            let catalog = Arc::clone(&catalog);
            let cx = cx.clone();
            async move {
                cx.set_status(catalog.status());
                if !catalog.inputs.watch {
                    futures_util::future::pending::<()>().await;
                }
                loop {
                    tokio::time::sleep(catalog.inputs.poll).await;
                    let polling = Arc::clone(&catalog);
                    let changed = tokio::task::spawn_blocking(move || polling.refresh())
                        .await
                        .map_err(|e| e.to_string())?;
                    if changed {
                        let (eligible, total) = catalog.current().counts();
                        tracing::info!(eligible, total, "skills reloaded: their folders changed");
                    }
                    cx.set_status(catalog.status());
                }
            }
            .boxed_local()
        })
        .restart(RestartType::Permanent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_skill(root: &Path, folder: &str, front: &str) {
        std::fs::create_dir_all(root.join(folder)).unwrap();
        std::fs::write(
            root.join(folder).join("SKILL.md"),
            format!("---\n{front}\n---\n"),
        )
        .unwrap();
    }

    #[test]
    fn eligible_skills_reach_the_prompt_and_reload_on_change() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        let entry = SkillEntry {
            api_key: Some(Secret::new("k-1")),
            ..SkillEntry::default()
        };
        config.skills.entries.insert("keyed".into(), entry);
        let inputs = SkillInputs::from_config(&config, dir.path());
        let managed = managed_dir(dir.path());
        write_skill(&managed, "ok", "name: ok\ndescription: always fine");
        write_skill(&managed, "needs-bin", "name: needs-bin\ndescription: d\nmetadata: {\"openclaw\":{\"requires\":{\"bins\":[\"no-such-binary-here\"]}}}");
        write_skill(&managed, "keyed", "name: keyed\ndescription: d\nmetadata: {\"openclaw\":{\"primaryEnv\":\"KEYED_API_KEY\",\"requires\":{\"env\":[\"KEYED_API_KEY\"]}}}");
        let catalog = SkillCatalog::load(inputs);
        let snapshot = catalog.current();
        let prompt = snapshot.prompt().unwrap();
        assert!(prompt.contains("<name>ok</name>") && prompt.contains("<name>keyed</name>"));
        assert!(!prompt.contains("needs-bin"), "{prompt}");
        let env = snapshot.env_of("keyed");
        assert_eq!(env.len(), 1);
        assert_eq!(
            (env[0].0.as_str(), env[0].1.expose()),
            ("KEYED_API_KEY", "k-1")
        );
        let changes = catalog.changes();
        assert!(!catalog.refresh(), "nothing changed");
        assert!(!changes.has_changed().unwrap());
        write_skill(&managed, "late", "name: late\ndescription: added later");
        assert!(catalog.refresh());
        assert_eq!(catalog.current().version, 2);
        assert!(changes.has_changed().unwrap());
        assert_eq!(*changes.borrow(), 2);
        assert!(catalog
            .current()
            .prompt()
            .unwrap()
            .contains("<name>late</name>"));
        assert!(catalog
            .status()
            .starts_with("3 eligible of 4 skills; 1 reloads"));
    }
}
