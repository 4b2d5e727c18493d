//! Operator endpoints about the gateway itself, each one call of the operator API:
//! `GET /admin/health` ([`crate::api::health`]: readiness with the figures the probes do not
//! show), `GET /admin/logs?lines=N&level=L` ([`crate::api::logs`], `pincer logs`) and
//! `GET /admin/config?path=P` ([`crate::api::config`], credentials masked).

use actix_web::get;
use actix_web::web::{Data, Json};

use super::auth::Authorized;
use super::operator::{Answer, Req};
use super::AppState;
use crate::api;
use crate::api::scopes::op;

#[get("/admin/health")]
pub(crate) async fn health(
    _auth: Authorized<op::Health>,
    state: Data<AppState>,
    Req(request): Req<api::HealthRequest>,
) -> Answer<api::Health> {
    state.operator.health(request).await.map(Json)
}

#[get("/admin/logs")]
pub(crate) async fn logs(
    _auth: Authorized<op::LogsTail>,
    state: Data<AppState>,
    Req(request): Req<api::LogsTailRequest>,
) -> Answer<api::LogTail> {
    state.operator.logs_tail(request).await.map(Json)
}

#[get("/admin/config")]
pub(crate) async fn config(
    _auth: Authorized<op::ConfigGet>,
    state: Data<AppState>,
    Req(request): Req<api::ConfigGetRequest>,
) -> Answer<api::ConfigAnswer> {
    state.operator.config_get(request).await.map(Json)
}
