//! Reading the real system with `sysinfo`: machine CPU, memory, the disk holding the state
//! directory, network throughput, and this process's CPU and resident memory.
//!
//! The seed's monitoring returned fixed placeholder figures; these are measured. CPU usage is a
//! difference between two readings, so the first sample after start reports 0 for CPU.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use sysinfo::{Disks, Networks, Pid, ProcessRefreshKind, ProcessesToUpdate, System};

/// One reading.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sample {
    pub at_ms: u64,
    /// Whole machine, 0 to 1.
    pub cpu_usage: f64,
    pub memory_total_bytes: u64,
    pub memory_available_bytes: u64,
    /// Used / total, 0 to 1.
    pub memory_usage: f64,
    /// Mount point of the filesystem holding the state directory.
    pub disk_mount: String,
    pub disk_total_bytes: u64,
    pub disk_available_bytes: u64,
    /// Used / total, 0 to 1.
    pub disk_usage: f64,
    pub network_in_bytes_per_second: f64,
    pub network_out_bytes_per_second: f64,
    /// This process, in cores (1.0 = one core busy).
    pub process_cpu_usage: f64,
    pub process_rss_bytes: u64,
}

#[derive(Debug, thiserror::Error)]
#[error("system figures are not available on this platform: {0}")]
pub(crate) struct ProbeError(String);

/// Holds the `sysinfo` handles between readings.
pub(crate) struct SystemProbe {
    system: System,
    disks: Disks,
    networks: Networks,
    pid: Pid,
    state_dir: PathBuf,
    last_network: Instant,
}

impl SystemProbe {
    pub(crate) fn new(state_dir: &Path) -> Result<Self, ProbeError> {
        let error = |e: sysinfo::Error| ProbeError(e.to_string());
        let mut probe = SystemProbe {
            system: System::new().map_err(error)?,
            disks: Disks::new_with_refreshed_list().map_err(error)?,
            networks: Networks::new_with_refreshed_list().map_err(error)?,
            pid: sysinfo::get_current_pid().map_err(error)?,
            state_dir: state_dir
                .canonicalize()
                .unwrap_or_else(|_| state_dir.to_path_buf()),
            last_network: Instant::now(),
        };
        // Prime the counters that are differences between two readings.
        probe.system.refresh_cpu_usage();
        probe.refresh_process();
        Ok(probe)
    }

    fn refresh_process(&mut self) {
        self.system.refresh_processes_specifics(
            ProcessesToUpdate::Some(&[self.pid]),
            true,
            ProcessRefreshKind::nothing().with_cpu().with_memory(),
        );
    }

    /// Takes a reading.
    pub(crate) fn sample(&mut self) -> Sample {
        self.system.refresh_cpu_usage();
        self.system.refresh_memory();
        self.refresh_process();
        self.disks.refresh(true);
        self.networks.refresh(true);
        let elapsed = self.last_network.elapsed().as_secs_f64().max(1e-3);
        self.last_network = Instant::now();
        let (received, transmitted) = self
            .networks
            .iter()
            .fold((0u64, 0u64), |(r, t), (_, data)| {
                (r + data.received(), t + data.transmitted())
            });
        let total = self.system.total_memory();
        let available = self.system.available_memory();
        let disk = self
            .disks
            .iter()
            .filter(|d| self.state_dir.starts_with(d.mount_point()))
            .max_by_key(|d| d.mount_point().as_os_str().len());
        let (disk_mount, disk_total, disk_available) = disk
            .map(|d| {
                (
                    d.mount_point().display().to_string(),
                    d.total_space(),
                    d.available_space(),
                )
            })
            .unwrap_or_default();
        let process = self.system.process(self.pid);
        Sample {
            at_ms: crate::sessions::entry::now_ms(),
            cpu_usage: f64::from(self.system.global_cpu_usage()) / 100.0,
            memory_total_bytes: total,
            memory_available_bytes: available,
            memory_usage: ratio(total.saturating_sub(available), total),
            disk_mount,
            disk_total_bytes: disk_total,
            disk_available_bytes: disk_available,
            disk_usage: ratio(disk_total.saturating_sub(disk_available), disk_total),
            network_in_bytes_per_second: received as f64 / elapsed,
            network_out_bytes_per_second: transmitted as f64 / elapsed,
            process_cpu_usage: process
                .map(|p| f64::from(p.cpu_usage()) / 100.0)
                .unwrap_or(0.0),
            process_rss_bytes: process.map(|p| p.memory()).unwrap_or(0),
        }
    }
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn proc_field(file: &str, key: &str) -> u64 {
        let text = std::fs::read_to_string(file).expect("proc file");
        text.lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{key} in {file}"))
    }

    #[test]
    fn figures_match_proc_for_this_process_and_machine() {
        let dir = tempfile::tempdir().expect("dir");
        let mut probe = SystemProbe::new(dir.path()).expect("probe");
        let sample = probe.sample();
        let rss_kb = proc_field("/proc/self/status", "VmRSS:");
        let measured_kb = sample.process_rss_bytes / 1024;
        let difference = measured_kb.abs_diff(rss_kb);
        assert!(
            difference * 5 <= rss_kb,
            "RSS {measured_kb} kB vs /proc {rss_kb} kB"
        );
        assert_eq!(
            sample.memory_total_bytes / 1024,
            proc_field("/proc/meminfo", "MemTotal:")
        );
        assert!((0.0..=1.0).contains(&sample.memory_usage));
        assert!(
            sample.disk_total_bytes > 0 && !sample.disk_mount.is_empty(),
            "{sample:?}"
        );
        assert!((0.0..=1.0).contains(&sample.disk_usage));
    }
}
