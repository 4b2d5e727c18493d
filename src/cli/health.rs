//! `pincer health`: liveness and readiness of the running gateway, from its probes (their answers
//! are the operator API's [`Live`] and [`Ready`]).

use serde::Serialize;

use super::client::{block_on, GatewayClient};
use super::{CliError, HealthArgs};
use crate::api::{Live, Ready};

/// What `--json` prints.
#[derive(Serialize)]
struct Report<'a> {
    url: &'a str,
    pid: u32,
    live: bool,
    ready: bool,
    readyz: &'a Ready,
}

/// Prints the probes; the exit code is 0 when ready, 1 when live but not ready.
pub fn run(config: Option<&std::path::Path>, args: &HealthArgs) -> Result<i32, CliError> {
    let client = GatewayClient::discover(config)?;
    let ((live, _), (ready_status, ready)) = block_on(async {
        let live = client.probe::<Live>("/healthz").await?;
        let ready = client.probe::<Ready>("/readyz").await?;
        Ok::<_, CliError>((live, ready))
    })??;
    let is_ready = ready_status == 200;
    if args.json {
        let report = Report {
            url: &client.url,
            pid: client.pid,
            live: live == 200,
            ready: is_ready,
            readyz: &ready,
        };
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else if is_ready {
        println!("gateway {} (pid {}): live, ready", client.url, client.pid);
    } else {
        println!(
            "gateway {} (pid {}): live, NOT ready",
            client.url, client.pid
        );
        for problem in &ready.not_ready {
            println!("  - {problem}");
        }
    }
    Ok(if is_ready {
        crate::exit::OK
    } else {
        crate::exit::FAILURE
    })
}
