//! `pincer debug memory [--json]`: the running gateway's memory (the seed's `profileMemory`),
//! built by [`crate::ops::memory`] from `/proc/<pid>/status`, `/proc/<pid>/smaps_rollup`,
//! `/admin/actors?flat=1` and `/admin/metrics`.
//!
//! Exit 69 when no gateway runs (from [`GatewayClient::discover`]).

use std::path::Path;

use super::client::{block_on, GatewayClient};
use super::{CliError, DebugAction};
use crate::config::{load_config, GatewayOptions};
use crate::ops::memory::{MemoryProfile, ProfileInputs};
use crate::ops::procfs;
use crate::ops::units::{bytes, maybe_bytes};
use crate::paths::Paths;

pub fn run(config_path: Option<&Path>, action: &DebugAction) -> Result<i32, CliError> {
    let DebugAction::Memory { json } = action;
    let client = GatewayClient::discover(config_path)?;
    let paths = Paths::resolve(config_path)?;
    let options = GatewayOptions {
        config_path: config_path.map(Path::to_path_buf),
        ..GatewayOptions::default()
    };
    let config = load_config(&paths, &options)?.config;
    let (actors, metrics) = block_on(async {
        let actors: serde_json::Value = client.get("/admin/actors?flat=1").await?;
        let metrics: serde_json::Value = client.get("/admin/metrics").await?;
        Ok::<_, CliError>((actors, metrics))
    })??;
    let profile = MemoryProfile::build(ProfileInputs {
        pid: client.pid,
        url: &client.url,
        process: procfs::read_status(client.pid),
        smaps_rollup: procfs::read_smaps_rollup(client.pid),
        actors_flat: &actors,
        metrics,
        session_cache_size: config.agents.session_cache_size,
        memory_limit_mb: config.agents.memory_limit,
    });
    if *json {
        println!(
            "{}",
            serde_json::to_string_pretty(&profile).unwrap_or_default()
        );
    } else {
        print_profile(&profile);
    }
    Ok(crate::exit::OK)
}

fn print_profile(profile: &MemoryProfile) {
    println!("gateway   {} (pid {})", profile.url, profile.pid);
    let limit = profile
        .limit_usage()
        .map(|usage| {
            format!(
                ", {:.0}% of agents.memoryLimit ({} MB)",
                usage * 100.0,
                profile.memory_limit_mb
            )
        })
        .unwrap_or_default();
    println!("RSS       {}{limit}", maybe_bytes(profile.rss_bytes()));
    match &profile.process {
        Some(p) => {
            println!(
                "          peak {}, virtual {}, {} threads",
                maybe_bytes(p.vm_hwm_bytes),
                maybe_bytes(p.vm_size_bytes),
                p.threads.map_or("-".to_string(), |t| t.to_string())
            );
            println!(
                "          anonymous {}, file-backed {}, shared {}",
                maybe_bytes(p.rss_anon_bytes),
                maybe_bytes(p.rss_file_bytes),
                maybe_bytes(p.rss_shmem_bytes)
            );
        }
        None => println!(
            "          (/proc/{}/status is not readable here)",
            profile.pid
        ),
    }
    if let Some(s) = &profile.smaps_rollup {
        println!(
            "smaps     PSS {} (anonymous {}, file {}); private dirty {}, private clean {}, \
             shared {}; swap {}",
            maybe_bytes(s.pss_bytes),
            maybe_bytes(s.pss_anon_bytes),
            maybe_bytes(s.pss_file_bytes),
            maybe_bytes(s.private_dirty_bytes),
            maybe_bytes(s.private_clean_bytes),
            bytes(s.shared_clean_bytes.unwrap_or(0) + s.shared_dirty_bytes.unwrap_or(0)),
            maybe_bytes(s.swap_bytes)
        );
    }
    println!(
        "sessions  {} live (agents.sessionCacheSize {})",
        profile.sessions.live, profile.sessions.cache_size
    );
    println!("actors    {} in total", profile.actors.total);
    let states = ["running", "starting", "restarting", "stopped", "failed"];
    println!(
        "  {:<16}{}",
        "kind",
        states.map(|s| format!("{s:>11}")).concat()
    );
    for (kind, counts) in &profile.actors.by_kind {
        let cells: String = states
            .iter()
            .map(|state| format!("{:>11}", counts.get(*state).copied().unwrap_or(0)))
            .collect();
        println!("  {kind:<16}{cells}");
    }
}
