//! The outcome of a session, read off its transcript: files changed,
//! commands run, test runs and how they ended, and the agent's last words.
//! Pure code: the actor calls it when a run ends. (Over 500 lines with its
//! tests, which are half of it.)

use std::collections::{BTreeSet, HashMap, HashSet};
use tandem_shared::tool_calls::ToolCalls;
use tandem_shared::{
    ApprovalId, DecisionOutcome, EventBody, PermissionKind, SessionStatus, ToolCall, ToolContent,
    ToolKind, ToolStatus,
};

/// What a run did, gathered from its events. Only what completed counts:
/// a rejected, failed or unfinished edit changed nothing.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub files_changed: BTreeSet<String>,
    pub commands: Vec<String>,
    pub test_runs: Vec<TestRun>,
    pub last_message: Option<String>,
    /// Tool calls a person (or a rule) rejected, in order.
    pub rejected: Vec<Rejection>,
    /// Tool calls still pending or running when the run ended.
    pub not_finished: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// What the agent wanted to do.
    pub title: String,
    /// Who said no (a person's name, or "rule …").
    pub by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestRun {
    pub command: String,
    pub passed: bool,
}

/// Commands that run a test suite, by their start.
const TEST_COMMANDS: [&str; 12] = [
    "cargo test",
    "cargo nextest",
    "cargo xtask test",
    "npm test",
    "npm run test",
    "pnpm test",
    "yarn test",
    "pytest",
    "python -m pytest",
    "go test",
    "make test",
    "bun test",
];

pub fn is_test_command(command: &str) -> bool {
    let command = command.trim().trim_matches('`').trim();
    TEST_COMMANDS.iter().any(|start| {
        command == *start
            || command.starts_with(&format!("{start} "))
            || command.contains(&format!("&& {start}"))
    })
}

/// Folds a run's events (in `seq` order) into its outcome.
pub fn outcome(events: &[EventBody]) -> Outcome {
    let mut builder = OutcomeBuilder::default();
    for body in events {
        builder.push(body);
    }
    builder.finish()
}

/// The outcome, folded as events are stored: memory grows with the number
/// of tool calls, not of events, and each event costs O(1).
#[derive(Debug, Default)]
pub struct OutcomeBuilder {
    calls: ToolCalls,
    message: String,
    last_message: Option<String>,
    /// Which tool call each approval asked about.
    asked: HashMap<ApprovalId, String>,
    /// Tool calls that were not allowed to run.
    refused: HashSet<String>,
    rejected: Vec<Rejection>,
}

impl OutcomeBuilder {
    pub fn push(&mut self, body: &EventBody) {
        // The last message is the last unbroken run of message chunks.
        if !matches!(body, EventBody::AgentMessageChunk { .. }) && !self.message.trim().is_empty() {
            self.last_message = Some(std::mem::take(&mut self.message));
        }
        match body {
            // Bounded: a flood of text must not grow memory.
            EventBody::AgentMessageChunk { text } if self.message.len() < 64 * 1024 => {
                self.message.push_str(text);
            }
            EventBody::ToolCall(call) => self.calls.announce(call),
            EventBody::ToolCallUpdate(patch) => self.calls.patch(patch),
            EventBody::PermissionRequest {
                approval_id,
                tool_call,
                ..
            } => {
                self.asked.insert(approval_id.clone(), tool_call.id.clone());
                if self.calls.get(&tool_call.id).is_none() {
                    // Named by the request only (Codex, Gemini): known now.
                    self.calls.patch(tool_call);
                }
            }
            EventBody::PermissionDecision {
                approval_id,
                outcome,
                by,
            } => {
                let Some(call_id) = self.asked.get(approval_id).cloned() else {
                    return;
                };
                let rejected = match outcome {
                    DecisionOutcome::Selected { kind, .. } => matches!(
                        kind,
                        PermissionKind::RejectOnce | PermissionKind::RejectAlways
                    ),
                    // Nobody allowed it: it did not run.
                    DecisionOutcome::Cancelled { .. } => {
                        self.refused.insert(call_id);
                        return;
                    }
                };
                if rejected {
                    let title = self
                        .calls
                        .get(&call_id)
                        .map(|call| call.title.clone())
                        .filter(|title| !title.is_empty())
                        .unwrap_or_else(|| call_id.clone());
                    self.refused.insert(call_id);
                    self.rejected.push(Rejection {
                        title,
                        by: by.clone(),
                    });
                }
            }
            _ => {}
        }
    }

