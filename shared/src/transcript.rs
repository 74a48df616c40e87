//! The transcript fold: a session's events become the entries a person reads.
//!
//! Message chunks run together into one message, tool-call updates merge into
//! their call (created from whichever message names it first: some agents ask
//! permission before announcing the call), and a decision lands on its
//! approval card. Pure code, so the frontend and tests share it.

use std::collections::HashMap;

use crate::agent_state::{AgentState, ChangedBy, ModeSafety};
use crate::{
    ApprovalId, DecisionOutcome, EventBody, PermissionOption, PlanEntry, Seq, SessionStatus,
    StartMode, ToolCall, ToolCallPatch, TranscriptEvent,
};

#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    User {
        seq: Seq,
        text: String,
        author: Option<String>,
    },
    Agent {
        seq: Seq,
        text: String,
    },
    Thought {
        seq: Seq,
        text: String,
    },
    Tool {
        seq: Seq,
        call: ToolCall,
    },
    Plan {
        seq: Seq,
        entries: Vec<PlanEntry>,
    },
    Approval {
        seq: Seq,
        approval_id: ApprovalId,
        tool_call: ToolCallPatch,
        options: Vec<PermissionOption>,
        /// What an "always" answer keeps as rules.
        always_keeps: Vec<String>,
        decision: Option<(DecisionOutcome, Option<String>)>,
    },
    Status {
        seq: Seq,
        status: SessionStatus,
        reason: Option<String>,
    },
    Summary {
        seq: Seq,
        text: String,
    },
    /// How a run started: warm or cold, why, and the context given.
    Continuity {
        seq: Seq,
        mode: StartMode,
        reason: Option<String>,
        context: Option<String>,
    },
    Error {
        seq: Seq,
        message: String,
    },
    /// The agent's mode or an option changed: what, to what, and who.
    Change {
        seq: Seq,
        /// "Mode", or the option's name.
        what: String,
        /// The new value's name.
        value: String,
        /// For a mode: whether it keeps people in the loop.
        safety: Option<ModeSafety>,
        by: ChangedBy,
    },
    /// Something the agent tells apart from its reply.
    Notice {
        seq: Seq,
        text: String,
    },
}

