//! The `pincer` command line: argument definitions and dispatch.
//!
//! Each subcommand lives in its own file. Commands that talk to a running gateway find it through
//! [`client`], which reads the runtime file the gateway publishes and the credential from the config
//! or the token file, so that `pincer actors` works with no flags after `pincer gateway`.

pub mod actors;
pub mod agent;
pub mod backup;
pub mod channels;
pub mod client;
pub mod config_cmd;
pub mod cron;
pub mod daemon;
pub mod debug;
pub mod doctor;
pub mod health;
pub mod import;
pub mod logs;
pub mod mcp;
pub mod memory;
pub mod message;
pub mod onboard;
pub mod onboard_args;
pub mod pairing;
pub mod security;
pub mod service;
pub mod sessions;
pub mod skills;
pub use skills::SkillsAction;
pub mod status;
pub mod tools;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::Bind;
pub use onboard_args::OnboardArgs;

/// Pincer: a self-hosted personal AI-assistant gateway.
#[derive(Debug, Parser)]
#[command(name = "pincer", version, about, propagate_version = true)]
pub struct Cli {
    /// Config file (default: $PINCER_CONFIG, $PINCER_HOME/pincer.json5, or the platform config dir).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// First run: a wizard that writes a commented config (model, key, auth, channels, ...).
    Onboard(OnboardArgs),
    /// Run the gateway (the always-on process).
    Gateway(GatewayArgs),
    /// Show every actor of the running gateway with its mailbox, like `top`.
    Actors(ActorsArgs),
    /// Check that the running gateway is live and ready.
    Health(HealthArgs),
    /// Send a message to the assistant and stream its answer.
    Agent(AgentArgs),
    /// List, inspect or reset sessions (their transcripts).
    Sessions {
        #[command(subcommand)]
        action: SessionsAction,
    },
    /// Skills (SKILL.md folders): which are offered to the model and why not; install one.
    Skills {
        #[command(subcommand)]
        action: SkillsAction,
    },
    /// The channels' links and counters, and the inbound journal.
    Channels(JsonArgs),
    /// The MCP servers (state, restarts, tools) of the running gateway.
    Mcp {
        #[command(subcommand)]
        action: McpAction,
    },
    /// Send a message on a channel (WhatsApp, Telegram) as the assistant.
    Message {
        #[command(subcommand)]
        action: MessageAction,
    },
    /// Approve strangers who asked to talk to the assistant on a channel (DM pairing).
    Pairing {
        #[command(subcommand)]
        action: PairingAction,
    },
    /// Scheduled jobs of the running gateway: list, add, remove, run now, and their firings.
    Cron {
        #[command(subcommand)]
        action: CronAction,
    },
    /// Engine status: run permits, waiting runs, provider cooldowns, sessions.
    Status(JsonArgs),
    /// The tools agents may call, per session, and why each is in or out.
    Tools {
        #[command(subcommand)]
        action: ToolsAction,
    },
    /// The timeline of agent runs: model calls, tool calls, tokens.
    Trace(TraceArgs),
    /// Diagnose the installation and the running gateway (the seed's `Diagnostics`).
    Doctor(DoctorArgs),
    /// Security checks of the configuration and the state directory.
    Security {
        #[command(subcommand)]
        action: SecurityAction,
    },
    /// Back up, verify and restore config, workspace, sessions and stores.
    Backup {
        #[command(subcommand)]
        action: BackupAction,
    },
    /// Install and control the restart-on-crash service (systemd user unit).
    Service {
        #[command(subcommand)]
        action: ServiceAction,
    },
    /// Read the gateway's log files.
    Logs(LogsArgs),
    /// Debugging views of the running gateway.
    Debug {
        #[command(subcommand)]
        action: DebugAction,
    },
    /// Move another assistant's setup into Pincer (config, workspace, sessions, approvals).
    Import {
        #[command(subcommand)]
        from: ImportFrom,
    },
    /// Check, read or locate the configuration.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// The memory search index: status, reindex, search the notes.
    Memory {
        #[command(subcommand)]
        action: memory::MemoryAction,
    },
}

#[derive(Debug, Args)]
pub struct GatewayArgs {
    /// Port to listen on (0 picks a free one); overrides gateway.port and PINCER_GATEWAY_PORT.
    #[arg(long)]
    pub port: Option<u16>,
    /// Interfaces to listen on; overrides gateway.bind.
    #[arg(long, value_enum)]
    pub bind: Option<BindArg>,
    /// Log at debug level.
    #[arg(long, short)]
    pub verbose: bool,
    /// Instead of running here: install, start and check the systemd user service (with this
    /// --port, if given), waiting until the gateway reports READY.
    #[arg(long)]
    pub install_daemon: bool,
}

/// `--bind` values, as in the config.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum BindArg {
    Loopback,
    Lan,
    Tailnet,
}

