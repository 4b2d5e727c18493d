//! The shape of `pincer.json5`: every section, key, type and default.
//!
//! These structs are the single source of truth for the config format. They
//! deserialize strictly (`deny_unknown_fields`, so a misspelt key is an error
//! rather than a silently ignored setting) and every field has a default, so an
//! empty file, or no file at all, is a complete zero-config setup. Key names
//! are camelCase, matching the Clawdbot/OpenClaw vocabulary users already know.
//!
//! Semantic rules that span several keys live in [`mod@super::validate`]; this
//! module only says what each key can hold.

use serde::{Deserialize, Serialize};

use super::channels::ChannelsConfig;
use super::engine::{MessagesConfig, ModelSelection, ModelsConfig, SessionConfig};
use super::http::HttpConfig;
use super::mcp::McpConfig;
use super::media::MediaConfig;
use super::memory::MemoryConfig;
use super::ops::{LoggingConfig, MonitoringConfig};
use super::secret::Secret;
use super::skills::SkillsConfig;
use super::threads::EngineConfig;
use super::tools::ToolsConfig;

/// The whole config file.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Config {
    /// Editors use `"$schema"` to offer completion; it is the only extra key
    /// allowed at the root and Pincer itself ignores it.
    #[serde(rename = "$schema", skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// The default model and workspace of the main agent.
    pub agent: AgentConfig,
    /// The HTTP/WebSocket listener and how clients authenticate.
    pub gateway: GatewayConfig,
    /// Messaging channels bridged to the agent.
    pub channels: ChannelsConfig,
    /// Defaults and limits shared by all agent runs.
    pub agents: AgentsConfig,
    /// Limits for the tools agents can call.
    pub tools: ToolsConfig,
    /// Model providers (built-in ones can be pointed elsewhere).
    pub models: ModelsConfig,
    /// Session keys and idle eviction.
    pub session: SessionConfig,
    /// The per-session message queue.
    pub messages: MessagesConfig,
    /// System sampling, alert thresholds, the metrics endpoint.
    pub monitoring: MonitoringConfig,
    /// Log level, format, transports and retention.
    pub logging: LoggingConfig,
    /// How many threads the engine's actors use.
    pub engine: EngineConfig,
    /// Photos, voice notes and documents from channel messages: limits, retention, transcription.
    pub media: MediaConfig,
    /// Skill folders (AgentSkills / OpenClaw format): extra sources, per-skill settings, limits.
    pub skills: SkillsConfig,
    /// Model Context Protocol servers whose tools the agent may call.
    pub mcp: McpConfig,
    /// Scheduled jobs: the scheduler's switch, its limits and the jobs the config declares.
    pub cron: super::cron::CronConfig,
    /// How `memory_search` ranks the notes: BM25, and embeddings when configured.
    pub memory: MemoryConfig,
}

/// `agent`: which model answers and where it works.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct AgentConfig {
    /// `provider/model`; default `anthropic/claude-sonnet-4-5`, a capable
    /// general model so a fresh install answers well without tuning.
    pub model: String,
    /// Working directory for the main agent; default none, meaning the
    /// agent's own directory under the state dir.
    pub workspace: Option<String>,
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig {
            model: "anthropic/claude-sonnet-4-5".to_string(),
            workspace: None,
        }
    }
}

/// `gateway`: the single listener for RPC, HTTP APIs and the control UI.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct GatewayConfig {
    /// Default 18789, the port Clawdbot users' clients already expect;
    /// 0 lets the OS choose (useful in tests).
    pub port: u16,
    /// Default `loopback`: nothing outside this machine can connect until the
    /// user deliberately widens it.
    pub bind: Bind,
    /// How clients prove who they are.
    pub auth: Auth,
    /// The browser control UI served by the gateway.
    pub control_ui: ControlUi,
    /// Exposure through Tailscale Serve/Funnel.
    pub tailscale: Tailscale,
    /// TLS on the listener itself.
    pub ssl: Ssl,
    /// Default 100: ample for one person's devices, small enough to stop a
    /// runaway client from exhausting file descriptors.
    pub max_connections: u32,
    /// Milliseconds a new connection gets to finish its request head (and
    /// its TLS handshake); default 2000: a slow mobile link sends a head in
    /// well under a second, and a half-open or slowloris connection is
    /// dropped before it keeps a health probe waiting.
    pub connection_timeout: u64,
    /// Milliseconds for a non-streaming request; default 30000, matching the
    /// seed's suggested production value.
    pub request_timeout: u64,
    /// Per-client request rate limiting.
    pub rate_limiting: RateLimiting,
    /// The OpenAI-compatible endpoints (`/v1/chat/completions`, `/v1/responses`).
    pub http: HttpConfig,
    // -- connection limits (issue 14, item 6) --
    /// Connections one client address may hold at once; default unset,
    /// meaning three quarters of `maxConnections` (75 of 100), so that one
    /// address (loopback counts as one) can never take the last quarter.
    /// At the cap a newcomer replaces that address's oldest connection that
    /// has not sent a request yet; only when all are busy is it refused (503).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_connections_per_client: Option<u32>,
    /// Default false. When true, `POST /admin/actors/{id}/panic` makes a running actor panic, to
    /// rehearse crashes (chaos tests, checking that supervision restarts what it should). Never
    /// on in production: anyone holding the admin credential could crash actors at will.
    pub fault_injection: bool,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            port: 18789,
            bind: Bind::default(),
            auth: Auth::default(),
            control_ui: ControlUi::default(),
            tailscale: Tailscale::default(),
            ssl: Ssl::default(),
            max_connections: 100,
            connection_timeout: 2000,
            request_timeout: 30000,
            rate_limiting: RateLimiting::default(),
            http: HttpConfig::default(),
            max_connections_per_client: None,
            fault_injection: false,
        }
    }
}

