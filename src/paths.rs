//! Where Pincer keeps its files on disk.
//!
//! Every component that reads or writes a file (the config loader, the gateway's
//! token and runtime files, the single-instance lock) asks [`Paths`] instead of
//! building paths itself, so one set of rules decides the layout:
//!
//! - config file: `--config` > `PINCER_CONFIG` > `$PINCER_HOME/pincer.json5` >
//!   the platform config directory (`~/.config/pincer/pincer.json5` on Linux);
//! - state directory: `PINCER_STATE_DIR` > `$PINCER_HOME/state` > the platform
//!   state directory (`~/.local/state/pincer` on Linux), falling back to the
//!   local data directory where the platform has no state directory.
//!
//! Environment variables set to the empty string count as unset, so
//! `PINCER_HOME= pincer ...` behaves like not setting it at all.

use std::path::{Path, PathBuf};

use directories::ProjectDirs;

/// File name of the config inside `PINCER_HOME` or the platform config
/// directory; JSON5 so users can comment their settings.
pub(crate) const CONFIG_FILE_NAME: &str = "pincer.json5";

/// File name of the secrets file inside the state directory (see [`crate::config::secrets`]).
pub(crate) const SECRETS_FILE_NAME: &str = "secrets.env";

/// Why the file layout could not be worked out or prepared.
#[derive(Debug, thiserror::Error)]
pub enum PathsError {
    /// Neither an explicit path, the environment nor the platform gave a
    /// location; happens for service accounts without a home directory.
    #[error(
        "no home directory found: set PINCER_HOME (or PINCER_CONFIG and PINCER_STATE_DIR) \
         to tell Pincer where to keep its files"
    )]
    NoHome,
    /// A filesystem operation on one of Pincer's paths failed.
    #[error("cannot prepare {path}: {source}")]
    Io {
        /// The path the operation was working on.
        path: PathBuf,
        /// What the operating system reported.
        #[source]
        source: std::io::Error,
    },
}

/// The resolved locations of Pincer's config file and state directory.
///
/// Resolved once at start-up and passed around, so the CLI and the gateway
/// always agree on where the token, lock and runtime files live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// The JSON5 config file; it need not exist (zero-config start).
    pub config_file: PathBuf,
    /// Directory for files the gateway writes: token, lock, runtime info.
    pub state_dir: PathBuf,
}

impl Paths {
    /// Resolves the layout from the real process environment.
    ///
    /// `explicit_config` is the `--config` command-line argument, which wins
    /// over everything else.
    pub fn resolve(explicit_config: Option<&Path>) -> Result<Paths, PathsError> {
        Self::from_env_map(explicit_config, &|name| std::env::var(name).ok())
    }

