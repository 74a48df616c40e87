//! `tandem mcp`: the MCP server an agent starts on stdio. Each tool forwards
//! to `POST /api/agent-tools/call` with the run's token, so access is
//! checked in one place, the API.

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, ServerCapabilities, ServerConfig};
use rmcp::{schemars, tool, tool_handler, tool_router, ErrorData, ServerHandler, ServiceExt};
use serde::Deserialize;
use tandem_shared::api::{ErrorBody, TaskStatus, ToolCallAnswer, ToolCallRequest};

/// Where the server calls, and with what: given by Tandem in the agent's
/// `mcpServers` entry.
pub const URL_VAR: &str = "TANDEM_MCP_URL";
pub const TOKEN_VAR: &str = "TANDEM_MCP_TOKEN";

#[derive(Debug, thiserror::Error)]
pub enum McpServerError {
    #[error("{URL_VAR} and {TOKEN_VAR} must be set (Tandem sets them for its agents)")]
    MissingSettings,
    #[error("MCP: {0}")]
    Protocol(String),
}

#[derive(Clone)]
pub struct TandemTools {
    url: String,
    token: String,
    http: reqwest::Client,
    tool_router: ToolRouter<Self>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct TextArgs {
    /// The text.
    pub text: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct CreateTaskArgs {
    pub title: String,
    #[serde(default)]
    pub body: String,
    /// Name or id of the assistant to assign it to; assigning wakes it.
    #[serde(default)]
    pub assignee: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct UpdateTaskArgs {
    pub id: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    /// todo, in_progress, in_review, done or cancelled.
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct DiffArgs {
    /// The file to start the page at (0, or the `from_file` the last page
    /// named).
    #[serde(default)]
    pub from_file: Option<u32>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct NoteArgs {
    /// What the people should know before merging.
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct WakeArgs {
    /// Name or id of the other assistant.
    pub assistant: String,
    pub message: String,
}

#[tool_router]
impl TandemTools {
    pub fn new(url: String, token: String) -> TandemTools {
        TandemTools {
            url,
            token,
            http: reqwest::Client::new(),
            tool_router: Self::tool_router(),
        }
    }

    async fn forward(&self, request: ToolCallRequest) -> Result<CallToolResult, ErrorData> {
        let response = self
            .http
            .post(format!("{}/api/agent-tools/call", self.url))
            .bearer_auth(&self.token)
            .json(&request)
            .send()
            .await;
        let text = match response {
            Err(error) => return Ok(failure(format!("Tandem is unreachable: {error}"))),
            Ok(response) if response.status().is_success() => {
                match response.json::<ToolCallAnswer>().await {
                    Ok(answer) => {
                        return Ok(CallToolResult::success(vec![ContentBlock::text(
                            answer.text,
                        )]))
                    }
                    Err(error) => format!("Tandem's answer was unreadable: {error}"),
                }
            }
            Ok(response) => match response.json::<ErrorBody>().await {
                Ok(body) => body.error.message,
                Err(_) => "Tandem refused the call".to_owned(),
            },
        };
        Ok(failure(text))
    }

    #[tool(description = "Read your memory: the markdown document you keep across sessions.")]
    async fn read_memory(&self) -> Result<CallToolResult, ErrorData> {
        self.forward(ToolCallRequest::ReadMemory { assistant_id: None })
            .await
    }

    #[tool(
        description = "Replace your memory with new markdown text. Read it first and keep what still matters."
    )]
    async fn write_memory(
        &self,
        Parameters(args): Parameters<TextArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        self.forward(ToolCallRequest::WriteMemory {
            text: args.text,
            assistant_id: None,
        })
        .await
    }

    #[tool(description = "Add a dated entry to your journal: what you did, learned or decided.")]
    async fn append_journal(
        &self,
        Parameters(args): Parameters<TextArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        self.forward(ToolCallRequest::AppendJournal {
            text: args.text,
            assistant_id: None,
        })
        .await
    }

    #[tool(description = "List tasks with their id, status, title and assignee.")]
    async fn list_tasks(&self) -> Result<CallToolResult, ErrorData> {
        self.forward(ToolCallRequest::ListTasks).await
    }

    #[tool(description = "Create a task, optionally assigned to an assistant (which wakes it).")]
    async fn create_task(
        &self,
        Parameters(args): Parameters<CreateTaskArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        self.forward(ToolCallRequest::CreateTask {
            title: args.title,
            body: args.body,
            assignee: args.assignee,
        })
        .await
    }

    #[tool(description = "Change a task's title, description or status.")]
    async fn update_task(
        &self,
        Parameters(args): Parameters<UpdateTaskArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let status = match args.status.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => match TaskStatus::parse(text) {
                Some(status) => Some(status),
                None => {
                    return Ok(failure(format!(
                    "status: `{text}` is not one of todo, in_progress, in_review, done, cancelled"
                )))
                }
            },
        };
        self.forward(ToolCallRequest::UpdateTask {
            id: args.id,
            title: args.title,
            body: args.body,
            status,
        })
        .await
    }

    #[tool(description = "Post a message in your chat, for the people you work with.")]
    async fn post_chat(
        &self,
        Parameters(args): Parameters<TextArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        self.forward(ToolCallRequest::PostChat { text: args.text })
            .await
    }

    #[tool(
        description = "Wake another assistant with a message, to hand it work or ask it something."
    )]
    async fn wake_assistant(
        &self,
        Parameters(args): Parameters<WakeArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        self.forward(ToolCallRequest::WakeAssistant {
            assistant: args.assistant,
            message: args.message,
        })
        .await
    }
    #[tool(
        description = "Read the change this session made so far: its branch against the base, as a unified diff with line numbers (uncommitted work included). Long changes come in pages: pass from_file as the answer says."
    )]
    async fn read_my_diff(
        &self,
        Parameters(args): Parameters<DiffArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        self.forward(ToolCallRequest::ReadMyDiff {
            from_file: args.from_file,
        })
        .await
    }

    #[tool(
        description = "Propose merging this session's branch into its base when the work is done: the people you work with are asked in your chat, and a person merges it."
    )]
    async fn propose_merge(
        &self,
        Parameters(args): Parameters<NoteArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        self.forward(ToolCallRequest::ProposeMerge {
            note: args.note.unwrap_or_default(),
        })
        .await
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for TandemTools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build()).with_instructions(
            "Tandem's tools for this assistant: memory, journal, tasks, chat, and waking other assistants.",
        )
    }
}

fn failure(text: String) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(text)])
}

/// Serves MCP on stdin/stdout until the agent closes it.
pub async fn run() -> Result<(), McpServerError> {
    let url = std::env::var(URL_VAR).map_err(|_| McpServerError::MissingSettings)?;
    let token = std::env::var(TOKEN_VAR).map_err(|_| McpServerError::MissingSettings)?;
    let service = TandemTools::new(url, token)
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|error| McpServerError::Protocol(error.to_string()))?;
    service
        .waiting()
        .await
        .map_err(|error| McpServerError::Protocol(error.to_string()))?;
    Ok(())
}
