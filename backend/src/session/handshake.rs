//! The start of a run: `initialize`, then the agent's own session — warm
//! (`session/resume` of the one it had when the agent offers it, which
//! replays nothing; else `session/load`) or cold (`session/new`, with the
//! context block for the first prompt), as continuity decides.

use super::continuity::{self, ColdReason, ContinuityInput, Identity, StartMode};
use super::ending::Ending;
use super::replay::{History, ReplayFilter};
use super::run::{AgentRun, Phase};
use crate::acp::fold;
use crate::acp::jsonrpc::RpcError;
use crate::acp::schema as acp;
use std::time::Duration;
use tandem_shared::{EventBody, SessionStatus};
use tokio::time::Instant;

/// The newest events of an agent session read to recognise its replay.
const REPLAY_HISTORY: i64 = 20_000;

impl AgentRun<'_> {
    /// Returns the agent's session id this run prompts.
    pub(super) async fn open_agent_session(&mut self) -> Result<String, Ending> {
        let ctx = self.session.ctx.clone();
        let deadline = Some(Instant::now() + ctx.config.agent_start_timeout);
        let init = self.initialize(deadline).await?;
        // `session/resume` opens the agent's session without replaying it.
        let resumable = init
            .agent_capabilities
            .session_capabilities
            .resume
            .is_some();
        let identity = Identity::load(&ctx, &self.session.assistant, &self.session.why)
            .await
            .map_err(|error| Ending::storage(error.explain()))?;
        let known = &self.session.known;
        let now = ctx.clock.now_ms();
        let mut mode = continuity::decide(&ContinuityInput {
            can_load: init.agent_capabilities.load_session || resumable,
            agent_session_id: known.id.as_deref(),
            started_fingerprint: known.fingerprint.as_deref(),
            current_fingerprint: &identity.fingerprint,
            agent_session_age: known
                .started_at
                .map(|at| Duration::from_millis(u64::try_from(now - at).unwrap_or(0))),
            agent_session_turns: u64::try_from(known.turns).unwrap_or(0),
            max_age: ctx.config.rotate_after,
            max_turns: ctx.config.rotate_turns,
        });
        if let (StartMode::Warm, Some(known)) = (&mode, self.session.known.id.clone()) {
            let answer = if resumable {
                let resume = acp::ResumeSessionRequest::new(known.clone(), self.workspace.clone())
                    .mcp_servers(self.mcp_servers.clone());
                self.call("session/resume", resume, Phase::Handshake, deadline)
                    .await
            } else {
                let load = acp::LoadSessionRequest::new(known.clone(), self.workspace.clone())
                    .mcp_servers(self.mcp_servers.clone());
                self.call("session/load", load, Phase::Loading, deadline)
                    .await
            };
            match answer {
                Ok(answer) => {
                    if !resumable {
                        // What the agent may replay after answering (Gemini).
                        let history = ctx
                            .store
                            .agent_session_history(&known, REPLAY_HISTORY)
                            .await
                            .map_err(|error| Ending::storage(error.explain()))?;
                        self.replay = Some(ReplayFilter::after_load(
                            History::from_events(&history),
                            self.session.log.summary.last_seq.0,
                        ));
                    }
                    self.session.log.stage(EventBody::Continuity {
                        mode: tandem_shared::StartMode::Warm,
                        reason: Some(self.warm_reason()),
                        context: None,
                    });
                    // Load and resume answers carry the same `modes` and
                    // `configOptions`; Gemini answers a load with `null`.
                    let models = fold::models(&answer);
                    let (modes, options) =
                        match serde_json::from_value::<acp::LoadSessionResponse>(answer) {
                            Ok(opened) => (
                                opened.modes,
                                fold::session_options(opened.config_options.as_deref(), models),
                            ),
                            Err(_) => (None, None),
                        };
                    self.settle_settings(&known, modes, options, deadline)
                        .await?;
                    return Ok(known);
                }
                // The agent no longer knows the session: start cold, once,
                // and say so.
                Err(ending) if ending.status == SessionStatus::Failed => {
                    mode = StartMode::Cold(ColdReason::WarmResumeFailed(
                        ending.reason.unwrap_or_default(),
                    ));
                }
                Err(ending) => return Err(ending),
            }
        }
        let reason = match &mode {
            StartMode::Cold(reason) => reason.describe(),
            StartMode::Warm => ColdReason::FirstRun.describe(),
        };
        self.new_agent_session(identity, reason, &init.auth_methods, deadline)
            .await
    }

    fn warm_reason(&self) -> String {
        match &self.session.known.inherited_from {
            Some(title) => format!("the agent resumed its own session, from “{title}”"),
            None => "the agent resumed its own session".to_owned(),
        }
    }

    async fn initialize(
        &mut self,
        deadline: Option<Instant>,
    ) -> Result<acp::InitializeResponse, Ending> {
        let fs = self.session.launch.fs;
        let init = acp::InitializeRequest::new(agent_client_protocol_schema::ProtocolVersion::V1)
            .client_capabilities(
                acp::ClientCapabilities::new()
                    .fs(acp::FileSystemCapabilities::new()
                        .read_text_file(fs)
                        .write_text_file(fs))
                    .terminal(false),
            )
            .client_info(acp::Implementation::new(
                "tandem",
                env!("CARGO_PKG_VERSION"),
            ));
        let answer = self
            .call("initialize", init, Phase::Handshake, deadline)
            .await?;
        serde_json::from_value(answer).map_err(|error| {
            Ending::failed(format!(
                "the agent's initialize answer is malformed: {error}"
            ))
        })
    }

    /// A cold start: a new agent session, remembered at once (so a killed
    /// process can still be resumed), and the context block for the first
    /// prompt.
    async fn new_agent_session(
        &mut self,
        identity: Identity,
        reason: String,
        auth_methods: &[acp::AuthMethod],
        deadline: Option<Instant>,
    ) -> Result<String, Ending> {
        let new = acp::NewSessionRequest::new(self.workspace.clone())
            .mcp_servers(self.mcp_servers.clone());
        let answer = match self
            .exchange("session/new", new, Phase::Handshake, deadline)
            .await?
        {
            Ok(answer) => answer,
            Err(error) if error.code == RpcError::AUTH_REQUIRED => {
                return Err(Ending::failed(needs_login(
                    &error.to_string(),
                    auth_methods,
                )))
            }
            Err(error) => {
                return Err(Ending::failed(format!(
                    "the agent answered session/new with an error: {error}"
                )))
            }
        };
        let models = fold::models(&answer);
        let new: acp::NewSessionResponse = serde_json::from_value(answer).map_err(|error| {
            Ending::failed(format!(
                "the agent's session/new answer is malformed: {error}"
            ))
        })?;
        let id = new.session_id.0.to_string();
        let ctx = self.session.ctx.clone();
        let now = ctx.clock.now_ms();
        ctx.store
            .set_agent_session(
                &self.session.log.summary.id,
                &id,
                &identity.fingerprint,
                now,
            )
            .await
            .map_err(|error| Ending::storage(error.explain()))?;
        let known = &mut self.session.known;
        known.id = Some(id.clone());
        known.fingerprint = Some(identity.fingerprint.clone());
        known.started_at = Some(now);
        known.turns = 0;
        self.session.log.stage(EventBody::Continuity {
            mode: tandem_shared::StartMode::Cold,
            reason: Some(reason),
            context: Some(identity.context.clone()),
        });
        self.context_for_next_prompt = Some(identity.context);
        let options = fold::session_options(new.config_options.as_deref(), models);
        self.settle_settings(&id, new.modes, options, deadline)
            .await?;
        Ok(id)
    }
}

