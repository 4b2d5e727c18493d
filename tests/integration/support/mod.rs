//! Shared helpers for the integration tests: start the real `pincer` binary in a temporary
//! `PINCER_HOME` on an OS-chosen port, talk raw HTTP/1.1 to it, and run CLI commands against it.

pub mod agent;
pub mod browser;
pub mod channels;
pub mod onboard;
pub mod provider_calls;
pub mod tools;
pub mod ws;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_pincer");

/// A `pincer gateway` process; stopped (SIGTERM, then SIGKILL) when dropped.
pub struct Gateway {
    pub home: tempfile::TempDir,
    pub child: Option<Child>,
    pub addr: SocketAddr,
    pub pid: u32,
    /// Where the test sees the state directory (`home/state`, or that path inside the mount
    /// namespace the gateway runs in, through `/proc/<pid>/root`).
    pub state: PathBuf,
}

/// A `pincer` command in `home`, with the test's environment cleared of overrides.
pub fn pincer(home: &Path) -> Command {
    pincer_via(home, &[])
}

/// Like [`pincer`], run through `wrapper` (e.g. `nsenter -t PID -m --`), which must exec it.
pub fn pincer_via(home: &Path, wrapper: &[&str]) -> Command {
    let mut command = match wrapper.split_first() {
        Some((program, args)) => {
            let mut command = Command::new(program);
            command.args(args).arg(BIN);
            command
        }
        None => Command::new(BIN),
    };
    command
        .env("PINCER_HOME", home)
        .env_remove("PINCER_CONFIG")
        .env_remove("PINCER_STATE_DIR")
        .env_remove("PINCER_GATEWAY_PORT")
        .env_remove("PINCER_GATEWAY_TOKEN")
        .env_remove("PINCER_GATEWAY_PASSWORD")
        .env_remove("PINCER_AGENT_MODEL")
        .env_remove("CLAWDBOT_GATEWAY_PORT")
        .env_remove("CLAWDBOT_GATEWAY_PASSWORD")
        .env_remove("CLAWDBOT_AGENT_MODEL")
        .stdin(Stdio::null());
    command
}

impl Gateway {
    /// Starts a gateway with `config` (JSON5 text) written to `pincer.json5`, if given.
    pub fn start(config: Option<&str>) -> Gateway {
        Gateway::start_with(config, &[])
    }

    /// Like [`Gateway::start`], with extra environment variables.
    pub fn start_with(config: Option<&str>, env: &[(&str, &str)]) -> Gateway {
        let home = tempfile::tempdir().expect("temp PINCER_HOME");
        if let Some(text) = config {
            std::fs::write(home.path().join("pincer.json5"), text).expect("write config");
        }
        Gateway::start_in(home, env)
    }

    /// Stops this gateway (SIGTERM) and starts a new one on the same `PINCER_HOME`.
    pub fn restart(mut self) -> Gateway {
        let output = self.terminate();
        assert!(
            output.status.success(),
            "clean stop before restart: {}",
            stderr(&output)
        );
        let home = std::mem::replace(&mut self.home, tempfile::tempdir().expect("placeholder"));
        Gateway::start_in(home, &[])
    }

    /// Kills the gateway with SIGKILL (a crash) and hands back its home.
    pub fn kill9(mut self) -> tempfile::TempDir {
        if let Some(mut child) = self.child.take() {
            signal(child.id(), "KILL");
            let _ = child.wait();
        }
        std::mem::replace(&mut self.home, tempfile::tempdir().expect("placeholder"))
    }

    /// Starts a gateway on an existing `PINCER_HOME`.
    pub fn start_in(home: tempfile::TempDir, env: &[(&str, &str)]) -> Gateway {
        let mut command = pincer(home.path());
        for (key, value) in env {
            command.env(key, value);
        }
        let state = home.path().join("state");
        Gateway::spawn(home, command, state)
    }

