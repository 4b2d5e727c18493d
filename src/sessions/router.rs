//! The session router (`/gateway/router`): finds the session actor for a key, starting it under
//! `/gateway/sessions` on first use, and evicts idle sessions from memory.
//!
//! Live sessions are bounded by `agents.sessionCacheSize` (least recently used idle session goes
//! first) and by `session.idleMinutes`. An evicted session costs no actor: its transcript stays on
//! disk, and the next message starts a fresh actor that reads it. A session that is running a
//! turn is never evicted. An ephemeral session is not kept in the table at all: its actor stops
//! by itself once its turn is over. The router also runs the store's retention now and then.
//!
//! The table lives outside the actor (shared by its incarnations), so that a restarted router
//! still knows the sessions the supervisor is running.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix::{
    Actor, ActorFutureExt, AsyncContext, AtomicResponse, Context, Handler, Message, WrapFuture,
};
use pincer_actors::{
    ActorRef, ChildContext, ChildSpec, Managed, RestartType, StartChild, StartError, Supervisor,
    TerminateChild,
};
use tracing::debug;

use super::actor::SessionActor;
use super::key::is_ephemeral;
use super::store::retention::PRUNE_PERIOD;
use super::turn::SessionServices;
use crate::config::QueueConfig;

/// One live session.
pub struct LiveSession {
    pub actor: ActorRef<SessionActor>,
    busy: Arc<AtomicBool>,
    last_used: Instant,
}

/// The table of live sessions, shared across router restarts.
pub(crate) type SessionTable = Arc<Mutex<HashMap<String, LiveSession>>>;

/// Returns the session actor for `key`, starting it if needed.
pub struct GetSession(pub String);

impl Message for GetSession {
    type Result = Result<ActorRef<SessionActor>, String>;
}

/// Evicts every idle session now (the memory guard sends it while shedding load).
pub struct EvictIdle;

impl Message for EvictIdle {
    type Result = ();
}

/// A session used this recently is never evicted: it may have been started for a message that
/// has not reached it yet (its `busy` flag only turns on when the actor handles the message).
const EVICTION_GRACE: Duration = Duration::from_secs(5);

/// Router settings.
#[derive(Debug, Clone)]
pub struct RouterSettings {
    pub cache_size: usize,
    pub idle: Duration,
    pub queue: QueueConfig,
}

/// The actor.
pub struct SessionRouter {
    cx: ChildContext,
    services: Arc<SessionServices>,
    sessions: ActorRef<Supervisor>,
    table: SessionTable,
    settings: RouterSettings,
}

impl SessionRouter {
    pub fn new(
        cx: ChildContext,
        services: Arc<SessionServices>,
        sessions: ActorRef<Supervisor>,
        table: SessionTable,
        settings: RouterSettings,
    ) -> Self {
        SessionRouter {
            cx,
            services,
            sessions,
            table,
            settings,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, LiveSession>> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn publish(&self) {
        let table = self.lock();
        let busy = table.values().filter(|s| s.busy.load(Relaxed)).count();
        self.cx.set_status(format!(
            "{} live sessions ({busy} busy), cache {}",
            table.len(),
            self.settings.cache_size
        ));
    }

    /// Evicts idle sessions past the idle timeout, then the least recently used idle ones while
    /// the table is over capacity.
    fn evict(&self) {
        let now = Instant::now();
        let mut victims = Vec::new();
        {
            let mut table = self.lock();
            table.retain(|key, session| {
                let stale = !session.busy.load(Relaxed)
                    && now.duration_since(session.last_used) > self.settings.idle;
                if stale {
                    victims.push(key.clone());
                }
                !stale
            });
            while table.len() > self.settings.cache_size {
                let lru = table
                    .iter()
                    .filter(|(_, s)| {
                        !s.busy.load(Relaxed) && now.duration_since(s.last_used) >= EVICTION_GRACE
                    })
                    .min_by_key(|(_, s)| s.last_used)
                    .map(|(key, _)| key.clone());
                let Some(key) = lru else {
                    break;
                };
                table.remove(&key);
                victims.push(key);
            }
        }
        for key in victims {
            debug!(session = %key, "evicting idle session");
            let _ = self.sessions.tell(TerminateChild(key));
        }
    }
}

impl SessionRouter {
    /// Prunes stored sessions on a blocking thread (it deletes files), sparing the live ones.
    fn prune(&self) {
        let live: std::collections::HashSet<String> = self.lock().keys().cloned().collect();
        let store = Arc::clone(&self.services.store);
        actix_web::rt::task::spawn_blocking(move || {
            if let Err(error) = store.prune(&live, crate::clock::now_ms()) {
                tracing::warn!(%error, "could not prune stored sessions");
            }
        });
    }
}

impl Actor for SessionRouter {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.publish();
        let period = (self.settings.idle / 4).clamp(Duration::from_secs(1), EVICTION_GRACE);
        ctx.run_interval(period, |router, _| {
            router.evict();
            router.publish();
        });
        // The transcript index is a cache written at most once a second (see `SessionStore`), on
        // a blocking thread: its fsync must not stall the actors on this one.
        ctx.run_interval(Duration::from_secs(1), |router, _| {
            let store = Arc::clone(&router.services.store);
            actix_web::rt::task::spawn_blocking(move || {
                if let Err(error) = store.flush() {
                    tracing::warn!(%error, "could not write the session index");
                }
            });
        });
        // Retention (`session.retentionDays`, `session.maxStored`): soon after start, then now
        // and then; live sessions are spared.
        ctx.run_later(Duration::from_secs(1), |router, _| router.prune());
        ctx.run_interval(PRUNE_PERIOD, |router, _| router.prune());
    }
}

impl Managed for SessionRouter {}

impl Handler<EvictIdle> for SessionRouter {
    type Result = ();

