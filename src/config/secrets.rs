//! The secrets file: `<state>/secrets.env`, credentials kept out of the config file.
//!
//! `pincer onboard` stores what it asked for without echo (a provider's API key, the gateway
//! password, channel tokens) here, mode 0600, as `NAME=value` lines named after the environment
//! variables the config already reads (`ANTHROPIC_API_KEY`, `PINCER_GATEWAY_PASSWORD`,
//! `PINCER_WHATSAPP_ACCESS_TOKEN`, a provider's `apiKeyEnv`, ...). The file is an extension of the
//! environment: [`Environment::get`] answers from the process environment first and from the
//! file second, and every reader of the environment (config overrides in [`super::load()`], the
//! provider catalog's keys) goes through it. So a variable set by the operator always wins, and
//! a gateway started by systemd, which does not inherit the login shell's variables, still finds
//! its keys.
//!
//! It lives in the state directory (0700) beside the generated `gateway.token`, so backups carry
//! it and `pincer security audit` checks its mode. A line that is not `NAME=value` is a
//! configuration error naming the line; values are taken verbatim (no quotes, no expansion).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::error::ConfigError;
use super::secret::Secret;

/// The secrets file of the state directory `state_dir` (its name is the layout's, see
/// [`crate::paths::Paths::secrets_file`]).
pub fn secrets_path(state_dir: &Path) -> PathBuf {
    state_dir.join(crate::paths::SECRETS_FILE_NAME)
}

/// The parsed file: variable name → value, in name order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretsFile {
    entries: BTreeMap<String, Secret>,
}

impl SecretsFile {
    /// Reads `path`; a missing file is an empty one (nothing was stored yet).
    pub fn read(path: &Path) -> Result<SecretsFile, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => SecretsFile::parse(&text, path),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                Ok(SecretsFile::default())
            }
            Err(source) => Err(ConfigError::Io {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// Parses the file's text; `origin` names the file in errors.
    pub fn parse(text: &str, origin: &Path) -> Result<SecretsFile, ConfigError> {
        let mut entries = BTreeMap::new();
        for (index, raw) in text.lines().enumerate() {
            let line = raw.trim_end_matches('\r');
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let error = |message: String| ConfigError::Secrets {
                path: origin.to_path_buf(),
                line: index + 1,
                message,
            };
            let Some((name, value)) = line.split_once('=') else {
                return Err(error("expected NAME=value".into()));
            };
            let name = name.trim();
            check_name(name).map_err(error)?;
            entries.insert(name.to_string(), Secret::new(value));
        }
        Ok(SecretsFile { entries })
    }

    /// The stored value of `name`.
    pub fn get(&self, name: &str) -> Option<&Secret> {
        self.entries.get(name)
    }

    /// Stores `value` under `name`, replacing what was there.
    pub fn set(&mut self, name: &str, value: Secret) -> Result<(), String> {
        check_name(name)?;
        check_value(value.expose())?;
        self.entries.insert(name.to_string(), value);
        Ok(())
    }

    /// Forgets `name`; whether it was there.
    pub fn remove(&mut self, name: &str) -> bool {
        self.entries.remove(name).is_some()
    }

    /// The stored names, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.entries.keys().map(String::as_str).collect()
    }

    /// The file's text: a header saying what the file is, then one line per entry.
    pub fn render(&self) -> String {
        let mut text = String::from(
            "# Pincer secrets (mode 0600), read by the gateway and the CLI after the process\n\
             # environment: a variable set in the environment wins over the same name here.\n\
             # NAME=value, one per line; values are taken verbatim (no quotes).\n",
        );
        for (name, value) in &self.entries {
            text.push_str(name);
            text.push('=');
            text.push_str(value.expose());
            text.push('\n');
        }
        text
    }
}

/// Names are environment-variable names: `A-Z`, `a-z`, digits and `_`, not starting with a digit.
pub(crate) fn check_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let valid_start = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if valid_start && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a variable name (letters, digits and _, not starting with a digit)"
        ))
    }
}

