//! What passes between a session and the run of one of its turns.
//!
//! The session actor decides what a turn answers ([`Turn`]) and who listens ([`RunEvent`]s go to
//! its askers); running it (model calls, tools) is the agent's. The sessions own this contract
//! and the agent implements [`TurnRunner`], so the sessions sit below the agent: the engine is
//! handed to the router as a `dyn TurnRunner` when the tree is built, and nothing here knows
//! what a run does.

use std::sync::Arc;

use pincer_actors::{ActorRef, Arbiters, ChildSpec, Supervisor};
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::oneshot;

use super::late::LateAskers;
use super::SessionStore;
use crate::providers::{ChatMessage, Sampling, ToolCall, ToolSpec, Usage};

/// What the askers of a turn receive.
#[derive(Debug, Clone, PartialEq)]
pub enum RunEvent {
    /// A piece of the answer as it streams (best effort: a retried attempt may stream again).
    Delta(String),
    /// The model called a tool.
    ToolCall { name: String },
    /// The answer; sent once per turn.
    Final {
        text: String,
        usage: Usage,
        model: String,
        /// The turn's id: listeners of one batched turn (`collect` mode) see the same id, so a
        /// channel sends the answer once.
        turn: String,
        /// The ids of the journaled messages the answer covers, in order, as recorded with the
        /// turn's question (the turn's own id alone when it answers one message). A channel
        /// sends the answer as the reply to the first of them that is its own, and to no other:
        /// that choice needs no memory, so it holds across restarts.
        members: Vec<String>,
        /// Calls of the client's own tools ([`TurnRequest::client_tools`]) that the client is
        /// to run: the turn stops at them, and the client sends their results in its next
        /// request. Empty for every other turn.
        tool_calls: Vec<ToolCall>,
    },
    /// The turn ended without an answer; sent once per turn, instead of `Final`. `retryable`:
    /// the cause was passing (every model overloaded, unreachable or cooling down, the run could
    /// not start), so asking again later with the same turn id may well succeed; a channel keeps
    /// such a message and tries again instead of apologising.
    Failed {
        error: String,
        retryable: bool,
        /// For a passing cause, what is known of when to ask again (an HTTP adapter's
        /// `Retry-After`, 429 or 503); `None` when nothing is.
        retry: Option<RetryHint>,
    },
}

/// When a turn that failed for a passing cause is worth asking again, and why it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryHint {
    /// How long until a model of the chain is expected to answer (its cooldown's end, or what
    /// the provider's `Retry-After` said); `None` when unknown.
    pub after: Option<std::time::Duration>,
    /// The chain was rate limited (HTTP 429), not overloaded or shedding load (HTTP 503).
    pub rate_limited: bool,
}

/// What a client sent beside its message, for the turn that answers it (the OpenAI-compatible
/// endpoints). A turn without one runs as the session and the gateway's settings say.
#[derive(Debug, Clone, Default)]
pub struct TurnRequest {
    /// A stateless request's conversation before this turn, as the client sent it: used as the
    /// history instead of the session's (an ephemeral session has none).
    pub history: Option<Arc<Vec<ChatMessage>>>,
    /// A stateless request's messages of this turn: its last user message and what followed it
    /// (assistant tool calls and the client's tool results). The run records them in the
    /// session's view as the turn's opening, in place of `Turn::text`.
    pub opening: Vec<ChatMessage>,
    /// The client's system messages, added after the gateway's system prompt.
    pub system: Option<String>,
    pub sampling: Sampling,
    /// Overrides `agents.defaults.maxTokens` for this turn's model calls.
    pub max_tokens: Option<u32>,
    /// The client's function tools: offered to the model instead of the gateway's, and never
    /// run by the gateway: a call of one ends the turn with `RunEvent::Final::tool_calls`.
    pub client_tools: Option<Arc<[ToolSpec]>>,
    /// A channel message's media and origin: the run fetches and prepares the media before
    /// the first model call (see [`super::media`]).
    pub inbound: Option<Arc<super::media::Inbound>>,
    /// A model ref (`provider/model`) tried before the gateway's chain, which stays as its
    /// fallbacks: a sub-agent's `model` (see [`super::subagents`]).
    pub model: Option<String>,
}

/// A turn handed to a run.
#[derive(Debug)]
pub struct Turn {
    pub session_key: String,
    pub id: String,
    /// The user's text (several messages joined in `collect` mode).
    pub text: String,
    /// The ids of the journaled messages this turn answers, in order (see
    /// `Entry::Message::members`); recorded with the user message. Empty when none has an id.
    pub members: Vec<String>,
    /// The turn may already be in the transcript (a journal replay, a retry): the run looks it
    /// up in the file when the session's view lacks it. False for a message just accepted.
    pub replayed: bool,
    pub listeners: Vec<UnboundedSender<RunEvent>>,
    /// Askers who joined after the run started; they get its outcome only.
    pub late: Arc<LateAskers>,
    /// What the client asked beside its message, if it asked anything.
    pub request: Option<Arc<TurnRequest>>,
}

/// What runs a turn: the agent engine, as the sessions see it.
pub trait TurnRunner: Send + Sync {
    /// The child spec of the task that runs `turn` under the runs supervisor. The task tells
    /// every listener the outcome, and drops (or fires) `done` when the turn is over, which is
    /// how the session learns it may start the next one.
    fn run_spec(self: Arc<Self>, turn: Turn, done: oneshot::Sender<()>) -> ChildSpec;
}

/// What the router and the session actors need to run turns, shared by all of them.
pub struct SessionServices {
    /// The transcripts (a replayed message is looked up in them; an aborted turn is recorded).
    pub store: Arc<SessionStore>,
    /// `/gateway/runs`, where each turn's run is started (and terminated when it is stopped).
    pub runs: ActorRef<Supervisor>,
    /// Builds each turn's run.
    pub runner: Arc<dyn TurnRunner>,
    /// The engine's threads: each session actor is placed on one by its key's hash, and its
    /// runs (and their tool calls) start on the same one, so a session's turns stay in order
    /// on one thread while different sessions use every core.
    pub arbiters: Arc<Arbiters>,
}
