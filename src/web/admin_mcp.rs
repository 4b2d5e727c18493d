//! Operator endpoints for the MCP servers, each one call of the operator API
//! ([`crate::api::mcp`]): `GET /admin/mcp` (every server's state) and
//! `GET /admin/mcp/{name}/tools` (one server's tools). `pincer mcp list|tools` reads them.

use actix_web::get;
use actix_web::web::{Data, Json};

use super::auth::Authorized;
use super::operator::{Answer, Req};
use super::AppState;
use crate::api;
use crate::api::scopes::op;

#[get("/admin/mcp")]
pub(crate) async fn list(
    _auth: Authorized<op::McpList>,
    state: Data<AppState>,
    Req(request): Req<api::McpListRequest>,
) -> Answer<api::McpServers> {
    state.operator.mcp_list(request).await.map(Json)
}

#[get("/admin/mcp/{name}/tools")]
pub(crate) async fn tools(
    _auth: Authorized<op::McpTools>,
    state: Data<AppState>,
    Req(request): Req<api::McpToolsRequest>,
) -> Answer<api::McpTools> {
    state.operator.mcp_tools(request).await.map(Json)
}
