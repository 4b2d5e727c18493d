//! `pincer backup create|verify|restore` against the real binary: a round trip of real sessions
//! into an empty home, tamper and truncation detection, the refusals of restore (running gateway,
//! existing files), retention, the scopes, and the cron wrapper script. Hostile archives are
//! `backup_hostile.rs`'s.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::agent::*;
use crate::support::*;
use pincer_emulators::Emulator;
use serde_json::Value;

use super::backup_archives::*;
use super::backup_hostile::hostile_but_well_formed;

/// The archive path `backup create` printed.
pub(super) fn created(output: &Output) -> PathBuf {
    assert!(
        output.status.success(),
        "backup create failed: {}",
        stderr(output)
    );
    let text = stdout(output);
    let line = text
        .lines()
        .find_map(|line| line.strip_prefix("backup written: "))
        .unwrap_or_else(|| panic!("no archive path in {text:?}"));
    PathBuf::from(line)
}

pub(super) fn code(output: &Output) -> i32 {
    output.status.code().expect("exit code")
}

/// A home with a config, a token and a transcript written by hand (no gateway needed).
pub(super) fn home_with_files() -> tempfile::TempDir {
    let home = tempfile::tempdir().expect("home");
    fs::write(
        home.path().join("pincer.json5"),
        "{ gateway: { port: 18789 } }",
    )
    .expect("config");
    let sessions = home.path().join("state/agents/main/sessions");
    fs::create_dir_all(&sessions).expect("dirs");
    fs::write(home.path().join("state/gateway.token"), "a".repeat(64)).expect("token");
    fs::write(
        sessions.join("0123.jsonl"),
        "{\"type\":\"session\",\"key\":\"agent:main:main\",\"id\":\"0123\",\"createdMs\":1}\n",
    )
    .expect("transcript");
    home
}

