//! What onboarding decided: the answers of the wizard (or of the flags), as plain data.
//!
//! [`super::flow`] fills an [`Answers`] from questions (or from [`Presets`], the command-line
//! flags), [`super::render`] turns it into the commented config and [`super::commit`] into files.
//! Secrets carry where they live afterwards ([`SecretSource`]): either in the environment, which
//! the gateway reads when it starts, or stored in the secrets file now.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::channels::setup::ChannelAnswer;

use crate::config::{AuthMode, DmPolicy, ProviderApi, SandboxMode, Secret};

/// The kinds of model provider onboarding knows how to set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// Anthropic's hosted API (Claude).
    Anthropic,
    /// OpenAI's hosted API.
    OpenAi,
    /// Any server speaking OpenAI's Chat Completions (Ollama, vLLM, llama.cpp, LM Studio).
    Compatible,
}

impl ProviderKind {
    /// The spelling of `--provider` and of the wizard's choice.
    pub fn name(self) -> &'static str {
        match self {
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::OpenAi => "openai",
            ProviderKind::Compatible => "openai-compatible",
        }
    }

    /// The wire protocol the config's `models.providers.<id>.api` names.
    pub fn api(self) -> ProviderApi {
        match self {
            ProviderKind::Anthropic => ProviderApi::AnthropicMessages,
            ProviderKind::OpenAi | ProviderKind::Compatible => ProviderApi::OpenaiCompletions,
        }
    }

    /// The provider id in model refs, before any renaming (only compatible servers are named).
    pub fn default_id(self) -> &'static str {
        match self {
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::OpenAi => "openai",
            ProviderKind::Compatible => "ollama",
        }
    }

    /// Where the API is, unless `--base-url` says otherwise.
    pub fn default_base_url(self) -> &'static str {
        match self {
            ProviderKind::Anthropic => "https://api.anthropic.com",
            ProviderKind::OpenAi => "https://api.openai.com/v1",
            ProviderKind::Compatible => "http://127.0.0.1:11434/v1",
        }
    }

    /// A sensible first model: capable, and available to every account of the provider.
    pub fn default_model(self) -> &'static str {
        match self {
            ProviderKind::Anthropic => "claude-sonnet-4-5",
            ProviderKind::OpenAi => "gpt-4o",
            ProviderKind::Compatible => "llama3.2",
        }
    }

    /// The variable the provider's key is read from by default; compatible servers get
    /// `PINCER_<ID>_API_KEY` when they need a key at all.
    pub fn default_key_env(self, id: &str) -> String {
        match self {
            ProviderKind::Anthropic => "ANTHROPIC_API_KEY".into(),
            ProviderKind::OpenAi => "OPENAI_API_KEY".into(),
            ProviderKind::Compatible => format!(
                "PINCER_{}_API_KEY",
                id.to_ascii_uppercase().replace('-', "_")
            ),
        }
    }
}

pub(crate) use crate::channels::setup::{SecretAnswer, SecretSource};

/// The model provider and model.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ProviderAnswer {
    pub kind: ProviderKind,
    /// The id in model refs and in `models.providers`.
    pub id: String,
    /// Without a trailing `/`.
    pub base_url: String,
    /// The model name, without the `<id>/` prefix.
    pub model: String,
    /// `None` for a compatible server that needs no key.
    pub key: Option<SecretAnswer>,
}

impl ProviderAnswer {
    /// `provider/model`, as `agent.model` holds it.
    pub(crate) fn model_ref(&self) -> String {
        format!("{}/{}", self.id, self.model)
    }
}

/// How clients authenticate to the gateway.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AuthAnswer {
    /// A generated bearer token in the state directory's token file.
    Token,
    /// A password (`PINCER_GATEWAY_PASSWORD`); `generated` when onboarding made it up, so that it
    /// is shown once at the end.
    Password {
        secret: SecretAnswer,
        generated: bool,
    },
}

impl AuthAnswer {
    #[cfg(test)]
    /// The config's `gateway.auth.mode`.
    pub(crate) fn mode(&self) -> AuthMode {
        match self {
            AuthAnswer::Token => AuthMode::Token,
            AuthAnswer::Password { .. } => AuthMode::Password,
        }
    }
}

