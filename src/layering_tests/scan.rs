//! The layer test's scanner: Rust source in, the paths that leave a top-level module out.
//!
//! Not a parser: comments and string and character literals are blanked first (keeping line
//! breaks), the rest is cut into identifiers and punctuation, and the paths are read off the
//! tokens. That is enough for imports, which have a rigid shape, and it needs no dependency.

/// Replaces comments and string and character literals by spaces, keeping the line breaks (so
/// line numbers stay right) and everything else.
pub(super) fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let blank = |out: &mut String, slice: &[char]| {
        out.extend(slice.iter().map(|&c| if c == '\n' { '\n' } else { ' ' }));
    };
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            let end = chars[i..]
                .iter()
                .position(|&c| c == '\n')
                .map_or(chars.len(), |n| i + n);
            blank(&mut out, &chars[i..end]);
            i = end;
        } else if c == '/' && next == Some('*') {
            let (mut depth, mut j) = (1, i + 2);
            while j < chars.len() && depth > 0 {
                if chars[j] == '/' && chars.get(j + 1) == Some(&'*') {
                    depth += 1;
                    j += 2;
                } else if chars[j] == '*' && chars.get(j + 1) == Some(&'/') {
                    depth -= 1;
                    j += 2;
                } else {
                    j += 1;
                }
            }
            blank(&mut out, &chars[i..j.min(chars.len())]);
            i = j;
        } else if c == 'r'
            && (i == 0 || !is_ident(chars[i - 1]) || is_prefix(&chars, i - 1))
            && raw_string_hashes(&chars, i + 1).is_some()
        {
            let hashes = raw_string_hashes(&chars, i + 1).unwrap_or(0);
            let closing: Vec<char> = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            let body = i + 1 + hashes + 1;
            let j = (body..chars.len())
                .find(|&j| chars[j..].starts_with(&closing))
                .map_or(chars.len(), |j| j + closing.len());
            out.push('r');
            blank(&mut out, &chars[i + 1..j.min(chars.len())]);
            i = j;
        } else if c == '"' {
            let mut j = i + 1;
            while j < chars.len() && chars[j] != '"' {
                j += if chars[j] == '\\' { 2 } else { 1 };
            }
            let end = (j + 1).min(chars.len());
            blank(&mut out, &chars[i..end]);
            i = end;
        } else if c == '\'' {
            // A character literal ('x', '\n', '\u{..}', '\''), or else a lifetime or a label.
            let end = if next == Some('\\') {
                let mut j = i + 1;
                while j < chars.len() && chars[j] != '\'' {
                    j += if chars[j] == '\\' { 2 } else { 1 };
                }
                Some(j + 1)
            } else if chars.get(i + 2) == Some(&'\'') {
                Some(i + 3)
            } else {
                None
            };
            match end {
                Some(end) => {
                    let end = end.min(chars.len());
                    blank(&mut out, &chars[i..end]);
                    i = end;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Whether `chars[at]` is a string prefix (`b`, `c`) that starts its token.
fn is_prefix(chars: &[char], at: usize) -> bool {
    matches!(chars[at], 'b' | 'c')
        && (at == 0 || !(chars[at - 1].is_alphanumeric() || chars[at - 1] == '_'))
}

/// The number of `#` of a raw string whose `#`s (or quote) start at `at`.
fn raw_string_hashes(chars: &[char], at: usize) -> Option<usize> {
    let hashes = chars[at.min(chars.len())..]
        .iter()
        .take_while(|&&c| c == '#')
        .count();
    (chars.get(at + hashes) == Some(&'"')).then_some(hashes)
}

/// A token of blanked code: an identifier, or one punctuation character (`::` as one token).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    text: String,
    line: usize,
}

fn tokens(code: &str) -> Vec<Token> {
    let chars: Vec<char> = code.chars().collect();
    let (mut out, mut line, mut i) = (Vec::new(), 1, 0);
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let text = chars[start..i].iter().collect();
            out.push(Token { text, line });
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push(Token {
                text: "::".into(),
                line,
            });
            i += 2;
        } else {
            out.push(Token {
                text: c.to_string(),
                line,
            });
            i += 1;
        }
    }
    out
}

