//! Everything that can be wrong with a config, worded for the person fixing it.
//!
//! Each variant names where to look: the file (and line for syntax errors),
//! the dotted key path (`gateway.auth.mode`) for bad values, or the
//! environment variable for bad overrides. [`ConfigError::Invalid`] carries
//! every problem found, so a user fixes the file in one pass instead of one
//! restart per mistake.

use std::fmt;
use std::path::PathBuf;

/// Process exit code for an unusable config: `EX_CONFIG` from sysexits.h.
///
/// A distinct code lets supervisors tell "fix the config" from a crash:
/// systemd units set `RestartPreventExitStatus=78` so a bad config does not
/// turn into an endless relaunch loop.
pub const EXIT_CONFIG: i32 = 78;

/// One thing wrong with the config, at one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted key path such as `gateway.auth.mode`; `(root)` for the whole file.
    pub key: String,
    /// What is wrong and, where useful, how to fix it.
    pub message: String,
}

impl Problem {
    /// Builds a problem; a helper so validation rules stay one-liners.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            key: key.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// Why the config could not be loaded; all variants are fatal at start-up
/// and should end the process with [`EXIT_CONFIG`].
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file exists but could not be read.
    #[error("cannot read config {}: {source}", path.display())]
    Io {
        /// The config file.
        path: PathBuf,
        /// What the operating system reported.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid JSON5; `message` carries the line and column.
    #[error("syntax error in config {}: {message}", path.display())]
    Syntax {
        /// The config file.
        path: PathBuf,
        /// The parser's description, with its position.
        message: String,
    },
    /// The file parsed but has unknown keys, wrong types or values that
    /// break a rule; lists every problem found.
    #[error("invalid config {}:{}", path.display(), ProblemList(problems))]
    Invalid {
        /// The config file (or the path it would have, for defaults + env).
        path: PathBuf,
        /// Every problem, in file order where known.
        problems: Vec<Problem>,
    },
    /// A line of the secrets file (`<state>/secrets.env`) is not `NAME=value`.
    #[error("invalid secrets file {}: line {line}: {message}", path.display())]
    Secrets {
        /// The secrets file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// What is wrong with the line.
        message: String,
    },
    /// An environment override has a value that cannot be used.
    #[error("invalid environment variable {var}: {message}")]
    Env {
        /// The variable's name, as set by the user.
        var: String,
        /// What is wrong with its value.
        message: String,
    },
}

/// Formats problems after `invalid config <path>:` — inline when there is
/// one, one `  - key: message` line each when there are several.
struct ProblemList<'a>(&'a [Problem]);

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            [only] => write!(f, " {only}"),
            many => many.iter().try_for_each(|p| write!(f, "\n  - {p}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_problem_reads_as_one_line() {
        let err = ConfigError::Invalid {
            path: PathBuf::from("/x/pincer.json5"),
            problems: vec![Problem::new(
                "gateway.port",
                "invalid type: string \"abc\", expected u16",
            )],
        };
        assert_eq!(
            err.to_string(),
            "invalid config /x/pincer.json5: gateway.port: invalid type: string \"abc\", expected u16"
        );
    }

    #[test]
    fn several_problems_get_one_line_each() {
        let err = ConfigError::Invalid {
            path: PathBuf::from("/x/pincer.json5"),
            problems: vec![
                Problem::new("gateway.auth.mode", "a"),
                Problem::new("gateway.ssl.certPath", "b"),
            ],
        };
        assert_eq!(
            err.to_string(),
            "invalid config /x/pincer.json5:\n  - gateway.auth.mode: a\n  - gateway.ssl.certPath: b"
        );
    }

    #[test]
    fn env_error_names_the_variable() {
        let err = ConfigError::Env {
            var: "PINCER_GATEWAY_PORT".into(),
            message: "bad".into(),
        };
        assert_eq!(
            err.to_string(),
            "invalid environment variable PINCER_GATEWAY_PORT: bad"
        );
    }
}
