//! A string that must not leak into logs.
//!
//! The config holds the gateway's token and password. Configs get printed with
//! `{:?}` in debug logs and panics, so those fields use [`Secret`], whose
//! `Debug` never shows the value. Serialization stays transparent (the value is
//! written as a plain string) because `pincer config get --reveal` and config
//! round-trips need it; [`crate::config::lookup`] redacts serialized output.

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

/// A credential from the config or the environment; `Debug` prints `"***"`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential taken from outside the config file (env, CLI).
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The plain value, for the few places that must hand it on (a client
    /// sending it, the token file); the name makes those places easy to find.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// An empty credential would let an empty `Authorization` header in.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Compares a presented credential in constant time, so response timing
    /// does not reveal how many leading bytes were right.
    pub fn matches(&self, candidate: &str) -> bool {
        self.0.as_bytes().ct_eq(candidate.as_bytes()).into()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"***\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_value() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "\"***\"");
        assert!(!format!("{:?}", Some(&secret)).contains("hunter2"));
    }

    #[test]
    fn serializes_as_plain_string() {
        let secret = Secret::new("hunter2");
        assert_eq!(
            serde_json::to_value(&secret).unwrap(),
            serde_json::json!("hunter2")
        );
        let back: Secret = serde_json::from_value(serde_json::json!("hunter2")).unwrap();
        assert_eq!(back, secret);
    }

    #[test]
    fn matches_only_the_exact_value() {
        let secret = Secret::new("hunter2");
        assert!(secret.matches("hunter2"));
        assert!(!secret.matches("hunter"));
        assert!(!secret.matches("hunter22"));
        assert!(!secret.matches(""));
    }
}
