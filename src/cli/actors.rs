//! `pincer actors [--json] [--watch]`: the supervision tree with every mailbox, as a table.

use std::fmt::Write as _;
use std::time::Duration;

use super::client::{block_on, encode, GatewayClient};
use super::{ActorsArgs, CliError};
use crate::api::actors::ActorState;
use crate::api::{Actor, ActorList, ActorTree};

pub fn run(config: Option<&std::path::Path>, args: &ActorsArgs) -> Result<i32, CliError> {
    let client = GatewayClient::discover(config)?;
    if let Some(id) = &args.id {
        let actor: Actor = block_on(client.get(&format!("/admin/actors/{}", encode(id))))??;
        println!(
            "{}",
            serde_json::to_string_pretty(&actor).unwrap_or_default()
        );
        return Ok(crate::exit::OK);
    }
    if args.json {
        let tree: ActorTree = block_on(client.get("/admin/actors"))??;
        println!(
            "{}",
            serde_json::to_string_pretty(&tree).unwrap_or_default()
        );
        return Ok(crate::exit::OK);
    }
    if !args.watch {
        let list: ActorList = block_on(client.get("/admin/actors?flat=1"))??;
        print!("{}", render_table(&list));
        return Ok(crate::exit::OK);
    }
    block_on(async {
        loop {
            let list: ActorList = client.get("/admin/actors?flat=1").await?;
            // Clear the screen and home the cursor, like `top`.
            print!(
                "\x1b[2J\x1b[H{} (pid {}), every 1 s; Ctrl-C to quit\n\n{}",
                client.url,
                client.pid,
                render_table(&list)
            );
            actix_web::rt::time::sleep(Duration::from_secs(1)).await;
        }
    })?
}

/// The lowercase name of a state, as the JSON has it.
fn state_name(state: ActorState) -> &'static str {
    match state {
        ActorState::Starting => "starting",
        ActorState::Running => "running",
        ActorState::Restarting => "restarting",
        ActorState::Stopped => "stopped",
        ActorState::Failed => "failed",
    }
}

/// Renders the flat `/admin/actors?flat=1` answer as an aligned table, indented by tree depth.
pub fn render_table(list: &ActorList) -> String {
    let mut rows = vec![[
        "ID",
        "ACTOR",
        "KIND",
        "STATE",
        "RESTARTS",
        "QUEUED",
        "MAX",
        "HANDLED",
        "REJECTED",
        "DROPPED",
        "MEAN",
        "SLOWEST",
        "BUSY WITH",
        "LAST ERROR",
    ]
    .map(String::from)
    .to_vec()];
    for actor in &list.actors {
        let path = actor.path.as_str();
        let depth = path.matches('/').count().saturating_sub(1);
        let name = path.rsplit('/').next().unwrap_or(path);
        let mailbox = &actor.mailbox;
        let queued = if mailbox.capacity == 0 {
            mailbox.queued.to_string()
        } else {
            format!("{}/{}", mailbox.queued, mailbox.capacity)
        };
        let busy = match &mailbox.handling {
            Some(h) => format!("{} {}ms", h.message, h.for_ms),
            None => "-".into(),
        };
        let mut last_error = actor.last_error.clone().unwrap_or_else(|| "-".into());
        if last_error.chars().count() > 60 {
            last_error = last_error.chars().take(57).collect::<String>() + "...";
        }
        rows.push(vec![
            actor.id.to_string(),
            format!(
                "{}{}",
                "  ".repeat(depth),
                if depth == 0 { path } else { name }
            ),
            actor.kind.clone(),
            state_name(actor.state).to_string(),
            actor.restarts.to_string(),
            queued,
            mailbox.max_queued.to_string(),
            mailbox.handled.to_string(),
            mailbox.rejected_full.to_string(),
            mailbox.dropped.to_string(),
            format!("{}us", mailbox.handler_time.mean_us),
            format!("{}us", mailbox.handler_time.max_us),
            busy,
            last_error,
        ]);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|col| {
            rows.iter()
                .map(|row| row[col].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_table_indents_children_and_shows_mailbox_figures() {
        let body = json!({ "generatedAtMs": 1, "count": 2, "actors": [
            { "id": 1, "path": "/gateway", "kind": "supervisor", "state": "running", "restarts": 0,
              "parent": null, "created_at_ms": 1, "uptime_ms": 5, "status": null,
              "last_error": null, "mailbox": { "capacity": 1024, "queued": 0, "max_queued": 1, "handled": 4,
              "enqueued": 4, "rejected_full": 0, "dropped": 0, "handling": null,
              "handler_time": { "count": 4, "mean_us": 3, "max_us": 9 } } },
            { "id": 2, "path": "/gateway/sessions/agent:main:main", "kind": "session", "state": "running", "restarts": 2,
              "parent": 1, "created_at_ms": 2, "uptime_ms": 3, "status": null,
              "last_error": "panicked: boom", "mailbox": { "capacity": 64, "queued": 5, "max_queued": 7, "handled": 10,
              "enqueued": 16, "rejected_full": 1, "dropped": 0, "handling": { "message": "Turn", "for_ms": 1500 },
              "handler_time": { "count": 10, "mean_us": 10, "max_us": 90 } } }
        ]});
        let list: ActorList = serde_json::from_value(body).expect("an actors.list answer");
        let table = render_table(&list);
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].starts_with("ID"), "{table}");
        assert!(
            lines[1].contains("/gateway") && lines[1].contains("0/1024"),
            "{table}"
        );
        assert!(
            lines[2].contains("    agent:main:main"),
            "depth-2 actors are indented: {table}"
        );
        assert!(
            lines[2].contains("5/64")
                && lines[2].contains("Turn 1500ms")
                && lines[2].contains("panicked: boom"),
            "{table}"
        );
    }
}
