//! Turning `gateway.bind` into an address to listen on.

use std::net::{IpAddr, Ipv4Addr};
use std::process::Command;

use crate::config::Bind;

#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error("gateway.bind is \"tailnet\" but the Tailscale address could not be read (`tailscale ip -4`): {0}; install and log in to Tailscale, or use bind \"loopback\"")]
    Tailscale(String),
}

/// The IP address for a bind mode. `tailnet` asks the Tailscale CLI for this node's IPv4 address.
pub(crate) fn resolve(bind: Bind) -> Result<IpAddr, BindError> {
    match bind {
        Bind::Loopback => Ok(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        Bind::Lan => Ok(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        Bind::Tailnet => tailscale_ipv4(),
    }
}

fn tailscale_ipv4() -> Result<IpAddr, BindError> {
    let output = Command::new("tailscale")
        .args(["ip", "-4"])
        .output()
        .map_err(|e| BindError::Tailscale(e.to_string()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(BindError::Tailscale(stderr.trim().to_string()));
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.trim().parse::<IpAddr>().ok())
        .ok_or_else(|| BindError::Tailscale("no IPv4 address in its output".into()))
}

/// The address a local client should use to reach a listener on `ip`.
pub(crate) fn local_connect_ip(ip: IpAddr) -> IpAddr {
    if ip.is_unspecified() {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        ip
    }
}
