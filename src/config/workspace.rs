//! The main agent's workspace directory, a rule of the config.
//!
//! `agent.workspace` for the main agent, else `agents.defaults.workspace`, else the main agent's
//! own directory under the state directory (`<state>/agents/main/workspace`). A leading `~/`
//! means the home directory, as users write it. The gateway creates it for the tools; `pincer
//! doctor`, `pincer backup` and `pincer onboard` look at the same place.

use std::path::{Path, PathBuf};

use super::Config;

/// The main agent's workspace directory, as configured (or its default under `state_dir`).
pub(crate) fn workspace_dir(config: &Config, state_dir: &Path) -> PathBuf {
    let configured = config
        .agent
        .workspace
        .as_deref()
        .or(config.agents.defaults.workspace.as_deref())
        .filter(|text| !text.is_empty());
    match configured {
        Some(text) => expand_home(text, std::env::var_os("HOME").map(PathBuf::from)),
        None => state_dir.join("agents").join("main").join("workspace"),
    }
}

/// Expands a leading `~` or `~/` with `home`; other paths are returned as written.
pub(crate) fn expand_home(text: &str, home: Option<PathBuf>) -> PathBuf {
    match (text.strip_prefix('~'), home) {
        (Some(""), Some(home)) => home,
        (Some(rest), Some(home)) if rest.starts_with('/') => home.join(&rest[1..]),
        _ => PathBuf::from(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_follows_the_config_then_the_state_dir() {
        let state = Path::new("/s");
        let mut config = Config::default();
        assert_eq!(
            workspace_dir(&config, state),
            PathBuf::from("/s/agents/main/workspace")
        );
        config.agents.defaults.workspace = Some("/w/defaults".into());
        assert_eq!(workspace_dir(&config, state), PathBuf::from("/w/defaults"));
        config.agent.workspace = Some("/w/main".into());
        assert_eq!(workspace_dir(&config, state), PathBuf::from("/w/main"));
    }

    #[test]
    fn a_leading_tilde_is_the_home_directory() {
        let home = Some(PathBuf::from("/home/u"));
        assert_eq!(
            expand_home("~/clawd", home.clone()),
            PathBuf::from("/home/u/clawd")
        );
        assert_eq!(expand_home("~", home.clone()), PathBuf::from("/home/u"));
        assert_eq!(
            expand_home("~other/x", home.clone()),
            PathBuf::from("~other/x")
        );
        assert_eq!(expand_home("/abs", home), PathBuf::from("/abs"));
        assert_eq!(expand_home("~/x", None), PathBuf::from("~/x"));
    }
}
