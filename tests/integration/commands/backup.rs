//! `pincer backup create|verify|restore` against the real binary: a round trip of real sessions
//! into an empty home, tamper and truncation detection, the refusals of restore (running gateway,
//! existing files, path traversal), retention, the scopes, and the cron wrapper script.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::agent::*;
use crate::support::*;
use pincer_emulators::Emulator;
use serde_json::Value;

/// The archive path `backup create` printed.
fn created(output: &Output) -> PathBuf {
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

fn code(output: &Output) -> i32 {
    output.status.code().expect("exit code")
}

/// Archive entries as (path, content), in order.
fn entries(archive: &Path) -> Vec<(String, Vec<u8>)> {
    let file = fs::File::open(archive).expect("archive");
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut out = Vec::new();
    for entry in tar.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        let path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let mut content = Vec::new();
        entry.read_to_end(&mut content).expect("content");
        out.push((path, content));
    }
    out
}

/// Writes `entries` as a .tar.gz, with raw names (no validation: crafted archives need `..`).
fn write_archive(path: &Path, entries: &[(String, Vec<u8>)]) {
    let crafted: Vec<Crafted> = entries
        .iter()
        .map(|(name, content)| Crafted::file(name, content, 0o600))
        .collect();
    write_crafted(path, &crafted);
}

/// One entry of a hand-made archive: any type, mode and declared size.
struct Crafted {
    name: String,
    content: Vec<u8>,
    mode: u32,
    kind: tar::EntryType,
    /// The size the header declares (normally the content's).
    declared: u64,
    link: Option<String>,
}

impl Crafted {
    fn file(name: &str, content: &[u8], mode: u32) -> Crafted {
        Crafted {
            name: name.to_string(),
            content: content.to_vec(),
            mode,
            kind: tar::EntryType::Regular,
            declared: content.len() as u64,
            link: None,
        }
    }

    fn special(name: &str, kind: tar::EntryType, link: Option<&str>) -> Crafted {
        Crafted {
            kind,
            link: link.map(str::to_string),
            ..Crafted::file(name, b"", 0o644)
        }
    }
}

fn write_crafted(path: &Path, entries: &[Crafted]) {
    let file = fs::File::create(path).expect("create");
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    let mut builder = tar::Builder::new(gz);
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        let raw = &mut header.as_gnu_mut().expect("gnu header").name;
        raw[..entry.name.len()].copy_from_slice(entry.name.as_bytes());
        header.set_entry_type(entry.kind);
        header.set_size(entry.declared);
        header.set_mode(entry.mode);
        if let Some(link) = &entry.link {
            header.set_link_name(link).expect("link name");
        }
        header.set_cksum();
        builder
            .append(&header, entry.content.as_slice())
            .expect("append");
    }
    builder.into_inner().expect("tar").finish().expect("gzip");
}

/// A well-formed archive of `files` (path, content, mode) with a manifest that verifies.
fn write_well_formed(path: &Path, files: &[(&str, &[u8], u32)]) {
    let records: Vec<Value> = files
        .iter()
        .map(|(name, content, mode)| {
            serde_json::json!({
                "path": name, "size": content.len(), "sha256": sha256_hex(content),
                "mode": format!("{mode:04o}")
            })
        })
        .collect();
    let manifest = serde_json::json!({
        "version": 1, "createdAt": "2025-01-01T00:00:00Z", "createdMs": 0,
        "pincerVersion": "0", "hostname": "elsewhere", "files": records
    });
    let mut entries: Vec<Crafted> = files
        .iter()
        .map(|(name, content, mode)| Crafted::file(name, content, *mode))
        .collect();
    entries.push(Crafted::file(
        "manifest.json",
        manifest.to_string().as_bytes(),
        0o600,
    ));
    write_crafted(path, &entries);
}

