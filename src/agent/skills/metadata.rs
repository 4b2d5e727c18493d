//! The `metadata.openclaw` object of a skill's front matter: its gates and its display.
//!
//! OpenClaw's fields: `always` (offer it whatever its requirements), `os` (platforms it runs on:
//! `darwin`, `linux`, `win32`), `requires.bins` (every one on PATH), `requires.anyBins` (one of
//! them), `requires.env` (variables that must be set), `requires.config` (config paths that must be
//! truthy), `primaryEnv` (the variable `skills.entries.<name>.apiKey` fills) and `emoji`. Other
//! fields (`install`, `homepage`, ...) are ignored. `metadata` may be absent, or a JSON string
//! holding the object; a present but malformed `openclaw` object is an error, so a skill whose
//! gates cannot be read is never offered.

use serde::Deserialize;
use serde_json::Value;

/// What `metadata.openclaw` says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OpenClawMeta {
    pub always: bool,
    pub emoji: Option<String>,
    pub primary_env: Option<String>,
    #[serde(deserialize_with = "one_or_many")]
    pub os: Vec<String>,
    pub requires: Requires,
}

/// `metadata.openclaw.requires`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Requires {
    #[serde(deserialize_with = "one_or_many")]
    pub bins: Vec<String>,
    #[serde(deserialize_with = "one_or_many")]
    pub any_bins: Vec<String>,
    #[serde(deserialize_with = "one_or_many")]
    pub env: Vec<String>,
    #[serde(deserialize_with = "one_or_many")]
    pub config: Vec<String>,
}

/// A list of strings, or one string as a list of one.
fn one_or_many<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(deserializer)? {
        None => Vec::new(),
        Some(OneOrMany::One(one)) => vec![one],
        Some(OneOrMany::Many(many)) => many,
    })
}

/// The `openclaw` metadata of a front matter's `metadata` value (absent: none).
pub fn from_front_matter(metadata: Option<&Value>) -> Result<OpenClawMeta, String> {
    let parsed;
    let metadata = match metadata {
        None | Some(Value::Null) => return Ok(OpenClawMeta::default()),
        Some(Value::String(text)) => {
            parsed = json5::from_str::<Value>(text)
                .map_err(|e| format!("`metadata` is not a JSON object: {e}"))?;
            &parsed
        }
        Some(value) => value,
    };
    let Value::Object(map) = metadata else {
        return Err("`metadata` is not an object".into());
    };
    match map.get("openclaw") {
        None | Some(Value::Null) => Ok(OpenClawMeta::default()),
        Some(openclaw) => OpenClawMeta::deserialize(openclaw)
            .map_err(|e| format!("`metadata.openclaw` does not read: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_gates_read_from_the_openclaw_object() {
        let metadata = json!({"openclaw": {
            "emoji": "🎨", "primaryEnv": "GEMINI_API_KEY", "os": "linux",
            "requires": {"bins": ["uv"], "env": ["GEMINI_API_KEY"], "config": ["browser.enabled"]},
            "install": [{"id": "brew"}]
        }});
        let meta = from_front_matter(Some(&metadata)).unwrap();
        assert_eq!(meta.emoji.as_deref(), Some("🎨"));
        assert_eq!(meta.os, ["linux"]);
        assert_eq!(meta.requires.bins, ["uv"]);
        assert_eq!(meta.requires.config, ["browser.enabled"]);
        assert_eq!(from_front_matter(None).unwrap(), OpenClawMeta::default());
        assert_eq!(
            from_front_matter(Some(&json!({"other": 1}))).unwrap(),
            OpenClawMeta::default()
        );
    }

    #[test]
    fn metadata_as_a_json_string_is_read_too() {
        let text =
            Value::String(r#"{"openclaw":{"requires":{"anyBins":["docker","podman"]}}}"#.into());
        let meta = from_front_matter(Some(&text)).unwrap();
        assert_eq!(meta.requires.any_bins, ["docker", "podman"]);
    }

    #[test]
    fn malformed_gates_are_errors() {
        for bad in [
            json!({"openclaw": {"requires": {"bins": [1, 2]}}}),
            json!({"openclaw": "yes"}),
            json!(["openclaw"]),
            Value::String("{not json".into()),
        ] {
            assert!(from_front_matter(Some(&bad)).is_err(), "{bad}");
        }
    }
}
