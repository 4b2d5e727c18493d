//! Carrying out a plan. Every existing target is copied into one backup folder first
//! (`<state>/import-backup-<stamp>/`, only when something is replaced), then the workspace files,
//! the transcripts, the approved senders, the secrets file and, last, the config: a failure part
//! way leaves the old config in charge, and the backup says what was there.

use std::path::{Path, PathBuf};

use super::plan::{Action, Plan};
use super::prepare::Prepared;
use super::source::MAX_WORKSPACE_FILE_BYTES;
use super::ImportError;
use crate::channels::pairing::PairingStore;
use crate::fsutil::{create_private_dir, write_private};
use crate::sessions::store::SessionStore;

/// Writes `prepared` (after `--force` has been applied to its plan, if given); `stamp` names the
/// backup folder. The plan, marked applied, with the backup's place.
pub(crate) fn apply(prepared: Prepared, stamp: &str) -> Result<Plan, ImportError> {
    let conflicts = prepared.plan.conflicts().len();
    if conflicts > 0 {
        return Err(ImportError::Exists { count: conflicts });
    }
    let mut plan = prepared.plan.clone();
    let paths = &prepared.paths;
    paths
        .ensure_state_dir()
        .map_err(|e| ImportError::Store(e.to_string()))?;
    let replaced = |kind: &str, to: &str| {
        plan.items
            .iter()
            .any(|i| i.kind == kind && i.to == to && i.action == Action::Replace)
    };
    let backup = paths.state_dir.join(format!("import-backup-{stamp}"));
    let mut backed_up = false;
    let mut keep = |file: &Path, name: &Path| -> Result<(), ImportError> {
        let target = backup.join(name);
        if let Some(parent) = target.parent() {
            create_private_dir(parent).map_err(write_error("create", parent))?;
        }
        let bytes = std::fs::read(file).map_err(write_error("read", file))?;
        write_private(&target, &bytes).map_err(write_error("write", &target))?;
        backed_up = true;
        Ok(())
    };

    // Backups first: nothing is replaced before its copy is safe.
    if replaced("config", &paths.config_file.display().to_string()) {
        keep(&paths.config_file, Path::new("config/pincer.json5"))?;
    }
    if prepared.secrets.is_some()
        && plan
            .items
            .iter()
            .any(|i| i.kind == "secret" && i.action == Action::Replace)
    {
        keep(&paths.secrets_file(), Path::new("secrets.env"))?;
    }
    for relative in &prepared.workspace_files {
        let target = plan.workspace.join(relative);
        if replaced("workspace", &target.display().to_string()) {
            keep(&target, &Path::new("workspace").join(relative))?;
        }
    }
    let sessions_dir = prepared.sessions_dir();
    let replaced_sessions: Vec<&str> = prepared
        .sessions
        .iter()
        .filter(|s| replaced("session", &s.key))
        .map(|s| s.key.as_str())
        .collect();
    let store = if prepared.sessions.is_empty() {
        None
    } else {
        Some(SessionStore::open(&sessions_dir).map_err(|e| ImportError::Store(e.to_string()))?)
    };
    if let Some(store) = &store {
        for key in &replaced_sessions {
            if let Some(meta) = store.meta(key) {
                let file = sessions_dir.join(format!("{}.jsonl", meta.session_id));
                keep(
                    &file,
                    &Path::new("sessions").join(format!("{}.jsonl", meta.session_id)),
                )?;
            }
        }
    }

    // The workspace.
    if let Some(ws) = &prepared.workspace_source {
        for relative in &prepared.workspace_files {
            let bytes = ws
                .read(relative, MAX_WORKSPACE_FILE_BYTES)
                .map_err(|e| ImportError::Store(format!("{}: {e}", ws.display(relative))))?;
            let target = plan.workspace.join(relative);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(write_error("create", parent))?;
            }
            write_private(&target, &bytes).map_err(write_error("write", &target))?;
        }
    }

    // The transcripts.
    if let Some(store) = &store {
        for session in &prepared.sessions {
            if replaced_sessions.contains(&session.key.as_str()) {
                store
                    .reset(&session.key)
                    .map_err(|e| ImportError::Store(e.to_string()))?;
            }
            store
                .append(&session.key, &session.entries)
                .map_err(|e| ImportError::Store(e.to_string()))?;
        }
        store
            .flush()
            .map_err(|e| ImportError::Store(e.to_string()))?;
    }

    // The approved senders (merged: nothing there is lost).
    let pairing = PairingStore::new(&paths.state_dir);
    for (channel, ids) in &prepared.approved {
        pairing
            .add_approved(channel, ids)
            .map_err(|e| ImportError::Store(e.to_string()))?;
    }

    // The secrets, then the config.
    if let Some(secrets) = &prepared.secrets {
        let file = paths.secrets_file();
        write_private(&file, secrets.render().as_bytes()).map_err(write_error("write", &file))?;
    }
    if let Some(text) = &prepared.config_text {
        if let Some(dir) = paths
            .config_file
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            create_private_dir(dir).map_err(write_error("create", dir))?;
        }
        write_private(&paths.config_file, text.as_bytes())
            .map_err(write_error("write", &paths.config_file))?;
    }
    plan.applied = true;
    plan.backup = backed_up.then_some(backup);
    Ok(plan)
}

fn write_error(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> ImportError {
    let path: PathBuf = path.to_path_buf();
    move |source| ImportError::Write {
        action,
        path,
        source,
    }
}
