//! Operator endpoints for cron jobs, each one call of the operator API ([`crate::api::cron`]):
//! `GET /admin/cron` (the jobs), `GET /admin/cron/status`, `POST /admin/cron` (add: the job as
//! the JSON body), `POST /admin/cron/{id}` (update), `POST /admin/cron/{id}/remove`,
//! `POST /admin/cron/{id}/run` and `GET /admin/cron/{id}/runs?limit`. `pincer cron ...` uses them.

use actix_web::web::{Data, Json};
use actix_web::{get, post};

use super::auth::Authorized;
use super::operator::{Answer, Req};
use super::AppState;
use crate::api;
use crate::api::scopes::op;

#[get("/admin/cron")]
pub(crate) async fn list(
    _auth: Authorized<op::CronList>,
    state: Data<AppState>,
    Req(request): Req<api::CronListRequest>,
) -> Answer<api::CronList> {
    state.operator.cron_list(request).await.map(Json)
}

#[get("/admin/cron/status")]
pub(crate) async fn status(
    _auth: Authorized<op::CronStatus>,
    state: Data<AppState>,
    Req(request): Req<api::CronStatusRequest>,
) -> Answer<api::CronStatus> {
    state.operator.cron_status(request).await.map(Json)
}

#[post("/admin/cron")]
pub(crate) async fn add(
    _auth: Authorized<op::CronAdd>,
    state: Data<AppState>,
    Req(request): Req<api::CronJobRequest>,
) -> Answer<api::CronJobAnswer> {
    state.operator.cron_add(request).await.map(Json)
}

#[post("/admin/cron/{id}")]
pub(crate) async fn update(
    _auth: Authorized<op::CronUpdate>,
    state: Data<AppState>,
    Req(request): Req<api::CronJobRequest>,
) -> Answer<api::CronJobAnswer> {
    state.operator.cron_update(request).await.map(Json)
}

#[post("/admin/cron/{id}/remove")]
pub(crate) async fn remove(
    _auth: Authorized<op::CronRemove>,
    state: Data<AppState>,
    Req(request): Req<api::CronIdRequest>,
) -> Answer<api::CronRemoved> {
    state.operator.cron_remove(request).await.map(Json)
}

#[post("/admin/cron/{id}/run")]
pub(crate) async fn run(
    _auth: Authorized<op::CronRun>,
    state: Data<AppState>,
    Req(request): Req<api::CronIdRequest>,
) -> Answer<api::CronRan> {
    state.operator.cron_run(request).await.map(Json)
}

#[get("/admin/cron/{id}/runs")]
pub(crate) async fn runs(
    _auth: Authorized<op::CronRuns>,
    state: Data<AppState>,
    Req(request): Req<api::CronRunsRequest>,
) -> Answer<api::CronRuns> {
    state.operator.cron_runs(request).await.map(Json)
}
