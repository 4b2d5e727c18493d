//! Session keys, in OpenClaw's shapes, so that transcripts and tooling line up with what users of
//! that system know: `agent:main:main` for the owner's main session, direct messages per
//! `session.dmScope`, groups per channel and group id.

use crate::config::DmScope;

/// The owner's main session.
pub(crate) const MAIN: &str = "agent:main:main";

/// The namespace of ephemeral sessions: kept in memory for one request, never stored.
const EPHEMERAL: &str = "agent:main:ephemeral:";

/// A new ephemeral session key (`/v1/chat/completions` without a session key): the store keeps
/// its turn in memory only and forgets it when its actor stops.
pub(crate) fn ephemeral() -> String {
    let mut bytes = [0u8; 12];
    if getrandom::fill(&mut bytes).is_err() {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        return format!("{EPHEMERAL}{:x}-{n}", crate::clock::now_ms());
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{EPHEMERAL}{hex}")
}

/// Whether `key` names an ephemeral session.
pub(crate) fn is_ephemeral(key: &str) -> bool {
    key.starts_with(EPHEMERAL)
}

/// Where a message came from, as much as the key needs.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    pub channel: &'a str,
    pub account: &'a str,
    pub peer: &'a str,
}

/// The session of a direct message under `scope`.
pub(crate) fn direct(scope: DmScope, origin: Origin<'_>) -> String {
    match scope {
        DmScope::Main => MAIN.to_string(),
        DmScope::PerPeer => format!("agent:main:direct:{}", origin.peer),
        DmScope::PerChannelPeer => format!("agent:main:{}:direct:{}", origin.channel, origin.peer),
        DmScope::PerAccountChannelPeer => format!(
            "agent:main:{}:{}:direct:{}",
            origin.channel, origin.account, origin.peer
        ),
    }
}

/// The session of group `group` on `channel`, as OpenClaw forms it: one per group, whoever
/// speaks in it (`agent:main:telegram:group:-1001234`).
pub(crate) fn group(channel: &str, group: &str) -> String {
    format!("agent:main:{channel}:group:{group}")
}

/// Whether `key` is acceptable from a client: non-empty, printable, no path separators, bounded,
/// and not an ephemeral session's (those are the gateway's to make).
pub(crate) fn is_valid(key: &str) -> bool {
    !key.is_empty()
        && !is_ephemeral(key)
        && key.len() <= 200
        && key
            .chars()
            .all(|c| !c.is_control() && c != '/' && c != '\\')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_dm_scope() {
        let origin = Origin {
            channel: "whatsapp",
            account: "default",
            peer: "+15551234567",
        };
        assert_eq!(direct(DmScope::Main, origin), "agent:main:main");
        assert_eq!(
            direct(DmScope::PerPeer, origin),
            "agent:main:direct:+15551234567"
        );
        assert_eq!(
            direct(DmScope::PerChannelPeer, origin),
            "agent:main:whatsapp:direct:+15551234567"
        );
        assert_eq!(
            direct(DmScope::PerAccountChannelPeer, origin),
            "agent:main:whatsapp:default:direct:+15551234567"
        );
    }

    #[test]
    fn client_keys_are_checked() {
        assert!(is_valid("agent:main:main"));
        assert!(!is_valid(""));
        assert!(!is_valid("../etc/passwd"));
        assert!(!is_valid("a\nb"));
        assert!(!is_valid(&"x".repeat(201)));
        let made = ephemeral();
        assert!(is_ephemeral(&made) && !is_valid(&made), "{made}");
        assert_ne!(made, ephemeral());
        assert!(!is_ephemeral(MAIN));
    }
}