#[cfg(unix)]
fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::symlink_metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o7777
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A home with a config, a token and a transcript written by hand (no gateway needed).
fn home_with_files() -> tempfile::TempDir {
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
fn sessions_json(home: &Path) -> Value {
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
fn restore_rejects_a_crafted_archive_with_traversal_paths() {
    let scratch = tempfile::tempdir().expect("scratch");
    let home = scratch.path().join("home");
    fs::create_dir_all(&home).expect("home");
    let evil = b"pwned".to_vec();
    let absolute = scratch.path().join("evil3").display().to_string();
    let names = [
        "state/../../evil",
        "workspace/../../../evil2",
        absolute.as_str(),
    ];
    let files: Vec<Value> = names
        .iter()
        .map(|name| {
            serde_json::json!({
                "path": name, "size": evil.len(), "sha256": sha256_hex(&evil), "mode": "0644"
            })
        })
        .collect();
    let manifest = serde_json::json!({
        "version": 1, "createdAt": "2025-01-01T00:00:00Z", "createdMs": 0,
        "pincerVersion": "0", "hostname": "x", "files": files
    });
    let mut items: Vec<(String, Vec<u8>)> = names
        .iter()
        .map(|name| (name.to_string(), evil.clone()))
        .collect();
    items.push(("manifest.json".into(), manifest.to_string().into_bytes()));
    let archive = scratch.path().join("crafted.tar.gz");
    write_archive(&archive, &items);

    let refused = run_cli(
        &home,
        &["backup", "restore", archive.to_str().expect("utf-8")],
    );
    let report = stderr(&refused);
    assert_eq!(code(&refused), 1, "{report}");
    assert!(
        report.contains("unsafe path \"state/../../evil\""),
        "{report}"
    );
    assert!(
        report.contains("unsafe path \"workspace/../../../evil2\""),
        "{report}"
    );
    assert!(
        report.contains(&format!("unsafe path {absolute:?}")),
        "{report}"
    );
    assert!(!scratch.path().join("evil").exists());
    assert!(!scratch.path().join("evil2").exists());
    assert!(!scratch.path().join("evil3").exists());
    assert!(!home.join("state").exists(), "nothing was written");
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
fn hostile_but_well_formed(dir: &Path, outside: &Path) -> PathBuf {
    let config = format!(
        "// another machine's config\n{{\n  agent: {{ workspace: '{}' }}, // theirs\n  gateway: {{ port: 18789 }},\n}}\n",
        outside.display()
    );
    let archive = dir.join("hostile.tar.gz");
    write_well_formed(
        &archive,
        &[
            ("config/pincer.json5", config.as_bytes(), 0o666),
            ("state/secrets.env", b"OPENAI_API_KEY=sk-test\n", 0o666),
            (
                "state/agents/main/sessions/s.jsonl",
                b"{\"type\":\"session\"}\n",
                0o777,
            ),
            ("workspace/AGENTS.md", b"dropped here", 0o6777),
            ("workspace/bin/run.sh", b"#!/bin/sh\n", 0o777),
        ],
    );
    archive
}

#[test]
fn a_crafted_archive_cannot_aim_the_restore_outside_the_installation() {
    let scratch = tempfile::tempdir().expect("scratch");
    let outside = scratch.path().join("outside");
    let archive = hostile_but_well_formed(scratch.path(), &outside);
    let verified = run_cli(
        scratch.path(),
        &["backup", "verify", archive.to_str().expect("utf-8")],
    );
    assert_eq!(
        code(&verified),
        0,
        "the archive is well-formed: {}",
        stderr(&verified)
    );

    let home = tempfile::tempdir().expect("fresh home");
    let restore = run_cli(
        home.path(),
        &["backup", "restore", archive.to_str().expect("utf-8")],
    );
    assert_eq!(code(&restore), 0, "{}", stderr(&restore));
    assert!(
        !outside.exists(),
        "nothing was written to the archive's workspace"
    );

    let workspace = home.path().join("state/agents/main/workspace");
    assert_eq!(
        fs::read_to_string(workspace.join("AGENTS.md")).expect("workspace file"),
        "dropped here"
    );
    let config = fs::read_to_string(home.path().join("pincer.json5")).expect("config");
    assert!(
        config.contains(&format!(
            "agent: {{ workspace: \"{}\" }}, // theirs",
            workspace.display()
        )) && config.starts_with("// another machine's config"),
        "the workspace value is replaced and the comments are kept:\n{config}"
    );
    let report = stdout(&restore);
    assert!(
        report.contains(&format!("named {:?}", outside.display().to_string()))
            && report.contains("--workspace DIR"),
        "{report}"
    );
    #[cfg(unix)]
    {
        let at = |rel: &str| mode_of(&home.path().join(rel));
        assert_eq!(at("state/secrets.env"), 0o600, "secrets are owner-only");
        assert_eq!(at("state/gateway.lock"), 0o600);
        assert_eq!(at("pincer.json5"), 0o600);
        assert_eq!(at("state/agents/main/sessions/s.jsonl"), 0o700);
        for dir in [
            "state",
            "state/agents",
            "state/agents/main",
            "state/agents/main/sessions",
        ] {
            assert_eq!(at(dir), 0o700, "{dir}");
        }
        assert_eq!(
            mode_of(&workspace.join("AGENTS.md")),
            0o755,
            "no set-id, no group/other write"
        );
        assert_eq!(mode_of(&workspace.join("bin")), 0o700);
    }
    let doctor = run_cli(home.path(), &["doctor", "--json"]);
    let facts: Value = serde_json::from_str(&stdout(&doctor)).expect("doctor JSON");
    assert_eq!(
        facts["storage"]["workspace"],
        workspace.display().to_string()
    );
}

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

#[test]
fn links_devices_and_bombs_in_an_archive_are_refused_before_anything_is_written() {
    let scratch = tempfile::tempdir().expect("scratch");
    let home = scratch.path().join("home");
    fs::create_dir_all(&home).expect("home");
    let specials = [
        Crafted::special("state/link", tar::EntryType::Symlink, Some("/etc/passwd")),
        Crafted::special("workspace/hard", tar::EntryType::Link, Some("/etc/shadow")),
        Crafted::special("state/tty", tar::EntryType::Char, None),
        Crafted::special("state/disk", tar::EntryType::Block, None),
        Crafted::special("workspace/fifo", tar::EntryType::Fifo, None),
    ];
    let records: Vec<Value> = specials
        .iter()
        .map(|e| serde_json::json!({"path": e.name, "size": 0, "sha256": sha256_hex(b""), "mode": "0644"}))
        .collect();
    let manifest = serde_json::json!({
        "version": 1, "createdAt": "2025-01-01T00:00:00Z", "createdMs": 0,
        "pincerVersion": "0", "hostname": "x", "files": records
    });
    let mut entries: Vec<Crafted> = specials.into_iter().collect();
    entries.push(Crafted::file(
        "manifest.json",
        manifest.to_string().as_bytes(),
        0o600,
    ));
    let archive = scratch.path().join("specials.tar.gz");
    write_crafted(&archive, &entries);
    let refused = run_cli(
        &home,
        &["backup", "restore", archive.to_str().expect("utf-8")],
    );
    let report = stderr(&refused);
    assert_eq!(code(&refused), 1, "{report}");
    for name in [
        "state/link",
        "workspace/hard",
        "state/tty",
        "state/disk",
        "workspace/fifo",
    ] {
        assert!(
            report.contains(&format!("{name:?}: not a regular file")),
            "{name}: {report}"
        );
    }
    assert!(!home.join("state").exists(), "nothing was written");

    // A header that claims a terabyte is refused from the header, without reading on.
    let mut bomb = Crafted::file("workspace/big.bin", b"", 0o644);
    bomb.declared = 1 << 40;
    let archive = scratch.path().join("bomb.tar.gz");
    write_crafted(&archive, &[bomb]);
    let refused = run_cli(
        &home,
        &["backup", "restore", archive.to_str().expect("utf-8")],
    );
    let report = stderr(&refused);
    assert_eq!(code(&refused), 1, "{report}");
    assert!(report.contains("stopped reading it"), "{report}");
    assert!(!home.join("state").exists(), "nothing was written");
}

#[cfg(unix)]
#[test]
fn restore_does_not_write_through_a_symbolic_link_in_the_installation() {
    let scratch = tempfile::tempdir().expect("scratch");
    let outside = scratch.path().join("outside");
    fs::create_dir_all(&outside).expect("outside");
    let archive = scratch.path().join("ok.tar.gz");
    write_well_formed(
        &archive,
        &[("state/agents/main/sessions/s.jsonl", b"{}\n", 0o600)],
    );
    let home = scratch.path().join("home");
    fs::create_dir_all(home.join("state")).expect("state");
    std::os::unix::fs::symlink(&outside, home.join("state/agents")).expect("symlink");
    let refused = run_cli(
        &home,
        &["backup", "restore", archive.to_str().expect("utf-8")],
    );
    let report = stderr(&refused);
    assert_eq!(code(&refused), 1, "{report}");
    assert!(
        report.contains("is a symbolic link; restore does not write through links"),
        "{report}"
    );
    assert_eq!(
        fs::read_dir(&outside).expect("outside").count(),
        0,
        "nothing written outside"
    );
}
