//! Where the members of a JSON5 document are, by byte offset, so that one value can be replaced
//! or one member inserted without re-serializing the file (which would drop its comments and
//! layout, and would print masked secrets if it went through the typed config schema).
//!
//! [`scan`] is a small recursive-descent reader of the JSON5 grammar that records, for every
//! object member, its key path and the span of its value. It decodes only keys; values are kept
//! as spans. It is run on text that `json5` has already accepted, so its own errors are a
//! safety net (a depth limit guards the stack), not a validator. `restore` uses it through
//! [`super::config_rewrite`].

use std::ops::Range;

/// Objects and arrays nested deeper than this are refused (no config is that deep).
const MAX_DEPTH: usize = 128;

/// The marker used in a path for "inside an array": no key path a caller asks for contains it.
const IN_ARRAY: &str = "[]";

/// One object member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    /// The keys from the root to this member (array levels appear as `[]`).
    pub path: Vec<String>,
    /// The bytes of its value (a string literal with its quotes, an object with its braces).
    pub value: Range<usize>,
    /// When the value is an object: the offset just after its `{`, where a member can go.
    pub object_body: Option<usize>,
}

/// A scanned document whose root is an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Scan {
    /// The offset just after the root's `{`.
    pub root_body: usize,
    /// Every object member at any depth, in document order of their ends.
    pub members: Vec<Member>,
}

impl Scan {
    /// The members at exactly `path`.
    pub(crate) fn at<'a>(&'a self, path: &'a [&str]) -> impl Iterator<Item = &'a Member> + 'a {
        self.members
            .iter()
            .filter(move |m| m.path.iter().map(String::as_str).eq(path.iter().copied()))
    }
}

/// Why a document could not be scanned; the offset is where the reader stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} at byte {at}")]
pub(crate) struct SpanError {
    pub what: String,
    pub at: usize,
}

/// Scans `text`, whose root must be an object.
pub(crate) fn scan(text: &str) -> Result<Scan, SpanError> {
    let mut reader = Reader {
        text,
        pos: 0,
        members: Vec::new(),
    };
    reader.skip_trivia()?;
    if reader.peek() != Some(b'{') {
        return Err(reader.error("the document is not an object"));
    }
    let root_body = reader.pos + 1;
    reader.value(&mut Vec::new(), 0)?;
    reader.skip_trivia()?;
    if reader.pos != text.len() {
        return Err(reader.error("text after the document"));
    }
    Ok(Scan {
        root_body,
        members: reader.members,
    })
}

