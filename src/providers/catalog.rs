//! The configured model providers, and the resolution of a `provider/model` ref to a client.
//!
//! Three providers are built in: `anthropic` (key from `ANTHROPIC_API_KEY`), `openai` (key from
//! `OPENAI_API_KEY`) and `ollama` (local, no key). `models.providers.<id>` adds providers or
//! replaces a built-in's settings (tests point the built-ins at local emulators this way). A
//! provider that cannot work (no key, a bad header) stays listed, and resolving it returns a
//! [`ErrorKind::NotConfigured`] error that says what to set, so the failure reaches the user as
//! an instruction rather than as a 401 from the provider.
//!
//! All clients share one `reqwest::Client`, so connections (and TLS sessions) are pooled across
//! providers and sessions.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::anthropic::AnthropicClient;
use super::error::{ErrorKind, ProviderError};
use super::openai::OpenAiClient;
use super::types::{ChatRequest, EventStream};
use crate::config::{ModelsConfig, ProviderApi, ProviderConfig, Secret};

/// Connecting must not hang a turn; answering may take minutes, so there is no overall timeout.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Idle pooled connections are closed after this (providers close theirs after about as long).
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// A built-in provider's defaults.
struct BuiltIn {
    id: &'static str,
    api: ProviderApi,
    base_url: &'static str,
    /// The environment variable its key is read from; `None` when it needs no key.
    key_env: Option<&'static str>,
}

const BUILT_INS: [BuiltIn; 3] = [
    BuiltIn {
        id: "anthropic",
        api: ProviderApi::AnthropicMessages,
        base_url: "https://api.anthropic.com",
        key_env: Some("ANTHROPIC_API_KEY"),
    },
    BuiltIn {
        id: "openai",
        api: ProviderApi::OpenaiCompletions,
        base_url: "https://api.openai.com/v1",
        key_env: Some("OPENAI_API_KEY"),
    },
    BuiltIn {
        id: "ollama",
        api: ProviderApi::OpenaiCompletions,
        base_url: "http://127.0.0.1:11434/v1",
        key_env: None,
    },
];

/// The base URL provider `id` is reached at by `models` (its `models.providers` entry, else the
/// built-in's), without needing its key: what `pincer security audit` asks to tell whether text
/// sent there leaves the machine.
pub(crate) fn configured_base_url(
    models: &crate::config::ModelsConfig,
    id: &str,
) -> Option<String> {
    match models.providers.get(id) {
        Some(entry) => Some(entry.base_url.clone()),
        None => BUILT_INS
            .iter()
            .find(|built_in| built_in.id == id)
            .map(|built_in| built_in.base_url.to_string()),
    }
}

/// A client for one provider, whatever its protocol. Cloning is cheap (strings and a shared
/// connection pool), so a turn can own the client it resolved.
#[derive(Debug, Clone)]
pub enum ModelClient {
    OpenAi(OpenAiClient),
    Anthropic(AnthropicClient),
}

impl ModelClient {
    /// Starts one model call; see [`OpenAiClient::stream`] and [`AnthropicClient::stream`].
    pub async fn stream(&self, request: &ChatRequest) -> Result<EventStream, ProviderError> {
        match self {
            ModelClient::OpenAi(client) => client.stream(request).await,
            ModelClient::Anthropic(client) => client.stream(request).await,
        }
    }

    /// The provider id (for cooldown bookkeeping and messages).
    pub fn provider_id(&self) -> &str {
        match self {
            ModelClient::OpenAi(client) => &client.provider_id,
            ModelClient::Anthropic(client) => &client.provider_id,
        }
    }
}

/// A provider ready to use, or the instruction for making it usable.
#[derive(Debug, Clone)]
enum Entry {
    Ready(Prepared),
    Unusable(String),
}

/// A usable provider's settings; the client is made from them on demand.
#[derive(Debug, Clone)]
struct Prepared {
    id: String,
    api: ProviderApi,
    base_url: String,
    api_key: Option<Secret>,
    headers: HeaderMap,
}

impl Prepared {
    fn client(&self, http: &reqwest::Client) -> ModelClient {
        let (id, base_url, key, headers) = (
            self.id.clone(),
            self.base_url.clone(),
            self.api_key.clone(),
            self.headers.clone(),
        );
        match self.api {
            ProviderApi::AnthropicMessages => ModelClient::Anthropic(AnthropicClient::new(
                id,
                base_url,
                key,
                headers,
                http.clone(),
            )),
            ProviderApi::OpenaiCompletions => {
                ModelClient::OpenAi(OpenAiClient::new(id, base_url, key, headers, http.clone()))
            }
        }
    }
}

/// A usable provider's connection settings (see [`ProviderCatalog::endpoint`]).
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub base_url: String,
    pub api_key: Option<Secret>,
    pub headers: HeaderMap,
    pub http: reqwest::Client,
}

/// Every known provider by id, and the one HTTP client they share. The client is built on the
/// first model call, not at start-up: building it loads the system's trust roots, which costs
/// memory a gateway that has not answered anything yet does not need to spend.
#[derive(Debug, Clone)]
pub struct ProviderCatalog {
    providers: BTreeMap<String, Entry>,
    http: Arc<OnceLock<Result<reqwest::Client, String>>>,
}

