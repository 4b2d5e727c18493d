//! `pairing.list`, `pairing.approve` (optionally telling the sender through the running channel)
//! and `pairing.revoke`: over WS, at `/admin/pairing/{channel}[/approve|/revoke]`, and by
//! `pincer pairing ...` (which works on the same store files with the same functions when no
//! gateway runs).

use serde::{Deserialize, Serialize};

use super::channels::known_channel;
use super::operator::blocking;
use super::params::{flag, required};
use super::{ApiError, Operator};
use crate::channels::pairing::{PairingRequest, PairingStore, APPROVED_MESSAGE};

/// `pairing.list {channel}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PairingListRequest {
    pub channel: String,
}

/// A channel's pending requests (codes not yet expired) and approved senders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairingList {
    pub channel: String,
    pub requests: Vec<PairingRequest>,
    pub approved: Vec<String>,
}

impl PairingList {
    /// Reads `channel`'s pending requests and approved senders from `store` (file I/O).
    pub fn of(store: &PairingStore, channel: &str) -> Result<Self, ApiError> {
        Ok(PairingList {
            channel: channel.to_string(),
            requests: store.list(channel)?,
            approved: store.approved(channel)?,
        })
    }
}

/// `pairing.approve {channel, code, notify?, replay?}`: the code is case-insensitive.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PairingApproveRequest {
    pub channel: String,
    pub code: String,
    /// Tell the sender they were approved, through the running channel.
    #[serde(default, deserialize_with = "flag")]
    pub notify: bool,
    /// Answer the messages the sender sent while waiting (they wait in the journal while the
    /// code is pending); without it they are dropped.
    #[serde(default, deserialize_with = "flag")]
    pub replay: bool,
}

/// An approved request, and whether the sender was told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PairingApproved {
    pub ok: bool,
    pub channel: String,
    pub approved: PairingRequest,
    /// None unless `notify` was asked for.
    pub notified: Option<bool>,
    pub notify_error: Option<String>,
}

/// `pairing.revoke {channel, id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PairingRevokeRequest {
    pub channel: String,
    /// The approved sender's platform id.
    pub id: String,
}

/// A sender no longer approved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairingRevoked {
    pub ok: bool,
    pub channel: String,
    /// The sender's id.
    pub revoked: String,
}

/// Revokes `id` on `channel` in `store` (file I/O): `NOT_FOUND` when it is not an approved sender.
pub(crate) fn revoke_in(
    store: &PairingStore,
    channel: &str,
    id: &str,
) -> Result<PairingRevoked, ApiError> {
    if store.revoke(channel, id)? {
        Ok(PairingRevoked {
            ok: true,
            channel: channel.to_string(),
            revoked: id.to_string(),
        })
    } else {
        Err(ApiError::NotFound(format!(
            "{id} is not an approved {channel} sender"
        )))
    }
}

impl Operator {
    /// `pairing.list`.
    pub async fn pairing_list(&self, request: PairingListRequest) -> Result<PairingList, ApiError> {
        let channel = known_channel(&request.channel)?;
        let channels = std::sync::Arc::clone(&self.channels);
        blocking(move || PairingList::of(&channels.pairing, &channel)).await?
    }

    /// `pairing.approve`: the sender joins the approved senders; with `notify`, the channel's
    /// actor sends them [`APPROVED_MESSAGE`] (its rate limits and retries apply).
    pub async fn pairing_approve(
        &self,
        request: PairingApproveRequest,
    ) -> Result<PairingApproved, ApiError> {
        let channel = known_channel(&request.channel)?;
        let code = required("code", &request.code)?.to_string();
        let channels = std::sync::Arc::clone(&self.channels);
        let name = channel.clone();
        let replay = request.replay;
        let approved = blocking(move || channels.pairing.approve(&name, &code, replay)).await??;
        let notified = if request.notify {
            Some(
                self.channels
                    .notify(&channel, &approved.id, APPROVED_MESSAGE)
                    .await,
            )
        } else {
            None
        };
        Ok(PairingApproved {
            ok: true,
            channel,
            approved,
            notified: notified.as_ref().map(Result::is_ok),
            notify_error: notified.and_then(Result::err),
        })
    }

    /// `pairing.revoke`.
    pub async fn pairing_revoke(
        &self,
        request: PairingRevokeRequest,
    ) -> Result<PairingRevoked, ApiError> {
        let channel = known_channel(&request.channel)?;
        let id = required("id", &request.id)?.to_string();
        let channels = std::sync::Arc::clone(&self.channels);
        blocking(move || revoke_in(&channels.pairing, &channel, &id)).await?
    }
}
