//! Environment-variable overrides, applied on top of the config file.
//!
//! Containers and systemd units configure services through the environment,
//! and secrets are better passed that way than written to a file. Each
//! override has a `PINCER_*` name and, where Clawdbot had one, the old
//! `CLAWDBOT_*` name as an alias so existing Docker set-ups keep working; the
//! `PINCER_*` name wins when both are set. Variables set to the empty string
//! count as unset (Compose passes `VAR=` for undefined substitutions).

use super::error::ConfigError;
use super::schema::Config;
use super::secret::Secret;

/// One overridable setting: its variable names and how to apply a value.
pub(in crate::config) struct Override {
    pub(in crate::config) name: &'static str,
    pub(in crate::config) alias: Option<&'static str>,
    pub(in crate::config) apply: fn(&mut Config, &str) -> Result<(), String>,
}

/// The overrides of the core settings; each channel section's follow, in
/// [`super::channels::SECTIONS`] order, and all are applied and reported in that order.
const OVERRIDES: &[Override] = &[
    Override {
        name: "PINCER_GATEWAY_PORT",
        alias: Some("CLAWDBOT_GATEWAY_PORT"),
        apply: set_port,
    },
    Override {
        name: "PINCER_GATEWAY_TOKEN",
        alias: None,
        apply: |config, value| {
            config.gateway.auth.token = Some(Secret::new(value));
            Ok(())
        },
    },
    Override {
        name: "PINCER_GATEWAY_PASSWORD",
        alias: Some("CLAWDBOT_GATEWAY_PASSWORD"),
        // As in the seed's Docker set-up, a password in the environment alone means password
        // auth: when no token is configured, the mode switches from the default `token`.
        apply: |config, value| {
            config.gateway.auth.password = Some(Secret::new(value));
            if config.gateway.auth.mode == super::schema::AuthMode::Token
                && config.gateway.auth.token.is_none()
            {
                config.gateway.auth.mode = super::schema::AuthMode::Password;
            }
            Ok(())
        },
    },
    Override {
        name: "PINCER_AGENT_MODEL",
        alias: Some("CLAWDBOT_AGENT_MODEL"),
        apply: |config, value| {
            config.agent.model = value.to_string();
            Ok(())
        },
    },
];

