//! `tandem agent shell`: an ACP agent inside the Tandem binary, so Tandem
//! does real work with no AI account. Each non-empty line of a prompt is a
//! shell command: the agent asks permission (allow once, allow always,
//! reject), runs it in the session's directory, streams its output as
//! tool-call updates, and ends the turn naming the exit status.

mod turn;

use crate::acp::jsonrpc::{self, Incoming, RpcError};
use crate::acp::schema as acp;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

#[derive(Debug, thiserror::Error)]
pub enum ShellAgentError {
    #[error("stdout closed: {0}")]
    Output(#[from] std::io::Error),
    #[error("could not encode a message: {0}")]
    Encode(#[from] serde_json::Error),
}

struct ShellSession {
    cwd: PathBuf,
    /// "Allow always" was chosen: later commands run without asking.
    always_allowed: bool,
}

/// The agent's side of the wire.
pub(crate) struct Wire {
    incoming: mpsc::Receiver<Incoming>,
    out: tokio::io::Stdout,
    next_id: u64,
}

impl Wire {
    async fn write(&mut self, line: String) -> Result<(), ShellAgentError> {
        self.out.write_all(line.as_bytes()).await?;
        self.out.write_all(b"\n").await?;
        self.out.flush().await?;
        Ok(())
    }

    pub(crate) async fn respond<R: Serialize>(
        &mut self,
        id: &Value,
        result: Result<R, RpcError>,
    ) -> Result<(), ShellAgentError> {
        let line = match result {
            Ok(value) => jsonrpc::result(id, value)?,
            Err(error) => jsonrpc::error(id, &error)?,
        };
        self.write(line).await
    }

    pub(crate) async fn update(
        &mut self,
        session_id: &str,
        update: acp::SessionUpdate,
    ) -> Result<(), ShellAgentError> {
        let line = jsonrpc::notification(
            "session/update",
            acp::SessionNotification::new(session_id.to_owned(), update),
        )?;
        self.write(line).await
    }

    pub(crate) async fn request<P: Serialize>(
        &mut self,
        method: &str,
        params: P,
    ) -> Result<Value, ShellAgentError> {
        let id = self.next_id;
        self.next_id += 1;
        self.write(jsonrpc::request(id, method, params)?).await?;
        Ok(Value::from(id))
    }
}

pub async fn run() -> Result<(), ShellAgentError> {
    let (tx, incoming) = mpsc::channel(64);
    tokio::spawn(async move {
        let mut lines = BufReader::new(tokio::io::stdin()).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            match jsonrpc::parse(&line) {
                Ok(message) => {
                    if tx.send(message).await.is_err() {
                        return;
                    }
                }
                Err(error) => eprintln!("tandem shell agent: ignoring a bad line: {error}"),
            }
        }
    });
    let mut wire = Wire {
        incoming,
        out: tokio::io::stdout(),
        next_id: 1,
    };
    let mut sessions: HashMap<String, ShellSession> = HashMap::new();
    let mut next_session = 1u64;

    while let Some(message) = wire.incoming.recv().await {
        let Incoming::Request { id, method, params } = message else {
            // Notifications outside a turn (a late cancel) need no answer.
            continue;
        };
        match method.as_str() {
            "initialize" => {
                let answer =
                    acp::InitializeResponse::new(agent_client_protocol_schema::ProtocolVersion::V1)
                        .agent_info(acp::Implementation::new(
                            "tandem-shell",
                            env!("CARGO_PKG_VERSION"),
                        ));
                wire.respond(&id, Ok(answer)).await?;
            }
            "session/new" => match serde_json::from_value::<acp::NewSessionRequest>(params) {
                Ok(request) => {
                    let session_id = format!("shell-{}-{next_session}", std::process::id());
                    next_session += 1;
                    sessions.insert(
                        session_id.clone(),
                        ShellSession {
                            cwd: request.cwd,
                            always_allowed: false,
                        },
                    );
                    wire.respond(&id, Ok(acp::NewSessionResponse::new(session_id)))
                        .await?;
                }
                Err(error) => wire.respond::<()>(&id, Err(invalid(error))).await?,
            },
            "session/prompt" => match serde_json::from_value::<acp::PromptRequest>(params) {
                Ok(request) => {
                    let session_id = request.session_id.0.to_string();
                    let Some(session) = sessions.get_mut(&session_id) else {
                        wire.respond::<()>(
                            &id,
                            Err(RpcError::new(
                                RpcError::RESOURCE_NOT_FOUND,
                                format!("no session {session_id}"),
                            )),
                        )
                        .await?;
                        continue;
                    };
                    // The commands are the last text block: a cold start
                    // puts Tandem's context block before it, which a shell
                    // has no use for.
                    let text: String = request
                        .prompt
                        .iter()
                        .rev()
                        .find_map(|block| match block {
                            acp::ContentBlock::Text(text) => Some(text.text.clone()),
                            _ => None,
                        })
                        .unwrap_or_default();
                    let stop = turn::run_turn(
                        &mut wire,
                        &session_id,
                        &session.cwd,
                        &mut session.always_allowed,
                        &text,
                    )
                    .await?;
                    wire.respond(&id, Ok(acp::PromptResponse::new(stop)))
                        .await?;
                }
                Err(error) => wire.respond::<()>(&id, Err(invalid(error))).await?,
            },
            other => {
                wire.respond::<()>(
                    &id,
                    Err(RpcError::new(
                        RpcError::METHOD_NOT_FOUND,
                        format!("the shell agent does not offer {other}"),
                    )),
                )
                .await?
            }
        }
    }
    Ok(())
}

fn invalid(error: serde_json::Error) -> RpcError {
    RpcError::new(RpcError::INVALID_PARAMS, error.to_string())
}
