//! Finding and calling the running gateway from the CLI.
//!
//! The gateway publishes `gateway.json` (pid, URL) in its state directory; the credential comes
//! from the same config the gateway uses (token or password, with environment overrides) or, for a
//! zero-config gateway, from its token file.

use std::path::Path;

use serde_json::Value;

use super::CliError;
use crate::config::credentials::read_token_file;
use crate::config::AuthMode;
use crate::config::{load_config, GatewayOptions};
use crate::net::pinned::client_config;
use crate::net::tls::read_certificates;
use crate::paths::Paths;
use crate::runtime_file::{process_alive, read_runtime};

/// A running gateway and how to authenticate to it.
#[derive(Debug, Clone)]
pub struct GatewayClient {
    pub url: String,
    pub pid: u32,
    bearer: Option<String>,
    http: reqwest::Client,
}

/// A response: status and parsed JSON body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl GatewayClient {
    /// Locates the gateway that uses the same config / state directory as this command.
    pub fn discover(config_path: Option<&Path>) -> Result<Self, CliError> {
        let paths = Paths::resolve(config_path)?;
        let options = GatewayOptions {
            config_path: config_path.map(Path::to_path_buf),
            ..GatewayOptions::default()
        };
        let loaded = load_config(&paths, &options)?;
        let runtime_file = paths.runtime_file();
        let info = read_runtime(&runtime_file).ok_or_else(|| {
            CliError::NotRunning(format!(
                "no running gateway found (no {}); start one with `pincer gateway`",
                runtime_file.display()
            ))
        })?;
        if !process_alive(info.pid) {
            return Err(CliError::NotRunning(format!(
                "the gateway recorded in {} (pid {}) is not running; start one with `pincer gateway`",
                runtime_file.display(),
                info.pid
            )));
        }
        let auth = &loaded.config.gateway.auth;
        let bearer = match auth.mode {
            AuthMode::None => None,
            AuthMode::Password => auth.password.as_ref().map(|p| p.expose().to_string()),
            AuthMode::Token => auth
                .token
                .as_ref()
                .map(|t| t.expose().to_string())
                .or_else(|| read_token_file(&paths.token_file())),
        };
        // No overall timeout: `pincer agent` streams for as long as the turn runs.
        let mut builder = crate::net::http::builder("talking to the gateway");
        if info.url.starts_with("https://") {
            let ssl = &loaded.config.gateway.ssl;
            let cert_path = std::path::PathBuf::from(ssl.cert_path.as_deref().unwrap_or_default());
            let pinned = read_certificates("gateway.ssl.certPath", &cert_path)
                .map_err(|e| CliError::Http(e.to_string()))?
                .remove(0);
            let tls = client_config(pinned).map_err(|e| CliError::Http(e.to_string()))?;
            builder = builder.configure(|b| b.tls_backend_preconfigured(tls));
        }
        let http = builder.build().map_err(|e| CliError::Http(e.to_string()))?;
        Ok(GatewayClient {
            url: info.url,
            pid: info.pid,
            bearer,
            http,
        })
    }

    /// GETs `path` and parses the JSON body (any status).
    pub async fn get(&self, path: &str) -> Result<Reply, CliError> {
        let mut request = self.http.get(format!("{}{path}", self.url));
        if let Some(bearer) = &self.bearer {
            request = request.bearer_auth(bearer);
        }
        let response = request
            .send()
            .await
            .map_err(|e| CliError::Http(format!("{} is not answering: {e}", self.url)))?;
        let status = response.status().as_u16();
        let body = response
            .json::<Value>()
            .await
            .map_err(|e| CliError::Http(format!("unreadable answer from {}: {e}", self.url)))?;
        Ok(Reply { status, body })
    }

    /// POSTs JSON to `path` (optionally with extra headers) and returns the raw response.
    pub async fn post(
        &self,
        path: &str,
        body: &Value,
        headers: &[(&str, &str)],
    ) -> Result<reqwest::Response, CliError> {
        let mut request = self.http.post(format!("{}{path}", self.url)).json(body);
        if let Some(bearer) = &self.bearer {
            request = request.bearer_auth(bearer);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request
            .send()
            .await
            .map_err(|e| CliError::Http(format!("{} is not answering: {e}", self.url)))
    }

    /// Like [`Self::get_ok`] for a POST without body.
    pub async fn post_ok(&self, path: &str) -> Result<Value, CliError> {
        self.post_json_ok(path, &Value::Null).await
    }

    /// POSTs a JSON body and fails with the gateway's own error message unless it answered 2xx.
    pub async fn post_json_ok(&self, path: &str, body: &Value) -> Result<Value, CliError> {
        let response = self.post(path, body, &[]).await?;
        let status = response.status().as_u16();
        let body: Value = response
            .json()
            .await
            .map_err(|e| CliError::Http(format!("unreadable answer from {}: {e}", self.url)))?;
        if (200..300).contains(&status) {
            return Ok(body);
        }
        let message = body["error"]["message"]
            .as_str()
            .unwrap_or("no details")
            .to_string();
        Err(CliError::Http(format!(
            "{path} answered {status}: {message}"
        )))
    }

    /// GETs `path` and fails with the gateway's own error message unless it answered 2xx.
    pub async fn get_ok(&self, path: &str) -> Result<Value, CliError> {
        let reply = self.get(path).await?;
        if (200..300).contains(&reply.status) {
            return Ok(reply.body);
        }
        let message = reply.body["error"]["message"]
            .as_str()
            .unwrap_or("no details")
            .to_string();
        Err(CliError::Http(format!(
            "{path} answered {}: {message}",
            reply.status
        )))
    }
}

/// Runs `future` to completion on a small single-threaded runtime.
pub fn block_on<F: std::future::Future>(future: F) -> Result<F::Output, CliError> {
    let runtime = actix_web::rt::Runtime::new()?;
    Ok(runtime.block_on(future))
}

/// Percent-encodes text for one URL path segment or query value (session keys contain `+`, `#`).
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b':' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}
