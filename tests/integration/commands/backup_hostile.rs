//! `pincer backup restore` against hostile archives, through the real binary: traversal paths,
//! well-formed archives aiming outside the installation, links, devices and bombs, and a symbolic
//! link planted in the installation. The helpers that write archives are `backup.rs`'s.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::backup::*;
use super::backup_archives::*;
use crate::support::*;

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

pub(super) fn hostile_but_well_formed(dir: &Path, outside: &Path) -> PathBuf {
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
