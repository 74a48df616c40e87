//! A page of a session's change told as text for its agent: the files with
//! their counts, then each file's hunks, numbered, in unified form.

use tandem_shared::changes::{Changes, LineKind};

/// Longest answer: past it, the rest is left for the next page.
const MAX_CHARS: usize = 60_000;

pub fn unified(changes: &Changes) -> String {
    let mut out = String::new();
    match &changes.worktree {
        Some(worktree) => out.push_str(&format!(
            "Branch {} against {} (at {}): {}.\n",
            worktree.branch,
            worktree.base_branch,
            short(&worktree.base_commit),
            changes.stat_words()
        )),
        None => out.push_str(&format!(
            "Edits made by this session's tool calls: {}.\n",
            changes.stat_words()
        )),
    }
    if let Some(why) = &changes.unavailable {
        out.push_str(&format!("The diff cannot be read now: {why}.\n"));
        return out;
    }
    for file in &changes.files {
        let binary = if file.binary { " (binary)" } else { "" };
        out.push_str(&format!(
            "  {} +{} -{}{binary}\n",
            file.path, file.added, file.removed
        ));
    }
    for diff in &changes.diffs {
        if out.len() > MAX_CHARS {
            out.push_str(
                "\n(cut here: the answer is long; read the rest with a later from_file)\n",
            );
            break;
        }
        out.push_str(&format!("\n--- {}\n", diff.path));
        for hunk in &diff.hunks {
            out.push_str(&format!(
                "@@ -{},{} +{},{} @@ {}\n",
                hunk.old_start, hunk.old_lines, hunk.new_start, hunk.new_lines, hunk.section
            ));
            for line in &hunk.lines {
                let (mark, number) = match line.kind {
                    LineKind::Added => ('+', line.new),
                    LineKind::Removed => ('-', line.old),
                    LineKind::Context => (' ', line.new),
                };
                let number = number.map(|n| n.to_string()).unwrap_or_default();
                out.push_str(&format!("{number:>5} {mark}{}\n", line.text));
            }
        }
        if diff.truncated {
            out.push_str("  (this file's diff is cut: it is too long to show whole)\n");
        }
    }
    if let Some(next) = changes.next_file {
        out.push_str(&format!(
            "\nMore files follow: call read_my_diff with from_file {next}.\n"
        ));
    }
    out
}

fn short(commit: &str) -> &str {
    commit.get(..7).unwrap_or(commit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tandem_shared::changes::{FileChange, FileDiff, FileStatus, Hunk, HunkLine};

    #[test]
    fn the_agent_reads_files_counts_and_numbered_hunks() {
        let changes = Changes {
            worktree: None,
            tools: Default::default(),
            files: vec![FileChange {
                path: "a.txt".into(),
                old_path: None,
                status: FileStatus::Modified,
                added: 1,
                removed: 1,
                binary: false,
            }],
            added: 1,
            removed: 1,
            first_file: 0,
            diffs: vec![FileDiff {
                path: "a.txt".into(),
                hunks: vec![Hunk {
                    old_start: 1,
                    old_lines: 1,
                    new_start: 1,
                    new_lines: 1,
                    section: String::new(),
                    lines: vec![
                        HunkLine {
                            kind: LineKind::Removed,
                            old: Some(1),
                            new: None,
                            text: "one".into(),
                        },
                        HunkLine {
                            kind: LineKind::Added,
                            old: None,
                            new: Some(1),
                            text: "ONE".into(),
                        },
                    ],
                }],
                truncated: false,
                tool_call_id: None,
            }],
            next_file: Some(50),
            unavailable: None,
        };
        let text = unified(&changes);
        assert!(text.contains("1 file changed, +1 −1"), "{text}");
        assert!(text.contains("    1 -one\n    1 +ONE\n"), "{text}");
        assert!(text.contains("from_file 50"), "{text}");
    }
}
