//! Where the files of one installation are: the config file, the state directory and the agent
//! workspace, as the gateway would find them.
//!
//! The workspace is `agent.workspace`, else `agents.defaults.workspace` (the gateway's order,
//! `config::workspace::workspace_dir`); a leading `~` is the user's home directory, and a relative
//! path is taken from the config file's directory, so the same config names the same folder
//! whatever directory `pincer backup` runs in.

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::paths::Paths;

/// The roots a backup reads from and a restore writes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Layout {
    /// The config file (it need not exist).
    pub config_file: PathBuf,
    /// The state directory (it need not exist).
    pub state_dir: PathBuf,
    /// The agent workspace, when the config names one.
    pub workspace: Option<PathBuf>,
}

impl Layout {
    /// The layout of `paths` with the workspace `config` names (none without a config).
    pub(crate) fn new(paths: &Paths, config: Option<&Config>) -> Layout {
        Layout {
            config_file: paths.config_file.clone(),
            state_dir: paths.state_dir.clone(),
            workspace: config.and_then(|c| workspace_of(c, &paths.config_file)),
        }
    }

    /// The config file and state directory, for the runtime and lock file names.
    pub(crate) fn paths(&self) -> Paths {
        Paths {
            config_file: self.config_file.clone(),
            state_dir: self.state_dir.clone(),
        }
    }

    /// The workspace a gateway of this installation uses when its config names none.
    pub(crate) fn default_workspace(&self) -> PathBuf {
        crate::config::workspace::workspace_dir(&Config::default(), &self.state_dir)
    }
}

/// The configured workspace of `config`, expanded; `config_file` anchors a relative path.
pub(crate) fn workspace_of(config: &Config, config_file: &Path) -> Option<PathBuf> {
    let raw = config
        .agent
        .workspace
        .as_deref()
        .or(config.agents.defaults.workspace.as_deref())?;
    let home = directories::BaseDirs::new().map(|dirs| dirs.home_dir().to_path_buf());
    let base = config_file.parent().unwrap_or_else(|| Path::new("."));
    expand(raw, home.as_deref(), base)
}

/// Expands `~` / `~/...` with `home` and anchors a relative path at `base`; `None` for an empty
/// setting or a `~` path without a home directory.
pub(crate) fn expand(raw: &str, home: Option<&Path>, base: &Path) -> Option<PathBuf> {
    let raw = raw.trim();
    let path = if raw.is_empty() {
        return None;
    } else if raw == "~" {
        home?.to_path_buf()
    } else if let Some(rest) = raw.strip_prefix("~/") {
        home?.join(rest)
    } else {
        PathBuf::from(raw)
    };
    Some(if path.is_relative() {
        base.join(path)
    } else {
        path
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tilde_and_relative_paths_are_expanded() {
        let home = Some(Path::new("/home/u"));
        let base = Path::new("/etc/pincer");
        assert_eq!(
            expand("~/clawd", home, base),
            Some(PathBuf::from("/home/u/clawd"))
        );
        assert_eq!(expand("~", home, base), Some(PathBuf::from("/home/u")));
        assert_eq!(expand("/srv/w", home, base), Some(PathBuf::from("/srv/w")));
        assert_eq!(
            expand("w", home, base),
            Some(PathBuf::from("/etc/pincer/w"))
        );
        assert_eq!(expand("  ", home, base), None);
        assert_eq!(expand("~/x", None, base), None);
    }

    #[test]
    fn agent_wins_over_agents_defaults_as_in_the_gateway() {
        let mut config = Config::default();
        config.agents.defaults.workspace = Some("/b".into());
        assert_eq!(
            workspace_of(&config, Path::new("/c/p.json5")),
            Some(PathBuf::from("/b"))
        );
        config.agent.workspace = Some("/a".into());
        assert_eq!(
            workspace_of(&config, Path::new("/c/p.json5")),
            Some(PathBuf::from("/a"))
        );
    }

    #[test]
    fn the_default_workspace_is_the_gateways() {
        let layout = Layout::new(
            &Paths {
                config_file: PathBuf::from("/h/pincer.json5"),
                state_dir: PathBuf::from("/h/state"),
            },
            None,
        );
        assert_eq!(
            layout.default_workspace(),
            PathBuf::from("/h/state/agents/main/workspace")
        );
    }
}