    /// A tool call of this run as folded so far.
    pub fn call(&self, id: &str) -> Option<&ToolCall> {
        self.calls.get(id)
    }

    /// Calls of this run still pending or running.
    pub fn open_calls(&self) -> impl Iterator<Item = &ToolCall> {
        self.calls.iter().filter(|call| call.status.is_open())
    }

    /// The last rejection of this run, if any.
    pub fn last_rejection(&self) -> Option<&Rejection> {
        self.rejected.last()
    }

    pub fn finish(&self) -> Outcome {
        let last_message = if self.message.trim().is_empty() {
            self.last_message.clone()
        } else {
            Some(self.message.clone())
        };
        let mut outcome = Outcome {
            last_message: last_message.map(|m| m.trim().to_owned()),
            rejected: self.rejected.clone(),
            ..Outcome::default()
        };
        for call in self.calls.iter() {
            if self.refused.contains(&call.id) {
                continue;
            }
            if call.status.is_open() || call.status == ToolStatus::NotFinished {
                outcome.not_finished += 1;
                continue;
            }
            if call.kind == ToolKind::Execute {
                let command = command_of(call);
                if is_test_command(&command) {
                    outcome.test_runs.push(TestRun {
                        command: command.clone(),
                        passed: call.status == ToolStatus::Completed,
                    });
                }
                outcome.commands.push(command);
            }
            // A failed edit changed nothing (that anyone can rely on).
            if call.status != ToolStatus::Completed {
                continue;
            }
            for content in &call.content {
                if let ToolContent::Diff { path, .. } = content {
                    outcome.files_changed.insert(path.clone());
                }
            }
            if matches!(
                call.kind,
                ToolKind::Edit | ToolKind::Delete | ToolKind::Move
            ) {
                for location in &call.locations {
                    outcome.files_changed.insert(location.path.clone());
                }
            }
        }
        outcome
    }
}

/// The command line of an execute call: its `rawInput.command` when the
/// agent gave one, else its title.
fn command_of(call: &ToolCall) -> String {
    call.raw_text("command")
        .unwrap_or_else(|| call.title.clone())
}

/// The summary text posted when a run ends.
pub fn summary_text(outcome: &Outcome, status: SessionStatus, reason: Option<&str>) -> String {
    let mut parts = Vec::new();
    let head = match status {
        SessionStatus::Completed => "Finished.".to_owned(),
        SessionStatus::Stopped => match reason {
            // "stopped by ada" reads as it is.
            Some(reason) if reason.starts_with("stopped") => format!("S{}.", &reason[1..]),
            Some(reason) => format!("Stopped: {reason}."),
            None => "Stopped.".to_owned(),
        },
        SessionStatus::Interrupted => "Interrupted.".to_owned(),
        _ => match reason {
            Some(reason) => format!("Failed: {reason}."),
            None => "Failed.".to_owned(),
        },
    };
    parts.push(head);
    match outcome.files_changed.len() {
        0 => {}
        1 => parts.push(format!(
            "Changed 1 file ({}).",
            short_path(
                outcome
                    .files_changed
                    .iter()
                    .next()
                    .map(String::as_str)
                    .unwrap_or("")
            )
        )),
        n => parts.push(format!("Changed {n} files.")),
    }
    let other_commands =
        outcome.commands.len() - outcome.test_runs.len().min(outcome.commands.len());
    if other_commands > 0 {
        parts.push(format!(
            "Ran {other_commands} command{}.",
            if other_commands == 1 { "" } else { "s" }
        ));
    }
    for rejection in &outcome.rejected {
        parts.push(match &rejection.by {
            Some(by) => format!("Rejected by {by}: “{}”.", rejection.title),
            None => format!("Rejected: “{}”.", rejection.title),
        });
    }
    if outcome.not_finished > 0 {
        parts.push(format!(
            "{} tool call{} did not finish.",
            outcome.not_finished,
            if outcome.not_finished == 1 { "" } else { "s" }
        ));
    }
    if let Some(last) = outcome.test_runs.last() {
        let verdict = if last.passed { "all green" } else { "failing" };
        let earlier = outcome.test_runs.len() - 1;
        let note = if earlier > 0 {
            format!(" ({} runs)", outcome.test_runs.len())
        } else {
            String::new()
        };
        parts.push(format!(
            "Ran the tests (`{}`): {verdict}{note}.",
            last.command
        ));
    }
    let mut text = parts.join(" ");
    if let Some(message) = &outcome.last_message {
        text.push_str("\n\n");
        text.push_str(&excerpt(message, 600));
    }
    text
}