    /// Runs `command` (a `pincer` command without its arguments) as `gateway --port 0` and waits
    /// for it to publish its runtime file under `state`, the state directory as the test sees it.
    pub fn spawn(home: tempfile::TempDir, mut command: Command, state: PathBuf) -> Gateway {
        command
            .args(["gateway", "--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawn pincer gateway");
        let runtime = state.join("gateway.json");
        let deadline = Instant::now() + Duration::from_secs(15);
        let info: Value = loop {
            if let Ok(text) = std::fs::read(&runtime) {
                // A crashed predecessor may have left its file behind: wait for ours.
                if let Ok(info) = serde_json::from_slice::<Value>(&text) {
                    if info["pid"].as_u64() == Some(u64::from(child.id())) {
                        break info;
                    }
                }
            }
            if let Ok(Some(status)) = child.try_wait() {
                let output = child.wait_with_output().expect("output");
                panic!(
                    "gateway exited early with {status}\nstdout:\n{}\nstderr:\n{}",
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            assert!(
                Instant::now() < deadline,
                "gateway did not publish {}",
                runtime.display()
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        let addr: SocketAddr = info["url"]
            .as_str()
            .and_then(|url| {
                url.strip_prefix("http://")
                    .or_else(|| url.strip_prefix("https://"))
            })
            .and_then(|hostport| hostport.parse().ok())
            .expect("url in gateway.json");
        let pid = child.id();
        Gateway {
            home,
            child: Some(child),
            addr,
            pid,
            state,
        }
    }

    pub fn home(&self) -> &Path {
        self.home.path()
    }

    pub fn state_dir(&self) -> PathBuf {
        self.state.clone()
    }

    /// The generated token (zero-config start).
    pub fn token(&self) -> String {
        std::fs::read_to_string(self.state_dir().join("gateway.token"))
            .expect("token file")
            .trim()
            .to_string()
    }

    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        http_get(self.addr, path, headers)
    }

    /// GET with the zero-config token.
    pub fn get_authed(&self, path: &str) -> Response {
        let bearer = format!("Bearer {}", self.token());
        self.get(path, &[("Authorization", &bearer)])
    }

    /// Sends SIGTERM and returns the process output once it exited (panics after 30 s).
    pub fn terminate(&mut self) -> Output {
        let child = self.child.take().expect("still running");
        signal(child.id(), "TERM");
        wait_with_timeout(child, Duration::from_secs(30))
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            signal(child.id(), "TERM");
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub fn signal(pid: u32, name: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status();
}

pub fn wait_with_timeout(mut child: Child, limit: Duration) -> Output {
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            return child.wait_with_output().expect("output");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let output = child.wait_with_output().expect("output");
            panic!(
                "process did not exit within {limit:?}\nstderr:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// An HTTP response with its JSON body (Null when not JSON).
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Value,
    pub text: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// A minimal HTTP/1.1 GET over a fresh connection (`Connection: close`).
pub fn http_get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Response {
    http_request(addr, "GET", path, headers, None)
}

/// A minimal HTTP/1.1 POST of a JSON body (`Connection: close`).
pub fn http_post(addr: SocketAddr, path: &str, headers: &[(&str, &str)], body: &Value) -> Response {
    http_request(addr, "POST", path, headers, Some(body.to_string()))
}

/// One request over a fresh connection; reads the whole answer (chunked bodies are de-chunked).
pub fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<String>,
) -> Response {
    let mut stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (key, value) in headers {
        request.push_str(&format!("{key}: {value}\r\n"));
    }
    if let Some(body) = &body {
        request.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    request.push_str("\r\n");
    if let Some(body) = &body {
        request.push_str(body);
    }
    stream.write_all(request.as_bytes()).expect("send request");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read response");
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    Response {
        status,
        headers,
        body: serde_json::from_str(&body).unwrap_or(Value::Null),
        text: body,
    }
}

/// Joins the chunks of a `Transfer-Encoding: chunked` body.
fn dechunk(raw: &str) -> String {
    let mut raw = raw.as_bytes();
    let mut out = Vec::new();
    while let Some(line_end) = raw.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&raw[..line_end])
            .ok()
            .and_then(|s| usize::from_str_radix(s.trim(), 16).ok());
        let rest = &raw[line_end + 2..];
        match size {
            Some(size) if size > 0 && rest.len() >= size => {
                out.extend_from_slice(&rest[..size]);
                raw = rest[size..].strip_prefix(b"\r\n").unwrap_or(&rest[size..]);
            }
            _ => break,
        }
    }
    String::from_utf8_lossy(&out).to_string()
}

/// Runs a `pincer` command in `home` and returns its output.
pub fn run_cli(home: &Path, args: &[&str]) -> Output {
    let child = pincer(home)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn pincer");
    wait_with_timeout(child, Duration::from_secs(30))
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

/// All actor paths in a `/admin/actors` tree answer.
pub fn tree_paths(node: &Value, out: &mut Vec<String>) {
    if let Some(path) = node["path"].as_str() {
        out.push(path.to_string());
    }
    for child in node["children"].as_array().into_iter().flatten() {
        tree_paths(child, out);
    }
}