impl Entry {
    /// The `seq` of the event that created the entry: a stable key for lists.
    pub fn seq(&self) -> Seq {
        match self {
            Entry::User { seq, .. }
            | Entry::Agent { seq, .. }
            | Entry::Thought { seq, .. }
            | Entry::Tool { seq, .. }
            | Entry::Plan { seq, .. }
            | Entry::Approval { seq, .. }
            | Entry::Status { seq, .. }
            | Entry::Summary { seq, .. }
            | Entry::Continuity { seq, .. }
            | Entry::Error { seq, .. }
            | Entry::Change { seq, .. }
            | Entry::Notice { seq, .. } => *seq,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Transcript {
    pub entries: Vec<Entry>,
    pub last_seq: Seq,
    pub title: Option<String>,
    pub status: Option<SessionStatus>,
    /// What the agent said of itself: modes, options, usage, commands.
    pub agent: AgentState,
    /// Where each tool call's entry is, by id, and the plan's: finding them
    /// by scanning made folding a long session quadratic. Entries are only
    /// ever pushed, so an index stays right. (The calls live in their
    /// entries, in transcript order, so this is an index of entries rather
    /// than a `ToolCalls`; the merge itself is `ToolCall::apply`.)
    tools: HashMap<String, usize>,
    plan: Option<usize>,
}

impl Transcript {
    /// Folds one event in. Events at or below `last_seq` were seen already
    /// and are ignored, so replays after a reconnect never duplicate.
    pub fn apply(&mut self, event: &TranscriptEvent) -> bool {
        if event.seq <= self.last_seq {
            return false;
        }
        self.last_seq = event.seq;
        let seq = event.seq;
        match &event.body {
            EventBody::UserMessage { text, author } => self.entries.push(Entry::User {
                seq,
                text: text.clone(),
                author: author.clone(),
            }),
            EventBody::AgentMessageChunk { text } => match self.entries.last_mut() {
                Some(Entry::Agent { text: so_far, .. }) => so_far.push_str(text),
                _ => self.entries.push(Entry::Agent {
                    seq,
                    text: text.clone(),
                }),
            },
            EventBody::AgentThoughtChunk { text } => match self.entries.last_mut() {
                Some(Entry::Thought { text: so_far, .. }) => so_far.push_str(text),
                _ => self.entries.push(Entry::Thought {
                    seq,
                    text: text.clone(),
                }),
            },
            EventBody::ToolCall(call) => match self.tool_mut(&call.id) {
                Some(existing) => *existing = call.clone(),
                None => self.push_tool(seq, call.clone()),
            },
            EventBody::ToolCallUpdate(patch) => self.patch_tool(seq, patch),
            EventBody::Plan { entries } => {
                let existing = self.plan.and_then(|at| match self.entries.get_mut(at) {
                    Some(Entry::Plan { entries, .. }) => Some(entries),
                    _ => None,
                });
                match existing {
                    Some(old) => *old = entries.clone(),
                    None => {
                        self.plan = Some(self.entries.len());
                        self.entries.push(Entry::Plan {
                            seq,
                            entries: entries.clone(),
                        });
                    }
                }
            }
            EventBody::PermissionRequest {
                approval_id,
                tool_call,
                options,
                always_keeps,
            } => {
                if self.tool_mut(&tool_call.id).is_none() && !tool_call.id.is_empty() {
                    self.patch_tool(seq, &tool_call.announced_by_request());
                }
                self.entries.push(Entry::Approval {
                    seq,
                    approval_id: approval_id.clone(),
                    tool_call: tool_call.clone(),
                    options: options.clone(),
                    always_keeps: always_keeps.clone(),
                    decision: None,
                });
            }
            EventBody::PermissionDecision {
                approval_id,
                outcome,
                by,
            } => {
                for entry in self.entries.iter_mut().rev() {
                    if let Entry::Approval {
                        approval_id: id,
                        decision,
                        ..
                    } = entry
                    {
                        if id == approval_id {
                            *decision = Some((outcome.clone(), by.clone()));
                            break;
                        }
                    }
                }
            }
            EventBody::StatusChange { status, reason } => {
                self.status = Some(*status);
                self.entries.push(Entry::Status {
                    seq,
                    status: *status,
                    reason: reason.clone(),
                });
            }
            EventBody::TitleChange { title } => self.title = Some(title.clone()),
            EventBody::AgentModes { .. }
            | EventBody::AgentOptions { .. }
            | EventBody::Usage { .. }
            | EventBody::Spend { .. }
            | EventBody::AgentCommands { .. } => self.agent.apply(&event.body),
            EventBody::ModeChange { mode, by } => {
                self.agent.apply(&event.body);
                let value = self.agent.mode_name().unwrap_or_else(|| mode.clone());
                self.entries.push(Entry::Change {
                    seq,
                    what: "Mode".into(),
                    value,
                    safety: Some(ModeSafety::of(mode)),
                    by: by.clone(),
                });
            }
            EventBody::OptionChange { id, value, by } => {
                self.agent.apply(&event.body);
                let option = self.agent.options.iter().find(|o| &o.id == id);
                let is_mode = option.is_some_and(|o| o.is_mode());
                self.entries.push(Entry::Change {
                    seq,
                    what: option.map(|o| o.name.clone()).unwrap_or_else(|| id.clone()),
                    value: option
                        .map(|o| o.value_name())
                        .unwrap_or_else(|| value.to_string()),
                    safety: is_mode.then(|| ModeSafety::of(&value.to_string())),
                    by: by.clone(),
                });
            }
            EventBody::Notice { text } => match self.entries.last_mut() {
                Some(Entry::Notice { text: so_far, .. }) => so_far.push_str(text),
                _ => self.entries.push(Entry::Notice {
                    seq,
                    text: text.clone(),
                }),
            },
            EventBody::Continuity {
                mode,
                reason,
                context,
            } => self.entries.push(Entry::Continuity {
                seq,
                mode: *mode,
                reason: reason.clone(),
                context: context.clone(),
            }),
            EventBody::Summary { text } => self.entries.push(Entry::Summary {
                seq,
                text: text.clone(),
            }),
            EventBody::Error { message } => self.entries.push(Entry::Error {
                seq,
                message: message.clone(),
            }),
        }
        true
    }

    /// Approvals still waiting for an answer.
    pub fn pending_approvals(&self) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .filter(|entry| matches!(entry, Entry::Approval { decision: None, .. }))
    }

    fn tool_mut(&mut self, id: &str) -> Option<&mut ToolCall> {
        let at = *self.tools.get(id)?;
        match self.entries.get_mut(at) {
            Some(Entry::Tool { call, .. }) => Some(call),
            _ => None,
        }
    }

    fn push_tool(&mut self, seq: Seq, call: ToolCall) {
        self.tools.insert(call.id.clone(), self.entries.len());
        self.entries.push(Entry::Tool { seq, call });
    }

    fn patch_tool(&mut self, seq: Seq, patch: &ToolCallPatch) {
        match self.tool_mut(&patch.id) {
            Some(call) => call.apply(patch),
            None => {
                let mut call = ToolCall::empty(&patch.id);
                call.apply(patch);
                self.push_tool(seq, call);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PermissionKind, SessionId, ToolContent, ToolKind, ToolStatus};

    fn event(seq: u64, body: EventBody) -> TranscriptEvent {
        TranscriptEvent {
            session_id: SessionId("s".into()),
            seq: Seq(seq),
            at: 0,
            body,
        }
    }

    fn fold(bodies: Vec<EventBody>) -> Transcript {
        let mut transcript = Transcript::default();
        for (i, body) in bodies.into_iter().enumerate() {
            transcript.apply(&event(i as u64 + 1, body));
        }
        transcript
    }

    fn chunk(text: &str) -> EventBody {
        EventBody::AgentMessageChunk { text: text.into() }
    }

    #[test]
    fn consecutive_chunks_become_one_message() {
        let t = fold(vec![
            chunk("Hel"),
            chunk("lo"),
            EventBody::AgentThoughtChunk { text: "hm".into() },
            chunk("again"),
        ]);
        assert_eq!(
            t.entries,
            vec![
                Entry::Agent {
                    seq: Seq(1),
                    text: "Hello".into()
                },
                Entry::Thought {
                    seq: Seq(3),
                    text: "hm".into()
                },
                Entry::Agent {
                    seq: Seq(4),
                    text: "again".into()
                },
            ]
        );
    }

    #[test]
    fn replayed_events_are_ignored() {
        let mut t = Transcript::default();
        assert!(t.apply(&event(1, chunk("a"))));
        assert!(t.apply(&event(2, chunk("b"))));
        assert!(!t.apply(&event(2, chunk("b"))));
        assert!(!t.apply(&event(1, chunk("a"))));
        assert_eq!(
            t.entries,
            vec![Entry::Agent {
                seq: Seq(1),
                text: "ab".into()
            }]
        );
        assert_eq!(t.last_seq, Seq(2));
    }

    #[test]
    fn updates_merge_into_their_tool_call_and_may_come_first() {
        let t = fold(vec![
            EventBody::ToolCallUpdate(ToolCallPatch {
                id: "c1".into(),
                title: Some("Run ls".into()),
                status: Some(ToolStatus::InProgress),
                ..Default::default()
            }),
            EventBody::ToolCallUpdate(ToolCallPatch {
                id: "c1".into(),
                kind: Some(ToolKind::Execute),
                status: Some(ToolStatus::Completed),
                content: Some(vec![ToolContent::Text {
                    text: "a.txt".into(),
                }]),
                ..Default::default()
            }),
        ]);
        let [Entry::Tool { call, seq }] = t.entries.as_slice() else {
            panic!("one tool entry expected: {:?}", t.entries);
        };
        assert_eq!(*seq, Seq(1));
        assert_eq!(call.title, "Run ls");
        assert_eq!(call.kind, ToolKind::Execute);
        assert_eq!(call.status, ToolStatus::Completed);
        assert_eq!(call.content.len(), 1);
    }

    #[test]
    fn a_decision_lands_on_its_approval() {
        let option = PermissionOption {
            option_id: "allow".into(),
            name: "Allow once".into(),
            kind: PermissionKind::AllowOnce,
        };
        let t = fold(vec![
            EventBody::PermissionRequest {
                approval_id: ApprovalId("a1".into()),
                tool_call: ToolCallPatch {
                    id: "c1".into(),
                    title: Some("echo hi".into()),
                    ..Default::default()
                },
                options: vec![option.clone()],
                always_keeps: vec![],
            },
            EventBody::PermissionDecision {
                approval_id: ApprovalId("a1".into()),
                outcome: DecisionOutcome::Selected {
                    option_id: "allow".into(),
                    kind: PermissionKind::AllowOnce,
                },
                by: Some("ada".into()),
            },
        ]);
        assert_eq!(t.pending_approvals().count(), 0);
        let approval = t
            .entries
            .iter()
            .find(|e| matches!(e, Entry::Approval { .. }))
            .unwrap();
        let Entry::Approval { decision, .. } = approval else {
            unreachable!()
        };
        assert_eq!(decision.as_ref().unwrap().1.as_deref(), Some("ada"));
        // The request also created the tool call it is about.
        assert!(t
            .entries
            .iter()
            .any(|e| matches!(e, Entry::Tool { call, .. } if call.title == "echo hi")));
    }

    #[test]
    fn status_and_title_are_tracked() {
        let t = fold(vec![
            EventBody::TitleChange {
                title: "Fix it".into(),
            },
            EventBody::StatusChange {
                status: SessionStatus::Completed,
                reason: None,
            },
        ]);
        assert_eq!(t.title.as_deref(), Some("Fix it"));
        assert_eq!(t.status, Some(SessionStatus::Completed));
    }

    #[test]
    fn updates_find_their_call_among_thousands_and_plans_are_replaced() {
        let mut bodies = Vec::new();
        for i in 0..5_000 {
            bodies.push(EventBody::ToolCallUpdate(ToolCallPatch {
                id: format!("c{i}"),
                title: Some(format!("call {i}")),
                status: Some(ToolStatus::InProgress),
                ..Default::default()
            }));
            bodies.push(EventBody::AgentMessageChunk {
                text: format!("after {i}"),
            });
        }
        bodies.push(EventBody::ToolCallUpdate(ToolCallPatch {
            id: "c17".into(),
            status: Some(ToolStatus::Completed),
            ..Default::default()
        }));
        bodies.push(EventBody::Plan { entries: vec![] });
        bodies.push(EventBody::Plan {
            entries: vec![PlanEntry {
                content: "one".into(),
                priority: crate::PlanPriority::High,
                status: crate::PlanStatus::Pending,
            }],
        });
        let transcript = fold(bodies);
        assert_eq!(
            transcript.entries.len(),
            10_001,
            "5,000 calls, 5,000 messages, one plan"
        );
        let Entry::Tool { call, .. } = &transcript.entries[34] else {
            panic!("{:?}", transcript.entries[34]);
        };
        assert_eq!(
            (call.id.as_str(), call.status),
            ("c17", ToolStatus::Completed)
        );
        let Some(Entry::Plan { entries, .. }) = transcript.entries.last() else {
            panic!("the plan is last");
        };
        assert_eq!(entries.len(), 1, "the second plan replaced the first");
    }

    /// Codex asks before it announces a command, with its reason and its
    /// decisions as text: the tool card it starts shows no such text as the
    /// tool's output; the approval keeps it, and the reason reads apart.
    #[test]
    fn a_request_that_comes_first_starts_a_card_without_its_words() {
        let asked = ToolCallPatch {
            id: "c1".into(),
            title: Some("touch made".into()),
            kind: Some(ToolKind::Execute),
            content: Some(vec![ToolContent::Text {
                text: "Need a marker.\nProposed Amendment: touch\nmade\nAvailable Decisions: Approved\nAbort".into(),
            }]),
            raw_input: Some(serde_json::json!({
                "command": ["/bin/bash", "-lc", "touch made"],
                "reason": "Need a marker."
            })),
            ..Default::default()
        };
        let t = fold(vec![EventBody::PermissionRequest {
            approval_id: ApprovalId("a1".into()),
            tool_call: asked.clone(),
            options: vec![],
            always_keeps: vec![],
        }]);
        let Some(Entry::Tool { call, .. }) = t.entries.first() else {
            panic!("a tool card first: {:?}", t.entries);
        };
        assert!(call.content.is_empty(), "{:?}", call.content);
        assert_eq!(call.command().as_deref(), Some("touch made"));
        assert_eq!(call.reason().as_deref(), Some("Need a marker."));
        let Some(Entry::Approval { tool_call, .. }) = t.entries.get(1) else {
            panic!("then the approval: {:?}", t.entries);
        };
        assert_eq!(tool_call, &asked);
    }
}
