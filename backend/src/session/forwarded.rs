//! Commands another server on the same database forwarded here, run as
//! this server's own handlers would run them (never forwarded again).

use super::command::SessionError;
use super::manager::Sessions;
use super::reach::{refusal_of_decide, refusal_of_session, Reach};
use super::Command;
use crate::cluster::remote::Refusal;
use crate::cluster::{RemoteCommand, RemoteReply};
use std::sync::Arc;
use std::time::Duration;
use tandem_shared::SessionId;
use tokio::sync::oneshot;

impl Sessions {
    /// Runs a command another server forwarded, here only.
    pub async fn run_forwarded(
        &self,
        session_id: &SessionId,
        command: RemoteCommand,
    ) -> RemoteReply {
        let refused = |error| RemoteReply::Refused {
            refusal: refusal_of_session(error),
        };
        match command {
            RemoteCommand::Send {
                text,
                author,
                interrupt,
            } => match self
                .send_message_via(session_id, &text, author, interrupt, Reach::HereOnly)
                .await
            {
                Ok(delivery) => RemoteReply::Delivered { delivery },
                Err(error) => refused(error),
            },
            RemoteCommand::Decide {
                approval_id,
                option_id,
                by,
            } => match self
                .decide_via(&approval_id, &option_id, by, Reach::HereOnly)
                .await
            {
                Ok(result) => RemoteReply::Decided { result },
                Err(error) => RemoteReply::Refused {
                    refusal: refusal_of_decide(error),
                },
            },
            RemoteCommand::Choose { choice } => {
                match self.choose_via(session_id, choice, Reach::HereOnly).await {
                    Ok(applied) => RemoteReply::Chosen { applied },
                    Err(error) => refused(error),
                }
            }
            RemoteCommand::Start {
                assistant_id,
                prompt,
                author,
                why,
                title,
                continue_assistant,
            } => {
                let request = super::StartRequest {
                    assistant_id,
                    prompt,
                    author,
                    why,
                    title,
                    continue_assistant,
                };
                match self.start_via(request, Reach::HereOnly).await {
                    Ok(summary) => RemoteReply::Started {
                        summary: Box::new(summary),
                    },
                    Err(error) => refused(error),
                }
            }
            RemoteCommand::LetGo { process } => {
                let (reply, answer) = oneshot::channel();
                let command = Command::LetGo { process, reply };
                if self.registry().send(session_id, command).is_err() {
                    return RemoteReply::Refused {
                        refusal: Refusal::NotRunning,
                    };
                }
                match answer.await {
                    Ok(Some(unwritten)) => RemoteReply::LetGo { unwritten },
                    _ => RemoteReply::Refused {
                        refusal: Refusal::NotRunning,
                    },
                }
            }
            RemoteCommand::Stop { by } => {
                let (reply, answer) = oneshot::channel();
                self.here_only(session_id, Command::Stop { by, reply }, answer)
                    .await
            }
            RemoteCommand::Pause { by } => {
                let (reply, answer) = oneshot::channel();
                self.here_only(session_id, Command::Pause { by, reply }, answer)
                    .await
            }
            RemoteCommand::Resume { by, past_budget } => {
                let (reply, answer) = oneshot::channel();
                let command = Command::Resume {
                    by,
                    past_budget,
                    reply,
                };
                self.here_only(session_id, command, answer).await
            }
        }
    }

    async fn here_only(
        &self,
        session_id: &SessionId,
        command: Command,
        answer: oneshot::Receiver<Result<(), SessionError>>,
    ) -> RemoteReply {
        // Never forwarded again, so the remote form is not needed.
        let remote = RemoteCommand::Stop { by: None };
        match self
            .live_command_via(session_id, command, answer, remote, Reach::HereOnly)
            .await
        {
            Ok(()) => RemoteReply::Done,
            Err(error) => RemoteReply::Refused {
                refusal: refusal_of_session(error),
            },
        }
    }
}

/// Takes the commands other servers left for this one, as they come (each
/// runs on its own, so a slow stop holds up no message) and every so often
/// in case a notification was lost.
pub async fn serve_forwarded(sessions: Arc<Sessions>) {
    let ctx = sessions.context().clone();
    let cluster = ctx.cluster.clone();
    let look_every = (cluster.lease() / 3).max(Duration::from_millis(200));
    loop {
        tokio::select! {
            _ = ctx.shutdown.begun() => return,
            _ = cluster.commands_ready.notified() => {}
            _ = tokio::time::sleep(look_every) => {}
        }
        let taken = match ctx
            .store
            .take_cluster_commands(&cluster.node_id, ctx.clock.now_ms())
            .await
        {
            Ok(taken) => taken,
            Err(error) => {
                tracing::warn!(%error, "could not read commands from other servers");
                continue;
            }
        };
        for row in taken {
            let sessions = sessions.clone();
            tokio::spawn(async move {
                let ctx = sessions.context().clone();
                let reply = match serde_json::from_str::<RemoteCommand>(&row.body) {
                    Ok(command) => sessions.run_forwarded(&row.session_id, command).await,
                    Err(error) => RemoteReply::Refused {
                        refusal: Refusal::Invalid {
                            message: format!("unreadable command: {error}"),
                        },
                    },
                };
                let Ok(text) = serde_json::to_string(&reply) else {
                    return;
                };
                let answered = async {
                    ctx.store.reply_cluster_command(&row.id, &text).await?;
                    ctx.store
                        .notify(
                            crate::cluster::REPLIES_CHANNEL,
                            &format!("{} {}", row.from_node, row.id),
                        )
                        .await
                }
                .await;
                if let Err(error) = answered {
                    tracing::warn!(%error, "could not answer another server's command");
                }
            });
        }
    }
}
