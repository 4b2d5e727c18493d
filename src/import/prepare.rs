//! Building the plan: everything read from the OpenClaw home, mapped, converted and checked
//! against what Pincer already has, in memory. Nothing is written here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::config_map::{self, key_variable};
use super::plan::{Action, Item, Plan, Skipped};
use super::source::{self, Source, MAX_JSON_BYTES, MAX_TRANSCRIPT_BYTES};
use super::transcripts::{self, Accounts, Converted};
use super::{pairing, workspace, ImportError, ImportOptions};
use crate::channels::pairing::PairingStore;
use crate::config::{self, Secret, SecretsFile};
use crate::paths::Paths;

/// A plan with what carrying it out needs.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub plan: Plan,
    pub(super) paths: Paths,
    pub(super) workspace_source: Option<Source>,
    pub(super) workspace_files: Vec<String>,
    pub(super) config_text: Option<String>,
    /// The secrets file after the import; `None` when it does not change.
    pub(super) secrets: Option<SecretsFile>,
    pub(super) sessions: Vec<Converted>,
    pub(super) approved: BTreeMap<String, Vec<String>>,
}

impl Prepared {
    /// Where Pincer's transcripts live.
    pub(super) fn sessions_dir(&self) -> PathBuf {
        sessions_dir(&self.paths.state_dir)
    }
}

fn sessions_dir(state: &Path) -> PathBuf {
    state.join("agents").join("main").join("sessions")
}

