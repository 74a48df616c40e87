//! REST bodies of the public HTTP API under `/api/`.

use crate::{ApprovalId, AssistantId, Seq, SessionId, SessionStatus, TranscriptEvent};
use serde::{Deserialize, Serialize};

/// Every error answer: `{ "error": { "code", "message" } }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    pub code: ErrorCode,
    /// For people.
    pub message: String,
}

/// Every error code on the wire, in REST error bodies and WebSocket error
/// frames: stable and machine-readable, so clients match on the enum and
/// never on strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    NotFound,
    BadRequest,
    Conflict,
    /// No credentials, or they ended (a login, a token): log in again.
    Unauthorized,
    Forbidden,
    PayloadTooLarge,
    TooManyRequests,
    Unavailable,
    /// The data directory cannot take writes (full or read-only disk).
    Storage,
    Internal,
    /// A WebSocket frame that is not a client message.
    BadFrame,
    TooManySubscriptions,
    /// The share link was revoked or expired: its socket closes for good.
    LinkRevoked,
    /// The socket read too slowly and is closed: reconnect and resume by
    /// `seq`.
    TooFarBehind,
    /// A code this build does not know (a newer server).
    #[serde(other)]
    Unknown,
}

/// How an assistant's agent is launched. Agent kinds are data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AgentSpec {
    Claude,
    Codex,
    Gemini,
    /// Tandem's built-in shell agent.
    Shell,
    /// Any program that speaks ACP on stdio.
    Custom {
        command: String,
        #[serde(default)]
        args: Vec<String>,
        #[serde(default)]
        env: Vec<EnvVar>,
    },
}

impl AgentSpec {
    pub fn kind_name(&self) -> &'static str {
        match self {
            AgentSpec::Claude => "claude",
            AgentSpec::Codex => "codex",
            AgentSpec::Gemini => "gemini",
            AgentSpec::Shell => "shell",
            AgentSpec::Custom { .. } => "custom",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnvVar {
    pub name: String,
    pub value: String,
}

/// An agent kind and whether this machine can run it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentKindInfo {
    pub kind: String,
    pub title: String,
    /// The command line Tandem runs, as a person would type it.
    pub command_line: String,
    pub installed: bool,
    /// Why it is not installed, or how to install it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The npm package of an npm-distributed agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// The version Tandem runs through npx and is tested with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned_version: Option<String>,
    /// The version on PATH, when one is installed (it is the one used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installed_version: Option<String>,
    /// Why it cannot start on this machine (Node.js too old …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// What the last good check of this kind found (its modes and models).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_check: Option<AgentProbe>,
}

/// "Check agent" before an assistant exists: the agent, and the secrets
/// typed for it (used for this check only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentCheck {
    pub agent: AgentSpec,
    #[serde(default)]
    pub secrets: Vec<SecretValue>,
}

/// A secret's name and value, as typed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecretValue {
    pub name: String,
    pub value: String,
}

/// Never prints the value.
impl std::fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretValue")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assistant {
    pub id: AssistantId,
    pub name: String,
    /// A CSS colour for the avatar, e.g. `#6b5bd6`.
    pub color: String,
    pub agent: AgentSpec,
    /// Absolute path of the directory the agent works in.
    pub workspace: String,
    /// Who the assistant is: given to the agent on every cold start.
    pub persona: String,
    /// The assistant's own rules, joined after the organisation's.
    pub constitution: String,
    /// One markdown document the assistant keeps across sessions.
    pub memory: String,
    pub created_at: i64,
    /// Set when archived: out of the lists, and it cannot be woken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived_at: Option<i64>,
    /// How its sessions share the workspace.
    #[serde(default)]
    pub sessions: SessionSettings,
}

/// Most sessions of one assistant that may run at once.
pub const MAX_PARALLEL_SESSIONS: u32 = 10;

/// How an assistant's sessions share its workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionSettings {
    /// In a git workspace, each session works in its own worktree on its
    /// own branch (default on).
    #[serde(default = "yes")]
    pub worktrees: bool,
    /// With worktrees, how many sessions may run at once (1–10, default 3).
    #[serde(default = "default_parallel")]
    pub max_parallel: u32,
}