/// A value must fit on its line.
fn check_value(value: &str) -> Result<(), String> {
    if value.contains(['\n', '\r', '\0']) {
        Err("a secret cannot contain line breaks or NUL characters".into())
    } else {
        Ok(())
    }
}

/// What the config sees as "the environment": the process environment, then the secrets file.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    secrets: SecretsFile,
}

impl Environment {
    /// The process environment over the secrets file at `path` (missing: the environment alone).
    pub fn load(path: &Path) -> Result<Environment, ConfigError> {
        Ok(Environment {
            secrets: SecretsFile::read(path)?,
        })
    }

    /// The process environment over `secrets`.
    pub fn with_secrets(secrets: SecretsFile) -> Environment {
        Environment { secrets }
    }

    /// The value of `name`: the process environment's when set and not empty, else the file's.
    pub fn get(&self, name: &str) -> Option<String> {
        std::env::var(name)
            .ok()
            .filter(|value| !value.is_empty())
            .or_else(|| self.from_file(name))
    }

    /// The value of `name` in the secrets file alone.
    pub fn from_file(&self, name: &str) -> Option<String> {
        self.secrets
            .get(name)
            .map(|secret| secret.expose().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_values_comments_and_blank_lines() {
        let text = "# header\n\nANTHROPIC_API_KEY=sk-ant=with=equals\r\n  # indented comment\nPINCER_X= spaced \n";
        let file = SecretsFile::parse(text, Path::new("s.env")).expect("parses");
        assert_eq!(file.names(), ["ANTHROPIC_API_KEY", "PINCER_X"]);
        assert_eq!(
            file.get("ANTHROPIC_API_KEY").map(Secret::expose),
            Some("sk-ant=with=equals")
        );
        assert_eq!(file.get("PINCER_X").map(Secret::expose), Some(" spaced "));
    }

    #[test]
    fn a_bad_line_is_a_config_error_naming_the_line() {
        for (text, line) in [("A=1\nnot a pair\n", 2), ("1BAD=x", 1), ("=x", 1)] {
            match SecretsFile::parse(text, Path::new("/s/secrets.env")) {
                Err(ConfigError::Secrets { line: got, .. }) => assert_eq!(got, line, "{text}"),
                other => panic!("{text:?}: {other:?}"),
            }
        }
        let message = SecretsFile::parse("oops", Path::new("/s/secrets.env"))
            .expect_err("bad")
            .to_string();
        assert!(
            message.contains("/s/secrets.env") && message.contains("line 1"),
            "{message}"
        );
    }

    #[test]
    fn render_round_trips_and_refuses_multi_line_values() {
        let mut file = SecretsFile::default();
        file.set("B_KEY", Secret::new("two")).expect("set");
        file.set("A_KEY", Secret::new("one=1")).expect("set");
        assert!(file.set("C", Secret::new("x\ny")).is_err());
        assert!(file.set("no-dash", Secret::new("x")).is_err());
        let text = file.render();
        assert!(text.starts_with("# Pincer secrets"));
        assert_eq!(
            SecretsFile::parse(&text, Path::new("x")).expect("parses"),
            file
        );
        assert!(file.remove("A_KEY"));
        assert!(!file.remove("A_KEY"));
        assert_eq!(file.names(), ["B_KEY"]);
    }

    #[test]
    fn a_missing_file_is_empty_and_the_file_answers_after_the_environment() {
        let dir = tempfile::tempdir().expect("dir");
        let path = secrets_path(dir.path());
        assert_eq!(
            SecretsFile::read(&path).expect("missing"),
            SecretsFile::default()
        );
        std::fs::write(
            &path,
            "PINCER_TEST_SECRETS_ONLY_IN_FILE=file\nPATH=from-file\n",
        )
        .expect("write");
        let env = Environment::load(&path).expect("loads");
        assert_eq!(
            env.get("PINCER_TEST_SECRETS_ONLY_IN_FILE").as_deref(),
            Some("file")
        );
        // PATH is always set in the test process: the environment wins.
        assert_ne!(env.get("PATH").as_deref(), Some("from-file"));
        assert_eq!(env.from_file("PATH").as_deref(), Some("from-file"));
    }
}
