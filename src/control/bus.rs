//! The event bus of the control plane: every event for operators (`chat`, `agent`, `tick`,
//! `presence`, `health`, `shutdown`) is serialized once and broadcast to every connection's writer,
//! which adds the connection's own `seq`. A connection that falls more than [`CAPACITY`] events
//! behind is a slow consumer and is dropped, so no client can hold the gateway back.

use std::sync::Arc;

use serde_json::Value;
use tokio::sync::broadcast;

/// Events a connection may lag behind before it is dropped.
pub(crate) const CAPACITY: usize = 8192;

/// One published event.
#[derive(Debug)]
pub struct BusEvent {
    pub name: &'static str,
    /// The payload as JSON text.
    pub payload: String,
}

/// The broadcast side; cheap to clone.
#[derive(Clone)]
pub struct EventBus {
    sender: broadcast::Sender<Arc<BusEvent>>,
}

impl Default for EventBus {
    fn default() -> Self {
        EventBus {
            sender: broadcast::channel(CAPACITY).0,
        }
    }
}

impl EventBus {
    /// Sends `payload` as event `name` to every connected client (no-op without clients).
    pub fn publish(&self, name: &'static str, payload: &Value) {
        if self.sender.receiver_count() == 0 {
            return;
        }
        let _ = self.sender.send(Arc::new(BusEvent {
            name,
            payload: payload.to_string(),
        }));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<BusEvent>> {
        self.sender.subscribe()
    }

    /// Connected subscribers.
    pub fn listeners(&self) -> usize {
        self.sender.receiver_count()
    }
}
