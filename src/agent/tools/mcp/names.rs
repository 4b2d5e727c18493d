//! The names MCP tools are offered under: `<server>__<tool>`, within what model APIs accept.
//!
//! OpenAI requires tool names to match `^[a-zA-Z0-9_-]{1,64}$` (Anthropic's rule is the same
//! with 128). The server part is already safe (`config::mcp::is_server_name`, at most 24
//! characters); in the tool part every other character becomes `_`. A name still too long is cut
//! to 55 characters and ends in `-` plus 8 hex digits of a hash of the original tool name, so that
//! two long names sharing a prefix stay apart and the same tool keeps the same name across
//! restarts. Two tools of one server that still collide (`a.b` and `a_b`) are told apart the same
//! way.

use std::collections::BTreeSet;

/// The longest tool name offered.
pub(crate) const MAX_TOOL_NAME: usize = 64;

/// The separator of `<server>__<tool>`.
pub(crate) const SEPARATOR: &str = "__";

/// The offered name of `tool` of `server`, unique among `taken` (names already given to this
/// server's other tools).
pub(crate) fn offered_name(server: &str, tool: &str, taken: &BTreeSet<String>) -> String {
    let safe: String = tool
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let full = format!("{server}{SEPARATOR}{safe}");
    if full.len() <= MAX_TOOL_NAME && !taken.contains(&full) {
        return full;
    }
    let suffix = format!("-{:08x}", fnv1a(tool.as_bytes()));
    let keep = MAX_TOOL_NAME - suffix.len();
    let mut cut = full;
    cut.truncate(keep.min(cut.len()));
    cut.push_str(&suffix);
    cut
}

/// The server part of an MCP tool's offered name.
pub(crate) fn server_of(name: &str) -> Option<&str> {
    name.split_once(SEPARATOR).map(|(server, _)| server)
}

/// 32-bit FNV-1a: short, stable across versions and platforms (unlike `DefaultHasher`).
fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(*byte)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid(name: &str) -> bool {
        (1..=MAX_TOOL_NAME).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    }

    #[test]
    fn names_are_sanitised_cut_and_kept_apart() {
        let none = BTreeSet::new();
        assert_eq!(offered_name("fs", "read_file", &none), "fs__read_file");
        assert_eq!(
            offered_name("fs", "read.file v2", &none),
            "fs__read_file_v2"
        );
        let long_a = "a".repeat(80);
        let long_b = format!("{}b", "a".repeat(79));
        let (a, b) = (
            offered_name("s", &long_a, &none),
            offered_name("s", &long_b, &none),
        );
        assert!(valid(&a) && valid(&b) && a != b, "{a} {b}");
        assert_eq!(a, offered_name("s", &long_a, &none), "stable");
        let taken: BTreeSet<String> = ["s__a_b".to_string()].into();
        let second = offered_name("s", "a.b", &taken);
        assert!(valid(&second) && second != "s__a_b", "{second}");
        assert_eq!(server_of("git-hub__x__y"), Some("git-hub"));
        assert_eq!(server_of("memory_get"), None);
    }
}
