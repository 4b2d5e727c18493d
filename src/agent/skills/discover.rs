//! Finding the skill folders of every source, in priority order, and reading their front matter.
//!
//! Each source is a folder of skill folders (`<root>/<skill>/SKILL.md`), read in name order, at
//! most `skills.limits.maxSkillsLoadedPerSource` of them. A root or skill folder that is a
//! symbolic link is not followed, and a `SKILL.md` must be a regular file no larger than
//! `maxSkillFileBytes`: the workspace source holds what the model may have written, and a link
//! there could otherwise list (and open to the read tool) files from anywhere. A skill whose name
//! an earlier (higher) source already has is kept in the list as [`SkillState::Shadowed`].
//!
//! [`fingerprint`] stats the same places (roots, skill folders, `SKILL.md` files) without reading
//! them, so the poller can tell cheaply whether anything changed.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::io::Read;
use std::path::{Path, PathBuf};

use super::{parse_skill, OpenClawMeta, Skill, SkillState, Source, SKILL_FILE};

/// The skill folders directly in `root`, names sorted, symlinks skipped; at most `max`.
fn skill_dirs(root: &Path, max: usize) -> Vec<PathBuf> {
    let Ok(meta) = std::fs::symlink_metadata(root) else {
        return Vec::new();
    };
    if !meta.is_dir() {
        return Vec::new();
    }
    let Ok(listing) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = listing
        .flatten()
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|entry| !entry.file_name().to_string_lossy().starts_with('.'))
        .map(|entry| entry.path())
        .filter(|dir| dir.join(SKILL_FILE).symlink_metadata().is_ok())
        .collect();
    dirs.sort();
    dirs.truncate(max);
    dirs
}

/// Reads one skill folder; a file that does not read is an [`SkillState::Invalid`] skill named
/// after its folder. Every found skill starts [`SkillState::Eligible`] (checked later).
fn read_skill(dir: &Path, source: Source, max_bytes: u64) -> Skill {
    let file = dir.join(SKILL_FILE);
    let folder_name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let invalid = |reason: String| Skill {
        name: folder_name.clone(),
        description: String::new(),
        source,
        dir: dir.to_path_buf(),
        file: file.clone(),
        meta: OpenClawMeta::default(),
        state: SkillState::Invalid(reason),
    };
    let text = match read_bounded(&file, max_bytes) {
        Ok(text) => text,
        Err(reason) => return invalid(reason),
    };
    match parse_skill(&text) {
        Ok(parsed) => {
            let (meta, state) = match parsed.meta {
                Ok(meta) => (meta, SkillState::Eligible),
                Err(reason) => (OpenClawMeta::default(), SkillState::Invalid(reason)),
            };
            Skill {
                name: parsed.name,
                description: parsed.description,
                source,
                dir: dir.to_path_buf(),
                file,
                meta,
                state,
            }
        }
        Err(reason) => invalid(reason),
    }
}

