//! `mcp-emu`: a small MCP server for Pincer's integration tests, over stdio (newline-delimited
//! JSON-RPC, the default) or, with `--http`, streamable HTTP on `127.0.0.1:0` (it prints
//! `PORT <n>` on stdout, then serves `POST /mcp`, answering requests as SSE streams and
//! notifications with 202).
//!
//! Tools (listed two per `tools/list` page, so clients must follow `nextCursor`):
//! - `echo {text}` returns the text; `add {a, b}` returns the sum;
//! - `env {name}` returns the value of that environment variable, or `unset`;
//! - `crash` exits the process (code 3) without answering;
//! - `hang` never answers;
//! - `grow` adds the tool `extra` (which returns "extra!"), sends
//!   `notifications/tools/list_changed`, then answers.
//!
//! `--describe-echo TEXT` replaces the description of `echo` (a hostile one, for the Control
//! UI's test). `--log PATH` appends every message received, one JSON per line (to check `initialize` and
//! `notifications/cancelled`).
//!
//! The HTTP server also speaks the older HTTP+SSE transport: `GET /sse` opens the event stream,
//! whose first event, `endpoint`, names `/messages`; what is POSTed there is answered with 202
//! and the replies go out on the stream as `message` events.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

const PAGE: usize = 2;

struct State {
    grown: AtomicBool,
    echo_description: String,
    /// The open `GET /sse` stream, if any.
    sse: Mutex<Option<TcpStream>>,
    log: Option<Mutex<std::fs::File>>,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let log = args
        .iter()
        .position(|a| a == "--log")
        .and_then(|i| args.get(i + 1))
        .map(|path| {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .expect("open the log");
            Mutex::new(file)
        });
    let state = Arc::new(State {
        grown: AtomicBool::new(false),
        echo_description: args
            .iter()
            .position(|a| a == "--describe-echo")
            .and_then(|i| args.get(i + 1))
            .cloned()
            .unwrap_or_else(|| "returns its text".to_string()),
        sse: Mutex::new(None),
        log,
    });
    if args.iter().any(|a| a == "--http") {
        serve_http(state);
    } else {
        serve_stdio(&state);
    }
}

fn serve_stdio(state: &Arc<State>) {
    let stdout = Arc::new(Mutex::new(std::io::stdout()));
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let Ok(message) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        let out = Arc::clone(&stdout);
        let send = move |reply: Value| {
            let mut out = out.lock().expect("stdout");
            let _ = writeln!(out, "{reply}");
            let _ = out.flush();
        };
        handle(state, &message, &send);
    }
}

/// Answers one message through `send` (which may be called for notifications first).
fn handle(state: &State, message: &Value, send: &dyn Fn(Value)) {
    if let Some(log) = &state.log {
        let mut file = log.lock().expect("log");
        let _ = writeln!(file, "{message}");
    }
    let Some(id) = message.get("id").cloned() else {
        return;
    };
    let method = message["method"].as_str().unwrap_or_default();
    let params = &message["params"];
    let result = match method {
        "initialize" => json!({
            "protocolVersion": params["protocolVersion"].as_str().unwrap_or("2025-06-18"),
            "capabilities": {"tools": {"listChanged": true}},
            "serverInfo": {"name": "mcp-emu", "version": "1.0"},
        }),
        "ping" => json!({}),
        "tools/list" => list_tools(state, params["cursor"].as_str()),
        "tools/call" => match call(state, params, send) {
            Some(result) => result,
            None => return,
        },
        other => {
            send(json!({"jsonrpc": "2.0", "id": id,
                "error": {"code": -32601, "message": format!("no method {other}")}}));
            return;
        }
    };
    send(json!({"jsonrpc": "2.0", "id": id, "result": result}));
}

fn tools(state: &State) -> Vec<Value> {
    let tool = |name: &str, description: &str, properties: Value| {
        json!({"name": name, "description": description,
            "inputSchema": {"type": "object", "properties": properties}})
    };
    let mut all = vec![
        tool(
            "echo",
            &state.echo_description,
            json!({"text": {"type": "string"}}),
        ),
        tool(
            "add",
            "adds two numbers",
            json!({"a": {"type": "number"}, "b": {"type": "number"}}),
        ),
        tool("crash", "exits mid-call", json!({})),
        tool("hang", "never answers", json!({})),
        tool("grow", "adds the tool extra", json!({})),
        tool(
            "env",
            "reads a variable",
            json!({"name": {"type": "string"}}),
        ),
    ];
    if state.grown.load(Ordering::SeqCst) {
        all.push(tool("extra", "added by grow", json!({})));
    }
    all
}

