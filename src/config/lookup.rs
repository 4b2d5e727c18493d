//! Reading single settings by dotted path, with secrets redacted.
//!
//! Backs `pincer config get gateway.auth.mode` and any diagnostic that shows
//! the effective config. Paths use the file's own camelCase key names, so
//! what users read in their file is what they type. Credentials are masked by
//! their type ([`Secret`](super::secret::Secret) serializes as
//! [`REDACTED`](super::secret::REDACTED)), whatever their key is called; only
//! a caller that explicitly asks to reveal them serializes inside
//! [`revealing`].

use serde_json::Value;

use super::schema::Config;
use super::secret::revealing;

/// The value at `dotted` (e.g. `gateway.controlUi.enabled`), or `None` if no
/// such key exists.
///
/// An empty path returns the whole config; a numeric segment indexes a list
/// (`channels.whatsapp.allowFrom.0`). Unset optional keys exist and yield
/// `Some(Value::Null)`. Set credentials read as `"***"` unless
/// `reveal_secrets` is true.
pub fn get_path(config: &Config, dotted: &str, reveal_secrets: bool) -> Option<Value> {
    let root = if reveal_secrets {
        revealing(|| to_value(config))
    } else {
        redacted(config)
    };
    if dotted.is_empty() {
        return Some(root);
    }
    let mut current = &root;
    for segment in dotted.split('.') {
        current = match current {
            Value::Object(map) => map.get(segment)?,
            Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(current.clone())
}

/// The whole config as JSON with every set credential replaced by `"***"`,
/// safe to log or show in a UI. This is the config's plain serialization: the
/// masking is the credential type's own.
pub fn redacted(config: &Config) -> Value {
    to_value(config)
}

/// Serializing plain structs with string keys cannot fail; `Null` stands in
/// for the impossible error rather than a panic.
fn to_value(config: &Config) -> Value {
    serde_json::to_value(config).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::secret::Secret;
    use serde_json::json;

    fn with_secrets() -> Config {
        let mut c = Config::default();
        c.gateway.auth.token = Some(Secret::new("tok-123"));
        c.gateway.auth.password = Some(Secret::new("pw-456"));
        c.channels.whatsapp.allow_from = vec!["+1234567890".into()];
        c
    }

    #[test]
    fn reads_camel_case_paths() {
        let c = Config::default();
        assert_eq!(
            get_path(&c, "gateway.auth.mode", false),
            Some(json!("token"))
        );
        assert_eq!(
            get_path(&c, "gateway.controlUi.enabled", false),
            Some(json!(true))
        );
        assert_eq!(get_path(&c, "gateway.port", false), Some(json!(18789)));
        assert_eq!(
            get_path(&c, "agents.defaults.sandbox.mode", false),
            Some(json!("non-main"))
        );
    }

    #[test]
    fn unknown_paths_are_none_and_unset_keys_are_null() {
        let c = Config::default();
        assert_eq!(get_path(&c, "gateway.prot", false), None);
        assert_eq!(get_path(&c, "gateway.port.x", false), None);
        assert_eq!(get_path(&c, "gateway.control_ui", false), None);
        assert_eq!(get_path(&c, "agent.workspace", false), Some(Value::Null));
        assert_eq!(get_path(&c, "gateway.auth.token", false), Some(Value::Null));
    }

    #[test]
    fn indexes_lists() {
        let c = with_secrets();
        assert_eq!(
            get_path(&c, "channels.whatsapp.allowFrom.0", false),
            Some(json!("+1234567890"))
        );
        assert_eq!(get_path(&c, "channels.whatsapp.allowFrom.1", false), None);
    }

    #[test]
    fn secrets_are_redacted_unless_revealed() {
        let c = with_secrets();
        assert_eq!(
            get_path(&c, "gateway.auth.token", false),
            Some(json!("***"))
        );
        assert_eq!(
            get_path(&c, "gateway.auth.password", false),
            Some(json!("***"))
        );
        assert_eq!(
            get_path(&c, "gateway.auth.token", true),
            Some(json!("tok-123"))
        );
        assert_eq!(
            get_path(&c, "gateway.auth.password", true),
            Some(json!("pw-456"))
        );
        let whole = get_path(&c, "gateway", false).unwrap().to_string();
        assert!(
            !whole.contains("tok-123") && !whole.contains("pw-456"),
            "{whole}"
        );
    }

    #[test]
    fn redacted_hides_every_credential() {
        let text = redacted(&with_secrets()).to_string();
        assert!(
            !text.contains("tok-123") && !text.contains("pw-456"),
            "{text}"
        );
        assert!(text.contains("***"));
        assert_eq!(
            get_path(&with_secrets(), "", false),
            Some(redacted(&with_secrets()))
        );
    }
}
