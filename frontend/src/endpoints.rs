//! Every REST endpoint the web app calls, typed: the paths live here and
//! nowhere else, and each call says what it sends and what comes back.

use crate::api;
use tandem_shared::agent_state::{Choice, ChoiceApplied, Setting};
use tandem_shared::api::{
    AgentCheck, AgentKindInfo, AgentProbe, ApprovalRule, ArchiveSessions, Assistant, ChatMessage,
    CreateAssistant, CreateRoutine, CreateRule, CreateSession, CreateTask, Decide, DecisionResult,
    Heartbeat, JournalEntry, NewJournalEntry, NewWorkspace, PendingApproval, PostChat, PutSecret,
    Routine, SandboxInfo, SecretInfo, SendMessage, SendMessageResult, SessionQuery, SessionSummary,
    Task, UpdateAssistant, UpdateRoutine, UpdateTask, Wake, WorkspaceListing,
};
use tandem_shared::auth::{
    AddMember, ApiToken, AuthState, ChangePassword, CreateShareLink, CreateToken, CreateUser,
    CreatedShareLink, CreatedToken, Credentials, FirstAdmin, ShareLink, SharedSession, User,
};
use tandem_shared::changes::{Changes, Land, Landed, SendReview};
use tandem_shared::{ApprovalId, AssistantId, SessionId, UserId};

type Answer<T> = Result<T, String>;

pub mod auth {
    use super::*;

    pub async fn state() -> Answer<AuthState> {
        api::get("/api/auth/state").await
    }

    pub async fn setup(body: &FirstAdmin) -> Answer<User> {
        api::post("/api/auth/setup", body).await
    }

    pub async fn login(body: &Credentials) -> Answer<User> {
        api::post("/api/auth/login", body).await
    }

    pub async fn logout() -> Answer<()> {
        api::post_unit("/api/auth/logout", &()).await
    }

    pub async fn change_password(body: &ChangePassword) -> Answer<()> {
        api::post_unit("/api/auth/password", body).await
    }
}

pub mod push {
    use super::*;
    use tandem_shared::api::{NewPushSubscription, PushDevice, PushKey, PushMutes};

    pub async fn key() -> Answer<PushKey> {
        api::get("/api/push/key").await
    }

    pub async fn devices() -> Answer<Vec<PushDevice>> {
        api::get("/api/push/devices").await
    }

    pub async fn subscribe(body: &NewPushSubscription) -> Answer<PushDevice> {
        api::post("/api/push/devices", body).await
    }

    pub async fn remove(id: &str) -> Answer<()> {
        api::delete(&format!("/api/push/devices/{}", segment(id))).await
    }

    pub async fn test(id: &str) -> Answer<()> {
        api::post_unit(&format!("/api/push/devices/{}/test", segment(id)), &()).await
    }

    pub async fn mutes() -> Answer<PushMutes> {
        api::get("/api/push/mutes").await
    }

    pub async fn set_mutes(body: &PushMutes) -> Answer<()> {
        api::put_unit("/api/push/mutes", body).await
    }
}

pub mod people {
    use super::*;

    pub async fn list() -> Answer<Vec<User>> {
        api::get("/api/users").await
    }

    pub async fn create(body: &CreateUser) -> Answer<User> {
        api::post("/api/users", body).await
    }

    pub async fn tokens() -> Answer<Vec<ApiToken>> {
        api::get("/api/tokens").await
    }

    pub async fn create_token(body: &CreateToken) -> Answer<CreatedToken> {
        api::post("/api/tokens", body).await
    }

    pub async fn revoke_token(id: &str) -> Answer<()> {
        api::delete(&format!("/api/tokens/{}", segment(id))).await
    }
}

pub mod agents {
    use super::*;

    pub async fn list() -> Answer<Vec<AgentKindInfo>> {
        api::get("/api/agents").await
    }

    /// Whether this server's agents run sandboxed.
    pub async fn sandbox() -> Answer<SandboxInfo> {
        api::get("/api/sandbox").await
    }

    /// Checks an agent before its assistant exists, with typed secrets.
    pub async fn check(body: &AgentCheck) -> Answer<AgentProbe> {
        api::post("/api/agents/check", body).await
    }
}

pub mod workspaces {
    use super::*;

    /// A directory's subdirectories (the workspace root's when `None`).
    pub async fn list(path: Option<&str>) -> Answer<WorkspaceListing> {
        match path {
            Some(path) => api::get(&format!("/api/workspaces?path={}", segment(path))).await,
            None => api::get("/api/workspaces").await,
        }
    }