fn list_tools(state: &State, cursor: Option<&str>) -> Value {
    let all = tools(state);
    let start: usize = cursor.and_then(|c| c.parse().ok()).unwrap_or(0);
    let page: Vec<Value> = all.iter().skip(start).take(PAGE).cloned().collect();
    let mut result = json!({"tools": page});
    if start + PAGE < all.len() {
        result["nextCursor"] = json!((start + PAGE).to_string());
    }
    result
}

fn text(value: &str) -> Value {
    json!({"content": [{"type": "text", "text": value}], "isError": false})
}

fn call(state: &State, params: &Value, send: &dyn Fn(Value)) -> Option<Value> {
    let arguments = &params["arguments"];
    match params["name"].as_str().unwrap_or_default() {
        "echo" => Some(text(arguments["text"].as_str().unwrap_or_default())),
        "add" => {
            let sum =
                arguments["a"].as_f64().unwrap_or(0.0) + arguments["b"].as_f64().unwrap_or(0.0);
            Some(text(&sum.to_string()))
        }
        "crash" => std::process::exit(3),
        "hang" => None,
        "grow" => {
            state.grown.store(true, Ordering::SeqCst);
            send(json!({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"}));
            Some(text("grown"))
        }
        "extra" => Some(text("extra!")),
        "env" => {
            let name = arguments["name"].as_str().unwrap_or_default();
            Some(text(
                &std::env::var(name).unwrap_or_else(|_| "unset".to_string()),
            ))
        }
        other => Some(
            json!({"content": [{"type": "text", "text": format!("no tool {other}")}],
            "isError": true}),
        ),
    }
}

fn serve_http(state: Arc<State>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    println!("PORT {}", listener.local_addr().expect("addr").port());
    let _ = std::io::stdout().flush();
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let state = Arc::clone(&state);
        std::thread::spawn(move || serve_connection(&state, stream));
    }
}

/// One HTTP/1.1 connection: `POST /mcp` requests with a Content-Length body.
fn serve_connection(state: &State, stream: TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let writer = Arc::new(Mutex::new(stream));
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0usize;
        let mut session = None;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                match name.trim().to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse().unwrap_or(0),
                    "mcp-session-id" => session = Some(value.trim().to_string()),
                    _ => {}
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let respond = |status: &str, headers: &str, body: &str| {
            let mut out = writer.lock().expect("writer");
            let _ = write!(
                out,
                "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\n\r\n{body}",
                body.len()
            );
            let _ = out.flush();
        };
        if request_line.starts_with("GET /sse ") {
            let mut out = writer.lock().expect("writer");
            let _ = write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\nevent: endpoint\ndata: /messages\n\n"
            );
            let _ = out.flush();
            *state.sse.lock().expect("sse") = out.try_clone().ok();
            continue;
        }
        if request_line.starts_with("POST /messages ") {
            let Ok(message) = serde_json::from_slice::<Value>(&body) else {
                respond("400 Bad Request", "", "");
                continue;
            };
            respond("202 Accepted", "", "");
            handle(state, &message, &|reply: Value| {
                if let Some(stream) = state.sse.lock().expect("sse").as_mut() {
                    let _ = write!(stream, "event: message\ndata: {reply}\n\n");
                    let _ = stream.flush();
                }
            });
            continue;
        }
        if !request_line.starts_with("POST /mcp ") {
            respond("405 Method Not Allowed", "", "");
            continue;
        }
        let Ok(message) = serde_json::from_slice::<Value>(&body) else {
            respond("400 Bad Request", "", "");
            continue;
        };
        let is_initialize = message["method"] == "initialize";
        if !is_initialize && session.as_deref() != Some("emu-session") {
            respond("404 Not Found", "", "");
            continue;
        }
        let events = Mutex::new(String::new());
        handle(state, &message, &|reply: Value| {
            events
                .lock()
                .expect("events")
                .push_str(&format!("event: message\ndata: {reply}\n\n"));
        });
        let events = events.into_inner().expect("events");
        if message.get("id").is_none() || events.is_empty() {
            if message.get("id").is_some() {
                // A call that never answers: keep the request open until the client gives up.
                std::thread::park();
            }
            respond("202 Accepted", "", "");
        } else {
            respond(
                "200 OK",
                "Content-Type: text/event-stream\r\nMcp-Session-Id: emu-session\r\n",
                &events,
            );
        }
    }
}
