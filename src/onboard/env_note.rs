//! The note `pincer onboard` prints about secrets it found in the environment and left there.
//!
//! With `--store-secrets env` (the default without `--install-daemon`) a credential found in the
//! environment is only referenced: the config names the variable and nothing is written. That
//! works for a gateway started from the same shell, and silently fails for a systemd user service,
//! which does not inherit the shell's environment. The note names the variables and the ways to
//! make a service see them, so the first start as a service does not come up without its keys.

use std::path::Path;

use super::answers::{Answers, SecretSource};
use crate::service::UNIT;

/// The variables of `answers` that are referenced, not stored, and set (non-empty) in `env`:
/// the secrets found in the environment that will not be written anywhere.
pub(crate) fn unstored_found<'a>(
    answers: &'a Answers,
    env: &dyn Fn(&str) -> Option<String>,
) -> Vec<&'a str> {
    let mut vars: Vec<&str> = answers
        .secrets()
        .into_iter()
        .filter(|answer| answer.source == SecretSource::Environment)
        .filter(|answer| env(&answer.var).is_some_and(|value| !value.is_empty()))
        .map(|answer| answer.var.as_str())
        .collect();
    vars.dedup();
    vars
}

/// The note for `vars` (none: no note). `service` is whether `--install-daemon` was asked for,
/// which turns "would not find" into "will not find".
pub(crate) fn note(vars: &[&str], secrets_file: &Path, service: bool) -> Option<String> {
    if vars.is_empty() {
        return None;
    }
    let list = vars.join(", ");
    let it = if vars.len() == 1 { "it" } else { "them" };
    let who = if service {
        format!("The service installed now does not see this shell's environment and will start without {it}")
    } else {
        format!(
            "A systemd user service (`pincer service install`) does not see this shell's \
             environment and would start without {it}"
        )
    };
    Some(format!(
        "Not stored (--store-secrets env): {list}. The config only names the variable{s}; a \
         gateway started from this shell reads {it} from the environment. {who} (a channel \
         without its token stays down, a model without its key cannot answer). To run it as a \
         service, rerun with --store-secrets file, add {list} to {} (mode 0600), or set {it} in \
         the unit (`systemctl --user edit {UNIT}`, `Environment=`).",
        secrets_file.display(),
        s = if vars.len() == 1 { "" } else { "s" },
    ))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::config::{DmPolicy, SandboxMode};
    use crate::onboard::answers::{AuthAnswer, ProviderAnswer, ProviderKind, SecretAnswer};

    fn answers(key: SecretAnswer) -> Answers {
        Answers {
            provider: ProviderAnswer {
                kind: ProviderKind::Anthropic,
                id: "anthropic".into(),
                base_url: "https://api.anthropic.com".into(),
                model: "claude-sonnet-4-5".into(),
                key: Some(key),
            },
            auth: AuthAnswer::Token,
            port: 18789,
            channels: Vec::new(),
            dm_policy: DmPolicy::Pairing,
            workspace: PathBuf::from("/w"),
            sandbox: SandboxMode::NonMain,
        }
    }

    #[test]
    fn only_referenced_variables_that_are_set_are_named() {
        let mut answers = answers(SecretAnswer::environment("ANTHROPIC_API_KEY"));
        let set = |name: &str| (name == "ANTHROPIC_API_KEY").then(|| "sk-ant-x".to_string());
        assert_eq!(unstored_found(&answers, &set), ["ANTHROPIC_API_KEY"]);
        let unset = |_: &str| None;
        assert!(unstored_found(&answers, &unset).is_empty());
        answers.provider.key = Some(SecretAnswer::stored("ANTHROPIC_API_KEY", "sk-ant-x"));
        assert!(unstored_found(&answers, &set).is_empty());
    }

    #[test]
    fn the_note_names_the_variables_and_the_ways_out() {
        let file = Path::new("/h/state/secrets.env");
        assert_eq!(note(&[], file, false), None);
        let text = note(&["ANTHROPIC_API_KEY"], file, false).expect("a note");
        for needle in [
            "ANTHROPIC_API_KEY",
            "--store-secrets file",
            "/h/state/secrets.env",
            "service",
            "Environment=",
        ] {
            assert!(text.contains(needle), "{needle}: {text}");
        }
        assert!(note(&["A", "B"], file, true)
            .expect("a note")
            .contains("will start without them"));
    }
}