struct Reader<'a> {
    text: &'a str,
    pos: usize,
    members: Vec<Member>,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn rest(&self) -> &str {
        &self.text[self.pos..]
    }

    fn error(&self, what: &str) -> SpanError {
        SpanError {
            what: what.to_string(),
            at: self.pos,
        }
    }

    /// Skips white space (JSON5 allows any Unicode space and the BOM) and both comment forms.
    fn skip_trivia(&mut self) -> Result<(), SpanError> {
        loop {
            let rest = self.rest();
            if rest.starts_with("//") {
                let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
                self.pos += end;
            } else if let Some(body) = rest.strip_prefix("/*") {
                let end = body
                    .find("*/")
                    .ok_or_else(|| self.error("unterminated comment"))?;
                self.pos += end + 4;
            } else if let Some(c) = rest
                .chars()
                .next()
                .filter(|c| c.is_whitespace() || *c == '\u{feff}')
            {
                self.pos += c.len_utf8();
            } else {
                return Ok(());
            }
        }
    }

    /// Reads one value at `path`; returns its span.
    fn value(&mut self, path: &mut Vec<String>, depth: usize) -> Result<Range<usize>, SpanError> {
        if depth > MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        self.skip_trivia()?;
        let start = self.pos;
        match self.peek() {
            Some(b'{') => self.object(path, depth)?,
            Some(b'[') => self.array(path, depth)?,
            Some(quote @ (b'"' | b'\'')) => self.string(quote)?,
            Some(_) => self.scalar()?,
            None => return Err(self.error("unexpected end of text")),
        }
        Ok(start..self.pos)
    }

    fn object(&mut self, path: &mut Vec<String>, depth: usize) -> Result<(), SpanError> {
        self.pos += 1;
        loop {
            self.skip_trivia()?;
            if self.peek() == Some(b'}') {
                self.pos += 1;
                return Ok(());
            }
            let key = self.key()?;
            self.skip_trivia()?;
            if self.peek() != Some(b':') {
                return Err(self.error("expected `:` after a key"));
            }
            self.pos += 1;
            path.push(key);
            self.skip_trivia()?;
            let object_body = (self.peek() == Some(b'{')).then_some(self.pos + 1);
            let value = self.value(path, depth + 1)?;
            self.members.push(Member {
                path: path.clone(),
                value,
                object_body,
            });
            path.pop();
            self.skip_trivia()?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {}
                _ => return Err(self.error("expected `,` or `}` in an object")),
            }
        }
    }

    fn array(&mut self, path: &mut Vec<String>, depth: usize) -> Result<(), SpanError> {
        self.pos += 1;
        path.push(IN_ARRAY.to_string());
        loop {
            self.skip_trivia()?;
            if self.peek() == Some(b']') {
                self.pos += 1;
                path.pop();
                return Ok(());
            }
            self.value(path, depth + 1)?;
            self.skip_trivia()?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {}
                _ => return Err(self.error("expected `,` or `]` in an array")),
            }
        }
    }

    /// A quoted key (decoded by `json5`, so escapes mean what they mean) or an identifier.
    fn key(&mut self) -> Result<String, SpanError> {
        let start = self.pos;
        match self.peek() {
            Some(quote @ (b'"' | b'\'')) => {
                self.string(quote)?;
                json5::from_str::<String>(&self.text[start..self.pos]).map_err(|_| SpanError {
                    what: "a key that is not a valid string".into(),
                    at: start,
                })
            }
            _ => {
                self.scalar()?;
                Ok(self.text[start..self.pos].to_string())
            }
        }
    }

    /// A string literal opened by `quote`; a backslash escapes the next character (including a
    /// line break, JSON5's line continuation).
    fn string(&mut self, quote: u8) -> Result<(), SpanError> {
        let bytes = self.text.as_bytes();
        let mut at = self.pos + 1;
        while let Some(&byte) = bytes.get(at) {
            match byte {
                b'\\' if bytes[at + 1..].starts_with(b"\r\n") => at += 3,
                b'\\' => at += 2,
                b'\n' | b'\r' => break,
                _ if byte == quote => {
                    self.pos = at + 1;
                    return Ok(());
                }
                _ => at += 1,
            }
        }
        Err(self.error("unterminated string"))
    }

    /// A number, `true`/`false`/`null`, `Infinity`/`NaN` or an identifier key: everything up to
    /// the next delimiter, white space or comment.
    fn scalar(&mut self) -> Result<(), SpanError> {
        let rest = self.rest();
        let end = rest
            .char_indices()
            .find(|&(i, c)| {
                c.is_whitespace()
                    || c == '\u{feff}'
                    || matches!(c, ',' | ':' | '[' | ']' | '{' | '}' | '"' | '\'')
                    || (c == '/' && matches!(rest.as_bytes().get(i + 1), Some(b'/' | b'*')))
            })
            .map_or(rest.len(), |(i, _)| i);
        if end == 0 {
            return Err(self.error("unexpected character"));
        }
        self.pos += end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"// written by onboard
{
  /* the agent */
  agent: { model: 'a/b', "workspace": "/old/ws" }, // trailing
  agents: { defaults: { workspace: '/old/d', list: [ { workspace: 'x' } ] } },
  gateway: { port: 18789, },
}
"#;

    fn span_text<'a>(text: &'a str, scan: &Scan, path: &[&str]) -> Vec<&'a str> {
        scan.at(path).map(|m| &text[m.value.clone()]).collect()
    }

    #[test]
    fn members_are_found_by_key_path_with_comments_and_quotes() {
        let scan = scan(CONFIG).expect("scan");
        assert_eq!(
            span_text(CONFIG, &scan, &["agent", "workspace"]),
            ["\"/old/ws\""]
        );
        assert_eq!(
            span_text(CONFIG, &scan, &["agents", "defaults", "workspace"]),
            ["'/old/d'"]
        );
        assert_eq!(span_text(CONFIG, &scan, &["gateway", "port"]), ["18789"]);
        // Inside an array is never a plain key path.
        assert_eq!(
            scan.at(&["agents", "defaults", "list", "workspace"])
                .count(),
            0
        );
        let agent = scan.at(&["agent"]).next().expect("agent");
        assert_eq!(
            &CONFIG[agent.object_body.expect("object")..][..7],
            " model:"
        );
        assert_eq!(&CONFIG[scan.root_body - 1..scan.root_body], "{");
    }

    #[test]
    fn strings_with_escapes_and_comment_lookalikes_are_one_value() {
        let text = r#"{ a: "x \" // not a comment", 'b': 'it\'s', c: "/* no */" }"#;
        let scan = scan(text).expect("scan");
        assert_eq!(
            span_text(text, &scan, &["a"]),
            [r#""x \" // not a comment""#]
        );
        assert_eq!(span_text(text, &scan, &["b"]), [r"'it\'s'"]);
        assert_eq!(span_text(text, &scan, &["c"]), [r#""/* no */""#]);
    }

    #[test]
    fn broken_or_hostile_documents_are_errors_not_panics() {
        for bad in [
            "",
            "[1]",
            "{ a: 'open",
            "{ a 1 }",
            "{ a: 1 } x",
            "{ /* open",
            "{ a: [1 2] }",
        ] {
            assert!(scan(bad).is_err(), "{bad:?}");
        }
        let deep = format!("{{ a: {}{} }}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(
            scan(&deep).expect_err("deep").what,
            "nested too deeply".to_string()
        );
    }
}
