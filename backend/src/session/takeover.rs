//! Taking over a runner's agent mid-run. A runner's agent lives on when
//! the server speaking to it dies, or when the runner's link comes back to
//! another server behind the load balancer; the server the runner links to
//! then takes the run over where the store says it stood (`remote_runs`,
//! kept by `run_record.rs`): the agent's session, the prompt it is
//! answering, the lines of it already stored, the pending approvals and the
//! run's tool token. A live owner is asked to let go first (it hands over
//! the stdin lines the runner had not received); a dead one's lease is
//! waited out, and the stdin lines it had sent that the runner never
//! received are read from the store.

use super::adopted::{Adopted, Adoption};
use super::ending::Ending;
use super::manager::Sessions;
use super::run::{AgentRun, Phase};
use crate::cluster::{Claim, RemoteCommand, RemoteReply};
use std::sync::Arc;
use std::time::Duration;
use tandem_shared::runner::Held;
use tandem_shared::EventBody;

/// How often a server waiting to take a run over looks again.
const LOOK_EVERY: Duration = Duration::from_millis(500);

/// The runner said hello holding `held`: each process no actor here speaks
/// to, recorded as the agent of a run on this runner, is registered to be
/// taken over (before the welcome, so the welcome wants it) and taken over
/// once its session is free.
pub async fn expect_held(sessions: &Arc<Sessions>, runner_id: &str, held: &[Held]) {
    let ctx = sessions.context();
    for process in held {
        // An agent that exited meanwhile is taken over too: its last lines
        // (the turn's answer, say) are still to be read.
        if ctx.runners.holds(runner_id, &process.process) {
            continue;
        }
        let run = match ctx.store.remote_run(&process.process).await {
            Ok(Some(run)) if run.runner_id == runner_id => run,
            Ok(_) => continue,
            Err(error) => {
                tracing::warn!(%error, "could not read a runner's process");
                continue;
            }
        };
        let stdin_lines = process.queued.max(process.stdin);
        let (remote, lines) =
            ctx.runners
                .expect(runner_id, &process.process, run.stored_lines, stdin_lines);
        let adopted = Adopted {
            remote,
            lines,
            run,
            stdin_lines,
        };
        tokio::spawn(take_over_when_free(sessions.clone(), adopted));
    }
}

/// Claims the session once no live server runs it (asking a live owner to
/// let go), then starts its actor on the running agent. Gives up, and the
/// agent ends, when the session ends meanwhile or stays held too long.
async fn take_over_when_free(sessions: Arc<Sessions>, mut adopted: Adopted) {
    let ctx = sessions.context().clone();
    let session_id = adopted.run.session_id.clone();
    let give_up_at = tokio::time::Instant::now() + ctx.cluster.lease() * 3 + ctx.runners.timeout;
    let mut asked = false;
    loop {
        let record = match ctx.store.get_session(&session_id).await {
            Ok(Some(record)) => Some(record),
            Ok(None) => None,
            Err(error) => {
                tracing::warn!(session = %session_id, %error, "could not read a session to take over");
                tokio::time::sleep(LOOK_EVERY).await;
                continue;
            }
        };
        let Some(record) = record.filter(|r| r.summary.status.is_live()) else {
            break;
        };
        if sessions.is_live(&session_id) {
            break;
        }
        match ctx
            .cluster
            .claim(&session_id, &record.summary.assistant_id)
            .await
        {
            Ok(Claim::Mine) => {
                // Read again: the owner that let go stored more meanwhile.
                match ctx.store.remote_run(&adopted.run.process).await {
                    Ok(Some(run)) => {
                        adopted.run = run;
                        send_kept_stdin(&ctx, &mut adopted).await;
                    }
                    Ok(None) => {
                        ctx.cluster.release(&session_id).await;
                        break;
                    }
                    Err(error) => {
                        tracing::warn!(%error, "could not read a run to take over");
                        ctx.cluster.release(&session_id).await;
                        break;
                    }
                }
                if let Err(error) = sessions.adopt(record, adopted).await {
                    tracing::error!(session = %session_id, %error, "could not take a run over");
                    ctx.cluster.release(&session_id).await;
                }
                return;
            }
            Ok(Claim::Elsewhere(node)) if !node.is_empty() && !asked => {
                asked = true;
                let command = RemoteCommand::LetGo {
                    process: adopted.run.process.clone(),
                };
                match ctx.cluster.forward(&node, &session_id, &command).await {
                    Ok(RemoteReply::LetGo { unwritten }) => {
                        // What the runner never received goes first, in order.
                        for (seq, text) in unwritten {
                            if seq == adopted.stdin_lines + 1 {
                                ctx.runners.stdin(&adopted.remote, text);
                                adopted.stdin_lines = seq;
                            }
                        }
                    }
                    Ok(other) => {
                        tracing::info!(session = %session_id, ?other, "the session's server did not let go of its agent")
                    }
                    Err(error) => {
                        // Dead (its lease runs out) or slow: look again.
                        asked = false;
                        tracing::info!(session = %session_id, %error, "could not ask the session's server to let go")
                    }
                }
                continue;
            }
            Ok(Claim::Elsewhere(_)) => {}
            Err(error) => {
                tracing::warn!(session = %session_id, %error, "could not claim a session")
            }
        }
        if tokio::time::Instant::now() >= give_up_at {
            break;
        }
        tokio::time::sleep(LOOK_EVERY).await;
    }
    // Nobody runs it on: the agent ends.
    ctx.runners.forget(&adopted.remote);
    if let Err(error) = ctx.store.forget_remote_run(&adopted.run.process).await {
        tracing::warn!(%error, "could not forget a runner's process");
    }
}

