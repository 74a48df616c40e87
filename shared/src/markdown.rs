//! The markdown agents write, parsed into a small tree the web app turns
//! into DOM nodes (text always as text). A subset on purpose: fenced code,
//! headings, lists, quotes, rules and paragraphs; inline code, strong,
//! emphasis and links. A full CommonMark parser (pulldown-cmark) measured
//! +70 KB gzip in the web app, a quarter of its size budget; raw HTML is
//! never interpreted here, so it shows as the characters it is.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Paragraph(Vec<Inline>),
    /// Level 1 to 3 (deeper headings are level 3).
    Heading(u8, Vec<Inline>),
    Code {
        language: Option<String>,
        text: String,
    },
    List {
        ordered: bool,
        items: Vec<Vec<Inline>>,
    },
    Quote(Vec<Inline>),
    Rule,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    Code(String),
    Strong(Vec<Inline>),
    Emphasis(Vec<Inline>),
    /// Only links that cannot run code: see [`safe_href`].
    Link {
        text: Vec<Inline>,
        href: String,
    },
    Break,
}

pub fn parse(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let mut lines = markdown.lines().peekable();
    let flush = |paragraph: &mut Vec<&str>, blocks: &mut Vec<Block>| {
        if !paragraph.is_empty() {
            blocks.push(Block::Paragraph(inline_lines(paragraph)));
            paragraph.clear();
        }
    };
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if let Some(fence) = ["```", "~~~"].into_iter().find(|f| trimmed.starts_with(f)) {
            flush(&mut paragraph, &mut blocks);
            let language = trimmed[fence.len()..].split_whitespace().next();
            let mut text = Vec::new();
            for code_line in lines.by_ref() {
                if code_line.trim_start().starts_with(fence) {
                    break;
                }
                text.push(code_line);
            }
            blocks.push(Block::Code {
                language: language.map(str::to_owned),
                text: text.join("\n"),
            });
        } else if trimmed.is_empty() {
            flush(&mut paragraph, &mut blocks);
        } else if let Some((level, title)) = heading(trimmed) {
            flush(&mut paragraph, &mut blocks);
            blocks.push(Block::Heading(level, inline(title)));
        } else if is_rule(trimmed) {
            flush(&mut paragraph, &mut blocks);
            blocks.push(Block::Rule);
        } else if let Some(rest) = trimmed.strip_prefix('>') {
            flush(&mut paragraph, &mut blocks);
            let mut quoted = vec![rest.trim_start()];
            while let Some(next) = lines.peek().and_then(|l| l.trim_start().strip_prefix('>')) {
                quoted.push(next.trim_start());
                lines.next();
            }
            blocks.push(Block::Quote(inline_lines(&quoted)));
        } else if let Some((ordered, first)) = list_item(trimmed) {
            flush(&mut paragraph, &mut blocks);
            let mut items = vec![first.to_owned()];
            while let Some(next) = lines.peek() {
                let next_trimmed = next.trim_start();
                match list_item(next_trimmed) {
                    Some((same, text)) if same == ordered => items.push(text.to_owned()),
                    // An indented line carries on the item above.
                    None if !next_trimmed.is_empty() && next.starts_with([' ', '\t']) => {
                        if let Some(last) = items.last_mut() {
                            last.push(' ');
                            last.push_str(next_trimmed);
                        }
                    }
                    _ => break,
                }
                lines.next();
            }
            blocks.push(Block::List {
                ordered,
                items: items.iter().map(|item| inline(item)).collect(),
            });
        } else {
            paragraph.push(line.trim());
        }
    }
    flush(&mut paragraph, &mut blocks);
    blocks
}

fn heading(line: &str) -> Option<(u8, &str)> {
    let hashes = line.bytes().take_while(|b| *b == b'#').count();
    let rest = line.get(hashes..)?;
    ((1..=6).contains(&hashes) && (rest.is_empty() || rest.starts_with(' ')))
        .then(|| (hashes.min(3) as u8, rest.trim()))
}

fn is_rule(line: &str) -> bool {
    let line = line.trim_end();
    line.len() >= 3
        && ["-", "*", "_"]
            .iter()
            .any(|c| line.chars().all(|x| x.to_string() == *c || x == ' '))
}

/// `- item`, `* item`, `+ item`, `1. item` or `1) item`.
fn list_item(line: &str) -> Option<(bool, &str)> {
    if let Some(rest) = line
        .strip_prefix(['-', '*', '+'])
        .filter(|rest| rest.starts_with(' '))
    {
        return Some((false, rest.trim_start()));
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=9).contains(&digits) {
        let rest = &line[digits..];
        if let Some(rest) = rest
            .strip_prefix(['.', ')'])
            .filter(|rest| rest.starts_with(' '))
        {
            return Some((true, rest.trim_start()));
        }
    }
    None
}

/// Lines of one paragraph: their line breaks are kept.
fn inline_lines(lines: &[&str]) -> Vec<Inline> {
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.push(Inline::Break);
        }
        out.extend(inline(line));
    }
    out
}

