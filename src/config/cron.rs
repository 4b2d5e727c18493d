//! `cron.*` and `agents.defaults.heartbeat`: scheduled turns. The job type here is the one shape a
//! job has everywhere: declared in the config (`cron.jobs`), stored in `<state>/cron/jobs.json`
//! for jobs added at run time, read and written by the operator API, the CLI and the `cron` tool.
//! What a schedule means (its next firing) is in [`super::schedule`]; the scheduler that fires
//! the jobs is `agent::cron`.

use serde::{Deserialize, Serialize};

use super::error::Problem;
use super::schedule::{Schedule, ScheduleSpec};

/// `cron`: the scheduler and the jobs the config declares.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct CronConfig {
    /// Default true: jobs fire. False keeps the scheduler's actor up (the jobs can be listed and
    /// edited) but fires nothing, not even `cron.run`.
    pub enabled: bool,
    /// Firings whose turn runs at once; default 2, so a burst of due jobs cannot take every run
    /// permit (`agents.maxConcurrentRuns`) from the chats. Firings past it wait their turn.
    pub max_concurrent_runs: u32,
    /// What a job whose firing was missed while the gateway was down does, unless the job says:
    /// default `runOnce` (fire one late firing, then go on with the schedule); `skip` goes on
    /// with the schedule.
    pub misfire: Misfire,
    /// Jobs declared in the config; each needs an `id`. They are merged with the jobs added at
    /// run time (which cannot take a config job's id); a config job cannot be removed or
    /// edited through the API, only in this file.
    pub jobs: Vec<CronJob>,
}

impl Default for CronConfig {
    fn default() -> Self {
        CronConfig {
            enabled: true,
            max_concurrent_runs: 2,
            misfire: Misfire::RunOnce,
            jobs: Vec::new(),
        }
    }
}

/// What happens to firings missed while the gateway was down.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub enum Misfire {
    /// Nothing: the next firing is the schedule's next after now.
    Skip,
    /// One firing now, named after the latest missed time, however many were missed.
    #[default]
    RunOnce,
}

/// Which session a job's message goes to.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub enum SessionTarget {
    /// The owner's main session (`agent:main:main`), with its history.
    Main,
    /// The job's own session, `agent:main:cron:<jobId>` (OpenClaw's key), kept between firings.
    #[default]
    Isolated,
}

/// A chat to send an answer to.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeliverTarget {
    /// A channel's name (`telegram`, `whatsapp`).
    pub channel: String,
    /// The chat's platform id (a Telegram chat id, a WhatsApp number).
    pub to: String,
}

/// One job: when, what to say, to which session, and where the answer goes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CronJob {
    /// Letters, digits, `-` and `_`, at most 64 (it names the runs file and the isolated
    /// session). Required in the config; chosen by the gateway for a job added without one.
    #[serde(default)]
    pub id: String,
    /// A label for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Default true; a disabled job is kept but never fires on its own.
    #[serde(default = "yes")]
    pub enabled: bool,
    pub schedule: ScheduleSpec,
    /// The message the session gets at each firing.
    pub message: String,
    /// Default `isolated`.
    #[serde(default)]
    pub session_target: SessionTarget,
    /// Where the answer is sent; without it, the answer only lands in the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deliver: Option<DeliverTarget>,
    /// This job's misfire policy; default `cron.misfire`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub misfire: Option<Misfire>,
}

fn yes() -> bool {
    true
}

/// Longest job id.
pub const MAX_JOB_ID: usize = 64;
/// Longest job message, in bytes.
pub const MAX_MESSAGE: usize = 16 * 1024;

impl CronJob {
    /// What is wrong with this job, if anything (key paths relative to the job).
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut found = Vec::new();
        if let Err(why) = check_id(&self.id) {
            found.push(("id".to_string(), why));
        }
        if self.message.trim().is_empty() {
            found.push(("message".into(), "must not be empty".into()));
        } else if self.message.len() > MAX_MESSAGE {
            found.push((
                "message".into(),
                format!("is longer than {MAX_MESSAGE} bytes"),
            ));
        }
        if let Err(error) = Schedule::compile(&self.schedule) {
            found.push(("schedule".into(), error.to_string()));
        }
        if let Some(deliver) = &self.deliver {
            if deliver.channel.trim().is_empty() || deliver.to.trim().is_empty() {
                found.push(("deliver".into(), "needs a channel and a target (to)".into()));
            }
        }
        found
    }
}

/// A job id is safe as a file name and a session key part.
pub fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("is required".into());
    }
    if id.len() > MAX_JOB_ID {
        return Err(format!("is longer than {MAX_JOB_ID} characters"));
    }
    if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(format!("{id:?} may only hold letters, digits, '-' and '_'"));
    }
    Ok(())
}

/// `agents.defaults.heartbeat`: a periodic turn of the main session that reads `HEARTBEAT.md`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct HeartbeatConfig {
    /// A duration (`30m`, `1h`); default none: no heartbeat.
    pub every: Option<String>,
    /// Where an answer other than `HEARTBEAT_OK` is sent; default none (it stays in the main
    /// session).
    pub target: Option<DeliverTarget>,
    /// When heartbeats may run; default always.
    pub active_hours: Option<ActiveHours>,
    /// The heartbeat turn's instruction; default a built-in one (OpenClaw's rule: read
    /// HEARTBEAT.md, reply `HEARTBEAT_OK` when nothing needs attention).
    pub prompt: Option<String>,
}

