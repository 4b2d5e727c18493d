//! `/gateway/cron`: the permanent actor that fires jobs. It keeps every job's next firing in a
//! queue ordered by time and one timer for the earliest (no polling: a thousand jobs due in the
//! same second fire within milliseconds of it). A due firing is recorded (`fired`) before its
//! turn starts, then runs as a task of the actor ([`super::firing`]). At start the actor loads
//! the config's jobs, the stored ones and the heartbeat, resumes the firings a crash left
//! unfinished, and applies each job's misfire policy to the firings missed while it was down.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, ActorFutureExt, AsyncContext, Context, SpawnHandle, WrapFuture};
use pincer_actors::{ChildContext, Managed};
use tracing::{info, warn};

use super::firing::{self, Firing, FiringDeps, Step};
use super::store::{fold, RunRecord, RunStatus};
use super::{heartbeat, JobOrigin};
use crate::config::cron::{CronJob, HeartbeatConfig, Misfire, SessionTarget};
use crate::config::schedule::Schedule;

/// What the scheduler is configured with.
#[derive(Clone)]
pub(crate) struct CronSettings {
    pub enabled: bool,
    pub misfire: Misfire,
    pub config_jobs: Vec<CronJob>,
    pub heartbeat: HeartbeatConfig,
    /// The main workspace, where `HEARTBEAT.md` is.
    pub workspace: PathBuf,
}

/// A job as the scheduler holds it.
pub(crate) struct Entry {
    pub job: CronJob,
    pub origin: JobOrigin,
    pub schedule: Schedule,
    pub next: Option<u64>,
    pub last: Option<RunRecord>,
}

/// The scheduler actor.
pub struct CronScheduler {
    pub(super) cx: ChildContext,
    pub(super) settings: CronSettings,
    pub(super) deps: Arc<FiringDeps>,
    pub(super) jobs: BTreeMap<String, Entry>,
    pub(super) queue: BTreeSet<(u64, String)>,
    timer: Option<SpawnHandle>,
    /// The firings whose task runs now (job id, runAtMs): never started twice, even when their
    /// job is re-read (an update) while they run.
    pub(super) in_flight: BTreeSet<(String, u64)>,
    /// Why the stored jobs cannot be read (a corrupt `jobs.json`): runtime jobs are then not
    /// changed, so the file is never overwritten with less than it holds.
    pub(super) store_problem: Option<String>,
}

impl CronScheduler {
    pub(crate) fn new(cx: ChildContext, settings: CronSettings, deps: Arc<FiringDeps>) -> Self {
        CronScheduler {
            cx,
            settings,
            deps,
            jobs: BTreeMap::new(),
            queue: BTreeSet::new(),
            timer: None,
            in_flight: BTreeSet::new(),
            store_problem: None,
        }
    }

    /// The session a job's message goes to.
    pub(crate) fn session_key(job: &CronJob) -> String {
        match job.session_target {
            SessionTarget::Main => crate::sessions::key::MAIN.to_string(),
            SessionTarget::Isolated => format!("agent:main:cron:{}", job.id),
        }
    }

    fn load(&mut self, ctx: &mut Context<Self>) {
        let now = crate::clock::now_ms();
        let mut all: Vec<(CronJob, JobOrigin)> = self
            .settings
            .config_jobs
            .iter()
            .map(|job| (job.clone(), JobOrigin::Config))
            .collect();
        match self.deps.store.load_jobs() {
            Ok(stored) => all.extend(stored.into_iter().map(|job| (job, JobOrigin::Runtime))),
            Err(error) => {
                warn!(%error, "the stored cron jobs cannot be read; only the config's jobs run");
                self.store_problem = Some(error.to_string());
            }
        }
        if let Some(job) = heartbeat_job(&self.settings.heartbeat) {
            all.push((job, JobOrigin::Heartbeat));
        }
        for (job, origin) in all {
            if self.jobs.contains_key(&job.id) {
                warn!(job = %job.id, "a stored cron job has the id of a config job; the config's wins");
                continue;
            }
            if let Err(error) = self.insert(job, origin, now, ctx) {
                warn!(%error, "a cron job is not scheduled");
            }
        }
        info!(jobs = self.jobs.len(), "cron jobs loaded");
    }

