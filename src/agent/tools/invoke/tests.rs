//! The invocation actor on a real actix system: results, errors, panics, timeouts, cancellation,
//! and what the registry shows.

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use pincer_actors::{ActorState, Registry, RootHandle};
use serde_json::{json, Value};

use super::*;
use crate::agent::tools::{test_context, Tool, ToolContext};
use crate::providers::ToolSpec;

/// Behaves according to its `mode` argument.
struct Probe {
    dropped: Arc<AtomicBool>,
}

struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, SeqCst);
    }
}

impl Tool for Probe {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "probe".into(),
            description: String::new(),
            parameters: json!({}),
        }
    }

    fn call(&self, _cx: &ToolContext, args: Value) -> BoxFuture<'static, Result<String, String>> {
        let mode = args["mode"].as_str().unwrap_or_default().to_string();
        if mode == "panic-now" {
            panic!("panicked before returning a future");
        }
        let guard = SetOnDrop(Arc::clone(&self.dropped));
        Box::pin(async move {
            let _guard = guard;
            match mode.as_str() {
                "ok" => Ok("fine".to_string()),
                "err" => Err("bad input".to_string()),
                "panic" => panic!("tool bug"),
                _ => {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    Ok("never".to_string())
                }
            }
        })
    }
}

fn invocation(id: &str, mode: &str, probe: &Arc<Probe>, dir: &std::path::Path) -> Invocation {
    Invocation {
        id: id.to_string(),
        name: "probe".into(),
        tool: Arc::clone(probe) as Arc<dyn Tool>,
        cx: Arc::new(test_context(dir)),
        arguments: json!({ "mode": mode }),
        timeout: Duration::from_millis(200),
    }
}

#[actix::test]
async fn outcomes_errors_panics_and_timeouts_become_results() {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::default();
    let root = RootHandle::start(&registry, "tools", supervisor_spec(Vec::new()));
    let tools = root.supervisor();
    let probe = Arc::new(Probe {
        dropped: Arc::new(AtomicBool::new(false)),
    });

    let ok = invoke(tools, invocation("s#t#1", "ok", &probe, dir.path())).await;
    assert_eq!(ok, ToolOutcome::ok("fine".into()));
    let err = invoke(tools, invocation("s#t#2", "err", &probe, dir.path())).await;
    assert_eq!(err, ToolOutcome::error("bad input"));

    let panicked = invoke(tools, invocation("s#t#3", "panic", &probe, dir.path())).await;
    assert!(panicked.is_error);
    assert!(
        panicked.content.contains("crashed (tool bug)"),
        "{}",
        panicked.content
    );
    let early = invoke(tools, invocation("s#t#4", "panic-now", &probe, dir.path())).await;
    assert!(
        early.content.contains("panicked before returning"),
        "{}",
        early.content
    );

    let hung = invoke(tools, invocation("s#t#5", "hang", &probe, dir.path())).await;
    assert!(hung.is_error);
    assert!(
        hung.content.contains("did not finish within 200 ms"),
        "{}",
        hung.content
    );
    assert!(
        probe.dropped.load(SeqCst),
        "the timed-out future was dropped"
    );

    // Successful calls are gone from the registry; failed ones stay visible with their reason.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let snapshot = registry.snapshot();
    let paths: Vec<&str> = snapshot.iter().map(|a| a.path.as_str()).collect();
    assert!(!paths.contains(&"/tools/s#t#1"), "{paths:?}");
    let crashed = snapshot
        .iter()
        .find(|a| a.path == "/tools/s#t#3")
        .expect("the crash stays visible");
    assert_eq!(crashed.state, ActorState::Failed);
    assert_eq!(
        crashed.last_error.as_deref(),
        Some("failed: panicked: tool bug")
    );
    let timed_out = snapshot.iter().find(|a| a.path == "/tools/s#t#5").unwrap();
    assert!(timed_out
        .last_error
        .as_deref()
        .unwrap_or_default()
        .contains("timed out"));
}

#[actix::test]
async fn dropping_the_caller_cancels_the_call_and_shows_it_while_running() {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::default();
    let root = RootHandle::start(&registry, "tools", supervisor_spec(Vec::new()));
    let tools = root.supervisor();
    let probe = Arc::new(Probe {
        dropped: Arc::new(AtomicBool::new(false)),
    });
    let mut long = invocation("s#t#9", "hang", &probe, dir.path());
    long.timeout = Duration::from_secs(3600);
    let call = invoke(tools, long);
    // Run the call for a while, then drop it (as an aborted run drops its future).
    let outcome = tokio::time::timeout(Duration::from_millis(100), call).await;
    assert!(outcome.is_err(), "still running");
    let running = registry
        .find_by_path("/tools/s#t#9")
        .expect("visible while it runs");
    assert_eq!(running.state, ActorState::Running);
    assert_eq!(running.status.as_deref(), Some("probe"));
    for _ in 0..100 {
        if probe.dropped.load(SeqCst) && registry.find_by_path("/tools/s#t#9").is_none() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the cancelled call was not stopped and forgotten");
}