/// Whether the run ended with failing tests: a failure even when the agent
/// ended its turn normally.
pub fn tests_failing(outcome: &Outcome) -> bool {
    outcome.test_runs.last().is_some_and(|run| !run.passed)
}

fn short_path(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn excerpt(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    format!("{}…", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tandem_shared::{Location, ToolCallPatch};

    fn call(id: &str, kind: ToolKind, title: &str) -> EventBody {
        EventBody::ToolCall(ToolCall {
            id: id.into(),
            title: title.into(),
            kind,
            status: ToolStatus::Pending,
            content: vec![],
            locations: vec![],
            raw_input: None,
            raw_output: None,
        })
    }

    fn done(id: &str, ok: bool) -> EventBody {
        EventBody::ToolCallUpdate(ToolCallPatch {
            id: id.into(),
            status: Some(if ok {
                ToolStatus::Completed
            } else {
                ToolStatus::Failed
            }),
            ..Default::default()
        })
    }

    #[test]
    fn recognises_test_commands() {
        for command in [
            "cargo test",
            "cargo test -p x",
            "npm test",
            "pnpm test",
            "pytest -q",
            "go test ./...",
            "cd app && npm test",
        ] {
            assert!(is_test_command(command), "{command}");
        }
        for command in ["cargo build", "echo pytest", "gotest", "npm install"] {
            assert!(!is_test_command(command), "{command}");
        }
    }

    #[test]
    fn files_commands_tests_and_last_words() {
        let events = vec![
            EventBody::UserMessage {
                text: "fix".into(),
                author: None,
            },
            EventBody::AgentMessageChunk {
                text: "Looking.".into(),
            },
            call("e1", ToolKind::Edit, "Edit a.rs"),
            EventBody::ToolCallUpdate(ToolCallPatch {
                id: "e1".into(),
                content: Some(vec![ToolContent::Diff {
                    path: "/w/src/a.rs".into(),
                    old_text: None,
                    new_text: "x".into(),
                }]),
                status: Some(ToolStatus::Completed),
                ..Default::default()
            }),
            call("e2", ToolKind::Edit, "Edit b.rs"),
            EventBody::ToolCallUpdate(ToolCallPatch {
                id: "e2".into(),
                locations: Some(vec![Location {
                    path: "/w/src/b.rs".into(),
                    line: Some(3),
                }]),
                ..Default::default()
            }),
            call("x1", ToolKind::Execute, "cargo test"),
            done("x1", false),
            call("x2", ToolKind::Execute, "ls"),
            done("x2", true),
            EventBody::ToolCall(ToolCall {
                id: "x3".into(),
                title: "Run the tests".into(),
                kind: ToolKind::Execute,
                status: ToolStatus::InProgress,
                content: vec![],
                locations: vec![],
                raw_input: Some(json!({"command": ["cargo", "test"]})),
                raw_output: None,
            }),
            done("x3", true),
            EventBody::AgentMessageChunk {
                text: "All ".into(),
            },
            EventBody::AgentMessageChunk {
                text: "green now.".into(),
            },
        ];
        let outcome = outcome(&events);
        // e2 never finished: it changed nothing anyone can rely on.
        assert_eq!(outcome.files_changed.len(), 1);
        assert_eq!(outcome.not_finished, 1);
        assert_eq!(outcome.commands, vec!["cargo test", "ls", "cargo test"]);
        assert_eq!(outcome.test_runs.len(), 2);
        assert!(!tests_failing(&outcome));
        assert_eq!(outcome.last_message.as_deref(), Some("All green now."));
        let text = summary_text(&outcome, SessionStatus::Completed, None);
        assert!(text.starts_with("Finished. Changed 1 file (a.rs). Ran 1 command. 1 tool call did not finish. Ran the tests (`cargo test`): all green (2 runs)."), "{text}");
    }

    #[test]
    fn a_failed_run_says_why_and_failing_tests_count() {
        let events = vec![call("t", ToolKind::Execute, "pytest"), done("t", false)];
        let outcome = outcome(&events);
        assert!(tests_failing(&outcome));
        let text = summary_text(
            &outcome,
            SessionStatus::Failed,
            Some("the agent exited mid-turn"),
        );
        assert_eq!(
            text,
            "Failed: the agent exited mid-turn. Ran the tests (`pytest`): failing."
        );
    }

    #[test]
    fn only_completed_work_counts_and_rejections_are_named() {
        let ask = |approval: &str, call: &str| EventBody::PermissionRequest {
            approval_id: ApprovalId(approval.into()),
            tool_call: ToolCallPatch {
                id: call.into(),
                ..Default::default()
            },
            options: vec![],
            always_keeps: vec![],
        };
        let answer = |approval: &str, kind: PermissionKind| EventBody::PermissionDecision {
            approval_id: ApprovalId(approval.into()),
            outcome: DecisionOutcome::Selected {
                option_id: "x".into(),
                kind,
            },
            by: Some("bob".into()),
        };
        let edit = |id: &str, path: &str| {
            EventBody::ToolCall(ToolCall {
                id: id.into(),
                title: format!("Write {path}"),
                kind: ToolKind::Edit,
                status: ToolStatus::Pending,
                content: vec![ToolContent::Diff {
                    path: path.into(),
                    old_text: None,
                    new_text: "x".into(),
                }],
                locations: vec![],
                raw_input: None,
                raw_output: None,
            })
        };
        let events = vec![
            // Rejected: the agent marks it failed.
            edit("r", "/w/rejected.rs"),
            ask("a1", "r"),
            answer("a1", PermissionKind::RejectOnce),
            done("r", false),
            // Allowed but failed.
            edit("f", "/w/failed.rs"),
            done("f", false),
            // Stopped before anyone answered.
            edit("c", "/w/cancelled.rs"),
            ask("a2", "c"),
            EventBody::PermissionDecision {
                approval_id: ApprovalId("a2".into()),
                outcome: DecisionOutcome::Cancelled {
                    reason: "stopped by ada".into(),
                },
                by: None,
            },
            // Allowed and completed.
            edit("ok", "/w/kept.rs"),
            ask("a3", "ok"),
            answer("a3", PermissionKind::AllowOnce),
            done("ok", true),
            // A command rejected (Codex ends the turn; the call stays open).
            call("x", ToolKind::Execute, "rm -rf build"),
            ask("a4", "x"),
            answer("a4", PermissionKind::RejectOnce),
        ];
        let mut builder = OutcomeBuilder::default();
        for body in &events {
            builder.push(body);
        }
        assert_eq!(
            builder.last_rejection().map(|r| r.title.as_str()),
            Some("rm -rf build")
        );
        let result = builder.finish();
        assert_eq!(
            result.files_changed.iter().collect::<Vec<_>>(),
            vec!["/w/kept.rs"]
        );
        assert!(result.commands.is_empty(), "a rejected command never ran");
        assert_eq!(result.not_finished, 0);
        let text = summary_text(
            &result,
            SessionStatus::Stopped,
            Some("the agent ended its turn after bob rejected “rm -rf build”"),
        );
        assert_eq!(
            text,
            "Stopped: the agent ended its turn after bob rejected “rm -rf build”. \
             Changed 1 file (kept.rs). Rejected by bob: “Write /w/rejected.rs”. \
             Rejected by bob: “rm -rf build”."
        );
        assert_eq!(
            summary_text(
                &outcome(&[]),
                SessionStatus::Stopped,
                Some("stopped by ada")
            ),
            "Stopped by ada."
        );
    }

    #[test]
    fn a_quiet_run_is_just_finished() {
        assert_eq!(
            summary_text(&outcome(&[]), SessionStatus::Completed, None),
            "Finished."
        );
    }
}
