//! `sessions.list`, `sessions.inspect` (the seed's `inspectSession`) and `sessions.reset`: over
//! WS, at `GET /admin/sessions`, `GET /admin/sessions/{key}` and
//! `POST /admin/sessions/{key}/reset`, and by `pincer sessions list|show|reset` (which builds the
//! same answers from the files when no gateway runs).

use std::sync::Arc;

use pincer_actors::TerminateChild;
use serde::{Deserialize, Serialize};

use super::operator::blocking;
use super::params::required;
use super::{ApiError, Operator};
use crate::sessions::{Inspection, SessionMeta, SessionStore};

/// `sessions.list` takes no parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SessionsListRequest {}

/// Every stored session, most recently updated first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionList {
    pub count: usize,
    pub sessions: Vec<SessionMeta>,
}

impl SessionList {
    /// The sessions of `store` (its in-memory index: no file is read).
    pub fn of(store: &SessionStore) -> Self {
        let mut sessions = store.list();
        sessions.sort_by_key(|s| std::cmp::Reverse(s.updated_ms));
        SessionList {
            count: sessions.len(),
            sessions,
        }
    }
}

/// `sessions.inspect {key}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionShowRequest {
    #[serde(alias = "sessionKey")]
    pub key: String,
}

/// One session: whether it exists, its file, its counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    pub key: String,
    pub exists: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// The transcript's size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_ms: Option<u64>,
    pub message_count: u64,
    pub token_count: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<SessionMeta>,
}

impl From<Inspection> for SessionInfo {
    fn from(i: Inspection) -> Self {
        SessionInfo {
            key: i.key,
            exists: i.exists,
            session_id: i.session_id,
            size: i.size,
            last_modified_ms: i.last_modified_ms,
            message_count: i.message_count,
            token_count: i.token_count,
            metadata: i.metadata,
        }
    }
}

/// `sessions.reset {key}` (`sessionKey` is accepted too).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionResetRequest {
    #[serde(alias = "sessionKey")]
    pub key: String,
}

/// A session started afresh (its transcript archived).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionReset {
    pub ok: bool,
    /// The key that was reset.
    pub reset: String,
}

/// Resets `key` in `store`: `NOT_FOUND` when there is no such session.
pub(crate) fn reset_in(store: &SessionStore, key: &str) -> Result<SessionReset, ApiError> {
    if store.reset(key)? {
        Ok(SessionReset {
            ok: true,
            reset: key.to_string(),
        })
    } else {
        Err(ApiError::NotFound(format!("no session {key:?}")))
    }
}

impl Operator {
    /// `sessions.list`.
    pub async fn sessions_list(
        &self,
        _request: SessionsListRequest,
    ) -> Result<SessionList, ApiError> {
        Ok(SessionList::of(&self.engine.store))
    }

    /// `sessions.inspect`: reads the transcript file's metadata.
    pub async fn session_show(&self, request: SessionShowRequest) -> Result<SessionInfo, ApiError> {
        let key = required("key", &request.key)?.to_string();
        let store = Arc::clone(&self.engine.store);
        let inspection = blocking(move || store.inspect(&key)).await?;
        Ok(inspection.into())
    }

    /// `sessions.reset`: archives the transcript, then stops the session's actor (it holds no
    /// conversation state, but stopping it frees its memory now).
    pub async fn session_reset(
        &self,
        request: SessionResetRequest,
    ) -> Result<SessionReset, ApiError> {
        let key = required("key", &request.key)?.to_string();
        let store = Arc::clone(&self.engine.store);
        let name = key.clone();
        let reset = blocking(move || reset_in(&store, &name)).await??;
        let _ = self.sessions.tell(TerminateChild(key));
        Ok(reset)
    }
}
