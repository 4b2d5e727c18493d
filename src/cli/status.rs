//! `pincer status` (permits, waiting runs, cooldowns, sessions) and `pincer trace` (run timelines,
//! like the seed's `traceAgentRun`: total duration, model time, tool time, tokens).

use std::path::Path;

use serde_json::Value;

use super::client::{block_on, encode, GatewayClient};
use super::{CliError, JsonArgs, TraceArgs};

pub fn run(config: Option<&Path>, args: &JsonArgs) -> Result<i32, CliError> {
    let client = GatewayClient::discover(config)?;
    let status = block_on(client.get_ok("/admin/status"))??;
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
        status["uptimeMs"].as_u64().unwrap_or(0) / 1000
    );
    let models: Vec<&str> = status["models"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    println!("models      {}", models.join(" -> "));
    println!(
        "runs        {} in flight; {}",
        status["runsInFlight"],
        status["resources"].as_str().unwrap_or("-")
    );
    println!(
        "sessions    {} live, {} stored; {}",
        status["liveSessions"],
        status["storedSessions"],
        status["router"].as_str().unwrap_or("-")
    );
    if let Some(reason) = status["safeMode"].as_str() {
        println!("SAFE MODE   {reason}");
    }
    if let Some(reason) = status["shedding"].as_str() {
        println!("SHEDDING    {reason}");
    }
    for alert in status["alerts"].as_array().into_iter().flatten() {
        println!(
            "alert       [{}] {}",
            alert["level"].as_str().unwrap_or("?"),
            alert["message"].as_str().unwrap_or("")
        );
    }
    let cooldowns = status["cooldowns"].as_array().cloned().unwrap_or_default();
    if cooldowns.is_empty() {
        println!("cooldowns   none");
    }
    for c in cooldowns {
        println!(
            "cooldown    {}: {} s left (level {}): {}",
            c["provider"].as_str().unwrap_or("?"),
            c["remainingMs"].as_u64().unwrap_or(0) / 1000,
            c["level"],
            c["reason"].as_str().unwrap_or("")
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
    let answer = block_on(client.get_ok(&path))??;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&answer).unwrap_or_default()
        );
        return Ok(crate::exit::OK);
    }
    let traces = answer["traces"].as_array().cloned().unwrap_or_default();
    if traces.is_empty() {
        println!("no runs recorded for {session}");
    }
    for trace in traces {
        println!("run {}", trace["run"].as_str().unwrap_or("?"));
        let (mut model_ms, mut tool_ms) = (0u64, 0u64);
        for step in trace["trace"]["steps"].as_array().into_iter().flatten() {
            let duration = step["durationMs"].as_u64().unwrap_or(0);
            if step["kind"] == "model" {
                model_ms += duration;
                println!(
                    "  model {:<32} {:>6} ms (first token {} ms)  in {} / out {} tokens, {} tool calls",
                    step["model"].as_str().unwrap_or("?"),
                    duration,
                    step["firstTokenMs"].as_u64().map(|v| v.to_string()).unwrap_or_else(|| "-".into()),
                    step["inputTokens"],
                    step["outputTokens"],
                    step["toolCalls"]
                );
            } else {
                tool_ms += duration;
                println!(
                    "  tool  {:<32} {:>6} ms{}",
                    step["name"].as_str().unwrap_or("?"),
                    duration,
                    if step["isError"] == true {
                        "  (error)"
                    } else {
                        ""
                    }
                );
            }
        }
        println!(
            "  total {} ms (model {model_ms} ms, tools {tool_ms} ms), tokens in {} / out {}",
            model_ms + tool_ms,
            trace["trace"]["inputTokens"],
            trace["trace"]["outputTokens"]
        );
    }
    Ok(crate::exit::OK)
}
