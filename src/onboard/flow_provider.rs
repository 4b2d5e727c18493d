//! The model-provider questions of onboarding: which provider, its name and URL for
//! OpenAI-compatible servers, the model, where the API key comes from, and the optional test
//! call ([`super::keycheck`]) after which a rejected key is asked again. Part of [`super::flow`].

use super::answers::{ProviderAnswer, ProviderKind, SecretAnswer, SecretSource};
use super::checks;
use super::flow::Flow;
use super::keycheck::{KeyCheck, KeyProbe};
use super::prompt::{Choice, Question};
use super::OnboardError;

impl Flow<'_, '_> {
    pub(super) fn provider(&mut self) -> Result<ProviderAnswer, OnboardError> {
        let pre = self.ctx.presets;
        let kind = self.p.choose(
            &Question::new("Model provider", "--provider")
                .default("anthropic")
                .preset(pre.provider.map(ProviderKind::name)),
            &[
                Choice {
                    name: "anthropic",
                    value: ProviderKind::Anthropic,
                    help: "Claude, through Anthropic's API (needs an API key)",
                },
                Choice {
                    name: "openai",
                    value: ProviderKind::OpenAi,
                    help: "GPT models, through OpenAI's API (needs an API key)",
                },
                Choice {
                    name: "openai-compatible",
                    value: ProviderKind::Compatible,
                    help: "a server with OpenAI's API: Ollama, vLLM, llama.cpp, LM Studio",
                },
            ],
        )?;
        let compatible = kind == ProviderKind::Compatible;
        let id = if compatible {
            self.p.ask(
                &Question::new(
                    "Name of this server in model refs (<name>/<model>)",
                    "--provider-id",
                )
                .default(kind.default_id())
                .preset(pre.provider_id.clone()),
                checks::provider_id,
            )?
        } else {
            kind.default_id().to_string()
        };
        let base_url = if compatible || pre.base_url.is_some() {
            self.p.ask(
                &Question::new("Base URL of its OpenAI-compatible API", "--base-url")
                    .default(kind.default_base_url())
                    .preset(pre.base_url.clone()),
                checks::base_url,
            )?
        } else {
            kind.default_base_url().to_string()
        };
        let model = self.p.ask(
            &Question::new("Model", "--model")
                .default(kind.default_model())
                .preset(pre.model.clone()),
            |text| checks::model(text, &id),
        )?;
        let key = self.provider_key(kind, &id)?;
        let key = self.verify_key(kind, &id, &base_url, key)?;
        Ok(ProviderAnswer {
            kind,
            id,
            base_url,
            model,
            key,
        })
    }

    /// Where the provider's key comes from.
    fn provider_key(
        &mut self,
        kind: ProviderKind,
        id: &str,
    ) -> Result<Option<SecretAnswer>, OnboardError> {
        let pre = self.ctx.presets;
        if kind == ProviderKind::Compatible {
            let needs = self.p.confirm(
                &Question::new(
                    "Does this server need an API key? (Ollama does not)",
                    "--api-key-env",
                )
                .default("no")
                .preset(pre.api_key_env.as_ref().map(|_| "yes")),
            )?;
            if !needs {
                return Ok(None);
            }
        }
        let var = match &pre.api_key_env {
            Some(var) => self.p.ask(
                &Question::new("Variable holding the API key", "--api-key-env")
                    .preset(Some(var.clone())),
                checks::env_var,
            )?,
            None => kind.default_key_env(id),
        };
        let label = format!("API key for {id}");
        if let Some(found) = self.found_credential(&[&var], &label, checks::api_key)? {
            return Ok(Some(found));
        }
        match self.p.secret(&label, checks::api_key)? {
            Some(typed) => Ok(Some(SecretAnswer::stored(&var, typed))),
            None => {
                self.p.warn(&format!(
                    "{var} is not set: set it in the gateway's environment (or add it to {}) \
                     before the assistant can answer",
                    self.ctx.secrets_file.display()
                ));
                Ok(Some(SecretAnswer::environment(&var)))
            }
        }
    }

    /// Tries the key with one request, if wanted; interactively, a rejected key is asked again.
    fn verify_key(
        &mut self,
        kind: ProviderKind,
        id: &str,
        base_url: &str,
        mut key: Option<SecretAnswer>,
    ) -> Result<Option<SecretAnswer>, OnboardError> {
        let value = |key: &Option<SecretAnswer>| -> Option<String> {
            match &key.as_ref()?.source {
                SecretSource::Stored(secret) => Some(secret.expose().to_string()),
                SecretSource::Environment => (self.ctx.env)(&key.as_ref()?.var),
            }
        };
        if key.is_some() && value(&key).is_none() {
            return Ok(key);
        }
        let mut probe = KeyProbe {
            api: kind.api(),
            base_url: base_url.to_string(),
            key: value(&key),
        };
        let what = if key.is_some() {
            "the API key"
        } else {
            "the server"
        };
        let wanted = self.p.confirm(
            &Question::new(
                &format!("Check {what} now with a request to {}", probe.url()),
                "--skip-key-check",
            )
            .default("yes")
            .preset(self.ctx.presets.check_key.map(yes_no)),
        )?;
        if !wanted {
            return Ok(key);
        }
        loop {
            match (self.ctx.check_key)(&probe) {
                KeyCheck::Accepted => {
                    self.p.say(&format!("  ok: {what} works"));
                    return Ok(key);
                }
                KeyCheck::Inconclusive(why) => {
                    self.p.warn(&format!(
                        "{what} could not be checked: {why}; going on without"
                    ));
                    if kind == ProviderKind::Compatible {
                        self.p.say(
                            "  (is the server running? For Ollama: `ollama serve`, then \
                             `ollama pull <model>`)",
                        );
                    }
                    return Ok(key);
                }
                KeyCheck::Rejected(why) if !self.p.interactive() => {
                    return Err(OnboardError::KeyRejected(why));
                }
                KeyCheck::Rejected(why) => {
                    self.p.say(&format!(
                        "  ! the provider rejected the key ({why}); enter a valid one"
                    ));
                    let var = key
                        .as_ref()
                        .map_or_else(|| kind.default_key_env(id), |k| k.var.clone());
                    let label = format!("API key for {id}");
                    let typed = self.p.secret(&label, checks::api_key)?.unwrap_or_default();
                    if (self.ctx.env)(&var).is_some_and(|v| !v.is_empty()) {
                        self.p.warn(&format!(
                            "{var} is also set in this shell's environment, and the environment \
                             wins over the secrets file: update or unset it before starting the \
                             gateway from here"
                        ));
                    }
                    probe.key = Some(typed.clone());
                    key = Some(SecretAnswer::stored(&var, typed));
                }
            }
        }
    }
}

fn yes_no(value: bool) -> &'static str {
    if value {
        "yes"
    } else {
        "no"
    }
}
