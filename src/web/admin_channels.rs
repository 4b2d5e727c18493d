//! Operator endpoints for channels and pairing, each one call of the operator API
//! ([`crate::api::channels`], [`crate::api::pairing`], [`crate::api::send`]):
//! `GET /admin/channels` (figures, link states, the journal), `GET /admin/pairing/{channel}`,
//! `POST /admin/pairing/{channel}/approve` (`{code, notify?}`),
//! `POST /admin/pairing/{channel}/revoke` (`{id}`), and `POST /admin/channels/{channel}/send`
//! (`{to, text}`), `POST /admin/channels/{channel}/send-file?to&fileName&caption&asVoice` (the
//! file as the raw body, see [`crate::api::send_file`] for why). `pincer pairing ...` uses them while a gateway runs (so `--notify` goes
//! through the running channel) and the files directly otherwise.

use actix_web::web::{self, Data, Json};
use actix_web::{get, post, HttpRequest};

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

#[post("/admin/channels/{channel}/send-file")]
pub(crate) async fn send_file(
    _auth: Authorized<op::SendFile>,
    state: Data<AppState>,
    http: HttpRequest,
    channel: web::Path<String>,
    body: web::Payload,
) -> Answer<api::Sent> {
    let query = web::Query::<Vec<(String, String)>>::from_query(http.query_string())
        .map_err(|e| api::ApiError::Invalid(format!("invalid query string: {e}")))?;
    let mut fields = serde_json::Map::new();
    for (name, value) in query.into_inner() {
        fields.insert(name, serde_json::Value::String(value));
    }
    fields.insert("channel".into(), channel.into_inner().into());
    let mut request: api::SendFileRequest = api::params::parse(serde_json::Value::Object(fields))?;
    if request.mime.is_none() {
        request.mime = http
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .filter(|v| *v != "application/octet-stream")
            .map(str::to_string);
    }
    request.bytes = read_bounded(body, api::MAX_BODY_BYTES).await?;
    state.operator.send_file(request).await.map(Json)
}

/// The request body, refused with 413 once it passes `limit` bytes (before more is read).
async fn read_bounded(mut body: web::Payload, limit: u64) -> Result<web::Bytes, api::ApiError> {
    use futures_util::StreamExt as _;
    let mut bytes = web::BytesMut::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk
            .map_err(|e| api::ApiError::Invalid(format!("the body could not be read: {e}")))?;
        if (bytes.len() + chunk.len()) as u64 > limit {
            return Err(api::ApiError::TooLarge(format!(
                "the file is over the {limit}-byte limit of a file send"
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes.freeze())
}