/// `pincer sessions list --json` in `home`, without the index file's `path` (which names the
/// home: it differs between two machines by design; it is checked to be inside `home`).
pub(super) fn sessions_json(home: &Path) -> Value {
    let output = run_cli(home, &["sessions", "list", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let mut list: Value = serde_json::from_str(&stdout(&output)).expect("sessions JSON");
    let path = list["path"].take();
    assert!(
        path.as_str()
            .is_some_and(|p| p.starts_with(&home.display().to_string())),
        "the index is in {}: {path}",
        home.display()
    );
    list
}

#[test]
fn round_trip_into_an_empty_home_gives_the_same_sessions_config_and_token() {
    let emulator = Emulator::openai();
    let scratch = tempfile::tempdir().expect("scratch");
    let workspace = scratch.path().join("work");
    fs::create_dir_all(workspace.join("notes")).expect("workspace");
    fs::write(workspace.join("notes/MEMORY.md"), "the user likes tea").expect("memory");
    let extra = format!(", workspace: '{}'", workspace.display());
    let mut gateway = gateway_with(
        &["openai/m"],
        &[("openai", "openai-completions", &emulator)],
        &extra,
    );
    for (session, text) in [
        ("agent:main:main", "hello"),
        ("agent:main:other", "hi there"),
        ("agent:main:main", "again"),
    ] {
        answer_of(&ask(&gateway, session, text));
    }
    let home = gateway.home().to_path_buf();

    // A backup while the gateway runs is consistent.
    let live = created(&run_cli(&home, &["backup", "create"]));
    assert!(live.starts_with(home.join("state/backups")), "{live:?}");
    let verify = run_cli(&home, &["backup", "verify", live.to_str().expect("utf-8")]);
    assert_eq!(code(&verify), 0, "{}", stderr(&verify));

    let stopped = gateway.terminate();
    assert!(stopped.status.success(), "{}", stderr(&stopped));
    let archive = created(&run_cli(&home, &["backup", "create"]));
    let expected_sessions = sessions_json(&home);
    assert_eq!(expected_sessions["count"], 2, "{expected_sessions}");
    let names: Vec<String> = entries(&archive).into_iter().map(|(p, _)| p).collect();
    assert!(
        names.contains(&"workspace/notes/MEMORY.md".to_string()),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|n| n.contains("gateway.json")
            || n.contains("gateway.lock")
            || n.contains("backups/")),
        "{names:?}"
    );
    assert_eq!(names.last().map(String::as_str), Some("manifest.json"));

    // The workspace folder is gone on the "new machine"; the archive's config still names it.
    fs::rename(&workspace, scratch.path().join("work-original")).expect("move workspace");
    let empty = tempfile::tempdir().expect("empty home");
    let restore = run_cli(
        empty.path(),
        &["backup", "restore", archive.to_str().expect("utf-8")],
    );
    assert_eq!(code(&restore), 0, "{}", stderr(&restore));
    let report = stdout(&restore);
    assert!(report.contains("restored"), "{report}");
    let new_workspace = empty.path().join("state/agents/main/workspace");
    assert!(
        report.contains(&format!(
            "{:?} (the backed-up installation's workspace)",
            workspace.display().to_string()
        )) && report.contains(&format!("now names {}", new_workspace.display())),
        "the rewrite is reported: {report}"
    );

    assert_eq!(sessions_json(empty.path()), expected_sessions);
    assert!(
        !empty.path().join("state/starts.json").exists(),
        "no crash-loop history is restored"
    );
    assert_eq!(
        fs::read(home.join("state/gateway.token")).expect("original"),
        fs::read(empty.path().join("state/gateway.token")).expect("restored"),
    );
    // The config is the original with only its workspace setting pointing at the new home.
    let original = fs::read_to_string(home.join("pincer.json5")).expect("original config");
    let restored_config = fs::read_to_string(empty.path().join("pincer.json5")).expect("config");
    assert_eq!(
        restored_config,
        original.replace(
            &format!("'{}'", workspace.display()),
            &format!("\"{}\"", new_workspace.display())
        )
    );
    assert!(
        !workspace.exists(),
        "nothing was written to the old installation's workspace"
    );
    assert_eq!(
        fs::read_to_string(new_workspace.join("notes/MEMORY.md")).expect("workspace restored"),
        "the user likes tea"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&empty.path().join("state/gateway.token")), 0o600);
        assert_eq!(mode(&empty.path().join("pincer.json5")), 0o600);
        for dir in ["state", "state/agents", "state/agents/main/sessions"] {
            assert_eq!(mode(&empty.path().join(dir)), 0o700, "{dir}");
        }
    }
    // What a new user checks: the installation now works in its own workspace.
    let doctor = run_cli(empty.path(), &["doctor", "--json"]);
    let facts: Value = serde_json::from_str(&stdout(&doctor)).expect("doctor JSON");
    assert_eq!(
        facts["storage"]["workspace"],
        new_workspace.display().to_string(),
        "{}",
        stdout(&doctor)
    );

    // A gateway on the restored home accepts the old token and serves the old sessions.
    let token = fs::read_to_string(home.join("state/gateway.token")).expect("token");
    let restored = Gateway::start_in(empty, &[]);
    let bearer = format!("Bearer {}", token.trim());
    let mut answer = restored.get("/admin/sessions", &[("Authorization", &bearer)]);
    assert_eq!(answer.status, 200, "{}", answer.text);
    // The index's path names the new home (as `sessions_json` checks); the rest is the same.
    let path = answer.body["path"].take();
    assert!(
        path.as_str()
            .is_some_and(|p| p.starts_with(&restored.home().display().to_string())),
        "{path}"
    );
    assert_eq!(answer.body, expected_sessions);
    assert!(
        !workspace.exists(),
        "the gateway did not create (so does not use) the old installation's workspace"
    );
}