impl From<BindArg> for Bind {
    fn from(arg: BindArg) -> Bind {
        match arg {
            BindArg::Loopback => Bind::Loopback,
            BindArg::Lan => Bind::Lan,
            BindArg::Tailnet => Bind::Tailnet,
        }
    }
}

#[derive(Debug, Args)]
pub struct ActorsArgs {
    /// Print the raw JSON from /admin/actors.
    #[arg(long)]
    pub json: bool,
    /// Only this actor (its id from the table), as JSON.
    #[arg(long)]
    pub id: Option<String>,
    /// Refresh every second until interrupted.
    #[arg(long)]
    pub watch: bool,
}

#[derive(Debug, Args)]
pub struct AgentArgs {
    /// The message.
    #[arg(long, short)]
    pub message: String,
    /// Session key (default: your main session, agent:main:main).
    #[arg(long)]
    pub session: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum SessionsAction {
    /// Every stored session, most recent first.
    List(JsonArgs),
    /// One session: exists, size, last modified, message and token counts, metadata.
    Show {
        key: String,
        #[arg(long)]
        json: bool,
    },
    /// Start a session afresh (its transcript is archived, not deleted); its running
    /// sub-agents are stopped.
    Reset { key: String },
    /// A session's sub-agents (sessions_spawn): task, status, result.
    Children {
        key: String,
        #[arg(long)]
        json: bool,
    },
    /// A session's last messages, oldest first.
    History {
        key: String,
        /// How many of the last messages (1 to 2000).
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum MessageAction {
    /// Send TEXT, or a FILE (with TEXT as its caption), to a recipient (WhatsApp number or
    /// Telegram chat id).
    Send {
        #[arg(long)]
        channel: String,
        #[arg(long)]
        to: String,
        #[arg(long, required_unless_present = "file")]
        text: Option<String>,
        /// A file to send: an image, audio, video or document (by its extension), read by
        /// this command and sent as bytes.
        #[arg(long)]
        file: Option<std::path::PathBuf>,
        /// Send an .ogg/.opus FILE as a voice note.
        #[arg(long, requires = "file")]
        as_voice: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PairingAction {
    /// Pending pairing requests (code, sender, age) and approved senders.
    List {
        /// whatsapp or telegram.
        channel: String,
        #[arg(long)]
        json: bool,
    },
    /// Approve the sender who got CODE (case-insensitive); they can then talk to the assistant.
    Approve {
        channel: String,
        code: String,
        /// Tell the sender they were approved.
        #[arg(long)]
        notify: bool,
        /// Answer the messages the sender wrote while waiting (otherwise they are dropped).
        #[arg(long)]
        replay: bool,
        #[arg(long)]
        json: bool,
    },
    /// Remove an approved sender (their platform id, as `pairing list` shows it).
    Revoke { channel: String, id: String },
}

#[derive(Debug, Subcommand)]
pub enum CronAction {
    /// Every job (config, added, heartbeat) with its next firing and last status.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Add a job: one of --cron, --every, --at, and a --message.
    Add(CronAddArgs),
    /// Remove a job added at run time (config jobs change in the config).
    Rm { id: String },
    /// Fire a job now.
    Run { id: String },
    /// A job's firings, one line per step (fired, answered, delivering, delivered...).
    Runs {
        id: String,
        /// The last this many records.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct CronAddArgs {
    /// The job's id (letters, digits, - and _); default a fresh one.
    #[arg(long)]
    pub id: Option<String>,
    #[arg(long)]
    pub name: Option<String>,
    /// A 5-field cron expression, like "0 8 * * 1-5".
    #[arg(long, value_name = "EXPR")]
    pub cron: Option<String>,
    /// The IANA time zone of --cron (default UTC).
    #[arg(long)]
    pub tz: Option<String>,
    /// An interval, like 30m or 2h.
    #[arg(long, value_name = "DURATION")]
    pub every: Option<String>,
    /// Once, at an RFC 3339 time or Unix milliseconds.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// What the session is told at each firing.
    #[arg(long)]
    pub message: String,
    /// main (the owner's session) or isolated (the job's own, agent:main:cron:<id>).
    #[arg(long, default_value = "isolated")]
    pub session: String,
    /// Send the answer to CHANNEL:TO (like telegram:12345).
    #[arg(long, value_name = "CHANNEL:TO")]
    pub deliver: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ToolsAction {
    /// The effective tools of a session (computed from the config; no gateway needed).
    List {
        /// Session key (default: your main session, agent:main:main).
        #[arg(long)]
        session: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum McpAction {
    /// Every configured MCP server with its state (the config only, without a gateway).
    List {
        #[arg(long)]
        json: bool,
    },
    /// The tools of one MCP server, as the model sees them.
    Tools {
        /// The server's name (`mcp.servers.<name>`).
        name: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct JsonArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TraceArgs {
    /// Run id (`<session key>#<turn id>`, as printed by `pincer trace --session`).
    pub run: Option<String>,
    /// Show the last runs of this session instead.
    #[arg(long)]
    pub session: Option<String>,
    /// How many runs with --session.
    #[arg(long, default_value_t = 5)]
    pub last: usize,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// Print the probe results as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Check the config file (and environment overrides); exit 78 when invalid.
    Validate,
    /// Print one setting, by dotted path (e.g. gateway.port); secrets are masked.
    Get {
        /// Dotted key path; omit for the whole config.
        key: Option<String>,
        /// Show tokens and passwords instead of "***".
        #[arg(long)]
        reveal: bool,
    },
    /// Print the config file's path.
    Path,
    /// Print the seed's suggested performance settings.
    Suggest {
        /// Values for a production server instead of a personal machine.
        #[arg(long)]
        production: bool,
    },
    /// Print a config template.
    Template {
        /// The seed's secure template, with a freshly generated strong password.
        #[arg(long)]
        secure: bool,
    },
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Repair what is safe to repair (permissions, missing directories).
    #[arg(long)]
    pub fix: bool,
}

#[derive(Debug, Subcommand)]
pub enum SecurityAction {
    /// Audit the configuration and the state directory; exit 1 on critical findings.
    Audit {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum BackupAction {
    /// Write a .tar.gz with a manifest of SHA-256 sums.
    Create {
        /// Folder to write the archive to (default: <state>/backups).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Only the configuration.
        #[arg(long)]
        only_config: bool,
        /// Leave the agent workspace out.
        #[arg(long)]
        no_workspace: bool,
        /// Delete archives in the output folder older than this many days.
        #[arg(long)]
        keep_days: Option<u64>,
    },
    /// Check an archive against its manifest.
    Verify { file: PathBuf },
    /// Restore an archive into this installation (the gateway must be stopped).
    Restore {
        file: PathBuf,
        /// Replace existing files.
        #[arg(long)]
        force: bool,
        /// Put the workspace files in DIR and make the restored config name it (default: the
        /// workspace the current config names, else `<state>/agents/main/workspace`).
        #[arg(long, value_name = "DIR")]
        workspace: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ServiceAction {
    /// Write and enable the systemd user unit, then start it.
    Install,
    /// Stop, disable and remove the unit.
    Uninstall,
    /// Show the unit's state.
    Status,
    Start,
    Stop,
    Restart,
    /// Clear the crash-loop breaker (leave safe mode).
    ClearSafeMode,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Keep printing new lines as they are written.
    #[arg(long, short)]
    pub follow: bool,
    /// Print raw JSON lines.
    #[arg(long)]
    pub json: bool,
    /// Only lines at this level or more severe (error, warn, info, debug).
    #[arg(long)]
    pub level: Option<String>,
    /// Lines to show from the end before following.
    #[arg(long, default_value_t = 50)]
    pub lines: usize,
}

#[derive(Debug, Subcommand)]
pub enum DebugAction {
    /// The gateway's memory: RSS, per-actor-kind counts, session cache (the seed's profileMemory).
    Memory {
        #[arg(long)]
        json: bool,
    },
}

/// `pincer import <from>`.
#[derive(Debug, Subcommand)]
pub enum ImportFrom {
    /// An OpenClaw home (also Clawdbot and Moltbot): config, secrets, workspace files, session
    /// transcripts and approved senders.
    Openclaw(ImportArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The OpenClaw home (default ~/.openclaw, else ~/.clawdbot or ~/.moltbot).
    pub dir: Option<PathBuf>,
    /// Print what would be imported and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the plan (or the result) as JSON.
    #[arg(long)]
    pub json: bool,
    /// Replace existing files, sessions and secrets (each is backed up first).
    #[arg(long)]
    pub force: bool,
}

/// Errors of CLI commands, each with its exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Paths(#[from] crate::paths::PathsError),
    #[error("{0}")]
    NotRunning(String),
    #[error("request to the gateway failed: {0}")]
    Http(String),
    /// The gateway answered with an error (its code and message).
    #[error("request to the gateway failed: {path} answered {status}: {}", error.message)]
    Refused {
        path: String,
        status: u16,
        error: crate::api::ErrorBody,
    },
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Onboard(#[from] crate::onboard::OnboardError),
    #[error(transparent)]
    Import(#[from] crate::import::ImportError),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Config(_) => crate::exit::CONFIG,
            CliError::NotRunning(_) | CliError::Http(_) | CliError::Refused { .. } => {
                crate::exit::UNAVAILABLE
            }
            CliError::Usage(_) => crate::exit::USAGE,
            CliError::Paths(_) | CliError::Io(_) => crate::exit::FAILURE,
            CliError::Onboard(error) => error.exit_code(),
            CliError::Import(error) => error.exit_code(),
        }
    }
}
