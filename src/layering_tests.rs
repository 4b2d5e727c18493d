//! The layer rule, checked: a module may import only from layers below its own, and modules of
//! one layer must not import each other in a cycle.
//!
//! The test reads every `src/**/*.rs` of the main crate, blanks out comments and string and
//! character literals (so a doc link or an example in a string is not an import), and collects
//! every path that leaves its top-level module: `use crate::x::y`, `use crate::{a::b, c}` groups,
//! inline paths such as `crate::x::f()`, and `super::` chains that climb to the crate root. Each
//! top-level module has a layer in [`LAYERS`]; an import fails the test when
//! - it points up (the imported module's layer is above the importer's);
//! - it closes a cycle between modules of one layer (one import is named per edge of the cycle);
//! - it names, or comes from, a top-level module that has no layer.
//!
//! Unit-test code is exempt, because tests may build their fixtures from anywhere: files named
//! `tests.rs` or `*_tests.rs`, the files of test-only top-level modules (declared under
//! `#[cfg(test)]` in `lib.rs`, such as this one), and inline `#[cfg(test)] mod name { ... }`
//! blocks. `main.rs` is the top of everything and `lib.rs` only declares the modules.
//!
//! [`TEMPORARY_ALLOWED`] lists the edges that other work in progress removes; an entry that no
//! longer breaks the rule fails the test too, so the list can only shrink. `docs/architecture.md`
//! carries the same table in its "Layers" section, checked here, so the document cannot drift.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use self::scan::{declared_modules, leaving_paths};

mod checks;
mod scan;

/// The layers, lowest first: label, name, top-level modules. Keep the table of the "Layers"
/// section of `docs/architecture.md` identical (the test checks it).
const LAYERS: &[(&str, &str, &[&str])] = &[
    (
        "0",
        "foundation",
        &[
            "clock",
            "codec",
            "fsutil",
            "paths",
            "config",
            "exit",
            "net",
            "runtime_file",
        ],
    ),
    ("1", "services", &["providers", "cache", "logging"]),
    ("2a", "engine: sessions", &["sessions"]),
    ("2b", "engine: agent", &["agent"]),
    ("3", "channels", &["channels"]),
    ("4", "monitor", &["monitor"]),
    ("5", "api", &["api"]),
    ("6", "adapters", &["control", "web"]),
    ("7", "gateway", &["gateway"]),
    (
        "8",
        "commands",
        &["service", "backup", "ops", "import", "onboard", "cli"],
    ),
];

/// Edges excused from the rule while work in progress removes them: (importer, imported).
/// Empty: every import follows the rule. An entry needs a reason and the work that removes it,
/// and fails the test as soon as its edge is gone, so the list can only shrink.
const TEMPORARY_ALLOWED: &[(&str, &str)] = &[];

/// One path that leaves its top-level module.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Import {
    from: String,
    to: String,
    /// `src/...:line`.
    place: String,
    /// The source line, trimmed.
    text: String,
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// Every import of the crate under `src` that leaves its top-level module, with the declared
/// modules; test code left out (see the module's doc).
fn crate_imports(src: &Path) -> (BTreeSet<String>, Vec<Import>) {
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("src/lib.rs");
    let declared = declared_modules(&lib);
    let test_only: BTreeSet<String> = declared
        .iter()
        .filter(|(_, test)| *test)
        .map(|(name, _)| name.clone())
        .collect();
    let modules = declared
        .into_iter()
        .filter(|(_, test)| !test)
        .map(|(name, _)| name)
        .collect();
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut imports = Vec::new();
    for file in files {
        let relative = file.strip_prefix(src).expect("under src");
        let name = relative.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let mut module: Vec<String> = relative
            .with_extension("")
            .iter()
            .map(|part| part.to_string_lossy().into_owned())
            .collect();
        if module.last().is_some_and(|last| last == "mod") {
            module.pop();
        }
        let top = module.first().cloned().unwrap_or_default();
        if matches!(name, "lib.rs" | "main.rs") && module.len() == 1
            || name == "tests.rs"
            || name.ends_with("_tests.rs")
            || test_only.contains(&top)
        {
            continue;
        }
        let source = std::fs::read_to_string(&file).expect("source file");
        let lines: Vec<&str> = source.lines().collect();
        for (to, line) in leaving_paths(&source, &module) {
            if to == top {
                continue;
            }
            imports.push(Import {
                from: top.clone(),
                to,
                place: format!("src/{}:{line}", relative.display()),
                text: lines.get(line - 1).map_or("", |l| l.trim()).to_string(),
            });
        }
    }
    (modules, imports)
}

