//! CPU time around one timed run of the engine bench: the gateway's, this process's (client
//! threads and emulator), and every other process's on the machine (from `/proc`, through
//! `common::procfs`), since they all share the same cores.

use serde_json::{json, Value};

use crate::common::procfs::{busy_ticks, cpu_ticks};
use crate::common::Result;
use crate::load::RunResult;
use crate::report::round;

/// CPU time spent during one run, in seconds.
pub(crate) struct Cpu {
    pub(crate) gateway_secs: f64,
    /// This process: the client threads and the emulator.
    pub(crate) bench_secs: f64,
    /// Everything else on the machine (busy time in `/proc/stat` minus the two above): other
    /// work competing for the cores makes the figures worse.
    pub(crate) other_secs: f64,
    wall_secs: f64,
    turns: usize,
}

impl Cpu {
    pub(crate) fn gateway_ms_per_turn(&self) -> f64 {
        self.gateway_secs * 1000.0 / self.turns.max(1) as f64
    }

    /// Share of one core.
    pub(crate) fn percent(&self, secs: f64) -> f64 {
        100.0 * secs / self.wall_secs
    }

    pub(crate) fn json(&self) -> Value {
        json!({
            "gatewayMsPerTurn": round(self.gateway_ms_per_turn()),
            "gatewaySecs": round(self.gateway_secs),
            "benchProcessSecs": round(self.bench_secs),
            "otherProcessesSecs": round(self.other_secs),
            "wallSecs": round(self.wall_secs),
        })
    }
}

/// CPU counters (clock ticks) at one instant.
pub(crate) struct CpuProbe {
    gateway: u64,
    bench: u64,
    busy: u64,
}

impl CpuProbe {
    pub(crate) fn take(gateway_pid: u32) -> Result<CpuProbe> {
        Ok(CpuProbe {
            gateway: cpu_ticks(&gateway_pid.to_string())?,
            bench: cpu_ticks("self")?,
            busy: busy_ticks()?,
        })
    }

    pub(crate) fn since(&self, before: &CpuProbe, ticks_per_sec: f64, run: &RunResult) -> Cpu {
        let secs = |after: u64, before: u64| after.saturating_sub(before) as f64 / ticks_per_sec;
        let gateway_secs = secs(self.gateway, before.gateway);
        let bench_secs = secs(self.bench, before.bench);
        let busy_secs = secs(self.busy, before.busy);
        Cpu {
            gateway_secs,
            bench_secs,
            other_secs: (busy_secs - gateway_secs - bench_secs).max(0.0),
            wall_secs: run.wall.as_secs_f64(),
            turns: run.ok(),
        }
    }
}
