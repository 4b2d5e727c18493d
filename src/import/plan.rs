//! What an import will do (or did), as data: every file it writes, every setting it could not
//! carry over with the reason, every file of the home it had to skip. `--dry-run` prints it,
//! `--json` prints it as JSON, and the import itself only carries it out.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;

/// One thing the import writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Item {
    /// `config`, `secret`, `workspace`, `session`, `pairing`.
    pub kind: &'static str,
    /// Where it comes from in the OpenClaw home (a path, a config key, a session key).
    pub from: String,
    /// Where it goes (a path, a secret's name, a session key, a channel).
    pub to: String,
    /// `create`, `replace` (only with `--force`), `merge`, or `exists` (refused without
    /// `--force`).
    pub action: Action,
    /// A short note (`3 turns`, `2 senders`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// What happens to an item's target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Action {
    /// Nothing is there yet.
    Create,
    /// Something is there and `--force` replaces it (after a backup).
    Replace,
    /// Added to what is there (approved senders); nothing is lost.
    Merge,
    /// Something is there and the import refuses without `--force`.
    Exists,
    /// Already there with the same contents: nothing to do.
    Same,
}

/// A setting or file that is not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Skipped {
    /// The OpenClaw key (`channels.discord`) or file.
    pub what: String,
    pub reason: String,
}

/// The whole plan, then the result.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Plan {
    /// The OpenClaw home.
    pub source: PathBuf,
    /// The Pincer config file written.
    pub config_file: PathBuf,
    /// The Pincer workspace the files go to.
    pub workspace: PathBuf,
    pub items: Vec<Item>,
    pub not_imported: Vec<Skipped>,
    /// Files of the home that could not be read or parsed (each skipped, the rest imported).
    pub problems: Vec<Skipped>,
    /// Where `--force` put what it replaced; set once applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup: Option<PathBuf>,
    /// True once written (false for `--dry-run` and refusals).
    pub applied: bool,
    pub dry_run: bool,
}

impl Plan {
    pub(crate) fn skip(&mut self, what: impl Into<String>, reason: impl Into<String>) {
        self.not_imported.push(Skipped {
            what: what.into(),
            reason: reason.into(),
        });
    }

    pub(crate) fn problem(&mut self, what: impl Into<String>, reason: impl Into<String>) {
        self.problems.push(Skipped {
            what: what.into(),
            reason: reason.into(),
        });
    }

    /// The items whose target exists (refused without `--force`).
    pub(crate) fn conflicts(&self) -> Vec<&Item> {
        self.items
            .iter()
            .filter(|item| item.action == Action::Exists)
            .collect()
    }

    /// Marks every existing target as replaced (`--force`).
    pub(crate) fn force(&mut self) {
        for item in &mut self.items {
            if item.action == Action::Exists {
                item.action = Action::Replace;
            }
        }
    }

    /// The plan as the terminal shows it.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        let heading = if self.applied {
            "Imported"
        } else if self.dry_run {
            "Would import (dry run: nothing written)"
        } else {
            "Not imported"
        };
        let _ = writeln!(out, "{heading} from {}", self.source.display());
        let _ = writeln!(out, "  config:    {}", self.config_file.display());
        let _ = writeln!(out, "  workspace: {}", self.workspace.display());
        for kind in ["config", "secret", "workspace", "session", "pairing"] {
            let items: Vec<&Item> = self.items.iter().filter(|i| i.kind == kind).collect();
            if items.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n== {kind}");
            for item in items {
                let action = match item.action {
                    Action::Create => "create ",
                    Action::Replace => "replace",
                    Action::Merge => "merge  ",
                    Action::Exists => "EXISTS ",
                    Action::Same => "same   ",
                };
                let detail = if item.detail.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", item.detail)
                };
                let _ = writeln!(out, "  {action} {} <- {}{detail}", item.to, item.from);
            }
        }
        if !self.not_imported.is_empty() {
            let _ = writeln!(out, "\n== not imported");
            for skipped in &self.not_imported {
                let _ = writeln!(out, "  {}: {}", skipped.what, skipped.reason);
            }
        }
        if !self.problems.is_empty() {
            let _ = writeln!(out, "\n== problems (skipped, the rest imported)");
            for problem in &self.problems {
                let _ = writeln!(out, "  {}: {}", problem.what, problem.reason);
            }
        }
        if let Some(backup) = &self.backup {
            let _ = writeln!(out, "\nWhat was replaced is kept in {}", backup.display());
        }
        out
    }
}
