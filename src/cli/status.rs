//! `pincer status` (permits, waiting runs, cooldowns, sessions) and `pincer trace` (run timelines,
//! like the seed's `traceAgentRun`: total duration, model time, tool time, tokens).

use std::path::Path;

use super::client::{block_on, encode, GatewayClient};
use super::{CliError, JsonArgs, TraceArgs};
use crate::api::{Status, TraceStep, Traces};

pub fn run(config: Option<&Path>, args: &JsonArgs) -> Result<i32, CliError> {
    let client = GatewayClient::discover(config)?;
    let status: Status = block_on(client.get("/admin/status"))??;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&status).unwrap_or_default()
        );
        return Ok(crate::exit::OK);
    }
    println!(
        "gateway     {} (pid {}), up {} s",
        client.url,
        client.pid,
        status.uptime_ms / 1000
    );
    println!("models      {}", status.models.join(" -> "));
    println!(
        "runs        {} in flight; {}",
        status.runs_in_flight,
        status.resources.as_deref().unwrap_or("-")
    );
    println!(
        "sessions    {} live, {} stored; {}",
        status.live_sessions,
        status.stored_sessions,
        status.router.as_deref().unwrap_or("-")
    );
    if let Some(reason) = &status.safe_mode {
        println!("SAFE MODE   {reason}");
    }
    if let Some(reason) = &status.shedding {
        println!("SHEDDING    {reason}");
    }
    for alert in &status.alerts {
        println!("alert       [{}] {}", alert.level, alert.message);
    }
    if status.cooldowns.is_empty() {
        println!("cooldowns   none");
    }
    for c in &status.cooldowns {
        println!(
            "cooldown    {}: {} s left (level {}): {}",
            c.provider,
            c.remaining_ms / 1000,
            c.level,
            c.reason
        );
    }
    Ok(crate::exit::OK)
}

pub fn trace(config: Option<&Path>, args: &TraceArgs) -> Result<i32, CliError> {
    let (session, filter) = match (&args.run, &args.session) {
        (Some(run), _) => {
            let session = run
                .split_once('#')
                .map(|(session, _)| session.to_string())
                .ok_or_else(|| {
                    CliError::Usage("a run id looks like <session key>#<turn id>".into())
                })?;
            (session, format!("&run={}", encode(run)))
        }
        (None, Some(session)) => (session.clone(), String::new()),
        (None, None) => (crate::sessions::key::MAIN.to_string(), String::new()),
    };
    let client = GatewayClient::discover(config)?;
    let path = format!(
        "/admin/sessions/{}/traces?last={}{filter}",
        encode(&session),
        args.last
    );
    let answer: Traces = block_on(client.get(&path))??;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&answer).unwrap_or_default()
        );
        return Ok(crate::exit::OK);
    }
    if answer.traces.is_empty() {
        println!("no runs recorded for {session}");
    }
    for record in &answer.traces {
        println!("run {}", record.run);
        let (mut model_ms, mut tool_ms, mut media_ms) = (0u64, 0u64, 0u64);
        for step in &record.trace.steps {
            match step {
                TraceStep::Model {
                    model,
                    duration_ms,
                    first_token_ms,
                    input_tokens,
                    output_tokens,
                    tool_calls,
                } => {
                    model_ms += duration_ms;
                    println!(
                        "  model {model:<32} {duration_ms:>6} ms (first token {} ms)  in {input_tokens} / out {output_tokens} tokens, {tool_calls} tool calls",
                        first_token_ms.map(|v| v.to_string()).unwrap_or_else(|| "-".into()),
                    );
                }
                TraceStep::Tool {
                    name,
                    duration_ms,
                    is_error,
                } => {
                    tool_ms += duration_ms;
                    println!(
                        "  tool  {name:<32} {duration_ms:>6} ms{}",
                        if *is_error { "  (error)" } else { "" }
                    );
                }
                TraceStep::Download {
                    media,
                    bytes,
                    duration_ms,
                    error,
                } => {
                    media_ms += duration_ms;
                    println!(
                        "  fetch {media:<32} {duration_ms:>6} ms  {bytes} bytes{}",
                        error
                            .as_ref()
                            .map(|e| format!("  ({e})"))
                            .unwrap_or_default()
                    );
                }
                TraceStep::Transcription {
                    media,
                    bytes,
                    duration_ms,
                    model,
                    error,
                } => {
                    media_ms += duration_ms;
                    let what = format!("{media} ({model})");
                    println!(
                        "  audio {what:<32} {duration_ms:>6} ms  {bytes} bytes transcribed{}",
                        error
                            .as_ref()
                            .map(|e| format!("  ({e})"))
                            .unwrap_or_default()
                    );
                }
            }
        }
        println!(
            "  total {} ms (model {model_ms} ms, tools {tool_ms} ms, media {media_ms} ms), tokens in {} / out {}",
            model_ms + tool_ms + media_ms,
            record.trace.input_tokens,
            record.trace.output_tokens
        );
    }
    Ok(crate::exit::OK)
}
