//! The questions of onboarding, in order, turning a [`Prompter`] into [`Answers`].
//!
//! Model provider, model and key (with an optional test call) → gateway auth and port → chat
//! channels ([`super::flow_channels`]) → workspace and sandbox. The same code runs
//! interactively and with `--non-interactive`; the [`Context`] brings what the questions depend
//! on from outside (environment, the secrets file as it is, the key check, the port probe), so
//! that tests can run the whole flow from a script.

use std::path::PathBuf;

use super::answers::{
    Answers, AuthAnswer, Presets, ProviderAnswer, ProviderKind, SecretAnswer, SecretSource, Store,
};
use super::checks;
use super::keycheck::{KeyCheck, KeyProbe};
use super::prompt::{Choice, Prompter, Question};
use super::OnboardError;
use crate::config::{AuthMode, SandboxMode, SecretsFile};

/// What the questions depend on besides the answers.
pub struct Context<'a> {
    pub presets: &'a Presets,
    /// The process environment.
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// The secrets file as it is now; a value found there can be kept.
    pub stored: &'a SecretsFile,
    /// Shown in questions about the secrets file.
    pub secrets_file: PathBuf,
    pub default_workspace: PathBuf,
    /// `--install-daemon`: secrets found in the environment are better copied into the file.
    pub install_daemon: bool,
    pub check_key: &'a dyn Fn(&KeyProbe) -> KeyCheck,
    pub port_free: &'a dyn Fn(u16) -> bool,
}

/// The flow's state: the prompter, the context and the choices made once for all secrets.
pub(super) struct Flow<'a, 'b> {
    pub(super) p: &'a mut Prompter<'b>,
    pub(super) ctx: &'a Context<'a>,
    store: Option<Store>,
}

/// Asks every question and returns the answers.
pub fn ask_all(p: &mut Prompter<'_>, ctx: &Context<'_>) -> Result<Answers, OnboardError> {
    let mut flow = Flow {
        p,
        ctx,
        store: None,
    };
    flow.p.section("Model provider");
    let provider = flow.provider()?;
    flow.p.section("Gateway access");
    let auth = flow.auth()?;
    let port = flow.port()?;
    flow.p.section("Chat channels");
    let (whatsapp, telegram, dm_policy) = flow.channels()?;
    flow.p.section("Agent");
    let workspace = flow.p.ask(
        &Question::new(
            "Workspace folder (where the agent keeps its files)",
            "--workspace",
        )
        .default(ctx.default_workspace.display().to_string())
        .preset(
            ctx.presets
                .workspace
                .as_ref()
                .map(|w| w.display().to_string()),
        ),
        checks::workspace,
    )?;
    let sandbox = flow.p.choose(
        &Question::new("Tool sandbox", "--sandbox")
            .default("non-main")
            .preset(ctx.presets.sandbox.map(sandbox_name)),
        &[
            Choice {
                name: "non-main",
                value: SandboxMode::NonMain,
                help: "sessions started by other people (chats, groups) run tools sandboxed; \
                       yours do not (recommended)",
            },
            Choice {
                name: "all",
                value: SandboxMode::All,
                help: "every session, yours too",
            },
            Choice {
                name: "off",
                value: SandboxMode::Off,
                help: "no sandbox: other people's messages run tools with your rights",
            },
        ],
    )?;
    Ok(Answers {
        provider,
        auth,
        port,
        whatsapp,
        telegram,
        dm_policy,
        workspace,
        sandbox,
    })
}

/// The config spelling of a sandbox mode.
pub fn sandbox_name(mode: SandboxMode) -> &'static str {
    match mode {
        SandboxMode::Off => "off",
        SandboxMode::NonMain => "non-main",
        SandboxMode::All => "all",
    }
}

fn yes_no(value: bool) -> &'static str {
    if value {
        "yes"
    } else {
        "no"
    }
}

