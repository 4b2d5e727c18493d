//! The flags of `pincer onboard`: one per answer of the wizard, turned into
//! [`Presets`](crate::onboard::answers::Presets).
//!
//! Secrets are deliberately not flags (the command line of a process is visible to every user
//! through `ps`): API keys, the gateway password and channel tokens come from the environment
//! in non-interactive mode, under the variable names the config reads.

use std::path::PathBuf;

use std::collections::BTreeMap;

use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches, ValueEnum};

use crate::channels::registry::PLUGINS;
use crate::config::{AuthMode, DmPolicy, SandboxMode};
use crate::onboard::answers::{Presets, ProviderKind, Store};

/// `pincer onboard` options.
#[derive(Debug, Clone, Default, Args)]
pub struct OnboardArgs {
    /// Ask nothing: answers come from the flags below and the environment, defaults from the
    /// wizard (for scripts and containers).
    #[arg(long)]
    pub non_interactive: bool,
    /// Replace an existing config without asking (the old file is kept as <name>.bak-<time>).
    #[arg(long)]
    pub force: bool,
    /// Then install, start and check the systemd user service (as `pincer gateway
    /// --install-daemon`).
    #[arg(long)]
    pub install_daemon: bool,
    /// Import an OpenClaw home instead of answering the questions (as `pincer import openclaw
    /// [DIR]`; DIR defaults to ~/.openclaw, else ~/.clawdbot or ~/.moltbot). Without the flag,
    /// the interactive wizard offers the import when it finds such a home.
    #[arg(long, value_name = "DIR", num_args = 0..=1)]
    pub import_openclaw: Option<Option<PathBuf>>,

    /// Model provider [default: anthropic].
    #[arg(long, value_enum, help_heading = "Answers")]
    pub provider: Option<ProviderArg>,
    /// Model name, without the provider prefix [default: claude-sonnet-4-5, gpt-4o or llama3.2].
    #[arg(long, help_heading = "Answers")]
    pub model: Option<String>,
    /// Name of an OpenAI-compatible server in model refs [default: ollama].
    #[arg(long, help_heading = "Answers")]
    pub provider_id: Option<String>,
    /// API base URL [default: the provider's; http://127.0.0.1:11434/v1 for compatible servers].
    #[arg(long, help_heading = "Answers")]
    pub base_url: Option<String>,
    /// Environment variable holding the API key [default: ANTHROPIC_API_KEY or OPENAI_API_KEY;
    /// compatible servers: none].
    #[arg(long, value_name = "VAR", help_heading = "Answers")]
    pub api_key_env: Option<String>,
    /// Keep secrets found in the environment as references (env) or copy them into the 0600
    /// secrets file (file) [default: env; file with --install-daemon].
    #[arg(long, value_enum, help_heading = "Answers")]
    pub store_secrets: Option<StoreArg>,
    /// Do not try the API key with a request to the provider.
    #[arg(long, help_heading = "Answers")]
    pub skip_key_check: bool,
    /// Gateway authentication: a generated token, or a password (PINCER_GATEWAY_PASSWORD from
    /// the environment, else generated) [default: token].
    #[arg(long, value_enum, help_heading = "Answers")]
    pub auth: Option<AuthArg>,
    /// Gateway port [default: 18789].
    #[arg(long, help_heading = "Answers")]
    pub port: Option<u16>,
    /// The flags of every channel (`--whatsapp`, `--telegram-allow-from`, ...), from the
    /// channel registry.
    #[command(flatten)]
    pub channels: ChannelFlags,
    /// Who may message the assistant directly on the channels [default: pairing].
    #[arg(long, value_enum, help_heading = "Answers")]
    pub dm_policy: Option<DmPolicyArg>,
    /// The agent's workspace folder (created) [default: <state>/agents/main/workspace].
    #[arg(long, value_name = "DIR", help_heading = "Answers")]
    pub workspace: Option<PathBuf>,
    /// Which sessions run tools sandboxed [default: non-main].
    #[arg(long, value_enum, help_heading = "Answers")]
    pub sandbox: Option<SandboxArg>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ProviderArg {
    Anthropic,
    Openai,
    /// Ollama, vLLM, llama.cpp, LM Studio, ...
    #[value(alias = "ollama")]
    OpenaiCompatible,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StoreArg {
    Env,
    File,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AuthArg {
    Token,
    Password,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DmPolicyArg {
    Pairing,
    Allowlist,
    Disabled,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SandboxArg {
    NonMain,
    All,
    Off,
}

impl OnboardArgs {
    /// The answers given as flags.
    pub fn presets(&self) -> Presets {
        Presets {
            provider: self.provider.map(|p| match p {
                ProviderArg::Anthropic => ProviderKind::Anthropic,
                ProviderArg::Openai => ProviderKind::OpenAi,
                ProviderArg::OpenaiCompatible => ProviderKind::Compatible,
            }),
            provider_id: self.provider_id.clone(),
            model: self.model.clone(),
            base_url: self.base_url.clone(),
            api_key_env: self.api_key_env.clone(),
            store: self.store_secrets.map(|s| match s {
                StoreArg::Env => Store::Env,
                StoreArg::File => Store::File,
            }),
            check_key: self.skip_key_check.then_some(false),
            auth: self.auth.map(|a| match a {
                AuthArg::Token => AuthMode::Token,
                AuthArg::Password => AuthMode::Password,
            }),
            port: self.port,
            channel_flags: self.channels.0.clone(),
            dm_policy: self.dm_policy.map(|d| match d {
                DmPolicyArg::Pairing => DmPolicy::Pairing,
                DmPolicyArg::Allowlist => DmPolicy::Allowlist,
                DmPolicyArg::Disabled => DmPolicy::Disabled,
            }),
            workspace: self.workspace.clone(),
            sandbox: self.sandbox.map(|s| match s {
                SandboxArg::NonMain => SandboxMode::NonMain,
                SandboxArg::All => SandboxMode::All,
                SandboxArg::Off => SandboxMode::Off,
            }),
        }
    }
}

/// The onboarding flags of the channels of the registry ([`crate::channels::setup::SetupFlag`]):
/// each value by flag name (without the dashes), a switch given being `yes`.
#[derive(Debug, Clone, Default)]
pub struct ChannelFlags(pub BTreeMap<String, String>);

impl FromArgMatches for ChannelFlags {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut flags = ChannelFlags::default();
        flags.update_from_arg_matches(matches)?;
        Ok(flags)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        for flag in PLUGINS.iter().flat_map(|plugin| plugin.setup_flags()) {
            let value = match flag.value_name {
                None => matches.get_flag(flag.long).then(|| "yes".to_string()),
                Some(_) => matches.get_one::<String>(flag.long).cloned(),
            };
            if let Some(value) = value {
                self.0.insert(flag.long.to_string(), value);
            }
        }
        Ok(())
    }
}

impl Args for ChannelFlags {
    fn augment_args(mut command: Command) -> Command {
        for flag in PLUGINS.iter().flat_map(|plugin| plugin.setup_flags()) {
            let arg = Arg::new(flag.long)
                .long(flag.long)
                .help(flag.help)
                .help_heading("Answers");
            command = command.arg(match flag.value_name {
                None => arg.action(ArgAction::SetTrue),
                Some(name) => arg.value_name(name).action(ArgAction::Set),
            });
        }
        command
    }

    fn augment_args_for_update(command: Command) -> Command {
        Self::augment_args(command)
    }
}
