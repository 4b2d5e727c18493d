//! `pincer doctor [--json] [--fix]`: diagnoses the installation ([`crate::ops::doctor`]) and
//! prints the report, readable text or JSON.
//!
//! Works with no gateway, no config file, or a broken one. With `--fix` the safe repairs are
//! made and the installation is diagnosed again, so the printed issues are those that remain.
//! Exit 1 while an `error` issue remains.

use std::path::Path;

use super::{CliError, DoctorArgs};
use crate::ops::doctor::{diagnose, repair, DiagnosticsReport};
use crate::ops::doctor_checks::IssueSeverity;
use crate::ops::units::{bytes, duration, maybe_bytes};
use crate::paths::Paths;

pub fn run(config_path: Option<&Path>, args: &DoctorArgs) -> Result<i32, CliError> {
    let paths = Paths::resolve(config_path)?;
    let mut report = diagnose(&paths, config_path);
    if args.fix {
        let outcome = repair(&report);
        report = diagnose(&paths, config_path);
        report.fixed = outcome.fixed;
        report.fix_failures = outcome.failed;
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        print_report(&report, args.fix);
    }
    Ok(if report.has_errors() {
        crate::exit::FAILURE
    } else {
        crate::exit::OK
    })
}

fn print_report(report: &DiagnosticsReport, fix: bool) {
    let system = &report.system;
    println!(
        "pincer doctor {} ({})",
        system.pincer_version, report.timestamp
    );
    println!();
    println!(
        "system    {} {} (kernel {}), host {}, up {}",
        system.platform,
        system.arch,
        system.release,
        system.hostname,
        duration(system.uptime)
    );
    println!(
        "          {} CPUs, load {:.2} {:.2} {:.2}, memory {} available of {}",
        system.cpu_count,
        system.load_average[0],
        system.load_average[1],
        system.load_average[2],
        bytes(system.free_memory),
        bytes(system.total_memory)
    );
    match &report.process.gateway {
        Some(g) if g.running => println!(
            "gateway   running: pid {}, {}, version {}, RSS {}, {} threads",
            g.pid,
            g.url,
            g.version,
            maybe_bytes(g.rss_bytes),
            g.threads.map_or("-".to_string(), |t| t.to_string())
        ),
        Some(g) => println!(
            "gateway   not running (stale gateway.json names pid {})",
            g.pid
        ),
        None => println!("gateway   not running"),
    }
    let addresses: Vec<String> = report
        .network
        .addresses
        .iter()
        .map(|a| format!("{} {}/{}", a.name, a.address, a.prefix))
        .collect();
    println!(
        "network   {}",
        if addresses.is_empty() {
            "no IPv4 address beyond loopback".to_string()
        } else {
            addresses.join(", ")
        }
    );
    print_storage(report);
    let models: Vec<String> = report
        .models
        .iter()
        .map(|m| {
            format!(
                "{} ({})",
                m.model,
                if m.usable { "ok" } else { "not configured" }
            )
        })
        .collect();
    println!("models    {}", models.join(" -> "));
    let tools = &report.tools;
    println!(
        "exec      {}",
        match (tools.exec_sandbox, tools.landlock_abi) {
            (false, _) => "unconfined (tools.exec.sandbox is false)".to_string(),
            (true, Some(abi)) =>
                format!("confined by Landlock (ABI v{abi}): writes only in the workspace"),
            (true, None) => "unconfined: this kernel has no Landlock".to_string(),
        }
    );
    println!(
        "sandbox   {} sessions get: {}",
        serde_json::to_value(tools.sandbox_mode)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default(),
        tools.sandboxed_tools.join(", ")
    );
    println!();
    for line in &report.fixed {
        println!("fixed: {line}");
    }
    for line in &report.fix_failures {
        println!("could not fix: {line}");
    }
    if !report.fixed.is_empty() || !report.fix_failures.is_empty() {
        println!();
    }
    for issue in &report.issues {
        println!(
            "[{}] {}  ({}, {})",
            issue.severity.label(),
            issue.title,
            issue.category,
            issue.id
        );
        println!("  {}", issue.description);
        println!("  recommendation: {}", issue.recommendation);
        if let (Some(repair), false) = (&issue.fix, fix) {
            println!("  `pincer doctor --fix` would: {}", repair.describe());
        }
        println!();
    }
    if report.issues.is_empty() {
        println!("no issues found");
    } else {
        let count = |severity: IssueSeverity| {
            report
                .issues
                .iter()
                .filter(|i| i.severity == severity)
                .count()
        };
        println!(
            "{} error, {} warning, {} info",
            count(IssueSeverity::Error),
            count(IssueSeverity::Warning),
            count(IssueSeverity::Info)
        );
    }
}

fn print_storage(report: &DiagnosticsReport) {
    let storage = &report.storage;
    let state = |exists: bool, mode: Option<u32>| match (exists, mode) {
        (false, _) => "missing".to_string(),
        (true, Some(mode)) => format!("mode {mode:04o}"),
        (true, None) => "present".to_string(),
    };
    println!(
        "config    {} ({})",
        storage.config_file.display(),
        if storage.config_exists {
            state(true, storage.config_mode)
        } else {
            "not found: zero-config defaults".to_string()
        }
    );
    println!(
        "state     {} ({})",
        storage.state_dir.display(),
        state(storage.state_dir_exists, storage.state_dir_mode)
    );
    println!(
        "token     {} ({})",
        storage.token_file.display(),
        state(storage.token_file_exists, storage.token_file_mode)
    );
    println!(
        "workspace {} ({})",
        storage.workspace.display(),
        state(storage.workspace_exists, None)
    );
    if let Some(disk) = &storage.disk {
        println!(
            "disk      {} free of {} on {}",
            bytes(disk.available_bytes),
            bytes(disk.total_bytes),
            disk.mount_point.display()
        );
    }
}
