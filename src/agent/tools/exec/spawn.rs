//! Starting one shell command and watching it: its own process group, a scrubbed environment,
//! Landlock (Pincer's own files unreadable; writes confined with `tools.exec.sandbox`), no
//! `CAP_SYS_PTRACE`, merged and bounded output, and a group kill.
//!
//! The command runs as `/bin/sh -c <command>` in the leader of a new process group, so that
//! [`Proc::kill`] (SIGKILL to the group) ends everything it started. Two threads per command:
//! one reads the merged stdout/stderr pipe into the bounded [`Output`], one waits for the exit.
//! When the leader exits, the rest of its group is killed too (a foreground command leaves no
//! stragglers; long-lived work belongs in `background: true`), which also closes the pipe.

#![allow(
    unsafe_code,
    reason = "setsid/killpg of the command's process group, in `pre_exec` and on timeout"
)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{watch, OwnedSemaphorePermit};
use tracing::warn;

use super::env::scrub;
use super::grants::{plan, Access};
use super::landlock::{restrict_self, Ruleset};
use super::output::Output;
use super::privileges::drop_ptrace;
use crate::agent::tools::walls::canonical;
use crate::agent::tools::ToolContext;

/// How commands are run (from `tools.exec`).
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub timeout: Duration,
    pub background_timeout: Duration,
    pub max_output: usize,
    /// Confine writes to the workspace (`tools.exec.sandbox`). Reading Pincer's own files is
    /// refused either way where the kernel has Landlock.
    pub confine: bool,
    /// `TMPDIR` of commands (writable even when confined).
    pub tmp_dir: PathBuf,
    /// Variables the config names as holding secrets (`apiKeyEnv`), scrubbed besides the
    /// patterns of [`super::env`].
    pub secret_env: Vec<String>,
    /// The environment commands start from, before scrubbing; `None` is the gateway's own.
    pub base_env: Option<Vec<(std::ffi::OsString, std::ffi::OsString)>>,
}

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exit::Code(code) => write!(f, "exit code {code}"),
            Exit::Signal(signal) => write!(f, "killed by signal {signal}"),
        }
    }
}

/// A started command.
#[derive(Debug)]
pub struct Proc {
    pub pid: i32,
    pub command: String,
    pub started: Instant,
    /// Whether Landlock restricts it (reads always; writes with `tools.exec.sandbox`).
    pub confined: bool,
    output: Mutex<Output>,
    exit: watch::Sender<Option<Exit>>,
    eof: watch::Sender<bool>,
    finished: AtomicBool,
}

impl Proc {
    /// SIGKILL to the whole process group, unless it already ended.
    pub fn kill(&self) {
        if !self.finished.load(SeqCst) {
            kill_group(self.pid);
        }
    }

    pub fn exit(&self) -> Option<Exit> {
        *self.exit.borrow()
    }

    /// Waits for the exit.
    pub async fn wait(&self) -> Exit {
        let mut exit = self.exit.subscribe();
        let seen = exit.wait_for(Option::is_some).await.map(|done| *done);
        // The sender lives in `self`, so an error is unreachable; never hang on it anyway.
        seen.ok().flatten().unwrap_or(Exit::Signal(libc::SIGKILL))
    }

    /// Waits (at most `limit`) for the output pipe to close after the exit.
    pub async fn drained(&self, limit: Duration) {
        let mut eof = self.eof.subscribe();
        let _ = tokio::time::timeout(limit, eof.wait_for(|done| *done)).await;
    }

    /// Head and tail of everything printed.
    pub fn render(&self) -> String {
        lock(&self.output).render()
    }

    /// What was printed since the last call.
    pub fn take_unread(&self) -> String {
        lock(&self.output).take_unread()
    }
}

/// The Landlock ruleset of a command of `cx`: Pincer's own files ungranted, the workspace and
/// the temp folder open (fully when writes are confined). `None` without Landlock, said once.
fn ruleset_for(cx: &ToolContext, settings: &Settings) -> Option<Ruleset> {
    let _ = std::fs::create_dir_all(&settings.tmp_dir);
    let access = if settings.confine {
        Access::Full
    } else {
        Access::Read
    };
    let mut open: Vec<(PathBuf, Access)> = [cx.workspace.as_ref(), settings.tmp_dir.as_path()]
        .into_iter()
        .filter_map(canonical)
        .map(|root| (root, access))
        .collect();
    // The folders of the skills this run read (scripts a skill tells it to run), read only.
    if let Some(skills) = &cx.skills {
        open.extend(
            skills
                .read_roots()
                .into_iter()
                .map(|dir| (dir, Access::Read)),
        );
    }
    let protected: Vec<PathBuf> = cx.walls.protected().map(Path::to_path_buf).collect();
    match Ruleset::for_command(&plan(&protected, &open), settings.confine) {
        Ok(ruleset) => Some(ruleset),
        Err(error) => {
            // Said once per process (and by `pincer doctor`), not at every command.
            static WARNED: AtomicBool = AtomicBool::new(false);
            if !WARNED.swap(true, SeqCst) {
                warn!(
                    %error,
                    "exec commands run unconfined: Landlock is unavailable, so they can read \
                     Pincer's state directory and config"
                );
            }
            None
        }
    }
}