fn yes() -> bool {
    true
}

fn default_parallel() -> u32 {
    3
}

impl Default for SessionSettings {
    fn default() -> Self {
        SessionSettings {
            worktrees: true,
            max_parallel: default_parallel(),
        }
    }
}

impl SessionSettings {
    pub fn check(&self) -> Result<(), String> {
        if !(1..=MAX_PARALLEL_SESSIONS).contains(&self.max_parallel) {
            return Err(format!(
                "sessions.max_parallel: from 1 to {MAX_PARALLEL_SESSIONS}"
            ));
        }
        Ok(())
    }
}

/// What "Check agent" found: the agent's own account of itself, started in
/// a scratch directory (`initialize`, then `session/new`), or why it could
/// not start, as the agent said it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentProbe {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_version: Option<String>,
    /// The ways it offers to log in, by name.
    #[serde(default)]
    pub auth_methods: Vec<String>,
    #[serde(default)]
    pub modes: Vec<crate::agent_state::AgentMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_mode: Option<String>,
    #[serde(default)]
    pub options: Vec<crate::agent_state::ConfigOption>,
    /// Why it did not get that far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When it was checked (ms since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_at: Option<i64>,
}

/// A directory in the workspace picker: its subdirectories, and where a
/// person may go from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkspaceListing {
    /// The directory, with every link resolved.
    pub path: String,
    /// Its parent, when the caller may go there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Below this any account may choose a workspace.
    pub root: String,
    /// Whether the caller may choose this directory as a workspace.
    pub may_use: bool,
    /// Its subdirectories' names, hidden ones left out.
    pub directories: Vec<String>,
    /// More subdirectories than were listed.
    #[serde(default)]
    pub truncated: bool,
}

/// A new directory for a workspace, made below `parent`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewWorkspace {
    pub parent: String,
    pub name: String,
}

/// A secret of an assistant, as anyone sees it: its name, never its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecretInfo {
    pub name: String,
    pub updated_at: i64,
}

/// `PUT /api/assistants/{id}/secrets/{name}`: the value, set or replaced.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PutSecret {
    pub value: String,
}

/// Never prints the value.
impl std::fmt::Debug for PutSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PutSecret { value: <hidden> }")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateAssistant {
    pub name: String,
    #[serde(default)]
    pub color: Option<String>,
    pub agent: AgentSpec,
    pub workspace: String,
    pub persona: String,
    #[serde(default)]
    pub constitution: String,
    #[serde(default)]
    pub memory: String,
    #[serde(default)]
    pub sessions: Option<SessionSettings>,
}

/// Fields to change; absent ones stay.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateAssistant {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persona: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constitution: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    /// Another agent (the next run starts cold).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<AgentSpec>,
    /// Another workspace (the next run starts cold).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    /// Archive (true) or bring back (false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived: Option<bool>,
    /// Worktrees and parallel sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions: Option<SessionSettings>,
}

/// A dated note in an assistant's journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JournalEntry {
    pub id: String,
    pub at: i64,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewJournalEntry {
    pub text: String,
}

/// The organisation-wide constitution, joined before every assistant's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Constitution {
    pub text: String,
}

/// A session as the sidebar shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionSummary {
    pub id: SessionId,
    pub assistant_id: AssistantId,
    pub assistant_name: String,
    pub assistant_color: String,
    pub title: String,
    pub status: SessionStatus,
    /// Why it ended, when it did not end well.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The highest `seq` stored.
    pub last_seq: Seq,
    /// Archived: out of the sidebar, still found by search.
    #[serde(default)]
    pub archived: bool,
}

/// Which sessions `GET /api/sessions` lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct SessionQuery {
    /// Words in the title or the transcript (the person's and the agent's
    /// messages); archived sessions are searched too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assistant_id: Option<AssistantId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<SessionStatus>,
    /// Only archived sessions (without `q`: only those not archived).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived: Option<bool>,
}