/// Reads the home and plans the import into `paths`. `home` is the user's home directory (for
/// finding the OpenClaw home and expanding `~`).
pub(crate) fn prepare(
    paths: &Paths,
    options: &ImportOptions,
    home: Option<&Path>,
) -> Result<Prepared, ImportError> {
    let dir = match &options.source {
        Some(dir) => dir.clone(),
        None => home
            .and_then(source::find_home)
            .ok_or(ImportError::NotFound)?,
    };
    let source = Source::open(&dir).map_err(|source| ImportError::Open {
        path: dir.clone(),
        source,
    })?;
    let Some(config_name) = source::CONFIG_NAMES.iter().find(|name| source.exists(name)) else {
        return Err(ImportError::NoConfig { path: dir });
    };
    let mut plan = Plan {
        source: dir.clone(),
        config_file: paths.config_file.clone(),
        ..Plan::default()
    };

    // The config, and the secrets it carries.
    let openclaw: Option<Value> = match source.read(config_name, MAX_JSON_BYTES) {
        Ok(bytes) => match std::str::from_utf8(&bytes)
            .map_err(|e| e.to_string())
            .and_then(|text| json5::from_str::<Value>(text).map_err(|e| e.to_string()))
        {
            Ok(value) => Some(value),
            Err(error) => {
                plan.problem(
                    source.display(config_name),
                    format!("not valid JSON5 ({error}); no config imported"),
                );
                None
            }
        },
        Err(error) => {
            plan.problem(source.display(config_name), error.to_string());
            None
        }
    };
    let mapped = openclaw.as_ref().map(config_map::map);
    let mut secrets_found: Vec<(String, String, String)> = Vec::new();
    let mut accounts = Accounts::default();
    let dm_scope = mapped
        .as_ref()
        .map(|m| m.dm_scope)
        .unwrap_or(config::DmScope::Main);
    if let Some(mapped) = &mapped {
        for skipped in &mapped.skipped {
            plan.not_imported.push(skipped.clone());
        }
        secrets_found.extend(mapped.secrets.iter().cloned());
        accounts.telegram = mapped
            .secrets
            .iter()
            .find(|(name, _, _)| name == "PINCER_TELEGRAM_BOT_TOKEN")
            .and_then(|(_, token, _)| token.split(':').next())
            .filter(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()))
            .map(str::to_string);
    }
    auth_profiles(&source, &mut secrets_found, &mut plan);

    let current = SecretsFile::read(&paths.secrets_file())?;
    let mut secrets = current.clone();
    for (name, value, from) in &secrets_found {
        let action = match current.get(name) {
            None => Action::Create,
            Some(old) if old.expose() == value.as_str() => Action::Same,
            Some(_) => Action::Exists,
        };
        if secrets.get(name).is_some() && action == Action::Create {
            // Found twice in the home: the first one wins.
            continue;
        }
        if let Err(message) = secrets.set(name, Secret::new(value.clone())) {
            plan.problem(from.clone(), message);
            continue;
        }
        plan.items.push(Item {
            kind: "secret",
            from: from.clone(),
            to: name.clone(),
            action,
            detail: String::new(),
        });
    }

    let mut config_text = None;
    let mut new_config = config::Config::default();
    if let Some(mapped) = &mapped {
        let text = render(&mapped.config, &source.display(config_name), paths);
        new_config = prove(&text, &paths.config_file, &secrets)?;
        let action = match std::fs::read(&paths.config_file) {
            Ok(old) if old == text.as_bytes() => Action::Same,
            Ok(_) => Action::Exists,
            Err(_) => Action::Create,
        };
        plan.items.push(Item {
            kind: "config",
            from: source.display(config_name),
            to: paths.config_file.display().to_string(),
            action,
            detail: String::new(),
        });
        config_text = Some(text);
    }

    // The workspace.
    let workspace_dir = config::workspace::workspace_dir(&new_config, &paths.state_dir);
    plan.workspace = workspace_dir.clone();
    let configured = openclaw
        .as_ref()
        .and_then(|v| v.pointer("/agents/defaults/workspace"))
        .and_then(Value::as_str)
        .map(|text| config::workspace::expand_home(text, home.map(Path::to_path_buf)))
        // Only a folder of the user's own (a config may name any path; /etc is not a workspace).
        .filter(|path| path.is_absolute() && path.is_dir())
        .filter(|path| home.is_some_and(|home| path.starts_with(home)) || path.starts_with(&dir));
    let workspace_source = match configured {
        Some(path) => Source::open(&path).ok(),
        None if source.is_dir("workspace") => Source::open(&dir.join("workspace")).ok(),
        None => None,
    };
    let mut workspace_files = Vec::new();
    if let Some(ws) = &workspace_source {
        let listed = workspace::list(ws);
        plan.not_imported.extend(listed.skipped);
        plan.problems.extend(listed.problems);
        for (relative, size) in listed.files {
            let target = workspace_dir.join(&relative);
            let action = match std::fs::read(&target) {
                Ok(old) => match ws.read(&relative, source::MAX_WORKSPACE_FILE_BYTES) {
                    Ok(new) if new == old => Action::Same,
                    _ => Action::Exists,
                },
                Err(_) => Action::Create,
            };
            plan.items.push(Item {
                kind: "workspace",
                from: ws.display(&relative),
                to: target.display().to_string(),
                action,
                detail: format!("{size} bytes"),
            });
            workspace_files.push(relative);
        }
    }

    // The sessions.
    let existing = existing_sessions(&sessions_dir(&paths.state_dir));
    let sessions = read_sessions(&source, dm_scope, &accounts, &existing, &mut plan);

    // The approved senders.
    let approved_found = pairing::read(&source);
    plan.not_imported.extend(approved_found.skipped);
    plan.problems.extend(approved_found.problems);
    let store = PairingStore::new(&paths.state_dir);
    let mut approved = BTreeMap::new();
    for (channel, (ids, files)) in approved_found.by_channel {
        let have: BTreeSet<String> = store
            .approved(&channel)
            .unwrap_or_default()
            .into_iter()
            .collect();
        let new = ids.iter().filter(|id| !have.contains(*id)).count();
        plan.items.push(Item {
            kind: "pairing",
            from: files.join(", "),
            to: format!("{channel} approved senders"),
            action: if new == 0 {
                Action::Same
            } else {
                Action::Merge
            },
            detail: format!("{} senders, {new} new: {}", ids.len(), ids.join(", ")),
        });
        approved.insert(channel, ids);
    }

    cron_and_sqlite(&source, &mut plan);

    Ok(Prepared {
        plan,
        paths: paths.clone(),
        workspace_source,
        workspace_files,
        config_text,
        secrets: (secrets != current).then_some(secrets),
        sessions,
        approved,
    })
}