    /// Adds `job` (checked already for API calls): reads its firings, resumes the unfinished
    /// ones, applies its misfire policy and queues its next firing.
    pub(super) fn insert(
        &mut self,
        job: CronJob,
        origin: JobOrigin,
        now: u64,
        ctx: &mut Context<Self>,
    ) -> Result<(), String> {
        let schedule = Schedule::compile(&job.schedule).map_err(|e| format!("{}: {e}", job.id))?;
        let records = self.deps.store.runs(&job.id).unwrap_or_else(|error| {
            warn!(job = %job.id, %error, "cannot read a cron job's runs");
            Vec::new()
        });
        // Not while one of its firings runs: the rewrite could lose that firing's next record.
        let busy = self.in_flight.iter().any(|(id, _)| *id == job.id);
        if !busy {
            if let Err(error) = self.deps.store.prune(&job.id, &records) {
                warn!(job = %job.id, %error, "cannot prune a cron job's runs");
            }
        }
        let firings = fold(&records);
        let last_fired = firings.keys().next_back().copied();
        let open = firings.iter().filter(|(at, r)| {
            !r.status.is_final() && !self.in_flight.contains(&(job.id.clone(), **at))
        });
        let open: Vec<RunRecord> = open.map(|(_, r)| r.clone()).collect();
        for record in &open {
            let step = match (&record.status, &record.summary) {
                (RunStatus::Fired, _) | (_, None) => Step::AskAgain,
                (_, Some(answer)) => Step::Deliver(answer.clone()),
            };
            info!(job = %job.id, run_at_ms = record.run_at_ms, status = ?record.status, "resuming an unfinished cron firing");
            let firing = self.firing(&job, record.run_at_ms);
            self.spawn(firing, step, ctx);
        }
        let policy = match origin {
            JobOrigin::Heartbeat => Misfire::Skip,
            _ => job.misfire.unwrap_or(self.settings.misfire),
        };
        let next = super::misfire::next_firing(&schedule, policy, last_fired, now);
        let last = firings.into_values().next_back();
        let id = job.id.clone();
        self.jobs.insert(
            id.clone(),
            Entry {
                job,
                origin,
                schedule,
                next,
                last,
            },
        );
        if let Some(next) = next {
            self.queue.insert((next, id));
        }
        Ok(())
    }

    /// Takes `id` out of the queue and the table.
    pub(super) fn take(&mut self, id: &str) -> Option<Entry> {
        let entry = self.jobs.remove(id)?;
        if let Some(next) = entry.next {
            self.queue.remove(&(next, id.to_string()));
        }
        Some(entry)
    }

    pub(super) fn firing(&self, job: &CronJob, run_at_ms: u64) -> Firing {
        Firing {
            job_id: job.id.clone(),
            run_at_ms,
            session_key: Self::session_key(job),
            message: job.message.clone(),
            deliver: job.deliver.clone(),
            heartbeat: job.id == heartbeat::JOB_ID,
        }
    }

    /// Sets the timer for the earliest firing (replacing the one set before).
    pub(super) fn rearm(&mut self, ctx: &mut Context<Self>) {
        if let Some(timer) = self.timer.take() {
            ctx.cancel_future(timer);
        }
        self.publish();
        let Some((due, _)) = self.queue.first() else {
            return;
        };
        let wait = due.saturating_sub(crate::clock::now_ms());
        self.timer = Some(ctx.run_later(Duration::from_millis(wait), |cron, ctx| {
            cron.timer = None;
            cron.tick(ctx);
        }));
    }

    /// Fires every job that is due, and queues each one's next firing.
    fn tick(&mut self, ctx: &mut Context<Self>) {
        let now = crate::clock::now_ms();
        while let Some((due, id)) = self.queue.first().cloned() {
            if due > now {
                break;
            }
            self.queue.remove(&(due, id.clone()));
            let Some(entry) = self.jobs.get_mut(&id) else {
                continue;
            };
            entry.next = entry.schedule.next_after(now.max(due));
            if let Some(next) = entry.next {
                self.queue.insert((next, id.clone()));
            }
            // `cron.enabled` is about jobs; the heartbeat has its own switch (`every`).
            let allowed = self.settings.enabled || entry.origin == JobOrigin::Heartbeat;
            if allowed && entry.job.enabled {
                self.fire(&id, due, ctx);
            }
        }
        self.rearm(ctx);
    }