pub fn inline(text: &str) -> Vec<Inline> {
    let mut out = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    let push_plain = |plain: &mut String, out: &mut Vec<Inline>| {
        if !plain.is_empty() {
            out.push(Inline::Text(std::mem::take(plain)));
        }
    };
    while let Some(c) = rest.chars().next() {
        let after = &rest[c.len_utf8()..];
        let previous_is_word = plain
            .chars()
            .last()
            .is_some_and(|p| p.is_alphanumeric() || p == '_');
        let parsed: Option<(Inline, &str)> = match c {
            '\\' => {
                if let Some(next) = after.chars().next().filter(|n| n.is_ascii_punctuation()) {
                    plain.push(next);
                    rest = &after[next.len_utf8()..];
                    continue;
                }
                None
            }
            '`' => after
                .find('`')
                .map(|end| (Inline::Code(after[..end].to_owned()), &after[end + 1..])),
            '*' if after.starts_with('*') => closing(&after[1..], "**")
                .map(|(inner, tail)| (Inline::Strong(inline(inner)), tail)),
            '*' | '_' if !previous_is_word && !after.starts_with([' ', c]) => {
                closing(after, if c == '*' { "*" } else { "_" })
                    // `_` closes only at a word's end: `a_b` is a name.
                    .filter(|(inner, tail)| {
                        !inner.ends_with(' ')
                            && (c == '*'
                                || !tail.starts_with(|n: char| n.is_alphanumeric() || n == '_'))
                    })
                    .map(|(inner, tail)| (Inline::Emphasis(inline(inner)), tail))
            }
            '[' => link(after),
            _ => None,
        };
        match parsed {
            Some((item, tail)) => {
                push_plain(&mut plain, &mut out);
                out.push(item);
                rest = tail;
            }
            None => {
                plain.push(c);
                rest = after;
            }
        }
    }
    push_plain(&mut plain, &mut out);
    out
}

/// The text up to `marker` (not empty), and what follows it.
fn closing<'a>(text: &'a str, marker: &str) -> Option<(&'a str, &'a str)> {
    let end = text.find(marker).filter(|end| *end > 0)?;
    Some((&text[..end], &text[end + marker.len()..]))
}

/// `text](href)` after a `[`: a link when the address is safe, otherwise
/// left as the characters it is.
fn link(after: &str) -> Option<(Inline, &str)> {
    let close = after.find("](")?;
    let text = &after[..close];
    let rest = &after[close + 2..];
    let end = rest.find(')')?;
    let href = rest[..end].trim();
    let href = safe_href(href)?;
    Some((
        Inline::Link {
            text: inline(text),
            href: href.to_owned(),
        },
        &rest[end + 1..],
    ))
}

/// Addresses that cannot run code: web and mail, and places in the app.
pub fn safe_href(url: &str) -> Option<&str> {
    let lower = url.to_ascii_lowercase();
    let allowed = ["https://", "http://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
        || (url.starts_with('/') && !url.starts_with("//"))
        || url.starts_with('#');
    allowed.then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Inline {
        Inline::Text(s.into())
    }

    #[test]
    fn blocks() {
        let parsed = parse(
            "# Plan\n\nI will:\n- read `main.rs`\n- fix it\n  carefully\n\n1. one\n2. two\n\n```rust\nfn main() {}\n```\n> note\n\n---\nlast",
        );
        assert_eq!(
            parsed,
            vec![
                Block::Heading(1, vec![text("Plan")]),
                Block::Paragraph(vec![text("I will:")]),
                Block::List {
                    ordered: false,
                    items: vec![
                        vec![text("read "), Inline::Code("main.rs".into())],
                        vec![text("fix it carefully")],
                    ],
                },
                Block::List {
                    ordered: true,
                    items: vec![vec![text("one")], vec![text("two")]],
                },
                Block::Code {
                    language: Some("rust".into()),
                    text: "fn main() {}".into(),
                },
                Block::Quote(vec![text("note")]),
                Block::Rule,
                Block::Paragraph(vec![text("last")]),
            ]
        );
    }

    #[test]
    fn inlines() {
        assert_eq!(
            inline("**bold** and *it* and _it_ [docs](https://x.dev/a)"),
            vec![
                Inline::Strong(vec![text("bold")]),
                text(" and "),
                Inline::Emphasis(vec![text("it")]),
                text(" and "),
                Inline::Emphasis(vec![text("it")]),
                text(" "),
                Inline::Link {
                    text: vec![text("docs")],
                    href: "https://x.dev/a".into()
                },
            ]
        );
        // Identifiers and arithmetic stay as they are.
        assert_eq!(inline("snake_case_name"), vec![text("snake_case_name")]);
        assert_eq!(
            inline("window.__owned = 1 and window.__owned = 2"),
            vec![text("window.__owned = 1 and window.__owned = 2")]
        );
        assert_eq!(inline("2 * 3 * 4"), vec![text("2 * 3 * 4")]);
        assert_eq!(inline(r"\*not\*"), vec![text("*not*")]);
    }

    #[test]
    fn nothing_can_run() {
        assert_eq!(
            inline("[click](javascript:alert(1))"),
            vec![text("[click](javascript:alert(1))")]
        );
        assert_eq!(
            inline("<script>x</script>"),
            vec![text("<script>x</script>")]
        );
        assert_eq!(safe_href("JavaScript:x"), None);
        assert_eq!(safe_href("//evil.example"), None);
        assert_eq!(safe_href("#/sessions/1"), Some("#/sessions/1"));
    }

    #[test]
    fn an_unclosed_fence_takes_the_rest() {
        assert_eq!(
            parse("```\nstill streaming"),
            vec![Block::Code {
                language: None,
                text: "still streaming".into()
            }]
        );
    }
}
