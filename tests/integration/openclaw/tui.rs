//! `openclaw tui` on a real terminal (tmux, on a socket of the test's own): a message typed and
//! sent, the model emulator's answer shown on the screen. `.ci/run` installs tmux; without it
//! the test says so and skips.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use pincer_emulators::{Emulator, Reply};

use super::cli::{OpenClaw, Target, Way};
use super::{model_gateway, pincer_history, pincer_session_named, texts_of};

/// A detached 200x50 tmux session running one command line; its server is killed on drop.
struct Terminal {
    socket: PathBuf,
    _dir: tempfile::TempDir,
}

impl Terminal {
    fn start(line: &str) -> Option<Terminal> {
        if Command::new("tmux").arg("-V").output().is_err() {
            eprintln!("SKIPPED: tmux is not installed here (`.ci/run` installs it with apt-get)");
            return None;
        }
        let dir = tempfile::tempdir().expect("tmux dir");
        let socket = dir.path().join("tmux.sock");
        let status = Command::new("tmux")
            .arg("-S")
            .arg(&socket)
            .args(["new-session", "-d", "-x", "200", "-y", "50", line])
            .status()
            .expect("tmux new-session");
        assert!(status.success(), "tmux new-session failed");
        Some(Terminal { socket, _dir: dir })
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

    /// The screen, wrapped lines joined.
    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-J"])
    }

    /// Waits until the screen shows `text` (panics with the screen after 60 s).
    fn wait_for(&self, what: &str, text: &str) -> String {
        self.wait_until(what, |screen| screen.contains(text))
    }

    /// Waits until `done` holds for the screen (panics with the screen after 60 s).
    fn wait_until(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: not seen on the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn type_line(&self, text: &str) {
        self.tmux(&["send-keys", "-l", text]);
        self.tmux(&["send-keys", "Enter"]);
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

#[test]
fn tui_sends_a_typed_message_and_shows_the_answer() {
    let Some(cli) = OpenClaw::find() else { return };
    let emulator = Emulator::openai();
    emulator.push(Reply::text(&["the tui ", "got its answer"]));
    let gateway = model_gateway(&emulator);
    let line = cli.shell_line(
        &Target::of(&gateway),
        Way::Flags,
        &["tui", "--session", "oc-tui"],
    );
    let Some(terminal) = Terminal::start(&format!("{line}; echo EXIT:$?; sleep 60")) else {
        return;
    };
    terminal.wait_for("the TUI's header", "session oc-tui");
    // The TUI sends only once connected: it subscribes to session events, loads the agents and
    // the history, then says `gateway connected` (for 4 s, then `connected`) in its status line.
    let screen = terminal.wait_until("the TUI connected, or its failure", |screen| {
        screen.contains("subscription failed")
            || screen.contains("startup failed")
            || screen.lines().any(|l| {
                let l = l.trim_start();
                l.starts_with("gateway connected") || l.starts_with("connected |")
            })
    });
    assert!(
        !screen.contains("subscription failed") && !screen.contains("startup failed"),
        "the TUI did not connect:\n{screen}"
    );
    terminal.type_line("hello from the tui");
    let screen = terminal.wait_for("the model's answer", "the tui got its answer");
    assert!(
        !screen.contains("message not sent"),
        "the TUI did not send:\n{screen}"
    );
    let key = pincer_session_named(&gateway, "oc-tui", "");
    let messages = pincer_history(&gateway, &key, 2);
    assert_eq!(texts_of(&messages, "user"), ["hello from the tui"]);
    // Once the run is over (idle again), the streamed answer and the reloaded history are one
    // row: the answer is on the screen once, not twice.
    let screen = terminal.wait_until("the TUI idle after the answer", |screen| {
        screen.lines().any(|l| {
            let l = l.trim();
            (l.starts_with("connected |") || l.starts_with("gateway connected |"))
                && l.ends_with("idle")
        })
    });
    assert_eq!(
        screen.matches("the tui got its answer").count(),
        1,
        "the answer is shown more than once:\n{screen}"
    );
}