impl GatewayConfig {
    /// `maxConnectionsPerClient`, or three quarters of `maxConnections` when unset (at least 1).
    pub fn effective_max_connections_per_client(&self) -> u32 {
        let total = self.max_connections.max(1);
        self.max_connections_per_client
            .unwrap_or(total - total / 4)
            .max(1)
    }
}

/// `gateway.bind`: which interfaces the gateway listens on.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Bind {
    /// 127.0.0.1 only; the safe default.
    #[default]
    Loopback,
    /// All interfaces (0.0.0.0); needs auth.
    Lan,
    /// The Tailscale interface's address only; needs auth.
    Tailnet,
}

/// `gateway.auth`: client authentication.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Auth {
    /// Default `token`: a generated bearer token needs no setup and is
    /// stronger than a typed password.
    pub mode: AuthMode,
    /// Bearer token for `token` mode; default none, meaning the gateway
    /// generates one into the state directory on first start.
    pub token: Option<Secret>,
    /// Shared password for `password` mode (required there); default none.
    pub password: Option<Secret>,
    /// Lockout after repeated failed logins.
    pub rate_limit: AuthRateLimit,
}

/// `gateway.auth.mode`: which credential clients present.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// A bearer token; the default.
    #[default]
    Token,
    /// A shared password; required for Tailscale Funnel.
    Password,
    /// No authentication; only accepted on a loopback bind.
    None,
}

/// `gateway.auth.rateLimit`: brute-force protection for failed logins.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct AuthRateLimit {
    /// Default 10 failures per window: forgiving of typos, hopeless for
    /// guessing (the OpenClaw default users know).
    pub max_attempts: u32,
    /// Milliseconds over which failures are counted; default 60000.
    pub window_ms: u64,
    /// Milliseconds a client stays locked out; default 300000 (5 minutes),
    /// enough to make online guessing impractical.
    pub lockout_ms: u64,
    /// Default true: local processes are already trusted with the state dir,
    /// and locking out the local CLI helps nobody.
    pub exempt_loopback: bool,
}

impl Default for AuthRateLimit {
    fn default() -> Self {
        AuthRateLimit {
            max_attempts: 10,
            window_ms: 60_000,
            lockout_ms: 300_000,
            exempt_loopback: true,
        }
    }
}

/// `gateway.controlUi`: the browser dashboard.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ControlUi {
    /// Default true: the dashboard is how most users first talk to Pincer,
    /// and it sits behind the same auth as everything else.
    pub enabled: bool,
    /// Default none. Browser origins (`https://host[:port]`, or `null`) allowed to call the gateway
    /// beside its own (the Control UI it serves, on the names and port it is reached at, and the
    /// Tailscale name under Serve/Funnel). Any other page's WebSocket or state-changing request is
    /// refused with `ORIGIN_NOT_ALLOWED`: a web site must not drive the gateway from the owner's
    /// browser. Checked at load: each entry must be an origin.
    pub allowed_origins: Vec<String>,
}

impl Default for ControlUi {
    fn default() -> Self {
        ControlUi {
            enabled: true,
            allowed_origins: Vec::new(),
        }
    }
}

/// `gateway.tailscale`: publishing the gateway through Tailscale.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Tailscale {
    /// Default `off`: exposure beyond this machine is always opt-in.
    pub mode: TailscaleMode,
    /// Default false: a Serve/Funnel route left behind after exit is
    /// harmless while nothing listens, and removing it may clobber routes the
    /// user configured by hand.
    pub reset_on_exit: bool,
}

