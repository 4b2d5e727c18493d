//! The skill installer against good and hostile archives.

use super::*;

/// One entry of a hand-made archive, its name written raw (crafted ones need `..`).
struct Entry<'a> {
    name: &'a str,
    content: &'a [u8],
    kind: tar::EntryType,
    link: Option<&'a str>,
    mode: u32,
}

fn file<'a>(name: &'a str, content: &'a [u8]) -> Entry<'a> {
    Entry {
        name,
        content,
        kind: tar::EntryType::Regular,
        link: None,
        mode: 0o644,
    }
}

fn archive(path: &Path, entries: &[Entry<'_>]) {
    let out = File::create(path).unwrap();
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        out,
        flate2::Compression::fast(),
    ));
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        header.as_gnu_mut().unwrap().name[..entry.name.len()]
            .copy_from_slice(entry.name.as_bytes());
        header.set_entry_type(entry.kind);
        header.set_size(entry.content.len() as u64);
        header.set_mode(entry.mode);
        if let Some(link) = entry.link {
            header.set_link_name(link).unwrap();
        }
        header.set_cksum();
        builder.append(&header, entry.content).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap();
}

const SKILL: &[u8] = b"---\nname: weather\ndescription: Forecasts via wttr.in\n---\nUse curl.\n";

#[test]
fn a_good_archive_installs_under_its_name_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let managed = dir.path().join("skills");
    let path = dir.path().join("weather.tar.gz");
    let script = Entry {
        mode: 0o4755,
        ..file("weather-1.0/scripts/run.sh", b"#!/bin/sh\n")
    };
    archive(
        &path,
        &[
            Entry {
                kind: tar::EntryType::Directory,
                ..file("weather-1.0/", b"")
            },
            file("weather-1.0/SKILL.md", SKILL),
            script,
        ],
    );
    let installed = install_file(&path, &managed, false).unwrap();
    assert_eq!(installed.name, "weather");
    assert_eq!(installed.files, 2);
    assert!(!installed.replaced);
    assert_eq!(fs::read(managed.join("weather/SKILL.md")).unwrap(), SKILL);
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(managed.join("weather/scripts/run.sh"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o7777, 0o755, "no set-id bit is kept");
    let again = install_file(&path, &managed, false).unwrap_err();
    assert!(matches!(again, InstallError::Exists { .. }), "{again}");
    assert!(install_file(&path, &managed, true).unwrap().replaced);
    let leftovers: Vec<_> = fs::read_dir(&managed)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(leftovers, ["weather"], "no staging folder is left");
}

#[test]
fn hostile_archives_are_refused_and_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let managed = dir.path().join("skills");
    let cases: Vec<(&str, Vec<Entry<'_>>, &str)> = vec![
        (
            "traversal",
            vec![file("SKILL.md", SKILL), file("../../evil.txt", b"x")],
            "unsafe path",
        ),
        ("absolute", vec![file("/tmp/evil.txt", b"x")], "unsafe path"),
        (
            "symlink",
            vec![
                file("SKILL.md", SKILL),
                Entry {
                    kind: tar::EntryType::Symlink,
                    link: Some("/etc"),
                    ..file("etc", b"")
                },
            ],
            "links, devices",
        ),
        (
            "hardlink",
            vec![
                file("SKILL.md", SKILL),
                Entry {
                    kind: tar::EntryType::Link,
                    link: Some("/etc/passwd"),
                    ..file("pw", b"")
                },
            ],
            "links, devices",
        ),
        (
            "device",
            vec![Entry {
                kind: tar::EntryType::Char,
                ..file("tty", b"")
            }],
            "links, devices",
        ),
        ("no skill", vec![file("README.md", b"hello")], "not a skill"),
        (
            "bad front matter",
            vec![file("SKILL.md", b"# no front matter\n")],
            "no front matter",
        ),
        (
            "bad metadata",
            vec![file(
                "SKILL.md",
                b"---\nname: a\ndescription: d\nmetadata: {\"openclaw\": 3}\n---\n",
            )],
            "metadata",
        ),
    ];
    for (label, entries, expected) in cases {
        let path = dir
            .path()
            .join(format!("{}.tar.gz", label.replace(' ', "-")));
        archive(&path, &entries);
        let refused = install_file(&path, &managed, false)
            .unwrap_err()
            .to_string();
        assert!(refused.contains(expected), "{label}: {refused}");
    }
    assert!(!dir.path().join("evil.txt").exists());
    assert_eq!(
        fs::read_dir(&managed).unwrap().count(),
        0,
        "nothing installed, no staging left"
    );
}

#[test]
fn bombs_stop_at_the_limits() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.tar.gz");
    let names: Vec<String> = (0..20).map(|i| format!("f{i}")).collect();
    let entries: Vec<Entry<'_>> = names.iter().map(|n| file(n, b"x")).collect();
    archive(&path, &entries);
    let into = dir.path().join("into");
    fs::create_dir(&into).unwrap();
    let small = Limits {
        max_entries: 10,
        max_total_bytes: 1 << 20,
    };
    let refused = unpack(File::open(&path).unwrap(), &into, &small).unwrap_err();
    assert!(
        refused.to_string().contains("more than 10 entries"),
        "{refused}"
    );
    let tiny = Limits {
        max_entries: 100,
        max_total_bytes: 5,
    };
    assert!(unpack(File::open(&path).unwrap(), &dir.path().join("into2"), &tiny).is_err());
}
