//! `idempotencyKey` for side-effecting methods: a repeated key gets the first answer back and
//! does no work again. Keys are remembered for ten minutes (at most [`MAX_KEYS`]); a repeat that
//! arrives while the first is still being handled is told to retry.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

const TTL: Duration = Duration::from_secs(600);
const MAX_KEYS: usize = 10_000;

enum Slot {
    InFlight(Instant),
    Done(Instant, Result<Value, (&'static str, String)>),
}

/// What a key is.
pub enum Claim {
    /// First use: do the work, then [`Idempotency::finish`].
    New,
    /// Being handled by an earlier request.
    InFlight,
    /// Done: the first answer.
    Done(Result<Value, (&'static str, String)>),
}

/// Keys per method, for the whole gateway (clients reconnect and retry on another connection).
#[derive(Default)]
pub struct Idempotency {
    slots: Mutex<HashMap<String, Slot>>,
}

impl Idempotency {
    pub fn claim(&self, method: &str, key: &str) -> Claim {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if slots.len() >= MAX_KEYS {
            slots.retain(|_, slot| match slot {
                Slot::InFlight(at) | Slot::Done(at, _) => now.duration_since(*at) < TTL,
            });
        }
        let full_key = format!("{method}\u{0}{key}");
        match slots.get(&full_key) {
            Some(Slot::Done(at, answer)) if now.duration_since(*at) < TTL => {
                Claim::Done(answer.clone())
            }
            Some(Slot::InFlight(at)) if now.duration_since(*at) < TTL => Claim::InFlight,
            _ => {
                if slots.len() < MAX_KEYS {
                    slots.insert(full_key, Slot::InFlight(now));
                }
                Claim::New
            }
        }
    }

    pub fn finish(&self, method: &str, key: &str, answer: Result<Value, (&'static str, String)>) {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        let full_key = format!("{method}\u{0}{key}");
        if slots.contains_key(&full_key) {
            slots.insert(full_key, Slot::Done(Instant::now(), answer));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_repeated_key_gets_the_first_answer() {
        let cache = Idempotency::default();
        assert!(matches!(cache.claim("send", "k1"), Claim::New));
        assert!(matches!(cache.claim("send", "k1"), Claim::InFlight));
        cache.finish("send", "k1", Ok(json!({"n": 1})));
        match cache.claim("send", "k1") {
            Claim::Done(Ok(value)) => assert_eq!(value, json!({"n": 1})),
            _ => panic!("expected the stored answer"),
        }
        assert!(
            matches!(cache.claim("agent", "k1"), Claim::New),
            "keys are per method"
        );
    }
}