impl ProviderCatalog {
    /// The built-ins overlaid with `models.providers`; keys are looked up with `env` (the process
    /// environment in production, a map in tests).
    pub fn from_config(
        models: &ModelsConfig,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> ProviderCatalog {
        let mut settings: BTreeMap<String, (ProviderConfig, Option<&'static str>)> = BUILT_INS
            .iter()
            .map(|b| {
                let config = ProviderConfig {
                    api: b.api,
                    base_url: b.base_url.to_string(),
                    api_key: None,
                    api_key_env: None,
                    headers: BTreeMap::new(),
                };
                (b.id.to_string(), (config, b.key_env))
            })
            .collect();
        for (id, config) in &models.providers {
            let default_env = BUILT_INS
                .iter()
                .find(|b| b.id == id)
                .and_then(|b| b.key_env);
            settings.insert(id.clone(), (config.clone(), default_env));
        }
        let providers = settings
            .into_iter()
            .map(|(id, (config, default_env))| {
                let entry = build(&id, &config, default_env, env);
                (id, entry)
            })
            .collect();
        ProviderCatalog {
            providers,
            http: Arc::new(OnceLock::new()),
        }
    }

    /// The HTTP client every provider call shares (media downloads reuse its pool too).
    pub(crate) fn http(&self) -> Result<reqwest::Client, String> {
        self.http
            .get_or_init(|| {
                crate::net::http::builder("the model providers")
                    .configure(|b| b.connect_timeout(CONNECT_TIMEOUT))
                    .pool_idle_timeout(POOL_IDLE_TIMEOUT)
                    .build()
                    .map_err(|error| error.to_string())
            })
            .clone()
    }

    /// The client and model name for a `provider/model` ref. The model name is everything after
    /// the first `/`, so names like `openrouter/meta-llama/llama-3` keep their own slashes.
    pub fn resolve(&self, model_ref: &str) -> Result<(ModelClient, String), ProviderError> {
        let not_configured =
            |provider: &str, message: String| -> Result<(ModelClient, String), ProviderError> {
                Err(ProviderError::new(
                    ErrorKind::NotConfigured,
                    provider,
                    message,
                ))
            };
        let Some((provider, model)) = model_ref
            .split_once('/')
            .filter(|(p, m)| !p.is_empty() && !m.is_empty())
        else {
            return not_configured(
                model_ref,
                format!(
                    "`{model_ref}` is not a model ref: write `provider/model`, e.g. `anthropic/claude-sonnet-4-5` (known providers: {})",
                    self.provider_ids().join(", ")
                ),
            );
        };
        match self.providers.get(provider) {
            Some(Entry::Ready(prepared)) => match self.http() {
                Ok(http) => Ok((prepared.client(&http), model.to_string())),
                Err(why) => not_configured(provider, why),
            },
            Some(Entry::Unusable(why)) => not_configured(provider, why.clone()),
            None => not_configured(
                provider,
                format!(
                    "unknown model provider `{provider}` (in `{model_ref}`); known providers: {}; add others under `models.providers.{provider}`",
                    self.provider_ids().join(", ")
                ),
            ),
        }
    }

    /// A provider's base URL, key and headers with the shared HTTP client, for calls beside the
    /// model's (audio transcription reuses the provider a model ref names); the reason it cannot
    /// be used otherwise.
    pub fn endpoint(&self, provider: &str) -> Result<Endpoint, String> {
        match self.providers.get(provider) {
            Some(Entry::Ready(prepared)) => Ok(Endpoint {
                base_url: prepared.base_url.clone(),
                api_key: prepared.api_key.clone(),
                headers: prepared.headers.clone(),
                http: self.http()?,
            }),
            Some(Entry::Unusable(why)) => Err(why.clone()),
            None => Err(format!("unknown model provider `{provider}`")),
        }
    }

    /// The ids of all known providers (usable or not), sorted.
    pub fn provider_ids(&self) -> Vec<String> {
        self.providers.keys().cloned().collect()
    }
}

/// The client for one provider's settings.
fn build(
    id: &str,
    config: &ProviderConfig,
    default_env: Option<&'static str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Entry {
    let headers = match header_map(id, &config.headers) {
        Ok(headers) => headers,
        Err(why) => return Entry::Unusable(why),
    };
    let key_env = config.api_key_env.as_deref().or(default_env);
    let api_key = config
        .api_key
        .clone()
        .filter(|key| !key.is_empty())
        .or_else(|| {
            key_env
                .and_then(env)
                .filter(|v| !v.is_empty())
                .map(Secret::new)
        });
    // The hosted APIs cannot work without a key; a named variable that is unset is a mistake too.
    let needs_key = matches!(id, "anthropic" | "openai") || config.api_key_env.is_some();
    if api_key.is_none() && needs_key {
        let from_env = key_env
            .map(|var| format!("set the environment variable {var}, or "))
            .unwrap_or_default();
        return Entry::Unusable(format!(
            "no API key for provider `{id}`: {from_env}set `models.providers.{id}.apiKey` (or `apiKeyEnv`) in the config"
        ));
    }
    Entry::Ready(Prepared {
        id: id.to_string(),
        api: config.api,
        base_url: config.base_url.trim_end_matches('/').to_string(),
        api_key,
        headers,
    })
}

/// `models.providers.<id>.headers` as a header map; a name or value HTTP cannot carry is a
/// configuration error naming the key.
fn header_map(id: &str, headers: &BTreeMap<String, Secret>) -> Result<HeaderMap, String> {
    let mut map = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let key = format!("models.providers.{id}.headers.{name}");
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("`{key}`: not a valid HTTP header name"))?;
        let mut value = HeaderValue::from_str(value.expose())
            .map_err(|_| format!("`{key}`: the value cannot be sent in an HTTP header"))?;
        value.set_sensitive(true);
        map.insert(name, value);
    }
    Ok(map)
}