    pub async fn create(body: &NewWorkspace) -> Answer<WorkspaceListing> {
        api::post("/api/workspaces", body).await
    }
}

pub mod sessions {
    use super::*;

    pub async fn list(query: &SessionQuery) -> Answer<Vec<SessionSummary>> {
        api::get(&format!("/api/sessions{}", query_string(query))).await
    }

    pub async fn create(body: &CreateSession) -> Answer<SessionSummary> {
        api::post("/api/sessions", body).await
    }

    pub async fn archive(body: &ArchiveSessions) -> Answer<()> {
        api::post_unit("/api/sessions/archive", body).await
    }

    pub async fn send(id: &SessionId, body: &SendMessage) -> Answer<SendMessageResult> {
        api::post(&format!("{}/messages", path(id)), body).await
    }

    pub async fn stop(id: &SessionId) -> Answer<()> {
        api::post_unit(&format!("{}/stop", path(id)), &()).await
    }

    pub async fn pause(id: &SessionId) -> Answer<()> {
        api::post_unit(&format!("{}/pause", path(id)), &()).await
    }

    pub async fn resume(id: &SessionId) -> Answer<()> {
        api::post_unit(&format!("{}/resume", path(id)), &()).await
    }

    /// A member's choice of the agent's mode or an option.
    pub async fn choose(id: &SessionId, setting: &Setting) -> Answer<ChoiceApplied> {
        api::post(&format!("{}/choices", path(id)), setting).await
    }

    pub async fn share_links(id: &SessionId) -> Answer<Vec<ShareLink>> {
        api::get(&format!("{}/share-links", path(id))).await
    }

    pub async fn create_share_link(
        id: &SessionId,
        body: &CreateShareLink,
    ) -> Answer<CreatedShareLink> {
        api::post(&format!("{}/share-links", path(id)), body).await
    }

    pub async fn revoke_share_link(id: &SessionId, link_id: &str) -> Answer<()> {
        api::delete(&format!("{}/share-links/{}", path(id), segment(link_id))).await
    }

    /// The session's change: every file, and the hunks from `from_file` on.
    pub async fn changes(id: &SessionId, from_file: u32) -> Answer<Changes> {
        api::get(&format!("{}/changes?from_file={from_file}", path(id))).await
    }

    pub async fn review(id: &SessionId, body: &SendReview) -> Answer<SendMessageResult> {
        api::post(&format!("{}/review", path(id)), body).await
    }

    pub async fn land(id: &SessionId, body: &Land) -> Answer<Landed> {
        api::post(&format!("{}/land", path(id)), body).await
    }

    /// Every live link of the sessions this person can see.
    pub async fn all_share_links() -> Answer<Vec<ShareLink>> {
        api::get("/api/share-links").await
    }

    fn path(id: &SessionId) -> String {
        format!("/api/sessions/{}", segment(id.as_str()))
    }

    /// `?q=…&assistant_id=…` from the typed query; absent fields are left out.
    fn query_string(query: &SessionQuery) -> String {
        let mut pairs = Vec::new();
        if let Some(q) = &query.q {
            pairs.push(format!("q={}", segment(q)));
        }
        if let Some(assistant) = &query.assistant_id {
            pairs.push(format!("assistant_id={}", segment(assistant.as_str())));
        }
        if let Some(status) = query.status {
            pairs.push(format!("status={}", status.as_str()));
        }
        if let Some(archived) = query.archived {
            pairs.push(format!("archived={archived}"));
        }
        if pairs.is_empty() {
            String::new()
        } else {
            format!("?{}", pairs.join("&"))
        }
    }
}

pub mod assistants {
    use super::*;

    pub async fn list() -> Answer<Vec<Assistant>> {
        api::get("/api/assistants").await
    }

    pub async fn update(id: &AssistantId, body: &UpdateAssistant) -> Answer<Assistant> {
        api::patch(&path(id), body).await
    }

    pub async fn create(body: &CreateAssistant) -> Answer<Assistant> {
        api::post("/api/assistants", body).await
    }

    /// Its sessions' worktrees: those in use and kept branches first.
    pub async fn worktrees(id: &AssistantId) -> Answer<Vec<tandem_shared::changes::Worktree>> {
        api::get(&format!("{}/worktrees", path(id))).await
    }

    /// Starts the agent in a scratch directory and reports what it says.
    pub async fn check(id: &AssistantId) -> Answer<AgentProbe> {
        api::post(&format!("{}/check", path(id)), &()).await
    }

