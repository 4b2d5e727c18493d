//! The soak (`cargo bench --bench channels -- --soak SECS`, `scripts/bench --only soak`): the
//! channel bench's rig (`Rig`: real gateway, provider and Graph API emulators, 1,000 paired
//! senders) under a steady paced load of signed WhatsApp webhooks (`load::paced`, default 200
//! messages/s) for SECS seconds, while a sampler thread reads the gateway's `VmRSS` from
//! `/proc/<pid>/status` every `--sample-secs`. Reported: RSS at the end (after the last reply),
//! the peak of the samples, the slope of a least-squares line through the samples taken after
//! `--skip-secs` (MiB per minute: what a leak would show), and messages sent, answered, lost
//! (no reply 30 s after the last post; must be 0) and answered more than once (must be 0).
//! Disk: the bytes (apparent sizes) and entries of the gateway's state directory after the warm-up
//! and after the soak, reported as growth per message and per minute.
//!
//! Sessions keep their history, so with 1,000 senders each session grows by one exchange every
//! five seconds at 200 messages/s: some growth is the transcripts, not a leak.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use crate::common::figure::{emit, Target};
use crate::common::procfs::{rss_kib, status_field};
use crate::common::Result;
use crate::{percentile, Rig, SENDERS, THREADS};

/// The soak's parameters (from the command line).
pub(crate) struct Settings {
    pub(crate) secs: u64,
    pub(crate) rate: u32,
    pub(crate) sample_secs: u64,
    pub(crate) skip_secs: u64,
}

/// Least-squares slope of `(seconds, KiB)` samples, in MiB per minute; `None` under 2 samples.
fn slope_mib_per_min(samples: &[(f64, u64)]) -> Option<f64> {
    if samples.len() < 2 {
        return None;
    }
    let n = samples.len() as f64;
    let mean_t = samples.iter().map(|s| s.0).sum::<f64>() / n;
    let mean_r = samples.iter().map(|s| s.1 as f64).sum::<f64>() / n;
    let (mut covariance, mut variance) = (0.0, 0.0);
    for &(t, r) in samples {
        covariance += (t - mean_t) * (r as f64 - mean_r);
        variance += (t - mean_t) * (t - mean_t);
    }
    if variance == 0.0 {
        return None;
    }
    // KiB per second → MiB per minute.
    Some(covariance / variance * 60.0 / 1024.0)
}

/// The bytes of the files under `dir` (apparent sizes) and its number of entries, recursively.
fn disk_usage(dir: &Path) -> Result<(u64, u64)> {
    let (mut bytes, mut entries) = (0, 0);
    let listing =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in listing.flatten() {
        // Files come and go while the gateway writes (a compaction's temporary file).
        let Ok(meta) = entry.metadata() else { continue };
        entries += 1;
        if meta.is_dir() {
            let (b, e) = disk_usage(&entry.path())?;
            bytes += b;
            entries += e;
        } else {
            bytes += meta.len();
        }
    }
    Ok((bytes, entries))
}

