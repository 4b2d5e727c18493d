//! `pincer agent --message TEXT [--session KEY]`: one turn, streamed to the terminal.

use std::io::Write;

use futures_util::StreamExt;
use serde_json::{json, Value};

use super::client::{block_on, GatewayClient};
use super::{AgentArgs, CliError};
use crate::sessions::key;

pub fn run(config: Option<&std::path::Path>, args: &AgentArgs) -> Result<i32, CliError> {
    let session = args
        .session
        .clone()
        .unwrap_or_else(|| key::MAIN.to_string());
    if !key::is_valid(&session) {
        return Err(CliError::Usage(format!("invalid session key {session:?}")));
    }
    let client = GatewayClient::discover(config)?;
    block_on(async {
        let body = json!({ "model": "pincer", "stream": true, "messages": [{ "role": "user", "content": args.message }] });
        let response = client
            .post_raw(
                "/v1/chat/completions",
                &body,
                &[("x-pincer-session-key", &session)],
            )
            .await?;
        let status = response.status().as_u16();
        if status != 200 {
            let body: Value = response.json().await.unwrap_or(Value::Null);
            let message = body["error"]["message"].as_str().unwrap_or("no details");
            return Err(CliError::Http(format!(
                "the gateway answered {status}: {message}"
            )));
        }
        let mut stream = response.bytes_stream();
        let mut buffer = String::new();
        let mut stdout = std::io::stdout();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| CliError::Http(format!("the stream broke: {e}")))?;
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let event: String = buffer.drain(..end + 2).collect();
                let Some(data) = event.trim().strip_prefix("data: ") else {
                    continue;
                };
                if data == "[DONE]" {
                    let _ = writeln!(stdout);
                    return Ok(crate::exit::OK);
                }
                let parsed: Value = serde_json::from_str(data).unwrap_or(Value::Null);
                if let Some(error) = parsed["error"]["message"].as_str() {
                    let _ = writeln!(stdout);
                    return Err(CliError::Http(format!("no answer: {error}")));
                }
                if let Some(piece) = parsed["choices"][0]["delta"]["content"].as_str() {
                    let _ = write!(stdout, "{piece}");
                    let _ = stdout.flush();
                }
            }
        }
        Err(CliError::Http(
            "the stream ended before the answer was complete".into(),
        ))
    })?
}
