//! The `/proc` figures the benchmarks read (Linux only): a process's `VmRSS`, `VmHWM` and
//! thread count from `/proc/<pid>/status`, its CPU time from `/proc/<pid>/stat`, and the busy
//! time of the whole machine from `/proc/stat`, to tell how much other work shared the cores.

use std::fs;
use std::process::Command;

use super::Result;

/// A numeric field of `/proc/<pid>/status` (`VmRSS`, `VmHWM` in KiB; `Threads`).
pub fn status_field(pid: u32, name: &str) -> Result<u64> {
    let path = format!("/proc/{pid}/status");
    let text = fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|value| value.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| format!("no {name} in {path}"))
}

/// `VmRSS` of a process in KiB.
pub fn rss_kib(pid: u32) -> Result<u64> {
    status_field(pid, "VmRSS")
}

/// `utime + stime` of a process (`"self"` for this one), in clock ticks.
pub fn cpu_ticks(pid: &str) -> Result<u64> {
    let path = format!("/proc/{pid}/stat");
    let text = fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    // Fields after the command name, which is in parentheses and may hold spaces: the first
    // one is field 3 (state), so utime (14) and stime (15) are at 11 and 12.
    let rest = text
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or_else(|| format!("unexpected {path}: {text:?}"))?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |index: usize| -> Result<u64> {
        fields
            .get(index)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("unexpected {path}: {text:?}"))
    };
    Ok(field(11)? + field(12)?)
}

/// Busy time of the whole machine (all CPUs, from the first line of `/proc/stat`), in clock
/// ticks: everything but idle and iowait.
pub fn busy_ticks() -> Result<u64> {
    let text =
        fs::read_to_string("/proc/stat").map_err(|e| format!("cannot read /proc/stat: {e}"))?;
    let line = text
        .lines()
        .next()
        .filter(|line| line.starts_with("cpu "))
        .ok_or_else(|| "unexpected /proc/stat".to_string())?;
    let values: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|v| v.parse().unwrap_or(0))
        .collect();
    // user nice system idle iowait irq softirq steal [guest guest_nice: already in user/nice]
    let total: u64 = values.iter().take(8).sum();
    let idle = values.get(3).copied().unwrap_or(0) + values.get(4).copied().unwrap_or(0);
    Ok(total.saturating_sub(idle))
}

/// The CPUs this process may use.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 if that fails).
pub fn clock_ticks_per_sec() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .filter(|&ticks| ticks > 0)
        .unwrap_or(100)
}
