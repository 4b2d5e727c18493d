//! Library-level round trips: create while a writer appends, verify, restore into an empty
//! installation. The command-line behaviour is covered by `tests/integration/commands/backup.rs`.

use std::fs;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::create::{create, CreateOptions};
use super::layout::Layout;
use super::restore::{restore, RestoreOptions};
use super::select::Scope;
use super::verify::verify;
use super::BackupError;

const ALL: Scope = Scope {
    only_config: false,
    workspace: true,
};

fn layout_in(root: &Path) -> Layout {
    Layout {
        config_file: root.join("pincer.json5"),
        state_dir: root.join("state"),
        workspace: Some(root.join("work")),
    }
}

fn populate(layout: &Layout) {
    let sessions = layout.state_dir.join("agents/main/sessions");
    fs::create_dir_all(&sessions).expect("dirs");
    fs::create_dir_all(layout.workspace.as_ref().expect("workspace")).expect("dirs");
    fs::write(&layout.config_file, "{ gateway: { port: 18789 } }").expect("config");
    fs::write(sessions.join("a.jsonl"), "{\"type\":\"session\"}\n").expect("jsonl");
    fs::write(sessions.join("sessions.json"), "{}").expect("index");
    let token = layout.state_dir.join("gateway.token");
    fs::write(&token, "secret").expect("token");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&token, fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    fs::write(
        layout
            .workspace
            .as_ref()
            .expect("workspace")
            .join("MEMORY.md"),
        "remember",
    )
    .expect("memory");
}

fn entry_text(archive: &Path, wanted: &str) -> String {
    let file = fs::File::open(archive).expect("archive");
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    for entry in tar.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        if entry.path_bytes().as_ref() == wanted.as_bytes() {
            let mut text = String::new();
            entry.read_to_string(&mut text).expect("read");
            return text;
        }
    }
    panic!("{wanted} not in {}", archive.display());
}

#[test]
fn a_backup_taken_during_appends_verifies_and_holds_whole_lines() {
    let tmp = tempfile::tempdir().expect("tmp");
    let layout = layout_in(tmp.path());
    populate(&layout);
    let transcript = layout.state_dir.join("agents/main/sessions/a.jsonl");
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let stop = Arc::clone(&stop);
        let transcript = transcript.clone();
        std::thread::spawn(move || {
            let mut file = fs::OpenOptions::new()
                .append(true)
                .open(&transcript)
                .expect("open");
            let mut n = 0u64;
            // Bounded, and paced like a chatty gateway, so the file stays small in debug builds.
            while !stop.load(Ordering::Relaxed) && n < 100_000 {
                let line = format!("{{\"n\":{n},\"pad\":\"{}\"}}\n", "x".repeat(200));
                file.write_all(line.as_bytes()).expect("append");
                n += 1;
                std::thread::sleep(std::time::Duration::from_micros(50));
            }
        })
    };
    let options = CreateOptions {
        out_dir: tmp.path().join("out"),
        scope: ALL,
    };
    let mut archives = Vec::new();
    std::thread::sleep(std::time::Duration::from_millis(20));
    for _ in 0..4 {
        archives.push(create(&layout, &options).expect("backup").path);
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().expect("writer");
    for archive in &archives {
        let verified = verify(archive).expect("intact");
        assert_eq!(verified.manifest.files.len(), 5);
        let text = entry_text(archive, "state/agents/main/sessions/a.jsonl");
        let complete = text.rsplit_once('\n').map_or("", |(whole, _)| whole);
        for line in complete.lines() {
            serde_json::from_str::<serde_json::Value>(line).expect("whole JSON lines");
        }
    }
    let names: std::collections::BTreeSet<_> = archives.iter().collect();
    assert_eq!(names.len(), archives.len(), "one name per backup");
}

#[test]
fn restore_into_an_empty_installation_reproduces_every_file() {
    let tmp = tempfile::tempdir().expect("tmp");
    let source = layout_in(&tmp.path().join("a"));
    populate(&source);
    let archive = create(
        &source,
        &CreateOptions {
            out_dir: tmp.path().join("out"),
            scope: ALL,
        },
    )
    .expect("backup")
    .path;
    let target = Layout {
        workspace: None,
        ..layout_in(&tmp.path().join("b"))
    };
    let restored = restore(&archive, &target, &RestoreOptions::default()).expect("restore");
    assert_eq!(restored.files, 5);
    for rel in [
        "pincer.json5",
        "state/gateway.token",
        "state/agents/main/sessions/a.jsonl",
        "state/agents/main/sessions/sessions.json",
    ] {
        assert_eq!(
            fs::read(tmp.path().join("a").join(rel)).expect("source"),
            fs::read(tmp.path().join("b").join(rel)).expect("restored"),
            "{rel}"
        );
    }
    // Neither the archive's config nor the current one names a workspace: the gateway's default.
    assert_eq!(
        fs::read_to_string(target.default_workspace().join("MEMORY.md")).expect("workspace"),
        "remember"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(target.state_dir.join("gateway.token"))
            .expect("token")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    match restore(&archive, &target, &RestoreOptions::default()) {
        Err(BackupError::WouldOverwrite { paths }) => assert_eq!(paths.len(), 5),
        other => panic!("expected a refusal, got {other:?}"),
    }
    let forced = RestoreOptions {
        force: true,
        ..RestoreOptions::default()
    };
    assert_eq!(
        restore(&archive, &target, &forced)
            .expect("forced")
            .replaced,
        5
    );
}

#[test]
fn restore_refuses_while_the_runtime_file_names_a_live_process() {
    let tmp = tempfile::tempdir().expect("tmp");
    let layout = layout_in(tmp.path());
    populate(&layout);
    let archive = create(
        &layout,
        &CreateOptions {
            out_dir: tmp.path().join("out"),
            scope: ALL,
        },
    )
    .expect("backup")
    .path;
    let info = serde_json::json!({
        "pid": std::process::id(), "url": "http://127.0.0.1:1", "listen": "127.0.0.1:1",
        "version": "0", "startedAtMs": 0
    });
    fs::write(layout.state_dir.join("gateway.json"), info.to_string()).expect("runtime");
    let forced = RestoreOptions {
        force: true,
        ..RestoreOptions::default()
    };
    let error = restore(&archive, &layout, &forced).expect_err("refused");
    assert_eq!(error.exit_code(), crate::exit::UNAVAILABLE, "{error}");
}

#[test]
fn verify_stops_at_the_entry_and_size_limits() {
    use super::verify::{verify_within, Limits};
    let tmp = tempfile::tempdir().expect("tmp");
    let layout = layout_in(tmp.path());
    populate(&layout);
    let archive = create(
        &layout,
        &CreateOptions {
            out_dir: tmp.path().join("out"),
            scope: ALL,
        },
    )
    .expect("backup")
    .path;
    let roomy = Limits {
        max_entries: 6,
        max_total_bytes: 1 << 20,
    };
    verify_within(&archive, &roomy).expect("5 files and a manifest fit");
    for limits in [
        Limits {
            max_entries: 5,
            ..roomy
        },
        Limits {
            max_total_bytes: 16,
            ..roomy
        },
    ] {
        match verify_within(&archive, &limits) {
            Err(BackupError::NotIntact { problems, .. }) => {
                assert!(problems[0].contains("stopped reading"), "{problems:?}")
            }
            other => panic!("{limits:?}: expected a refusal, got {other:?}"),
        }
    }
}
