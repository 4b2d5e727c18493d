//! Config sections of the agent engine: model selection and failover, model providers, sessions
//! and the message queue. Kept apart from [`super::schema`] so that each file stays one concern;
//! the types are re-exported from [`super`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::secret::Secret;

/// `agents.defaults.model`: a `provider/model` string, or a primary with fallbacks tried in order
/// when the primary is rate-limited, failing or in cooldown.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum ModelSelection {
    Single(String),
    WithFallbacks(ModelChain),
}

/// `{ primary, fallbacks }`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ModelChain {
    pub primary: String,
    #[serde(default)]
    pub fallbacks: Vec<String>,
}

impl ModelSelection {
    /// The model refs in the order they are tried.
    pub fn chain(&self) -> Vec<String> {
        match self {
            ModelSelection::Single(model) => vec![model.clone()],
            ModelSelection::WithFallbacks(chain) => std::iter::once(chain.primary.clone())
                .chain(chain.fallbacks.iter().cloned())
                .collect(),
        }
    }
}

/// `models`: model providers beyond (or overriding) the built-in ones.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ModelsConfig {
    /// By provider id (the part before `/` in a model ref). `anthropic`, `openai` and `ollama` are
    /// built in; an entry with one of those ids replaces the built-in settings (tests point them at
    /// local emulators this way).
    pub providers: BTreeMap<String, ProviderConfig>,
}

/// `models.providers.<id>`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProviderConfig {
    /// Wire protocol.
    pub api: ProviderApi,
    /// Base URL without the API path, e.g. `http://127.0.0.1:11434/v1` for Ollama's OpenAI API or
    /// `https://api.anthropic.com` for Anthropic.
    pub base_url: String,
    /// The key itself (prefer `apiKeyEnv`).
    #[serde(default)]
    pub api_key: Option<Secret>,
    /// The environment variable holding the key.
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// Extra request headers. The values are [`Secret`]s: a header is a common way to carry a
    /// credential (a proxy's `Authorization`, a gateway's `x-api-key`), and which ones do is the
    /// user's knowledge, not the schema's.
    #[serde(default)]
    pub headers: BTreeMap<String, Secret>,
}

/// `models.providers.<id>.api`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ProviderApi {
    /// Anthropic Messages API (`POST {baseUrl}/v1/messages`).
    AnthropicMessages,
    /// OpenAI Chat Completions (`POST {baseUrl}/chat/completions`; the base URL includes `/v1`).
    OpenaiCompletions,
}

/// `session`: how conversations map to sessions and when idle ones leave memory.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct SessionConfig {
    /// How direct messages are split into sessions; default `per-channel-peer`, so that two people
    /// writing to the assistant never share a conversation.
    pub dm_scope: DmScope,
    /// Minutes without activity after which a session actor is evicted (its transcript stays on
    /// disk); default 30.
    pub idle_minutes: u64,
    /// At most this many completed earlier turns are sent with each prompt, the newest (0: all).
    /// Default 200: an ordinary conversation is sent whole, as before; a months-long one stops
    /// growing its prompt (and a session coming back from disk reads only that many turns).
    pub history_turns: u32,
    /// Stored sessions not updated for this many days are deleted, transcript and index entry
    /// (0: kept forever, the default).
    pub retention_days: u32,
    /// At most this many stored sessions are kept, the least recently updated go first (0: no
    /// cap, the default). Live sessions are never pruned.
    pub max_stored: u32,
    /// Megabytes of memory the live sessions' in-memory transcripts may take together (default
    /// 16); beyond it the least recently used are dropped and reread from their file's tail when
    /// next needed, so memory stays flat however many sessions are busy (0 is taken as 1).
    pub history_cache_mb: u32,
}

/// `session.historyTurns` when unset.
pub(crate) const DEFAULT_HISTORY_TURNS: u32 = 200;

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            dm_scope: DmScope::PerChannelPeer,
            idle_minutes: 30,
            history_turns: DEFAULT_HISTORY_TURNS,
            retention_days: 0,
            max_stored: 0,
            history_cache_mb: 16,
        }
    }
}

/// `session.dmScope`.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum DmScope {
    /// Every direct message goes to the owner's main session.
    Main,
    /// One session per sender, across channels.
    PerPeer,
    /// One session per channel and sender.
    #[default]
    PerChannelPeer,
    /// One session per channel account and sender.
    PerAccountChannelPeer,
}

/// `messages`: what happens to messages that arrive while a session is busy.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct MessagesConfig {
    pub queue: QueueConfig,
}

/// `messages.queue`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct QueueConfig {
    /// Default `collect`: several quick messages become one follow-up turn, as a person would
    /// answer them together.
    pub mode: QueueMode,
    /// Most messages waiting per session; default 20.
    pub cap: u32,
    /// Which message goes when the cap is reached; default `old`, keeping the most recent ones.
    pub drop: QueueDrop,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            mode: QueueMode::Collect,
            cap: 20,
            drop: QueueDrop::Old,
        }
    }
}

/// `messages.queue.mode`.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum QueueMode {
    /// Gather waiting messages into one follow-up turn.
    #[default]
    Collect,
    /// One turn per waiting message, in order.
    Followup,
    /// Abort the running turn and start anew with the new message.
    Interrupt,
}

/// `messages.queue.drop`.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum QueueDrop {
    /// Drop the oldest waiting message.
    #[default]
    Old,
    /// Refuse the new message.
    New,
}