/// `gateway.tailscale.mode`.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TailscaleMode {
    /// Not published; the default.
    #[default]
    Off,
    /// Reachable from the user's tailnet only.
    Serve,
    /// Reachable from the public internet; needs password auth.
    Funnel,
}

/// `gateway.ssl`: TLS termination in the gateway itself.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Ssl {
    /// Default false: loopback and Tailscale traffic is already private, and
    /// a reverse proxy usually terminates TLS.
    pub enabled: bool,
    /// PEM certificate chain; required when enabled.
    pub cert_path: Option<String>,
    /// PEM private key; required when enabled.
    pub key_path: Option<String>,
}

/// `gateway.rateLimiting`: general request throttling per client.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct RateLimiting {
    /// Default false: a personal gateway on loopback has one trusted user;
    /// turn it on when exposing the gateway.
    pub enabled: bool,
    /// Default 600 (10 per second sustained): far above interactive use.
    pub requests_per_minute: u32,
    /// Default 60: lets a UI load its burst of requests at once.
    pub burst_size: u32,
}

impl Default for RateLimiting {
    fn default() -> Self {
        RateLimiting {
            enabled: false,
            requests_per_minute: 600,
            burst_size: 60,
        }
    }
}

/// `agents`: defaults and resource limits for agent runs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct AgentsConfig {
    /// Settings every agent inherits.
    pub defaults: AgentDefaults,
    /// Default 4: enough for parallel channels without starving a laptop.
    pub max_concurrent_runs: u32,
    /// Sessions kept in memory; default 100, the seed's production value.
    pub session_cache_size: u32,
    /// Megabytes an agent run may use; default 512, the seed's value for a
    /// personal machine.
    pub memory_limit: u64,
    /// Megabytes at which caches are trimmed; default 384 (75% of the
    /// limit), so trimming starts before the limit is hit.
    pub gc_threshold: u64,
}

impl Default for AgentsConfig {
    fn default() -> Self {
        AgentsConfig {
            defaults: AgentDefaults::default(),
            max_concurrent_runs: 4,
            session_cache_size: 100,
            memory_limit: 512,
            gc_threshold: 384,
        }
    }
}

/// `agents.defaults`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct AgentDefaults {
    /// Workspace for agents that name none; default none (per-agent
    /// directory under the state dir).
    pub workspace: Option<String>,
    /// Tool sandboxing.
    pub sandbox: Sandbox,
    /// The model, with optional fallbacks; default none, meaning `agent.model`.
    pub model: Option<ModelSelection>,
    /// System prompt of every run; default none (a short built-in one).
    pub system_prompt: Option<String>,
    /// Overall limit of one run, in seconds; default 600, long enough for tool-heavy turns.
    pub timeout_seconds: u64,
    /// A model stream that sends nothing for this long is abandoned (and retried); default 120.
    pub stream_idle_seconds: u64,
    /// Attempts per turn before the asker gets an error reply; default 3.
    pub max_attempts: u32,
    /// `max_tokens` of each model call; default 4096.
    pub max_tokens: u32,
    /// Model calls per turn (the tool loop's bound); default 16.
    pub max_steps: u32,
    /// `sessions_spawn`: sub-agent limits and defaults.
    pub subagents: super::subagents::SubagentsConfig,
    /// The main session's periodic heartbeat turn; default off.
    pub heartbeat: super::cron::HeartbeatConfig,
}

impl Default for AgentDefaults {
    fn default() -> Self {
        AgentDefaults {
            workspace: None,
            sandbox: Sandbox::default(),
            model: None,
            system_prompt: None,
            timeout_seconds: 600,
            stream_idle_seconds: 120,
            max_attempts: 3,
            max_tokens: 4096,
            max_steps: 16,
            subagents: super::subagents::SubagentsConfig::default(),
            heartbeat: super::cron::HeartbeatConfig::default(),
        }
    }
}

/// `agents.defaults.sandbox`: which sessions run tools in a sandbox.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Sandbox {
    /// Default `non-main`: the owner's main session is trusted, sessions
    /// started by other people (groups, channels) are not.
    pub mode: SandboxMode,
    /// Tools (or `group:*` names) sandboxed sessions may use; default the
    /// seed's harmless set: the file tools (confined to the session's own
    /// folder) and talking to other sandboxed sessions.
    pub allowlist: Vec<String>,
    /// Tools sandboxed sessions may never use, even when allowed above;
    /// default empty.
    pub denylist: Vec<String>,
}

/// The seed's sandbox allowlist.
pub const SANDBOX_DEFAULT_ALLOWLIST: [&str; 6] = [
    "read",
    "write",
    "edit",
    "sessions_list",
    "sessions_history",
    "sessions_send",
];

