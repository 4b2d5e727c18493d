//! A credential in the config: a type of its own, so that no printout of the config shows it.
//!
//! Every credential field of the schema (the gateway's token and password, provider API keys and
//! extra headers, the WhatsApp access token, app secret and verify token, the Telegram bot token
//! and webhook secret) is a [`Secret`]. Both `Debug` and `Serialize` print the mask [`REDACTED`],
//! so whatever serializes the config (`pincer config get`, the WS `config.get`, a log line, a
//! diagnostic) masks every credential by its type, whatever its key is called. The value itself is
//! reachable only through [`Secret::expose`], at the few places that hand it on (an HTTP client,
//! the token file, the secrets file), or by serializing inside [`revealing`], which only the
//! explicit `pincer config get --reveal` does. Deserializing stays plain, except that the mask
//! itself is refused: it is what a pasted `config get` output holds, never a real credential.

use std::cell::Cell;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use subtle::ConstantTimeEq;

/// What a credential looks like in every printout of the config.
pub(crate) const REDACTED: &str = "***";

thread_local! {
    /// Set while [`revealing`] runs its closure on this thread.
    static REVEAL: Cell<bool> = const { Cell::new(false) };
}

/// Runs `serialize` with credentials serialized as their real values, on this thread only.
///
/// For the one printout that must show them (`pincer config get --reveal`); serialization is
/// synchronous, so nothing else runs on the thread meanwhile. The previous state comes back even
/// if `serialize` panics.
pub(crate) fn revealing<T>(serialize: impl FnOnce() -> T) -> T {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            REVEAL.with(|reveal| reveal.set(self.0));
        }
    }
    let _restore = Restore(REVEAL.with(|reveal| reveal.replace(true)));
    serialize()
}

/// A credential from the config or the environment; prints as [`REDACTED`].
#[derive(Clone, PartialEq, Eq)]
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
        write!(f, "{REDACTED:?}")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if REVEAL.with(Cell::get) {
            serializer.serialize_str(&self.0)
        } else {
            serializer.serialize_str(REDACTED)
        }
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        if value == REDACTED {
            return Err(serde::de::Error::custom(format!(
                "{REDACTED:?} is the mask `pincer config get` prints in place of a credential, \
                 not a credential: put the real value here (`pincer config get --reveal` shows it)"
            )));
        }
        Ok(Secret(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn debug_hides_the_value() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "\"***\"");
        assert!(!format!("{:?}", Some(&secret)).contains("hunter2"));
    }

    #[test]
    fn serializes_as_the_mask_unless_revealing() {
        let secret = Secret::new("hunter2");
        assert_eq!(serde_json::to_value(&secret).unwrap(), json!("***"));
        assert_eq!(
            revealing(|| serde_json::to_value(&secret).unwrap()),
            json!("hunter2")
        );
        // Revealing ends with its closure.
        assert_eq!(serde_json::to_value(&secret).unwrap(), json!("***"));
    }

    #[test]
    fn revealing_ends_even_when_the_closure_panics() {
        let secret = Secret::new("hunter2");
        let outcome = std::panic::catch_unwind(|| revealing(|| panic!("boom")));
        assert!(outcome.is_err());
        assert_eq!(serde_json::to_value(&secret).unwrap(), json!("***"));
    }

    #[test]
    fn deserializes_the_plain_value_and_refuses_the_mask() {
        let back: Secret = serde_json::from_value(json!("hunter2")).unwrap();
        assert_eq!(back, Secret::new("hunter2"));
        let error = serde_json::from_value::<Secret>(json!("***")).unwrap_err();
        assert!(error.to_string().contains("--reveal"), "{error}");
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
