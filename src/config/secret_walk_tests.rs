//! The schema walk that proves no credential of the config is ever printed.
//!
//! `tests/fixtures/config/every-key.json5` sets every key of the schema, through the real
//! parser, with a unique `marker-...` value in every credential. The walk first proves the fixture
//! really covers the schema (every key the defaults serialize is there, nothing is left unset,
//! every list and map has an entry), so a key added to the schema later fails here until it is
//! added to the fixture. Then it finds the credential-typed keys by what they do (their revealed
//! and their normal serialization differ) and checks that every key whose name says it is a
//! credential is one, and that no credential value appears in any printout of the config.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use super::lookup::{get_path, redacted};
use super::secret::REDACTED;
use super::{parse_str, validate, Config};

const EVERY_KEY: &str = include_str!("../../tests/fixtures/config/every-key.json5");

/// Keys whose names look like a credential's but which hold none, each with the reason; anything
/// else matching [`looks_secret`] must be of the credential type.
const NOT_SECRETS: &[(&str, &str)] = &[
    ("agents.defaults.maxTokens", "a number of model tokens"),
    (
        "models.providers.*.apiKeyEnv",
        "the name of a variable, not its value",
    ),
    ("gateway.ssl.keyPath", "a file path; the file is 0600"),
    ("channels.webhookMaxBytes", "a size limit"),
];

fn looks_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["key", "secret", "token", "password", "webhook"]
        .iter()
        .any(|word| name.contains(word))
}

fn every_key() -> Config {
    parse_str(EVERY_KEY, Path::new("every-key.json5")).expect("the fixture parses")
}

/// Every node of `value` by its schema path: map entries and list items become `*`, since their
/// keys are the user's data, not the schema's.
fn walk(value: &Value, path: &str, maps: &[&str], out: &mut BTreeMap<String, Value>) {
    out.insert(path.to_string(), value.clone());
    let join = |segment: &str| {
        if path.is_empty() {
            segment.to_string()
        } else {
            format!("{path}.{segment}")
        }
    };
    match value {
        Value::Object(map) => {
            let is_map = maps.contains(&path);
            for (key, child) in map {
                walk(child, &join(if is_map { "*" } else { key }), maps, out);
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| walk(item, &join("*"), maps, out)),
        _ => {}
    }
}

/// Keys of the schema that are maps from the user's names (not structs).
const MAPS: &[&str] = &[
    "models.providers",
    "models.providers.*.headers",
    "skills.entries",
    "skills.entries.*.env",
    "mcp.servers",
    "mcp.servers.*.env",
    "mcp.servers.*.headers",
];

fn nodes(value: &Value) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    walk(value, "", MAPS, &mut out);
    out.remove("");
    out
}

fn revealed(config: &Config) -> Value {
    get_path(config, "", true).expect("the whole config")
}

#[test]
fn the_fixture_sets_every_key_of_the_schema() {
    let config = every_key();
    assert_eq!(validate(&config), [], "the fixture must be a valid config");
    let set = nodes(&revealed(&config));
    let defaults = nodes(&revealed(&Config::default()));
    let missing: Vec<&String> = defaults.keys().filter(|k| !set.contains_key(*k)).collect();
    assert!(
        missing.is_empty(),
        "tests/fixtures/config/every-key.json5 lacks these schema keys: {missing:?}"
    );
    let unset: Vec<&String> = set
        .iter()
        .filter(|(_, value)| match value {
            Value::Null => true,
            Value::Array(items) => items.is_empty(),
            Value::Object(map) => map.is_empty(),
            _ => false,
        })
        .map(|(key, _)| key)
        .collect();
    assert!(
        unset.is_empty(),
        "every-key.json5 must set these keys (and give lists and maps an entry): {unset:?}"
    );
}

/// The keys whose value the normal serialization hides: the credential-typed ones.
fn credential_keys(config: &Config) -> BTreeMap<String, String> {
    let plain = nodes(&redacted(config));
    nodes(&revealed(config))
        .into_iter()
        .filter_map(|(key, value)| match (&value, plain.get(&key)) {
            (Value::String(real), Some(shown)) if Some(&value) != Some(shown) => {
                assert_eq!(shown, &Value::from(REDACTED), "{key} prints as {shown}");
                Some((key, real.clone()))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn every_key_named_like_a_credential_is_credential_typed() {
    let config = every_key();
    let credentials = credential_keys(&config);
    let exempt: BTreeSet<&str> = NOT_SECRETS.iter().map(|(key, _)| *key).collect();
    for key in nodes(&revealed(&config)).keys() {
        let name = key.rsplit('.').find(|s| *s != "*").unwrap_or(key);
        if looks_secret(name) && !exempt.contains(key.as_str()) {
            assert!(
                credentials.contains_key(key),
                "{key} looks like a credential but is not of the config::Secret type, so \
                 `pincer config get` and `config.get` would print it; make it a Secret (or, if it \
                 holds none, list it in NOT_SECRETS with the reason)"
            );
        }
    }
    for key in &exempt {
        assert!(
            !credentials.contains_key(*key),
            "{key} is a Secret: drop it from NOT_SECRETS"
        );
    }
}

#[test]
fn no_credential_value_is_ever_printed() {
    let config = every_key();
    let credentials = credential_keys(&config);
    // The credentials the issue named, at least, are found by the walk.
    for key in [
        "gateway.auth.token",
        "gateway.auth.password",
        "channels.whatsapp.accessToken",
        "channels.whatsapp.appSecret",
        "channels.whatsapp.verifyToken",
        "channels.telegram.botToken",
        "channels.telegram.webhookSecret",
        "models.providers.*.apiKey",
        "models.providers.*.headers.*",
        "monitoring.alertWebhook",
        "mcp.servers.*.env.*",
        "mcp.servers.*.headers.*",
    ] {
        assert!(
            credentials.contains_key(key),
            "{key} is not credential-typed"
        );
    }
    let values: BTreeSet<&String> = credentials.values().collect();
    assert_eq!(values.len(), credentials.len(), "markers must be unique");
    let printouts = [
        ("the redacted config", redacted(&config).to_string()),
        (
            "`config get` of the whole config",
            get_path(&config, "", false).expect("root").to_string(),
        ),
        ("Debug", format!("{config:?}")),
        ("pretty Debug", format!("{config:#?}")),
        (
            "plain serde_json",
            serde_json::to_string(&config).expect("json"),
        ),
    ];
    for (key, value) in &credentials {
        assert!(value.contains("marker-"), "{key} holds {value:?}");
        for (what, text) in &printouts {
            assert!(!text.contains(value.as_str()), "{what} shows {key}");
        }
        // Every subtree on the way to the credential masks it too (`config get channels`, ...).
        let concrete = key.replace(".*", "");
        let segments: Vec<&str> = concrete.split('.').collect();
        for depth in 1..=segments.len() {
            if let Some(subtree) = get_path(&config, &segments[..depth].join("."), false) {
                assert!(
                    !subtree.to_string().contains(value.as_str()),
                    "`config get {}` shows {key}",
                    segments[..depth].join(".")
                );
            }
        }
    }
}

#[test]
fn the_revealed_config_reads_back_as_the_same_config() {
    let config = every_key();
    let text = revealed(&config).to_string();
    assert_eq!(
        parse_str(&text, Path::new("revealed.json")).expect("reveal output parses"),
        config,
        "`config get --reveal` must print the real values, not the mask"
    );
    let masked = redacted(&config).to_string();
    let error = parse_str(&masked, Path::new("masked.json")).expect_err("the mask is refused");
    assert!(error.to_string().contains("--reveal"), "{error}");
}
