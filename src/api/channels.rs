//! `channels.status` (WS, `GET /admin/channels`, `pincer channels`): every enabled channel's link
//! and counters, and the inbound journal's figures. Also which channel names the API accepts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{ApiError, Operator};
use crate::channels::hub::KNOWN;

/// `channel` lower-cased when Pincer has such a channel, else `NOT_FOUND` listing those it has.
pub fn known_channel(channel: &str) -> Result<String, ApiError> {
    let channel = channel.trim().to_lowercase();
    if KNOWN.contains(&channel.as_str()) {
        Ok(channel)
    } else {
        Err(ApiError::NotFound(format!(
            "unknown channel {channel:?} (known: {})",
            KNOWN.join(", ")
        )))
    }
}

/// `channels.status` takes no parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ChannelStatsRequest {}

/// Figures of the channels and of the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelStats {
    /// Per enabled channel (one the config leaves without credentials has only its link).
    pub channels: BTreeMap<String, ChannelFigures>,
    pub journal: JournalFigures,
}

/// One channel's link and counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelFigures {
    pub healthy: bool,
    pub link: String,
    /// `received`, `answered`, `pairingCodesSent`, `sendFailures`, ...: every counter the
    /// channel keeps, by name (a channel adds counters without an API change).
    #[serde(flatten)]
    pub counters: BTreeMap<String, u64>,
}

/// The inbound journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalFigures {
    /// Accepted, not yet answered.
    pub pending: u64,
    pub appended: u64,
    /// Redeliveries dropped.
    pub duplicates: u64,
    pub group_commits: u64,
    pub file_bytes: u64,
    pub corrupt_skipped_bytes: u64,
    pub compactions: u64,
    pub write_errors: u64,
}

impl Operator {
    /// `channels.status` (counters in memory: nothing is read from disk).
    pub async fn channel_stats(
        &self,
        _request: ChannelStatsRequest,
    ) -> Result<ChannelStats, ApiError> {
        // The channels layer reports its figures as JSON; reading them here is what types them.
        serde_json::from_value(self.channels.status_json()).map_err(|e| {
            ApiError::Internal(format!("the channel figures do not read as figures: {e}"))
        })
    }
}