/// `POST /api/sessions/archive`: archive or bring back several at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ArchiveSessions {
    pub session_ids: Vec<SessionId>,
    pub archived: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateSession {
    pub assistant_id: AssistantId,
    /// The first message: what the agent is asked to do.
    pub prompt: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SendMessage {
    pub text: String,
    /// Cancel the running turn and deliver this first ("interrupt and
    /// send"); otherwise it waits for the turn to end.
    #[serde(default)]
    pub interrupt: bool,
}

/// What happened to a message sent into a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// The agent was idle and got it at once.
    Delivered,
    /// The agent is busy; it goes in when the current turn ends.
    Queued,
    /// The session had ended; it was resumed with this message.
    Resumed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SendMessageResult {
    pub delivery: Delivery,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Decide {
    /// One of the agent's own option ids, as offered in the request.
    pub option_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionResult {
    pub approval_id: ApprovalId,
    pub option_id: String,
}

/// One page of a transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventPage {
    pub events: Vec<TranscriptEvent>,
    /// True when more events follow the last one in this page.
    pub more: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServerInfo {
    pub name: String,
    pub version: String,
    pub database: String,
}

/// Whether this server's agents run in a sandbox, in words for the session
/// header and the assistant's profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SandboxInfo {
    /// Agents are confined by the kernel (Landlock).
    pub enforced: bool,
    /// An agent that cannot be confined is not started.
    pub required: bool,
    /// What agents may and may not do, or why they are not sandboxed.
    pub description: String,
}

/// Who wrote a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChatAuthorKind {
    Person,
    Assistant,
    /// The summary Tandem posts when a session ends.
    Summary,
}

impl ChatAuthorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChatAuthorKind::Person => "person",
            ChatAuthorKind::Assistant => "assistant",
            ChatAuthorKind::Summary => "summary",
        }
    }

    pub fn parse(text: &str) -> Option<ChatAuthorKind> {
        [
            ChatAuthorKind::Person,
            ChatAuthorKind::Assistant,
            ChatAuthorKind::Summary,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatMessage {
    pub id: String,
    pub assistant_id: AssistantId,
    pub at: i64,
    pub author_kind: ChatAuthorKind,
    pub author: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<SessionId>,
}

/// A person writes in an assistant's chat: it wakes the assistant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PostChat {
    pub text: String,
}

/// Why an assistant woke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WakeTrigger {
    Chat,
    Routine,
    Task,
    Heartbeat,
}

