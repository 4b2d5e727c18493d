//! The control plane: the gateway WebSocket protocol at `/ws` (frame-compatible with OpenClaw's
//! protocol v3), used by the Control UI and the CLI.
//!
//! - [`socket`]: the `/ws` route: the `connect.challenge` / `connect` / `hello-ok` handshake
//!   (auth with the gateway token or password, counted by the auth lockout), then one task per
//!   connection that reads frames and writes answers and events;
//! - [`connection`]: each connection's actor under `/gateway/clients` (visible in `/admin/actors`
//!   with its mailbox), which runs the requests;
//! - [`methods`]: the methods: the operator-API ones, thin adapters over
//!   [`crate::api::Operator`], and the dispatch; [`chat`]: the chat methods, which stream on the
//!   bus;
//! - [`bus`]: events serialized once and broadcast to every connection (slow consumers dropped);
//! - [`scopes`]: which operator scope each method (and each HTTP route doing the same) needs,
//!   checked before a method runs;
//! - [`idempotency`]: `idempotencyKey` for side-effecting methods;
//! - [`frames`]: the frame shapes;
//! - [`frame_limit`]: the frame-size limit applied to the raw bytes (64 KiB until `connect`
//!   succeeds, `maxPayload` after), so that an oversized frame is refused by its header.

pub(crate) mod bus;
pub(crate) mod chat;
pub(crate) mod connection;
pub(crate) mod frame_limit;
pub mod frames;
pub(crate) mod idempotency;
pub(crate) mod methods;
pub(crate) mod roster;
pub(crate) mod sessions;
pub mod socket;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::Duration;

use pincer_actors::{ActorRef, ChildSpec, RestartType, Strategy, Supervisor, SupervisorSpec};
use serde_json::{json, Value};

use bus::EventBus;
use idempotency::Idempotency;

/// Event names a client can receive.
pub const EVENTS: [&str; 9] = [
    "connect.challenge",
    "tick",
    "presence",
    "health",
    "chat",
    "agent",
    "sessions.changed",
    "shutdown",
    "skills.changed",
];

/// `tick` period.
pub const TICK: Duration = Duration::from_secs(15);

/// Protocol limits sent in `hello-ok.policy`.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest frame after the handshake.
    pub max_payload: usize,
    /// A connection whose unsent frames pass this is dropped.
    pub max_buffered_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_payload: 25 * 1024 * 1024,
            max_buffered_bytes: 8 * 1024 * 1024,
        }
    }
}

/// Frames before the handshake completes are capped at this.
pub const PRE_AUTH_MAX: usize = 64 * 1024;

/// One connected client, for `presence`.
#[derive(Debug, Clone)]
pub struct Presence {
    pub client_id: String,
    pub version: String,
    pub platform: String,
    pub mode: String,
    pub connected_ms: u64,
}

/// What the `/ws` route and the connection actors share.
pub struct ControlPlane {
    pub bus: EventBus,
    pub idempotency: Idempotency,
    /// `/gateway/clients`: one actor per connection.
    pub clients: ActorRef<Supervisor>,
    pub limits: Limits,
    presence: Mutex<BTreeMap<String, Presence>>,
    next_connection: AtomicU64,
}

impl ControlPlane {
    /// The control plane and the spec of `/gateway/clients` (with its ticker) for the tree.
    pub fn new(limits: Limits) -> (std::sync::Arc<Self>, ChildSpec) {
        let bus = EventBus::default();
        let ticker_bus = bus.clone();
        let ticker = ChildSpec::task("ticker", "ticker", move |_cx| {
            let bus = ticker_bus.clone();
            Box::pin(async move {
                let mut interval = tokio::time::interval(TICK);
                interval.tick().await;
                loop {
                    interval.tick().await;
                    bus.publish("tick", &json!({ "ts": crate::clock::now_ms() }));
                }
            })
        })
        .restart(RestartType::Permanent);
        // Connections come and go; one that fails is not restarted (its socket is gone).
        let (spec, clients) = SupervisorSpec::new(Strategy::OneForOne)
            .intensity(pincer_actors::Intensity {
                max_restarts: u32::MAX,
                period: Duration::from_secs(1),
            })
            .child(ticker)
            .into_child("clients");
        let plane = ControlPlane {
            bus,
            idempotency: Idempotency::default(),
            clients,
            limits,
            presence: Mutex::new(BTreeMap::new()),
            next_connection: AtomicU64::new(1),
        };
        (std::sync::Arc::new(plane), spec)
    }

    /// Publishes `skills.changed` (`{version}`) whenever the skills list reloads, until the
    /// catalog that sends `changes` is gone.
    pub fn forward_skill_changes(&self, mut changes: tokio::sync::watch::Receiver<u64>) {
        let bus = self.bus.clone();
        actix_web::rt::spawn(async move {
            while changes.changed().await.is_ok() {
                let version = *changes.borrow_and_update();
                bus.publish("skills.changed", &json!({ "version": version }));
            }
        });
    }

    /// A fresh connection id (`c1`, `c2`, ...).
    pub fn connection_id(&self) -> String {
        format!("c{}", self.next_connection.fetch_add(1, Relaxed))
    }

    /// Records a new client and tells the others. The event carries the change, not the whole
    /// list (which `hello-ok` and the `presence` method give): with N clients, N joins cost O(N)
    /// each, not O(N²).
    pub fn joined(&self, conn_id: &str, presence: Presence) {
        let event = json!({ "joined": presence_entry(conn_id, &presence) });
        let count = {
            let mut clients = self.lock_presence();
            clients.insert(conn_id.to_string(), presence);
            clients.len()
        };
        self.publish_presence(event, count);
    }

    pub fn left(&self, conn_id: &str) {
        let (removed, count) = {
            let mut clients = self.lock_presence();
            let removed = clients.remove(conn_id).is_some();
            (removed, clients.len())
        };
        if removed {
            self.publish_presence(json!({ "left": { "connId": conn_id } }), count);
        }
    }

    fn publish_presence(&self, mut event: Value, count: usize) {
        event["count"] = json!(count);
        self.bus.publish("presence", &event);
    }

    /// Connected clients, at most `limit` of them listed (`truncated` says when there are more).
    pub fn presence_json(&self, limit: usize) -> Value {
        let presence = self.lock_presence();
        let clients: Vec<Value> = presence
            .iter()
            .take(limit)
            .map(|(id, p)| presence_entry(id, p))
            .collect();
        json!({ "count": presence.len(), "clients": clients, "truncated": presence.len() > limit })
    }

    /// Every connected client, by connection id.
    pub(crate) fn presence_entries(&self) -> Vec<(String, Presence)> {
        self.lock_presence()
            .iter()
            .map(|(id, p)| (id.clone(), p.clone()))
            .collect()
    }

    /// Connected clients, counted without listing them.
    pub fn client_count(&self) -> usize {
        self.lock_presence().len()
    }

    fn lock_presence(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Presence>> {
        self.presence.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// `health` counts the connected operators.
impl crate::api::ClientCount for ControlPlane {
    fn client_count(&self) -> usize {
        ControlPlane::client_count(self)
    }
}

fn presence_entry(conn_id: &str, p: &Presence) -> Value {
    json!({ "connId": conn_id, "client": { "id": p.client_id, "version": p.version,
        "platform": p.platform, "mode": p.mode }, "connectedAtMs": p.connected_ms })
}
