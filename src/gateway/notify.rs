//! The systemd notify protocol: `READY=1` once the gateway listens and its tree runs, `WATCHDOG=1`
//! at half the watchdog interval but only while the tree is healthy (so a wedged gateway is
//! restarted by systemd), and `STOPPING=1` when shutdown begins. Without `NOTIFY_SOCKET` (not
//! under systemd) every call is a no-op.

use std::time::Duration;

use sd_notify::NotifyState;
use tracing::{debug, warn};

/// Tells the service manager that start-up is complete.
pub(crate) fn ready(status: &str) {
    send(&[NotifyState::Ready, NotifyState::Status(status)]);
}

/// Tells the service manager that shutdown has begun.
pub(crate) fn stopping() {
    send(&[NotifyState::Stopping, NotifyState::Status("stopping")]);
}

/// Keeps the watchdog fed.
pub(crate) fn watchdog() {
    send(&[NotifyState::Watchdog]);
}

/// Half the configured watchdog interval, if systemd expects pings. Follows
/// `sd_watchdog_enabled(3)`: `WATCHDOG_USEC` enables it, and `WATCHDOG_PID`, when set, must be
/// this process (the `sd-notify` crate also requires it to be set, which systemd's own C library
/// does not).
pub(crate) fn watchdog_period() -> Option<Duration> {
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.parse().ok()?;
    if let Ok(pid) = std::env::var("WATCHDOG_PID") {
        if pid.trim().parse::<u32>().ok()? != std::process::id() {
            return None;
        }
    }
    (usec > 0).then(|| Duration::from_micros(usec / 2))
}

fn send(states: &[NotifyState<'_>]) {
    if std::env::var_os("NOTIFY_SOCKET").is_none() {
        return;
    }
    match sd_notify::notify(false, states) {
        Ok(()) => debug!(?states, "notified the service manager"),
        Err(error) => warn!(%error, "could not notify the service manager"),
    }
}
