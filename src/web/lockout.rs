//! Failed-authentication lockout: after `max_attempts` failures within `window` from one client,
//! that client is refused for `lockout`, even with the right credential.
//!
//! Clients are keyed by IP address, except that browser requests from loopback (those with an
//! `Origin`) share one bucket: a web page on any site can make a victim's browser call
//! `127.0.0.1`, which is how loopback brute force against OpenClaw worked, and keying by the
//! `Origin` string gave a page that rotates sub-domains (or registrable domains: free dynamic-DNS
//! suffixes are public suffixes) a fresh budget per name. One bucket cannot be rotated around.
//! Its cost, that one page's failures also lock out the owner's Control UI on loopback, is small:
//! only origins the gateway admits ([`super::origin`]) get as far as a credential check.
//! Plain loopback clients (the CLI, scripts) are exempt when `exemptLoopback` is on, so that a
//! typo in a local script cannot lock the owner out.
//! The table is bounded: once large, entries with no recent activity are dropped.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use dashmap::DashMap;

use crate::config::AuthRateLimit;

/// The one key of every browser request from loopback, whatever its `Origin`.
pub(crate) const LOOPBACK_BROWSERS: &str = "browsers on loopback";

/// Above this many tracked clients, idle entries are pruned on the next failure.
const PRUNE_ABOVE: usize = 4096;

/// The policy, in durations.
#[derive(Debug, Clone, Copy)]
pub struct LockoutPolicy {
    pub max_attempts: u32,
    pub window: Duration,
    pub lockout: Duration,
    pub exempt_loopback: bool,
}

impl From<&AuthRateLimit> for LockoutPolicy {
    fn from(config: &AuthRateLimit) -> Self {
        LockoutPolicy {
            max_attempts: config.max_attempts.max(1),
            window: Duration::from_millis(config.window_ms),
            lockout: Duration::from_millis(config.lockout_ms),
            exempt_loopback: config.exempt_loopback,
        }
    }
}

#[derive(Debug, Default)]
struct Record {
    failures: VecDeque<Instant>,
    locked_until: Option<Instant>,
}

/// The per-client failure table.
#[derive(Debug)]
pub(crate) struct Lockout {
    policy: LockoutPolicy,
    clients: DashMap<String, Record>,
}

impl Lockout {
    pub(crate) fn new(policy: LockoutPolicy) -> Self {
        Lockout {
            policy,
            clients: DashMap::new(),
        }
    }

    /// The key a request is tracked under, or `None` when it is exempt.
    pub(crate) fn client_key(&self, peer: Option<IpAddr>, origin: Option<&str>) -> Option<String> {
        let loopback = peer.is_some_and(|ip| ip.is_loopback());
        match (loopback, origin) {
            (true, Some(_origin)) => Some(LOOPBACK_BROWSERS.to_string()),
            (true, None) if self.policy.exempt_loopback => None,
            _ => Some(match peer {
                Some(ip) => format!("ip {ip}"),
                None => "ip unknown".to_string(),
            }),
        }
    }

    /// How long `key` remains locked out, if it is.
    pub(crate) fn locked_for(&self, key: &str, now: Instant) -> Option<Duration> {
        let record = self.clients.get(key)?;
        let until = record.locked_until?;
        (until > now).then(|| until - now)
    }

    /// Counts a failure; returns the lockout duration if this failure starts one.
    pub(crate) fn record_failure(&self, key: &str, now: Instant) -> Option<Duration> {
        if self.clients.len() > PRUNE_ABOVE {
            self.prune(now);
        }
        let mut record = self.clients.entry(key.to_string()).or_default();
        while record
            .failures
            .front()
            .is_some_and(|&at| now.saturating_duration_since(at) > self.policy.window)
        {
            record.failures.pop_front();
        }
        record.failures.push_back(now);
        if record.failures.len() >= self.policy.max_attempts as usize {
            record.failures.clear();
            record.locked_until = Some(now + self.policy.lockout);
            return Some(self.policy.lockout);
        }
        None
    }

