//! History an agent replays after `session/load`. ACP says the replay comes
//! before the load's answer, but Gemini CLI sends it after: replayed
//! updates are told apart by what they say and the ids they carry, never
//! stored as new work, and an id from an earlier run never overwrites that
//! run's tool card. (The person's replayed words, `user_message_chunk`,
//! are never stored at all: Tandem's log holds them already.) Pure code,
//! driven by tests.

use std::collections::HashMap;
use tandem_shared::EventBody;

/// What the transcript already holds of the agent session being loaded.
#[derive(Debug, Default, Clone)]
pub struct History {
    /// Tool calls of earlier runs: id → title (an id may be used again for
    /// a new call, which a different title gives away).
    pub tool_calls: HashMap<String, String>,
    /// Everything the agent said in earlier runs, messages and thoughts.
    pub agent_text: String,
}

impl History {
    /// Gathers the history from stored events, in order.
    pub fn from_events<'a>(bodies: impl IntoIterator<Item = &'a EventBody>) -> History {
        let mut history = History::default();
        for body in bodies {
            match body {
                EventBody::ToolCall(call) => {
                    history
                        .tool_calls
                        .insert(call.id.clone(), call.title.clone());
                }
                EventBody::ToolCallUpdate(patch)
                | EventBody::PermissionRequest {
                    tool_call: patch, ..
                } => {
                    let title = history.tool_calls.entry(patch.id.clone()).or_default();
                    if let Some(new) = &patch.title {
                        *title = new.clone();
                    }
                }
                EventBody::AgentMessageChunk { text }
                | EventBody::AgentThoughtChunk { text }
                | EventBody::Notice { text } => {
                    history.agent_text.push_str(text);
                }
                _ => {}
            }
        }
        history
    }
}

/// Where an update stands after a load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Replayed history: drop it.
    Replayed,
    /// New work: store it.
    Live,
}

/// Follows one run after a warm load.
#[derive(Debug)]
pub struct ReplayFilter {
    history: History,
    /// Open from the load until the first update that is new work.
    replaying: bool,
    /// Earlier ids the agent used again for new tool calls, and the ids
    /// they are stored under in this run.
    renamed: HashMap<String, String>,
    run: u64,
}

impl ReplayFilter {
    /// `run` tells this run's renamed ids apart from every other run's.
    pub fn after_load(history: History, run: u64) -> ReplayFilter {
        ReplayFilter {
            history,
            replaying: true,
            renamed: HashMap::new(),
            run,
        }
    }

    /// Judges one transcript event of an update, renaming reused ids.
    pub fn judge(&mut self, body: &mut EventBody) -> Verdict {
        // What the agent says of itself now (its mode, options, usage,
        // commands) is neither history nor a sign the replay is over.
        if matches!(
            body,
            EventBody::AgentModes { .. }
                | EventBody::ModeChange { .. }
                | EventBody::AgentOptions { .. }
                | EventBody::Usage { .. }
                | EventBody::AgentCommands { .. }
        ) {
            return Verdict::Live;
        }
        if self.replaying {
            if self.is_history(body) {
                return Verdict::Replayed;
            }
            self.replaying = false;
        }
        self.rename(body);
        Verdict::Live
    }

    fn is_history(&self, body: &EventBody) -> bool {
        match body {
            EventBody::ToolCall(call) => self.history_call(&call.id, Some(&call.title)),
            EventBody::ToolCallUpdate(patch) => self.history_call(&patch.id, patch.title.as_ref()),
            EventBody::AgentMessageChunk { text }
            | EventBody::AgentThoughtChunk { text }
            | EventBody::Notice { text } => {
                text.trim().is_empty() || self.history.agent_text.contains(text.as_str())
            }
            // A snapshot of an old plan, or an old title.
            EventBody::Plan { .. } | EventBody::TitleChange { .. } => true,
            _ => false,
        }
    }

    /// A call the history has under that id, and (when a title is given)
    /// under that title.
    fn history_call(&self, id: &str, title: Option<&String>) -> bool {
        match (self.history.tool_calls.get(id), title) {
            (None, _) => false,
            (Some(known), Some(title)) => known.is_empty() || known == title,
            (Some(_), None) => true,
        }
    }

    /// A permission request is new work: it ends the replay, and names its
    /// call by the id this run stores it under.
    pub fn asked_about(&mut self, id: &mut String) {
        self.replaying = false;
        self.rename_id(id);
    }

