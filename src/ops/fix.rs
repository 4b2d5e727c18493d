//! The repairs `pincer doctor --fix` may make on its own: only safe, local, reversible ones.
//!
//! Tightening the mode of the token file, the config file and the state directory, and creating
//! a missing state directory or workspace. Nothing is deleted and nothing outside Pincer's own
//! paths is touched. Each doctor issue that can be repaired this way carries its [`Fix`].

use std::path::PathBuf;

use serde::{Serialize, Serializer};

use super::error::OpsError;
use super::perms;

/// One repair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fix {
    /// Set the permission bits of a file or directory.
    Chmod { path: PathBuf, mode: u32 },
    /// Create a directory (and its parents) with mode 0700.
    CreateDir { path: PathBuf },
}

impl Fix {
    /// What the repair does, as a shell-like line (`chmod 600 /x/gateway.token`).
    pub(crate) fn describe(&self) -> String {
        match self {
            Fix::Chmod { path, mode } => format!("chmod {mode:o} {}", path.display()),
            Fix::CreateDir { path } => format!("mkdir -p -m 700 {}", path.display()),
        }
    }

    /// Performs the repair.
    pub(crate) fn apply(&self) -> Result<(), OpsError> {
        match self {
            Fix::Chmod { path, mode } => perms::set_mode(path, *mode),
            Fix::CreateDir { path } => perms::create_private_dir(path),
        }
    }

    /// Directories are created before modes are set on what they contain.
    fn order(&self) -> u8 {
        match self {
            Fix::CreateDir { .. } => 0,
            Fix::Chmod { .. } => 1,
        }
    }
}

/// Serialized as its description, so that `--json` says what `--fix` would do.
impl Serialize for Fix {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.describe())
    }
}

/// What a round of repairs did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FixOutcome {
    /// Descriptions of the repairs made.
    pub fixed: Vec<String>,
    /// Repairs that failed, with the reason.
    pub failed: Vec<String>,
}

/// Applies `fixes` (directories first), collecting what worked and what did not.
pub(crate) fn apply_all<'a>(fixes: impl IntoIterator<Item = &'a Fix>) -> FixOutcome {
    let mut fixes: Vec<&Fix> = fixes.into_iter().collect();
    fixes.sort_by_key(|fix| fix.order());
    fixes.dedup();
    let mut outcome = FixOutcome::default();
    for fix in fixes {
        match fix.apply() {
            Ok(()) => outcome.fixed.push(fix.describe()),
            Err(error) => outcome.failed.push(error.to_string()),
        }
    }
    outcome
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn repairs_create_then_chmod_and_report() {
        let dir = tempfile::tempdir().expect("dir");
        let state = dir.path().join("state");
        let token = dir.path().join("token");
        std::fs::write(&token, "t").expect("write");
        perms::set_mode(&token, 0o644).expect("chmod");
        let fixes = [
            Fix::Chmod {
                path: token.clone(),
                mode: 0o600,
            },
            Fix::CreateDir {
                path: state.clone(),
            },
            Fix::Chmod {
                path: dir.path().join("missing"),
                mode: 0o600,
            },
        ];
        let outcome = apply_all(&fixes);
        assert_eq!(perms::mode(&token), Some(0o600));
        assert_eq!(perms::mode(&state), Some(0o700));
        assert_eq!(outcome.fixed.len(), 2, "{outcome:?}");
        assert!(outcome.fixed[0].starts_with("mkdir -p -m 700"));
        assert_eq!(outcome.failed.len(), 1);
        assert!(outcome.failed[0].contains("missing"), "{outcome:?}");
        assert_eq!(
            serde_json::to_value(&fixes[0]).expect("json"),
            serde_json::json!(format!("chmod 600 {}", token.display()))
        );
    }
}