/// Applies every override present in `env` to `config` and returns the names
/// of the variables used (the alias's name when the alias supplied it).
///
/// Fails on the first unusable value, naming the variable.
pub fn apply_overrides(
    config: &mut Config,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<String>, ConfigError> {
    let lookup = |name: &str| env(name).filter(|value| !value.is_empty());
    let mut applied = Vec::new();
    let channels = super::channels::SECTIONS
        .iter()
        .flat_map(|section| section.overrides);
    for entry in OVERRIDES.iter().chain(channels) {
        let found = lookup(entry.name)
            .map(|value| (entry.name, value))
            .or_else(|| {
                entry
                    .alias
                    .and_then(|alias| lookup(alias).map(|value| (alias, value)))
            });
        if let Some((var, value)) = found {
            (entry.apply)(config, &value).map_err(|message| ConfigError::Env {
                var: var.to_string(),
                message,
            })?;
            applied.push(var.to_string());
        }
    }
    Ok(applied)
}

/// Port 0 is accepted: it asks the OS for a free port.
fn set_port(config: &mut Config, value: &str) -> Result<(), String> {
    config.gateway.port = value
        .trim()
        .parse()
        .map_err(|_| format!("expected a port number from 0 to 65535, got {value:?}"))?;
    Ok(())
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

    fn apply(pairs: &[(&str, &str)]) -> Result<(Config, Vec<String>), ConfigError> {
        let mut config = Config::default();
        let names = apply_overrides(&mut config, &env_of(pairs))?;
        Ok((config, names))
    }

    #[test]
    fn no_variables_change_nothing() {
        let (config, names) = apply(&[]).unwrap();
        assert_eq!(config, Config::default());
        assert!(names.is_empty());
    }

    #[test]
    fn pincer_names_apply() {
        let (config, names) = apply(&[
            ("PINCER_GATEWAY_PORT", "9000"),
            ("PINCER_GATEWAY_TOKEN", "tok"),
            ("PINCER_GATEWAY_PASSWORD", "pw"),
            ("PINCER_AGENT_MODEL", "openai/gpt-4o"),
        ])
        .unwrap();
        assert_eq!(config.gateway.port, 9000);
        assert_eq!(config.gateway.auth.token, Some(Secret::new("tok")));
        assert_eq!(config.gateway.auth.password, Some(Secret::new("pw")));
        assert_eq!(
            config.gateway.auth.mode,
            super::super::schema::AuthMode::Token,
            "a token is configured too: token mode stays"
        );
        assert_eq!(config.agent.model, "openai/gpt-4o");
        assert_eq!(
            names,
            [
                "PINCER_GATEWAY_PORT",
                "PINCER_GATEWAY_TOKEN",
                "PINCER_GATEWAY_PASSWORD",
                "PINCER_AGENT_MODEL"
            ]
        );
    }

    #[test]
    fn clawdbot_aliases_apply_and_are_reported_by_their_own_name() {
        let (config, names) = apply(&[
            ("CLAWDBOT_GATEWAY_PORT", "9001"),
            ("CLAWDBOT_GATEWAY_PASSWORD", "pw"),
            (
                "CLAWDBOT_AGENT_MODEL",
                "anthropic/claude-3-5-sonnet-20241022",
            ),
        ])
        .unwrap();
        assert_eq!(config.gateway.port, 9001);
        assert_eq!(config.gateway.auth.password, Some(Secret::new("pw")));
        assert_eq!(
            config.gateway.auth.mode,
            super::super::schema::AuthMode::Password,
            "the seed's Docker set-up: a password alone in the environment means password auth"
        );
        assert_eq!(config.agent.model, "anthropic/claude-3-5-sonnet-20241022");
        assert_eq!(
            names,
            [
                "CLAWDBOT_GATEWAY_PORT",
                "CLAWDBOT_GATEWAY_PASSWORD",
                "CLAWDBOT_AGENT_MODEL"
            ]
        );
    }

    #[test]
    fn pincer_name_wins_over_alias() {
        let (config, names) = apply(&[
            ("PINCER_GATEWAY_PORT", "9000"),
            ("CLAWDBOT_GATEWAY_PORT", "9001"),
            ("PINCER_AGENT_MODEL", "new"),
            ("CLAWDBOT_AGENT_MODEL", "old"),
        ])
        .unwrap();
        assert_eq!(config.gateway.port, 9000);
        assert_eq!(config.agent.model, "new");
        assert_eq!(names, ["PINCER_GATEWAY_PORT", "PINCER_AGENT_MODEL"]);
    }

    #[test]
    fn empty_value_counts_as_unset() {
        let (config, names) = apply(&[
            ("PINCER_GATEWAY_PORT", ""),
            ("CLAWDBOT_GATEWAY_PORT", "9001"),
            ("PINCER_GATEWAY_TOKEN", ""),
        ])
        .unwrap();
        assert_eq!(config.gateway.port, 9001);
        assert_eq!(config.gateway.auth.token, None);
        assert_eq!(names, ["CLAWDBOT_GATEWAY_PORT"]);
    }

    #[test]
    fn port_zero_means_os_chosen() {
        let (config, _) = apply(&[("PINCER_GATEWAY_PORT", "0")]).unwrap();
        assert_eq!(config.gateway.port, 0);
    }

    #[test]
    fn bad_port_names_the_variable() {
        for (var, value) in [
            ("PINCER_GATEWAY_PORT", "abc"),
            ("CLAWDBOT_GATEWAY_PORT", "70000"),
            ("PINCER_GATEWAY_PORT", "-1"),
        ] {
            let err = apply(&[(var, value)]).unwrap_err();
            match &err {
                ConfigError::Env { var: named, .. } => assert_eq!(named, var),
                other => panic!("unexpected error {other:?}"),
            }
            let text = err.to_string();
            assert!(text.contains(var) && text.contains(value), "{text}");
        }
    }

    #[test]
    fn a_password_alone_in_the_environment_means_password_auth() {
        let (config, _) = apply(&[("PINCER_GATEWAY_PASSWORD", "pw")]).unwrap();
        assert_eq!(
            config.gateway.auth.mode,
            super::super::schema::AuthMode::Password
        );
    }
}
