//! `GET /admin/actors[?flat=1]` and `GET /admin/actors/{id}`: the live supervision tree with every
//! actor's mailbox figures ([`crate::api::actors`]: `actors.tree`, or `actors.list` with `flat`,
//! and `actors.get`). With `gateway.faultInjection`, `POST /admin/actors/{id}/panic` crashes one
//! on purpose, to watch its supervisor handle it.

use actix_web::web::{Data, Json};
use actix_web::{get, post, HttpResponse};
use serde::Deserialize;

use super::auth::Authorized;
use super::operator::{Answer, Req};
use super::AppState;
use crate::api::scopes::op;
use crate::api::{self, params::flag, ApiError};

/// `?flat=1` (or `true`, `yes`): the flat list sorted by path instead of the tree.
#[derive(Debug, Deserialize)]
pub(crate) struct ActorsView {
    #[serde(default, deserialize_with = "flag")]
    flat: bool,
}

#[get("/admin/actors")]
pub(crate) async fn list_actors(
    _auth: Authorized<op::ActorsList>,
    state: Data<AppState>,
    Req(view): Req<ActorsView>,
) -> Result<HttpResponse, ApiError> {
    let operator = &state.operator;
    Ok(if view.flat {
        HttpResponse::Ok().json(operator.actors_list(api::ActorsListRequest {}).await?)
    } else {
        HttpResponse::Ok().json(operator.actors_tree(api::ActorsTreeRequest {}).await?)
    })
}

#[get("/admin/actors/{id}")]
pub(crate) async fn get_actor(
    _auth: Authorized<op::ActorsGet>,
    state: Data<AppState>,
    Req(request): Req<api::ActorGetRequest>,
) -> Answer<api::Actor> {
    state.operator.actor_get(request).await.map(Json)
}

/// 202: the panic is injected, and happens at the actor's next message.
#[post("/admin/actors/{id}/panic")]
pub(crate) async fn panic_actor(
    _auth: Authorized<op::ActorsPanic>,
    state: Data<AppState>,
    Req(request): Req<api::ActorPanicRequest>,
) -> Result<HttpResponse, ApiError> {
    let panicked = state.operator.actor_panic(request).await?;
    Ok(HttpResponse::Accepted().json(panicked))
}