    /// Records the firing of `id` at `run_at_ms` and starts it; answers whether it started.
    pub(super) fn fire(&mut self, id: &str, run_at_ms: u64, ctx: &mut Context<Self>) -> bool {
        let Some(entry) = self.jobs.get(id) else {
            return false;
        };
        if self.in_flight.contains(&(id.to_string(), run_at_ms)) {
            return false;
        }
        let mut firing = self.firing(&entry.job, run_at_ms);
        if firing.heartbeat {
            let message =
                heartbeat::within(self.settings.heartbeat.active_hours.as_ref(), run_at_ms)
                    .then(|| {
                        heartbeat::message(
                            &self.settings.workspace,
                            self.settings.heartbeat.prompt.as_deref(),
                        )
                    })
                    .flatten();
            match message {
                Some(message) => firing.message = message,
                None => {
                    // Nothing to check, or outside the active hours: no turn, no model call.
                    let record = RunRecord {
                        job_id: firing.job_id.clone(),
                        run_at_ms,
                        ts: crate::clock::now_ms(),
                        status: RunStatus::Skipped,
                        summary: None,
                        error: None,
                    };
                    let _ = self.deps.store.append(&record);
                    self.finished(record);
                    return false;
                }
            }
        }
        let record = RunRecord {
            job_id: firing.job_id.clone(),
            run_at_ms,
            ts: crate::clock::now_ms(),
            status: RunStatus::Fired,
            summary: None,
            error: None,
        };
        if let Err(error) = self.deps.store.append(&record) {
            // Unrecorded, a firing could run twice after a crash: it does not run.
            warn!(job = %id, %error, "a cron firing cannot be recorded; it does not run");
            return false;
        }
        self.finished(record);
        self.spawn(firing, Step::Ask, ctx);
        true
    }

    fn spawn(&mut self, firing: Firing, step: Step, ctx: &mut Context<Self>) {
        let key = (firing.job_id.clone(), firing.run_at_ms);
        if !self.in_flight.insert(key.clone()) {
            return;
        }
        let task = firing::run(Arc::clone(&self.deps), firing, step);
        ctx.spawn(task.into_actor(self).map(move |record, cron, _| {
            cron.in_flight.remove(&key);
            cron.finished(record);
            cron.publish();
        }));
    }

    /// Notes a firing's latest record as its job's last status, and tells operators.
    fn finished(&mut self, record: RunRecord) {
        if let Some(events) = &self.deps.events {
            let action = if record.status == RunStatus::Fired {
                "started"
            } else {
                "finished"
            };
            let next = self.jobs.get(&record.job_id).and_then(|e| e.next);
            events.publish(&serde_json::json!({
                "jobId": record.job_id, "action": action, "runAtMs": record.run_at_ms,
                "status": record.status, "error": record.error, "nextRunAtMs": next,
            }));
        }
        if let Some(entry) = self.jobs.get_mut(&record.job_id) {
            let newer = entry
                .last
                .as_ref()
                .is_none_or(|last| last.run_at_ms <= record.run_at_ms);
            if newer {
                entry.last = Some(record);
            }
        }
    }

    /// The one-line status of `/admin/actors`.
    pub(super) fn publish(&self) {
        let next = match self.queue.first() {
            Some((due, id)) => format!(", next {id} at {}", crate::clock::rfc3339(due / 1000)),
            None => String::new(),
        };
        let off = if self.settings.enabled {
            ""
        } else {
            " (cron.enabled is false)"
        };
        self.cx.set_status(format!(
            "{} jobs, {} running{next}{off}",
            self.jobs.len(),
            self.in_flight.len()
        ));
    }
}

/// The heartbeat as a job of the scheduler, when `agents.defaults.heartbeat.every` is set.
fn heartbeat_job(config: &HeartbeatConfig) -> Option<CronJob> {
    let every = config.every.clone()?;
    Some(CronJob {
        id: heartbeat::JOB_ID.to_string(),
        name: Some("heartbeat".into()),
        enabled: true,
        schedule: crate::config::schedule::ScheduleSpec::Every {
            every,
            anchor_ms: None,
        },
        message: heartbeat::DEFAULT_PROMPT.to_string(),
        session_target: SessionTarget::Main,
        deliver: config.target.clone(),
        misfire: Some(Misfire::Skip),
    })
}

impl Actor for CronScheduler {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.load(ctx);
        self.rearm(ctx);
    }
}

impl Managed for CronScheduler {}
