//! `pincer security audit [--json]`: audits the effective config and the state directory
//! ([`crate::ops::audit`]) and prints one block per finding, most severe first.
//!
//! The config is loaded exactly as the gateway loads it (file, environment, validation), so an
//! invalid config stops here with exit 78 like the gateway would. Exit 1 when any finding is
//! critical, so the audit can gate a deployment script.

use std::path::Path;

use super::{CliError, SecurityAction};
use crate::config::{load_config, GatewayOptions};
use crate::ops::audit::{audit, AuditReport, FileFacts};
use crate::paths::Paths;

pub fn run(config_path: Option<&Path>, action: &SecurityAction) -> Result<i32, CliError> {
    let SecurityAction::Audit { json } = action;
    let paths = Paths::resolve(config_path)?;
    let options = GatewayOptions {
        config_path: config_path.map(Path::to_path_buf),
        ..GatewayOptions::default()
    };
    let loaded = load_config(&paths, &options)?;
    let report = audit(&loaded.config, &FileFacts::read(&paths, &loaded.config));
    if *json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        print_report(&report);
    }
    Ok(if report.has_critical() {
        crate::exit::FAILURE
    } else {
        crate::exit::OK
    })
}

/// Prints the findings, most severe first, and the counts (also used by `pincer onboard`).
pub(crate) fn print_report(report: &AuditReport) {
    println!("security audit of {}", report.config_file.display());
    println!("             and {}", report.state_dir.display());
    println!();
    for finding in &report.findings {
        println!(
            "[{}] {}  ({})",
            finding.severity.label(),
            finding.title,
            finding.check_id
        );
        println!("  {}", finding.description);
        println!("  fix: {}", finding.recommendation);
        println!();
    }
    let summary = report.summary;
    if report.findings.is_empty() {
        println!("no findings: the configuration and the state directory look secure");
    } else {
        println!(
            "{} critical, {} warning, {} info",
            summary.critical, summary.warning, summary.info
        );
    }
}
