//! The agent engine: what one turn of a conversation does.
//!
//! A session actor hands each turn to an **agent run**: a transient task supervised under
//! `/gateway/runs`. The run reads the session's transcript, continues the turn from its last
//! persisted step (so a restarted run never repeats the user's message or a finished tool call),
//! calls the model through the failover chain, runs the tool loop, persists every step, and sends
//! the reply to everyone waiting for it, exactly once. A run that panics or fails with a retryable
//! error is restarted by its supervisor with backoff, up to `agents.defaults.maxAttempts` attempts;
//! then the askers get a clear error and the session moves on.
//!
//! - `run.rs`: the attempt logic and the run's child spec;
//! - `call.rs`: one model call with retries, cooldowns and fallbacks;
//! - `client.rs`: what a client's request (OpenAI-compatible endpoints) changes in a run;
//! - `failover.rs`: provider cooldowns;
//! - `memory/`: memory search over the notes (BM25, embeddings, the index and its actor);
//! - `media/`: a channel message's photos, voice notes and documents made model input;
//! - `resources.rs`: the permit-granting resource manager actor;
//! - `stats.rs`: the turn counters the monitor reads;
//! - `skills/`: skill folders (AgentSkills / OpenClaw format), their prompt list and poller;
//! - `tools/`: the `Tool` trait, the built-in tools, their policy, and the invocation actor
//!   every tool call runs in (under `/gateway/tools`).

pub(crate) mod call;
pub(crate) mod client;
pub mod cron;
pub(crate) mod failover;
pub mod media;
pub mod memory;
pub(crate) mod resources;
pub(crate) mod run;
pub mod skills;
pub(crate) mod stats;
pub mod tools;

use std::sync::Arc;
use std::time::Duration;

use pincer_actors::{ActorRef, ChildSpec};
use tokio::sync::oneshot;

use crate::config::Config;
use crate::providers::catalog::ProviderCatalog;
use crate::sessions::{SessionStore, Turn, TurnRunner};

use self::failover::Cooldowns;
use self::resources::ResourceManager;
use self::stats::TurnStats;
use self::tools::ToolBox;

/// Run limits and model choice, from `agents.defaults` (and `agent.model`).
#[derive(Debug, Clone)]
pub struct RunSettings {
    /// Model refs in failover order.
    pub models: Vec<String>,
    pub system_prompt: String,
    pub timeout: Duration,
    pub stream_idle: Duration,
    pub max_attempts: u32,
    pub max_tokens: u32,
    pub max_steps: u32,
}

impl RunSettings {
    pub fn from_config(config: &Config) -> Self {
        let defaults = &config.agents.defaults;
        let models = match &defaults.model {
            Some(selection) => selection.chain(),
            None => vec![config.agent.model.clone()],
        };
        RunSettings {
            models,
            system_prompt: defaults.system_prompt.clone().unwrap_or_else(|| {
                "You are Pincer, a helpful personal assistant. Answer concisely.".to_string()
            }),
            timeout: Duration::from_secs(defaults.timeout_seconds.max(1)),
            stream_idle: Duration::from_secs(defaults.stream_idle_seconds.max(1)),
            max_attempts: defaults.max_attempts.max(1),
            max_tokens: defaults.max_tokens.max(1),
            max_steps: defaults.max_steps.max(1),
        }
    }
}

/// Everything a run needs, shared by all runs.
pub struct Engine {
    pub store: Arc<SessionStore>,
    pub catalog: ProviderCatalog,
    pub cooldowns: Cooldowns,
    /// The tools runs offer the model and call (policy, invocation actors).
    pub tools: ToolBox,
    pub settings: RunSettings,
    /// Media limits, storage and transcription (`media.*`).
    pub media: media::MediaStage,
    /// The notes' search index (`memory_search`, `pincer memory`).
    pub memory: Arc<memory::MemoryService>,
    pub resources: ActorRef<ResourceManager>,
    /// Turn counts, durations and tokens (the monitor reads them).
    pub stats: Arc<TurnStats>,
}

impl TurnRunner for Engine {
    fn run_spec(self: Arc<Self>, turn: Turn, done: oneshot::Sender<()>) -> ChildSpec {
        run::run_spec(self, turn, done)
    }
}
