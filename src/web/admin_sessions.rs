//! Operator endpoints for sessions and runs, each one call of the operator API
//! ([`crate::api::sessions`], [`crate::api::history`], [`crate::api::traces`],
//! [`crate::api::status`]): `GET /admin/sessions`, `GET /admin/sessions/{key}`,
//! `POST /admin/sessions/{key}/reset`, `GET /admin/sessions/{key}/history?limit=N`,
//! `GET /admin/sessions/{key}/traces?last=N&run=R`, `GET /admin/subagents?parent=KEY`,
//! `GET /admin/sessions/{key}/children`, and `GET /admin/status`. The CLI's
//! `sessions`, `trace` and `status` commands use them while a gateway runs.

use actix_web::web::{Data, Json};
use actix_web::{get, post};

use super::auth::Authorized;
use super::operator::{Answer, Req};
use super::AppState;
use crate::api;
use crate::api::scopes::op;

#[get("/admin/sessions")]
pub(crate) async fn list(
    _auth: Authorized<op::SessionsList>,
    state: Data<AppState>,
    Req(request): Req<api::SessionsListRequest>,
) -> Answer<api::SessionList> {
    state.operator.sessions_list(request).await.map(Json)
}

#[get("/admin/sessions/{key}")]
pub(crate) async fn show(
    _auth: Authorized<op::SessionsInspect>,
    state: Data<AppState>,
    Req(request): Req<api::SessionShowRequest>,
) -> Answer<api::SessionInfo> {
    state.operator.session_show(request).await.map(Json)
}

#[post("/admin/sessions/{key}/reset")]
pub(crate) async fn reset(
    _auth: Authorized<op::SessionsReset>,
    state: Data<AppState>,
    Req(request): Req<api::SessionResetRequest>,
) -> Answer<api::SessionReset> {
    state.operator.session_reset(request).await.map(Json)
}

#[get("/admin/sessions/{key}/history")]
pub(crate) async fn history(
    _auth: Authorized<op::ChatHistory>,
    state: Data<AppState>,
    Req(request): Req<api::HistoryRequest>,
) -> Answer<api::History> {
    state.operator.session_history(request).await.map(Json)
}

#[get("/admin/sessions/{key}/traces")]
pub(crate) async fn traces(
    _auth: Authorized<op::SessionsTraces>,
    state: Data<AppState>,
    Req(request): Req<api::TracesRequest>,
) -> Answer<api::Traces> {
    state.operator.session_traces(request).await.map(Json)
}

#[get("/admin/status")]
pub(crate) async fn status(
    _auth: Authorized<op::Status>,
    state: Data<AppState>,
    Req(request): Req<api::StatusRequest>,
) -> Answer<api::Status> {
    state.operator.status(request).await.map(Json)
}

#[get("/admin/subagents")]
pub(crate) async fn subagents(
    _auth: Authorized<op::SubagentsList>,
    state: Data<AppState>,
    Req(request): Req<api::SubagentsListRequest>,
) -> Answer<api::SubagentList> {
    state.operator.subagents_list(request).await.map(Json)
}

#[get("/admin/sessions/{key}/children")]
pub(crate) async fn children(
    _auth: Authorized<op::SubagentsList>,
    state: Data<AppState>,
    Req(request): Req<api::SubagentsListRequest>,
) -> Answer<api::SubagentList> {
    state.operator.subagents_list(request).await.map(Json)
}
