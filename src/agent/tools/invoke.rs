//! One tool call, run as its own short-lived supervised task under `/gateway/tools`.
//!
//! [`invoke`] starts a temporary task child `<session>#<turn>#<call id>` (visible in
//! `/admin/actors` with the tool's name as its status while it runs) and waits for its result on
//! a oneshot channel. Inside the task:
//! - the tool's future runs under its timeout; when it expires the future is dropped (which
//!   kills whatever it started, e.g. a process group) and the model reads that it timed out;
//! - a panic, while the call is made or while its future runs, is caught: the model reads
//!   "the tool crashed", and the task ends as failed so that the registry keeps the panic
//!   message for the operator;
//! - if the caller goes away (the run was aborted or terminated, so its receiver is dropped),
//!   the task stops at once and drops the tool's future: cancellation needs no message.
//!
//! The tools supervisor never escalates (like `/gateway/runs`): tool failures are the model's
//! business, never the gateway's. Successful invocations leave the registry as soon as they end
//! ([`ChildSpec::forget_when_done`]), so thousands of calls do not pile up there.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::{select, Either};
use futures_util::FutureExt;
use pincer_actors::{
    ActorRef, ChildSpec, Intensity, RestartType, StartChild, StartError, Strategy, Supervisor,
    SupervisorSpec,
};
use serde_json::Value;
use tokio::sync::oneshot;

use super::{Tool, ToolContext};

/// What goes back into the run: the text the model reads, and whether it is an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolOutcome {
    pub content: String,
    pub is_error: bool,
}

impl ToolOutcome {
    pub fn ok(content: String) -> Self {
        ToolOutcome {
            content,
            is_error: false,
        }
    }

    pub fn error(content: impl Into<String>) -> Self {
        ToolOutcome {
            content: content.into(),
            is_error: true,
        }
    }
}

/// One call to run.
pub struct Invocation {
    /// The child id, `<session>#<turn>#<call id>`.
    pub id: String,
    pub name: String,
    pub tool: Arc<dyn Tool>,
    pub cx: Arc<ToolContext>,
    pub arguments: Value,
    pub timeout: Duration,
}

/// The spec of the tools supervisor: one_for_one, never escalating (its children are temporary
/// anyway), with extra tool-related static children such as the cache janitor.
pub fn supervisor_spec(children: Vec<ChildSpec>) -> SupervisorSpec {
    let mut spec = SupervisorSpec::new(Strategy::OneForOne).intensity(Intensity {
        max_restarts: u32::MAX,
        period: Duration::from_secs(1),
    });
    for child in children {
        spec = spec.child(child);
    }
    spec
}

/// Runs `invocation` as a child of `supervisor` and returns its outcome. Dropping the returned
/// future cancels the call.
pub async fn invoke(supervisor: &ActorRef<Supervisor>, invocation: Invocation) -> ToolOutcome {
    let name = invocation.name.clone();
    let (reply, result) = oneshot::channel();
    // The call runs beside the run that makes it, on the same engine thread.
    let spec = task_spec(invocation, reply).on(actix::Arbiter::current());
    match supervisor.ask(StartChild(spec)).await {
        Ok(Ok(_)) => {}
        Ok(Err(StartError::AlreadyExists(id))) => {
            return ToolOutcome::error(format!(
                "the tool call {id} is still running from an earlier attempt; try again"
            ))
        }
        Ok(Err(StartError::ShuttingDown)) => {
            return ToolOutcome::error(format!(
                "the tool `{name}` could not start: the gateway is shutting down"
            ))
        }
        Err(error) => {
            return ToolOutcome::error(format!("the tool `{name}` could not start: {error}"))
        }
    }
    result.await.unwrap_or_else(|_| {
        ToolOutcome::error(format!(
            "the tool `{name}` ended without a result (its task crashed or was stopped); \
             its call had no effect you can rely on"
        ))
    })
}

fn task_spec(invocation: Invocation, reply: oneshot::Sender<ToolOutcome>) -> ChildSpec {
    let id = invocation.id.clone();
    // A temporary child starts once; the slot hands the job to that one start.
    let job = Mutex::new(Some((invocation, reply)));
    ChildSpec::task(id, "tool", move |cx| {
        let taken = job.lock().unwrap_or_else(|p| p.into_inner()).take();
        match taken {
            Some((invocation, reply)) => {
                cx.set_status(invocation.name.clone());
                run(invocation, reply).boxed_local()
            }
            None => async { Ok(()) }.boxed_local(),
        }
    })
    .restart(RestartType::Temporary)
    .forget_when_done()
}

/// The task's body: the outcome goes to `reply`; a crash or a timeout also fails the task.
async fn run(
    invocation: Invocation,
    mut reply: oneshot::Sender<ToolOutcome>,
) -> Result<(), String> {
    let Invocation {
        name,
        tool,
        cx,
        arguments,
        timeout,
        ..
    } = invocation;
    let work = async move {
        let future = std::panic::catch_unwind(AssertUnwindSafe(|| tool.call(&cx, arguments)))?;
        AssertUnwindSafe(future).catch_unwind().await
    };
    let finished = {
        let closed = std::pin::pin!(reply.closed());
        let timed = std::pin::pin!(tokio::time::timeout(timeout, work));
        match select(closed, timed).await {
            Either::Left(_) => None,
            Either::Right((finished, _)) => Some(finished),
        }
    };
    let Some(finished) = finished else {
        // The run went away: its tool call is cancelled (the tool's future is already dropped).
        return Ok(());
    };
    let (outcome, failure) = match finished {
        Ok(Ok(Ok(content))) => (ToolOutcome::ok(content), None),
        Ok(Ok(Err(error))) => (ToolOutcome::error(error), None),
        Ok(Err(panic)) => {
            let message = panic_message(panic.as_ref());
            (
                ToolOutcome::error(format!(
                    "the tool `{name}` crashed ({message}); its call had no effect you can rely on"
                )),
                Some(format!("panicked: {message}")),
            )
        }
        Err(_elapsed) => (
            ToolOutcome::error(format!(
                "the tool `{name}` did not finish within {} and was stopped",
                human(timeout)
            )),
            Some(format!("timed out after {}", human(timeout))),
        ),
    };
    let _ = reply.send(outcome);
    match failure {
        Some(why) => Err(why),
        None => Ok(()),
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_string()
    }
}

/// `1.5 s`, `200 ms`.
pub fn human(duration: Duration) -> String {
    if duration >= Duration::from_secs(1) {
        let secs = duration.as_secs_f64();
        if secs.fract() == 0.0 {
            format!("{} s", duration.as_secs())
        } else {
            format!("{secs:.1} s")
        }
    } else {
        format!("{} ms", duration.as_millis())
    }
}

#[cfg(test)]
mod tests;
