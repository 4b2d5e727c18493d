//! Finding and calling the running gateway from the CLI.
//!
//! The gateway publishes `gateway.json` (pid, URL) in its state directory; the credential comes
//! from the same config the gateway uses (token or password, with environment overrides) or, for a
//! zero-config gateway, from its token file. Answers are read as the operator API's response
//! structs ([`crate::api`]), the same the gateway serialises: a renamed field fails loudly here
//! instead of printing 0.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::CliError;
use crate::api::{ErrorBody, ErrorReply};
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

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let request = self.http.request(method, format!("{}{path}", self.url));
        match &self.bearer {
            Some(bearer) => request.bearer_auth(bearer),
            None => request,
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, CliError> {
        request
            .send()
            .await
            .map_err(|e| CliError::Http(format!("{} is not answering: {e}", self.url)))
    }

    /// Reads a 2xx answer as `T`; any other status is [`CliError::Refused`] with the gateway's
    /// own error.
    async fn read<T: DeserializeOwned>(
        &self,
        path: &str,
        response: reqwest::Response,
    ) -> Result<T, CliError> {
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| CliError::Http(format!("unreadable answer from {}: {e}", self.url)))?;
        if !(200..300).contains(&status) {
            let error = serde_json::from_slice::<ErrorReply>(&body)
                .map(|reply| reply.error)
                .unwrap_or_else(|_| ErrorBody {
                    code: String::new(),
                    message: "no details".to_string(),
                });
            return Err(CliError::Refused {
                path: path.to_string(),
                status,
                error,
            });
        }
        serde_json::from_slice(&body).map_err(|e| {
            CliError::Http(format!(
                "{path}: the gateway's answer does not read as expected: {e}"
            ))
        })
    }

    /// GETs `path` and reads the answer as `T` (an operator-API response struct).
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, CliError> {
        let response = self.send(self.request(reqwest::Method::GET, path)).await?;
        self.read(path, response).await
    }

    /// POSTs `body` as JSON to `path` and reads the answer as `T`.
    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T, CliError> {
        let request = self.request(reqwest::Method::POST, path).json(body);
        let response = self.send(request).await?;
        self.read(path, response).await
    }

    /// POSTs `bytes` as the raw body (with `content_type`, if given) and reads the answer as `T`
    /// (`pincer message send --file`).
    pub async fn post_bytes<T: DeserializeOwned>(
        &self,
        path: &str,
        bytes: bytes::Bytes,
        content_type: Option<&str>,
    ) -> Result<T, CliError> {
        let content_type = content_type.unwrap_or("application/octet-stream");
        let request = self
            .request(reqwest::Method::POST, path)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(bytes);
        let response = self.send(request).await?;
        self.read(path, response).await
    }

    /// GETs a probe: its status and its answer as `T`, whatever the status (`/readyz` answers
    /// 503 with the same struct when the gateway is not ready).
    pub async fn probe<T: DeserializeOwned>(&self, path: &str) -> Result<(u16, T), CliError> {
        let response = self.send(self.request(reqwest::Method::GET, path)).await?;
        let status = response.status().as_u16();
        let body = response
            .json::<T>()
            .await
            .map_err(|e| CliError::Http(format!("unreadable answer from {}: {e}", self.url)))?;
        Ok((status, body))
    }

    /// POSTs JSON to `path` (optionally with extra headers) and returns the raw response, for
    /// answers that stream (`pincer agent`).
    pub async fn post_raw(
        &self,
        path: &str,
        body: &Value,
        headers: &[(&str, &str)],
    ) -> Result<reqwest::Response, CliError> {
        let mut request = self.request(reqwest::Method::POST, path).json(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request).await
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
