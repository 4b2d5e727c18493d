//! The front-matter parser against skills in the wild and hostile input.

use super::*;
use serde_json::json;

#[test]
fn one_line_keys_and_one_line_json_metadata() {
    let file = "---\nname: github\ndescription: \"GitHub via `gh`: issues, PRs\"\nmetadata: {\"openclaw\": {\"emoji\": \"🐙\", \"requires\": {\"bins\": [\"gh\"]}}}\n---\n# GitHub\n";
    let map = parse(file).unwrap();
    assert_eq!(map["name"], "github");
    assert_eq!(map["description"], "GitHub via `gh`: issues, PRs");
    assert_eq!(
        map["metadata"]["openclaw"]["requires"]["bins"],
        json!(["gh"])
    );
}

#[test]
fn json_metadata_spread_over_indented_lines() {
    let file = "---\nname: nano-banana-pro\ndescription: Generate images\nmetadata:\n  {\n    \"openclaw\": {\n      \"requires\": { \"bins\": [\"uv\"], \"env\": [\"GEMINI_API_KEY\"], },\n      \"primaryEnv\": \"GEMINI_API_KEY\"\n    }\n  }\n---\nbody";
    let map = parse(file).unwrap();
    assert_eq!(map["metadata"]["openclaw"]["primaryEnv"], "GEMINI_API_KEY");
    assert_eq!(
        map["metadata"]["openclaw"]["requires"]["env"],
        json!(["GEMINI_API_KEY"])
    );
}

#[test]
fn nested_yaml_metadata_with_lists() {
    let file = "---\nname: 'it''s'\ndescription: >\n  folded\n  text\nmetadata:\n  openclaw:\n    emoji: \"🔧\"\n    always: true\n    requires:\n      bins: [\"python3\", \"curl\"]  \n      env:\n        - A_KEY\n        - B\n    install:\n      - id: brew\n        kind: brew\n      - id: apt\n---\n";
    let map = parse(file).unwrap();
    assert_eq!(map["name"], "it's");
    assert_eq!(map["description"], "folded text");
    let openclaw = &map["metadata"]["openclaw"];
    assert_eq!(openclaw["always"], true);
    assert_eq!(openclaw["requires"]["bins"], json!(["python3", "curl"]));
    assert_eq!(openclaw["requires"]["env"], json!(["A_KEY", "B"]));
    assert_eq!(
        openclaw["install"],
        json!([{"id": "brew", "kind": "brew"}, {"id": "apt"}])
    );
    let empty_items = parse("---\nlist:\n  -\n  -\n  - x\n---\n").unwrap();
    assert_eq!(empty_items["list"], json!([null, null, "x"]));
}

#[test]
fn files_without_front_matter_or_unclosed_are_refused() {
    assert_eq!(parse("# just markdown\n"), Err(FrontMatterError::Missing));
    assert_eq!(parse(""), Err(FrontMatterError::Missing));
    assert_eq!(parse("---\nname: x\n"), Err(FrontMatterError::Unclosed));
    assert!(parse("---\n---\n").unwrap().is_empty());
}

#[test]
fn bad_lines_name_their_number() {
    let bad = parse("---\nname: x\njust words\n---\n").unwrap_err();
    assert!(
        matches!(bad, FrontMatterError::Syntax { line: 3, .. }),
        "{bad}"
    );
    let bad_json = parse("---\nmetadata: {\"openclaw\": [\n---\n").unwrap_err();
    assert!(
        bad_json.to_string().contains("not valid JSON"),
        "{bad_json}"
    );
    let twice = parse("---\nname: a\nname: b\n---\n").unwrap_err();
    assert!(twice.to_string().contains("twice"));
    let tabs = parse("---\nmetadata:\n\tx: 1\n---\n").unwrap_err();
    assert!(tabs.to_string().contains("tabs"));
}

#[test]
fn hostile_input_is_bounded() {
    let long = format!("---\n{}---\n", "k: v\n".repeat(MAX_LINES + 1));
    assert_eq!(parse(&long), Err(FrontMatterError::TooLong));
    let mut deep = String::from("---\nmetadata:\n");
    for level in 1..40 {
        deep.push_str(&format!("{}k{level}:\n", " ".repeat(level * 2)));
    }
    deep.push_str("---\n");
    let refused = parse(&deep).unwrap_err();
    assert!(refused.to_string().contains("deeply"), "{refused}");
    let deep_json = format!(
        "---\nmetadata: {}{}\n---\n",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    assert!(parse(&deep_json)
        .unwrap_err()
        .to_string()
        .contains("deeply"));
}
