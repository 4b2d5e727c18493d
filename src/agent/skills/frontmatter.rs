//! The YAML front matter of a `SKILL.md`, read by a small bounded parser of the subset skills use.
//!
//! A skill file starts with a `---` line, then `key: value` lines, then another `---`. Skills in
//! the wild write `name` and `description` as one-line scalars (plain, `"double"` or `'single'`
//! quoted, sometimes a `|`/`>` block), and `metadata` as JSON inside YAML: one line
//! (`metadata: {"openclaw": {...}}`), or a JSON object spread over indented lines, or (less often)
//! plain nested YAML mappings and `[a, b]` / `- a` lists. That is the subset read here, into a
//! `serde_json` value; anything else is an error naming the line. No YAML crate: the subset is
//! small, a full YAML parser (anchors, tags, merge keys) is attack surface the loader does not
//! need, and `serde_yaml` is deprecated.
//!
//! Bounds: the caller caps the file's size (`skills.limits.maxSkillFileBytes`); here the front
//! matter is at most [`MAX_LINES`] lines and nesting at most [`MAX_DEPTH`] levels, so hostile
//! input costs linear time and bounded stack.

use serde_json::{Map, Value};

/// Front-matter lines read at most.
pub(crate) const MAX_LINES: usize = 2000;
/// Nesting of mappings and lists at most.
const MAX_DEPTH: usize = 16;

/// Why a front matter does not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrontMatterError {
    #[error("no front matter (the file must start with a `---` line)")]
    Missing,
    #[error("the front matter is not closed by a `---` line")]
    Unclosed,
    #[error("the front matter is longer than {MAX_LINES} lines")]
    TooLong,
    #[error("front matter line {line}: {message}")]
    Syntax { line: usize, message: String },
}

/// One line of the front matter: its number in the file, indentation and text.
#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    number: usize,
    indent: usize,
    text: &'a str,
}

/// The front matter of `file` as a JSON object of its top-level keys.
pub fn parse(file: &str) -> Result<Map<String, Value>, FrontMatterError> {
    let file = file.strip_prefix('\u{feff}').unwrap_or(file);
    let mut raw = file.lines();
    if raw.next().map(str::trim_end) != Some("---") {
        return Err(FrontMatterError::Missing);
    }
    let mut lines = Vec::new();
    let mut closed = false;
    for (index, line) in raw.enumerate() {
        let line = line.trim_end();
        if line == "---" || line == "..." {
            closed = true;
            break;
        }
        if lines.len() >= MAX_LINES {
            return Err(FrontMatterError::TooLong);
        }
        let text = line.trim_start();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        if line.starts_with('\t') {
            return Err(syntax(index + 2, "tabs are not allowed for indentation"));
        }
        lines.push(Line {
            number: index + 2,
            indent: line.len() - text.len(),
            text,
        });
    }
    if !closed {
        return Err(FrontMatterError::Unclosed);
    }
    let mut parser = Parser { lines, pos: 0 };
    if parser.lines.is_empty() {
        return Ok(Map::new());
    }
    let map = parser.mapping(0, 0)?;
    match parser.lines.get(parser.pos) {
        Some(line) => Err(syntax(line.number, "unexpected indentation")),
        None => Ok(map),
    }
}

fn syntax(line: usize, message: impl Into<String>) -> FrontMatterError {
    FrontMatterError::Syntax {
        line,
        message: message.into(),
    }
}