impl WakeTrigger {
    pub fn as_str(self) -> &'static str {
        match self {
            WakeTrigger::Chat => "chat",
            WakeTrigger::Routine => "routine",
            WakeTrigger::Task => "task",
            WakeTrigger::Heartbeat => "heartbeat",
        }
    }

    pub fn parse(text: &str) -> Option<WakeTrigger> {
        [
            WakeTrigger::Chat,
            WakeTrigger::Routine,
            WakeTrigger::Task,
            WakeTrigger::Heartbeat,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WakeState {
    /// Waiting for the assistant's live session to end.
    Queued,
    /// Started a session.
    Started,
    /// Went into the live session as a follow-up.
    Delivered,
    /// Could not start (its assistant archived, say); the reason is in the
    /// assistant's journal, and the wakes behind it went on.
    Failed,
    /// Not started: a monthly budget is reached (the reason says which).
    Refused,
    /// Not started: its pre-check said there was nothing to do.
    Skipped,
}

impl WakeState {
    pub fn as_str(self) -> &'static str {
        match self {
            WakeState::Queued => "queued",
            WakeState::Started => "started",
            WakeState::Delivered => "delivered",
            WakeState::Failed => "failed",
            WakeState::Refused => "refused",
            WakeState::Skipped => "skipped",
        }
    }

    pub fn parse(text: &str) -> Option<WakeState> {
        [
            WakeState::Queued,
            WakeState::Started,
            WakeState::Delivered,
            WakeState::Failed,
            WakeState::Refused,
            WakeState::Skipped,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }
}

/// One recorded wake: trigger, who or what sent it, when, and the session
/// it started or continued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Wake {
    pub id: String,
    pub assistant_id: AssistantId,
    pub trigger: WakeTrigger,
    pub source: String,
    pub message: String,
    pub at: i64,
    pub state: WakeState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<SessionId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    /// Why it was refused or skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A nudge from a team member (or another assistant) with a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Heartbeat {
    pub message: String,
    /// Wake only if this says to (admins only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precheck: Option<PreCheck>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Todo,
    InProgress,
    InReview,
    Done,
    Cancelled,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Todo => "todo",
            TaskStatus::InProgress => "in_progress",
            TaskStatus::InReview => "in_review",
            TaskStatus::Done => "done",
            TaskStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<TaskStatus> {
        [
            TaskStatus::Todo,
            TaskStatus::InProgress,
            TaskStatus::InReview,
            TaskStatus::Done,
            TaskStatus::Cancelled,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Task {
    pub id: String,
    pub title: String,
    pub body: String,
    pub status: TaskStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<AssistantId>,
    /// The task a follow-up was filed for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// Seen only by those who see this assistant, whoever the task is
    /// assigned to (a follow-up keeps the visibility of what it follows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_to: Option<AssistantId>,
    pub session_ids: Vec<SessionId>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateTask {
    pub title: String,
    #[serde(default)]
    pub body: String,
    /// Assigning wakes the assistant with the task.
    #[serde(default)]
    pub assignee_id: Option<AssistantId>,
}

/// Fields to change. A new assignee is woken with the task.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateTask {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TaskStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<AssistantId>,
}

/// A schedule and a prompt for an assistant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Routine {
    pub id: String,
    pub assistant_id: AssistantId,
    /// Five fields (minute hour day month weekday), or six with seconds first.
    pub cron: String,
    /// IANA name, e.g. `Europe/Berlin`.
    pub time_zone: String,
    pub prompt: String,
    pub enabled: bool,
    /// The schedule in words, e.g. "At 09:00 on Monday".
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_run_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_run_at: Option<i64>,
    pub created_at: i64,
    /// A cheap command run first; the routine wakes the assistant only if
    /// it says to (set by admins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precheck: Option<PreCheck>,
}

/// A shell command run in the assistant's workspace before a routine or a
/// heartbeat wakes it, so a check that finds nothing to do costs no tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreCheck {
    /// Run with `sh -c`, in the workspace, for at most 30 s.
    pub command: String,
    #[serde(default)]
    pub wake_when: WakeWhen,
}

/// When a pre-check lets the wake through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WakeWhen {
    /// The command exits 0.
    #[default]
    ExitsZero,
    /// Its output differs from the last run's (the first run counts).
    OutputChanged,
}

/// The longest pre-check command taken.
pub const MAX_PRECHECK_COMMAND: usize = 4096;

impl PreCheck {
    pub fn check(&self) -> Result<(), String> {
        if self.command.trim().is_empty() {
            return Err("precheck.command: must not be empty".into());
        }
        if self.command.len() > MAX_PRECHECK_COMMAND {
            return Err(format!(
                "precheck.command: at most {MAX_PRECHECK_COMMAND} bytes"
            ));
        }
        if self.command.contains('\0') {
            return Err("precheck.command: no NUL characters".into());
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateRoutine {
    pub cron: String,
    pub time_zone: String,
    pub prompt: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precheck: Option<PreCheck>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateRoutine {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// A new pre-check; `remove_precheck` takes it away.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precheck: Option<PreCheck>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub remove_precheck: bool,
}

/// A call from Tandem's MCP server (`tandem mcp`) on an agent's behalf,
/// authorised by the run's bearer token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "tool", content = "arguments", rename_all = "snake_case")]
pub enum ToolCallRequest {
    ReadMemory {
        #[serde(default)]
        assistant_id: Option<AssistantId>,
    },
    WriteMemory {
        text: String,
        #[serde(default)]
        assistant_id: Option<AssistantId>,
    },
    AppendJournal {
        text: String,
        #[serde(default)]
        assistant_id: Option<AssistantId>,
    },
    ListTasks,
    CreateTask {
        title: String,
        #[serde(default)]
        body: String,
        /// An assistant's id or name; assigning wakes it.
        #[serde(default)]
        assignee: Option<String>,
    },
    UpdateTask {
        id: String,
        #[serde(default)]
        title: Option<String>,
        #[serde(default)]
        body: Option<String>,
        #[serde(default)]
        status: Option<TaskStatus>,
    },
    PostChat {
        text: String,
    },
    WakeAssistant {
        /// The other assistant's id or name.
        assistant: String,
        message: String,
    },
    /// The change this session made so far, as a unified diff (one page).
    ReadMyDiff {
        #[serde(default)]
        from_file: Option<u32>,
    },
    /// Asks the people to merge this session's branch (a person merges).
    ProposeMerge {
        #[serde(default)]
        note: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ToolCallAnswer {
    /// What the agent reads back.
    pub text: String,
}

/// What a rule does with a matching permission request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RuleAction {
    /// Answered "allow" without asking.
    Allow,
    /// A person is asked (the default).
    Ask,
    /// Answered "reject" without asking; wins over every other layer.
    Block,
}

impl RuleAction {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleAction::Allow => "allow",
            RuleAction::Ask => "ask",
            RuleAction::Block => "block",
        }
    }

    pub fn parse(text: &str) -> Option<RuleAction> {
        [RuleAction::Allow, RuleAction::Ask, RuleAction::Block]
            .into_iter()
            .find(|a| a.as_str() == text)
    }
}

/// An approval rule: a tool kind (or any) and a prefix of the command,
/// path or URL the tool call is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApprovalRule {
    pub id: String,
    /// `None`: Tandem-wide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assistant_id: Option<AssistantId>,
    /// `None`: any kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<crate::ToolKind>,
    pub prefix: String,
    pub action: RuleAction,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateRule {
    #[serde(default)]
    pub kind: Option<crate::ToolKind>,
    pub prefix: String,
    pub action: RuleAction,
}

/// An approval waiting for a person, across all assistants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PendingApproval {
    pub approval_id: crate::ApprovalId,
    pub session_id: SessionId,
    pub session_title: String,
    pub assistant_id: AssistantId,
    pub tool_call: crate::ToolCallPatch,
    pub options: Vec<crate::PermissionOption>,
    pub created_at: i64,
}

/// This server's VAPID public key: what a browser subscribes with
/// (`applicationServerKey`), base64url without padding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushKey {
    pub public_key: String,
}

/// A browser's push subscription keys, as `PushSubscription.toJSON()`
/// gives them (base64url).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushKeys {
    pub p256dh: String,
    pub auth: String,
}

/// A device subscribing to pushes: its push service's endpoint and keys,
/// and a name the person recognises it by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewPushSubscription {
    pub endpoint: String,
    pub keys: PushKeys,
    #[serde(default)]
    pub device: String,
}

