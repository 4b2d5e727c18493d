//! The interactive wizard on a real pseudo-terminal (tmux), as a person uses it: every prompt
//! answered by typing, wrong answers (including a key the provider rejects) asked again,
//! secrets never on the screen, the result loading and running a gateway; and an existing
//! config kept when the person says no; the import offered when an OpenClaw home is found.
//! `.ci/run` installs tmux; without it these tests say so and skip.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::onboard::{free_port, KeyStub};
use crate::support::*;

/// A detached tmux session on a private socket running one command; killed on drop.
struct Tmux {
    socket: PathBuf,
    _dir: tempfile::TempDir,
    /// How many times each prompt has been answered.
    answered: HashMap<String, usize>,
}

impl Tmux {
    /// Starts `command` (a shell command line) in a 200x50 terminal; `None` without tmux.
    fn start(command: &str) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            eprintln!("SKIPPED: tmux is not installed here (`.ci/run` installs it with apt-get)");
            return None;
        }
        let dir = tempfile::tempdir().expect("tmux dir");
        let socket = dir.path().join("tmux.sock");
        let status = Command::new("tmux")
            .arg("-S")
            .arg(&socket)
            .args(["new-session", "-d", "-x", "200", "-y", "50", command])
            .status()
            .expect("tmux new-session");
        assert!(status.success(), "tmux new-session failed");
        Some(Tmux {
            socket,
            _dir: dir,
            answered: HashMap::new(),
        })
    }

    fn tmux(&self, args: &[&str]) -> String {
        let output = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux");
        String::from_utf8_lossy(&output.stdout).to_string()
    }

    /// The whole screen and scroll-back, wrapped lines joined.
    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-J", "-S", "-"])
    }

    /// Waits until `prompt` is asked once more than it has been answered, and the cursor waits
    /// there (it starts the last line); then types `answer` and Enter.
    fn answer(&mut self, prompt: &str, answer: &str) {
        let wanted = self.answered.get(prompt).copied().unwrap_or(0) + 1;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            let last = screen
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            if screen.matches(prompt).count() >= wanted && last.starts_with(prompt) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "no prompt {prompt:?} (time {wanted}); screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        self.answered.insert(prompt.to_string(), wanted);
        self.tmux(&["send-keys", "-l", answer]);
        self.tmux(&["send-keys", "Enter"]);
    }

    /// Waits for the command to end (the wrapper prints `EXIT:<code>`); the final screen.
    fn finish(&self) -> (i32, String) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if let Some(code) = screen
                .lines()
                .find_map(|l| l.strip_prefix("EXIT:"))
                .and_then(|c| c.trim().parse().ok())
            {
                return (code, screen);
            }
            assert!(
                Instant::now() < deadline,
                "did not finish; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

/// `pincer onboard <args>` in `home`, in a clean environment, then `EXIT:<code>`.
fn wizard_command(home: &Path, args: &str) -> String {
    format!(
        "env -i PATH=/usr/bin:/bin HOME='{home}' PINCER_HOME='{home}' TERM=xterm '{bin}' onboard \
         {args}; echo EXIT:$?; sleep 60",
        home = home.display(),
        bin = BIN
    )
}

#[test]
fn the_wizard_asks_again_after_wrong_answers_and_writes_a_working_config() {
    let home = tempfile::tempdir().expect("home");
    let stub = KeyStub::start("sk-ant-the-right-key");
    let args = format!("--base-url {}", stub.url());
    let Some(mut tmux) = Tmux::start(&wizard_command(home.path(), &args)) else {
        return;
    };
    let port = free_port().to_string();
    let workspace = home.path().join("work").display().to_string();
    let blocked = home.path().join("a-file");
    std::fs::write(&blocked, b"x").expect("file");
    let not_a_folder = blocked.join("ws").display().to_string();

    tmux.answer("Model provider [anthropic]:", "7");
    tmux.answer("Model provider [anthropic]:", "anthropic");
    tmux.answer("Model [claude-sonnet-4-5]:", "claude sonnet");
    tmux.answer("Model [claude-sonnet-4-5]:", "");
    tmux.answer(
        "API key for anthropic (input hidden):",
        "sk-ant-a-wrong-key",
    );
    tmux.answer("Check the API key now", "yes");
    tmux.answer(
        "API key for anthropic (input hidden):",
        "sk-ant-the-right-key",
    );
    tmux.answer("Gateway authentication [token]:", "password");
    tmux.answer("Generate a strong password", "no");
    tmux.answer("Password (input hidden):", "too-short");
    tmux.answer("Password (input hidden):", "correct-horse-battery");
    tmux.answer(
        "Repeat the password (input hidden):",
        "correct-horse-battery",
    );
    tmux.answer("Gateway port [18789]:", "http");
    tmux.answer("Gateway port [18789]:", &port);
    tmux.answer("Set up WhatsApp (Business Cloud API)? [no]:", "maybe");
    tmux.answer("Set up WhatsApp (Business Cloud API)? [no]:", "");
    tmux.answer("Set up Telegram", "y");
    tmux.answer("Telegram bot token (input hidden):", "not-a-token");
    tmux.answer(
        "Telegram bot token (input hidden):",
        "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1",
    );
    tmux.answer("Who may message the assistant directly [pairing]:", "");
    tmux.answer("Workspace folder", &not_a_folder);
    tmux.answer("Workspace folder", &workspace);
    tmux.answer("Tool sandbox [non-main]:", "");
    tmux.answer("Write this configuration? [yes]:", "");
    let (code, screen) = tmux.finish();
    assert_eq!(code, 0, "{screen}");

    for said in [
        "choose 1 to 3",
        "a model name has no spaces",
        "the provider rejected the key",
        "ok: the API key works",
        "at least 12 characters",
        "a port is a number",
        "answer yes or no",
        "a bot token looks like",
        "cannot create",
        "no findings",
        &format!("pincer gateway --port {port}"),
    ] {
        assert!(
            screen.contains(said),
            "{said:?} missing from the screen:\n{screen}"
        );
    }
    for secret in [
        "sk-ant-the-right-key",
        "sk-ant-a-wrong-key",
        "correct-horse",
        "AAHdqTcv",
    ] {
        assert!(!screen.contains(secret), "{secret} was echoed:\n{screen}");
    }
    assert_eq!(
        stub.keys_seen(),
        ["sk-ant-a-wrong-key", "sk-ant-the-right-key"]
    );

    let secrets = std::fs::read_to_string(home.path().join("state/secrets.env")).expect("secrets");
    for line in [
        "ANTHROPIC_API_KEY=sk-ant-the-right-key",
        "PINCER_GATEWAY_PASSWORD=correct-horse-battery",
        "PINCER_TELEGRAM_BOT_TOKEN=123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1",
    ] {
        assert!(secrets.lines().any(|l| l == line), "{line} missing");
    }
    let get = |key: &str| stdout(&run_cli(home.path(), &["config", "get", key]));
    assert!(get("agent.model").contains("anthropic/claude-sonnet-4-5"));
    assert!(get("gateway.auth.mode").contains("password"));
    assert!(get("channels.telegram.enabled").contains("true"));
    assert!(get("agent.workspace").contains(&workspace));
    assert!(Path::new(&workspace).is_dir());
    let audit = run_cli(home.path(), &["security", "audit"]);
    assert!(audit.status.success(), "{}", stdout(&audit));

    // The gateway runs with it and takes the password typed in the wizard.
    let gateway = Gateway::start_in(home, &[]);
    let wrong = gateway.get("/admin/status", &[("Authorization", "Bearer nope")]);
    assert_eq!(wrong.status, 401);
    let right = gateway.get(
        "/admin/status",
        &[("Authorization", "Bearer correct-horse-battery")],
    );
    assert_eq!(right.status, 200, "{}", right.text);
}

#[test]
fn an_existing_config_is_kept_when_the_answer_is_no() {
    let home = tempfile::tempdir().expect("home");
    let config_file = home.path().join("pincer.json5");
    let mine = "// mine\n{ gateway: { port: 18800 } }\n";
    std::fs::write(&config_file, mine).expect("write");
    let Some(mut tmux) = Tmux::start(&wizard_command(home.path(), "")) else {
        return;
    };
    tmux.answer(
        &format!("{} already exists. Replace it", config_file.display()),
        "",
    );
    let (code, screen) = tmux.finish();
    assert_eq!(code, 1, "{screen}");
    assert!(screen.contains("kept the existing config"), "{screen}");
    assert_eq!(std::fs::read_to_string(&config_file).expect("kept"), mine);
    let leftovers: Vec<_> = std::fs::read_dir(home.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains(".bak-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn the_wizard_offers_to_import_an_openclaw_home_it_finds() {
    let home = tempfile::tempdir().expect("home");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/openclaw-home");
    let copied = Command::new("cp")
        .arg("-r")
        .arg(&fixture)
        .arg(home.path().join(".openclaw"))
        .status()
        .expect("cp");
    assert!(copied.success());
    let Some(mut tmux) = Tmux::start(&wizard_command(home.path(), "")) else {
        return;
    };
    // Enter takes the default: yes.
    tmux.answer("Found an OpenClaw home at", "");
    let (code, screen) = tmux.finish();
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("Imported from"), "{screen}");
    let config = std::fs::read_to_string(home.path().join("pincer.json5")).expect("config");
    assert!(config.contains("openai/gpt-4o"), "{config}");
    assert!(
        home.path()
            .join("state/agents/main/workspace/SOUL.md")
            .is_file(),
        "the workspace came along"
    );
}