/// The config file's text: a header, then the mapped config (JSON is JSON5).
fn render(config: &Value, from: &str, paths: &Paths) -> String {
    let body = serde_json::to_string_pretty(config).unwrap_or_else(|_| "{}".into());
    format!(
        "// Imported from {from} by `pincer import openclaw` on {}.\n\
         // Credentials are in {}, not here. What was not imported, and why, is in the import's\n\
         // report (`pincer import openclaw --dry-run` shows it again) and docs/openclaw-compat.md.\n\
         {body}\n",
        crate::clock::now_rfc3339(),
        paths.secrets_file().display()
    )
}

/// Loads `text` the way the gateway will (with the secrets about to be stored).
fn prove(text: &str, origin: &Path, secrets: &SecretsFile) -> Result<config::Config, ImportError> {
    let mut parsed = config::parse_str(text, origin)?;
    let lookup = |name: &str| secrets.get(name).map(|s| s.expose().to_string());
    config::apply_overrides(&mut parsed, &lookup)?;
    let problems = config::validate(&parsed);
    if problems.is_empty() {
        Ok(parsed)
    } else {
        Err(config::ConfigError::Invalid {
            path: origin.to_path_buf(),
            problems,
        }
        .into())
    }
}

/// API keys of the legacy `agents/main/agent/auth-profiles.json` (`profiles.<id>` with
/// `type: "api_key"`, `provider`, `key`).
fn auth_profiles(source: &Source, found: &mut Vec<(String, String, String)>, plan: &mut Plan) {
    let relative = "agents/main/agent/auth-profiles.json";
    let bytes = match source.read(relative, MAX_JSON_BYTES) {
        Ok(bytes) => bytes,
        Err(source::SourceError::Missing) => return,
        Err(error) => return plan.problem(source.display(relative), error.to_string()),
    };
    let value: Value = match serde_json::from_slice(&bytes) {
        Ok(value) => value,
        Err(error) => {
            return plan.problem(source.display(relative), format!("not valid JSON: {error}"))
        }
    };
    let Some(profiles) = value.get("profiles").and_then(Value::as_object) else {
        return plan.problem(source.display(relative), "no profiles object");
    };
    for (id, profile) in profiles {
        let kind = profile.get("type").and_then(Value::as_str).unwrap_or("");
        let provider = profile
            .get("provider")
            .and_then(Value::as_str)
            .unwrap_or("");
        match (kind, profile.get("key").and_then(Value::as_str)) {
            ("api_key", Some(key)) if !provider.is_empty() => {
                let name = key_variable(provider);
                if !found.iter().any(|(n, _, _)| *n == name) {
                    found.push((name, key.to_string(), format!("auth-profiles.json {id}")));
                }
            }
            _ => plan.skip(
                format!("auth profile {id}"),
                "only API keys carry over; Pincer has no OAuth or subscription logins",
            ),
        }
    }
}

/// The session keys Pincer's index already has.
fn existing_sessions(dir: &Path) -> BTreeSet<String> {
    std::fs::read(dir.join("sessions.json"))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|v| v.get("sessions").and_then(Value::as_object).cloned())
        .map(|map| map.keys().cloned().collect())
        .unwrap_or_default()
}