    fn handle(&mut self, _: EvictIdle, _ctx: &mut Context<Self>) {
        let victims: Vec<String> = {
            let mut table = self.lock();
            let now = Instant::now();
            let idle: Vec<String> = table
                .iter()
                .filter(|(_, s)| {
                    !s.busy.load(Relaxed) && now.duration_since(s.last_used) >= EVICTION_GRACE
                })
                .map(|(key, _)| key.clone())
                .collect();
            for key in &idle {
                table.remove(key);
            }
            idle
        };
        if !victims.is_empty() {
            debug!(count = victims.len(), "evicting every idle session");
        }
        for key in victims {
            let _ = self.sessions.tell(TerminateChild(key));
        }
        self.publish();
    }
}

impl Handler<GetSession> for SessionRouter {
    type Result = AtomicResponse<Self, Result<ActorRef<SessionActor>, String>>;

    fn handle(&mut self, GetSession(key): GetSession, _ctx: &mut Context<Self>) -> Self::Result {
        {
            let mut table = self.lock();
            if let Some(session) = table.get_mut(&key) {
                if session.actor.is_running() {
                    session.last_used = Instant::now();
                    let actor = session.actor.clone();
                    return AtomicResponse::new(Box::pin(
                        async move { Ok(actor) }.into_actor(self),
                    ));
                }
            }
        }
        let busy = Arc::new(AtomicBool::new(false));
        let services = Arc::clone(&self.services);
        let queue = self.settings.queue.clone();
        let factory_key = key.clone();
        let factory_busy = Arc::clone(&busy);
        let arbiter = self.services.arbiters.for_key(&key);
        let (spec, actor) = ChildSpec::actor(key.clone(), "session", move |cx| {
            SessionActor::new(
                cx.clone(),
                factory_key.clone(),
                Arc::clone(&services),
                queue.clone(),
                Arc::clone(&factory_busy),
            )
        });
        // An ephemeral session stops once its turn is over (and is not kept in the table).
        let ephemeral = is_ephemeral(&key);
        let spec = if ephemeral {
            spec.restart(RestartType::Transient).forget_when_done()
        } else {
            spec
        };
        let spec = spec.on(arbiter);
        let sessions = self.sessions.clone();
        // Atomic: no other lookup runs until this session is started, so two first messages for
        // the same key cannot start it twice.
        AtomicResponse::new(Box::pin(
            async move { sessions.ask(StartChild(spec)).await }
                .into_actor(self)
                .map(move |started, router, _ctx| match started {
                    Ok(Ok(_)) if ephemeral => Ok(actor),
                    Ok(Ok(_)) => {
                        router.lock().insert(
                            key,
                            LiveSession {
                                actor: actor.clone(),
                                busy,
                                last_used: Instant::now(),
                            },
                        );
                        router.evict();
                        router.publish();
                        Ok(actor)
                    }
                    // The previous actor for this key is still stopping (just evicted) or
                    // restarting: the caller may retry in a moment.
                    Ok(Err(StartError::AlreadyExists(_))) => {
                        Err(format!("session {key} is restarting; retry shortly"))
                    }
                    Ok(Err(error)) => Err(error.to_string()),
                    Err(error) => Err(format!("the sessions supervisor is unavailable: {error}")),
                }),
        ))
    }
}

pincer_actors::mailbox!(SessionRouter: GetSession, EvictIdle);
