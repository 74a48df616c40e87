//! The record a run of a runner's agent keeps as it goes (`remote_runs`):
//! its agent session, the prompt it has open, and after each store of
//! events the last line they came from — only then is the runner told it
//! may forget those lines, so whichever server reads on after a takeover,
//! every line is stored once. Runs on this server's own machine keep none.

use super::run::AgentRun;
use crate::store::RemoteRun;
use serde_json::Value;

impl AgentRun<'_> {
    /// A runner's agent: what is stored now came from its lines through
    /// the last read; recorded, then the runner may forget them.
    pub(super) async fn lines_stored(&mut self) {
        let Some((process, read)) = self.conn.remote_lines() else {
            return;
        };
        if read <= self.stored_lines {
            return;
        }
        let process = process.to_owned();
        match self
            .session
            .ctx
            .store
            .remote_run_stored(&process, read)
            .await
        {
            Ok(()) => {
                self.stored_lines = read;
                self.conn.stored(read);
            }
            // The runner keeps the lines; the next store records them.
            Err(error) => tracing::warn!(%error, "could not record a runner's lines as stored"),
        }
    }

    /// A runner's agent: the open prompt (or none, once answered).
    pub(super) async fn remote_prompt(&mut self, id: Option<&Value>) {
        let Some((process, _)) = self.conn.remote_lines() else {
            return;
        };
        let id = id.map(Value::to_string);
        if let Err(error) = self
            .session
            .ctx
            .store
            .remote_run_prompt(process, id.as_deref())
            .await
        {
            tracing::warn!(%error, "could not record a runner's open prompt");
        }
    }

    /// A runner's agent started: its run is recorded for a server that may
    /// take it over.
    pub(super) async fn record_remote_run(&mut self, token_hash: &str) {
        let Some((process, _)) = self.conn.remote_lines() else {
            return;
        };
        let ctx = &self.session.ctx;
        let run = RemoteRun {
            process: process.to_owned(),
            session_id: self.session.log.summary.id.clone(),
            runner_id: self.conn.runner_id().unwrap_or_default().to_owned(),
            node_id: ctx.cluster.node_id.clone(),
            agent_session: None,
            prompt_id: None,
            stored_lines: 0,
            token_hash: Some(token_hash.to_owned()),
        };
        if let Err(error) = ctx.store.record_remote_run(&run, ctx.clock.now_ms()).await {
            tracing::warn!(%error, "could not record a runner's process");
        }
    }

    pub(super) async fn remote_agent_session(&mut self, agent_session: &str) {
        let Some((process, _)) = self.conn.remote_lines() else {
            return;
        };
        if let Err(error) = self
            .session
            .ctx
            .store
            .remote_run_agent_session(process, agent_session)
            .await
        {
            tracing::warn!(%error, "could not record a runner's agent session");
        }
    }

    /// The run is over: nothing is left to take over.
    pub(super) async fn forget_remote_run(&mut self) {
        let Some((process, _)) = self.conn.remote_lines() else {
            return;
        };
        if let Err(error) = self.session.ctx.store.forget_remote_run(process).await {
            tracing::warn!(%error, "could not forget a runner's process");
        }
    }
}
