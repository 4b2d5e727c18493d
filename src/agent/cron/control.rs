//! What the scheduler answers: the messages the operator API and the `cron` tool send
//! `/gateway/cron` (list, status, add, update, remove, run now) and their handlers. Changes to
//! runtime jobs are written to `jobs.json` before they take effect; config jobs and the
//! heartbeat are read-only here.

use actix::{Context, Handler, Message};

use super::scheduler::CronScheduler;
use super::{CronError, CronStatus, JobOrigin, JobView};
use crate::config::cron::{check_id, CronJob};
use crate::config::schedule::ScheduleSpec;

/// Every job, by id.
pub struct ListJobs;
impl Message for ListJobs {
    type Result = Vec<JobView>;
}

/// The scheduler's state.
pub struct GetStatus;
impl Message for GetStatus {
    type Result = CronStatus;
}

/// Adds a runtime job (an empty id gets a fresh one).
pub struct AddJob(pub CronJob);
impl Message for AddJob {
    type Result = Result<JobView, CronError>;
}

/// Replaces a runtime job (same id).
pub struct UpdateJob(pub CronJob);
impl Message for UpdateJob {
    type Result = Result<JobView, CronError>;
}

/// Removes a runtime job and its runs file.
pub struct RemoveJob(pub String);
impl Message for RemoveJob {
    type Result = Result<(), CronError>;
}

/// Fires a job now (its firing is named by the current time); answers that time.
pub struct RunJob(pub String);
impl Message for RunJob {
    type Result = Result<u64, CronError>;
}

impl CronScheduler {
    fn view(&self, id: &str) -> Option<JobView> {
        let entry = self.jobs.get(id)?;
        Some(JobView {
            job: entry.job.clone(),
            origin: entry.origin,
            session_key: Self::session_key(&entry.job),
            next_run_at_ms: entry.next.filter(|_| entry.job.enabled),
            last_run_at_ms: entry.last.as_ref().map(|r| r.run_at_ms),
            last_status: entry.last.as_ref().map(|r| r.status),
            last_error: entry.last.as_ref().and_then(|r| r.error.clone()),
        })
    }

    fn runtime_jobs(&self) -> Vec<CronJob> {
        self.jobs
            .values()
            .filter(|entry| entry.origin == JobOrigin::Runtime)
            .map(|entry| entry.job.clone())
            .collect()
    }

    fn writable(&self) -> Result<(), CronError> {
        match &self.store_problem {
            Some(problem) => Err(CronError::Store(problem.clone())),
            None => Ok(()),
        }
    }

    fn save(&self, jobs: &[CronJob]) -> Result<(), CronError> {
        self.deps
            .store
            .save_jobs(jobs)
            .map_err(|error| CronError::Store(error.to_string()))
    }

    fn runtime_entry(&self, id: &str) -> Result<(), CronError> {
        match self.jobs.get(id).map(|entry| entry.origin) {
            None => Err(CronError::NotFound(id.to_string())),
            Some(JobOrigin::Runtime) => Ok(()),
            Some(origin) => Err(CronError::ReadOnly(id.to_string(), origin)),
        }
    }
}

