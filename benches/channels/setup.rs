//! The system under test: a `pincer gateway` in a temporary home whose WhatsApp channel points at
//! the Graph API emulator, with 1,000 senders already paired (in the pairing store's allowlist
//! file, as `pincer pairing approve` leaves it), and its `/proc` figures.

use std::fs;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::client::Client;
use crate::{Result, APP_SECRET, PINCER_BIN, PNID, WA_TOKEN};

/// One running gateway.
pub(crate) struct Gateway {
    child: Child,
    pub(crate) addr: SocketAddr,
    token: String,
    stderr_path: PathBuf,
    _home: tempfile::TempDir,
}

/// The sender numbers, all paired.
pub(crate) fn sender(n: usize) -> String {
    format!("4915550{n:05}")
}

impl Gateway {
    pub(crate) fn start(provider: &str, graph: &str, senders: usize) -> Result<Gateway> {
        let home = tempfile::Builder::new()
            .prefix("pincer-bench-channels-")
            .tempdir()
            .map_err(|e| format!("temp dir: {e}"))?;
        let config = format!(
            "{{ agents: {{ defaults: {{ model: 'openai/m' }}, maxConcurrentRuns: 64, sessionCacheSize: 20000 }},\n\
               session: {{ idleMinutes: 600 }}, messages: {{ queue: {{ mode: 'followup' }} }},\n\
               models: {{ providers: {{ openai: {{ api: 'openai-completions', baseUrl: '{provider}', apiKey: 'k' }} }} }},\n\
               channels: {{ whatsapp: {{ enabled: true, phoneNumberId: '{PNID}', accessToken: '{WA_TOKEN}',\n\
                 appSecret: '{APP_SECRET}', verifyToken: 'v', apiBaseUrl: '{graph}', dmPolicy: 'pairing',\n\
                 sendsPerSecond: 1000000, markRead: false }} }} }}\n"
        );
        fs::write(home.path().join("pincer.json5"), config).map_err(|e| e.to_string())?;
        let credentials = home.path().join("state").join("credentials");
        fs::create_dir_all(&credentials).map_err(|e| e.to_string())?;
        let approved: Vec<String> = (0..senders).map(sender).collect();
        fs::write(
            credentials.join("whatsapp-allowFrom.json"),
            json!({ "version": 1, "allowFrom": approved }).to_string(),
        )
        .map_err(|e| e.to_string())?;
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let stderr_path = home.path().join("gateway.stderr");
        let stderr = fs::File::create(&stderr_path).map_err(|e| e.to_string())?;
        let mut command = Command::new(PINCER_BIN);
        command
            .args(["gateway", "--port", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .env("PINCER_HOME", home.path());
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("PINCER_") {
                command.env_remove(&name);
            }
        }
        command.env("PINCER_HOME", home.path());
        let child = command
            .spawn()
            .map_err(|e| format!("start {PINCER_BIN}: {e}"))?;
        let mut gateway = Gateway {
            child,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            token: String::new(),
            stderr_path,
            _home: home,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let mut client = Client::new(gateway.addr);
            if let Ok(response) = client.request("GET", "/readyz", "", b"") {
                if response.status == 200 {
                    break;
                }
            }
            if Instant::now() > deadline {
                return Err(gateway.failure("the gateway did not become ready"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let token_file = gateway._home.path().join("state").join("gateway.token");
        gateway.token = fs::read_to_string(&token_file)
            .map_err(|e| format!("{}: {e}", token_file.display()))?
            .trim()
            .to_string();
        Ok(gateway)
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn failure(&self, what: &str) -> String {
        let stderr = fs::read_to_string(&self.stderr_path).unwrap_or_default();
        let tail: Vec<&str> = stderr.lines().rev().take(20).collect();
        format!(
            "{what}; gateway stderr (last lines):\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        )
    }

    /// `GET /admin/channels`.
    pub(crate) fn channels(&self) -> Result<Value> {
        let mut client = Client::new(self.addr);
        let header = format!("Authorization: Bearer {}\r\n", self.token);
        let response = client.request("GET", "/admin/channels", &header, b"")?;
        serde_json::from_slice(&response.body).map_err(|e| e.to_string())
    }

    pub(crate) fn stop(mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `VmRSS` in KiB.
pub(crate) fn rss_kib(pid: u32) -> u64 {
    fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|value| value.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

/// `utime + stime` of a process, in clock ticks (100 per second on Linux).
pub(crate) fn cpu_ticks(pid: u32) -> u64 {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = text
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(11) + field(12)
}