    /// The assistant's defaults for its agent's mode and options.
    pub async fn defaults(id: &AssistantId) -> Answer<Vec<Choice>> {
        api::get(&format!("{}/choices", path(id))).await
    }

    pub async fn set_default(id: &AssistantId, setting: &Setting) -> Answer<Vec<Choice>> {
        api::post(&format!("{}/choices", path(id)), setting).await
    }

    pub async fn secrets(id: &AssistantId) -> Answer<Vec<SecretInfo>> {
        api::get(&format!("{}/secrets", path(id))).await
    }

    pub async fn put_secret(id: &AssistantId, name: &str, body: &PutSecret) -> Answer<()> {
        api::put_unit(&format!("{}/secrets/{}", path(id), segment(name)), body).await
    }

    pub async fn delete_secret(id: &AssistantId, name: &str) -> Answer<()> {
        api::delete(&format!("{}/secrets/{}", path(id), segment(name))).await
    }

    pub async fn chat(id: &AssistantId) -> Answer<Vec<ChatMessage>> {
        api::get(&format!("{}/chat", path(id))).await
    }

    pub async fn post_chat(id: &AssistantId, body: &PostChat) -> Answer<Wake> {
        api::post(&format!("{}/chat", path(id)), body).await
    }

    pub async fn heartbeat(id: &AssistantId, body: &Heartbeat) -> Answer<Wake> {
        api::post(&format!("{}/heartbeat", path(id)), body).await
    }

    pub async fn wakes(id: &AssistantId) -> Answer<Vec<Wake>> {
        api::get(&format!("{}/wakes", path(id))).await
    }

    pub async fn journal(id: &AssistantId) -> Answer<Vec<JournalEntry>> {
        api::get(&format!("{}/journal", path(id))).await
    }

    pub async fn add_journal_entry(
        id: &AssistantId,
        body: &NewJournalEntry,
    ) -> Answer<JournalEntry> {
        api::post(&format!("{}/journal", path(id)), body).await
    }

    pub async fn routines(id: &AssistantId) -> Answer<Vec<Routine>> {
        api::get(&format!("{}/routines", path(id))).await
    }

    pub async fn add_routine(id: &AssistantId, body: &CreateRoutine) -> Answer<Routine> {
        api::post(&format!("{}/routines", path(id)), body).await
    }

    pub async fn members(id: &AssistantId) -> Answer<Vec<User>> {
        api::get(&format!("{}/members", path(id))).await
    }

    pub async fn add_member(id: &AssistantId, body: &AddMember) -> Answer<Vec<User>> {
        api::post(&format!("{}/members", path(id)), body).await
    }

    pub async fn remove_member(id: &AssistantId, user: &UserId) -> Answer<()> {
        api::delete(&format!("{}/members/{}", path(id), segment(user.as_str()))).await
    }

    fn path(id: &AssistantId) -> String {
        format!("/api/assistants/{}", segment(id.as_str()))
    }
}

pub mod routines {
    use super::*;

    pub async fn update(id: &str, body: &UpdateRoutine) -> Answer<Routine> {
        api::patch(&format!("/api/routines/{}", segment(id)), body).await
    }
}

/// Approval rules: an assistant's own, or Tandem-wide (`None`).
pub mod rules {
    use super::*;

    pub async fn list(assistant: Option<&AssistantId>) -> Answer<Vec<ApprovalRule>> {
        api::get(&path(assistant)).await
    }

    pub async fn add(assistant: Option<&AssistantId>, body: &CreateRule) -> Answer<ApprovalRule> {
        api::post(&path(assistant), body).await
    }

    pub async fn remove(id: &str) -> Answer<()> {
        api::delete(&format!("/api/rules/{}", segment(id))).await
    }

    fn path(assistant: Option<&AssistantId>) -> String {
        match assistant {
            Some(id) => format!("/api/assistants/{}/rules", segment(id.as_str())),
            None => "/api/rules".to_owned(),
        }
    }
}

pub mod tasks {
    use super::*;

    pub async fn list() -> Answer<Vec<Task>> {
        api::get("/api/tasks").await
    }

    pub async fn create(body: &CreateTask) -> Answer<Task> {
        api::post("/api/tasks", body).await
    }

    pub async fn update(id: &str, body: &UpdateTask) -> Answer<Task> {
        api::patch(&format!("/api/tasks/{}", segment(id)), body).await
    }
}

pub mod approvals {
    use super::*;

    pub async fn pending() -> Answer<Vec<PendingApproval>> {
        api::get("/api/approvals").await
    }