    fn prune(&self, now: Instant) {
        let horizon = self.policy.window.max(self.policy.lockout);
        self.clients.retain(|_, record| {
            let locked = record.locked_until.is_some_and(|until| until > now);
            let recent = record
                .failures
                .back()
                .is_some_and(|&at| now.saturating_duration_since(at) <= horizon);
            locked || recent
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn policy() -> LockoutPolicy {
        LockoutPolicy {
            max_attempts: 10,
            window: Duration::from_secs(60),
            lockout: Duration::from_secs(300),
            exempt_loopback: true,
        }
    }

    #[test]
    fn ten_failures_in_a_minute_lock_for_five_minutes() {
        let lockout = Lockout::new(policy());
        let t0 = Instant::now();
        for i in 0..9 {
            assert_eq!(
                lockout.record_failure("ip 10.0.0.1", t0 + Duration::from_secs(i)),
                None
            );
        }
        assert_eq!(lockout.locked_for("ip 10.0.0.1", t0), None);
        let locked = lockout.record_failure("ip 10.0.0.1", t0 + Duration::from_secs(9));
        assert_eq!(locked, Some(Duration::from_secs(300)));
        let left = lockout
            .locked_for("ip 10.0.0.1", t0 + Duration::from_secs(10))
            .expect("locked");
        assert_eq!(left, Duration::from_secs(299));
        assert_eq!(
            lockout.locked_for("ip 10.0.0.2", t0),
            None,
            "other clients are unaffected"
        );
        assert_eq!(
            lockout.locked_for("ip 10.0.0.1", t0 + Duration::from_secs(310)),
            None
        );
    }

    #[test]
    fn rotating_origins_from_loopback_share_one_budget() {
        let lockout = Lockout::new(policy());
        let local = Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
        let t0 = Instant::now();
        let mut started = None;
        for i in 0..10u64 {
            let origin = format!("https://a{i}.evil.example");
            let key = lockout.client_key(local, Some(&origin)).expect("tracked");
            started = started.or(lockout.record_failure(&key, t0 + Duration::from_secs(i)));
        }
        assert_eq!(started, Some(Duration::from_secs(300)));
        for origin in [
            "https://fresh.evil.example",
            "https://other.example",
            "null",
        ] {
            let key = lockout.client_key(local, Some(origin)).expect("tracked");
            assert!(
                lockout
                    .locked_for(&key, t0 + Duration::from_secs(11))
                    .is_some(),
                "{origin} must be locked out too"
            );
        }
    }

    #[test]
    fn failures_spread_beyond_the_window_do_not_lock() {
        let lockout = Lockout::new(policy());
        let t0 = Instant::now();
        for i in 0..30 {
            assert_eq!(
                lockout.record_failure("k", t0 + Duration::from_secs(i * 7)),
                None
            );
        }
    }

    #[test]
    fn loopback_is_exempt_only_without_a_browser_origin() {
        let lockout = Lockout::new(policy());
        let local = Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert_eq!(lockout.client_key(local, None), None);
        assert_eq!(
            lockout
                .client_key(local, Some("https://evil.example"))
                .as_deref(),
            Some(LOOPBACK_BROWSERS)
        );
        let remote_browser = Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 8)));
        assert_eq!(
            lockout
                .client_key(remote_browser, Some("https://evil.example"))
                .as_deref(),
            Some("ip 192.0.2.8"),
            "a remote browser is keyed by its address"
        );
        let remote = Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)));
        assert_eq!(
            lockout.client_key(remote, None).as_deref(),
            Some("ip 192.0.2.7")
        );

        let strict = Lockout::new(LockoutPolicy {
            exempt_loopback: false,
            ..policy()
        });
        assert_eq!(
            strict.client_key(local, None).as_deref(),
            Some("ip 127.0.0.1")
        );
    }
}