/// One of a person's subscribed devices (the endpoint and keys stay on
/// the server).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushDevice {
    pub id: String,
    pub device: String,
    /// The push service's host, so devices can be told apart.
    pub service: String,
    pub created_at: i64,
    pub last_sent_at: Option<i64>,
}

/// What may push to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PushKind {
    /// An approval waits for someone who may answer it.
    Approval,
    /// A session ended (completed, stopped) or failed.
    Ended,
    /// A monthly budget passed its warning, or was reached.
    Budget,
}

/// A kind of push a person turned off for one assistant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushMute {
    pub assistant_id: AssistantId,
    pub kind: PushKind,
}

/// What a push carries, encrypted for one device; the service worker shows
/// it. An approval carries its options so the notification can answer it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushMessage {
    pub kind: PushMessageKind,
    pub title: String,
    pub body: String,
    /// Where a tap leads, e.g. `/#/sessions/ses_…`.
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<SessionId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_id: Option<ApprovalId>,
    /// At most two: the notification's action buttons (allow once, reject).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<PushAction>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PushMessageKind {
    Approval,
    Ended,
    Budget,
    Test,
}

/// A notification button that answers an approval with one option.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushAction {
    pub option_id: String,
    pub title: String,
}

/// The kinds of push a person turned off, per assistant (every other
/// kind, for every assistant they see, pushes).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushMutes {
    pub mutes: Vec<PushMute>,
}