/// The layer index of each module of `layers`.
fn layer_of(layers: &[(&str, &str, &[&str])]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for (index, (_, _, modules)) in layers.iter().enumerate() {
        for module in modules.iter() {
            out.insert(module.to_string(), index);
        }
    }
    out
}

/// Everything that breaks the rule, as readable lines.
fn problems(
    layers: &[(&str, &str, &[&str])],
    allowed: &[(&str, &str)],
    modules: &BTreeSet<String>,
    imports: &[Import],
) -> Vec<String> {
    let rank = layer_of(layers);
    let label = |module: &str| {
        let (l, name, _) = layers[rank[module]];
        format!("`{module}` (layer {l}, {name})")
    };
    let mut out = Vec::new();
    for module in modules {
        if !rank.contains_key(module.as_str()) {
            out.push(format!(
                "the top-level module `{module}` has no layer: add it to LAYERS in \
                 src/layering_tests.rs and to the table in docs/architecture.md"
            ));
        }
    }
    let is_allowed = |i: &Import| allowed.contains(&(i.from.as_str(), i.to.as_str()));
    let mut same_layer: BTreeMap<(String, String), &Import> = BTreeMap::new();
    for import in imports {
        let (Some(&from), Some(&to)) =
            (rank.get(import.from.as_str()), rank.get(import.to.as_str()))
        else {
            out.push(format!(
                "{}: `{}`: `{}` imports `{}`, a module without a layer",
                import.place, import.text, import.from, import.to
            ));
            continue;
        };
        if to > from && !is_allowed(import) {
            out.push(format!(
                "{}: `{}`: an upward import: {} must not import {}",
                import.place,
                import.text,
                label(&import.from),
                label(&import.to)
            ));
        } else if to == from && !is_allowed(import) {
            same_layer
                .entry((import.from.clone(), import.to.clone()))
                .or_insert(import);
        }
    }
    for cycle in cycles(&same_layer) {
        let (l, name, _) = layers[rank[cycle[0].from.as_str()]];
        let mut text = format!("a cycle between modules of layer {l} ({name}):");
        for import in &cycle {
            let _ = write!(
                text,
                "\n    {} -> {}: {}: `{}`",
                import.from, import.to, import.place, import.text
            );
        }
        out.push(text);
    }
    for &(from, to) in allowed {
        let exists = imports.iter().any(|i| i.from == from && i.to == to);
        let needed = exists
            && match (rank.get(from), rank.get(to)) {
                (Some(f), Some(t)) if t > f => true,
                (Some(f), Some(t)) if t == f => reaches(imports, &rank, to, from, *f),
                _ => false,
            };
        if !needed {
            out.push(format!(
                "TEMPORARY_ALLOWED lists {from} -> {to}, which no longer breaks the rule: remove it"
            ));
        }
    }
    out
}

/// Whether `from` reaches `to` through imports between modules of layer `layer` (allowed or
/// not: an allowed edge only excuses the cycle it closes).
fn reaches(
    imports: &[Import],
    rank: &BTreeMap<String, usize>,
    from: &str,
    to: &str,
    layer: usize,
) -> bool {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from.to_string()];
    while let Some(module) = stack.pop() {
        if module == to {
            return true;
        }
        if !seen.insert(module.clone()) {
            continue;
        }
        for import in imports.iter().filter(|i| i.from == module) {
            if rank.get(&import.to) == Some(&layer) {
                stack.push(import.to.clone());
            }
        }
    }
    false
}

