//! Operator endpoints for memory search, each one call of the operator API
//! ([`crate::api::memory`]): `GET /admin/memory` (the index and the provider),
//! `POST /admin/memory/reindex` (`{full?}`), `GET /admin/memory/search?query&maxResults&minScore`.
//! `pincer memory status|reindex|search` uses them.

use actix_web::web::{Data, Json};
use actix_web::{get, post};

use super::auth::Authorized;
use super::operator::{Answer, Req};
use super::AppState;
use crate::api;
use crate::api::scopes::op;

#[get("/admin/memory")]
pub(crate) async fn status(
    _auth: Authorized<op::MemoryStatus>,
    state: Data<AppState>,
    Req(request): Req<api::MemoryStatusRequest>,
) -> Answer<api::MemoryStatus> {
    state.operator.memory_status(request).await.map(Json)
}

#[post("/admin/memory/reindex")]
pub(crate) async fn reindex(
    _auth: Authorized<op::MemoryReindex>,
    state: Data<AppState>,
    Req(request): Req<api::MemoryReindexRequest>,
) -> Answer<api::MemoryStatus> {
    state.operator.memory_reindex(request).await.map(Json)
}

#[get("/admin/memory/search")]
pub(crate) async fn search(
    _auth: Authorized<op::MemorySearch>,
    state: Data<AppState>,
    Req(request): Req<api::MemorySearchRequest>,
) -> Answer<api::MemorySearchAnswer> {
    state.operator.memory_search(request).await.map(Json)
}
