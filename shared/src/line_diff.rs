//! An edit as a person reviews it: the lines removed and added, with a
//! little context around each change, numbered as in the file. Plain code
//! (the web app draws it), so tests drive it without a browser.

use similar::algorithms::{myers, Capture};
use similar::{group_diff_ops, DiffTag};

/// Lines of unchanged text kept around each change.
const CONTEXT: usize = 3;
/// Past this much text, the diff is not worked out (it would stall the
/// page); the new text is shown instead.
const MAX_DIFFED: usize = 400_000;

/// One line of a diff as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    pub tag: LineTag,
    /// Its number in the old file (removed and kept lines).
    pub old_no: Option<usize>,
    /// Its number in the new file (added and kept lines).
    pub new_no: Option<usize>,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineTag {
    Kept,
    Removed,
    Added,
    /// Between two hunks: the unchanged lines left out.
    Gap,
}

/// The hunks of an edit, as lines; a new file is all added lines.
pub fn lines_of(old: Option<&str>, new: &str) -> Vec<DiffLine> {
    let old = old.unwrap_or("");
    if old.len() + new.len() > MAX_DIFFED {
        return new
            .lines()
            .enumerate()
            .map(|(at, text)| DiffLine {
                tag: LineTag::Added,
                old_no: None,
                new_no: Some(at + 1),
                text: text.to_owned(),
            })
            .collect();
    }
    let old: Vec<&str> = old.lines().collect();
    let new: Vec<&str> = new.lines().collect();
    // Myers alone (not `TextDiff`, which builds every algorithm in): it
    // keeps the web app's bundle small.
    let mut capture = Capture::new();
    if myers::diff(&mut capture, &old, 0..old.len(), &new, 0..new.len()).is_err() {
        return Vec::new();
    }
    let line = |tag, old_no: Option<usize>, new_no: Option<usize>, text: &str| DiffLine {
        tag,
        old_no: old_no.map(|i| i + 1),
        new_no: new_no.map(|i| i + 1),
        text: text.trim_end_matches('\r').to_owned(),
    };
    let mut lines = Vec::new();
    for (at, group) in group_diff_ops(capture.into_ops(), CONTEXT)
        .iter()
        .enumerate()
    {
        if at > 0 {
            lines.push(DiffLine {
                tag: LineTag::Gap,
                old_no: None,
                new_no: None,
                text: String::new(),
            });
        }
        // Within a change, removed lines come before added ones, whatever
        // order the algorithm found them in.
        let (mut removed, mut added) = (Vec::new(), Vec::new());
        for op in group {
            let (tag, old_range, new_range) = op.as_tag_tuple();
            if tag == DiffTag::Equal {
                lines.append(&mut removed);
                lines.append(&mut added);
                for (o, n) in old_range.zip(new_range) {
                    lines.push(line(LineTag::Kept, Some(o), Some(n), old[o]));
                }
                continue;
            }
            removed.extend(old_range.map(|o| line(LineTag::Removed, Some(o), None, old[o])));
            added.extend(new_range.map(|n| line(LineTag::Added, None, Some(n), new[n])));
        }
        lines.append(&mut removed);
        lines.append(&mut added);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(lines: &[DiffLine]) -> String {
        lines
            .iter()
            .map(|l| match l.tag {
                LineTag::Kept => ' ',
                LineTag::Removed => '-',
                LineTag::Added => '+',
                LineTag::Gap => '~',
            })
            .collect()
    }

    #[test]
    fn a_changed_line_shows_removed_then_added_with_context() {
        let old = "a\nb\nc\nd\ne\n";
        let new = "a\nb\nC\nd\ne\n";
        let lines = lines_of(Some(old), new);
        assert_eq!(tags(&lines), "  -+  ");
        let removed = &lines[2];
        assert_eq!(
            (removed.text.as_str(), removed.old_no, removed.new_no),
            ("c", Some(3), None)
        );
        let added = &lines[3];
        assert_eq!(
            (added.text.as_str(), added.old_no, added.new_no),
            ("C", None, Some(3))
        );
    }

    #[test]
    fn far_apart_changes_are_two_hunks_with_a_gap() {
        let line = |n: usize| match n {
            2 => "two\n".to_owned(),
            29 => "twenty-nine\n".to_owned(),
            n => format!("{n}\n"),
        };
        let old: String = (1..=30).map(|n| format!("{n}\n")).collect();
        let new: String = (1..=30).map(line).collect();
        let lines = lines_of(Some(&old), &new);
        assert_eq!(lines.iter().filter(|l| l.tag == LineTag::Gap).count(), 1);
        assert!(lines
            .iter()
            .any(|l| l.tag == LineTag::Added && l.text == "twenty-nine"));
        // Only the context around each change is shown.
        assert!(lines.len() < 20);
    }

    #[test]
    fn a_new_file_is_all_added() {
        let lines = lines_of(None, "one\ntwo");
        assert_eq!(tags(&lines), "++");
        assert_eq!(lines[1].new_no, Some(2));
    }

    #[test]
    fn text_too_large_to_diff_shows_the_new_text() {
        let new = "x\n".repeat(MAX_DIFFED);
        let lines = lines_of(Some("y\n"), &new);
        assert_eq!(lines.len(), MAX_DIFFED);
        assert!(lines.iter().all(|l| l.tag == LineTag::Added));
    }
}