/// The stdin lines the last server sent that the runner never received
/// (kept in the store; a dead server cannot hand them over), in order.
async fn send_kept_stdin(ctx: &super::Context, adopted: &mut Adopted) {
    match ctx
        .store
        .remote_stdin_after(&adopted.run.process, adopted.stdin_lines)
        .await
    {
        Ok(lines) => {
            for (seq, text) in lines {
                if seq == adopted.stdin_lines + 1 {
                    ctx.runners.stdin(&adopted.remote, text);
                    adopted.stdin_lines = seq;
                }
            }
        }
        Err(error) => tracing::warn!(%error, "could not read a runner's kept stdin"),
    }
}

impl AgentRun<'_> {
    /// Goes on with a run another server started: its pending approvals
    /// wait here, the open prompt's answer ends its turn as usual, and the
    /// queue follows.
    pub(super) async fn take_over(&mut self, adoption: Adoption) -> Ending {
        let ctx = self.session.ctx.clone();
        self.stored_lines = adoption.stored_lines;
        if let Some((process, _)) = self.conn.remote_lines() {
            if let Err(error) = ctx
                .store
                .remote_run_moved(process, &ctx.cluster.node_id)
                .await
            {
                tracing::warn!(%error, "could not record a run taken over");
            }
        }
        let waiting = self
            .permissions
            .take_over(&self.session.log.summary.id)
            .await;
        self.session.log.stage(EventBody::Notice {
            text: format!(
                "The server `{}` took this session over; its agent went on running on the runner.",
                ctx.cluster.name
            ),
        });
        // Said now: the agent may be waiting on a person, saying nothing.
        if let Err(ending) = self.session.log.flush().await {
            return ending;
        }
        if self.session.log.summary.status == tandem_shared::SessionStatus::Paused {
            // Frozen on the runner as the last server left it.
            self.paused = Some(if waiting > 0 {
                tandem_shared::SessionStatus::WaitingApproval
            } else {
                tandem_shared::SessionStatus::Running
            });
        }
        let Some(agent_session) = adoption.agent_session else {
            return Ending::lost(
                "the server running this session stopped while its agent was starting",
            );
        };
        self.agent_session = Some(agent_session.clone());
        let Some(prompt_id) = adoption.prompt_id else {
            return self.turns(&agent_session).await;
        };
        let answer = match self
            .await_answer(prompt_id, "session/prompt", Phase::Turn, None)
            .await
        {
            Ok(Ok(answer)) => answer,
            Ok(Err(error)) => {
                return Ending::failed(format!(
                    "the agent answered session/prompt with an error: {error}"
                ))
            }
            Err(ending) => return ending,
        };
        self.remote_prompt(None).await;
        if let Some(tokens) = super::spending::turn_tokens(&answer) {
            self.stage_spend(tokens, None);
        }
        let stop_reason = serde_json::from_value::<crate::acp::schema::PromptResponse>(answer)
            .map(|response| response.stop_reason)
            .ok();
        if let Some(ending) = self.after_turn(stop_reason) {
            return ending;
        }
        self.turns(&agent_session).await
    }
}