fn read_sessions(
    source: &Source,
    scope: config::DmScope,
    accounts: &Accounts,
    existing: &BTreeSet<String>,
    plan: &mut Plan,
) -> Vec<Converted> {
    let mut out = Vec::new();
    if let Ok(agents) = source.list("agents") {
        for (name, _) in agents.into_iter().flatten() {
            if name != "main" && source.is_dir(&format!("agents/{name}/sessions")) {
                plan.skip(
                    format!("agents/{name}/sessions"),
                    "another agent's sessions: Pincer has one agent (main)",
                );
            }
        }
    }
    let index_path = "agents/main/sessions/sessions.json";
    let index = match source.read(index_path, MAX_JSON_BYTES) {
        Ok(bytes) => match transcripts::read_index(&bytes) {
            Ok(index) => index,
            Err(error) => {
                plan.problem(
                    source.display(index_path),
                    format!("not a session index ({error}); no sessions imported"),
                );
                return out;
            }
        },
        Err(source::SourceError::Missing) => return out,
        Err(error) => {
            plan.problem(source.display(index_path), error.to_string());
            return out;
        }
    };
    let mut used = BTreeSet::new();
    for (from, id) in index {
        let key = match transcripts::map_key(&from, scope, accounts) {
            Ok(key) => key,
            Err(reason) => {
                plan.skip(format!("session {from}"), reason);
                continue;
            }
        };
        if !used.insert(key.clone()) {
            plan.skip(
                format!("session {from}"),
                format!("another imported session already maps to {key}"),
            );
            continue;
        }
        let file = format!("{id}.jsonl");
        let relative = format!("agents/main/sessions/{file}");
        let text = match source::check_name(&file)
            .and_then(|()| source.read(&relative, MAX_TRANSCRIPT_BYTES))
        {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(error) => {
                plan.problem(
                    format!("session {from} ({})", source.display(&relative)),
                    error.to_string(),
                );
                continue;
            }
        };
        let converted = transcripts::convert(&from, &key, &text);
        if converted.bad_lines > 0 {
            plan.problem(
                source.display(&relative),
                format!(
                    "{} malformed line(s), the first at line {}; skipped, the rest imported",
                    converted.bad_lines,
                    converted.first_bad_line.unwrap_or(0)
                ),
            );
        }
        if converted.entries.is_empty() {
            plan.skip(format!("session {from}"), "no messages");
            continue;
        }
        plan.items.push(Item {
            kind: "session",
            from: from.clone(),
            to: key.clone(),
            action: if existing.contains(&key) {
                Action::Exists
            } else {
                Action::Create
            },
            detail: format!(
                "{} messages, {} turns",
                converted.entries.len(),
                converted.turns
            ),
        });
        out.push(converted);
    }
    out
}

/// Cron jobs (reported one by one) and the SQLite stores of newer OpenClaw releases.
fn cron_and_sqlite(source: &Source, plan: &mut Plan) {
    let relative = "cron/jobs.json";
    match source.read(relative, MAX_JSON_BYTES) {
        Ok(bytes) => match serde_json::from_slice::<Value>(&bytes) {
            Ok(value) => {
                let jobs = value
                    .get("jobs")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                for job in jobs {
                    let name = job
                        .get("name")
                        .or_else(|| job.get("id"))
                        .and_then(Value::as_str)
                        .unwrap_or("(unnamed)");
                    plan.skip(
                        format!("cron job {name:?}"),
                        "not imported: recreate it with `pincer cron add`",
                    );
                }
            }
            Err(error) => {
                plan.problem(source.display(relative), format!("not valid JSON: {error}"))
            }
        },
        Err(source::SourceError::Missing) => {}
        Err(error) => plan.problem(source.display(relative), error.to_string()),
    }
    for sqlite in [
        "state/openclaw.sqlite",
        "agents/main/agent/openclaw-agent.sqlite",
    ] {
        if source.exists(sqlite) {
            plan.not_imported.push(Skipped {
                what: sqlite.to_string(),
                reason: "newer OpenClaw releases keep sessions, approvals and cron jobs in SQLite; \
                         this import reads the file stores (sessions.json, JSONL transcripts, \
                         credentials/*-allowFrom.json), so what exists only in the database is not imported"
                    .into(),
            });
        }
    }
}
