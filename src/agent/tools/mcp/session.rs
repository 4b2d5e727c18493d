//! Opening an MCP session and reading a server's tools.
//!
//! [`connect`] starts the transport (a child process or an HTTP link), sends `initialize` (our
//! protocol version, no client capabilities, `clientInfo`), remembers the version the server
//! chose, and sends `notifications/initialized`. [`list_tools`] follows `nextCursor` through
//! every page of `tools/list`, within limits (a hostile server could page forever).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::http::{client_and_headers, HttpLink};
use super::legacy_sse::{LegacyLink, StreamTask};
use super::rpc::{Event, Link, Peer};
use super::stdio::{self, StdioProcess};
use crate::config::{McpServerConfig, McpTransport};

/// The protocol revision Pincer speaks (streamable HTTP, tool annotations).
pub(crate) const PROTOCOL_VERSION: &str = "2025-06-18";

/// Pages of `tools/list` read at most.
const MAX_PAGES: usize = 50;
/// Tools of one server kept at most.
pub(crate) const MAX_TOOLS: usize = 500;

/// An open session: the peer and, for stdio, the process (killed when this is dropped).
#[derive(Debug)]
pub(crate) struct Connection {
    pub(crate) peer: Arc<Peer>,
    pub(crate) process: Option<StdioProcess>,
    /// The reader of a legacy SSE server's event stream.
    pub(crate) _stream: Option<StreamTask>,
    /// The server's `serverInfo.name` and `version`, for the operator.
    pub(crate) server_info: String,
}

/// One tool as the server describes it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RemoteTool {
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) input_schema: Value,
}

/// Starts server `name` and opens its session, within the server's `timeout`.
pub(crate) async fn connect(
    name: &str,
    config: &McpServerConfig,
    secret_env: &[String],
    events: mpsc::UnboundedSender<Event>,
) -> Result<Connection, String> {
    let timeout = Duration::from_millis(config.timeout.max(1));
    let headers: Vec<(String, String)> = config
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), v.expose().to_string()))
        .collect();
    // Every HTTP request is bounded (a call given up on must not leave its POST open forever).
    let request_limit =
        timeout.max(Duration::from_millis(config.tool_timeout.max(1))) + Duration::from_secs(5);
    let mut stream = None;
    let (peer, process, http) = match (&config.url, config.transport) {
        (Some(url), Some(McpTransport::Sse)) => {
            let (client, headers) = client_and_headers(&headers)?;
            let link = LegacyLink::new(client, url, headers, request_limit);
            let peer = Peer::new(name, Link::LegacySse(link.clone()), events);
            stream = Some(link.open(&peer, timeout).await?);
            (peer, None, None)
        }
        (Some(url), _) => {
            let link = HttpLink::new(url, &headers, request_limit)?;
            let peer = Peer::new(name, Link::Http(link.clone()), events);
            (peer, None, Some(link))
        }
        (None, _) => {
            let (peer, process) = stdio::start(name, config, secret_env, events)?;
            (peer, Some(process), None)
        }
    };
    let params = json!({
        "protocolVersion": PROTOCOL_VERSION,
        "capabilities": {},
        "clientInfo": {"name": "pincer", "version": env!("CARGO_PKG_VERSION")},
    });
    let answer = tokio::time::timeout(timeout, peer.request("initialize", params))
        .await
        .map_err(|_| format!("no answer to initialize within {} ms", config.timeout))?
        .map_err(|e| with_stderr(e.to_string(), process.as_ref()))?;
    if let (Some(link), Some(version)) =
        (&http, answer.get("protocolVersion").and_then(Value::as_str))
    {
        link.set_version(version);
    }
    let info = answer.get("serverInfo");
    let field = |key: &str| {
        info.and_then(|i| i.get(key))
            .and_then(Value::as_str)
            .unwrap_or("?")
            .chars()
            .take(100)
            .collect::<String>()
    };
    let server_info = format!("{} {}", field("name"), field("version"));
    peer.notify("notifications/initialized", json!({}));
    if let Some(link) = &http {
        stream = Some(link.listen(&peer));
    }
    Ok(Connection {
        peer,
        process,
        _stream: stream,
        server_info,
    })
}

/// Every tool of the server, within `timeout`.
pub(crate) async fn list_tools(
    peer: &Arc<Peer>,
    timeout: Duration,
) -> Result<Vec<RemoteTool>, String> {
    let listing = async {
        let mut tools = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let params = match &cursor {
                Some(cursor) => json!({"cursor": cursor}),
                None => json!({}),
            };
            let page = peer
                .request("tools/list", params)
                .await
                .map_err(|e| e.to_string())?;
            let listed = page.get("tools").and_then(Value::as_array);
            for tool in listed.into_iter().flatten() {
                if let Some(parsed) = parse_tool(tool) {
                    tools.push(parsed);
                }
            }
            if tools.len() >= MAX_TOOLS {
                tools.truncate(MAX_TOOLS);
                break;
            }
            match page.get("nextCursor").and_then(Value::as_str) {
                Some(next) if !next.is_empty() => cursor = Some(next.to_string()),
                _ => break,
            }
        }
        Ok(tools)
    };
    tokio::time::timeout(timeout, listing)
        .await
        .map_err(|_| format!("no answer to tools/list within {} ms", timeout.as_millis()))?
}

fn parse_tool(tool: &Value) -> Option<RemoteTool> {
    let name = tool.get("name")?.as_str()?;
    if name.is_empty() || name.len() > 256 {
        return None;
    }
    let description: String = tool
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .chars()
        .take(2000)
        .collect();
    let input_schema = match tool.get("inputSchema") {
        Some(schema @ Value::Object(_)) => schema.clone(),
        _ => json!({"type": "object", "properties": {}}),
    };
    Some(RemoteTool {
        name: name.to_string(),
        description,
        input_schema,
    })
}

/// `reason`, with the last lines the process wrote to stderr.
pub(crate) fn with_stderr(reason: String, process: Option<&StdioProcess>) -> String {
    match process.map(StdioProcess::stderr_tail) {
        Some(tail) if !tail.is_empty() => format!("{reason} (stderr: {tail})"),
        _ => reason,
    }
}
