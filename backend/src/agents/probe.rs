//! "Check agent": start an assistant's agent in a scratch directory, ask it
//! who it is (`initialize`) and what a session offers (`session/new`: modes,
//! model and other options), then end it. Errors are the agent's own words.

use crate::acp::connection::{AgentConnection, AgentInput, LaunchSpec};
use crate::acp::fold;
use crate::acp::jsonrpc::Incoming;
use crate::acp::schema as acp;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;
use tandem_shared::api::AgentProbe;
use tandem_shared::EventBody;

/// Runs the probe; the agent's process group is gone when it returns.
pub async fn probe(
    launch: &LaunchSpec,
    scratch: &Path,
    sandbox: Option<&crate::sandbox::Prepared>,
    timeout: Duration,
) -> AgentProbe {
    let mut found = AgentProbe::default();
    let mut conn = match AgentConnection::spawn(launch, scratch, sandbox) {
        Ok(conn) => conn,
        Err(error) => {
            found.error = Some(error.to_string());
            return found;
        }
    };
    let init = acp::InitializeRequest::new(agent_client_protocol_schema::ProtocolVersion::V1)
        .client_capabilities(acp::ClientCapabilities::new().terminal(false))
        .client_info(acp::Implementation::new(
            "tandem",
            env!("CARGO_PKG_VERSION"),
        ));
    let init = match ask(&mut conn, "initialize", init, timeout).await {
        Ok(answer) => answer,
        Err(error) => {
            found.error = Some(error);
            return found;
        }
    };
    match serde_json::from_value::<acp::InitializeResponse>(init) {
        Ok(init) => {
            if let Some(info) = &init.agent_info {
                found.agent_name = Some(info.name.clone());
                found.agent_version = Some(info.version.clone());
            }
            found.auth_methods = init
                .auth_methods
                .iter()
                .map(|method| method.name().to_owned())
                .collect();
        }
        Err(error) => {
            found.error = Some(format!(
                "the agent's initialize answer is malformed: {error}"
            ));
            return found;
        }
    }
    let new = acp::NewSessionRequest::new(scratch.to_path_buf());
    match ask(&mut conn, "session/new", new, timeout).await {
        Ok(answer) => {
            let models = fold::models(&answer);
            match serde_json::from_value::<acp::NewSessionResponse>(answer) {
                Ok(session) => {
                    if let Some(EventBody::AgentModes { current, available }) =
                        session.modes.as_ref().map(fold::modes)
                    {
                        found.current_mode = Some(current);
                        found.modes = available;
                    }
                    found.options =
                        fold::session_options(session.config_options.as_deref(), models)
                            .unwrap_or_default();
                }
                Err(error) => {
                    found.error = Some(format!(
                        "the agent's session/new answer is malformed: {error}"
                    ))
                }
            }
        }
        Err(error) => found.error = Some(error),
    }
    found
}

/// One request and its answer within `timeout`; the agent's error as it
/// sent it.
async fn ask<P: serde::Serialize>(
    conn: &mut AgentConnection,
    method: &str,
    params: P,
    timeout: Duration,
) -> Result<Value, String> {
    let id = conn
        .request(method, params)
        .await
        .map_err(|_| conn.exit_reason("before it was asked anything"))?;
    let id = Value::from(id);
    let answer = tokio::time::timeout(timeout, async {
        loop {
            match conn.recv().await {
                AgentInput::Message(Incoming::Response { id: got, outcome }) if got == id => {
                    return outcome.map_err(|error| {
                        format!("the agent answered {method} with an error: {error}")
                    });
                }
                AgentInput::Closed => return Err(conn.exit_reason("while it was checked")),
                AgentInput::Lost(reason) => return Err(reason),
                AgentInput::Invalid { excerpt, error } => {
                    return Err(format!(
                        "the agent broke the protocol: {error}: {excerpt:?}"
                    ))
                }
                // Notifications and its own requests: not what a check asks.
                AgentInput::Message(_) => {}
            }
        }
    })
    .await;
    answer.unwrap_or_else(|_| {
        Err(format!(
            "the agent did not answer {method} within {} s",
            timeout.as_secs()
        ))
    })
}
