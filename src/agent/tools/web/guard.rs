//! Which addresses `web_fetch` may reach: public ones only, unless configured otherwise.
//!
//! A page the model fetched (or a prompt it read) could point it at the local network: the
//! router's admin page, a cloud metadata endpoint, the gateway itself. So loopback, private,
//! link-local, carrier-grade NAT, multicast, documentation and reserved ranges are refused,
//! including IPv4 addresses embedded in IPv6 (mapped, NAT64). `tools.webFetch.allowPrivate`
//! lifts the rule; `tools.webFetch.allowHosts` lifts it for named hosts.
//!
//! The check happens where the connection is made: [`GuardedResolver`] filters what DNS
//! returns (so a name that resolves to a public address for the check and a private one for the
//! connection, DNS rebinding, gains nothing), and URLs with literal IP hosts, which skip DNS,
//! are checked by [`AddressPolicy::check_url`] before the request and on every redirect.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;

/// The address rule.
#[derive(Debug, Clone, Default)]
pub(crate) struct AddressPolicy {
    pub allow_private: bool,
    /// Lower-case host names or IP literals.
    pub allow_hosts: Vec<String>,
}

impl AddressPolicy {
    pub(crate) fn new(allow_private: bool, allow_hosts: &[String]) -> Self {
        AddressPolicy {
            allow_private,
            allow_hosts: allow_hosts
                .iter()
                .map(|h| h.trim().trim_matches(['[', ']']).to_ascii_lowercase())
                .collect(),
        }
    }

    /// Whether `host` may resolve to any address.
    fn host_exempt(&self, host: &str) -> bool {
        let host = host.trim_matches(['[', ']']).to_ascii_lowercase();
        self.allow_private || self.allow_hosts.contains(&host)
    }

    /// The scheme and, for literal IP hosts, the address of `url`.
    pub(crate) fn check_url(&self, url: &Url) -> Result<(), String> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "only http and https URLs can be fetched, not {url}"
            ));
        }
        let host = url.host_str().ok_or_else(|| format!("{url} has no host"))?;
        if self.host_exempt(host) {
            return Ok(());
        }
        if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
            if !is_public(ip) {
                return Err(refusal(host, ip));
            }
        }
        Ok(())
    }

    /// The addresses of `host` this policy lets through, or why none.
    pub(crate) fn filter(
        &self,
        host: &str,
        addrs: Vec<SocketAddr>,
    ) -> Result<Vec<SocketAddr>, String> {
        if self.host_exempt(host) {
            return Ok(addrs);
        }
        let first_refused = addrs.iter().find(|a| !is_public(a.ip())).copied();
        let public: Vec<SocketAddr> = addrs.into_iter().filter(|a| is_public(a.ip())).collect();
        match (public.is_empty(), first_refused) {
            (false, _) => Ok(public),
            (true, Some(refused)) => Err(refusal(host, refused.ip())),
            (true, None) => Err(format!("{host} has no address")),
        }
    }
}

fn refusal(host: &str, ip: IpAddr) -> String {
    format!(
        "{host} is {ip}, a loopback, private or reserved address; refused (allow it with \
         tools.webFetch.allowHosts or allowPrivate)"
    )
}

/// Whether `ip` is a public unicast address.
pub(crate) fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || a >= 240
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19)))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let segments = ip.segments();
    if segments[0] == 0x64 && segments[1] == 0xff9b {
        let [.., a, b, c, d] = ip.octets();
        return is_public_v4(Ipv4Addr::new(a, b, c, d));
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00
        || (segments[0] & 0xffc0) == 0xfe80
        || (segments[0] == 0x2001 && segments[1] == 0x0db8)
        || segments[..6].iter().all(|s| *s == 0))
}

/// The system resolver, filtered by an [`AddressPolicy`].
pub(crate) struct GuardedResolver {
    pub policy: Arc<AddressPolicy>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = Arc::clone(&self.policy);
        let host = name.as_str().to_string();
        Box::pin(async move {
            let lookup = host.clone();
            let addrs = tokio::task::spawn_blocking(move || {
                (lookup.as_str(), 0)
                    .to_socket_addrs()
                    .map(|found| found.collect::<Vec<_>>())
            })
            .await??;
            let allowed = policy.filter(&host, addrs)?;
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_pass() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "64:ff9b::a00:1",
            "::",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "1.1.1.1",
            "93.184.216.34",
            "2606:4700:4700::1111",
            "64:ff9b::101:101",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn urls_and_resolved_addresses_are_checked_unless_allowed() {
        let strict = AddressPolicy::new(false, &[]);
        let url = |u: &str| Url::parse(u).unwrap();
        assert!(strict
            .check_url(&url("http://127.0.0.1:8080/"))
            .unwrap_err()
            .contains("refused"));
        assert!(strict.check_url(&url("http://[::1]/")).is_err());
        assert!(strict
            .check_url(&url("file:///etc/passwd"))
            .unwrap_err()
            .contains("http"));
        assert!(strict.check_url(&url("https://example.com/")).is_ok());
        let local: SocketAddr = "127.0.0.1:80".parse().unwrap();
        let public: SocketAddr = "1.1.1.1:80".parse().unwrap();
        assert!(strict.filter("localhost", vec![local]).is_err());
        assert_eq!(
            strict.filter("mixed", vec![local, public]),
            Ok(vec![public])
        );

        let allowed = AddressPolicy::new(false, &["127.0.0.1".into(), "NAS.local".into()]);
        assert!(allowed.check_url(&url("http://127.0.0.1:8080/")).is_ok());
        assert!(allowed.filter("nas.local", vec![local]).is_ok());
        assert!(allowed.check_url(&url("http://10.0.0.1/")).is_err());
        let open = AddressPolicy::new(true, &[]);
        assert!(open.check_url(&url("http://10.0.0.1/")).is_ok());
    }
}
