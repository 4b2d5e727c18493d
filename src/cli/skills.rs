//! `pincer skills list|check NAME [--json]` and `pincer skills install PATH|URL [--force]`.
//!
//! `list` and `check` ask the running gateway (`GET /admin/skills`, the list its next run's
//! prompt uses) and, when none runs, load the same folders with the same functions
//! ([`crate::api::skills::report`]). `check` exits 1 when the skill is not offered to the model.
//! `install` unpacks into `<state>/skills` ([`crate::ops::skill_install`]); a running gateway's
//! poller picks the new skill up within `skills.load.pollIntervalMs`.

use std::path::Path;

use clap::Subcommand;

use super::client::{block_on, encode, GatewayClient};
use super::{CliError, JsonArgs};
use crate::agent::skills::catalog::{load, managed_dir, SkillInputs};
use crate::api::skills::report;
use crate::api::SkillsStatus;
use crate::config::{load_config, GatewayOptions};
use crate::ops::skill_install::{install_file, install_url, InstallError};
use crate::paths::Paths;

/// `pincer skills ...`: list, check and install skills.
#[derive(Debug, Subcommand)]
pub enum SkillsAction {
    /// Every skill found, in priority order, with its source and whether it is offered.
    List(JsonArgs),
    /// One skill: where it is, whether it is offered, and which requirement is unmet.
    Check {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Unpack a skill archive (a .tar.gz file or an http(s) URL of one) into <state>/skills.
    Install {
        /// The archive: a path, or an http:// or https:// URL.
        source: String,
        /// Replace an installed skill of the same name.
        #[arg(long)]
        force: bool,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(config: Option<&Path>, action: &SkillsAction) -> Result<i32, CliError> {
    match action {
        SkillsAction::List(args) => {
            let status = status(config, None)?;
            print_list(&status, args.json);
            Ok(crate::exit::OK)
        }
        SkillsAction::Check { name, json } => {
            let status = status(config, Some(name))?;
            print_list(&status, *json);
            let offered = status.skills.iter().any(|s| s.eligible);
            Ok(if offered {
                crate::exit::OK
            } else {
                crate::exit::FAILURE
            })
        }
        SkillsAction::Install {
            source,
            force,
            json,
        } => install(config, source, *force, *json),
    }
}

/// The gateway's answer, else the same computed from the folders.
fn status(config: Option<&Path>, name: Option<&str>) -> Result<SkillsStatus, CliError> {
    match GatewayClient::discover(config) {
        Ok(client) => {
            let path = match name {
                Some(name) => format!("/admin/skills?name={}", encode(name)),
                None => "/admin/skills".to_string(),
            };
            block_on(async { client.get::<SkillsStatus>(&path).await })?
        }
        Err(CliError::NotRunning(_)) => {
            let (paths, loaded) = load_local(config)?;
            let inputs = SkillInputs::from_config(&loaded.config, &paths.state_dir);
            let snapshot = load(&inputs, 1);
            report(&snapshot, &inputs.roots, name).map_err(|e| CliError::Usage(e.to_string()))
        }
        Err(error) => Err(error),
    }
}

fn load_local(config: Option<&Path>) -> Result<(Paths, crate::config::LoadedConfig), CliError> {
    let paths = Paths::resolve(config)?;
    let options = GatewayOptions {
        config_path: config.map(Path::to_path_buf),
        ..GatewayOptions::default()
    };
    let loaded = load_config(&paths, &options)?;
    Ok((paths, loaded))
}

fn print_list(status: &SkillsStatus, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(status).unwrap_or_default()
        );
        return;
    }
    let count = status.skills.len();
    println!(
        "{count} skill{}, {} offered to the model (list version {})",
        if count == 1 { "" } else { "s" },
        status.eligible,
        status.version
    );
    for skill in &status.skills {
        let mark = if skill.eligible { "ok" } else { "--" };
        let emoji = skill.emoji.as_deref().unwrap_or(" ");
        println!(
            "{mark} {emoji} {:<28} {:<9} {}",
            skill.name, skill.source, skill.path
        );
        if !skill.description.is_empty() {
            println!("       {}", skill.description);
        }
        if let Some(reason) = &skill.reason {
            println!("       not offered: {reason}");
        }
    }
    if status.skills.is_empty() {
        for source in &status.sources {
            println!("   (no skill in {} source {})", source.source, source.dir);
        }
    }
}

fn install(config: Option<&Path>, source: &str, force: bool, json: bool) -> Result<i32, CliError> {
    let paths = Paths::resolve(config)?;
    let managed = managed_dir(&paths.state_dir);
    if source.starts_with("http://") {
        eprintln!(
            "warning: {source} is fetched without TLS: anyone on the way can change what is installed"
        );
    }
    let done = if source.starts_with("http://") || source.starts_with("https://") {
        block_on(install_url(source, &managed, force))?
    } else {
        install_file(Path::new(source), &managed, force)
    };
    let installed = match done {
        Ok(installed) => installed,
        Err(error @ InstallError::Exists { .. }) => return Err(CliError::Usage(error.to_string())),
        Err(error) => {
            eprintln!("pincer skills install: {error}");
            return Ok(crate::exit::FAILURE);
        }
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&installed).unwrap_or_default()
        );
    } else {
        println!(
            "installed skill {} ({} files) in {}{}",
            installed.name,
            installed.files,
            installed.dir.display(),
            if installed.replaced {
                ", replacing the one there"
            } else {
                ""
            }
        );
        println!("  {}", installed.description);
        println!(
            "A running gateway lists it within skills.load.pollIntervalMs; check it with `pincer skills check {}`.",
            installed.name
        );
    }
    Ok(crate::exit::OK)
}
