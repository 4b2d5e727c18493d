//! OpenClaw's approved senders (file-backed homes: `credentials/<channel>-allowFrom.json` and
//! `credentials/<channel>-<account>-allowFrom.json`, `{ "version": 1, "allowFrom": [...] }`)
//! for Pincer's pairing store, so a sender the owner approved there is still approved here.
//! Pending requests and the other credential files are reported, not imported.

use std::collections::BTreeMap;

use serde_json::Value;

use super::config_channels::sender_id;
use super::plan::Skipped;
use super::source::{Source, SourceError, MAX_JSON_BYTES};

/// What the credentials folder gave.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Approved {
    /// Channel → approved ids in Pincer's spelling, with the files they came from.
    pub by_channel: BTreeMap<String, (Vec<String>, Vec<String>)>,
    pub skipped: Vec<Skipped>,
    pub problems: Vec<Skipped>,
}

/// Reads `credentials/` of `source`.
pub(crate) fn read(source: &Source) -> Approved {
    let mut out = Approved::default();
    if !source.is_dir("credentials") {
        return out;
    }
    let entries = match source.list("credentials") {
        Ok(entries) => entries,
        Err(error) => {
            out.problems.push(Skipped {
                what: source.display("credentials"),
                reason: error.to_string(),
            });
            return out;
        }
    };
    for entry in entries {
        let (name, is_dir) = match entry {
            Ok(entry) => entry,
            Err((name, SourceError::OddName(_))) if name.starts_with('.') => continue,
            Err((name, error)) => {
                out.problems.push(Skipped {
                    what: format!("{}/{name:?}", source.display("credentials")),
                    reason: error.to_string(),
                });
                continue;
            }
        };
        let relative = format!("credentials/{name}");
        if is_dir {
            out.skipped.push(Skipped {
                what: relative,
                reason: "a channel's login state (e.g. the WhatsApp Web link); Pincer's channels use their platform's API tokens instead".into(),
            });
            continue;
        }
        if let Some(stem) = name.strip_suffix("-allowFrom.json") {
            let channel = stem.split('-').next().unwrap_or(stem).to_string();
            if !matches!(channel.as_str(), "whatsapp" | "telegram") {
                out.skipped.push(Skipped {
                    what: relative,
                    reason: format!("Pincer has no {channel} channel"),
                });
                continue;
            }
            match ids_of(source, &relative, &channel) {
                Ok(ids) => {
                    let slot = out.by_channel.entry(channel).or_default();
                    for id in ids {
                        if !slot.0.contains(&id) {
                            slot.0.push(id);
                        }
                    }
                    slot.1.push(relative);
                }
                Err(reason) => out.problems.push(Skipped {
                    what: source.display(&relative),
                    reason,
                }),
            }
        } else if name.ends_with("-pairing.json") {
            out.skipped.push(Skipped {
                what: relative,
                reason: "pending pairing requests expire within the hour; the sender gets a fresh code from Pincer".into(),
            });
        } else {
            out.skipped.push(Skipped {
                what: relative,
                reason: "not an approved-senders file".into(),
            });
        }
    }
    out
}

fn ids_of(source: &Source, relative: &str, channel: &str) -> Result<Vec<String>, String> {
    let bytes = source
        .read(relative, MAX_JSON_BYTES)
        .map_err(|e| e.to_string())?;
    let value: Value =
        serde_json::from_slice(&bytes).map_err(|e| format!("not valid JSON: {e}"))?;
    let list = value
        .get("allowFrom")
        .and_then(Value::as_array)
        .ok_or("no allowFrom list")?;
    Ok(list
        .iter()
        .filter_map(|item| match item {
            Value::String(text) => sender_id(channel, text),
            Value::Number(n) => sender_id(channel, &n.to_string()),
            _ => None,
        })
        .filter(|id| id != "*")
        .collect())
}