/// A fresh job id: 12 hex digits from the system's random source.
fn fresh_id() -> String {
    let mut bytes = [0u8; 6];
    if getrandom::fill(&mut bytes).is_err() {
        let now = crate::clock::now_ms().to_be_bytes();
        bytes.copy_from_slice(&now[2..]);
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks a job from outside; anchors a new `every` schedule at `now` so it counts from its
/// creation.
fn prepare(mut job: CronJob, now: u64) -> Result<CronJob, CronError> {
    if job.id.is_empty() {
        job.id = fresh_id();
    }
    if let ScheduleSpec::Every { anchor_ms, .. } = &mut job.schedule {
        anchor_ms.get_or_insert(now);
    }
    let problems = job.problems();
    if let Some((key, message)) = problems.into_iter().next() {
        return Err(CronError::Invalid(format!("{key} {message}")));
    }
    check_id(&job.id).map_err(|why| CronError::Invalid(format!("id {why}")))?;
    Ok(job)
}

impl Handler<ListJobs> for CronScheduler {
    type Result = Vec<JobView>;

    fn handle(&mut self, _: ListJobs, _: &mut Context<Self>) -> Self::Result {
        self.jobs.keys().filter_map(|id| self.view(id)).collect()
    }
}

impl Handler<GetStatus> for CronScheduler {
    type Result = actix::MessageResult<GetStatus>;

    fn handle(&mut self, _: GetStatus, _: &mut Context<Self>) -> Self::Result {
        actix::MessageResult(CronStatus {
            enabled: self.settings.enabled,
            jobs: self.jobs.len(),
            running: self.in_flight.len(),
            next_wake_at_ms: self.queue.first().map(|(due, _)| *due),
            store_error: self.store_problem.clone(),
        })
    }
}

impl Handler<AddJob> for CronScheduler {
    type Result = Result<JobView, CronError>;

    fn handle(&mut self, AddJob(job): AddJob, ctx: &mut Context<Self>) -> Self::Result {
        self.writable()?;
        let now = crate::clock::now_ms();
        let job = prepare(job, now)?;
        if self.jobs.contains_key(&job.id) {
            return Err(CronError::Exists(job.id));
        }
        let mut jobs = self.runtime_jobs();
        jobs.push(job.clone());
        self.save(&jobs)?;
        let id = job.id.clone();
        self.insert(job, JobOrigin::Runtime, now, ctx)
            .map_err(CronError::Invalid)?;
        self.rearm(ctx);
        self.view(&id).ok_or(CronError::NotFound(id))
    }
}

impl Handler<UpdateJob> for CronScheduler {
    type Result = Result<JobView, CronError>;

    fn handle(&mut self, UpdateJob(job): UpdateJob, ctx: &mut Context<Self>) -> Self::Result {
        self.writable()?;
        self.runtime_entry(&job.id)?;
        let now = crate::clock::now_ms();
        let job = prepare(job, now)?;
        let mut jobs = self.runtime_jobs();
        for stored in jobs.iter_mut().filter(|stored| stored.id == job.id) {
            *stored = job.clone();
        }
        self.save(&jobs)?;
        let id = job.id.clone();
        self.take(&id);
        self.insert(job, JobOrigin::Runtime, now, ctx)
            .map_err(CronError::Invalid)?;
        self.rearm(ctx);
        self.view(&id).ok_or(CronError::NotFound(id))
    }
}

impl Handler<RemoveJob> for CronScheduler {
    type Result = Result<(), CronError>;

    fn handle(&mut self, RemoveJob(id): RemoveJob, ctx: &mut Context<Self>) -> Self::Result {
        self.writable()?;
        self.runtime_entry(&id)?;
        let jobs: Vec<CronJob> = self
            .runtime_jobs()
            .into_iter()
            .filter(|job| job.id != id)
            .collect();
        self.save(&jobs)?;
        self.take(&id);
        self.deps.store.forget(&id);
        self.rearm(ctx);
        Ok(())
    }
}

impl Handler<RunJob> for CronScheduler {
    type Result = Result<u64, CronError>;

    fn handle(&mut self, RunJob(id): RunJob, ctx: &mut Context<Self>) -> Self::Result {
        if !self.jobs.contains_key(&id) {
            return Err(CronError::NotFound(id));
        }
        if !self.settings.enabled {
            return Err(CronError::Disabled);
        }
        let mut run_at = crate::clock::now_ms();
        if self
            .jobs
            .get(&id)
            .and_then(|e| e.last.as_ref())
            .map(|r| r.run_at_ms)
            >= Some(run_at)
        {
            // Two manual runs within one millisecond are still two firings.
            run_at = self.jobs[&id]
                .last
                .as_ref()
                .map_or(run_at, |r| r.run_at_ms + 1);
        }
        if self.fire(&id, run_at, ctx) {
            self.publish();
            Ok(run_at)
        } else {
            Err(CronError::NotStarted(id))
        }
    }
}

pincer_actors::mailbox!(CronScheduler: ListJobs, GetStatus, AddJob, UpdateJob, RemoveJob, RunJob);
