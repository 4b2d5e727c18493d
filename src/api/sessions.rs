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

/// `sessions.list {limit?}`: every session, or the `limit` most recently updated. OpenClaw's
/// other list options (`agentId`, search, sorting) are accepted and ignored: there is one
/// agent, and the order is always most recent first.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SessionsListRequest {
    #[serde(default, deserialize_with = "super::params::number")]
    pub limit: Option<usize>,
}

/// Stored sessions, most recently updated first, in the shape of OpenClaw's session list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionList {
    /// The index file the list comes from.
    pub path: String,
    /// How many sessions are stored (all of them, whatever `limit` lists).
    pub count: usize,
    /// What a new session gets.
    pub defaults: SessionDefaults,
    pub sessions: Vec<SessionRow>,
}

/// What a session gets unless it says otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionDefaults {
    /// The primary model (`provider/model`).
    pub model: Option<String>,
    /// Not tracked: always null.
    pub context_tokens: Option<u64>,
}

/// One stored session: its index entry, with the fields OpenClaw's clients read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionRow {
    #[serde(flatten)]
    pub meta: SessionMeta,
    /// `direct` or `group`, from the key's shape.
    pub kind: String,
    /// The key (sessions have no titles).
    pub display_name: String,
    /// `updatedMs` under OpenClaw's name.
    pub updated_at: u64,
    pub total_tokens: u64,
    /// The channel the key belongs to, when it names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
}

impl std::ops::Deref for SessionRow {
    type Target = SessionMeta;
    fn deref(&self) -> &SessionMeta {
        &self.meta
    }
}

impl SessionRow {
    /// The row of `meta`.
    pub fn of(meta: SessionMeta) -> Self {
        let segments: Vec<&str> = meta.key.split(':').collect();
        let kind = if segments.iter().any(|s| *s == "group" || *s == "channel") {
            "group"
        } else {
            "direct"
        };
        let channel = segments
            .get(2)
            .filter(|s| crate::channels::registry::KNOWN.contains(s))
            .map(|s| s.to_string());
        SessionRow {
            kind: kind.to_string(),
            display_name: meta.key.clone(),
            updated_at: meta.updated_ms,
            total_tokens: meta.input_tokens + meta.output_tokens,
            channel,
            meta,
        }
    }
}

impl SessionList {
    /// The sessions of `store` (its in-memory index: no file is read), the `limit` most recent
    /// ones if given.
    pub fn of(store: &SessionStore, model: Option<String>, limit: Option<usize>) -> Self {
        let mut sessions = store.list();
        let count = sessions.len();
        sessions.sort_by_key(|s| std::cmp::Reverse(s.updated_ms));
        sessions.truncate(limit.unwrap_or(usize::MAX));
        SessionList {
            path: store.dir().join("sessions.json").display().to_string(),
            count,
            defaults: SessionDefaults {
                model,
                context_tokens: None,
            },
            sessions: sessions.into_iter().map(SessionRow::of).collect(),
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
    /// Its sub-agents that were running and are stopped now.
    #[serde(default, rename = "stoppedChildren")]
    pub stopped_children: usize,
}

/// Resets `key` in `store`: `NOT_FOUND` when there is no such session.
pub(crate) fn reset_in(store: &SessionStore, key: &str) -> Result<SessionReset, ApiError> {
    if store.reset(key)? {
        Ok(SessionReset {
            ok: true,
            reset: key.to_string(),
            stopped_children: 0,
        })
    } else {
        Err(ApiError::NotFound(format!("no session {key:?}")))
    }
}

impl Operator {
    /// `sessions.list`.
    pub async fn sessions_list(
        &self,
        request: SessionsListRequest,
    ) -> Result<SessionList, ApiError> {
        Ok(SessionList::of(
            &self.engine.store,
            self.engine.settings.models.first().cloned(),
            request.limit,
        ))
    }

    /// `sessions.inspect`: reads the transcript file's metadata.
    pub async fn session_show(&self, request: SessionShowRequest) -> Result<SessionInfo, ApiError> {
        let key = required("key", &request.key)?.to_string();
        let store = Arc::clone(&self.engine.store);
        let inspection = blocking(move || store.inspect(&key)).await?;
        Ok(inspection.into())
    }

    /// `sessions.reset`: archives the transcript, stops the session's running sub-agents, then
    /// stops the session's actor (it holds no conversation state, but stopping it frees its
    /// memory now).
    pub async fn session_reset(
        &self,
        request: SessionResetRequest,
    ) -> Result<SessionReset, ApiError> {
        let key = required("key", &request.key)?.to_string();
        let store = Arc::clone(&self.engine.store);
        let name = key.clone();
        let mut reset = blocking(move || reset_in(&store, &name)).await??;
        reset.stopped_children = self.stop_children(&key).await;
        let _ = self.sessions.tell(TerminateChild(key));
        Ok(reset)
    }
}

/// What the WebSocket protocol's session methods need beyond the operations above: a session's
/// row, the key of a session id, and the stream of changes.
impl Operator {
    /// The row of `key`, if it is stored.
    pub fn session_row(&self, key: &str) -> Option<SessionRow> {
        self.engine.store.meta(key).map(SessionRow::of)
    }

    /// The key of the stored session whose id (its transcript's name) is `id`.
    pub fn session_key_of_id(&self, id: &str) -> Option<String> {
        self.engine
            .store
            .list()
            .into_iter()
            .find(|meta| meta.session_id == id)
            .map(|meta| meta.key)
    }

    /// Every session change from now on (for `sessions.subscribe`).
    pub fn watch_sessions(
        &self,
    ) -> tokio::sync::broadcast::Receiver<crate::sessions::store::SessionChange> {
        self.engine.store.watch()
    }

    /// The model chain, primary first.
    pub fn models(&self) -> &[String] {
        &self.engine.settings.models
    }
}
