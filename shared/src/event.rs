//! Transcript events: the append-only log of a session.
//!
//! These are Tandem's own types, not ACP's: the backend folds each ACP
//! `session/update` into one of these, so the stored log keeps its shape when
//! the protocol grows.

use crate::{ApprovalId, Seq, SessionId, SessionStatus};
use serde::{Deserialize, Serialize};

/// One stored entry of a session's transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TranscriptEvent {
    pub session_id: SessionId,
    pub seq: Seq,
    /// Milliseconds since the Unix epoch.
    pub at: i64,
    pub body: EventBody,
}

impl TranscriptEvent {
    /// `bodies` as the events that follow `after`, numbered in order: the
    /// one place a `seq` is given.
    pub fn numbered(
        session_id: &SessionId,
        after: Seq,
        at: i64,
        bodies: impl IntoIterator<Item = EventBody>,
    ) -> Vec<TranscriptEvent> {
        let mut seq = after;
        bodies
            .into_iter()
            .map(|body| {
                seq = seq.next();
                TranscriptEvent {
                    session_id: session_id.clone(),
                    seq,
                    at,
                    body,
                }
            })
            .collect()
    }
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    /// A message a person (or a wake) put into the session.
    /// `text` is the last field, as in `AgentMessageChunk`: search reads
    /// the stored JSON from `"text":"` on (`store::sessions`).
    UserMessage {
        /// Who wrote it, when a person did.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        author: Option<String>,
        text: String,
    },
    AgentMessageChunk {
        text: String,
    },
    AgentThoughtChunk {
        text: String,
    },
    ToolCall(ToolCall),
    ToolCallUpdate(ToolCallPatch),
    Plan {
        entries: Vec<PlanEntry>,
    },
    PermissionRequest {
        approval_id: ApprovalId,
        tool_call: ToolCallPatch,
        options: Vec<PermissionOption>,
        /// What an "always" answer keeps as rules: one per simple command
        /// of a command line (never the line itself), or the path or URL.
        /// Empty when no "always" is offered or nothing can be kept.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        always_keeps: Vec<String>,
    },
    PermissionDecision {
        approval_id: ApprovalId,
        outcome: DecisionOutcome,
        /// The person who answered; `None` when Tandem answered itself.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    StatusChange {
        status: SessionStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// How this run of the agent started: warm (the agent resumed its own
    /// session) or cold (a new agent session, given the context block).
    Continuity {
        mode: StartMode,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// The context block a cold start gave the agent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        context: Option<String>,
    },
    /// The agent named the session.
    TitleChange {
        title: String,
    },
    Summary {
        text: String,
    },
    Error {
        message: String,
    },
    /// The modes the agent offers and the one it is in, as it reported
    /// them when its session opened.
    AgentModes {
        current: String,
        available: Vec<crate::agent_state::AgentMode>,
    },
    /// The agent's mode changed, and who changed it.
    ModeChange {
        mode: String,
        by: crate::agent_state::ChangedBy,
    },
    /// The configuration options the agent offers, with their values (all
    /// of them: each report replaces the last).
    AgentOptions {
        options: Vec<crate::agent_state::ConfigOption>,
    },
    /// One option changed, and who changed it.
    OptionChange {
        id: String,
        value: crate::agent_state::ConfigValue,
        by: crate::agent_state::ChangedBy,
    },
    /// Context use and cost so far.
    Usage {
        usage: crate::agent_state::Usage,
    },
    /// Tokens a turn used, or what the agent's cost grew by.
    Spend {
        spend: crate::spend::Spend,
    },
    /// The slash commands the agent offers now.
    AgentCommands {
        commands: Vec<crate::agent_state::AgentCommand>,
    },
    /// Something the agent tells, apart from its reply (Claude's
    /// informational chunks).
    Notice {
        text: String,
    },
}

impl EventBody {
    /// The stored `kind` column: the serde tag of the variant.
    pub fn kind(&self) -> &'static str {
        match self {
            EventBody::UserMessage { .. } => "user_message",
            EventBody::AgentMessageChunk { .. } => "agent_message_chunk",
            EventBody::AgentThoughtChunk { .. } => "agent_thought_chunk",
            EventBody::ToolCall(_) => "tool_call",
            EventBody::ToolCallUpdate(_) => "tool_call_update",
            EventBody::Plan { .. } => "plan",
            EventBody::PermissionRequest { .. } => "permission_request",
            EventBody::PermissionDecision { .. } => "permission_decision",
            EventBody::StatusChange { .. } => "status_change",
            EventBody::Continuity { .. } => "continuity",
            EventBody::TitleChange { .. } => "title_change",
            EventBody::Summary { .. } => "summary",
            EventBody::Error { .. } => "error",
            EventBody::AgentModes { .. } => "agent_modes",
            EventBody::ModeChange { .. } => "mode_change",
            EventBody::AgentOptions { .. } => "agent_options",
            EventBody::OptionChange { .. } => "option_change",
            EventBody::Usage { .. } => "usage",
            EventBody::Spend { .. } => "spend",
            EventBody::AgentCommands { .. } => "agent_commands",
            EventBody::Notice { .. } => "notice",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StartMode {
    Warm,
    Cold,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ToolKind {
    Read,
    Edit,
    Delete,
    Move,
    Search,
    Execute,
    Think,
    Fetch,
    SwitchMode,
    #[default]
    Other,
}

impl ToolKind {
    pub const ALL: [ToolKind; 10] = [
        ToolKind::Read,
        ToolKind::Edit,
        ToolKind::Delete,
        ToolKind::Move,
        ToolKind::Search,
        ToolKind::Execute,
        ToolKind::Think,
        ToolKind::Fetch,
        ToolKind::SwitchMode,
        ToolKind::Other,
    ];

    /// The wire name: `read`, `switch_mode`, `other`, …
    pub fn name(self) -> &'static str {
        match self {
            ToolKind::SwitchMode => "switch_mode",
            ToolKind::Other => "other",
            other => other.label(),
        }
    }

    pub fn parse(text: &str) -> Option<ToolKind> {
        ToolKind::ALL.into_iter().find(|kind| kind.name() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            ToolKind::Read => "read",
            ToolKind::Edit => "edit",
            ToolKind::Delete => "delete",
            ToolKind::Move => "move",
            ToolKind::Search => "search",
            ToolKind::Execute => "execute",
            ToolKind::Think => "think",
            ToolKind::Fetch => "fetch",
            ToolKind::SwitchMode => "switch mode",
            ToolKind::Other => "tool",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ToolStatus {
    #[default]
    Pending,
    InProgress,
    Completed,
    Failed,
    /// Tandem's, not the agent's: the turn ended while the call was still
    /// pending or running, and the agent never said how it ended.
    NotFinished,
}

impl ToolStatus {
    /// Still waiting or running.
    pub fn is_open(self) -> bool {
        matches!(self, ToolStatus::Pending | ToolStatus::InProgress)
    }
}

/// A tool call as the agent announced it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ToolCall {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub kind: ToolKind,
    #[serde(default)]
    pub status: ToolStatus,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub content: Vec<ToolContent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_input: Option<serde_json::Value>,
    /// What the tool gave back, as the agent reports it (Claude's adapter
    /// sends a tool's result here and nowhere else).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_output: Option<serde_json::Value>,
}

/// Only the fields that changed; `content` and `locations` replace the old
/// lists when present, as ACP says.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ToolCallPatch {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ToolKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ToolStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Vec<ToolContent>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locations: Option<Vec<Location>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_input: Option<serde_json::Value>,
    /// What the tool gave back, as the agent reports it (Claude's adapter
    /// sends a tool's result here and nowhere else).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_output: Option<serde_json::Value>,
    /// Text added to the end of the call's output. Agents resend a tool's
    /// whole output with every update (ACP's `content` replaces); Tandem
    /// stores only what grew, so storage grows with the output, not with
    /// its square.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appended: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToolContent {
    Text {
        text: String,
    },
    Diff {
        path: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        old_text: Option<String>,
        new_text: String,
    },
    Terminal {
        terminal_id: String,
    },
    /// Content Tandem does not render (an image, audio, a resource).
    Other {
        description: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Location {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanEntry {
    pub content: String,
    pub priority: PlanPriority,
    pub status: PlanStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PlanPriority {
    High,
    Medium,
    Low,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    Pending,
    InProgress,
    Completed,
}

/// One choice an agent offers for a permission request. Decisions are made
/// by `kind`; the agent is answered with its own `option_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PermissionOption {
    pub option_id: String,
    pub name: String,
    pub kind: PermissionKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PermissionKind {
    AllowOnce,
    AllowAlways,
    RejectOnce,
    RejectAlways,
}

impl PermissionKind {
    pub fn is_allow(self) -> bool {
        matches!(
            self,
            PermissionKind::AllowOnce | PermissionKind::AllowAlways
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum DecisionOutcome {
    Selected {
        option_id: String,
        kind: PermissionKind,
    },
    /// The turn was cancelled, the session stopped, or the agent went away.
    Cancelled { reason: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_is_the_serde_tag() {
        let bodies = vec![
            EventBody::UserMessage {
                text: "hi".into(),
                author: None,
            },
            EventBody::AgentMessageChunk { text: "a".into() },
            EventBody::AgentThoughtChunk { text: "b".into() },
            EventBody::ToolCall(ToolCall {
                id: "t".into(),
                title: "x".into(),
                kind: ToolKind::Edit,
                status: ToolStatus::Pending,
                content: vec![],
                locations: vec![],
                raw_input: None,
                raw_output: None,
            }),
            EventBody::ToolCallUpdate(ToolCallPatch {
                id: "t".into(),
                ..Default::default()
            }),
            EventBody::Plan { entries: vec![] },
            EventBody::PermissionRequest {
                approval_id: ApprovalId("a".into()),
                tool_call: ToolCallPatch::default(),
                options: vec![],
                always_keeps: vec!["echo hi".into()],
            },
            EventBody::PermissionDecision {
                approval_id: ApprovalId("a".into()),
                outcome: DecisionOutcome::Cancelled {
                    reason: "stop".into(),
                },
                by: None,
            },
            EventBody::StatusChange {
                status: SessionStatus::Running,
                reason: None,
            },
            EventBody::TitleChange { title: "t".into() },
            EventBody::Continuity {
                mode: StartMode::Cold,
                reason: Some("first run".into()),
                context: None,
            },
            EventBody::Summary { text: "s".into() },
            EventBody::Error {
                message: "e".into(),
            },
        ];
        for body in bodies {
            let value = serde_json::to_value(&body).unwrap();
            assert_eq!(value["type"], body.kind(), "{body:?}");
            let back: EventBody = serde_json::from_value(value).unwrap();
            assert_eq!(back, body);
        }
    }
}
