//! `subagents.list`: the sub-agents of one session (or of every session), over WS, at
//! `GET /admin/subagents?parent=KEY` and `GET /admin/sessions/{key}/children`, and by
//! `pincer sessions children KEY` (which reads `subagents.json` itself when no gateway runs).
//! Resetting a session (`sessions.reset`) stops its running children: see
//! [`Operator::stop_children`].

use serde::{Deserialize, Serialize};

use super::{ApiError, Operator};
use crate::sessions::subagents::registry::STOPPED_BY_RESET;
use crate::sessions::subagents::{StopChildren, SubagentBook, SubagentRecord};

/// `subagents.list {parent?}` (`key` and `sessionKey` name the parent too).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SubagentsListRequest {
    #[serde(default, alias = "key", alias = "sessionKey")]
    pub parent: Option<String>,
}

/// Sub-agents, oldest first, with their parent, task, status and result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubagentList {
    /// The parent asked about; `None`: every parent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    pub count: usize,
    /// How many of them are running.
    pub running: usize,
    pub subagents: Vec<SubagentRecord>,
}

impl SubagentList {
    /// The children of `parent` (all when `None`) in `book`.
    pub fn of(book: &SubagentBook, parent: Option<String>) -> Self {
        let subagents = book.list(parent.as_deref());
        SubagentList {
            running: subagents
                .iter()
                .filter(|r| r.status == crate::sessions::subagents::SubagentStatus::Running)
                .count(),
            count: subagents.len(),
            parent,
            subagents,
        }
    }
}

impl Operator {
    /// `subagents.list`.
    pub async fn subagents_list(
        &self,
        request: SubagentsListRequest,
    ) -> Result<SubagentList, ApiError> {
        let parent = request.parent.filter(|p| !p.trim().is_empty());
        match &self.subagents {
            Some(subagents) => Ok(SubagentList::of(&subagents.book, parent)),
            None => Err(ApiError::NotRunning("the sub-agent registry".into())),
        }
    }

    /// Stops the running children (and their children) of `parent`, which is being reset;
    /// how many were stopped.
    pub(super) async fn stop_children(&self, parent: &str) -> usize {
        let Some(subagents) = &self.subagents else {
            return 0;
        };
        match subagents
            .registry
            .ask(StopChildren {
                parent: parent.to_string(),
            })
            .await
        {
            Ok(stopped) => stopped,
            Err(error) => {
                // The registry is restarting: the records are stopped all the same (their runs
                // end when their turns do, and nothing is announced to the reset parent).
                tracing::warn!(%error, session = parent, "the sub-agent registry did not answer");
                subagents
                    .book
                    .stop_descendants(parent, STOPPED_BY_RESET)
                    .len()
            }
        }
    }
}