/// The process environment, for [`ProviderCatalog::from_config`] in production.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn custom(api: ProviderApi, base_url: &str) -> ProviderConfig {
        ProviderConfig {
            api,
            base_url: base_url.into(),
            api_key: None,
            api_key_env: None,
            headers: BTreeMap::new(),
        }
    }

    #[test]
    fn built_ins_resolve_with_keys_from_the_environment() {
        let env = |name: &str| (name == "ANTHROPIC_API_KEY").then(|| "sk-ant".to_string());
        let catalog = ProviderCatalog::from_config(&ModelsConfig::default(), &env);
        assert_eq!(
            catalog.provider_ids(),
            vec!["anthropic", "ollama", "openai"]
        );
        let (client, model) = catalog.resolve("anthropic/claude-x").expect("anthropic");
        assert_eq!(
            (client.provider_id(), model.as_str()),
            ("anthropic", "claude-x")
        );
        match client {
            ModelClient::Anthropic(client) => {
                assert_eq!(client.base_url, "https://api.anthropic.com");
                assert_eq!(client.api_key.as_ref().map(Secret::expose), Some("sk-ant"));
            }
            other => panic!("expected an Anthropic client, got {other:?}"),
        }
        let (_, model) = catalog.resolve("ollama/library/qwen3:8b").expect("ollama");
        assert_eq!(model, "library/qwen3:8b");
        let error = catalog.resolve("openai/gpt-4o").expect_err("no key");
        assert_eq!(error.kind, ErrorKind::NotConfigured);
        assert!(error.message.contains("OPENAI_API_KEY"), "{error}");
        assert!(
            error.message.contains("models.providers.openai.apiKey"),
            "{error}"
        );
    }

    #[test]
    fn config_entries_add_and_replace_providers() {
        let mut models = ModelsConfig::default();
        let mut vllm = custom(ProviderApi::OpenaiCompletions, "http://10.0.0.2:8000/v1/");
        vllm.headers.insert("X-Team".into(), Secret::new("ai"));
        models.providers.insert("vllm".into(), vllm);
        let mut openai = custom(ProviderApi::OpenaiCompletions, "http://127.0.0.1:9/v1");
        openai.api_key = Some(Secret::new("sk-test"));
        models.providers.insert("openai".into(), openai);
        let mut broken = custom(ProviderApi::OpenaiCompletions, "http://x/v1");
        broken.headers.insert("bad header".into(), Secret::new("x"));
        models.providers.insert("broken".into(), broken);
        let mut named = custom(ProviderApi::AnthropicMessages, "http://x");
        named.api_key_env = Some("PROXY_KEY".into());
        models.providers.insert("proxy".into(), named);
        let catalog = ProviderCatalog::from_config(&models, &no_env);
        match catalog.resolve("vllm/meta/llama-3").expect("vllm") {
            (ModelClient::OpenAi(client), model) => {
                assert_eq!(client.base_url, "http://10.0.0.2:8000/v1");
                assert_eq!(client.headers["x-team"], "ai");
                assert_eq!(model, "meta/llama-3");
            }
            other => panic!("expected an OpenAI client, got {other:?}"),
        }
        match catalog.resolve("openai/gpt-4o").expect("openai") {
            (ModelClient::OpenAi(client), _) => {
                assert_eq!(client.base_url, "http://127.0.0.1:9/v1")
            }
            other => panic!("expected an OpenAI client, got {other:?}"),
        }
        let error = catalog.resolve("broken/m").expect_err("bad header");
        assert!(
            error
                .message
                .contains("models.providers.broken.headers.bad header"),
            "{error}"
        );
        let error = catalog.resolve("proxy/m").expect_err("unset env");
        assert!(error.message.contains("PROXY_KEY"), "{error}");
    }

    #[test]
    fn unknown_providers_and_malformed_refs_list_the_known_ids() {
        let catalog = ProviderCatalog::from_config(&ModelsConfig::default(), &no_env);
        for bad in ["nope/model", "no-slash", "/model", "openai/"] {
            let error = catalog.resolve(bad).expect_err(bad);
            assert_eq!(error.kind, ErrorKind::NotConfigured);
            assert!(
                error.message.contains("anthropic, ollama, openai"),
                "{error}"
            );
        }
    }
}