impl Flow<'_, '_> {
    fn provider(&mut self) -> Result<ProviderAnswer, OnboardError> {
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
                    probe.key = Some(typed.clone());
                    key = Some(SecretAnswer::stored(&var, typed));
                }
            }
        }
    }

    fn auth(&mut self) -> Result<AuthAnswer, OnboardError> {
        const VAR: &str = "PINCER_GATEWAY_PASSWORD";
        let mode = self.p.choose(
            &Question::new("Gateway authentication", "--auth")
                .default("token")
                .preset(self.ctx.presets.auth.map(|mode| match mode {
                    AuthMode::Password => "password",
                    AuthMode::Token | AuthMode::None => "token",
                })),
            &[
                Choice {
                    name: "token",
                    value: AuthMode::Token,
                    help: "a generated 256-bit token; the pincer CLI finds it by itself \
                           (recommended)",
                },
                Choice {
                    name: "password",
                    value: AuthMode::Password,
                    help: "a password (at least 12 characters), e.g. to type into a browser",
                },
            ],
        )?;
        if mode != AuthMode::Password {
            if (self.ctx.env)(VAR).is_some_and(|v| !v.is_empty()) {
                self.p.warn(&format!(
                    "{VAR} is set in this environment: a gateway started with it uses password \
                     auth instead of the token; unset it"
                ));
            }
            return Ok(AuthAnswer::Token);
        }
        if let Some(secret) = self.found_credential(&[VAR], "Gateway password", checks::password)? {
            return Ok(AuthAnswer::Password {
                secret,
                generated: false,
            });
        }
        let generate = !self.p.interactive()
            || self.p.confirm(
                &Question::new("Generate a strong password (shown once at the end)?", "-")
                    .default("yes"),
            )?;
        if generate {
            let password = crate::ops::suggest::generate_password(
                crate::ops::suggest::GENERATED_PASSWORD_CHARS,
            )
            .map_err(|e| OnboardError::Random(e.to_string()))?;
            return Ok(AuthAnswer::Password {
                secret: SecretAnswer::stored(VAR, password),
                generated: true,
            });
        }
        loop {
            let first = self
                .p
                .secret("Password", checks::password)?
                .unwrap_or_default();
            let again = self
                .p
                .secret("Repeat the password", |t| Ok::<_, String>(t.to_string()))?
                .unwrap_or_default();
            if first == again {
                return Ok(AuthAnswer::Password {
                    secret: SecretAnswer::stored(VAR, first),
                    generated: false,
                });
            }
            self.p.say("  ! the two entries differ; once more");
        }
    }

    fn port(&mut self) -> Result<u16, OnboardError> {
        let mut preset = self.ctx.presets.port.map(|p| p.to_string());
        loop {
            let port = self.p.ask(
                &Question::new("Gateway port", "--port")
                    .default("18789")
                    .preset(preset.take()),
                checks::port,
            )?;
            if (self.ctx.port_free)(port) {
                return Ok(port);
            }
            let message = format!(
                "port {port} is in use right now (a gateway already running, or another program: \
                 `ss -ltnp | grep {port}`)"
            );
            if !self.p.interactive() {
                self.p.warn(&format!(
                    "{message}; the gateway cannot start on it until it is free"
                ));
                return Ok(port);
            }
            self.p.say(&format!("  ! {message}"));
            let keep = self.p.confirm(
                &Question::new(
                    "Keep this port anyway (e.g. it is your running gateway)?",
                    "-",
                )
                .default("no"),
            )?;
            if keep {
                return Ok(port);
            }
        }
    }

    /// A credential already available: in the environment (under any of `vars`), or stored in the
    /// secrets file (interactively, the person may replace it). `None` when it is nowhere.
    pub(super) fn found_credential(
        &mut self,
        vars: &[&str],
        label: &str,
        check: fn(&str) -> Result<String, String>,
    ) -> Result<Option<SecretAnswer>, OnboardError> {
        let in_env = vars.iter().find_map(|var| {
            (self.ctx.env)(var)
                .filter(|v| !v.is_empty())
                .map(|v| (*var, v))
        });
        if let Some((var, value)) = in_env {
            match check(value.trim()) {
                Ok(value) => {
                    self.p
                        .say(&format!("{label}: found {var} in the environment"));
                    return Ok(Some(match self.store()? {
                        Store::Env => SecretAnswer::environment(var),
                        Store::File => SecretAnswer::stored(vars[0], value),
                    }));
                }
                Err(message) if !self.p.interactive() => {
                    return Err(OnboardError::Invalid {
                        origin: format!("the environment variable {var}"),
                        message,
                    });
                }
                Err(message) => self.p.say(&format!(
                    "  ! {var} in the environment cannot be used ({message}); type it instead"
                )),
            }
            return Ok(None);
        }
        let Some(stored) = self.ctx.stored.get(vars[0]) else {
            return Ok(None);
        };
        if check(stored.expose()).is_err() {
            return Ok(None);
        }
        let keep = self.p.confirm(
            &Question::new(
                &format!(
                    "{label}: keep the one stored in {} ({})?",
                    self.ctx.secrets_file.display(),
                    vars[0]
                ),
                "-",
            )
            .default("yes"),
        )?;
        Ok(keep.then(|| SecretAnswer::stored(vars[0], stored.expose())))
    }

    /// How secrets found in the process environment are kept; asked once.
    fn store(&mut self) -> Result<Store, OnboardError> {
        if let Some(store) = self.store {
            return Ok(store);
        }
        let default = if self.ctx.install_daemon {
            "file"
        } else {
            "env"
        };
        let store = self.p.choose(
            &Question::new(
                "Keep secrets found in the environment (a systemd service does not see this \
                 shell's variables)",
                "--store-secrets",
            )
            .default(default)
            .preset(self.ctx.presets.store.map(|s| match s {
                Store::Env => "env",
                Store::File => "file",
            })),
            &[
                Choice {
                    name: "env",
                    value: Store::Env,
                    help: "as references: the gateway reads the variables when it starts",
                },
                Choice {
                    name: "file",
                    value: Store::File,
                    help: "copied into the secrets file (mode 0600), where a service finds them",
                },
            ],
        )?;
        self.store = Some(store);
        Ok(store)
    }
}

#[cfg(test)]
#[path = "flow_tests.rs"]
mod tests;