#[test]
fn verify_detects_a_tampered_and_a_truncated_archive() {
    let home = home_with_files();
    let archive = created(&run_cli(home.path(), &["backup", "create"]));
    let ok = run_cli(
        home.path(),
        &["backup", "verify", archive.to_str().expect("utf-8")],
    );
    assert_eq!(code(&ok), 0, "{}", stderr(&ok));
    assert!(stdout(&ok).contains("intact, 3 files"), "{}", stdout(&ok));

    let scratch = tempfile::tempdir().expect("scratch");
    let tampered = scratch.path().join("tampered.tar.gz");
    let mut items = entries(&archive);
    for (path, content) in &mut items {
        if path == "state/gateway.token" {
            *content = "b".repeat(64).into_bytes();
        }
    }
    items.push(("state/extra.json".into(), b"{}".to_vec()));
    write_archive(&tampered, &items);
    let bad = run_cli(
        home.path(),
        &["backup", "verify", tampered.to_str().expect("utf-8")],
    );
    assert_eq!(code(&bad), 1, "{}", stderr(&bad));
    let report = stderr(&bad);
    assert!(
        report.contains("state/gateway.token: SHA-256 differs"),
        "{report}"
    );
    assert!(
        report.contains("state/extra.json: in the archive but not in the manifest"),
        "{report}"
    );

    let bytes = fs::read(&archive).expect("archive");
    for (name, cut) in [("half", bytes.len() / 2), ("tail", bytes.len() - 4)] {
        let truncated = scratch.path().join(format!("{name}.tar.gz"));
        fs::write(&truncated, &bytes[..cut]).expect("truncated");
        let bad = run_cli(
            home.path(),
            &["backup", "verify", truncated.to_str().expect("utf-8")],
        );
        let report = stderr(&bad);
        assert_eq!(code(&bad), 1, "{name}: {report}");
        assert!(
            report.contains("truncated or corrupt") || report.contains("cut short"),
            "{name}: {report}"
        );
        assert!(!report.contains("panicked"), "{report}");
    }
    let garbage = scratch.path().join("garbage.tar.gz");
    fs::write(&garbage, b"not a gzip file at all").expect("garbage");
    let bad = run_cli(
        home.path(),
        &["backup", "verify", garbage.to_str().expect("utf-8")],
    );
    assert_eq!(code(&bad), 1, "{}", stderr(&bad));
    assert!(
        stderr(&bad).contains("not a readable backup"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn restore_refuses_while_a_gateway_runs() {
    let gateway = Gateway::start(Some("{ gateway: { port: 0 } }"));
    let archive = created(&run_cli(gateway.home(), &["backup", "create"]));
    let refused = run_cli(
        gateway.home(),
        &[
            "backup",
            "restore",
            "--force",
            archive.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(code(&refused), 69, "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("a gateway is running"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn restore_refuses_to_overwrite_without_force() {
    let home = home_with_files();
    let archive = created(&run_cli(home.path(), &["backup", "create"]));
    let token = home.path().join("state/gateway.token");
    fs::write(&token, "changed since the backup").expect("token");
    let refused = run_cli(
        home.path(),
        &["backup", "restore", archive.to_str().expect("utf-8")],
    );
    assert_eq!(code(&refused), 1, "{}", stderr(&refused));
    let report = stderr(&refused);
    assert!(
        report.contains("refusing to overwrite 3 existing file(s)"),
        "{report}"
    );
    assert!(report.contains(&token.display().to_string()), "{report}");
    assert_eq!(
        fs::read_to_string(&token).expect("token"),
        "changed since the backup"
    );

    let forced = run_cli(
        home.path(),
        &[
            "backup",
            "restore",
            "--force",
            archive.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(code(&forced), 0, "{}", stderr(&forced));
    assert_eq!(fs::read_to_string(&token).expect("token"), "a".repeat(64));
}

#[test]
fn keep_days_removes_only_old_archives() {
    let home = home_with_files();
    let out = home.path().join("archives");
    fs::create_dir_all(&out).expect("out");
    let old = out.join("pincer-backup-20000101-000000.tar.gz");
    let recent = out.join("pincer-backup-20990101-000000.tar.gz");
    let unrelated = out.join("notes.txt");
    for path in [&old, &recent, &unrelated] {
        fs::write(path, b"x").expect("write");
    }
    for path in [&old, &unrelated] {
        let touched = Command::new("touch")
            .args(["-d", "40 days ago"])
            .arg(path)
            .status()
            .expect("touch");
        assert!(touched.success());
    }
    let output = run_cli(
        home.path(),
        &[
            "backup",
            "create",
            "--out",
            out.to_str().expect("utf-8"),
            "--keep-days",
            "30",
        ],
    );
    let new = created(&output);
    assert!(new.starts_with(&out));
    assert!(stdout(&output).contains(&format!("removed old backup: {}", old.display())));
    assert!(!old.exists(), "older than 30 days");
    assert!(recent.exists() && unrelated.exists() && new.exists());
}

#[test]
fn scopes_and_permissions() {
    let home = home_with_files();
    let workspace = home.path().join("work");
    fs::create_dir_all(&workspace).expect("workspace");
    fs::write(workspace.join("a.md"), "a").expect("a");
    fs::write(
        home.path().join("pincer.json5"),
        format!("{{ agent: {{ workspace: '{}' }} }}", workspace.display()),
    )
    .expect("config");

    let only = created(&run_cli(
        home.path(),
        &["backup", "create", "--only-config"],
    ));
    let names: Vec<String> = entries(&only).into_iter().map(|(p, _)| p).collect();
    assert_eq!(names, ["config/pincer.json5", "manifest.json"]);

    let output = run_cli(home.path(), &["backup", "create", "--no-workspace"]);
    assert!(stdout(&output).contains("files: 3,"), "{}", stdout(&output));
    let names: Vec<String> = entries(&created(&output))
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    assert!(
        !names.iter().any(|n| n.starts_with("workspace/")),
        "{names:?}"
    );

    let full = created(&run_cli(home.path(), &["backup", "create"]));
    let items = entries(&full);
    assert!(items
        .iter()
        .any(|(p, c)| p == "workspace/a.md" && c == b"a"));
    let manifest: Value = serde_json::from_slice(&items.last().expect("manifest").1).expect("json");
    let token = manifest["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["path"] == "state/gateway.token")
        .expect("token listed");
    assert_eq!(token["size"], 64);
    assert_eq!(token["sha256"], sha256_hex("a".repeat(64).as_bytes()));
    assert_eq!(manifest["version"], 1);
    assert!(manifest["hostname"].is_string() && manifest["pincerVersion"].is_string());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&home.path().join("state/backups")), 0o700);
        assert_eq!(mode(&full), 0o600);
    }
    let leftovers: Vec<_> = fs::read_dir(home.path().join("state/backups"))
        .expect("backups")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "no temporary files left behind");
}

#[test]
fn the_cron_script_creates_and_prunes() {
    let home = home_with_files();
    let out = home.path().join("cron");
    fs::create_dir_all(&out).expect("out");
    let old = out.join("pincer-backup-20000101-000000.tar.gz");
    fs::write(&old, b"x").expect("old");
    let touched = Command::new("touch")
        .args(["-d", "10 days ago"])
        .arg(&old)
        .status()
        .expect("touch");
    assert!(touched.success());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/backup.sh");
    let output = Command::new("sh")
        .arg(&script)
        .env("PINCER_HOME", home.path())
        .env_remove("PINCER_CONFIG")
        .env_remove("PINCER_STATE_DIR")
        .env("PINCER", BIN)
        .env("BACKUP_DIR", &out)
        .env("KEEP_DAYS", "7")
        .output()
        .expect("run script");
    let archive = created(&output);
    assert!(archive.starts_with(&out), "{archive:?}");
    assert!(!old.exists(), "older than KEEP_DAYS");
}

/// The archive of an "attacker" (or of another installation): its config points the workspace
/// at a folder outside the restoring installation, and its secrets file is world-writable.
#[test]
fn restore_with_a_workspace_flag_puts_the_files_there_and_the_config_names_it() {
    let scratch = tempfile::tempdir().expect("scratch");
    let outside = scratch.path().join("outside");
    let archive = hostile_but_well_formed(scratch.path(), &outside);
    let home = tempfile::tempdir().expect("fresh home");
    let chosen = home.path().join("my-workspace");
    let restore = run_cli(
        home.path(),
        &[
            "backup",
            "restore",
            "--workspace",
            chosen.to_str().expect("utf-8"),
            archive.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(code(&restore), 0, "{}", stderr(&restore));
    assert!(!outside.exists());
    assert!(chosen.join("bin/run.sh").is_file());
    let doctor = run_cli(home.path(), &["doctor", "--json"]);
    let facts: Value = serde_json::from_str(&stdout(&doctor)).expect("doctor JSON");
    assert_eq!(facts["storage"]["workspace"], chosen.display().to_string());
}

#[test]
fn restore_follows_the_current_configs_workspace_over_the_archives() {
    let scratch = tempfile::tempdir().expect("scratch");
    let outside = scratch.path().join("outside");
    let archive = hostile_but_well_formed(scratch.path(), &outside);
    let home = tempfile::tempdir().expect("home");
    let current = home.path().join("current-ws");
    fs::write(
        home.path().join("pincer.json5"),
        format!(
            "{{ agents: {{ defaults: {{ workspace: '{}' }} }} }}",
            current.display()
        ),
    )
    .expect("current config");
    let restore = run_cli(
        home.path(),
        &[
            "backup",
            "restore",
            "--force",
            archive.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(code(&restore), 0, "{}", stderr(&restore));
    assert!(!outside.exists());
    assert!(current.join("AGENTS.md").is_file());
    let doctor = run_cli(home.path(), &["doctor", "--json"]);
    let facts: Value = serde_json::from_str(&stdout(&doctor)).expect("doctor JSON");
    assert_eq!(facts["storage"]["workspace"], current.display().to_string());
}
