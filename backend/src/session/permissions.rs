//! The agent's permission requests during a run: the rules that answer some
//! without asking, the approvals people answer (first answer wins in the
//! store), and settling what is still open when a turn ends or the agent
//! withdraws a request.

use super::command::DecideError;
use super::ending::Ending;
use super::log::SessionLog;
use super::replay::ReplayFilter;
use super::{rules, Context};
use crate::acp::connection::AgentConnection;
use crate::acp::inbound;
use crate::acp::jsonrpc::RpcError;
use crate::acp::schema as acp;
use crate::store::{DecideOutcome, StoreError};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use tandem_shared::api::{ApprovalRule, DecisionResult, RuleAction};
use tandem_shared::{
    ApprovalId, ApprovalState, AssistantId, DecisionOutcome, EventBody, PermissionKind,
    PermissionOption, ToolCallPatch,
};

struct Pending {
    rpc_id: Value,
    options: Vec<PermissionOption>,
    /// What it is about, for turning an "always" answer into a rule.
    tool_call: ToolCallPatch,
}

/// What became of a permission request.
pub enum Asked {
    /// A rule answered it, or it was malformed and refused.
    Answered,
    /// It waits for a person.
    Waiting,
}

pub struct Permissions {
    ctx: Arc<Context>,
    assistant_id: AssistantId,
    pending: HashMap<ApprovalId, Pending>,
    /// The session's worktree, read as the workspace by the rules.
    worktree: Option<rules::WorktreeMap>,
}

impl Permissions {
    pub fn new(ctx: Arc<Context>, assistant_id: AssistantId) -> Permissions {
        Permissions {
            ctx,
            assistant_id,
            pending: HashMap::new(),
            worktree: None,
        }
    }

