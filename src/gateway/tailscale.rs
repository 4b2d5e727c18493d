//! `gateway.tailscale.mode`: publishing the loopback listener through Tailscale.
//!
//! `serve` makes the gateway reachable over HTTPS inside the owner's tailnet, `funnel` on the public
//! internet (validation requires password auth for it, and loopback bind plus auth for both). Both
//! are set with the Tailscale CLI in background mode (`--bg`), which returns once the configuration
//! is in place; `resetOnExit` clears it again (`tailscale serve reset`) when the gateway stops, so a
//! stopped gateway does not leave a dangling public URL.

use std::process::Command;

use tracing::{info, warn};

use crate::config::{Tailscale, TailscaleMode};

#[derive(Debug, thiserror::Error)]
#[error("gateway.tailscale.mode is \"{mode}\" but `tailscale {mode} --bg` failed: {reason}; check that tailscaled runs and this node is logged in (`tailscale status`)")]
pub struct TailscaleError {
    mode: &'static str,
    reason: String,
}

/// An active Serve/Funnel configuration; reset on drop when `resetOnExit` is set.
#[derive(Debug)]
pub(crate) struct Exposure {
    mode: &'static str,
    reset_on_exit: bool,
}

/// Publishes `http://127.0.0.1:<port>` as configured; `None` when the mode is `off`.
pub(crate) fn expose(config: &Tailscale, port: u16) -> Result<Option<Exposure>, TailscaleError> {
    let mode = match config.mode {
        TailscaleMode::Off => return Ok(None),
        TailscaleMode::Serve => "serve",
        TailscaleMode::Funnel => "funnel",
    };
    let target = format!("http://127.0.0.1:{port}");
    let output = Command::new("tailscale")
        .args([mode, "--bg", "--yes", &target])
        .output()
        .map_err(|e| TailscaleError {
            mode,
            reason: e.to_string(),
        })?;
    if !output.status.success() {
        return Err(TailscaleError {
            mode,
            reason: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    info!(mode, %target, "published through Tailscale");
    Ok(Some(Exposure {
        mode,
        reset_on_exit: config.reset_on_exit,
    }))
}

/// This node's MagicDNS name (`Self.DNSName` of `tailscale status --json`, without the final
/// dot): the host of the `https://` origin Serve and Funnel publish the Control UI under.
pub(crate) fn dns_name() -> Result<String, String> {
    let output = Command::new("tailscale")
        .args(["status", "--json"])
        .output()
        .map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).trim().to_string());
    }
    let status: serde_json::Value =
        serde_json::from_slice(&output.stdout).map_err(|e| format!("not JSON: {e}"))?;
    status["Self"]["DNSName"]
        .as_str()
        .map(|name| name.trim_end_matches('.').to_string())
        .filter(|name| !name.is_empty())
        .ok_or_else(|| "no Self.DNSName in its output".to_string())
}

impl Drop for Exposure {
    fn drop(&mut self) {
        if !self.reset_on_exit {
            return;
        }
        match Command::new("tailscale").args(["serve", "reset"]).output() {
            Ok(output) if output.status.success() => {
                info!(mode = self.mode, "Tailscale configuration reset")
            }
            Ok(output) => warn!(
                mode = self.mode,
                error = %String::from_utf8_lossy(&output.stderr).trim(),
                "could not reset the Tailscale configuration; run `tailscale serve reset`"
            ),
            Err(error) => warn!(mode = self.mode, %error, "could not run `tailscale serve reset`"),
        }
    }
}