/// One cycle per strongly connected group of `edges` (each edge with its first import).
fn cycles<'a>(edges: &BTreeMap<(String, String), &'a Import>) -> Vec<Vec<&'a Import>> {
    let mut out = Vec::new();
    let mut covered = BTreeSet::new();
    for (from, _) in edges.keys() {
        if covered.contains(from) {
            continue;
        }
        // A shortest way back to `from`, by breadth-first search.
        let mut parent: BTreeMap<String, (String, &Import)> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([from.clone()]);
        let mut closed = None;
        while let Some(module) = queue.pop_front() {
            for ((a, b), import) in edges.range((module.clone(), String::new())..) {
                if *a != module {
                    break;
                }
                if b == from {
                    closed = Some((module.clone(), *import));
                    break;
                }
                if !parent.contains_key(b) {
                    parent.insert(b.clone(), (module.clone(), *import));
                    queue.push_back(b.clone());
                }
            }
            if closed.is_some() {
                break;
            }
        }
        let Some((last, closing)) = closed else {
            continue;
        };
        let mut cycle = vec![closing];
        let mut at = last;
        while at != *from {
            let (previous, import) = &parent[&at];
            cycle.push(*import);
            at = previous.clone();
        }
        cycle.reverse();
        covered.extend(cycle.iter().map(|i| i.from.clone()));
        out.push(cycle);
    }
    out
}

/// The rows of the table in the "Layers" section of the architecture document.
fn documented_layers(doc: &str) -> Vec<(String, String, Vec<String>)> {
    let section = doc
        .split("\n## ")
        .find(|part| part.starts_with("Layers"))
        .unwrap_or("");
    section
        .lines()
        .filter(|line| line.trim_start().starts_with('|'))
        .map(|line| {
            line.trim()
                .trim_matches('|')
                .split('|')
                .map(|cell| cell.trim().to_string())
                .collect::<Vec<_>>()
        })
        .filter(|cells| cells.len() == 3 && !cells[0].starts_with('-') && cells[0] != "Layer")
        .map(|cells| {
            let modules = cells[2]
                .split(',')
                .map(|m| m.trim().trim_matches('`').to_string())
                .filter(|m| !m.is_empty())
                .collect();
            (cells[0].clone(), cells[1].clone(), modules)
        })
        .collect()
}

fn table_rows(layers: &[(&str, &str, &[&str])]) -> Vec<(String, String, Vec<String>)> {
    layers
        .iter()
        .map(|(label, name, modules)| {
            (
                label.to_string(),
                name.to_string(),
                modules.iter().map(|m| m.to_string()).collect(),
            )
        })
        .collect()
}

#[test]
fn every_import_points_down_the_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let (modules, imports) = crate_imports(&src);
    assert!(
        imports.len() > 100,
        "the scan found only {} imports: it is broken",
        imports.len()
    );
    let problems = problems(LAYERS, TEMPORARY_ALLOWED, &modules, &imports);
    assert!(
        problems.is_empty(),
        "the layer rule (docs/architecture.md, \"Layers\") is broken:\n- {}",
        problems.join("\n- ")
    );
}

#[test]
fn the_architecture_document_has_the_same_layer_table() {
    let doc = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/architecture.md");
    let doc = std::fs::read_to_string(&doc).expect("docs/architecture.md");
    let expected = table_rows(LAYERS);
    let documented = documented_layers(&doc);
    let render = |rows: &[(String, String, Vec<String>)]| {
        rows.iter()
            .map(|(label, name, modules)| {
                let modules: Vec<String> = modules.iter().map(|m| format!("`{m}`")).collect();
                format!("| {label} | {name} | {} |", modules.join(", "))
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        render(&documented),
        render(&expected),
        "the \"Layers\" table of docs/architecture.md differs from LAYERS in src/layering_tests.rs"
    );
}
