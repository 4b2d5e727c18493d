//! A process's memory as Linux reports it in `/proc/<pid>/status` and `/proc/<pid>/smaps_rollup`.
//!
//! `pincer doctor` reads the running gateway's RSS this way and `pincer debug memory` shows the
//! whole breakdown (the seed's `profileMemory` read `process.memoryUsage()`; a Rust process has
//! no managed heap, so the kernel's accounting is the truthful view). Elsewhere, or when the
//! files cannot be read (another user's process), the readers return `None`.

use std::collections::BTreeMap;

use serde::Serialize;

/// The memory lines of `/proc/<pid>/status`, in bytes (threads as a count).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProcStatus {
    /// Resident set size now.
    pub vm_rss_bytes: Option<u64>,
    /// Peak resident set size ("high water mark").
    pub vm_hwm_bytes: Option<u64>,
    /// Virtual address space.
    pub vm_size_bytes: Option<u64>,
    /// Resident anonymous memory (heap, stacks): what the process itself allocated.
    pub rss_anon_bytes: Option<u64>,
    /// Resident file-backed memory (the binary, mapped libraries).
    pub rss_file_bytes: Option<u64>,
    /// Resident shared memory.
    pub rss_shmem_bytes: Option<u64>,
    pub threads: Option<u64>,
}

/// `/proc/<pid>/smaps_rollup`: the mappings summed, in bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SmapsRollup {
    pub rss_bytes: Option<u64>,
    /// Proportional set size: shared pages divided among their users.
    pub pss_bytes: Option<u64>,
    pub pss_anon_bytes: Option<u64>,
    pub pss_file_bytes: Option<u64>,
    pub shared_clean_bytes: Option<u64>,
    pub shared_dirty_bytes: Option<u64>,
    pub private_clean_bytes: Option<u64>,
    /// Memory only this process holds and has written: what it would free on exit.
    pub private_dirty_bytes: Option<u64>,
    pub swap_bytes: Option<u64>,
}

/// Parses `Key:   value [kB]` lines; `kB` values are converted to bytes.
fn fields(text: &str) -> BTreeMap<&str, u64> {
    text.lines()
        .filter_map(|line| {
            let (key, rest) = line.split_once(':')?;
            let mut words = rest.split_whitespace();
            let number: u64 = words.next()?.parse().ok()?;
            let value = match words.next() {
                Some("kB") => number.saturating_mul(1024),
                None => number,
                Some(_) => return None,
            };
            Some((key.trim(), value))
        })
        .collect()
}

/// Parses the text of `/proc/<pid>/status`.
pub(crate) fn parse_status(text: &str) -> ProcStatus {
    let f = fields(text);
    let get = |key: &str| f.get(key).copied();
    ProcStatus {
        vm_rss_bytes: get("VmRSS"),
        vm_hwm_bytes: get("VmHWM"),
        vm_size_bytes: get("VmSize"),
        rss_anon_bytes: get("RssAnon"),
        rss_file_bytes: get("RssFile"),
        rss_shmem_bytes: get("RssShmem"),
        threads: get("Threads"),
    }
}

/// Parses the text of `/proc/<pid>/smaps_rollup`.
pub(crate) fn parse_smaps_rollup(text: &str) -> SmapsRollup {
    let f = fields(text);
    let get = |key: &str| f.get(key).copied();
    SmapsRollup {
        rss_bytes: get("Rss"),
        pss_bytes: get("Pss"),
        pss_anon_bytes: get("Pss_Anon"),
        pss_file_bytes: get("Pss_File"),
        shared_clean_bytes: get("Shared_Clean"),
        shared_dirty_bytes: get("Shared_Dirty"),
        private_clean_bytes: get("Private_Clean"),
        private_dirty_bytes: get("Private_Dirty"),
        swap_bytes: get("Swap"),
    }
}

/// Reads `/proc/<pid>/status`, if this platform and the process's owner allow it.
pub(crate) fn read_status(pid: u32) -> Option<ProcStatus> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    Some(parse_status(&text))
}

/// Reads `/proc/<pid>/smaps_rollup` (Linux 4.14+), if readable.
pub(crate) fn read_smaps_rollup(pid: u32) -> Option<SmapsRollup> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    Some(parse_smaps_rollup(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\tpincer\nUmask:\t0022\nState:\tS (sleeping)\nPid:\t42\n\
        VmPeak:\t  300000 kB\nVmSize:\t  290000 kB\nVmHWM:\t    9000 kB\nVmRSS:\t    8000 kB\n\
        RssAnon:\t    5000 kB\nRssFile:\t    2900 kB\nRssShmem:\t     100 kB\nThreads:\t9\n\
        Cpus_allowed_list:\t0-1\n";

    #[test]
    fn status_lines_become_bytes() {
        let status = parse_status(STATUS);
        assert_eq!(status.vm_rss_bytes, Some(8000 * 1024));
        assert_eq!(status.vm_hwm_bytes, Some(9000 * 1024));
        assert_eq!(status.vm_size_bytes, Some(290_000 * 1024));
        assert_eq!(status.rss_anon_bytes, Some(5000 * 1024));
        assert_eq!(status.rss_file_bytes, Some(2900 * 1024));
        assert_eq!(status.rss_shmem_bytes, Some(100 * 1024));
        assert_eq!(status.threads, Some(9));
    }

    #[test]
    fn rollup_lines_become_bytes() {
        let text = "55d0c0000000-7ffd00000000 ---p 00000000 00:00 0  [rollup]\nRss:  8000 kB\n\
            Pss:  7000 kB\nPss_Anon:  5000 kB\nPss_File:  2000 kB\nShared_Clean:  1000 kB\n\
            Private_Dirty:  5100 kB\nSwap:  0 kB\n";
        let rollup = parse_smaps_rollup(text);
        assert_eq!(rollup.rss_bytes, Some(8000 * 1024));
        assert_eq!(rollup.pss_bytes, Some(7000 * 1024));
        assert_eq!(rollup.private_dirty_bytes, Some(5100 * 1024));
        assert_eq!(rollup.swap_bytes, Some(0));
        assert_eq!(rollup.shared_dirty_bytes, None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_can_be_read() {
        let status = read_status(std::process::id()).expect("own status");
        assert!(status.vm_rss_bytes.unwrap_or(0) > 0);
        assert!(status.threads.unwrap_or(0) >= 1);
    }
}