impl Sessions {
    /// Starts the actor of a session this server took over, on the
    /// runner's agent that runs on.
    pub(super) async fn adopt(
        &self,
        record: crate::store::SessionRecord,
        adopted: Adopted,
    ) -> Result<(), crate::store::StoreError> {
        let ctx = self.context().clone();
        let Some(assistant) = ctx
            .store
            .get_assistant(&record.summary.assistant_id)
            .await?
        else {
            ctx.runners.forget(&adopted.remote);
            return Ok(());
        };
        let Some(mailbox) = self.registry().register(&record.summary.id, &assistant.id) else {
            ctx.runners.forget(&adopted.remote);
            return Ok(());
        };
        let actor = super::actor::SessionActor::new(
            ctx.clone(),
            self.registry().clone(),
            mailbox,
            record,
            assistant,
            None,
            "The server that ran this session stopped; this one took it over.".to_owned(),
        )
        .adopting(adopted);
        super::supervisor::spawn(&ctx, self.registry(), actor);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::acp::connection::{AgentConnection, AgentInput};
    use crate::acp::jsonrpc::Incoming;
    use crate::runners::links::Links;
    use std::sync::Arc;
    use std::time::Duration;
    use tandem_shared::runner::{HubFrame, RunnerFrame};

    fn line(seq: u64) -> RunnerFrame {
        RunnerFrame::Line {
            process: "prc_1".into(),
            seq,
            text: format!(r#"{{"jsonrpc":"2.0","method":"n","params":{{"line":{seq}}}}}"#),
        }
    }

    #[tokio::test]
    async fn a_run_taken_over_reads_on_after_the_lines_stored_and_acks_only_what_it_stored() {
        let links = Arc::new(Links::new(Duration::from_secs(60)));
        // The welcome was built from an older record (line 1 stored); by
        // the time the run is taken over the store says 3.
        let (remote, lines) = links.expect("run_1", "prc_1", 1, 5);
        let (out, mut sent) = tokio::sync::mpsc::unbounded_channel();
        let attached = links.attach(
            "run_1",
            "laptop",
            String::new(),
            String::new(),
            Vec::new(),
            &[],
            out,
        );
        match attached.welcome {
            HubFrame::Welcome { wanted, .. } => {
                assert_eq!(wanted.len(), 1);
                assert_eq!(
                    wanted[0].lines, 1,
                    "wanted from the line after those stored"
                );
            }
            other => panic!("{other:?}"),
        }
        for seq in 2..=4 {
            let replies = links.on_frame("run_1", line(seq)).await.expect("taken");
            assert!(
                replies.is_empty(),
                "nothing is acknowledged before it is stored"
            );
        }
        let mut conn = AgentConnection::adopted(remote, lines, links.clone(), 3, 5);
        match conn.recv().await {
            AgentInput::Message(Incoming::Notification { params, .. }) => {
                assert_eq!(params["line"], 4, "lines 2 and 3 were stored already")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(conn.remote_lines(), Some(("prc_1", 4)));
        conn.stored(4);
        let frame = sent.recv().await.expect("a frame");
        assert_eq!(
            frame,
            HubFrame::Took {
                process: "prc_1".into(),
                lines: 4
            }
        );
        // Its requests are numbered past every line the runner has.
        assert_eq!(conn.request("x", serde_json::json!({})).await.ok(), Some(6));
        conn.release();
    }
}
