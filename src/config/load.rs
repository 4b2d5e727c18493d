//! Reading `pincer.json5` into a [`Config`]: file, then environment, then
//! validation.
//!
//! A missing file is not an error: Pincer starts with the defaults (zero
//! config). A present file is parsed in two passes so errors are precise:
//! first a plain JSON5 syntax pass, whose errors keep the parser's line and
//! column; then a typed pass through `serde_path_to_error`, whose errors name
//! the dotted key path (`gateway.port`) of the offending value. After that,
//! [`mod@super::env`] applies overrides and [`mod@super::validate`] checks the
//! cross-key rules, reporting every problem at once.

use std::path::{Path, PathBuf};

use serde::de::IgnoredAny;

use super::error::{ConfigError, Problem};
use super::schema::Config;
use super::{env, validate};

/// Where the loaded settings came from, for `pincer config` and start-up logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// Parsed from this file.
    File(PathBuf),
    /// No config file existed; built-in defaults were used.
    Defaults,
}

/// A config ready to use, plus how it came about (so users can tell why a
/// setting differs from their file).
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedConfig {
    /// The effective, validated settings.
    pub config: Config,
    /// The file it was read from, or [`ConfigSource::Defaults`].
    pub source: ConfigSource,
    /// Names of the environment variables that overrode file values.
    pub overrides: Vec<String>,
}

/// Loads the config at `path`, applies overrides from `env` and validates.
///
/// `env` stands in for the process environment (pass
/// `&|k| std::env::var(k).ok()` in production) so tests need not mutate it.
/// A missing file yields the defaults; any other read failure is an error.
pub fn load(
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<LoadedConfig, ConfigError> {
    load_with(path, env, &|_| {})
}

/// Like [`load`], with `adjust` applied after the environment overrides and before validation:
/// command-line flags (`--port`, `--bind`) go there, so that the checks see the final settings.
pub fn load_with(
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    adjust: &dyn Fn(&mut Config),
) -> Result<LoadedConfig, ConfigError> {
    let (mut config, source) = match std::fs::read_to_string(path) {
        Ok(text) => (
            parse_str(&text, path)?,
            ConfigSource::File(path.to_path_buf()),
        ),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            (Config::default(), ConfigSource::Defaults)
        }
        Err(source) => {
            return Err(ConfigError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let overrides = env::apply_overrides(&mut config, env)?;
    adjust(&mut config);
    let problems = validate::validate(&config);
    if !problems.is_empty() {
        return Err(ConfigError::Invalid {
            path: path.to_path_buf(),
            problems,
        });
    }
    Ok(LoadedConfig {
        config,
        source,
        overrides,
    })
}

/// Parses JSON5 text into a [`Config`] without env overrides or validation;
/// `origin` only names the file in errors.
///
/// Used by [`load`] and by tools that check a candidate file before
/// installing it.
pub fn parse_str(text: &str, origin: &Path) -> Result<Config, ConfigError> {
    // Pass 1: syntax only. `json5::from_str` also rejects trailing garbage,
    // which the streaming deserializer of pass 2 cannot check.
    if let Err(err) = json5::from_str::<IgnoredAny>(text) {
        return Err(ConfigError::Syntax {
            path: origin.to_path_buf(),
            message: syntax_message(&err),
        });
    }
    // Pass 2: the text is well-formed, so any error is about a key or value.
    let mut deserializer = json5::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|err| ConfigError::Invalid {
        path: origin.to_path_buf(),
        problems: vec![shape_problem(text, &err)],
    })
}

/// Rewords json5's terse end-of-input errors ("EOF parsing object").
fn syntax_message(err: &json5::Error) -> String {
    let text = err.to_string();
    match text.strip_prefix("EOF parsing ") {
        Some(what) => format!("unexpected end of file while parsing {what}"),
        None => text,
    }
}

/// Turns a typed-pass error into a [`Problem`] keyed by the dotted path.
fn shape_problem(text: &str, err: &serde_path_to_error::Error<json5::Error>) -> Problem {
    let inner = err.inner();
    let path = err.path().to_string();
    let mut message = inner.to_string();
    if let Some(position) = inner.position() {
        message = message
            .strip_suffix(&format!(" at {position}"))
            .unwrap_or(&message)
            .to_string();
    }
    if inner.code().is_some() {
        if let Some(fuller) = fuller_message(text, &path) {
            message = fuller;
        }
    }
    // Keep the position, but after the "expected ..." part so that reads on
    // directly from the key.
    if let Some(position) = inner.position() {
        message = format!("{message} (at {position})");
    }
    let key = if path == "." {
        "(root)".to_string()
    } else {
        path
    };
    Problem { key, message }
}

/// json5 reports a value of the wrong kind only by what it wanted ("expected
/// number"), without what it found or the exact type. Deserializing the same
/// document through `serde_json::Value` yields serde's fuller wording
/// (`invalid type: string "abc", expected u16`); it is used only when it
/// blames the same key, since `Value` visits keys in a different order.
fn fuller_message(text: &str, path: &str) -> Option<String> {
    let value: serde_json::Value = json5::from_str(text).ok()?;
    let err = serde_path_to_error::deserialize::<_, Config>(value).err()?;
    (err.path().to_string() == path).then(|| err.into_inner().to_string())
}

#[cfg(test)]
#[path = "load_tests.rs"]
mod tests;
