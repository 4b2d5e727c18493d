//! This machine's IPv4 addresses for the doctor's report (the seed's `getNetworkInfo`): the
//! non-internal ones, i.e. what a `lan` bind would listen on.
//!
//! `sysinfo` lists interfaces with their addresses and MAC; where it finds none (some
//! containers), the output of `ip -4 -o addr` is parsed instead. Nothing here fails: no source
//! means an empty list.

use std::net::Ipv4Addr;

use serde::Serialize;
use sysinfo::Networks;

/// One address of one interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NetworkAddress {
    /// Interface name, e.g. `eth0`.
    pub name: String,
    pub address: String,
    pub prefix: u8,
    /// Always `IPv4` (kept for the seed's shape).
    pub family: &'static str,
    /// MAC address, when known.
    pub mac: Option<String>,
}

/// The non-loopback IPv4 addresses of this machine, sorted by interface and address.
pub(crate) fn ipv4_addresses() -> Vec<NetworkAddress> {
    let mut found = from_sysinfo();
    if found.is_empty() {
        found = std::process::Command::new("ip")
            .args(["-4", "-o", "addr"])
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| parse_ip_addr(&String::from_utf8_lossy(&out.stdout)))
            .unwrap_or_default();
    }
    found.sort_by(|a, b| (&a.name, &a.address).cmp(&(&b.name, &b.address)));
    found
}

fn from_sysinfo() -> Vec<NetworkAddress> {
    let Ok(networks) = Networks::new_with_refreshed_list() else {
        return Vec::new();
    };
    networks
        .iter()
        .flat_map(|(name, data)| {
            let mac = data.mac_address().to_string();
            data.ip_networks()
                .iter()
                .filter_map(move |network| match network.addr {
                    std::net::IpAddr::V4(ip) if !ip.is_loopback() => Some(NetworkAddress {
                        name: name.to_string_lossy().into_owned(),
                        address: ip.to_string(),
                        prefix: network.prefix,
                        family: "IPv4",
                        mac: Some(mac.clone()).filter(|m| m != "00:00:00:00:00:00"),
                    }),
                    _ => None,
                })
        })
        .collect()
}

/// Parses `ip -4 -o addr` lines (`2: eth0    inet 10.0.0.5/24 brd ... scope global eth0`).
pub(crate) fn parse_ip_addr(text: &str) -> Vec<NetworkAddress> {
    text.lines()
        .filter_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let inet = words.iter().position(|w| *w == "inet")?;
            let name = words.get(1)?.trim_end_matches(':');
            let (address, prefix) = words.get(inet + 1)?.split_once('/')?;
            let ip: Ipv4Addr = address.parse().ok()?;
            (!ip.is_loopback()).then(|| NetworkAddress {
                name: name.to_string(),
                address: ip.to_string(),
                prefix: prefix.parse().unwrap_or(32),
                family: "IPv4",
                mac: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_output_is_parsed_without_loopback() {
        let text = "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever\n\
                    4: eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0\\       valid_lft forever\n\
                    garbage line\n";
        let found = parse_ip_addr(text);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].name, "eth0");
        assert_eq!(found[0].address, "192.0.2.2");
        assert_eq!(found[0].prefix, 24);
    }

    #[test]
    fn listing_never_fails_and_skips_loopback() {
        for address in ipv4_addresses() {
            assert!(!address.address.starts_with("127."), "{address:?}");
        }
    }
}