/// The text of the regular file `file`, at most `max` bytes.
pub(crate) fn read_bounded(file: &Path, max: u64) -> Result<String, String> {
    let meta = std::fs::symlink_metadata(file).map_err(|e| format!("{SKILL_FILE}: {e}"))?;
    if !meta.is_file() {
        return Err(format!(
            "{SKILL_FILE} is not a regular file (links are not followed)"
        ));
    }
    if meta.len() > max {
        return Err(format!(
            "{SKILL_FILE} is {} bytes, over skills.limits.maxSkillFileBytes ({max})",
            meta.len()
        ));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(max + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("{SKILL_FILE}: {e}"))?;
    String::from_utf8(bytes).map_err(|_| format!("{SKILL_FILE} is not UTF-8 text"))
}

/// Every skill of `roots` (highest priority first), lower same-named ones shadowed.
pub fn load(roots: &[(Source, PathBuf)], max_per_source: usize, max_bytes: u64) -> Vec<Skill> {
    let mut winners: BTreeMap<String, Source> = BTreeMap::new();
    let mut out = Vec::new();
    for (source, root) in roots {
        for dir in skill_dirs(root, max_per_source) {
            let mut skill = read_skill(&dir, *source, max_bytes);
            match winners.get(&skill.name) {
                Some(by) => skill.state = SkillState::Shadowed(*by),
                None if !matches!(skill.state, SkillState::Invalid(_)) => {
                    winners.insert(skill.name.clone(), *source);
                }
                None => {}
            }
            out.push(skill);
        }
    }
    out
}

/// A hash of what [`load`] would look at (modification times and sizes), not their content.
pub fn fingerprint(roots: &[(Source, PathBuf)], max_per_source: usize) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    let stamp = |path: &Path, hasher: &mut std::collections::hash_map::DefaultHasher| {
        path.hash(hasher);
        if let Ok(meta) = std::fs::symlink_metadata(path) {
            meta.len().hash(hasher);
            meta.modified().ok().hash(hasher);
            meta.is_dir().hash(hasher);
        }
    };
    for (_, root) in roots {
        stamp(root, &mut hasher);
        for dir in skill_dirs(root, max_per_source) {
            stamp(&dir, &mut hasher);
            stamp(&dir.join(SKILL_FILE), &mut hasher);
        }
    }
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_skill(root: &Path, folder: &str, front: &str) {
        std::fs::create_dir_all(root.join(folder)).unwrap();
        std::fs::write(
            root.join(folder).join(SKILL_FILE),
            format!("---\n{front}\n---\nbody\n"),
        )
        .unwrap();
    }

    #[test]
    fn sources_in_priority_order_shadow_lower_ones() {
        let dir = tempfile::tempdir().unwrap();
        let (ws, managed) = (dir.path().join("ws"), dir.path().join("managed"));
        write_skill(&ws, "a", "name: shared\ndescription: from the workspace");
        write_skill(&managed, "b", "name: shared\ndescription: managed copy");
        write_skill(&managed, "c", "name: other\ndescription: only managed");
        std::fs::create_dir_all(managed.join("no-file")).unwrap();
        write_skill(&managed, "d", "name: broken");
        let roots = vec![(Source::Workspace, ws), (Source::Managed, managed)];
        let skills = load(&roots, 100, 10_000);
        let summary: Vec<(&str, Source, bool)> = skills
            .iter()
            .map(|s| (s.name.as_str(), s.source, s.eligible()))
            .collect();
        assert_eq!(
            summary,
            [
                ("shared", Source::Workspace, true),
                ("shared", Source::Managed, false),
                ("other", Source::Managed, true),
                ("d", Source::Managed, false),
            ]
        );
        assert_eq!(skills[1].state, SkillState::Shadowed(Source::Workspace));
        assert!(matches!(&skills[3].state, SkillState::Invalid(r) if r.contains("description")));
    }

    #[test]
    fn links_huge_files_and_caps_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        write_skill(
            &root,
            "big",
            &format!("name: big\ndescription: {}", "x".repeat(2000)),
        );
        write_skill(
            dir.path(),
            "outside",
            "name: outside\ndescription: elsewhere",
        );
        std::os::unix::fs::symlink(dir.path().join("outside"), root.join("linked")).unwrap();
        std::fs::create_dir_all(root.join("filelink")).unwrap();
        std::os::unix::fs::symlink(
            dir.path().join("outside").join(SKILL_FILE),
            root.join("filelink").join(SKILL_FILE),
        )
        .unwrap();
        let skills = load(&[(Source::Extra, root.clone())], 100, 1000);
        let names: Vec<&str> = skills.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            ["big", "filelink"],
            "the linked folder is not followed"
        );
        assert!(
            matches!(&skills[0].state, SkillState::Invalid(r) if r.contains("maxSkillFileBytes"))
        );
        assert!(
            matches!(&skills[1].state, SkillState::Invalid(r) if r.contains("not a regular file"))
        );
        for i in 0..5 {
            write_skill(
                &root,
                &format!("n{i}"),
                &format!("name: n{i}\ndescription: d"),
            );
        }
        assert_eq!(load(&[(Source::Extra, root.clone())], 3, 1000).len(), 3);
        let linked_root = dir.path().join("linked-root");
        std::os::unix::fs::symlink(&root, &linked_root).unwrap();
        assert!(load(&[(Source::Workspace, linked_root)], 100, 1000).is_empty());
    }

    #[test]
    fn the_fingerprint_changes_with_the_folders() {
        let dir = tempfile::tempdir().unwrap();
        let roots = vec![(Source::Managed, dir.path().join("skills"))];
        let empty = fingerprint(&roots, 10);
        assert_eq!(empty, fingerprint(&roots, 10));
        write_skill(&dir.path().join("skills"), "a", "name: a\ndescription: d");
        let one = fingerprint(&roots, 10);
        assert_ne!(empty, one);
        std::fs::write(
            dir.path().join("skills/a").join(SKILL_FILE),
            "---\nname: a\ndescription: longer text now\n---\n",
        )
        .unwrap();
        assert_ne!(one, fingerprint(&roots, 10));
    }
}
