//! `pincer mcp list [--json]` and `pincer mcp tools NAME [--json]`: the MCP servers of the
//! running gateway (state, restarts, last error, tools) from `mcp.list` / `mcp.tools`
//! ([`crate::api::mcp`]). Without a running gateway, `list` shows the configured servers only.

use std::path::Path;

use super::client::{block_on, GatewayClient};
use super::{CliError, McpAction};
use crate::api::{McpServer, McpServers, McpTools};
use crate::config::{load_config, GatewayOptions};
use crate::paths::Paths;

pub fn run(config: Option<&Path>, action: &McpAction) -> Result<i32, CliError> {
    match action {
        McpAction::List { json } => list(config, *json),
        McpAction::Tools { name, json } => tools(config, name, *json),
    }
}

fn list(config: Option<&Path>, json: bool) -> Result<i32, CliError> {
    let live = GatewayClient::discover(config)
        .and_then(|client| block_on(client.get::<McpServers>("/admin/mcp"))?);
    let (servers, running) = match live {
        Ok(servers) => (servers, true),
        Err(CliError::NotRunning(_)) => (configured(config)?, false),
        Err(other) => return Err(other),
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&servers).unwrap_or_default()
        );
        return Ok(crate::exit::OK);
    }
    if !running {
        println!("the gateway is not running: the configured servers only");
    }
    if servers.servers.is_empty() {
        println!("no MCP server is configured (mcp.servers)");
    }
    for server in &servers.servers {
        println!(
            "{:<24} {:<15} {:<10} {} tools, {} restarts",
            server.name, server.transport, server.state, server.tools, server.restarts
        );
        if let Some(error) = &server.last_error {
            println!("{:<24} last error: {error}", "");
        }
    }
    Ok(crate::exit::OK)
}

/// The servers of the config, as `mcp.list` would show them before any start.
fn configured(config: Option<&Path>) -> Result<McpServers, CliError> {
    let paths = Paths::resolve(config)?;
    let options = GatewayOptions {
        config_path: config.map(Path::to_path_buf),
        ..GatewayOptions::default()
    };
    let loaded = load_config(&paths, &options)?;
    let servers = loaded
        .config
        .mcp
        .servers
        .iter()
        .map(|(name, server)| McpServer {
            name: name.clone(),
            transport: crate::agent::tools::mcp::transport_name(server).to_string(),
            state: if server.enabled {
                "configured"
            } else {
                "disabled"
            }
            .to_string(),
            restarts: 0,
            last_error: None,
            server_info: None,
            tools: 0,
        })
        .collect();
    Ok(McpServers { servers })
}

fn tools(config: Option<&Path>, name: &str, json: bool) -> Result<i32, CliError> {
    let client = GatewayClient::discover(config)?;
    let path = format!("/admin/mcp/{}/tools", urlencode(name));
    let tools: McpTools = block_on(client.get(&path))??;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&tools).unwrap_or_default()
        );
        return Ok(crate::exit::OK);
    }
    if tools.tools.is_empty() {
        println!(
            "{} offers no tools (is it ready? see `pincer mcp list`)",
            tools.server
        );
    }
    for tool in &tools.tools {
        let line = tool.description.lines().next().unwrap_or_default();
        println!("{:<40} {line}", tool.offered_as);
    }
    Ok(crate::exit::OK)
}

/// Server names are `[A-Za-z0-9_-]`; anything else is percent-encoded so a typo cannot change
/// the path.
fn urlencode(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