    /// Resolves the layout with `env` standing in for the process environment,
    /// so the precedence rules can be tested without mutating global state.
    ///
    /// The platform directories are only consulted when neither the argument
    /// nor the environment decides, so a home-less service account works as
    /// long as `PINCER_HOME` (or both specific variables) are set.
    pub fn from_env_map(
        explicit_config: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Paths, PathsError> {
        let var = |name: &str| env(name).filter(|value| !value.is_empty());
        let home = var("PINCER_HOME").map(PathBuf::from);
        let project = || ProjectDirs::from("ai", "pincer", "pincer").ok_or(PathsError::NoHome);

        let config_file = if let Some(path) = explicit_config {
            path.to_path_buf()
        } else if let Some(path) = var("PINCER_CONFIG") {
            PathBuf::from(path)
        } else if let Some(home) = &home {
            home.join(CONFIG_FILE_NAME)
        } else {
            project()?.config_dir().join(CONFIG_FILE_NAME)
        };

        let state_dir = if let Some(path) = var("PINCER_STATE_DIR") {
            PathBuf::from(path)
        } else if let Some(home) = &home {
            home.join("state")
        } else {
            let dirs = project()?;
            dirs.state_dir()
                .unwrap_or_else(|| dirs.data_local_dir())
                .to_path_buf()
        };

        Ok(Paths {
            config_file,
            state_dir,
        })
    }

    /// The gateway's bearer token, generated on first start when the config
    /// names none; kept in the state directory so CLI clients can read it.
    pub fn token_file(&self) -> PathBuf {
        self.state_dir.join("gateway.token")
    }

    /// Written by the running gateway (pid, listen address) so `pincer status`
    /// and other clients can find it without guessing the port.
    pub fn runtime_file(&self) -> PathBuf {
        self.state_dir.join("gateway.json")
    }

    /// Credentials kept out of the config file (`pincer onboard` writes it, mode 0600); read as
    /// an extension of the environment, see [`crate::config::secrets`].
    pub fn secrets_file(&self) -> PathBuf {
        self.state_dir.join(SECRETS_FILE_NAME)
    }

    /// Held by the running gateway so a second instance refuses to start
    /// instead of fighting over the port and state files.
    pub fn lock_file(&self) -> PathBuf {
        self.state_dir.join("gateway.lock")
    }

    /// Creates the state directory if needed and, on Unix, restricts it to the
    /// owner (mode 0700), because it holds the gateway's credentials.
    pub fn ensure_state_dir(&self) -> Result<(), PathsError> {
        let dir = &self.state_dir;
        let io_err = |source| PathsError::Io {
            path: dir.clone(),
            source,
        };
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
            builder.mode(0o700);
            builder.create(dir).map_err(io_err)?;
            // An existing directory keeps its old mode; tighten it.
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(io_err)?;
        }
        #[cfg(not(unix))]
        builder.create(dir).map_err(io_err)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn explicit_config_wins_over_everything() {
        let env = env_of(&[
            ("PINCER_CONFIG", "/env/c.json5"),
            ("PINCER_HOME", "/home/p"),
        ]);
        let paths = Paths::from_env_map(Some(Path::new("/arg/c.json5")), &env).unwrap();
        assert_eq!(paths.config_file, PathBuf::from("/arg/c.json5"));
        assert_eq!(paths.state_dir, PathBuf::from("/home/p/state"));
    }

    #[test]
    fn pincer_config_beats_pincer_home() {
        let env = env_of(&[
            ("PINCER_CONFIG", "/env/c.json5"),
            ("PINCER_HOME", "/home/p"),
        ]);
        let paths = Paths::from_env_map(None, &env).unwrap();
        assert_eq!(paths.config_file, PathBuf::from("/env/c.json5"));
    }

    #[test]
    fn pincer_home_gives_both_locations() {
        let env = env_of(&[("PINCER_HOME", "/home/p")]);
        let paths = Paths::from_env_map(None, &env).unwrap();
        assert_eq!(paths.config_file, PathBuf::from("/home/p/pincer.json5"));
        assert_eq!(paths.state_dir, PathBuf::from("/home/p/state"));
        assert_eq!(
            paths.token_file(),
            PathBuf::from("/home/p/state/gateway.token")
        );
        assert_eq!(
            paths.runtime_file(),
            PathBuf::from("/home/p/state/gateway.json")
        );
        assert_eq!(
            paths.lock_file(),
            PathBuf::from("/home/p/state/gateway.lock")
        );
    }

    #[test]
    fn state_dir_variable_beats_pincer_home() {
        let env = env_of(&[
            ("PINCER_HOME", "/home/p"),
            ("PINCER_STATE_DIR", "/var/lib/pincer"),
        ]);
        let paths = Paths::from_env_map(None, &env).unwrap();
        assert_eq!(paths.state_dir, PathBuf::from("/var/lib/pincer"));
    }

    #[test]
    fn empty_variables_count_as_unset() {
        let env = env_of(&[
            ("PINCER_CONFIG", ""),
            ("PINCER_STATE_DIR", ""),
            ("PINCER_HOME", "/home/p"),
        ]);
        let paths = Paths::from_env_map(None, &env).unwrap();
        assert_eq!(paths.config_file, PathBuf::from("/home/p/pincer.json5"));
        assert_eq!(paths.state_dir, PathBuf::from("/home/p/state"));
    }

    #[test]
    fn platform_defaults_end_in_pincer_files() {
        // Depends on the real HOME; skip quietly where the platform has none.
        let Ok(paths) = Paths::from_env_map(None, &|_| None) else {
            return;
        };
        assert!(paths.config_file.ends_with("pincer.json5"));
        assert!(paths.state_dir.is_absolute());
    }

    #[test]
    fn ensure_state_dir_creates_private_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let paths = Paths {
            config_file: tmp.path().join("pincer.json5"),
            state_dir: tmp.path().join("a/b/state"),
        };
        paths.ensure_state_dir().unwrap();
        assert!(paths.state_dir.is_dir());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&paths.state_dir)
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        // Idempotent.
        paths.ensure_state_dir().unwrap();
    }

    #[test]
    fn ensure_state_dir_names_the_path_on_failure() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("not-a-dir");
        std::fs::write(&file, b"x").unwrap();
        let paths = Paths {
            config_file: tmp.path().join("pincer.json5"),
            state_dir: file.join("state"),
        };
        let err = paths.ensure_state_dir().unwrap_err();
        assert!(err.to_string().contains("not-a-dir"), "{err}");
    }
}
