//! `mcp.list` (WS, `GET /admin/mcp`, `pincer mcp list`) and `mcp.tools` (WS,
//! `GET /admin/mcp/{name}/tools`, `pincer mcp tools NAME`): the configured MCP servers with
//! their state, restarts, last error and tool count, and one server's tools.

use serde::{Deserialize, Serialize};

use super::{ApiError, Operator};

/// `mcp.list` takes no parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct McpListRequest {}

/// Every configured server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct McpServers {
    pub servers: Vec<McpServer>,
}

/// One server as the operator sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct McpServer {
    pub name: String,
    /// `stdio`, `streamable-http` or `sse`.
    pub transport: String,
    /// `disabled`, `connecting`, `ready`, `failed` or `stopped`.
    pub state: String,
    pub restarts: u64,
    pub last_error: Option<String>,
    pub server_info: Option<String>,
    pub tools: usize,
}

/// `mcp.tools`: the server (`name` in the HTTP route's path).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct McpToolsRequest {
    #[serde(default, alias = "server")]
    pub name: Option<String>,
}

/// One server's tools.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct McpTools {
    pub server: String,
    pub tools: Vec<McpToolEntry>,
}

/// One tool: the server's name for it, the name the model calls, its description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct McpToolEntry {
    pub name: String,
    pub offered_as: String,
    pub description: String,
}

impl Operator {
    /// `mcp.list` (in memory).
    pub async fn mcp_list(&self, _request: McpListRequest) -> Result<McpServers, ApiError> {
        let Some(hub) = self.engine.tools.mcp() else {
            return Ok(McpServers {
                servers: Vec::new(),
            });
        };
        let servers = hub
            .servers()
            .map(|slot| {
                let status = slot.status();
                McpServer {
                    name: status.name,
                    transport: status.transport.to_string(),
                    state: serde_json::to_value(status.state)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default(),
                    restarts: status.restarts,
                    last_error: status.last_error,
                    server_info: status.server_info,
                    tools: status.tools,
                }
            })
            .collect();
        Ok(McpServers { servers })
    }

    /// `mcp.tools` (in memory); an unknown server is `NOT_FOUND`.
    pub async fn mcp_tools(&self, request: McpToolsRequest) -> Result<McpTools, ApiError> {
        let name = request
            .name
            .ok_or_else(|| ApiError::Invalid("name the MCP server (`name`)".to_string()))?;
        let hub = self.engine.tools.mcp();
        if hub.and_then(|hub| hub.server(&name)).is_none() {
            return Err(ApiError::NotFound(format!(
                "no MCP server {name:?} in mcp.servers"
            )));
        }
        let tools = hub
            .map(|hub| hub.tool_infos(&name))
            .unwrap_or_default()
            .into_iter()
            .map(|tool| McpToolEntry {
                name: tool.name,
                offered_as: tool.offered_as,
                description: tool.description,
            })
            .collect();
        Ok(McpTools {
            server: name,
            tools,
        })
    }
}