/// The index just past the item that starts at `at` when it is `#[cfg(test)] mod name { ... }`
/// (attributes may follow the `cfg`); `None` for anything else.
fn test_module_end(tokens: &[Token], at: usize) -> Option<usize> {
    let texts: Vec<&str> = tokens[at..]
        .iter()
        .take(7)
        .map(|t| t.text.as_str())
        .collect();
    if texts != ["#", "[", "cfg", "(", "test", ")", "]"] {
        return None;
    }
    let mut i = at + 7;
    // Further attributes.
    while tokens.get(i).is_some_and(|t| t.text == "#") {
        let mut depth = 0;
        i += 1;
        while let Some(token) = tokens.get(i) {
            i += 1;
            match token.text.as_str() {
                "[" => depth += 1,
                "]" if depth == 1 => break,
                "]" => depth -= 1,
                _ => {}
            }
        }
    }
    if tokens.get(i).is_some_and(|t| t.text == "pub") {
        i += 1;
    }
    if tokens.get(i)?.text != "mod" || tokens.get(i + 2)?.text != "{" {
        return None;
    }
    let mut depth = 0;
    for (j, token) in tokens.iter().enumerate().skip(i + 2) {
        match token.text.as_str() {
            "{" => depth += 1,
            "}" => {
                depth -= 1;
                if depth == 0 {
                    return Some(j + 1);
                }
            }
            _ => {}
        }
    }
    Some(tokens.len())
}

/// The first segment of each path that follows a `::` at `at`: one for `x::..`, one per item of
/// a `{a::b, c}` group; `self`, `super` and globs name no module.
fn first_segments(tokens: &[Token], at: usize) -> Vec<&Token> {
    let Some(first) = tokens.get(at) else {
        return Vec::new();
    };
    fn named(t: &Token) -> Option<&Token> {
        let ident = t.text.chars().all(|c| c.is_alphanumeric() || c == '_');
        (ident && !matches!(t.text.as_str(), "self" | "super" | "crate")).then_some(t)
    }
    if first.text != "{" {
        return named(first).into_iter().collect();
    }
    let (mut out, mut depth, mut item_start) = (Vec::new(), 0, true);
    for token in &tokens[at..] {
        match token.text.as_str() {
            "{" => {
                depth += 1;
                if depth == 1 {
                    continue;
                }
            }
            "}" => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            "," if depth == 1 => {
                item_start = true;
                continue;
            }
            _ => {}
        }
        if item_start && depth == 1 {
            out.extend(named(token));
        }
        item_start = false;
    }
    out
}

/// The paths of one file's code (`module` is the file's module path, e.g. `["agent", "run"]`)
/// that leave its top-level module: (imported top-level module, line).
pub(super) fn leaving_paths(source: &str, module: &[String]) -> Vec<(String, usize)> {
    let tokens = tokens(&code_only(source));
    let mut found = Vec::new();
    // Inline modules deepen `super::` chains: (brace depth inside the module, ...).
    let (mut braces, mut inline) = (0usize, Vec::<usize>::new());
    let mut i = 0;
    while i < tokens.len() {
        if let Some(end) = test_module_end(&tokens, i) {
            i = end;
            continue;
        }
        let token = &tokens[i];
        let previous = i.checked_sub(1).map(|p| tokens[p].text.as_str());
        match token.text.as_str() {
            "{" => braces += 1,
            "}" => {
                if inline.last() == Some(&braces) {
                    inline.pop();
                }
                braces = braces.saturating_sub(1);
            }
            "mod" if tokens.get(i + 2).is_some_and(|t| t.text == "{") => {
                inline.push(braces + 1);
            }
            "crate"
                if previous != Some("$")
                    && previous != Some("::")
                    && tokens.get(i + 1).is_some_and(|t| t.text == "::") =>
            {
                found.extend(
                    first_segments(&tokens, i + 2)
                        .into_iter()
                        .map(|t| (t.text.clone(), t.line)),
                );
            }
            "super" if previous != Some("::") => {
                let mut supers = 0;
                let mut j = i;
                while tokens.get(j).is_some_and(|t| t.text == "super")
                    && tokens.get(j + 1).is_some_and(|t| t.text == "::")
                {
                    supers += 1;
                    j += 2;
                }
                if supers > 0 && supers == module.len() + inline.len() {
                    found.extend(
                        first_segments(&tokens, j)
                            .into_iter()
                            .map(|t| (t.text.clone(), t.line)),
                    );
                }
            }
            _ => {}
        }
        i += 1;
    }
    found
}

/// The top-level modules `lib.rs` declares: (name, test-only).
pub(super) fn declared_modules(lib: &str) -> Vec<(String, bool)> {
    let tokens = tokens(&code_only(lib));
    let mut out = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        if token.text != "mod" || tokens.get(i + 2).is_none_or(|t| t.text != ";") {
            continue;
        }
        let back = |n: usize| i.checked_sub(n).map(|p| tokens[p].text.as_str());
        let before = if back(1) == Some("pub") { 2 } else { 1 };
        let test_only = back(before) == Some("]") && back(before + 2) == Some("test");
        out.push((tokens[i + 1].text.clone(), test_only));
    }
    out
}
