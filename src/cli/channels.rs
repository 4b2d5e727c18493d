//! `pincer channels [--json]`: the running gateway's channels (link, counters) and its inbound
//! journal, from `channels.status` ([`crate::api::channels`]).

use std::path::Path;

use super::client::{block_on, GatewayClient};
use super::{CliError, JsonArgs};
use crate::api::ChannelStats;

pub fn run(config: Option<&Path>, args: &JsonArgs) -> Result<i32, CliError> {
    let client = GatewayClient::discover(config)?;
    let stats: ChannelStats = block_on(client.get("/admin/channels"))??;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&stats).unwrap_or_default()
        );
        return Ok(crate::exit::OK);
    }
    if stats.channels.is_empty() {
        println!("no channel is enabled");
    }
    for (name, figures) in &stats.channels {
        let health = if figures.healthy {
            "healthy"
        } else {
            "UNHEALTHY"
        };
        println!("{name:<10} {health}: {}", figures.link);
        let counters: Vec<String> = figures
            .counters
            .iter()
            .map(|(counter, value)| format!("{counter} {value}"))
            .collect();
        if !counters.is_empty() {
            println!("           {}", counters.join(", "));
        }
    }
    let journal = &stats.journal;
    println!(
        "journal    {} pending, {} appended, {} duplicates, {} bytes, {} write errors",
        journal.pending,
        journal.appended,
        journal.duplicates,
        journal.file_bytes,
        journal.write_errors
    );
    Ok(crate::exit::OK)
}
