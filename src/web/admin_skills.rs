//! `GET /admin/skills` (`?name=` narrows it): every skill with its source, path and eligibility,
//! one call of the operator API ([`crate::api::skills`]). `pincer skills list|check` use it while
//! a gateway runs.

use actix_web::get;
use actix_web::web::{Data, Json};

use super::auth::Authorized;
use super::operator::{Answer, Req};
use super::AppState;
use crate::api;
use crate::api::scopes::op;

#[get("/admin/skills")]
pub(crate) async fn status(
    _auth: Authorized<op::SkillsStatus>,
    state: Data<AppState>,
    Req(request): Req<api::SkillsStatusRequest>,
) -> Answer<api::SkillsStatus> {
    state.operator.skills_status(request).await.map(Json)
}
