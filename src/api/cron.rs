//! `cron.list`, `cron.status`, `cron.add`, `cron.update`, `cron.remove`, `cron.run` and
//! `cron.runs` (OpenClaw's method names): over WS, at `/admin/cron...`, and by `pincer cron ...`.
//! The jobs live in the scheduler actor `/gateway/cron` (asked here); the runs logs are read from
//! the store's files on the blocking pool.

use serde::{Deserialize, Serialize};

use super::operator::blocking;
use super::params::required;
use super::{ApiError, Operator};
use crate::agent::cron::store::RunRecord;
use crate::agent::cron::{
    AddJob, CronError, CronHandle, GetStatus, ListJobs, RemoveJob, RunJob, UpdateJob,
};
use crate::config::cron::CronJob;

pub use crate::agent::cron::{CronStatus, JobOrigin, JobView};

/// `cron.list {}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CronListRequest {}

/// Every job: the config's, the ones added at run time, the heartbeat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CronList {
    pub jobs: Vec<JobView>,
}

/// `cron.status {}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CronStatusRequest {}

/// `cron.add {id?, name?, schedule, message, sessionTarget?, deliver?, misfire?, enabled?}`,
/// and `cron.update` with the same fields and the job's `id`: the job itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CronJobRequest {
    #[serde(flatten)]
    pub job: CronJob,
}

/// A job as it is now scheduled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CronJobAnswer {
    pub ok: bool,
    pub job: JobView,
}

/// `cron.remove {id}`, `cron.run {id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CronIdRequest {
    pub id: String,
}

/// A removed job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CronRemoved {
    pub ok: bool,
    pub removed: String,
}

/// A firing started by `cron.run`: follow it with `cron.runs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CronRan {
    pub ok: bool,
    pub id: String,
    /// The firing's name in the runs log.
    pub run_at_ms: u64,
}

/// `cron.runs {id, limit?}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CronRunsRequest {
    pub id: String,
    /// The last this many records; default 50.
    #[serde(default, deserialize_with = "super::params::number")]
    pub limit: Option<usize>,
}

/// A job's latest records, oldest first (one per step of each firing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CronRuns {
    pub id: String,
    pub runs: Vec<RunRecord>,
}

impl From<CronError> for ApiError {
    fn from(error: CronError) -> Self {
        let text = error.to_string();
        match error {
            CronError::NotFound(_) => ApiError::NotFound(text),
            CronError::Exists(_) | CronError::ReadOnly(..) | CronError::Invalid(_) => {
                ApiError::Invalid(text)
            }
            CronError::Store(_) => ApiError::Store(text),
            CronError::Disabled | CronError::NotStarted(_) => ApiError::NotRunning(text),
        }
    }
}

fn unavailable(error: pincer_actors::AskError) -> ApiError {
    ApiError::NotRunning(format!("the cron scheduler is unavailable: {error}"))
}

impl Operator {
    fn cron(&self) -> Result<&CronHandle, ApiError> {
        self.cron
            .as_ref()
            .ok_or_else(|| ApiError::NotRunning("this gateway runs no cron scheduler".into()))
    }

    /// `cron.list`.
    pub async fn cron_list(&self, _: CronListRequest) -> Result<CronList, ApiError> {
        let jobs = self
            .cron()?
            .scheduler
            .ask(ListJobs)
            .await
            .map_err(unavailable)?;
        Ok(CronList { jobs })
    }

    /// `cron.status`.
    pub async fn cron_status(&self, _: CronStatusRequest) -> Result<CronStatus, ApiError> {
        self.cron()?
            .scheduler
            .ask(GetStatus)
            .await
            .map_err(unavailable)
    }

    /// `cron.add`: the job is stored, then scheduled.
    pub async fn cron_add(&self, request: CronJobRequest) -> Result<CronJobAnswer, ApiError> {
        let added = self.cron()?.scheduler.ask(AddJob(request.job)).await;
        let job = added.map_err(unavailable)??;
        Ok(CronJobAnswer { ok: true, job })
    }

    /// `cron.update`: replaces a runtime job (config jobs change in the config).
    pub async fn cron_update(&self, request: CronJobRequest) -> Result<CronJobAnswer, ApiError> {
        required("id", &request.job.id)?;
        let updated = self.cron()?.scheduler.ask(UpdateJob(request.job)).await;
        let job = updated.map_err(unavailable)??;
        Ok(CronJobAnswer { ok: true, job })
    }

    /// `cron.remove`.
    pub async fn cron_remove(&self, request: CronIdRequest) -> Result<CronRemoved, ApiError> {
        let id = required("id", &request.id)?.to_string();
        let removed = self.cron()?.scheduler.ask(RemoveJob(id.clone())).await;
        removed.map_err(unavailable)??;
        Ok(CronRemoved {
            ok: true,
            removed: id,
        })
    }

    /// `cron.run`: fires the job now; answers once the firing is recorded.
    pub async fn cron_run(&self, request: CronIdRequest) -> Result<CronRan, ApiError> {
        let id = required("id", &request.id)?.to_string();
        let ran = self.cron()?.scheduler.ask(RunJob(id.clone())).await;
        let run_at_ms = ran.map_err(unavailable)??;
        Ok(CronRan {
            ok: true,
            id,
            run_at_ms,
        })
    }

    /// `cron.runs`: the job's runs log (also for a job removed since, while its file is kept).
    pub async fn cron_runs(&self, request: CronRunsRequest) -> Result<CronRuns, ApiError> {
        let id = required("id", &request.id)?.to_string();
        crate::config::cron::check_id(&id).map_err(|why| ApiError::Invalid(format!("id {why}")))?;
        let store = self.cron()?.store.clone();
        let limit = request.limit.unwrap_or(50).max(1);
        let name = id.clone();
        let records = blocking(move || store.runs(&name)).await?;
        let records = records.map_err(|error| ApiError::Store(error.to_string()))?;
        let skip = records.len().saturating_sub(limit);
        Ok(CronRuns {
            id,
            runs: records.into_iter().skip(skip).collect(),
        })
    }
}
