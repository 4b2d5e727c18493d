//! The settings every channel section has for conversations beyond a private text: groups
//! (`groupPolicy`, `groups.<groupId>`), reactions and edits. OpenClaw's keys where it has them
//! (`groupPolicy`, `groups.*.requireMention`, `allowFrom`, `systemPrompt`), so an imported or
//! hand-copied config means the same here.
//!
//! Each section declares the four fields itself (serde cannot flatten a shared struct into a
//! `deny_unknown_fields` one), and hands them to the channel layer in [`super::Common`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::super::error::Problem;

/// `channels.<id>.groupPolicy`: which groups the agent takes part in.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum GroupPolicy {
    /// Only groups listed in `groups` (or every group when `groups` has `"*"`); the default,
    /// as OpenClaw's: adding the bot to a group does not open the agent to its members.
    #[default]
    Allowlist,
    /// Every group the bot is in.
    Open,
    /// Group messages are ignored.
    Disabled,
}

/// `channels.<id>.groups.<groupId>` (or `"*"`, for every group): how the agent behaves there.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct GroupConfig {
    /// Answer only when addressed: a mention of the bot, a reply to one of its messages, or a
    /// command addressed to it; default true. Other messages are kept as context.
    pub require_mention: bool,
    /// Member ids whose messages may start a turn; empty (default): every member. The group is
    /// allowed or not as a whole: members are never paired one by one.
    pub allow_from: Vec<String>,
    /// Added to the system prompt of the group's turns.
    pub system_prompt: Option<String>,
}

impl Default for GroupConfig {
    fn default() -> Self {
        GroupConfig {
            require_mention: true,
            allow_from: Vec::new(),
            system_prompt: None,
        }
    }
}

/// `channels.<id>.reactions`: what a reaction to a message does.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ReactionMode {
    /// Ignored.
    Off,
    /// Recorded in the transcript only; the default.
    #[default]
    Record,
    /// Recorded, and shown to the model with its next turn. Never answered on its own.
    Model,
}

/// `channels.<id>.edits`: what an edited message does.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum EditMode {
    /// The transcript's entry takes the new text; no new turn. The default.
    #[default]
    Record,
    /// Also asked as a new turn (the model sees the new text as a message).
    Turn,
}

/// The conversation settings of one section, borrowed from it.
#[derive(Debug, Clone, Copy)]
pub struct Conversation<'a> {
    pub group_policy: GroupPolicy,
    pub groups: &'a BTreeMap<String, GroupConfig>,
    pub reactions: ReactionMode,
    pub edits: EditMode,
}

impl<'a> Conversation<'a> {
    /// The settings of group `id` under the policy: `None` when the agent does not take part in
    /// it. A listed group's own entry wins over `"*"`.
    pub fn group(&self, id: &str) -> Option<GroupConfig> {
        match self.group_policy {
            GroupPolicy::Disabled => None,
            GroupPolicy::Allowlist => self
                .groups
                .get(id)
                .or_else(|| self.groups.get("*"))
                .cloned(),
            GroupPolicy::Open => Some(
                self.groups
                    .get(id)
                    .or_else(|| self.groups.get("*"))
                    .cloned()
                    .unwrap_or_default(),
            ),
        }
    }
}

/// The rules of these keys: group ids are non-empty, member ids too.
pub(super) fn check(channel: &str, conversation: Conversation<'_>, problems: &mut Vec<Problem>) {
    for (id, group) in conversation.groups {
        if id.trim().is_empty() {
            problems.push(Problem::new(
                format!("channels.{channel}.groups"),
                "a group id is empty (use the platform's group id, or \"*\" for every group)",
            ));
        }
        if group
            .allow_from
            .iter()
            .any(|member| member.trim().is_empty())
        {
            problems.push(Problem::new(
                format!("channels.{channel}.groups.{id}.allowFrom"),
                "holds an empty id",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_decides_which_groups_are_joined() {
        let mut groups = BTreeMap::new();
        groups.insert(
            "family".to_string(),
            GroupConfig {
                require_mention: false,
                ..GroupConfig::default()
            },
        );
        let mut conversation = Conversation {
            group_policy: GroupPolicy::Allowlist,
            groups: &groups,
            reactions: ReactionMode::Record,
            edits: EditMode::Record,
        };
        assert_eq!(
            conversation.group("family").map(|g| g.require_mention),
            Some(false)
        );
        assert_eq!(conversation.group("work"), None, "not listed");
        conversation.group_policy = GroupPolicy::Open;
        assert_eq!(
            conversation.group("work").map(|g| g.require_mention),
            Some(true)
        );
        conversation.group_policy = GroupPolicy::Disabled;
        assert_eq!(conversation.group("family"), None);
        let mut groups = groups.clone();
        groups.insert("*".into(), GroupConfig::default());
        let conversation = Conversation {
            group_policy: GroupPolicy::Allowlist,
            groups: &groups,
            reactions: ReactionMode::Record,
            edits: EditMode::Record,
        };
        assert!(
            conversation.group("work").is_some(),
            "\"*\" admits every group"
        );
        assert_eq!(
            conversation.group("family").map(|g| g.require_mention),
            Some(false)
        );
    }
}