/// A daily window, in a time zone: `start` to `end` (`HH:MM`, `end` may be `24:00`; a window
/// whose end is before its start spans midnight).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActiveHours {
    pub start: String,
    pub end: String,
    /// An IANA zone (`Europe/Paris`); default `UTC`.
    #[serde(default)]
    pub timezone: Option<String>,
}

/// Minutes since midnight of `HH:MM` (`24:00` allowed).
pub fn minute_of_day(text: &str) -> Option<u32> {
    let (hours, minutes) = text.trim().split_once(':')?;
    let (hours, minutes): (u32, u32) = (hours.parse().ok()?, minutes.parse().ok()?);
    let total = hours * 60 + minutes;
    (minutes < 60 && total <= 24 * 60).then_some(total)
}

/// The config's rules for `cron` and `agents.defaults.heartbeat`.
pub(crate) fn check(config: &super::Config, problems: &mut Vec<Problem>) {
    let cron = &config.cron;
    if cron.max_concurrent_runs == 0 {
        problems.push(Problem::new("cron.maxConcurrentRuns", "must be at least 1"));
    }
    let mut seen = std::collections::BTreeSet::new();
    for (index, job) in cron.jobs.iter().enumerate() {
        for (key, message) in job.problems() {
            problems.push(Problem::new(format!("cron.jobs.{index}.{key}"), message));
        }
        if !job.id.is_empty() && !seen.insert(job.id.as_str()) {
            problems.push(Problem::new(
                format!("cron.jobs.{index}.id"),
                format!("{:?} is used by another job", job.id),
            ));
        }
    }
    let heartbeat = &config.agents.defaults.heartbeat;
    if let Some(every) = &heartbeat.every {
        match super::schedule::parse_duration_ms(every) {
            Some(ms) if ms >= 1000 => {}
            _ => problems.push(Problem::new(
                "agents.defaults.heartbeat.every",
                format!("{every:?} is not a duration of at least 1s (like \"30m\" or \"1h\")"),
            )),
        }
    }
    if let Some(hours) = &heartbeat.active_hours {
        let key = "agents.defaults.heartbeat.activeHours";
        for (name, value) in [("start", &hours.start), ("end", &hours.end)] {
            if minute_of_day(value).is_none() {
                problems.push(Problem::new(
                    format!("{key}.{name}"),
                    format!("{value:?} is not a time of day HH:MM"),
                ));
            }
        }
        if let Some(zone) = &hours.timezone {
            if zone.parse::<chrono_tz::Tz>().is_err() {
                problems.push(Problem::new(
                    format!("{key}.timezone"),
                    format!("{zone:?} is not an IANA time zone"),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{parse_str, ConfigError};

    fn problems(text: &str) -> Vec<String> {
        match parse_str(text, std::path::Path::new("pincer.json5")) {
            Ok(config) => crate::config::validate(&config)
                .into_iter()
                .map(|p| format!("{}: {}", p.key, p.message))
                .collect(),
            Err(ConfigError::Invalid { problems, .. }) => problems
                .into_iter()
                .map(|p| format!("{}: {}", p.key, p.message))
                .collect(),
            Err(other) => vec![other.to_string()],
        }
    }

    #[test]
    fn bad_jobs_and_heartbeats_name_their_key() {
        let found = problems(
            "{ cron: { jobs: [ { id: 'a', schedule: { kind: 'cron', expr: '99 * * * *' }, message: 'x' }, \
               { id: 'a', schedule: { kind: 'every', every: '1w' }, message: '' }, \
               { id: 'b/c', schedule: { kind: 'cron', expr: '0 8 * * *', tz: 'Nowhere/Land' }, message: 'x' } ] }, \
               agents: { defaults: { heartbeat: { every: 'soon', activeHours: { start: '25:00', end: '08:00' } } } } }",
        );
        let has = |key: &str| found.iter().any(|p| p.starts_with(key));
        for key in [
            "cron.jobs.0.schedule",
            "cron.jobs.1.id",
            "cron.jobs.1.message",
            "cron.jobs.1.schedule",
            "cron.jobs.2.id",
            "cron.jobs.2.schedule",
            "agents.defaults.heartbeat.every",
            "agents.defaults.heartbeat.activeHours.start",
        ] {
            assert!(has(key), "{key} not in {found:?}");
        }
        assert!(
            !has("agents.defaults.heartbeat.activeHours.end"),
            "{found:?}"
        );
    }

    #[test]
    fn a_good_config_passes_and_unknown_keys_are_refused() {
        assert!(problems(
            "{ cron: { misfire: 'skip', jobs: [ { id: 'm', schedule: { kind: 'at', at: '2030-01-01T00:00:00Z' }, \
               message: 'x', deliver: { channel: 'telegram', to: '1' } } ] }, \
               agents: { defaults: { heartbeat: { every: '30m', target: { channel: 'telegram', to: '1' } } } } }"
        )
        .is_empty());
        assert!(!problems("{ cron: { jobs: [ { id: 'm', schedule: { kind: 'every', every: '1m', x: 1 }, message: 'x' } ] } }").is_empty());
        assert_eq!(minute_of_day("24:00"), Some(1440));
        assert_eq!(minute_of_day("7:05"), Some(425));
        assert_eq!(minute_of_day("12:60"), None);
    }
}
