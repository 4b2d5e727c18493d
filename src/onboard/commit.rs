//! Writing what onboarding decided, so that no failure leaves a half-written config behind.
//!
//! [`plan`] prepares everything in memory and proves it: the config text is parsed and validated
//! exactly as the gateway will load it (with the secrets about to be stored), so a mistake stops
//! onboarding before any file changes. [`apply`] then writes, each file atomically (temp file,
//! fsync, rename; mode 0600): the state directory (0700), the secrets file, the gateway token
//! (token mode; an existing one is kept so that connected clients keep working), a timestamped
//! backup of the config being replaced, and the config itself last. If a step fails, the files
//! before it are complete and the config is either the old one or the new one.

use std::path::{Path, PathBuf};

use super::answers::{Answers, AuthAnswer};
use super::render::{self, Places};
use super::OnboardError;
use crate::config::{self, ConfigError, SecretsFile};
use crate::fsutil::{create_private_dir, write_private};
use crate::paths::Paths;

/// Everything to write, checked.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub paths: Paths,
    pub config_text: String,
    /// The secrets file after this onboarding; `None` when it does not change.
    pub secrets: Option<SecretsFile>,
    /// Names stored (or replaced) in the secrets file.
    pub stored: Vec<String>,
    /// Names removed from it (a gateway password left over from password mode).
    pub removed: Vec<String>,
    /// Token mode: the token file to create if it does not exist.
    pub token_file: Option<PathBuf>,
}

/// What [`apply`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Written {
    pub config_file: PathBuf,
    pub config_backup: Option<PathBuf>,
    pub secrets_file: PathBuf,
    pub secrets_backup: Option<PathBuf>,
    /// The token file, and whether it was created now.
    pub token: Option<(PathBuf, bool)>,
}

/// Renders and checks the files for `answers`. `current` is the secrets file as it is; `env` the
/// process environment (it overrides the file, as when the gateway starts).
pub(crate) fn plan(
    answers: &Answers,
    paths: &Paths,
    current: &SecretsFile,
    env: &dyn Fn(&str) -> Option<String>,
    written_at: &str,
) -> Result<Plan, OnboardError> {
    let mut secrets = current.clone();
    let mut stored = Vec::new();
    for (name, value) in answers.stored_secrets() {
        secrets
            .set(name, value.clone())
            .map_err(|message| OnboardError::Invalid {
                origin: name.to_string(),
                message,
            })?;
        stored.push(name.to_string());
    }
    let mut removed = Vec::new();
    // In token mode a stored password would switch the gateway to password auth (see
    // `config::env`): it goes.
    if answers.auth == AuthAnswer::Token && secrets.remove("PINCER_GATEWAY_PASSWORD") {
        removed.push("PINCER_GATEWAY_PASSWORD".to_string());
    }
    let token_file = paths.token_file();
    let config_text = render::config_text(
        answers,
        Places {
            secrets_file: &paths.secrets_file(),
            token_file: &token_file,
        },
        written_at,
    );
    prove(&config_text, &paths.config_file, &secrets, env)?;
    Ok(Plan {
        paths: paths.clone(),
        config_text,
        secrets: (secrets != *current).then_some(secrets),
        stored,
        removed,
        token_file: (answers.auth == AuthAnswer::Token).then_some(token_file),
    })
}

/// Loads `text` the way the gateway will: parse, environment then secrets, validation.
fn prove(
    text: &str,
    origin: &Path,
    secrets: &SecretsFile,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), OnboardError> {
    let mut parsed = config::parse_str(text, origin)?;
    let lookup = |name: &str| {
        env(name)
            .filter(|v| !v.is_empty())
            .or_else(|| secrets.get(name).map(|s| s.expose().to_string()))
    };
    config::apply_overrides(&mut parsed, &lookup)?;
    let problems = config::validate(&parsed);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ConfigError::Invalid {
            path: origin.to_path_buf(),
            problems,
        }
        .into())
    }
}

/// Writes the plan; `stamp` names the backups (`<file>.bak-<stamp>`).
pub(crate) fn apply(plan: &Plan, stamp: &str) -> Result<Written, OnboardError> {
    let paths = &plan.paths;
    paths.ensure_state_dir().map_err(OnboardError::State)?;
    if let Some(dir) = paths
        .config_file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        create_private_dir(dir).map_err(|e| OnboardError::io("create", dir, e))?;
    }
    let secrets_file = paths.secrets_file();
    let mut secrets_backup = None;
    if let Some(secrets) = &plan.secrets {
        secrets_backup = back_up(&secrets_file, stamp)?;
        write_private(&secrets_file, secrets.render().as_bytes())
            .map_err(|e| OnboardError::io("write", &secrets_file, e))?;
    }
    let token = match &plan.token_file {
        Some(file) => {
            let (_, created) = crate::config::credentials::ensure_token_file(file)
                .map_err(|e| OnboardError::Token(e.to_string()))?;
            Some((file.clone(), created))
        }
        None => None,
    };
    let config_backup = back_up(&paths.config_file, stamp)?;
    write_private(&paths.config_file, plan.config_text.as_bytes())
        .map_err(|e| OnboardError::io("write", &paths.config_file, e))?;
    Ok(Written {
        config_file: paths.config_file.clone(),
        config_backup,
        secrets_file,
        secrets_backup,
        token,
    })
}

/// Copies `file`, if it exists, to `<file>.bak-<stamp>` (mode 0600; `-1`, `-2`, ... if taken).
fn back_up(file: &Path, stamp: &str) -> Result<Option<PathBuf>, OnboardError> {
    let contents = match std::fs::read(file) {
        Ok(contents) => contents,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(OnboardError::io("read", file, error)),
    };
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut backup = file.with_file_name(format!("{name}.bak-{stamp}"));
    let mut n = 1;
    while backup.exists() {
        backup = file.with_file_name(format!("{name}.bak-{stamp}-{n}"));
        n += 1;
    }
    write_private(&backup, &contents).map_err(|e| OnboardError::io("write", &backup, e))?;
    Ok(Some(backup))
}

#[cfg(test)]
#[path = "commit_tests.rs"]
mod tests;