fn lock(output: &Mutex<Output>) -> std::sync::MutexGuard<'_, Output> {
    output.lock().unwrap_or_else(|p| p.into_inner())
}

fn kill_group(pgid: i32) {
    if pgid > 0 {
        // SAFETY: a plain signal to a process group we created.
        unsafe {
            libc::killpg(pgid, libc::SIGKILL);
        }
    }
}

/// Kills the command's group when dropped (a timed-out or cancelled foreground call).
pub(crate) struct KillOnDrop(pub Arc<Proc>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        self.0.kill();
    }
}

/// Starts `command` in `cwd` for the caller `cx`. `permit` (a `maxProcesses` slot) is released
/// when it exits.
pub(crate) fn spawn(
    command: &str,
    cwd: &Path,
    cx: &ToolContext,
    settings: &Settings,
    permit: OwnedSemaphorePermit,
) -> Result<Arc<Proc>, String> {
    let ruleset = ruleset_for(cx, settings);
    let (mut reader, writer) =
        std::io::pipe().map_err(|e| format!("cannot create the output pipe: {e}"))?;
    let writer_err = writer
        .try_clone()
        .map_err(|e| format!("cannot create the output pipe: {e}"))?;
    let mut shell = Command::new("/bin/sh");
    shell
        .arg("-c")
        .arg(command)
        .current_dir(cwd)
        .env_clear()
        .envs(match &settings.base_env {
            Some(vars) => scrub(vars.iter().cloned(), &settings.secret_env),
            None => scrub(std::env::vars_os(), &settings.secret_env),
        })
        .env("TMPDIR", &settings.tmp_dir)
        // The variables of the skills this run read (never the gateway's own environment).
        .envs(cx.skills.as_ref().map(|s| s.env()).unwrap_or_default())
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(writer_err);
    std::os::unix::process::CommandExt::process_group(&mut shell, 0);
    let confined = ruleset.is_some();
    let fd = ruleset.as_ref().map(Ruleset::raw_fd);
    // SAFETY: the closure only makes async-signal-safe system calls (see `drop_ptrace` and
    // `restrict_self`).
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut shell, move || {
            drop_ptrace();
            match fd {
                Some(fd) => restrict_self(fd),
                None => Ok(()),
            }
        });
    }
    let spawned = shell.spawn();
    // Close the parent's copies of the pipe's write end, or the reader would never see EOF.
    drop(shell);
    drop(ruleset);
    let mut child = spawned.map_err(|e| format!("cannot start /bin/sh: {e}"))?;
    let pid = i32::try_from(child.id()).map_err(|_| "bad pid".to_string())?;
    let proc = Arc::new(Proc {
        pid,
        command: command.to_string(),
        started: Instant::now(),
        confined,
        output: Mutex::new(Output::new(settings.max_output)),
        exit: watch::channel(None).0,
        eof: watch::channel(false).0,
        finished: AtomicBool::new(false),
    });
    let reading = Arc::clone(&proc);
    std::thread::Builder::new()
        .name("exec-output".into())
        .spawn(move || {
            let mut buffer = [0u8; 8192];
            while let Ok(read) = reader.read(&mut buffer) {
                if read == 0 {
                    break;
                }
                lock(&reading.output).push(&buffer[..read]);
            }
            reading.eof.send_replace(true);
        })
        .map_err(|e| format!("cannot start the output reader: {e}"))?;
    let waiting = Arc::clone(&proc);
    let spawned_waiter = std::thread::Builder::new()
        .name("exec-wait".into())
        .spawn(move || {
            let exit = match child.wait() {
                Ok(status) => {
                    use std::os::unix::process::ExitStatusExt;
                    match (status.code(), status.signal()) {
                        (Some(code), _) => Exit::Code(code),
                        (None, Some(signal)) => Exit::Signal(signal),
                        (None, None) => Exit::Code(-1),
                    }
                }
                Err(_) => Exit::Code(-1),
            };
            // Stragglers of the group go with their leader.
            kill_group(waiting.pid);
            waiting.finished.store(true, SeqCst);
            drop(permit);
            waiting.exit.send_replace(Some(exit));
        });
    if let Err(error) = spawned_waiter {
        kill_group(pid);
        return Err(format!("cannot start the exit watcher: {error}"));
    }
    Ok(proc)
}
