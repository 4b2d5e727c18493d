//! `pincer actors [--json] [--watch]`: the supervision tree with every mailbox, as a table.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::Value;

use super::client::{block_on, GatewayClient};
use super::{ActorsArgs, CliError};

pub fn run(config: Option<&std::path::Path>, args: &ActorsArgs) -> Result<i32, CliError> {
    let client = GatewayClient::discover(config)?;
    if args.json {
        let body = block_on(client.get_ok("/admin/actors"))??;
        println!(
            "{}",
            serde_json::to_string_pretty(&body).unwrap_or_default()
        );
        return Ok(crate::exit::OK);
    }
    if !args.watch {
        let body = block_on(client.get_ok("/admin/actors?flat=1"))??;
        print!("{}", render_table(&body));
        return Ok(crate::exit::OK);
    }
    block_on(async {
        loop {
            let body = client.get_ok("/admin/actors?flat=1").await?;
            // Clear the screen and home the cursor, like `top`.
            print!(
                "\x1b[2J\x1b[H{} (pid {}), every 1 s; Ctrl-C to quit\n\n{}",
                client.url,
                client.pid,
                render_table(&body)
            );
            actix_web::rt::time::sleep(Duration::from_secs(1)).await;
        }
    })?
}

/// Renders the flat `/admin/actors?flat=1` answer as an aligned table, indented by tree depth.
pub fn render_table(body: &Value) -> String {
    let actors = body["actors"].as_array().cloned().unwrap_or_default();
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
    for actor in &actors {
        let path = actor["path"].as_str().unwrap_or("?");
        let depth = path.matches('/').count().saturating_sub(1);
        let name = path.rsplit('/').next().unwrap_or(path);
        let mailbox = &actor["mailbox"];
        let number = |v: &Value| {
            v.as_u64()
                .map(|n| n.to_string())
                .unwrap_or_else(|| "-".into())
        };
        let capacity = mailbox["capacity"].as_u64().unwrap_or(0);
        let queued = if capacity == 0 {
            number(&mailbox["queued"])
        } else {
            format!("{}/{capacity}", number(&mailbox["queued"]))
        };
        let busy = match mailbox["handling"].as_object() {
            Some(h) => format!(
                "{} {}ms",
                h.get("message").and_then(Value::as_str).unwrap_or("?"),
                h.get("for_ms").and_then(Value::as_u64).unwrap_or(0)
            ),
            None => "-".into(),
        };
        let mut last_error = actor["last_error"].as_str().unwrap_or("-").to_string();
        if last_error.chars().count() > 60 {
            last_error = last_error.chars().take(57).collect::<String>() + "...";
        }
        rows.push(vec![
            number(&actor["id"]),
            format!(
                "{}{}",
                "  ".repeat(depth),
                if depth == 0 { path } else { name }
            ),
            actor["kind"].as_str().unwrap_or("?").to_string(),
            actor["state"].as_str().unwrap_or("?").to_string(),
            number(&actor["restarts"]),
            queued,
            number(&mailbox["max_queued"]),
            number(&mailbox["handled"]),
            number(&mailbox["rejected_full"]),
            number(&mailbox["dropped"]),
            format!("{}us", number(&mailbox["handler_time"]["mean_us"])),
            format!("{}us", number(&mailbox["handler_time"]["max_us"])),
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
        let body = json!({ "actors": [
            { "id": 1, "path": "/gateway", "kind": "supervisor", "state": "running", "restarts": 0,
              "last_error": null, "mailbox": { "capacity": 1024, "queued": 0, "max_queued": 1, "handled": 4,
              "rejected_full": 0, "dropped": 0, "handling": null, "handler_time": { "mean_us": 3, "max_us": 9 } } },
            { "id": 2, "path": "/gateway/sessions/agent:main:main", "kind": "session", "state": "running", "restarts": 2,
              "last_error": "panicked: boom", "mailbox": { "capacity": 64, "queued": 5, "max_queued": 7, "handled": 10,
              "rejected_full": 1, "dropped": 0, "handling": { "message": "Turn", "for_ms": 1500 },
              "handler_time": { "mean_us": 10, "max_us": 90 } } }
        ]});
        let table = render_table(&body);
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