/// What a person reads when the agent wants a login: what it said, the
/// ways it offers, and how Tandem's agents are usually given one.
fn needs_login(said: &str, methods: &[acp::AuthMethod]) -> String {
    let offered: Vec<String> = methods
        .iter()
        .map(|method| match method.description() {
            Some(description) => format!("{} ({description})", method.name()),
            None => method.name().to_owned(),
        })
        .collect();
    let offers = if offered.is_empty() {
        "It names no way to log in.".to_owned()
    } else {
        format!("It offers: {}.", offered.join("; "))
    };
    format!(
        "the agent needs a login before it can work: {said}. {offers} Give the \
         assistant its model key (e.g. ANTHROPIC_API_KEY, OPENAI_API_KEY, GEMINI_API_KEY) \
         in its environment, or log the agent in on this machine as the user Tandem runs as."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_request_names_the_ways_the_agent_offers() {
        let methods: Vec<acp::AuthMethod> = serde_json::from_value(serde_json::json!([
            {"id": "api-key", "name": "API key", "description": "Set OPENAI_API_KEY"},
            {"id": "chatgpt", "name": "ChatGPT login"}
        ]))
        .expect("methods");
        let text = needs_login("Authentication required (code -32000)", &methods);
        assert!(
            text.contains("Authentication required (code -32000)"),
            "{text}"
        );
        assert!(
            text.contains("It offers: API key (Set OPENAI_API_KEY); ChatGPT login."),
            "{text}"
        );
        assert!(needs_login("x", &[]).contains("It names no way to log in."));
    }
}
