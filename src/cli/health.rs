//! `pincer health`: liveness and readiness of the running gateway.

use serde_json::json;

use super::client::{block_on, GatewayClient};
use super::{CliError, HealthArgs};

/// Prints the probes; the exit code is 0 when ready, 1 when live but not ready.
pub fn run(config: Option<&std::path::Path>, args: &HealthArgs) -> Result<i32, CliError> {
    let client = GatewayClient::discover(config)?;
    let (live, ready) = block_on(async {
        let live = client.get("/healthz").await?;
        let ready = client.get("/readyz").await?;
        Ok::<_, CliError>((live, ready))
    })??;
    let is_ready = ready.status == 200;
    if args.json {
        let report = json!({
            "url": client.url,
            "pid": client.pid,
            "live": live.status == 200,
            "ready": is_ready,
            "readyz": ready.body,
        });
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
        for problem in ready.body["notReady"].as_array().into_iter().flatten() {
            println!("  - {}", problem.as_str().unwrap_or_default());
        }
    }
    Ok(if is_ready {
        crate::exit::OK
    } else {
        crate::exit::FAILURE
    })
}
