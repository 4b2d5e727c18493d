//! `pincer tools list [--session KEY] [--json]`: the tools a session gets and why, computed from
//! the config alone (the same [`ToolPolicy`] the gateway applies), so it works without a running
//! gateway and shows what a config change will do before a restart.

use std::path::Path;

use serde::Serialize;

use super::{CliError, ToolsAction};
use crate::agent::tools::exec::confinement;
use crate::agent::tools::policy::{group_of, ToolPolicy, BUILTIN_TOOLS};
use crate::agent::tools::workspace::Workspaces;
use crate::config::SandboxMode;
use crate::config::{load_config, GatewayOptions};
use crate::paths::Paths;
use crate::sessions::key;

/// One tool in the report.
#[derive(Debug, Serialize)]
struct Row {
    tool: &'static str,
    group: Option<&'static str>,
    summary: &'static str,
    allowed: bool,
    reason: String,
}

/// The whole report.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    session: String,
    sandboxed: bool,
    sandbox_mode: SandboxMode,
    workspace: String,
    exec_confinement: String,
    tools: Vec<Row>,
}

pub fn run(config: Option<&Path>, action: &ToolsAction) -> Result<i32, CliError> {
    let ToolsAction::List { session, json } = action;
    let session = session.clone().unwrap_or_else(|| key::MAIN.to_string());
    if !key::is_valid(&session) {
        return Err(CliError::Usage(format!("{session:?} is not a session key")));
    }
    let paths = Paths::resolve(config)?;
    let options = GatewayOptions {
        config_path: config.map(Path::to_path_buf),
        ..GatewayOptions::default()
    };
    let loaded = load_config(&paths, &options)?;
    let config = &loaded.config;
    let policy = ToolPolicy::from_config(config);
    let sandboxed = policy.sandboxed(&session);
    let workspaces = Workspaces::new(
        crate::config::workspace::workspace_dir(config, &paths.state_dir),
        &paths.state_dir,
        crate::agent::tools::walls::Walls::around(&paths),
    );
    let report = Report {
        sandboxed,
        sandbox_mode: policy.mode,
        workspace: workspaces
            .for_session(&session, sandboxed)
            .display()
            .to_string(),
        exec_confinement: confinement(config.tools.exec.sandbox).1,
        tools: BUILTIN_TOOLS
            .iter()
            .map(|(tool, summary)| {
                let decision = policy.decide(tool, sandboxed);
                Row {
                    tool,
                    group: group_of(tool),
                    summary,
                    allowed: decision.allowed,
                    reason: decision.reason,
                }
            })
            .collect(),
        session,
    };
    if *json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        print_text(&report);
    }
    Ok(crate::exit::OK)
}

fn print_text(report: &Report) {
    let mode = serde_json::to_value(report.sandbox_mode)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default();
    let kind = if report.sandboxed {
        "sandboxed"
    } else {
        "not sandboxed"
    };
    println!(
        "session     {} ({kind}; agents.defaults.sandbox.mode is \"{mode}\")",
        report.session
    );
    println!("workspace   {}", report.workspace);
    println!("exec        {}", report.exec_confinement);
    println!();
    println!("{:<18} {:<16} {:<4} WHY", "TOOL", "GROUP", "USE");
    for row in &report.tools {
        println!(
            "{:<18} {:<16} {:<4} {}",
            row.tool,
            row.group.unwrap_or("-"),
            if row.allowed { "yes" } else { "no" },
            row.reason
        );
    }
}
