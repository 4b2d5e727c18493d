//! The checks each onboarding answer must pass, worded for the person who typed it.
//!
//! Every function takes the text as typed (the wizard has trimmed it) and returns the value to
//! use or a message saying what is wrong and what a right answer looks like; the wizard prints
//! the message and asks again, the non-interactive mode stops with it. The same checks apply to
//! flags and to values found in the environment, so no path skips them.

use std::path::{Path, PathBuf};

use crate::channels::setup::token_like;
use crate::config::workspace::expand_home;
use crate::ops::audit_config::MIN_PASSWORD_CHARS;

/// A TCP port for the gateway (0, "any free port", makes no sense for a fixed install).
pub(crate) fn port(text: &str) -> Result<u16, String> {
    match text.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(format!("a port is a number from 1 to 65535 (got {text:?})")),
    }
}

/// `yes`/`no` and their usual short forms.
pub(crate) fn yes_no(text: &str) -> Result<bool, String> {
    match text.to_ascii_lowercase().as_str() {
        "y" | "yes" | "true" => Ok(true),
        "n" | "no" | "false" => Ok(false),
        _ => Err(format!("answer yes or no (got {text:?})")),
    }
}

/// The name of an OpenAI-compatible provider, as it appears in model refs (`<id>/<model>`).
pub(crate) fn provider_id(text: &str) -> Result<String, String> {
    let valid_chars = text
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    let starts_well = text
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !(valid_chars && starts_well && text.len() <= 32) {
        return Err(format!(
            "use up to 32 lower-case letters, digits, - and _, e.g. ollama or vllm (got {text:?})"
        ));
    }
    if matches!(text, "anthropic" | "openai") {
        return Err(format!(
            "{text:?} is the built-in hosted provider; pick it from the provider list, or name \
             this server differently (e.g. ollama, vllm, local)"
        ));
    }
    Ok(text.to_string())
}

/// A model name; a `<id>/` prefix the user typed out of habit is accepted and dropped.
pub(crate) fn model(text: &str, provider_id: &str) -> Result<String, String> {
    let name = text
        .strip_prefix(provider_id)
        .and_then(|rest| rest.strip_prefix('/'))
        .unwrap_or(text);
    let printable = name
        .chars()
        .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\');
    if name.is_empty() || !printable || name.starts_with('/') || name.len() > 200 {
        return Err(format!(
            "a model name has no spaces or quotes, e.g. claude-sonnet-4-5, gpt-4o or qwen3:8b \
             (got {text:?})"
        ));
    }
    Ok(name.to_string())
}

/// An API base URL; a trailing `/` is dropped.
pub(crate) fn base_url(text: &str) -> Result<String, String> {
    let rest = text
        .strip_prefix("http://")
        .or_else(|| text.strip_prefix("https://"));
    let host = rest.map(|r| r.split('/').next().unwrap_or_default());
    match host {
        Some(host) if !host.is_empty() && !text.contains(char::is_whitespace) => {
            Ok(text.trim_end_matches('/').to_string())
        }
        _ => Err(format!(
            "a URL starting with http:// or https://, e.g. http://127.0.0.1:11434/v1 for Ollama \
             (got {text:?})"
        )),
    }
}

/// The name of an environment variable.
pub(crate) fn env_var(text: &str) -> Result<String, String> {
    crate::config::secrets::check_name(text).map(|()| text.to_string())
}

/// A provider's API key.
pub(crate) fn api_key(text: &str) -> Result<String, String> {
    token_like(text, 8, "an API key")
}

/// The gateway password: long enough for the security audit, typable, one line.
pub(crate) fn password(text: &str) -> Result<String, String> {
    let length = text.chars().count();
    if length < MIN_PASSWORD_CHARS {
        return Err(format!(
            "the password needs at least {MIN_PASSWORD_CHARS} characters (this one has {length})"
        ));
    }
    if length > 256 || text.chars().any(char::is_control) {
        return Err("the password must be one line of at most 256 characters".into());
    }
    if text.trim() != text {
        return Err("the password must not start or end with a space".into());
    }
    Ok(text.to_string())
}

/// The workspace folder: `~` is the home directory, a relative path is taken from the current
/// directory. The folder is created (with its parents) and must be writable.
pub(crate) fn workspace(text: &str) -> Result<PathBuf, String> {
    let expanded = expand_home(text, std::env::var_os("HOME").map(PathBuf::from));
    let path = if expanded.is_absolute() {
        expanded
    } else {
        std::env::current_dir()
            .map_err(|e| format!("cannot tell the current directory ({e}); give an absolute path"))?
            .join(expanded)
    };
    writable_dir(&path)?;
    Ok(path)
}

/// Creates `dir` if needed and checks that files can be created in it.
pub(crate) fn writable_dir(dir: &Path) -> Result<(), String> {
    let shown = dir.display();
    if let Err(error) = std::fs::create_dir_all(dir) {
        return Err(format!(
            "cannot create {shown}: {error}; choose a folder you can write to (or create it \
             first: mkdir -p {shown})"
        ));
    }
    let probe = dir.join(format!(".pincer-write-test-{}", std::process::id()));
    match std::fs::write(&probe, b"") {
        Ok(()) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(error) => Err(format!(
            "cannot write in {shown}: {error}; choose a folder you own, or fix its permissions \
             (chown/chmod)"
        )),
    }
}

/// A secret typed or pasted: long enough, one word, no control characters.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_and_yes_no() {
        assert_eq!(port("18789"), Ok(18789));
        for bad in ["0", "65536", "abc", "-1", ""] {
            assert!(port(bad).is_err(), "{bad}");
        }
        assert_eq!(yes_no("Y"), Ok(true));
        assert_eq!(yes_no("no"), Ok(false));
        assert!(yes_no("maybe").is_err());
    }

    #[test]
    fn provider_names_models_and_urls() {
        assert_eq!(provider_id("vllm").as_deref(), Ok("vllm"));
        for bad in ["Ollama", "-x", "openai", "a b", ""] {
            assert!(provider_id(bad).is_err(), "{bad}");
        }
        assert_eq!(
            model("ollama/qwen3:8b", "ollama").as_deref(),
            Ok("qwen3:8b")
        );
        assert_eq!(
            model("meta/llama-3", "vllm").as_deref(),
            Ok("meta/llama-3"),
            "slashes of the model's own name stay"
        );
        for bad in ["", "two words", "x\"y", "/x"] {
            assert!(model(bad, "p").is_err(), "{bad}");
        }
        assert_eq!(
            base_url("http://127.0.0.1:11434/v1/").as_deref(),
            Ok("http://127.0.0.1:11434/v1")
        );
        for bad in ["127.0.0.1:11434", "http://", "ftp://x", "http://a b"] {
            assert!(base_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn credentials() {
        assert!(password("short").is_err());
        assert!(password(" twelve-chars-x").is_err());
        assert!(password("correct horse battery").is_ok());
        assert!(api_key("sk-ant-api03-abcdef").is_ok());
        assert!(api_key("sk ant api03 abcdef").is_err());
        assert!(api_key("short").is_err());
    }

    #[test]
    fn workspaces_are_created_and_must_be_writable() {
        let dir = tempfile::tempdir().expect("dir");
        let wanted = dir.path().join("a/b");
        let text = wanted.display().to_string();
        assert_eq!(workspace(&text), Ok(wanted.clone()));
        assert!(wanted.is_dir());
        let file = dir.path().join("file");
        std::fs::write(&file, b"x").expect("file");
        let error = workspace(&file.join("sub").display().to_string()).expect_err("under a file");
        assert!(error.contains("cannot create"), "{error}");
    }
}
