//! `pincer backup create|verify|restore`: the command-line half of [`crate::backup`].
//!
//! This file only resolves the installation's layout (paths and the configured workspace),
//! calls the library and prints. Backup errors are printed here with their own exit code
//! (69 while a gateway runs, 1 otherwise), so that a cron job can tell them apart.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::{BackupAction, CliError};
use crate::backup::create::{create, CreateOptions};
use crate::backup::layout::Layout;
use crate::backup::restore::{restore, RestoreOptions};
use crate::backup::retention::prune;
use crate::backup::select::Scope;
use crate::backup::verify::verify;
use crate::backup::BackupError;
use crate::config::{load_config, GatewayOptions};
use crate::paths::Paths;

pub fn run(config: Option<&Path>, action: &BackupAction) -> Result<i32, CliError> {
    let outcome = match action {
        BackupAction::Create {
            out,
            only_config,
            no_workspace,
            keep_days,
        } => {
            let layout = layout(config)?;
            let scope = Scope {
                only_config: *only_config,
                workspace: !*no_workspace,
            };
            run_create(&layout, out.as_deref(), scope, *keep_days)
        }
        BackupAction::Verify { file } => run_verify(file),
        BackupAction::Restore {
            file,
            force,
            workspace,
        } => {
            let options = RestoreOptions {
                force: *force,
                workspace: workspace.as_deref().map(absolute).transpose()?,
            };
            run_restore(&layout(config)?, file, &options)
        }
    };
    Ok(outcome.unwrap_or_else(|error| {
        eprintln!("pincer: {error}");
        error.exit_code()
    }))
}

/// The installation's layout. A config that does not load does not stop a backup (it is the
/// moment one is most wanted): its file is still archived, only the workspace setting is unknown.
fn layout(config: Option<&Path>) -> Result<Layout, CliError> {
    let paths = Paths::resolve(config)?;
    let options = GatewayOptions {
        config_path: config.map(Path::to_path_buf),
        ..GatewayOptions::default()
    };
    let loaded = match load_config(&paths, &options) {
        Ok(loaded) => Some(loaded.config),
        Err(error) => {
            eprintln!("pincer: warning: {error}\npincer: warning: the workspace setting is unknown; continuing without it");
            None
        }
    };
    Ok(Layout::new(&paths, loaded.as_ref()))
}

fn run_create(
    layout: &Layout,
    out: Option<&Path>,
    scope: Scope,
    keep_days: Option<u64>,
) -> Result<i32, BackupError> {
    let out_dir = out.map_or_else(|| layout.state_dir.join("backups"), Path::to_path_buf);
    let created = create(
        layout,
        &CreateOptions {
            out_dir: out_dir.clone(),
            scope,
        },
    )?;
    for note in &created.notes {
        eprintln!("pincer: note: {note}");
    }
    println!("backup written: {}", created.path.display());
    println!(
        "files: {}, total size: {} uncompressed ({} bytes), archive {}",
        created.files,
        human(created.bytes),
        created.bytes,
        human(created.archive_bytes)
    );
    if let Some(days) = keep_days {
        let pruned = prune(&out_dir, days, &created.path, SystemTime::now())?;
        for path in &pruned.removed {
            println!("removed old backup: {}", path.display());
        }
        for (path, reason) in &pruned.failed {
            eprintln!(
                "pincer: warning: cannot remove old backup {}: {reason}",
                path.display()
            );
        }
    }
    Ok(crate::exit::OK)
}

fn run_verify(file: &Path) -> Result<i32, BackupError> {
    let verified = verify(file)?;
    let manifest = &verified.manifest;
    println!(
        "{}: intact, {} files, {} ({} bytes)",
        file.display(),
        manifest.files.len(),
        human(manifest.total_size()),
        manifest.total_size()
    );
    println!(
        "created {} on {} by pincer {}",
        manifest.created_at, manifest.hostname, manifest.pincer_version
    );
    Ok(crate::exit::OK)
}

/// `--workspace` relative to the directory the command runs in.
fn absolute(path: &Path) -> Result<PathBuf, CliError> {
    Ok(if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()?.join(path)
    })
}

fn run_restore(layout: &Layout, file: &Path, options: &RestoreOptions) -> Result<i32, BackupError> {
    let restored = restore(file, layout, options)?;
    println!(
        "restored {} files, {} ({} bytes) from {}",
        restored.files,
        human(restored.bytes),
        restored.bytes,
        file.display()
    );
    if restored.replaced > 0 {
        println!("replaced {} existing files", restored.replaced);
    }
    println!("config: {}", layout.config_file.display());
    println!("state:  {}", layout.state_dir.display());
    if let Some(workspace) = &restored.workspace {
        println!("workspace: {}", display(workspace));
    }
    if let Some(rewrite) = &restored.config_rewrite {
        let was = rewrite.was.as_deref().map_or_else(
            || "named no workspace (the default under the state directory)".to_string(),
            |was| format!("named {was:?} (the backed-up installation's workspace)"),
        );
        println!(
            "the restored config {was}; its workspace setting now names {} (use --workspace DIR \
             to choose another folder)",
            display(&rewrite.now)
        );
    }
    for note in &restored.notes {
        eprintln!("pincer: note: {note}");
    }
    Ok(crate::exit::OK)
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

/// `1.5 KiB`-style sizes for people; exact byte counts are printed beside them.
fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::human;

    #[test]
    fn sizes_for_people() {
        assert_eq!(human(512), "512 B");
        assert_eq!(human(1536), "1.5 KiB");
        assert_eq!(human(5 * 1024 * 1024), "5.0 MiB");
    }
}
