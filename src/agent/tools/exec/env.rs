//! The environment of commands run by `exec`: the gateway's own, minus its secrets.
//!
//! A variable is dropped when its name belongs to Pincer or its predecessors (`PINCER_*`,
//! `CLAWDBOT_*`, `OPENCLAW_*`), when it is one the config names as holding a provider key
//! (`models.providers.*.apiKeyEnv`), or when its name says it holds a credential: it contains
//! `API_KEY`, `TOKEN`, `SECRET`, `PASSWORD`, `PASSWD`, `CREDENTIAL`, `PRIVATE_KEY`, `AUTH` or
//! `COOKIE`, or ends in `_KEY` / `_KEYS` (case-insensitive). Everything else (PATH, HOME, LANG,
//! tool settings) passes, so commands behave as in the user's shell.

use std::ffi::OsString;

const PREFIXES: [&str; 3] = ["PINCER_", "CLAWDBOT_", "OPENCLAW_"];
const MARKERS: [&str; 9] = [
    "API_KEY",
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "CREDENTIAL",
    "PRIVATE_KEY",
    "AUTH",
    "COOKIE",
];

/// Whether the variable `name` must not reach a command; `extra` are names the config says hold
/// secrets.
pub(crate) fn is_secret(name: &str, extra: &[String]) -> bool {
    let upper = name.to_ascii_uppercase();
    PREFIXES.iter().any(|p| upper.starts_with(p))
        || MARKERS.iter().any(|m| upper.contains(m))
        || upper.ends_with("_KEY")
        || upper.ends_with("_KEYS")
        || extra.iter().any(|e| e.eq_ignore_ascii_case(name))
}

/// `vars` without the secret ones (names that are not UTF-8 are dropped too).
pub(crate) fn scrub(
    vars: impl Iterator<Item = (OsString, OsString)>,
    extra: &[String],
) -> Vec<(OsString, OsString)> {
    vars.filter(|(name, _)| name.to_str().is_some_and(|n| !is_secret(n, extra)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_recognised_by_name() {
        let extra = vec!["VLLM_CREDS".to_string()];
        for secret in [
            "PINCER_GATEWAY_TOKEN",
            "CLAWDBOT_GATEWAY_PASSWORD",
            "ANTHROPIC_API_KEY",
            "OPENAI_API_KEYS",
            "GITHUB_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "TELEGRAM_BOT_TOKEN",
            "vllm_creds",
            "SSH_AUTH_SOCK",
            "SIGNING_KEY",
        ] {
            assert!(is_secret(secret, &extra), "{secret}");
        }
        for plain in ["PATH", "HOME", "LANG", "TERM", "CARGO_HOME", "KEYBOARD"] {
            assert!(!is_secret(plain, &extra), "{plain}");
        }
    }

    #[test]
    fn scrub_keeps_the_rest() {
        let vars = [("PATH", "/bin"), ("OPENAI_API_KEY", "sk"), ("HOME", "/h")]
            .into_iter()
            .map(|(k, v)| (OsString::from(k), OsString::from(v)));
        let kept: Vec<String> = scrub(vars, &[])
            .into_iter()
            .map(|(k, _)| k.to_string_lossy().into_owned())
            .collect();
        assert_eq!(kept, ["PATH", "HOME"]);
    }
}
