//! Helpers of the onboarding tests: a stand-in for a provider's model list (the key check's
//! request), a stand-in `systemctl`, and a free port.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

/// Answers `GET …/models` like Anthropic and OpenAI: 200 with an empty list when the key
/// (`x-api-key` or `Authorization: Bearer`) is `good`, 401 otherwise. Records each key seen.
pub struct KeyStub {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<String>>>,
}

impl KeyStub {
    pub fn start(good: &str) -> KeyStub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind key stub");
        let addr = listener.local_addr().expect("addr");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (good, record) = (good.to_string(), Arc::clone(&seen));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(&stream);
                let mut key = String::new();
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                    let lower = line.to_ascii_lowercase();
                    if let Some(value) = lower
                        .strip_prefix("x-api-key:")
                        .or_else(|| lower.strip_prefix("authorization: bearer"))
                    {
                        // Keep the original case of the key.
                        let at = line.len() - value.len();
                        key = line[at..].trim().to_string();
                    }
                    line.clear();
                }
                let (status, body) = if key == good {
                    ("200 OK", r#"{"data":[]}"#)
                } else {
                    ("401 Unauthorized", r#"{"error":"invalid api key"}"#)
                };
                if let Ok(mut seen) = record.lock() {
                    seen.push(key);
                }
                let mut stream = &stream;
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        KeyStub { addr, seen }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn keys_seen(&self) -> Vec<String> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A folder with a `systemctl` that appends its arguments to `calls.log` and runs `body` (a
/// shell `case` on "$*"), for `PATH`. Returns the folder and the log's path.
pub fn fake_systemctl(body: &str) -> (tempfile::TempDir, PathBuf) {
    let bin = tempfile::tempdir().expect("bin");
    let calls = bin.path().join("calls.log");
    let script = format!("#!/bin/sh\necho \"$@\" >> '{}'\n{body}\n", calls.display());
    let fake = bin.path().join("systemctl");
    std::fs::write(&fake, script).expect("fake systemctl");
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    (bin, calls)
}

/// `PATH` with `dir` first.
pub fn path_with(dir: &Path) -> String {
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// `pincer` in `home` with every variable onboarding reads removed, so that the developer's own
/// keys never leak into a test.
pub fn onboard_command(home: &Path) -> Command {
    let mut command = super::pincer(home);
    for name in [
        "ANTHROPIC_API_KEY",
        "OPENAI_API_KEY",
        "PINCER_WHATSAPP_ACCESS_TOKEN",
        "PINCER_WHATSAPP_APP_SECRET",
        "PINCER_WHATSAPP_VERIFY_TOKEN",
        "PINCER_TELEGRAM_BOT_TOKEN",
        "TELEGRAM_BOT_TOKEN",
        "CI",
    ] {
        command.env_remove(name);
    }
    command
}
