//! `pincer skills install|list|check`.

use std::fs;

use super::*;
use crate::support::*;
use pincer_emulators::Emulator;

const SKILL: &str = "---\nname: weather\ndescription: Forecasts for a city\nmetadata: {\"openclaw\": {\"emoji\": \"🌦\"}}\n---\nUse curl wttr.in.\n";

/// A .tar.gz of `(name, kind, content, link)` entries, names written raw (crafted ones need `..`).
fn archive(entries: &[(&str, tar::EntryType, &[u8], Option<&str>)]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(gz);
    for (name, kind, content, link) in entries {
        let mut header = tar::Header::new_gnu();
        header.as_gnu_mut().expect("gnu").name[..name.len()].copy_from_slice(name.as_bytes());
        header.set_entry_type(*kind);
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        if let Some(link) = link {
            header.set_link_name(link).expect("link");
        }
        header.set_cksum();
        builder.append(&header, *content).expect("append");
    }
    builder.into_inner().expect("tar").finish().expect("gzip")
}

const FILE: tar::EntryType = tar::EntryType::Regular;

#[test]
fn a_good_archive_installs_and_is_listed_offline_and_by_the_gateway() {
    let emulator = Emulator::openai();
    let home = tempfile::tempdir().expect("home");
    fs::write(home.path().join("pincer.json5"), config(&emulator, "")).expect("config");
    let path = home.path().join("weather.tar.gz");
    fs::write(
        &path,
        archive(&[("weather/SKILL.md", FILE, SKILL.as_bytes(), None)]),
    )
    .expect("archive");

    let installed = run_cli(
        home.path(),
        &["skills", "install", path.to_str().expect("utf-8")],
    );
    assert!(
        installed.status.success(),
        "{}{}",
        stdout(&installed),
        stderr(&installed)
    );
    assert!(
        stdout(&installed).contains("installed skill weather"),
        "{}",
        stdout(&installed)
    );
    assert_eq!(
        fs::read_to_string(home.path().join("state/skills/weather/SKILL.md")).expect("installed"),
        SKILL
    );
    let again = run_cli(
        home.path(),
        &["skills", "install", path.to_str().expect("utf-8")],
    );
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(stderr(&again).contains("--force"), "{}", stderr(&again));

    let offline = run_cli(home.path(), &["skills", "list", "--json"]);
    assert!(offline.status.success(), "{}", stderr(&offline));
    let listed: Value = serde_json::from_str(&stdout(&offline)).expect("json");
    assert_eq!(listed["skills"][0]["name"], "weather");
    assert_eq!(listed["skills"][0]["source"], "managed");
    assert_eq!(listed["skills"][0]["emoji"], "🌦");

    // Through the running gateway: a URL install shows up in its list, check says which is which.
    let gateway = Gateway::start_in(home, &[]);
    let hosted = emulator.host_file(
        "/skills/pdf.tar.gz",
        &archive(&[
            ("SKILL.md", FILE, b"---\nname: pdf\ndescription: Reads PDFs\nmetadata: {\"openclaw\": {\"requires\": {\"bins\": [\"pincer-no-such-pdftool\"]}}}\n---\n", None),
        ]),
        "application/gzip",
    );
    let fetched = run_cli(gateway.home(), &["skills", "install", &hosted]);
    assert!(
        fetched.status.success(),
        "{}{}",
        stdout(&fetched),
        stderr(&fetched)
    );
    wait_for_skills(&gateway, "the installed skill is loaded", |body| {
        body["skills"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s["name"] == "pdf"))
    });
    let ok = run_cli(gateway.home(), &["skills", "check", "weather"]);
    assert!(ok.status.success(), "{}", stdout(&ok));
    let not = run_cli(gateway.home(), &["skills", "check", "pdf"]);
    assert_eq!(not.status.code(), Some(1), "{}", stdout(&not));
    assert!(
        stdout(&not).contains("missing on PATH: pincer-no-such-pdftool"),
        "{}",
        stdout(&not)
    );
}

#[test]
fn hostile_archives_are_refused_with_a_clear_error() {
    let home = tempfile::tempdir().expect("home");
    let cases: [(&str, Vec<u8>, &str); 4] = [
        (
            "traversal",
            archive(&[
                ("SKILL.md", FILE, SKILL.as_bytes(), None),
                ("../../escaped.txt", FILE, b"x", None),
            ]),
            "unsafe path \"../../escaped.txt\"",
        ),
        (
            "symlink",
            archive(&[
                ("weather/SKILL.md", FILE, SKILL.as_bytes(), None),
                ("weather/etc", tar::EntryType::Symlink, b"", Some("/etc")),
            ]),
            "links, devices and FIFOs are refused",
        ),
        (
            "hardlink",
            archive(&[
                ("SKILL.md", FILE, SKILL.as_bytes(), None),
                ("passwd", tar::EntryType::Link, b"", Some("/etc/passwd")),
            ]),
            "links, devices and FIFOs are refused",
        ),
        (
            "no-skill",
            archive(&[("README.md", FILE, b"hello", None)]),
            "the archive is not a skill",
        ),
    ];
    for (label, bytes, expected) in cases {
        let path = home.path().join(format!("{label}.tar.gz"));
        fs::write(&path, bytes).expect("archive");
        let refused = run_cli(
            home.path(),
            &["skills", "install", path.to_str().expect("utf-8")],
        );
        assert_eq!(
            refused.status.code(),
            Some(1),
            "{label}: {}",
            stdout(&refused)
        );
        assert!(
            stderr(&refused).contains(expected),
            "{label}: {}",
            stderr(&refused)
        );
    }
    assert!(!home.path().join("escaped.txt").exists());
    assert!(!home.path().join("state/escaped.txt").exists());
    let managed = home.path().join("state/skills");
    assert_eq!(
        fs::read_dir(&managed).expect("skills dir").count(),
        0,
        "nothing installed or left behind"
    );
}