impl Default for Sandbox {
    fn default() -> Self {
        Sandbox {
            mode: SandboxMode::default(),
            allowlist: SANDBOX_DEFAULT_ALLOWLIST.map(String::from).to_vec(),
            denylist: Vec::new(),
        }
    }
}

/// `agents.defaults.sandbox.mode`.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SandboxMode {
    /// No sandboxing.
    Off,
    /// Every session except the owner's main one; the default.
    #[default]
    #[serde(rename = "non-main")]
    NonMain,
    /// Every session, including the main one.
    All,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_zero_config_values() {
        let c = Config::default();
        assert_eq!(c.schema, None);
        assert_eq!(c.agent.model, "anthropic/claude-sonnet-4-5");
        assert_eq!(c.agent.workspace, None);

        let g = &c.gateway;
        assert_eq!(g.port, 18789);
        assert_eq!(g.bind, Bind::Loopback);
        assert_eq!(g.auth.mode, AuthMode::Token);
        assert_eq!(g.auth.token, None);
        assert_eq!(g.auth.password, None);
        assert_eq!(g.auth.rate_limit.max_attempts, 10);
        assert_eq!(g.auth.rate_limit.window_ms, 60_000);
        assert_eq!(g.auth.rate_limit.lockout_ms, 300_000);
        assert!(g.auth.rate_limit.exempt_loopback);
        assert!(g.control_ui.enabled);
        assert_eq!(g.tailscale.mode, TailscaleMode::Off);
        assert!(!g.tailscale.reset_on_exit);
        assert_eq!(g.ssl, Ssl::default());
        assert!(!g.ssl.enabled);
        assert_eq!(g.max_connections, 100);
        assert_eq!(g.connection_timeout, 2000);
        assert_eq!(g.max_connections_per_client, None);
        assert_eq!(g.effective_max_connections_per_client(), 75);
        assert_eq!(g.request_timeout, 30000);
        assert!(!g.rate_limiting.enabled);
        assert_eq!(g.rate_limiting.requests_per_minute, 600);
        assert_eq!(g.rate_limiting.burst_size, 60);

        let w = &c.channels.whatsapp;
        assert!(!w.enabled);
        assert_eq!(w.dm_policy, crate::config::DmPolicy::Pairing);
        assert!(w.allow_from.is_empty());

        let a = &c.agents;
        assert_eq!(a.defaults.workspace, None);
        assert_eq!(a.defaults.sandbox.mode, SandboxMode::NonMain);
        assert_eq!(
            a.defaults.sandbox.allowlist,
            [
                "read",
                "write",
                "edit",
                "sessions_list",
                "sessions_history",
                "sessions_send"
            ]
        );
        assert!(a.defaults.sandbox.denylist.is_empty());
        assert_eq!(a.max_concurrent_runs, 4);
        assert_eq!(a.session_cache_size, 100);
        assert_eq!(a.memory_limit, 512);
        assert_eq!(a.gc_threshold, 384);

        let t = &c.tools;
        assert_eq!(t.exec.max_processes, 4);
        assert_eq!(t.exec.timeout, 60_000);
        assert!(t.exec.sandbox);
        assert_eq!(t.browser.max_instances, 1);
        assert_eq!(t.browser.memory_limit, 512);
        assert_eq!(t.browser.timeout, 30_000);
    }

    #[test]
    fn empty_object_is_the_default_config() {
        let parsed: Config = serde_json::from_str("{}").unwrap();
        assert_eq!(parsed, Config::default());
    }

    #[test]
    fn enums_use_the_documented_spellings() {
        let v = serde_json::to_value(Config::default()).unwrap();
        assert_eq!(v["gateway"]["bind"], "loopback");
        assert_eq!(v["gateway"]["auth"]["mode"], "token");
        assert_eq!(v["gateway"]["tailscale"]["mode"], "off");
        assert_eq!(v["channels"]["whatsapp"]["dmPolicy"], "pairing");
        assert_eq!(v["agents"]["defaults"]["sandbox"]["mode"], "non-main");
        let modes: Vec<SandboxMode> = serde_json::from_str(r#"["off","non-main","all"]"#).unwrap();
        assert_eq!(
            modes,
            [SandboxMode::Off, SandboxMode::NonMain, SandboxMode::All]
        );
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let mut c = Config::default();
        c.gateway.auth.token = Some(Secret::new("tok-123456"));
        c.gateway.auth.password = Some(Secret::new("pw-abcdef"));
        let debug = format!("{c:?}");
        assert!(!debug.contains("tok-123456"), "{debug}");
        assert!(!debug.contains("pw-abcdef"), "{debug}");
        assert!(debug.contains("***"));
    }
}
