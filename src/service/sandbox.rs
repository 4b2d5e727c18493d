//! The sandboxing half of the systemd user unit: what the gateway, and every program the agent's
//! `exec` tool starts under it, may touch.
//!
//! The wall: the whole file system is read-only except the state directory, the workspace (and
//! the log folder when it is configured elsewhere), a private `/tmp`, and no devices beyond the
//! pseudo ones; the config file and the unit itself are therefore read-only for the service, so
//! a model cannot rewrite them. No capabilities, no new privileges, no set-id files, no
//! namespaces, no kernel tunables, modules, logs, clock or hostname, native system calls only
//! (the `@system-service` set plus Landlock's three calls, which systemd 252 puts in no group
//! and which `exec`'s own sandbox needs), and sockets of the Internet, local and netlink kinds.
//! `systemd-analyze --user security` rates it 1.7 "OK" (1.9 when a writable folder is under
//! `/tmp`, see below; 9.8 "UNSAFE" before any of this).
//!
//! Left out on purpose, each because it would break what the agent is for:
//! - `MemoryDenyWriteExecute=`: inherited by `exec`'s children, it stops JIT compilers (node,
//!   java, PyPy, LuaJIT) from mapping executable code: `node -e` aborts;
//! - `PrivateNetwork=`/`IPAddressDeny=`: the gateway talks to model providers and channels;
//! - `ProtectHome=yes`/`tmpfs`: the executable, the config and the tools `exec` runs (nvm's node,
//!   `~/.cargo/bin`, `~/.local/bin`) usually live in the home directory; it stays readable;
//! - `ProcSubset=pid`: the monitoring reads `/proc/meminfo`, `/proc/stat` and `/proc/loadavg`;
//! - `PrivateTmp=` is dropped when a writable folder is itself under `/tmp` or `/var/tmp`
//!   (a private `/tmp` would hide it).

use std::path::PathBuf;

/// The `[Service]` lines that confine the gateway; `writable` are the only writable folders.
pub(crate) fn directives(writable: &[PathBuf]) -> String {
    let mut folders: Vec<&PathBuf> = Vec::new();
    for folder in writable {
        if !folders.iter().any(|kept| folder.starts_with(kept)) {
            folders.retain(|kept| !kept.starts_with(folder));
            folders.push(folder);
        }
    }
    let in_tmp = folders
        .iter()
        .any(|f| f.starts_with("/tmp") || f.starts_with("/var/tmp"));
    let read_write = folders
        .iter()
        .map(|folder| unit_word(&format!("-{}", folder.display())))
        .collect::<Vec<_>>()
        .join(" ");
    let private_tmp = if in_tmp {
        "# PrivateTmp= is off: a writable folder is under /tmp or /var/tmp.\n"
    } else {
        "PrivateTmp=yes\n"
    };
    format!(
        "# Sandboxing: check with `systemd-analyze --user security {unit}`. Everything is\n\
         # read-only except the folders below (state, workspace, logs); exec'd commands inherit\n\
         # all of it. MemoryDenyWriteExecute= is left out: it would stop node and other JITs.\n\
         UMask=0077\n\
         NoNewPrivileges=yes\n\
         CapabilityBoundingSet=\n\
         AmbientCapabilities=\n\
         ProtectSystem=strict\n\
         ProtectHome=read-only\n\
         ReadWritePaths={read_write}\n\
         {private_tmp}\
         PrivateDevices=yes\n\
         PrivateUsers=yes\n\
         PrivateMounts=yes\n\
         ProtectKernelTunables=yes\n\
         ProtectKernelModules=yes\n\
         ProtectKernelLogs=yes\n\
         ProtectControlGroups=yes\n\
         ProtectClock=yes\n\
         ProtectHostname=yes\n\
         KeyringMode=private\n\
         RestrictNamespaces=yes\n\
         RestrictRealtime=yes\n\
         RestrictSUIDSGID=yes\n\
         RemoveIPC=yes\n\
         LockPersonality=yes\n\
         RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK\n\
         SystemCallArchitectures=native\n\
         # Landlock's calls are in no group of systemd 252; exec's sandbox needs them.\n\
         SystemCallFilter=@system-service landlock_create_ruleset landlock_add_rule landlock_restrict_self\n\
         SystemCallFilter=~@privileged @resources\n\
         SystemCallErrorNumber=EPERM\n",
        unit = super::UNIT,
    )
}

/// One word of a unit file's list: `%` escaped (systemd expands specifiers), quoted when it
/// holds white space.
fn unit_word(text: &str) -> String {
    let escaped = text.replace('%', "%%");
    if escaped.contains(char::is_whitespace) || escaped.contains('"') {
        format!("\"{}\"", escaped.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        escaped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_folders_are_listed_once_and_odd_names_are_quoted() {
        let text = directives(&[
            PathBuf::from("/h/state"),
            PathBuf::from("/h/state/agents/main/workspace"),
            PathBuf::from("/h/my work"),
            PathBuf::from("/h/100%"),
        ]);
        assert!(
            text.lines()
                .any(|l| l == "ReadWritePaths=-/h/state \"-/h/my work\" -/h/100%%"),
            "{text}"
        );
        assert!(text.lines().any(|l| l == "PrivateTmp=yes"), "{text}");
    }

    #[test]
    fn a_folder_under_tmp_turns_private_tmp_off() {
        let text = directives(&[PathBuf::from("/tmp/x/state")]);
        assert!(!text.lines().any(|l| l == "PrivateTmp=yes"), "{text}");
    }
}