    /// Rules judge paths in `worktree` as the workspace's.
    pub fn through(mut self, worktree: Option<rules::WorktreeMap>) -> Permissions {
        self.worktree = worktree;
        self
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Taking a run over: the session's pending approvals, as the run that
    /// asked them left them, wait for their answers here. Returns how many.
    pub async fn take_over(&mut self, session_id: &tandem_shared::SessionId) -> usize {
        let asked = match self.ctx.store.asked_approvals(session_id).await {
            Ok(asked) => asked,
            Err(error) => {
                tracing::error!(session = %session_id, %error, "could not read the pending approvals of a run taken over");
                return 0;
            }
        };
        for approval in asked {
            let Some(rpc_id) = approval.request.rpc_id else {
                continue;
            };
            self.pending.insert(
                approval.id,
                Pending {
                    rpc_id,
                    options: approval.request.options,
                    tool_call: approval.request.tool_call,
                },
            );
        }
        self.pending.len()
    }

    /// `session/request_permission`: answered by a rule, or an approval
    /// every member sees.
    pub async fn on_request(
        &mut self,
        log: &mut SessionLog,
        conn: &mut AgentConnection,
        rpc_id: Value,
        params: Value,
        replay: Option<&mut ReplayFilter>,
    ) -> Result<Asked, Ending> {
        // Asked already, of the run this one took over (the server that
        // died had not stored that it read the line): it is still waiting.
        if self
            .pending
            .values()
            .any(|pending| pending.rpc_id == rpc_id)
        {
            return Ok(Asked::Waiting);
        }
        let ask = match inbound::permission_request(params) {
            Ok(request) => request,
            Err(error) => {
                let answer: Result<Value, _> = Err(RpcError::new(
                    RpcError::INVALID_PARAMS,
                    format!("malformed permission request: {error}"),
                ));
                respond(conn, &rpc_id, answer).await?;
                return Ok(Asked::Answered);
            }
        };
        let approval_id = ApprovalId(self.ctx.ids.new_id("apr"));
        let inbound::PermissionAsk {
            mut tool_call,
            options,
        } = ask;
        if let Some(replay) = replay {
            replay.asked_about(&mut tool_call.id);
        }
        // The approval shows all that is known of the call (the agent's
        // request may name only its id; the diff came with the announcement).
        let tool_call = log.full_call(&tool_call).as_patch();
        if self
            .apply_rules(log, conn, &rpc_id, &approval_id, &tool_call, &options)
            .await?
        {
            return Ok(Asked::Answered);
        }
        let request = crate::store::ApprovalRequest {
            tool_call: tool_call.clone(),
            options: options.clone(),
            rpc_id: Some(rpc_id.clone()),
        };
        self.ctx
            .store
            .create_asked_approval(
                &approval_id,
                &log.summary.id,
                &request,
                self.ctx.clock.now_ms(),
            )
            .await
            .map_err(storage)?;
        self.ctx.hub.approvals_changed();
        self.ctx.push.to_assistant(
            &log.summary.assistant_id,
            tandem_shared::api::PushKind::Approval,
            crate::push::messages::approval(
                &log.summary.assistant_name,
                &log.summary.title,
                &log.summary.id,
                &approval_id,
                tool_call.title.as_deref().unwrap_or("a tool call"),
                &options,
            ),
        );
        self.pending.insert(
            approval_id.clone(),
            Pending {
                rpc_id,
                options: options.clone(),
                tool_call: tool_call.clone(),
            },
        );
        let always_keeps = always_keeps(log, &tool_call, &options);
        log.stage(EventBody::PermissionRequest {
            approval_id,
            tool_call,
            options,
            always_keeps,
        });
        Ok(Asked::Waiting)
    }

    /// Answers a request its rules decide (allow or block) without asking
    /// anyone, recording the request and the rule's decision. Returns
    /// whether a rule decided.
    async fn apply_rules(
        &mut self,
        log: &mut SessionLog,
        conn: &mut AgentConnection,
        rpc_id: &Value,
        approval_id: &ApprovalId,
        tool_call: &ToolCallPatch,
        options: &[PermissionOption],
    ) -> Result<bool, Ending> {
        let subject = rules::Subject::of(&log.full_call(tool_call))
            .with_links_resolved()
            .seen_through(self.worktree.as_ref());
        let tandem = self.ctx.store.rules(None).await.map_err(storage)?;
        let own = self
            .ctx
            .store
            .rules(Some(&self.assistant_id))
            .await
            .map_err(storage)?;
        let worktree = self.worktree.clone();
        let resolve = move |path: &str| {
            let real = rules::resolve_links(path);
            match &worktree {
                Some(map) => map.path(&real),
                None => real,
            }
        };
        let verdict = rules::decide_with(&subject, &tandem, &own, &resolve);
        let wanted: &[PermissionKind] = match verdict.action {
            RuleAction::Ask => return Ok(false),
            RuleAction::Allow => &[PermissionKind::AllowOnce, PermissionKind::AllowAlways],
            RuleAction::Block => &[PermissionKind::RejectOnce, PermissionKind::RejectAlways],
        };
        // An agent that offers no such option is asked about it as usual.
        let Some(option) = wanted
            .iter()
            .find_map(|kind| options.iter().find(|o| o.kind == *kind))
            .cloned()
        else {
            return Ok(false);
        };
        let by = verdict
            .rule
            .as_ref()
            .map(|rule| format!("rule {}", rules::describe(rule)));
        let now = self.ctx.clock.now_ms();
        self.ctx
            .store
            .create_approval(approval_id, &log.summary.id, tool_call, options, now)
            .await
            .map_err(storage)?;
        self.ctx
            .store
            .decide_approval(approval_id, &option.option_id, by.as_deref(), now)
            .await
            .map_err(storage)?;
        log.stage(EventBody::PermissionRequest {
            approval_id: approval_id.clone(),
            tool_call: tool_call.clone(),
            options: options.to_vec(),
            always_keeps: always_keeps(log, tool_call, options),
        });
        log.stage(EventBody::PermissionDecision {
            approval_id: approval_id.clone(),
            outcome: DecisionOutcome::Selected {
                option_id: option.option_id.clone(),
                kind: option.kind,
            },
            by,
        });
        respond(conn, rpc_id, Ok(selected(&option.option_id))).await?;
        Ok(true)
    }

    /// A person's answer. The store row decides who was first.
    pub async fn decide(
        &mut self,
        log: &mut SessionLog,
        conn: &mut AgentConnection,
        approval_id: ApprovalId,
        option_id: String,
        by: Option<String>,
    ) -> Result<DecisionResult, DecideError> {
        let Some(pending) = self.pending.get(&approval_id) else {
            return Err(match self.ctx.store.get_approval(&approval_id).await? {
                Some(record) if record.session_id == log.summary.id => {
                    DecideError::AlreadySettled {
                        state: record.state.as_str().to_owned(),
                        by: record.decided_by.unwrap_or_else(|| "Tandem".to_owned()),
                    }
                }
                _ => DecideError::NotFound,
            });
        };
        let Some(option) = pending
            .options
            .iter()
            .find(|option| option.option_id == option_id)
            .cloned()
        else {
            return Err(DecideError::UnknownOption(option_id));
        };
        match self
            .ctx
            .store
            .decide_approval(
                &approval_id,
                &option_id,
                by.as_deref(),
                self.ctx.clock.now_ms(),
            )
            .await?
        {
            DecideOutcome::Decided => self.ctx.hub.approvals_changed(),
            DecideOutcome::AlreadySettled { state, by } => {
                return Err(DecideError::AlreadySettled {
                    state: state.as_str().to_owned(),
                    by: by.unwrap_or_else(|| "Tandem".to_owned()),
                })
            }
            DecideOutcome::NotFound => return Err(DecideError::NotFound),
        }
        let Some(pending) = self.pending.remove(&approval_id) else {
            return Err(DecideError::NotFound);
        };
        self.remember_always(log, &option, &pending.tool_call)
            .await?;
        if respond(conn, &pending.rpc_id, Ok(selected(&option_id)))
            .await
            .is_err()
        {
            tracing::warn!(session = %log.summary.id, "agent gone before its permission answer");
        }
        log.stage(EventBody::PermissionDecision {
            approval_id: approval_id.clone(),
            outcome: DecisionOutcome::Selected {
                option_id: option_id.clone(),
                kind: option.kind,
            },
            by,
        });
        Ok(DecisionResult {
            approval_id,
            option_id,
        })
    }

    /// "Always" answers become rules of this assistant.
    async fn remember_always(
        &self,
        log: &SessionLog,
        option: &PermissionOption,
        tool_call: &ToolCallPatch,
    ) -> Result<(), StoreError> {
        let action = match option.kind {
            PermissionKind::AllowAlways => RuleAction::Allow,
            PermissionKind::RejectAlways => RuleAction::Block,
            _ => return Ok(()),
        };
        let subject =
            rules::Subject::of(&log.full_call(tool_call)).seen_through(self.worktree.as_ref());
        if subject.text.is_empty() {
            return Ok(());
        }
        for prefix in rules::remembered(&subject) {
            self.ctx
                .store
                .add_rule(&ApprovalRule {
                    id: self.ctx.ids.new_id("rul"),
                    assistant_id: Some(self.assistant_id.clone()),
                    kind: Some(subject.kind),
                    prefix,
                    action,
                    created_at: self.ctx.clock.now_ms(),
                })
                .await?;
        }
        Ok(())
    }

    /// Answers every open request as cancelled and marks its approval so:
    /// no approval is left pending for a request nobody waits on.
    pub async fn settle_all(
        &mut self,
        log: &mut SessionLog,
        mut conn: Option<&mut AgentConnection>,
        reason: &str,
    ) {
        if self.pending.is_empty() {
            return;
        }
        let now = self.ctx.clock.now_ms();
        if let Err(error) = self
            .ctx
            .store
            .settle_pending_approvals(&log.summary.id, ApprovalState::Cancelled, now)
            .await
        {
            tracing::error!(session = %log.summary.id, %error, "could not cancel approvals");
        }
        self.ctx.hub.approvals_changed();
        for (approval_id, pending) in std::mem::take(&mut self.pending) {
            if let Some(conn) = conn.as_deref_mut() {
                let answer =
                    acp::RequestPermissionResponse::new(acp::RequestPermissionOutcome::Cancelled);
                // The agent may be gone already; the approval is settled either way.
                let _ = conn.respond(&pending.rpc_id, Ok(answer)).await;
            }
            log.stage(EventBody::PermissionDecision {
                approval_id,
                outcome: DecisionOutcome::Cancelled {
                    reason: reason.to_owned(),
                },
                by: None,
            });
        }
    }

    /// The agent withdrew a request (`$/cancel_request`). When it was a
    /// permission request, its approval is cancelled for everyone and the
    /// request answered with "request cancelled" (-32800), as ACP asks.
    /// Returns whether one was withdrawn.
    pub async fn withdraw(
        &mut self,
        log: &mut SessionLog,
        conn: &mut AgentConnection,
        params: &Value,
    ) -> bool {
        let Some(request_id) = params.get("requestId") else {
            return false;
        };
        let Some(approval_id) = self
            .pending
            .iter()
            .find(|(_, pending)| &pending.rpc_id == request_id)
            .map(|(id, _)| id.clone())
        else {
            return false;
        };
        let Some(pending) = self.pending.remove(&approval_id) else {
            return false;
        };
        let now = self.ctx.clock.now_ms();
        if let Err(error) = self
            .ctx
            .store
            .settle_approval(&approval_id, ApprovalState::Cancelled, now)
            .await
        {
            tracing::error!(session = %log.summary.id, %error, "could not cancel an approval");
        }
        self.ctx.hub.approvals_changed();
        let cancelled: Result<Value, _> = Err(RpcError {
            code: RpcError::REQUEST_CANCELLED,
            message: "request cancelled".into(),
            data: None,
        });
        // Gone or not, the approval is cancelled for everyone.
        let _ = conn.respond(&pending.rpc_id, cancelled).await;
        log.stage(EventBody::PermissionDecision {
            approval_id,
            outcome: DecisionOutcome::Cancelled {
                reason: "the agent withdrew the request".into(),
            },
            by: None,
        });
        true
    }
}

fn selected(option_id: &str) -> acp::RequestPermissionResponse {
    acp::RequestPermissionResponse::new(acp::RequestPermissionOutcome::Selected(
        acp::SelectedPermissionOutcome::new(option_id.to_owned()),
    ))
}

async fn respond<R: serde::Serialize>(
    conn: &mut AgentConnection,
    rpc_id: &Value,
    answer: Result<R, RpcError>,
) -> Result<(), Ending> {
    match conn.respond(rpc_id, answer).await {
        Ok(()) => Ok(()),
        Err(_) => Err(Ending::failed(conn.exit_reason("mid-turn"))),
    }
}

fn storage(error: StoreError) -> Ending {
    Ending::storage(error.explain())
}

/// What an "always" answer to this request would keep as rules, for the
/// card to say before anyone answers.
fn always_keeps(
    log: &SessionLog,
    tool_call: &ToolCallPatch,
    options: &[PermissionOption],
) -> Vec<String> {
    let offers_always = options.iter().any(|o| {
        matches!(
            o.kind,
            PermissionKind::AllowAlways | PermissionKind::RejectAlways
        )
    });
    if !offers_always {
        return Vec::new();
    }
    let subject = rules::Subject::of(&log.full_call(tool_call));
    if subject.text.is_empty() {
        return Vec::new();
    }
    rules::remembered(&subject)
}
