//! Readable text from HTML: what a person would read, for the model, without a parser crate.
//!
//! Scripts, styles and other invisible elements are dropped with their content, comments too;
//! block elements become line breaks (list items get a `- `), other tags disappear; the common
//! entities are decoded; runs of spaces collapse and at most one blank line is kept. It is
//! deliberately forgiving: broken markup still yields text.

/// Elements whose content is never shown.
const HIDDEN: [&str; 8] = [
    "script", "style", "noscript", "svg", "template", "iframe", "head", "canvas",
];
/// Elements that start a new line.
const BLOCKS: [&str; 28] = [
    "p",
    "div",
    "br",
    "tr",
    "section",
    "article",
    "header",
    "footer",
    "nav",
    "aside",
    "main",
    "ul",
    "ol",
    "table",
    "pre",
    "blockquote",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "dl",
    "dt",
    "dd",
    "form",
    "figure",
];

/// The `<title>` of a page, if it has one.
pub(crate) fn title(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let start = lower.find("<title")?;
    let open_end = start + lower[start..].find('>')? + 1;
    let close = open_end + lower[open_end..].find("</title")?;
    let text = collapse(&decode(&html[open_end..close]));
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// The readable text of `html`.
pub(crate) fn html_to_text(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len() / 2);
    let mut at = 0;
    while at < html.len() {
        let Some(offset) = html[at..].find('<') else {
            out.push_str(&html[at..]);
            break;
        };
        out.push_str(&html[at..at + offset]);
        at += offset;
        if lower[at..].starts_with("<!--") {
            at = lower[at..]
                .find("-->")
                .map_or(html.len(), |end| at + end + 3);
            continue;
        }
        let Some(close) = html[at..].find('>') else {
            break;
        };
        let tag = &lower[at + 1..at + close];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        at += close + 1;
        if !closing && HIDDEN.contains(&name.as_str()) && !tag.ends_with('/') {
            let end_tag = format!("</{name}");
            at = lower[at..]
                .find(&end_tag)
                .and_then(|end| lower[at + end..].find('>').map(|gt| at + end + gt + 1))
                .unwrap_or(html.len());
            continue;
        }
        if name == "li" {
            if !closing {
                out.push_str("\n- ");
            }
        } else if BLOCKS.contains(&name.as_str()) || name == "td" || name == "th" {
            out.push(if name == "td" || name == "th" {
                ' '
            } else {
                '\n'
            });
        }
    }
    tidy(&decode(&out))
}

/// Decodes the common named entities and numeric ones.
pub(crate) fn decode(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let end = rest[..rest.len().min(12)].find(';');
        let decoded = end.and_then(|end| entity(&rest[1..end]).map(|c| (c, end)));
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    let named = match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some(' '),
        "mdash" => Some('—'),
        "ndash" => Some('–'),
        "hellip" => Some('…'),
        "copy" => Some('©'),
        _ => None,
    };
    named.or_else(|| {
        let number = name.strip_prefix('#')?;
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse().ok()?,
        };
        char::from_u32(code)
    })
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Collapses spaces within lines and keeps at most one blank line between paragraphs.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines() {
        let line = collapse(line);
        if line.is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        out.push_str(&line);
        blank = 0;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_becomes_readable_text() {
        let html = r#"<!doctype html><html><head><title> Hello &amp; welcome </title>
            <style>body { color: red }</style></head>
            <body><script>var x = "<p>no</p>";</script>
            <h1>Heading</h1><p>First   paragraph with <a href="/x">a link</a>.</p>
            <!-- a comment <p>hidden</p> -->
            <ul><li>one</li><li>two &lt;3</li></ul><p>caf&#233; &#x2603;</p></body></html>"#;
        assert_eq!(title(html).as_deref(), Some("Hello & welcome"));
        let text = html_to_text(html);
        assert_eq!(
            text, "Heading\n\nFirst paragraph with a link.\n\n- one\n- two <3\n\ncafé ☃",
            "{text}"
        );
    }

    #[test]
    fn broken_markup_still_gives_text() {
        assert_eq!(html_to_text("a <b>bold</b> & <unclosed"), "a bold &");
        assert_eq!(html_to_text("<script>never closed"), "");
        assert_eq!(decode("&bogus; &#xZZ;"), "&bogus; &#xZZ;");
    }
}
