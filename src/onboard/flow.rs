//! The questions of onboarding, in order, turning a [`Prompter`] into [`Answers`].
//!
//! Model provider, model and key, with an optional test call (`flow_provider.rs`) → gateway auth
//! and port → chat channels (`flow_channels.rs`) → workspace and sandbox. The same code runs
//! interactively and with `--non-interactive`; the [`Context`] brings what the questions depend
//! on from outside (environment, the secrets file as it is, the key check, the port probe), so
//! that tests can run the whole flow from a script.

use std::path::PathBuf;

use super::answers::{Answers, AuthAnswer, Presets, SecretAnswer, Store};
use super::checks;
use super::keycheck::{KeyCheck, KeyProbe};
use super::prompt::{Choice, Prompter, Question};
use super::OnboardError;
use crate::config::{AuthMode, SandboxMode, SecretsFile};

/// What the questions depend on besides the answers.
pub(crate) struct Context<'a> {
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
pub(crate) fn ask_all(p: &mut Prompter<'_>, ctx: &Context<'_>) -> Result<Answers, OnboardError> {
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
    let (channels, dm_policy) = flow.channels()?;
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
        channels,
        dm_policy,
        workspace,
        sandbox,
    })
}

/// The config spelling of a sandbox mode.
pub(crate) fn sandbox_name(mode: SandboxMode) -> &'static str {
    match mode {
        SandboxMode::Off => "off",
        SandboxMode::NonMain => "non-main",
        SandboxMode::All => "all",
    }
}

impl Flow<'_, '_> {
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
