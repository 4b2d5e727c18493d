//! The layer test's own checks: the scanner finds the imports it should (and none hidden in
//! comments, strings or test modules), and the rule reports each kind of breach, so the layer
//! test is known to be able to fail.

use super::*;

fn paths(source: &str, module: &[&str]) -> Vec<(String, usize)> {
    let module: Vec<String> = module.iter().map(|m| m.to_string()).collect();
    leaving_paths(source, &module)
}

#[test]
fn comments_strings_and_characters_are_not_code() {
    let source = r####"
// use crate::a;
/* crate::b /* nested crate::c */ crate::d */
let s = "crate::e \" crate::f";
let r = r#"crate::g " crate::h"#;
let b = br"crate::i";
let c = '"'; let q = '\''; fn f<'a>(x: &'a str) {}
use crate::real;
"####;
    assert_eq!(paths(source, &["m"]), vec![("real".to_string(), 8)]);
}

#[test]
fn groups_inline_paths_and_super_chains_are_found() {
    let source = "
use crate::{a::b, c, d::{e, f}, self};
pub(crate) fn g() { crate::h::i(); $crate::j::k(); }
use super::sibling;
use super::super::top::x;
mod inner { use super::super::super::deep; }
";
    let found = paths(source, &["m", "n"]);
    let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["a", "c", "d", "h", "top", "deep"]);
    assert_eq!(found[3].1, 3, "line numbers are kept");
}

#[test]
fn test_modules_are_exempt_and_what_follows_them_is_not() {
    let source = "
#[cfg(test)]
#[allow(unused)]
mod tests {
    use crate::fixture;
    fn f() { if true { crate::more(); } }
}
use crate::after;
#[cfg(test)]
use crate::test_import_outside_a_module;
";
    let names: Vec<String> = paths(source, &["m"]).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["after", "test_import_outside_a_module"]);
}

#[test]
fn lib_declarations_tell_test_only_modules_apart() {
    let lib = "//! Doc: pub mod fake;\npub mod a;\nmod b;\n#[cfg(test)]\nmod c_tests;\n";
    assert_eq!(
        declared_modules(lib),
        vec![
            ("a".to_string(), false),
            ("b".to_string(), false),
            ("c_tests".to_string(), true)
        ]
    );
}

const TOY: &[(&str, &str, &[&str])] = &[
    ("0", "low", &["base", "util"]),
    ("1", "mid", &["engine", "store"]),
    ("2", "top", &["app"]),
];

fn import(from: &str, to: &str, line: usize) -> Import {
    Import {
        from: from.into(),
        to: to.into(),
        place: format!("src/{from}/x.rs:{line}"),
        text: format!("use crate::{to}::Thing;"),
    }
}

fn modules(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

#[test]
fn an_upward_import_is_named_with_its_place() {
    let all = modules(&["base", "util", "engine", "store", "app"]);
    let ok = [import("app", "engine", 1), import("engine", "base", 2)];
    assert!(problems(TOY, &[], &all, &ok).is_empty());
    let up = [import("base", "app", 7)];
    let found = problems(TOY, &[], &all, &up);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("src/base/x.rs:7: `use crate::app::Thing;`: an upward import"));
    assert!(found[0].contains("`base` (layer 0, low) must not import `app` (layer 2, top)"));
    assert!(problems(TOY, &[("base", "app")], &all, &up).is_empty());
}

#[test]
fn a_cycle_inside_a_layer_names_one_import_per_edge() {
    let all = modules(&["base", "util", "engine", "store", "app"]);
    let one_way = [import("engine", "store", 1), import("base", "util", 2)];
    assert!(problems(TOY, &[], &all, &one_way).is_empty());
    let cycle = [
        import("engine", "store", 3),
        import("engine", "store", 4),
        import("store", "engine", 5),
    ];
    let found = problems(TOY, &[], &all, &cycle);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("a cycle between modules of layer 1 (mid):"));
    assert!(found[0].contains("engine -> store: src/engine/x.rs:3"));
    assert!(found[0].contains("store -> engine: src/store/x.rs:5"));
    assert!(
        !found[0].contains(":4"),
        "one import per edge: {}",
        found[0]
    );
    let allowed = [("store", "engine")];
    assert!(problems(TOY, &allowed, &all, &cycle).is_empty());
}

#[test]
fn modules_without_a_layer_and_stale_allowances_are_reported() {
    let all = modules(&["base", "util", "engine", "store", "app", "stray"]);
    let imports = [import("app", "ghost", 1), import("engine", "base", 2)];
    let found = problems(TOY, &[("engine", "base"), ("app", "base")], &all, &imports);
    assert_eq!(found.len(), 4, "{found:?}");
    assert!(found[0].contains("`stray` has no layer"));
    assert!(found[1].contains("imports `ghost`, a module without a layer"));
    assert!(found[2].contains("lists engine -> base, which no longer breaks the rule"));
    assert!(found[3].contains("lists app -> base"));
}

#[test]
fn the_document_table_is_read_from_the_layers_section() {
    let doc = "# T\n\n## Layers\n\n| Layer | Name | Modules |\n|---|---|---|\n\
               | 0 | low | `base`, `util` |\n| 1 | mid | `engine` |\n\nText | not | a row\n\n\
               ## Other\n\n| 9 | other | `x` |\n";
    assert_eq!(
        documented_layers(doc),
        vec![
            ("0".into(), "low".into(), vec!["base".into(), "util".into()]),
            ("1".into(), "mid".into(), vec!["engine".into()]),
        ]
    );
}
