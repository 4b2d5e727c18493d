//! `pincer cron add|list|rm|run|runs`: the running gateway's cron jobs, through the operator API
//! (`/admin/cron...`); the scheduler lives in the gateway, so there is no offline mode.

use std::path::Path;

use serde_json::json;

use super::client::{block_on, encode, GatewayClient};
use super::{CliError, CronAction, CronAddArgs};
use crate::api::{CronJobAnswer, CronList, CronRan, CronRemoved, CronRuns, JobView};
use crate::config::cron::{CronJob, DeliverTarget, SessionTarget};
use crate::config::schedule::{AtTime, ScheduleSpec};

pub fn run(config: Option<&Path>, action: &CronAction) -> Result<i32, CliError> {
    let client = GatewayClient::discover(config)?;
    block_on(online(&client, action))??;
    Ok(crate::exit::OK)
}

/// The job `pincer cron add` describes.
pub(crate) fn job_of(args: &CronAddArgs) -> Result<CronJob, CliError> {
    let usage = |text: &str| CliError::Usage(text.to_string());
    let schedule = match (&args.cron, &args.every, &args.at) {
        (Some(expr), None, None) => ScheduleSpec::Cron {
            expr: expr.clone(),
            tz: args.tz.clone(),
        },
        (None, Some(every), None) => ScheduleSpec::Every {
            every: every.clone(),
            anchor_ms: None,
        },
        (None, None, Some(at)) => ScheduleSpec::At {
            at: match at.trim().parse::<u64>() {
                Ok(ms) => AtTime::Millis(ms),
                Err(_) => AtTime::Text(at.clone()),
            },
        },
        _ => {
            return Err(usage(
                "give exactly one of --cron EXPR, --every DURATION, --at TIME",
            ))
        }
    };
    if args.tz.is_some() && args.cron.is_none() {
        return Err(usage("--tz goes with --cron"));
    }
    let session_target = match args.session.as_str() {
        "isolated" => SessionTarget::Isolated,
        "main" => SessionTarget::Main,
        other => {
            return Err(CliError::Usage(format!(
                "--session {other:?}: main or isolated"
            )))
        }
    };
    let deliver = match &args.deliver {
        None => None,
        Some(target) => match target.split_once(':') {
            Some((channel, to)) if !channel.is_empty() && !to.is_empty() => Some(DeliverTarget {
                channel: channel.to_lowercase(),
                to: to.to_string(),
            }),
            _ => return Err(usage("--deliver CHANNEL:TO (like telegram:12345)")),
        },
    };
    Ok(CronJob {
        id: args.id.clone().unwrap_or_default(),
        name: args.name.clone(),
        enabled: true,
        schedule,
        message: args.message.clone(),
        session_target,
        deliver,
        misfire: None,
    })
}

async fn online(client: &GatewayClient, action: &CronAction) -> Result<(), CliError> {
    match action {
        CronAction::List { json } => {
            let list: CronList = client.get("/admin/cron").await?;
            if *json {
                println!("{}", pretty(&list));
            } else {
                print_jobs(&list.jobs);
            }
        }
        CronAction::Add(args) => {
            let job = job_of(args)?;
            let added: CronJobAnswer = client.post("/admin/cron", &job).await?;
            if args.json {
                println!("{}", pretty(&added));
            } else {
                println!("added {}", describe(&added.job));
            }
        }
        CronAction::Rm { id } => {
            let path = format!("/admin/cron/{}/remove", encode(id));
            let removed: CronRemoved = client.post(&path, &json!({})).await?;
            println!("removed {}", removed.removed);
        }
        CronAction::Run { id } => {
            let path = format!("/admin/cron/{}/run", encode(id));
            let ran: CronRan = client.post(&path, &json!({})).await?;
            println!(
                "{} fired (firing {}); follow it with `pincer cron runs {}`",
                ran.id, ran.run_at_ms, ran.id
            );
        }
        CronAction::Runs { id, limit, json } => {
            let path = format!("/admin/cron/{}/runs?limit={limit}", encode(id));
            let runs: CronRuns = client.get(&path).await?;
            if *json {
                println!("{}", pretty(&runs));
            } else if runs.runs.is_empty() {
                println!("{} has not fired yet", runs.id);
            } else {
                for record in &runs.runs {
                    let detail = record
                        .error
                        .as_deref()
                        .or(record.summary.as_deref())
                        .unwrap_or("");
                    println!(
                        "{}  firing {}  {}  {}",
                        crate::clock::rfc3339(record.ts / 1000),
                        record.run_at_ms,
                        record.status.as_str(),
                        one_line(detail)
                    );
                }
            }
        }
    }
    Ok(())
}

fn pretty<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

fn one_line(text: &str) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(80) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

fn schedule_text(spec: &ScheduleSpec) -> String {
    match spec {
        ScheduleSpec::Cron { expr, tz } => match tz {
            Some(tz) => format!("cron {expr} ({tz})"),
            None => format!("cron {expr}"),
        },
        ScheduleSpec::Every { every, .. } => format!("every {every}"),
        ScheduleSpec::At { at } => match at {
            AtTime::Millis(ms) => format!("at {}", crate::clock::rfc3339(ms / 1000)),
            AtTime::Text(text) => format!("at {text}"),
        },
    }
}

fn describe(view: &JobView) -> String {
    let next = view
        .next_run_at_ms
        .map(|ms| crate::clock::rfc3339(ms / 1000))
        .unwrap_or_else(|| "-".into());
    format!(
        "{} [{}] {}, next {next}",
        view.job.id,
        view.origin,
        schedule_text(&view.job.schedule)
    )
}

fn print_jobs(jobs: &[JobView]) {
    if jobs.is_empty() {
        println!("no cron jobs");
        return;
    }
    for view in jobs {
        let last = match (&view.last_status, view.last_run_at_ms) {
            (Some(status), Some(at)) => {
                format!(
                    "last {} {}",
                    status.as_str(),
                    crate::clock::rfc3339(at / 1000)
                )
            }
            _ => "never fired".into(),
        };
        let target = view
            .job
            .deliver
            .as_ref()
            .map(|d| format!(" -> {}:{}", d.channel, d.to))
            .unwrap_or_default();
        let enabled = if view.job.enabled { "" } else { " (disabled)" };
        println!("{}{enabled}{target}; {last}", describe(view));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> CronAddArgs {
        CronAddArgs {
            id: None,
            name: None,
            cron: None,
            tz: None,
            every: None,
            at: None,
            message: "hi".into(),
            session: "isolated".into(),
            deliver: None,
            json: false,
        }
    }

    #[test]
    fn add_needs_one_schedule_and_reads_the_target() {
        assert!(job_of(&args()).is_err());
        let job = job_of(&CronAddArgs {
            cron: Some("0 8 * * *".into()),
            tz: Some("Europe/Paris".into()),
            deliver: Some("Telegram:42".into()),
            ..args()
        })
        .unwrap();
        assert_eq!(job.deliver.unwrap().channel, "telegram");
        assert!(job_of(&CronAddArgs {
            every: Some("1m".into()),
            at: Some("5".into()),
            ..args()
        })
        .is_err());
        assert!(job_of(&CronAddArgs {
            every: Some("1m".into()),
            deliver: Some("nocolon".into()),
            ..args()
        })
        .is_err());
        let at = job_of(&CronAddArgs {
            at: Some("1700000000000".into()),
            ..args()
        })
        .unwrap();
        assert_eq!(
            at.schedule,
            ScheduleSpec::At {
                at: AtTime::Millis(1_700_000_000_000)
            }
        );
    }
}