/// Everything the config is made of.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Answers {
    pub provider: ProviderAnswer,
    pub auth: AuthAnswer,
    pub port: u16,
    /// The channels set up, in registry order.
    pub channels: Vec<ChannelAnswer>,
    /// For every enabled channel.
    pub dm_policy: DmPolicy,
    pub workspace: PathBuf,
    pub sandbox: SandboxMode,
}

impl Answers {
    #[cfg(test)]
    /// The answer of the channel called `name`, if it was set up.
    pub(crate) fn channel(&self, name: &str) -> Option<&ChannelAnswer> {
        self.channels.iter().find(|channel| channel.channel == name)
    }

    /// Every credential of the answers, whether stored or referenced.
    pub(crate) fn secrets(&self) -> Vec<&SecretAnswer> {
        let mut all: Vec<&SecretAnswer> = self.provider.key.iter().collect();
        if let AuthAnswer::Password { secret, .. } = &self.auth {
            all.push(secret);
        }
        for channel in &self.channels {
            all.extend(&channel.secrets);
        }
        all
    }

    /// The credentials to write into the secrets file, as `(variable, value)`.
    pub(crate) fn stored_secrets(&self) -> Vec<(&str, &Secret)> {
        self.secrets()
            .into_iter()
            .filter_map(|answer| match &answer.source {
                SecretSource::Stored(value) => Some((answer.var.as_str(), value)),
                SecretSource::Environment => None,
            })
            .collect()
    }
}

/// How secrets found in the process environment are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    /// Referenced: the gateway reads the variable when it starts.
    Env,
    /// Copied into the secrets file, so a service (which does not see the login shell's
    /// variables) finds them too.
    File,
}

/// Answers given on the command line: used instead of asking (and required, with defaults, in
/// non-interactive mode). Secrets are never flags (they would show in `ps`): they come from the
/// environment.
#[derive(Debug, Clone, Default)]
pub struct Presets {
    pub provider: Option<ProviderKind>,
    pub provider_id: Option<String>,
    pub model: Option<String>,
    pub base_url: Option<String>,
    pub api_key_env: Option<String>,
    pub store: Option<Store>,
    /// `Some(false)` with `--skip-key-check`.
    pub check_key: Option<bool>,
    pub auth: Option<AuthMode>,
    pub port: Option<u16>,
    /// The values of the flags the channels add (`whatsapp-phone-number-id` → `1065...`; a
    /// switch given is `yes`), by flag name without the dashes.
    pub channel_flags: BTreeMap<String, String>,
    pub dm_policy: Option<DmPolicy>,
    pub workspace: Option<PathBuf>,
    pub sandbox: Option<SandboxMode>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compatible_servers_get_a_key_variable_of_their_own() {
        assert_eq!(
            ProviderKind::Compatible.default_key_env("lm-studio"),
            "PINCER_LM_STUDIO_API_KEY"
        );
        assert_eq!(
            ProviderKind::Anthropic.default_key_env("x"),
            "ANTHROPIC_API_KEY"
        );
    }

    #[test]
    fn stored_secrets_leave_environment_references_out() {
        let answers = Answers {
            provider: ProviderAnswer {
                kind: ProviderKind::Anthropic,
                id: "anthropic".into(),
                base_url: "https://api.anthropic.com".into(),
                model: "claude-sonnet-4-5".into(),
                key: Some(SecretAnswer::environment("ANTHROPIC_API_KEY")),
            },
            auth: AuthAnswer::Password {
                secret: SecretAnswer::stored("PINCER_GATEWAY_PASSWORD", "p".repeat(20)),
                generated: true,
            },
            port: 18789,
            channels: vec![crate::channels::telegram::setup::answer(
                SecretAnswer::stored("PINCER_TELEGRAM_BOT_TOKEN", "1:x"),
            )],
            dm_policy: DmPolicy::Pairing,
            workspace: PathBuf::from("/w"),
            sandbox: SandboxMode::NonMain,
        };
        let names: Vec<&str> = answers.stored_secrets().iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            ["PINCER_GATEWAY_PASSWORD", "PINCER_TELEGRAM_BOT_TOKEN"]
        );
        assert_eq!(answers.secrets().len(), 3);
        assert_eq!(answers.auth.mode(), AuthMode::Password);
        assert_eq!(answers.provider.model_ref(), "anthropic/claude-sonnet-4-5");
    }
}
