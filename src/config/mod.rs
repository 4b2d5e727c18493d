//! Pincer's configuration: the JSON5 file, environment overrides and the
//! rules that keep a gateway from starting in an unsafe or broken state.
//!
//! The flow at start-up is [`crate::paths::Paths::resolve`] (where the file is) → [`load()`]:
//! read the file (a missing file means zero-config defaults), parse it
//! strictly ([`schema`] rejects unknown keys and wrong types, naming the
//! dotted key path), apply `PINCER_*` / `CLAWDBOT_*` environment overrides
//! ([`mod@env`]; the environment is the process's, then the secrets file, see [`secrets`]), then check cross-key rules ([`mod@validate`]). Any failure is a
//! [`ConfigError`] and the process should exit with [`EXIT_CONFIG`].
//! [`lookup`] reads single settings for the CLI with credentials redacted.
//!
//! Submodules:
//! - [`schema`]: the structs, their keys and defaults ([`channels`] for `channels.*`,
//!   [`mod@tools`] for `tools.*`);
//! - [`secret`]: the redacting credential type;
//! - [`secrets`]: the 0600 secrets file, an extension of the environment ([`Environment`]);
//! - [`mod@load`]: reading and parsing with path-aware errors;
//! - [`mod@env`]: environment overrides;
//! - [`mod@validate`]: semantic checks;
//! - [`error`]: [`ConfigError`], [`Problem`], [`EXIT_CONFIG`];
//! - [`lookup`]: dotted-path reads and redaction.

pub(crate) mod channels;
pub(crate) mod command_line;
pub mod credentials;
pub mod cron;
pub(crate) mod engine;
pub(crate) mod env;
pub(crate) mod error;
pub(crate) mod http;
pub(crate) mod load;
pub(crate) mod lookup;
pub(crate) mod mcp;
pub(crate) mod media;
pub(crate) mod memory;
pub(crate) mod ops;
pub(crate) mod origin;
pub mod schedule;
pub(crate) mod schema;
pub(crate) mod secret;
pub(crate) mod secrets;
pub(crate) mod skills;
pub(crate) mod subagents;
pub(crate) mod threads;
pub(crate) mod tools;
pub mod validate;
pub(crate) mod workspace;

pub use channels::{ChannelsConfig, DmPolicy, TelegramConfig, TelegramMode, WhatsAppConfig};
pub use command_line::{load_config, GatewayOptions};
pub use engine::{
    DmScope, MessagesConfig, ModelChain, ModelSelection, ModelsConfig, ProviderApi, ProviderConfig,
    QueueConfig, QueueDrop, QueueMode, SessionConfig,
};
pub use env::apply_overrides;
pub use error::{ConfigError, Problem, EXIT_CONFIG};
pub use http::{ChatCompletionsEndpoint, Endpoints, HttpConfig, ResponsesEndpoint};
pub use load::{load, load_with, parse_str, ConfigSource, LoadedConfig};
pub use lookup::{get_path, redacted};
pub use mcp::{McpConfig, McpServerConfig, McpTransport};
pub use media::{MediaConfig, MediaLimits, TranscriptionConfig};
pub use memory::{EmbeddingsConfig, MemoryConfig, MemorySearchConfig, MergeMode};
pub use ops::{
    parse_size, LogFormat, LogLevel, LogRetention, LogTransport, LoggingConfig, MonitoringConfig,
    Thresholds, TransportConfig, TransportKind,
};
pub use schema::{
    AgentConfig, AgentDefaults, AgentsConfig, Auth, AuthMode, AuthRateLimit, Bind, Config,
    ControlUi, GatewayConfig, RateLimiting, Sandbox, SandboxMode, Ssl, Tailscale, TailscaleMode,
    SANDBOX_DEFAULT_ALLOWLIST,
};
pub use secret::Secret;
pub use secrets::{secrets_path, Environment, SecretsFile};
pub use skills::{SkillEntry, SkillsConfig, SkillsLimits, SkillsLoad};
pub use subagents::SubagentsConfig;
pub use threads::EngineConfig;
pub use tools::{BrowserTool, ExecTool, FsTool, ToolsConfig, WebFetchTool};
pub use validate::validate;

#[cfg(test)]
#[path = "secret_walk_tests.rs"]
mod secret_walk_tests;