    pub async fn decide(id: &ApprovalId, body: &Decide) -> Answer<DecisionResult> {
        api::post(
            &format!("/api/approvals/{}/decision", segment(id.as_str())),
            body,
        )
        .await
    }
}

/// A share link's page, which needs no login.
pub mod share {
    use super::*;

    pub async fn info(token: &str) -> Answer<SharedSession> {
        api::get(&format!("/api/share/{}", segment(token))).await
    }

    /// The link's own socket.
    pub fn socket_path(token: &str) -> String {
        format!("/api/share/{}/ws", segment(token))
    }
}

/// The person's socket.
pub const SOCKET: &str = "/api/ws";

/// One path segment or query value, percent-encoded.
fn segment(value: &str) -> String {
    String::from(js_sys::encode_uri_component(value))
}

pub mod usage {
    use super::*;
    use tandem_shared::usage_report::{Grouping, UsageReport};

    /// `by`, optionally `split`, over `[from, to)` (ms).
    pub async fn report(
        by: Grouping,
        split: Option<Grouping>,
        from: i64,
        to: i64,
    ) -> Answer<UsageReport> {
        api::get(&format!("/api/usage?{}", query(by, split, from, to))).await
    }

    /// The same report as a CSV file to download.
    pub fn csv_link(by: Grouping, split: Option<Grouping>, from: i64, to: i64) -> String {
        format!("/api/usage.csv?{}", query(by, split, from, to))
    }

    fn query(by: Grouping, split: Option<Grouping>, from: i64, to: i64) -> String {
        let split = split
            .map(|split| format!("&split={}", split.as_str()))
            .unwrap_or_default();
        format!("by={}{split}&from={from}&to={to}", by.as_str())
    }
}

pub mod budgets {
    use super::*;
    use tandem_shared::budget::BudgetStanding;

    pub async fn list() -> Answer<Vec<BudgetStanding>> {
        api::get("/api/budgets").await
    }

    pub async fn of_assistant(id: &AssistantId) -> Answer<Vec<BudgetStanding>> {
        api::get(&format!("/api/assistants/{id}/budget")).await
    }

    /// Sets Tandem's budget (`None`) or an assistant's.
    pub async fn set(
        assistant: Option<&AssistantId>,
        body: &tandem_shared::budget::SetBudget,
    ) -> Answer<Vec<BudgetStanding>> {
        match assistant {
            Some(id) => api::put(&format!("/api/assistants/{id}/budget"), body).await,
            None => api::put("/api/budgets/team", body).await,
        }
    }

    pub async fn remove(assistant: Option<&AssistantId>) -> Answer<()> {
        match assistant {
            Some(id) => api::delete(&format!("/api/assistants/{id}/budget")).await,
            None => api::delete("/api/budgets/team").await,
        }
    }
}

pub mod prices {
    use super::*;
    use tandem_shared::spend::{ModelPrice, SavedPrice};

    pub async fn list() -> Answer<Vec<ModelPrice>> {
        api::get("/api/prices").await
    }

    pub async fn set(price: &ModelPrice) -> Answer<SavedPrice> {
        api::put(&format!("/api/prices/{}", path_part(&price.model)), price).await
    }

    pub async fn remove(model: &str) -> Answer<()> {
        api::delete(&format!("/api/prices/{}", path_part(model))).await
    }

    /// A model name as one path segment.
    fn path_part(model: &str) -> String {
        String::from(js_sys::encode_uri_component(model))
    }
}

pub mod runners {
    use super::*;
    use tandem_shared::runner::{CreateRunner, CreatedRunner, Runner, RunsOn};
    use tandem_shared::servers::ServerNode;

    pub async fn list() -> Answer<Vec<Runner>> {
        api::get("/api/runners").await
    }

    pub async fn create(body: &CreateRunner) -> Answer<CreatedRunner> {
        api::post("/api/runners", body).await
    }

    pub async fn revoke(id: &str) -> Answer<()> {
        api::delete(&format!("/api/runners/{}", segment(id))).await
    }

    pub async fn servers() -> Answer<Vec<ServerNode>> {
        api::get("/api/servers").await
    }

    pub async fn runs_on(assistant: &AssistantId) -> Answer<RunsOn> {
        api::get(&format!("/api/assistants/{assistant}/runner")).await
    }

    pub async fn set_runs_on(assistant: &AssistantId, body: &RunsOn) -> Answer<()> {
        api::put_unit(&format!("/api/assistants/{assistant}/runner"), body).await
    }
}
