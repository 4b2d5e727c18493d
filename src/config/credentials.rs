//! The gateway's credential: the configured token or password, or a generated token.
//!
//! Resolved from `gateway.auth` and the state directory's token file. The gateway resolves it at
//! start-up; the web layer checks requests against it; the CLI reads the token file to call the
//! gateway; `pincer onboard` creates the file before the first start.
//!
//! Zero-config start must still be authenticated, so when the mode is `token` and no token is
//! configured (neither in the file nor in `PINCER_GATEWAY_TOKEN`), the gateway uses the token stored
//! in the state directory, generating it on first start: 32 random bytes from the OS, hex-encoded,
//! written with mode 0600 through a temporary file so that it is never half-written.

use std::fs;
use std::path::{Path, PathBuf};

use super::{AuthMode, Config, Secret};

/// What clients must present, and where it came from (for the start-up banner).
#[derive(Debug, Clone)]
pub struct Credential {
    pub mode: AuthMode,
    /// `None` only in mode `none`.
    pub secret: Option<Secret>,
    pub origin: CredentialOrigin,
}

/// Where the credential came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialOrigin {
    /// Set in the config file or the environment.
    Configured,
    /// Read from the token file, which was created now (`true`) or earlier.
    TokenFile { path: PathBuf, created: bool },
    /// Authentication is off.
    Disabled,
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("cannot read the gateway token file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the gateway token file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the gateway token file {path} is empty; delete it to generate a new token")]
    Empty { path: PathBuf },
    #[error("the operating system's random source failed: {0}")]
    Random(String),
}

/// Resolves the credential for `config`, creating the token file when needed.
pub fn resolve(config: &Config, token_file: &Path) -> Result<Credential, CredentialError> {
    let auth = &config.gateway.auth;
    match auth.mode {
        AuthMode::None => Ok(Credential {
            mode: AuthMode::None,
            secret: None,
            origin: CredentialOrigin::Disabled,
        }),
        AuthMode::Password => Ok(Credential {
            mode: AuthMode::Password,
            // Validation guarantees a password in this mode.
            secret: auth.password.clone(),
            origin: CredentialOrigin::Configured,
        }),
        AuthMode::Token => match &auth.token {
            Some(token) => Ok(Credential {
                mode: AuthMode::Token,
                secret: Some(token.clone()),
                origin: CredentialOrigin::Configured,
            }),
            None => {
                let (token, created) = load_or_create_token(token_file)?;
                Ok(Credential {
                    mode: AuthMode::Token,
                    secret: Some(Secret::new(token)),
                    origin: CredentialOrigin::TokenFile {
                        path: token_file.to_path_buf(),
                        created,
                    },
                })
            }
        },
    }
}

/// Reads the stored token without creating one (for CLI commands).
pub fn read_token_file(token_file: &Path) -> Option<String> {
    let text = fs::read_to_string(token_file).ok()?;
    let token = text.trim();
    (!token.is_empty()).then(|| token.to_string())
}

/// The token in `token_file`, generated (and written, mode 0600) when the file does not exist;
/// whether it was created now. `pincer onboard` uses it so that the token exists before the first
/// start.
pub fn ensure_token_file(token_file: &Path) -> Result<(String, bool), CredentialError> {
    load_or_create_token(token_file)
}

fn load_or_create_token(path: &Path) -> Result<(String, bool), CredentialError> {
    match fs::read_to_string(path) {
        Ok(text) => {
            let token = text.trim().to_string();
            if token.is_empty() {
                return Err(CredentialError::Empty {
                    path: path.to_path_buf(),
                });
            }
            Ok((token, false))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let token = generate_token()?;
            write_private(path, &token).map_err(|source| CredentialError::Write {
                path: path.to_path_buf(),
                source,
            })?;
            Ok((token, true))
        }
        Err(source) => Err(CredentialError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// 256 bits from the OS, as 64 hex characters.
pub fn generate_token() -> Result<String, CredentialError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| CredentialError::Random(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Writes the token file (0600, atomically), with a trailing newline.
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    crate::fsutil::write_private(path, format!("{contents}\n").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_config_generates_a_private_token_once_and_reuses_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("gateway.token");
        let config = Config::default();
        let first = resolve(&config, &file).expect("token created");
        assert!(matches!(
            first.origin,
            CredentialOrigin::TokenFile { created: true, .. }
        ));
        let token = first.secret.expect("token").expose().to_string();
        assert_eq!(token.len(), 64);
        assert!(token.chars().all(|c| c.is_ascii_hexdigit()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&file).expect("file").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let second = resolve(&config, &file).expect("token read");
        assert!(matches!(
            second.origin,
            CredentialOrigin::TokenFile { created: false, .. }
        ));
        assert_eq!(second.secret.expect("token").expose(), token);
    }

    #[test]
    fn a_configured_token_wins_over_the_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config::default();
        config.gateway.auth.token = Some(Secret::new("from-config"));
        let credential = resolve(&config, &dir.path().join("gateway.token")).expect("resolved");
        assert_eq!(credential.origin, CredentialOrigin::Configured);
        assert!(
            !dir.path().join("gateway.token").exists(),
            "no file is written when a token is configured"
        );
    }
}
