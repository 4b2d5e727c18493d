//! The supervision tree: `actors.list` (flat, sorted by path: WS, `GET /admin/actors?flat=1`,
//! `pincer actors`), `actors.tree` (WS, `GET /admin/actors`, `pincer actors --json`),
//! `actors.get` (WS, `GET /admin/actors/{id}`, `pincer actors --id`), and `actors.panic`
//! (`POST /admin/actors/{id}/panic`, with `gateway.faultInjection`). Read straight from the
//! registry: no actor is asked, so they answer even when actors are stuck.
//!
//! The field names are the registry's own (snake_case), as `/admin/actors` has always served them.

use pincer_actors::{ActorSnapshot, ActorTree as RegistryTree, FaultError};
use serde::{Deserialize, Serialize};

use super::params::text;
use super::{ApiError, Operator};

/// `actors.list` takes no parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ActorsListRequest {}

/// Every actor, flat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorList {
    pub generated_at_ms: u64,
    pub count: usize,
    pub actors: Vec<Actor>,
}

/// `actors.tree` takes no parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ActorsTreeRequest {}

/// Every actor, as a tree from the root(s).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorTree {
    pub generated_at_ms: u64,
    /// Actors in the tree.
    pub count: usize,
    /// The roots (one: `/gateway`).
    pub actors: Vec<ActorNode>,
}

/// An actor with its children.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActorNode {
    #[serde(flatten)]
    pub actor: Actor,
    pub children: Vec<ActorNode>,
}

impl ActorNode {
    fn of(tree: RegistryTree) -> Self {
        ActorNode {
            actor: tree.actor.into(),
            children: tree.children.into_iter().map(ActorNode::of).collect(),
        }
    }

    /// This actor and all below it.
    pub fn size(&self) -> usize {
        1 + self.children.iter().map(ActorNode::size).sum::<usize>()
    }
}

/// `actors.get {id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActorGetRequest {
    #[serde(deserialize_with = "text")]
    pub id: String,
}

/// One actor: where it is, its state, its restarts and last error, its mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub id: u64,
    pub kind: String,
    pub path: String,
    pub parent: Option<u64>,
    pub state: ActorState,
    /// When the actor was first registered (Unix milliseconds).
    pub created_at_ms: u64,
    /// Time since the current incarnation started, when running.
    pub uptime_ms: Option<u64>,
    pub restarts: u32,
    pub last_error: Option<String>,
    /// What the actor says it is doing, if it says.
    pub status: Option<String>,
    /// The thread it runs on: 0 the main arbiter, 1..n one of the engine threads
    /// (`engine.threads`; a session, its runs and tool calls share one).
    #[serde(default)]
    pub arbiter: u32,
    pub mailbox: Mailbox,
}

/// Lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActorState {
    Starting,
    Running,
    Restarting,
    Stopped,
    Failed,
}

/// One mailbox's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mailbox {
    pub capacity: usize,
    pub queued: usize,
    pub max_queued: usize,
    pub enqueued: u64,
    pub handled: u64,
    pub rejected_full: u64,
    pub dropped: u64,
    /// The message being handled now, and for how long.
    pub handling: Option<Handling>,
    pub handler_time: HandlerTime,
}

/// What an actor is busy with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handling {
    pub message: String,
    pub for_ms: u64,
}

/// Time spent inside handlers (their synchronous part).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandlerTime {
    pub count: u64,
    pub mean_us: u64,
    pub max_us: u64,
}

impl From<ActorSnapshot> for Actor {
    fn from(a: ActorSnapshot) -> Self {
        use pincer_actors::ActorState as S;
        let m = a.mailbox;
        Actor {
            id: a.id,
            kind: a.kind.to_string(),
            path: a.path,
            parent: a.parent,
            state: match a.state {
                S::Starting => ActorState::Starting,
                S::Running => ActorState::Running,
                S::Restarting => ActorState::Restarting,
                S::Stopped => ActorState::Stopped,
                S::Failed => ActorState::Failed,
            },
            created_at_ms: a.created_at_ms,
            uptime_ms: a.uptime_ms,
            restarts: a.restarts,
            last_error: a.last_error,
            status: a.status,
            arbiter: a.arbiter,
            mailbox: Mailbox {
                capacity: m.capacity,
                queued: m.queued,
                max_queued: m.max_queued,
                enqueued: m.enqueued,
                handled: m.handled,
                rejected_full: m.rejected_full,
                dropped: m.dropped,
                handling: m.handling.map(|h| Handling {
                    message: h.message.to_string(),
                    for_ms: h.for_ms,
                }),
                handler_time: HandlerTime {
                    count: m.handler_time.count,
                    mean_us: m.handler_time.mean_us,
                    max_us: m.handler_time.max_us,
                },
            },
        }
    }
}

/// `actors.panic {id, message?}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActorPanicRequest {
    #[serde(deserialize_with = "text")]
    pub id: String,
    /// The panic's message, shown as the actor's last error.
    #[serde(default)]
    pub message: Option<String>,
}

/// A panic injected: the actor will panic at its next message (or poll).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActorPanicked {
    pub ok: bool,
    pub id: u64,
    pub message: String,
}

fn no_actor(id: &str) -> ApiError {
    ApiError::NotFound(format!("no actor with id {id}"))
}

impl Operator {
    /// `actors.list`.
    pub async fn actors_list(&self, _request: ActorsListRequest) -> Result<ActorList, ApiError> {
        let actors: Vec<Actor> = self
            .registry
            .snapshot()
            .into_iter()
            .map(Actor::from)
            .collect();
        Ok(ActorList {
            generated_at_ms: crate::clock::now_ms(),
            count: actors.len(),
            actors,
        })
    }

    /// `actors.tree`.
    pub async fn actors_tree(&self, _request: ActorsTreeRequest) -> Result<ActorTree, ApiError> {
        let actors: Vec<ActorNode> = self
            .registry
            .tree()
            .into_iter()
            .map(ActorNode::of)
            .collect();
        Ok(ActorTree {
            generated_at_ms: crate::clock::now_ms(),
            count: actors.iter().map(ActorNode::size).sum(),
            actors,
        })
    }

    /// `actors.get`: `NOT_FOUND` for an id that is not a number or names no actor.
    pub async fn actor_get(&self, request: ActorGetRequest) -> Result<Actor, ApiError> {
        let id = request.id.trim();
        id.parse::<u64>()
            .ok()
            .and_then(|id| self.registry.get(id))
            .map(Actor::from)
            .ok_or_else(|| no_actor(id))
    }

    /// `actors.panic`: refused unless `gateway.faultInjection`; `NOT_RUNNING` for a stopped actor.
    pub async fn actor_panic(&self, request: ActorPanicRequest) -> Result<ActorPanicked, ApiError> {
        if !self.fault_injection {
            return Err(ApiError::FaultInjectionDisabled);
        }
        let id = request
            .id
            .trim()
            .parse::<u64>()
            .map_err(|_| no_actor(&request.id))?;
        let message = request
            .message
            .unwrap_or_else(|| "requested through /admin/actors".to_string());
        match self.registry.inject_panic(id, &message) {
            Ok(()) => {
                tracing::warn!(actor = id, %message, "fault injected: the actor will panic");
                Ok(ActorPanicked {
                    ok: true,
                    id,
                    message,
                })
            }
            Err(fault @ FaultError::UnknownActor(_)) => Err(ApiError::NotFound(fault.to_string())),
            Err(fault @ FaultError::NotRunning(_)) => Err(ApiError::NotRunning(fault.to_string())),
        }
    }
}