pub(crate) fn run(settings: &Settings, json: bool) -> Result<()> {
    let mut rig = Rig::start(true)?;
    let pid = rig.gateway.pid();
    println!(
        "pincer soak: {} s at {} WhatsApp messages/s through {} (pid {pid}), {THREADS} client threads, {SENDERS} paired senders; RSS every {} s",
        settings.secs,
        settings.rate,
        crate::PINCER_BIN,
        settings.sample_secs
    );
    rig.warm_up()?;
    let state_dir = rig.gateway.home().join("state");
    let (disk_start, entries_start) = disk_usage(&state_dir)?;

    let per_thread = (settings.rate as u64 * settings.secs).div_ceil(THREADS as u64) as usize;
    let interval = Duration::from_secs_f64(THREADS as f64 / f64::from(settings.rate));
    let samples: Mutex<Vec<(f64, u64)>> = Mutex::new(Vec::new());
    let sampling = AtomicBool::new(true);
    let start = Instant::now() + Duration::from_millis(200);
    let period = Duration::from_secs(settings.sample_secs);

    let outcome = thread::scope(|scope| {
        let sampler = scope.spawn(|| -> Result<()> {
            let mut next = start;
            while sampling.load(Ordering::Relaxed) {
                if Instant::now() >= next {
                    let rss = rss_kib(pid)?;
                    let at = next.saturating_duration_since(start).as_secs_f64();
                    eprintln!("  soak {at:5.0} s: RSS {:.2} MiB", rss as f64 / 1024.0);
                    samples
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push((at, rss));
                    next += period;
                }
                thread::sleep(Duration::from_millis(50));
            }
            Ok(())
        });
        let outcome = rig.paced(per_thread, start, interval);
        sampling.store(false, Ordering::Relaxed);
        let sampled = sampler
            .join()
            .unwrap_or_else(|_| Err("the RSS sampler panicked".to_string()));
        sampled.and(outcome)
    })?;
    let elapsed = start.elapsed();
    rig.gateway.ensure_alive("the soak")?;

    let final_kib = rss_kib(pid)?;
    let (disk_end, entries_end) = disk_usage(&state_dir)?;
    let hwm_kib = status_field(pid, "VmHWM")?;
    let mut samples = samples.into_inner().unwrap_or_else(|p| p.into_inner());
    samples.push((elapsed.as_secs_f64(), final_kib));
    let peak_kib = samples.iter().map(|s| s.1).max().unwrap_or(final_kib);
    let steady: Vec<(f64, u64)> = samples
        .iter()
        .copied()
        .filter(|s| s.0 >= settings.skip_secs as f64)
        .collect();
    let slope = slope_mib_per_min(&steady);
    let duplicates: usize = rig
        .graph
        .sends_by_context()
        .values()
        .map(|&n| n.saturating_sub(1))
        .sum();
    let answered = outcome.sent - outcome.lost;
    let mut latencies = outcome.latencies;
    latencies.sort_unstable();
    let mib = |kib: u64| kib as f64 / 1024.0;

    println!(
        "soak: {} messages sent in {:.0} s ({:.0}/s), {answered} answered, {} lost, {duplicates} answered twice; webhook → reply p50 {:.2} ms, p99 {:.2} ms",
        outcome.sent,
        elapsed.as_secs_f64(),
        outcome.sent as f64 / elapsed.as_secs_f64(),
        outcome.lost,
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
    );
    println!(
        "  RSS final {:.2} MiB, peak of samples {:.2} MiB (VmHWM {:.2} MiB), slope after {} s: {} ({} samples)",
        mib(final_kib),
        mib(peak_kib),
        mib(hwm_kib),
        settings.skip_secs,
        slope.map_or("n/a (too few samples)".to_string(), |s| format!("{s:+.3} MiB/min")),
        steady.len(),
    );
    let grown = disk_end.saturating_sub(disk_start) as f64;
    let per_message = grown / outcome.sent.max(1) as f64;
    let mb_per_min = grown / 1e6 / (elapsed.as_secs_f64() / 60.0);
    println!(
        "  state dir {:.2} MB ({entries_start} entries) → {:.2} MB ({entries_end} entries): {per_message:.0} bytes per message, {mb_per_min:.2} MB/min",
        disk_start as f64 / 1e6,
        disk_end as f64 / 1e6,
    );
    println!(
        "  provider emulator: at most {} requests in flight",
        rig.provider.max_in_flight()
    );
    let minutes = settings.secs as f64 / 60.0;
    let what = format!("{minutes:.1} min at {} msg/s", settings.rate);
    emit(
        json,
        "soak.rss_final_mib",
        &format!("RSS after the soak ({what})"),
        mib(final_kib),
        "MiB",
        Target::None,
    );
    emit(
        json,
        "soak.rss_peak_mib",
        &format!("RSS peak (sampled every {} s)", settings.sample_secs),
        mib(peak_kib),
        "MiB",
        Target::None,
    );
    if let Some(slope) = slope {
        emit(
            json,
            "soak.rss_slope_mib_per_min",
            &format!("RSS slope after {} s (least squares)", settings.skip_secs),
            slope,
            "MiB/min",
            // Issue 16: flat memory under steady load.
            Target::Below(0.2),
        );
    }
    emit(
        json,
        "soak.disk_bytes_per_message",
        "state dir growth per message",
        per_message,
        "B",
        Target::None,
    );
    emit(
        json,
        "soak.disk_mb_per_min",
        "state dir growth per minute",
        mb_per_min,
        "MB/min",
        Target::None,
    );
    emit(
        json,
        "soak.sent",
        "messages sent",
        outcome.sent as f64,
        "",
        Target::None,
    );
    emit(
        json,
        "soak.answered",
        "messages answered",
        answered as f64,
        "",
        Target::None,
    );
    emit(
        json,
        "soak.lost",
        "messages lost",
        outcome.lost as f64,
        "",
        Target::Exactly(0.0),
    );
    emit(
        json,
        "soak.duplicates",
        "messages answered twice",
        duplicates as f64,
        "",
        Target::Exactly(0.0),
    );
    emit(
        json,
        "soak.p99_ms",
        &format!("webhook → reply p99 at {} msg/s", settings.rate),
        percentile(&latencies, 0.99),
        "ms",
        Target::None,
    );
    rig.gateway.stop()?;
    Ok(())
}
