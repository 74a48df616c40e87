//! A review: comments on lines of the diff, checked against its hunks and
//! sent to the agent as one follow-up that quotes each file, its lines and
//! the comment. Plain code over the diff.

use tandem_shared::changes::{FileDiff, HunkLine, LineKind, ReviewComment, Side};

/// Most lines one comment quotes; past that the quote is cut.
const MAX_QUOTED_LINES: usize = 40;

/// The comment's lines as the diff shows them, or why it cannot be placed.
pub fn quote(comment: &ReviewComment, diff: Option<&FileDiff>) -> Result<String, String> {
    let Some(diff) = diff else {
        return Err(format!(
            "{} is not among the files this session changed",
            comment.path
        ));
    };
    let number = |line: &HunkLine| match comment.side {
        Side::New => line.new.filter(|_| line.kind != LineKind::Removed),
        Side::Old => line.old.filter(|_| line.kind != LineKind::Added),
    };
    let lines: Vec<&HunkLine> = diff.hunks.iter().flat_map(|h| &h.lines).collect();
    let mut quoted = Vec::new();
    for wanted in comment.start_line..=comment.end_line {
        let Some(line) = lines.iter().find(|l| number(l) == Some(wanted)) else {
            let side = match comment.side {
                Side::New => "new",
                Side::Old => "old",
            };
            return Err(format!(
                "line {wanted} of {} ({side} side) is not in the diff: comment on lines the change shows",
                comment.path
            ));
        };
        if quoted.len() < MAX_QUOTED_LINES {
            let mark = match line.kind {
                LineKind::Added => '+',
                LineKind::Removed => '-',
                LineKind::Context => ' ',
            };
            quoted.push(format!("{wanted:>5} {mark} {}", line.text));
        }
    }
    let span = if comment.start_line == comment.end_line {
        format!("line {}", comment.start_line)
    } else {
        format!("lines {}–{}", comment.start_line, comment.end_line)
    };
    let side = match comment.side {
        Side::New => "",
        Side::Old => " (as it was before the change)",
    };
    let cut = if (comment.end_line - comment.start_line + 1) as usize > MAX_QUOTED_LINES {
        "\n  …"
    } else {
        ""
    };
    let fence = fence_for(&quoted);
    let said: String = comment
        .text
        .trim()
        .lines()
        .map(|line| format!("> {line}\n"))
        .collect();
    Ok(format!(
        "`{}` {span}{side}:\n{fence}\n{}{cut}\n{fence}\n{said}",
        comment.path,
        quoted.join("\n")
    ))
}

/// The follow-up a review becomes.
pub fn message(reviewer: &str, quotes: &[String]) -> String {
    let count = match quotes.len() {
        1 => "1 comment".to_owned(),
        n => format!("{n} comments"),
    };
    format!(
        "Review of your changes by {reviewer} ({count}). Please address each comment in the worktree.\n\n{}",
        quotes.join("\n")
    )
}

/// A code fence longer than any run of backticks in the quoted lines.
fn fence_for(lines: &[String]) -> String {
    let longest = lines
        .iter()
        .map(|line| line.split(|c| c != '`').map(str::len).max().unwrap_or(0))
        .max()
        .unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tandem_shared::changes::Hunk;

    fn diff() -> FileDiff {
        let line = |kind, old, new, text: &str| HunkLine {
            kind,
            old,
            new,
            text: text.into(),
        };
        FileDiff {
            path: "src/app.rs".into(),
            hunks: vec![Hunk {
                old_start: 10,
                old_lines: 3,
                new_start: 10,
                new_lines: 3,
                section: String::new(),
                lines: vec![
                    line(LineKind::Context, Some(10), Some(10), "fn main() {"),
                    line(LineKind::Removed, Some(11), None, "    old();"),
                    line(LineKind::Added, None, Some(11), "    new(); // ```"),
                    line(LineKind::Context, Some(12), Some(12), "}"),
                ],
            }],
            truncated: false,
            tool_call_id: None,
        }
    }

    fn comment(side: Side, start: u32, end: u32) -> ReviewComment {
        ReviewComment {
            path: "src/app.rs".into(),
            side,
            start_line: start,
            end_line: end,
            text: "Why call new() here?\nIt allocates.".into(),
        }
    }

    #[test]
    fn a_comment_quotes_the_file_its_lines_and_the_text() {
        let quoted = quote(&comment(Side::New, 10, 11), Some(&diff())).unwrap_or_default();
        assert!(quoted.starts_with("`src/app.rs` lines 10–11:"), "{quoted}");
        assert!(quoted.contains("   10   fn main() {"));
        assert!(quoted.contains("   11 +     new(); // ```"));
        assert!(
            quoted.contains("````\n"),
            "the fence outgrows the quoted backticks"
        );
        assert!(quoted.contains("> Why call new() here?\n> It allocates."));
        let old = quote(&comment(Side::Old, 11, 11), Some(&diff())).unwrap_or_default();
        assert!(old.contains("-     old();"), "{old}");
        let message = message("ana", &[quoted, old]);
        assert!(message.starts_with("Review of your changes by ana (2 comments)."));
    }

    #[test]
    fn lines_outside_the_diff_are_refused() {
        let outside = quote(&comment(Side::New, 12, 13), Some(&diff()));
        assert!(outside.is_err_and(|e| e.contains("line 13 of src/app.rs")));
        // Line 11 of the new side is the added line; the removed one is old.
        assert!(quote(&comment(Side::Old, 13, 13), Some(&diff())).is_err());
        assert!(quote(&comment(Side::New, 1, 1), None)
            .is_err_and(|e| e.contains("not among the files")));
    }
}
