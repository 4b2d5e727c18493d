//! Operator endpoints for channels and pairing, each one call of the operator API
//! ([`crate::api::channels`], [`crate::api::pairing`], [`crate::api::send`]):
//! `GET /admin/channels` (figures, link states, the journal), `GET /admin/pairing/{channel}`,
//! `POST /admin/pairing/{channel}/approve` (`{code, notify?}`),
//! `POST /admin/pairing/{channel}/revoke` (`{id}`), and `POST /admin/channels/{channel}/send`
//! (`{to, text}`). `pincer pairing ...` uses them while a gateway runs (so `--notify` goes
//! through the running channel) and the files directly otherwise.

use actix_web::web::{Data, Json};
use actix_web::{get, post};

use super::auth::Authorized;
use super::operator::{Answer, Req};
use super::AppState;
use crate::api;
use crate::api::scopes::op;

#[get("/admin/channels")]
pub(crate) async fn status(
    _auth: Authorized<op::ChannelsStatus>,
    state: Data<AppState>,
    Req(request): Req<api::ChannelStatsRequest>,
) -> Answer<api::ChannelStats> {
    state.operator.channel_stats(request).await.map(Json)
}

#[get("/admin/pairing/{channel}")]
pub(crate) async fn list_pairing(
    _auth: Authorized<op::PairingList>,
    state: Data<AppState>,
    Req(request): Req<api::PairingListRequest>,
) -> Answer<api::PairingList> {
    state.operator.pairing_list(request).await.map(Json)
}

#[post("/admin/pairing/{channel}/approve")]
pub(crate) async fn approve(
    _auth: Authorized<op::PairingApprove>,
    state: Data<AppState>,
    Req(request): Req<api::PairingApproveRequest>,
) -> Answer<api::PairingApproved> {
    state.operator.pairing_approve(request).await.map(Json)
}

#[post("/admin/pairing/{channel}/revoke")]
pub(crate) async fn revoke(
    _auth: Authorized<op::PairingRevoke>,
    state: Data<AppState>,
    Req(request): Req<api::PairingRevokeRequest>,
) -> Answer<api::PairingRevoked> {
    state.operator.pairing_revoke(request).await.map(Json)
}

#[post("/admin/channels/{channel}/send")]
pub(crate) async fn send(
    _auth: Authorized<op::Send>,
    state: Data<AppState>,
    Req(request): Req<api::SendRequest>,
) -> Answer<api::Sent> {
    state.operator.send(request).await.map(Json)
}