struct Parser<'a> {
    lines: Vec<Line<'a>>,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<Line<'a>> {
        self.lines.get(self.pos).copied()
    }

    /// The `key: value` lines at exactly `indent`.
    fn mapping(
        &mut self,
        indent: usize,
        depth: usize,
    ) -> Result<Map<String, Value>, FrontMatterError> {
        if depth > MAX_DEPTH {
            let line = self.peek().map_or(0, |l| l.number);
            return Err(syntax(line, "nested too deeply"));
        }
        let mut map = Map::new();
        while let Some(line) = self.peek().filter(|l| l.indent == indent) {
            if line.text.starts_with("- ") || line.text == "-" {
                return Err(syntax(
                    line.number,
                    "a list item where a `key: value` was expected",
                ));
            }
            let (key, rest) = split_key(line)?;
            self.pos += 1;
            let value = self.value(rest, line, depth)?;
            if map.insert(key.clone(), value).is_some() {
                return Err(syntax(line.number, format!("`{key}` appears twice")));
            }
        }
        Ok(map)
    }

    /// The value after `key:` on `line` (`rest`), with the lines indented below it.
    fn value(
        &mut self,
        rest: &str,
        line: Line<'a>,
        depth: usize,
    ) -> Result<Value, FrontMatterError> {
        let rest = rest.trim();
        if rest.is_empty() {
            let Some(next) = self.peek() else {
                return Ok(Value::Null);
            };
            let is_item = next.text.starts_with("- ") || next.text == "-";
            if is_item && next.indent >= line.indent {
                return self.sequence(next.indent, depth + 1);
            }
            if next.indent <= line.indent {
                return Ok(Value::Null);
            }
            if next.text.starts_with('{') || next.text.starts_with('[') {
                let text = self.indented_text(line.indent, "\n");
                return flow(&text, next.number);
            }
            return self.mapping(next.indent, depth + 1).map(Value::Object);
        }
        if rest.starts_with('|') || rest.starts_with('>') {
            let joiner = if rest.starts_with('|') { "\n" } else { " " };
            return Ok(Value::String(self.indented_text(line.indent, joiner)));
        }
        if rest.starts_with('{') || rest.starts_with('[') {
            if let Ok(value) = flow(rest, line.number) {
                return Ok(value);
            }
            // A flow value continued on the lines below.
            let more = self.indented_text(line.indent, "\n");
            return flow(&format!("{rest}\n{more}"), line.number);
        }
        scalar(rest, line.number)
    }

    /// The `- item` lines at exactly `indent`.
    fn sequence(&mut self, indent: usize, depth: usize) -> Result<Value, FrontMatterError> {
        if depth > MAX_DEPTH {
            let line = self.peek().map_or(0, |l| l.number);
            return Err(syntax(line, "nested too deeply"));
        }
        let mut items = Vec::new();
        while let Some(line) = self
            .peek()
            .filter(|l| l.indent == indent && (l.text.starts_with("- ") || l.text == "-"))
        {
            self.pos += 1;
            let item = line.text[1..].trim_start();
            let item_indent = indent + (line.text.len() - item.len());
            if item.is_empty() {
                // `-` alone: the value is the deeper lines below it, else null.
                let deeper = self.peek().is_some_and(|next| next.indent > indent);
                items.push(if deeper {
                    self.value("", line, depth)?
                } else {
                    Value::Null
                });
            } else if is_mapping_start(item) {
                // `- key: value` opens a mapping whose other keys align with `key`.
                let virtual_line = Line {
                    number: line.number,
                    indent: item_indent,
                    text: item,
                };
                let (key, rest) = split_key(virtual_line)?;
                let mut map = Map::new();
                map.insert(key, self.value(rest, virtual_line, depth)?);
                if self.peek().is_some_and(|next| next.indent == item_indent) {
                    map.extend(self.mapping(item_indent, depth + 1)?);
                }
                items.push(Value::Object(map));
            } else {
                let virtual_line = Line {
                    number: line.number,
                    indent,
                    text: item,
                };
                items.push(self.value(item, virtual_line, depth)?);
            }
        }
        Ok(Value::Array(items))
    }

    /// The lines indented deeper than `indent`, trimmed and joined by `joiner`.
    fn indented_text(&mut self, indent: usize, joiner: &str) -> String {
        let mut parts = Vec::new();
        while let Some(line) = self.peek().filter(|l| l.indent > indent) {
            parts.push(line.text);
            self.pos += 1;
        }
        parts.join(joiner)
    }
}

/// Whether a list item's text is `key: value` (not a quoted or flow scalar).
fn is_mapping_start(item: &str) -> bool {
    !item.starts_with(['"', '\'', '{', '[']) && (item.contains(": ") || item.ends_with(':'))
}

/// `key` and the text after its colon.
fn split_key(line: Line<'_>) -> Result<(String, &str), FrontMatterError> {
    let text = line.text;
    let (key, rest) = if let Some(quoted) = text.strip_prefix('"') {
        let end = quoted
            .find('"')
            .ok_or_else(|| syntax(line.number, "an unclosed quoted key"))?;
        let rest = quoted[end + 1..]
            .strip_prefix(':')
            .ok_or_else(|| syntax(line.number, "expected `:` after the key"))?;
        (quoted[..end].to_string(), rest)
    } else {
        let colon = text
            .find(": ")
            .or_else(|| text.ends_with(':').then(|| text.len() - 1))
            .ok_or_else(|| syntax(line.number, "expected `key: value`"))?;
        (text[..colon].trim().to_string(), &text[colon + 1..])
    };
    if key.is_empty() {
        return Err(syntax(line.number, "an empty key"));
    }
    Ok((key, rest))
}

/// A JSON (JSON5) object or list written over one or more lines.
fn flow(text: &str, line: usize) -> Result<Value, FrontMatterError> {
    if flow_depth(text) > MAX_DEPTH {
        return Err(syntax(line, "nested too deeply"));
    }
    json5::from_str::<Value>(text).map_err(|e| syntax(line, format!("not valid JSON: {e}")))
}

/// The deepest nesting of `{`/`[` in `text` outside strings (checked before the JSON parser,
/// whose recursion must stay bounded).
fn flow_depth(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in text.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' => quote = Some(c),
                '{' | '[' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                '}' | ']' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
    }
    deepest
}

/// A one-line scalar: quoted, or plain (`true`/`false`/`null`/numbers typed, the rest text).
fn scalar(text: &str, line: usize) -> Result<Value, FrontMatterError> {
    if text.starts_with('"') {
        return serde_json::from_str::<String>(text)
            .map(Value::String)
            .map_err(|_| syntax(line, "a badly quoted \"string\""));
    }
    if let Some(inner) = text.strip_prefix('\'') {
        let inner = inner
            .strip_suffix('\'')
            .ok_or_else(|| syntax(line, "a badly quoted 'string'"))?;
        return Ok(Value::String(inner.replace("''", "'")));
    }
    let plain = match text.find(" #") {
        Some(at) => text[..at].trim_end(),
        None => text,
    };
    Ok(match plain {
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        "null" | "~" => Value::Null,
        _ => match plain.parse::<i64>() {
            Ok(number) => Value::from(number),
            Err(_) => Value::String(plain.to_string()),
        },
    })
}

#[cfg(test)]
#[path = "frontmatter_tests.rs"]
mod tests;
