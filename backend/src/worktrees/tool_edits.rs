//! For a workspace without git: the edits the session's tool calls made,
//! gathered in one place, each as its own file entry (a file edited twice
//! shows twice, in order). Only completed calls count: a rejected or
//! failed edit changed nothing.

use tandem_shared::changes::{FileChange, FileDiff, FileStatus, Hunk, HunkLine, LineKind};
use tandem_shared::line_diff::{lines_of, LineTag};
use tandem_shared::tool_calls::ToolCalls;
use tandem_shared::{ToolContent, ToolStatus, TranscriptEvent};

/// Every completed edit in `events`, its path shown relative to the
/// workspace when inside it.
pub fn tool_edits(events: &[TranscriptEvent], workspace: &str) -> Vec<(FileChange, FileDiff)> {
    let mut calls = ToolCalls::default();
    for event in events {
        calls.fold(&event.body);
    }
    let prefix = format!("{}/", workspace.trim_end_matches('/'));
    let mut edits = Vec::new();
    for call in calls.iter().filter(|c| c.status == ToolStatus::Completed) {
        for content in &call.content {
            let ToolContent::Diff {
                path,
                old_text,
                new_text,
            } = content
            else {
                continue;
            };
            let shown = path.strip_prefix(&prefix).unwrap_or(path).to_owned();
            let hunks = hunks(old_text.as_deref(), new_text);
            let count = |kind: LineKind| {
                hunks
                    .iter()
                    .flat_map(|h| &h.lines)
                    .filter(|l| l.kind == kind)
                    .count() as u32
            };
            let file = FileChange {
                path: shown.clone(),
                old_path: None,
                status: if old_text.is_none() {
                    FileStatus::Added
                } else {
                    FileStatus::Modified
                },
                added: count(LineKind::Added),
                removed: count(LineKind::Removed),
                binary: false,
            };
            let diff = FileDiff {
                path: shown,
                hunks,
                truncated: false,
                tool_call_id: Some(call.id.clone()),
            };
            edits.push((file, diff));
        }
    }
    edits
}

/// The shared line diff, cut into hunks at its gaps.
fn hunks(old: Option<&str>, new: &str) -> Vec<Hunk> {
    let mut hunks: Vec<Hunk> = Vec::new();
    let mut current: Vec<HunkLine> = Vec::new();
    fn close(lines: &mut Vec<HunkLine>, hunks: &mut Vec<Hunk>) {
        if lines.is_empty() {
            return;
        }
        let first_old = lines.iter().find_map(|l| l.old).unwrap_or(0);
        let first_new = lines.iter().find_map(|l| l.new).unwrap_or(0);
        let olds = lines.iter().filter(|l| l.old.is_some()).count() as u32;
        let news = lines.iter().filter(|l| l.new.is_some()).count() as u32;
        hunks.push(Hunk {
            old_start: first_old,
            old_lines: olds,
            new_start: first_new,
            new_lines: news,
            section: String::new(),
            lines: std::mem::take(lines),
        });
    }
    for line in lines_of(old, new) {
        let kind = match line.tag {
            LineTag::Gap => {
                close(&mut current, &mut hunks);
                continue;
            }
            LineTag::Kept => LineKind::Context,
            LineTag::Added => LineKind::Added,
            LineTag::Removed => LineKind::Removed,
        };
        current.push(HunkLine {
            kind,
            old: line.old_no.map(|n| n as u32),
            new: line.new_no.map(|n| n as u32),
            text: line.text,
        });
    }
    close(&mut current, &mut hunks);
    hunks
}

#[cfg(test)]
mod tests {
    use super::*;
    use tandem_shared::{EventBody, Seq, SessionId, ToolCall, ToolCallPatch, ToolKind};

    fn event(seq: u64, body: EventBody) -> TranscriptEvent {
        TranscriptEvent::numbered(&SessionId("ses_1".into()), Seq(seq - 1), 0, vec![body]).remove(0)
    }

    #[test]
    fn completed_edits_are_gathered_with_paths_inside_the_workspace() {
        let edit = |id: &str, path: &str, old: Option<&str>, new: &str| {
            EventBody::ToolCall(ToolCall {
                id: id.into(),
                title: format!("Edit {path}"),
                kind: ToolKind::Edit,
                status: ToolStatus::Pending,
                content: vec![ToolContent::Diff {
                    path: path.into(),
                    old_text: old.map(str::to_owned),
                    new_text: new.into(),
                }],
                locations: vec![],
                raw_input: None,
                raw_output: None,
            })
        };
        let done = |id: &str, status| {
            EventBody::ToolCallUpdate(ToolCallPatch {
                id: id.into(),
                status: Some(status),
                ..Default::default()
            })
        };
        let events = vec![
            event(1, edit("t1", "/w/a.txt", Some("one\ntwo\n"), "one\nTWO\n")),
            event(2, done("t1", ToolStatus::Completed)),
            event(3, edit("t2", "/w/b.txt", None, "new\n")),
            event(4, done("t2", ToolStatus::Failed)),
            event(5, edit("t3", "/elsewhere/c.txt", None, "x\ny\n")),
            event(6, done("t3", ToolStatus::Completed)),
        ];
        let edits = tool_edits(&events, "/w");
        assert_eq!(edits.len(), 2, "the failed edit changed nothing");
        let (file, diff) = &edits[0];
        assert_eq!(file.path, "a.txt");
        assert_eq!((file.added, file.removed), (1, 1));
        assert_eq!(diff.tool_call_id.as_deref(), Some("t1"));
        assert_eq!(diff.hunks[0].lines[1].kind, LineKind::Removed);
        assert_eq!(diff.hunks[0].lines[2].new, Some(2));
        assert_eq!(edits[1].0.path, "/elsewhere/c.txt");
        assert_eq!(edits[1].0.status, FileStatus::Added);
        assert_eq!(edits[1].0.added, 2);
    }
}
