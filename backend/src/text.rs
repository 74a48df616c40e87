//! Text from outside, held to one rule on both databases. PostgreSQL's
//! `TEXT` cannot hold a NUL character and SQLite can: rather than let the
//! two differ, a NUL from a person or a program calling the API is refused
//! with the field it is in, and one from an agent's output is replaced by
//! U+FFFD before anything keeps it. Names and titles — shown in lists,
//! where a direction override could make one read as another — take no
//! control or bidirectional-override characters.

use serde_json::Value;

/// Keys whose values are names or titles: one line, no invisible tricks.
pub const LABELS: [&str; 2] = ["name", "title"];

/// The first string of a request body that breaks the rules, as
/// `field: why`.
pub fn check(value: &Value) -> Result<(), String> {
    walk(value, "", false)
}

fn walk(value: &Value, path: &str, label: bool) -> Result<(), String> {
    match value {
        Value::String(text) => check_text(text, label).map_err(|why| {
            let field = if path.is_empty() { "body" } else { path };
            format!("{field}: {why}")
        }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, item)| walk(item, &format!("{path}[{i}]"), false)),
        Value::Object(fields) => fields.iter().try_for_each(|(key, item)| {
            if key.contains('\0') {
                return Err(format!("{path}: a field name contains a NUL character"));
            }
            let here = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            walk(item, &here, LABELS.contains(&key.as_str()))
        }),
        _ => Ok(()),
    }
}

fn check_text(text: &str, label: bool) -> Result<(), &'static str> {
    if text.contains('\0') {
        return Err("contains a NUL character, which Tandem does not store");
    }
    if label && text.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return Err("must not contain control or text-direction characters");
    }
    Ok(())
}

/// The same rules as regular expressions, for the API document (each means
/// the same in ECMAScript and in the common engines): one character of…
pub mod pattern {
    /// …any text Tandem stores (no NUL).
    pub const TEXT: &str = r"[^\x00]";
    /// …stored text that is not white space (what `trim` keeps).
    pub const TEXT_EDGE: &str =
        r"[^\x00\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";
    /// …a name or title (no control or direction character).
    pub const LABEL: &str = r"[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]";
    /// …a name or title that is not white space either.
    pub const LABEL_EDGE: &str = r"[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202a-\u202f\u205f\u2066-\u2069\u3000]";

    /// …a setting's name or value (no control character).
    pub const PLAIN: &str = r"[^\x00-\x1f\x7f-\x9f]";
    /// …a setting's that is not white space either.
    pub const PLAIN_EDGE: &str =
        r"[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";

    /// Text made only of `one`.
    pub fn only(one: &str) -> String {
        format!("^{one}*$")
    }

    /// Text of `one` holding at least one `edge` (not blank).
    pub fn not_blank(one: &str, edge: &str) -> String {
        format!("^{one}*{edge}{one}*$")
    }

    /// Text of `one` that starts and ends with an `edge`: not blank, and
    /// nothing for `trim` to take.
    pub fn trimmed(one: &str, edge: &str) -> String {
        format!("^{edge}(?:{one}*{edge})?$")
    }
}

/// Overrides, embeddings and isolates: they reorder what follows them.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Replaces every NUL in the strings (and keys) of an agent's message.
pub fn scrub(value: &mut Value) {
    match value {
        Value::String(text) if text.contains('\0') => {
            *text = text.replace('\0', "\u{FFFD}");
        }
        Value::Array(items) => items.iter_mut().for_each(scrub),
        Value::Object(fields) => {
            if fields.keys().any(|key| key.contains('\0')) {
                let old = std::mem::take(fields);
                for (key, mut item) in old {
                    scrub(&mut item);
                    fields.insert(key.replace('\0', "\u{FFFD}"), item);
                }
            } else {
                fields.values_mut().for_each(scrub);
            }
        }
        _ => {}
    }
}

/// A line of an agent's stderr, kept for error messages.
pub fn scrubbed(line: &str) -> String {
    line.replace('\0', "\u{FFFD}")
}

/// The start of a line, for error messages.
pub fn excerpt(line: &str) -> String {
    // Kept in transcripts and errors: no NUL reaches the store.
    let line = &scrubbed(line);
    const MAX: usize = 200;
    if line.len() <= MAX {
        return line.to_owned();
    }
    let mut end = MAX;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &line[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nul_is_refused_by_field_and_labels_stay_plain() {
        assert_eq!(check(&json!({"name": "Ada", "body": "line\nnext"})), Ok(()));
        assert_eq!(
            check(&json!({"agent": {"env": [{"name": "K", "value": "a\u{0}b"}]}})),
            Err("agent.env[0].value: contains a NUL character, which Tandem does not store".into())
        );
        assert!(check(&json!({"title": "invoice\u{202E}fdp.exe"}))
            .unwrap_err()
            .starts_with("title: must not contain"));
        assert!(check(&json!({"name": "two\nlines"})).is_err());
        // Bodies and messages may hold any text but NUL.
        assert_eq!(check(&json!({"text": "שלום \u{202E} and\ttabs"})), Ok(()));
        assert!(check(&json!({"k\u{0}": 1})).is_err());
    }

    /// The patterns say what `check` and `trim` do, character by character.
    #[test]
    fn the_patterns_agree_with_the_rules() {
        let compiled = |class: &str| regex::Regex::new(&format!("^{class}$"));
        let (Ok(text), Ok(text_edge), Ok(label), Ok(label_edge), Ok(plain), Ok(plain_edge)) = (
            compiled(pattern::TEXT),
            compiled(pattern::TEXT_EDGE),
            compiled(pattern::LABEL),
            compiled(pattern::LABEL_EDGE),
            compiled(pattern::PLAIN),
            compiled(pattern::PLAIN_EDGE),
        ) else {
            panic!("a pattern does not compile");
        };
        let chars = (0u32..0x3100)
            .chain([0xfeff, 0x1_f600])
            .filter_map(char::from_u32);
        for c in chars {
            let one = c.to_string();
            let stored = c != '\0';
            let labelled = check_text(&one, true).is_ok();
            assert_eq!(text.is_match(&one), stored, "{c:?}");
            assert_eq!(
                text_edge.is_match(&one),
                stored && !c.is_whitespace(),
                "{c:?}"
            );
            assert_eq!(label.is_match(&one), labelled, "{c:?}");
            assert_eq!(
                label_edge.is_match(&one),
                labelled && !c.is_whitespace(),
                "{c:?}"
            );
            assert_eq!(plain.is_match(&one), !c.is_control(), "{c:?}");
            assert_eq!(
                plain_edge.is_match(&one),
                !c.is_control() && !c.is_whitespace(),
                "{c:?}"
            );
        }
        let trimmed = regex::Regex::new(&pattern::trimmed(pattern::LABEL, pattern::LABEL_EDGE));
        let Ok(trimmed) = trimmed else {
            panic!("pattern")
        };
        for (name, fits) in [
            ("a", true),
            ("a b", true),
            (" a", false),
            ("a ", false),
            ("", false),
        ] {
            assert_eq!(trimmed.is_match(name), fits, "{name:?}");
        }
    }

    #[test]
    fn agent_text_is_scrubbed() {
        let mut message = json!({"content": {"text": "a\u{0}b"}, "k\u{0}": ["\u{0}"]});
        scrub(&mut message);
        assert_eq!(
            message,
            json!({"content": {"text": "a\u{FFFD}b"}, "k\u{FFFD}": ["\u{FFFD}"]})
        );
    }
}
