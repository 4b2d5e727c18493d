//! `config.get` (WS, `GET /admin/config?path=P`): the running gateway's effective config, or one
//! key of it by dotted camelCase path (`gateway.bind`, `channels.whatsapp.allowFrom.0`). Every
//! credential prints `***`: the config's `Secret` type serialises so, whatever its key is called
//! (`config::lookup`, the same function `pincer config get` uses).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{ApiError, Operator};
use crate::config::{get_path, redacted};

/// `config.get {path?}`: the whole config without `path`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ConfigGetRequest {
    #[serde(default)]
    pub path: Option<String>,
}

/// The whole config, or one key's value (null for an unset optional key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ConfigAnswer {
    Whole { config: Value },
    Key { path: String, value: Value },
}

impl Operator {
    /// `config.get`: `NOT_FOUND` for a path the schema does not have.
    pub async fn config_get(&self, request: ConfigGetRequest) -> Result<ConfigAnswer, ApiError> {
        match request.path.filter(|p| !p.is_empty()) {
            None => Ok(ConfigAnswer::Whole {
                config: redacted(&self.config),
            }),
            Some(path) => match get_path(&self.config, &path, false) {
                Some(value) => Ok(ConfigAnswer::Key { path, value }),
                None => Err(ApiError::NotFound(format!("no config key {path:?}"))),
            },
        }
    }
}