    /// A new call under an id an earlier run used gets an id of its own.
    fn rename(&mut self, body: &mut EventBody) {
        let id = match body {
            EventBody::ToolCall(call) => &mut call.id,
            EventBody::ToolCallUpdate(patch) => &mut patch.id,
            EventBody::PermissionRequest { tool_call, .. } => &mut tool_call.id,
            _ => return,
        };
        self.rename_id(id);
    }

    fn rename_id(&mut self, id: &mut String) {
        if !self.history.tool_calls.contains_key(id.as_str()) {
            return;
        }
        let run = self.run;
        let renamed = self
            .renamed
            .entry(id.clone())
            .or_insert_with(|| format!("{id}~run{run}"))
            .clone();
        *id = renamed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tandem_shared::{ToolCall, ToolCallPatch, ToolStatus};

    fn chunk(text: &str) -> EventBody {
        EventBody::AgentMessageChunk { text: text.into() }
    }

    fn call(id: &str, title: &str) -> EventBody {
        let mut call = ToolCall::empty(id);
        call.title = title.into();
        EventBody::ToolCall(call)
    }

    fn history() -> History {
        History::from_events(&[
            chunk("I listed the files. "),
            chunk("There are three."),
            call("call-1", "ls"),
        ])
    }

    #[test]
    fn the_replay_is_dropped_and_the_new_turn_kept() {
        let mut filter = ReplayFilter::after_load(history(), 2);
        for mut body in [
            chunk("I listed the files. There are three."),
            call("call-1", "ls"),
        ] {
            assert_eq!(filter.judge(&mut body), Verdict::Replayed, "{body:?}");
        }
        let mut new = chunk("Now I will run the tests.");
        assert_eq!(filter.judge(&mut new), Verdict::Live);
        // Once live, text that happens to repeat history is kept.
        let mut again = chunk("There are three.");
        assert_eq!(filter.judge(&mut again), Verdict::Live);
    }

    #[test]
    fn an_old_id_used_again_gets_its_own_card() {
        let mut filter = ReplayFilter::after_load(history(), 2);
        let mut new = call("call-2", "cargo test");
        assert_eq!(filter.judge(&mut new), Verdict::Live);
        let mut reused = call("call-1", "cat README.md");
        assert_eq!(filter.judge(&mut reused), Verdict::Live);
        let EventBody::ToolCall(reused) = reused else {
            panic!("a tool call")
        };
        assert_eq!(reused.id, "call-1~run2");
        let mut update = EventBody::ToolCallUpdate(ToolCallPatch {
            id: "call-1".into(),
            status: Some(ToolStatus::Completed),
            ..Default::default()
        });
        assert_eq!(filter.judge(&mut update), Verdict::Live);
        let EventBody::ToolCallUpdate(update) = update else {
            panic!("an update")
        };
        assert_eq!(update.id, "call-1~run2", "its updates follow it");
    }

    /// Gemini asks before announcing: a request about an old id is this
    /// run's call, and the updates after it land on the same new card.
    #[test]
    fn a_permission_request_under_an_old_id_names_this_runs_call() {
        let mut filter = ReplayFilter::after_load(history(), 4);
        let mut asked = "call-1".to_owned();
        filter.asked_about(&mut asked);
        assert_eq!(asked, "call-1~run4");
        let mut update = EventBody::ToolCallUpdate(ToolCallPatch {
            id: "call-1".into(),
            title: Some("ls".into()),
            ..Default::default()
        });
        // The request ended the replay: an update matching history is new.
        assert_eq!(filter.judge(&mut update), Verdict::Live);
        let EventBody::ToolCallUpdate(update) = update else {
            panic!("an update")
        };
        assert_eq!(update.id, "call-1~run4");
    }

    #[test]
    fn a_new_call_under_an_old_id_ends_the_replay() {
        let mut filter = ReplayFilter::after_load(history(), 3);
        let mut replayed = call("call-1", "ls");
        assert_eq!(filter.judge(&mut replayed), Verdict::Replayed);
        let mut new = call("call-1", "cat README.md");
        assert_eq!(filter.judge(&mut new), Verdict::Live);
        let EventBody::ToolCall(new) = new else {
            panic!("a tool call")
        };
        assert_eq!(new.id, "call-1~run3");
    }

    #[test]
    fn without_history_nothing_is_taken_for_a_replay() {
        let mut filter = ReplayFilter::after_load(History::default(), 1);
        let mut body = chunk("Hello");
        assert_eq!(filter.judge(&mut body), Verdict::Live);
    }
}
