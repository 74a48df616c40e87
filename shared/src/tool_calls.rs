//! Tool calls folded from their announcements and updates: the one merge
//! every reader uses (the transcript, a run's outcome, the permission
//! rules), and an index by id so folding stays linear in the events.

use crate::{EventBody, ToolCall, ToolCallPatch, ToolContent};
use std::collections::HashMap;

impl ToolCall {
    /// A call known only by its id: an update or a permission request came
    /// before (or without) its announcement, as Codex and Gemini do.
    pub fn empty(id: &str) -> ToolCall {
        ToolCall {
            id: id.to_owned(),
            title: String::new(),
            kind: Default::default(),
            status: Default::default(),
            content: Vec::new(),
            locations: Vec::new(),
            raw_input: None,
            raw_output: None,
        }
    }

    /// Applies the fields an update carries; absent fields stay.
    pub fn apply(&mut self, patch: &ToolCallPatch) {
        if let Some(title) = &patch.title {
            self.title = title.clone();
        }
        if let Some(kind) = patch.kind {
            self.kind = kind;
        }
        if let Some(status) = patch.status {
            self.status = status;
        }
        if let Some(content) = &patch.content {
            self.content = content.clone();
        }
        if let Some(locations) = &patch.locations {
            self.locations = locations.clone();
        }
        if let Some(raw) = &patch.raw_input {
            self.raw_input = Some(raw.clone());
        }
        if let Some(raw) = &patch.raw_output {
            self.raw_output = Some(raw.clone());
        }
        if let Some(more) = &patch.appended {
            match self.content.last_mut() {
                Some(ToolContent::Text { text }) => text.push_str(more),
                _ => self.content.push(ToolContent::Text {
                    text: more.to_owned(),
                }),
            }
        }
    }

    /// The call's output as one text, when that is all its content is.
    pub fn output_text(&self) -> Option<&str> {
        match self.content.as_slice() {
            [ToolContent::Text { text }] => Some(text),
            _ => None,
        }
    }

    /// Everything known of the call, as an update that would rebuild it:
    /// what a permission request shows when the agent's own request
    /// carries only the id (Claude sends the diff with the announcement).
    pub fn as_patch(&self) -> ToolCallPatch {
        ToolCallPatch {
            id: self.id.clone(),
            title: (!self.title.is_empty()).then(|| self.title.clone()),
            kind: Some(self.kind),
            status: Some(self.status),
            content: (!self.content.is_empty()).then(|| self.content.clone()),
            locations: (!self.locations.is_empty()).then(|| self.locations.clone()),
            raw_input: self.raw_input.clone(),
            raw_output: self.raw_output.clone(),
            appended: None,
        }
    }

    /// A text field of the raw input: a string as it is, an array of
    /// strings (an argv) joined by spaces.
    pub fn raw_text(&self, key: &str) -> Option<String> {
        raw_text(self.raw_input.as_ref()?, key)
    }

    /// The command line a call runs, as a person reads it: `rawInput.command`
    /// (Claude and Gemini send a string, Codex an argv); an argv that only
    /// hands a script to a shell (`bash -lc "…"`) reads as the script.
    pub fn command(&self) -> Option<String> {
        let raw = self.raw_input.as_ref()?.get("command")?;
        if let Some(argv) = raw.as_array() {
            let words: Vec<&str> = argv.iter().filter_map(|w| w.as_str()).collect();
            if let [shell, flag, script] = words.as_slice() {
                let shell = shell.rsplit('/').next().unwrap_or(shell);
                if ["sh", "bash", "zsh", "dash"].contains(&shell)
                    && flag.ends_with('c')
                    && flag.starts_with('-')
                {
                    return Some((*script).to_owned());
                }
            }
        }
        raw_text(self.raw_input.as_ref()?, "command")
    }
}

impl ToolCallPatch {
    /// What a permission request tells of a call it is the first word of:
    /// all but its text, which is the agent's words to the person about the
    /// request (Codex: its reason, proposed rule and decisions), not the
    /// tool's output.
    pub fn announced_by_request(&self) -> ToolCallPatch {
        let mut patch = self.clone();
        if let Some(content) = &mut patch.content {
            content.retain(|c| !matches!(c, ToolContent::Text { .. }));
        }
        patch
    }
}

impl ToolCall {
    /// Why the agent asks to run it, in its own words: `rawInput.reason`
    /// or `justification` (Codex), when it gives one.
    pub fn reason(&self) -> Option<String> {
        ["reason", "justification"]
            .iter()
            .find_map(|key| self.raw_text(key))
            .filter(|reason| !reason.trim().is_empty())
    }
}

fn raw_text(raw: &serde_json::Value, key: &str) -> Option<String> {
    match raw.get(key)? {
        serde_json::Value::String(text) => Some(text.clone()),
        serde_json::Value::Array(parts) => Some(
            parts
                .iter()
                .filter_map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        ),
        _ => None,
    }
}

/// Calls in the order they were first seen, found by id in O(1).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ToolCalls {
    calls: Vec<ToolCall>,
    by_id: HashMap<String, usize>,
}

impl ToolCalls {
    pub fn get(&self, id: &str) -> Option<&ToolCall> {
        self.by_id.get(id).and_then(|at| self.calls.get(*at))
    }

    pub fn iter(&self) -> impl Iterator<Item = &ToolCall> {
        self.calls.iter()
    }

    pub fn len(&self) -> usize {
        self.calls.len()
    }

    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// An announcement replaces what was known of the call.
    pub fn announce(&mut self, call: &ToolCall) {
        match self.by_id.get(&call.id) {
            Some(at) => self.calls[*at] = call.clone(),
            None => self.push(call.clone()),
        }
    }

    /// An update merges into its call, or starts one when it came first.
    pub fn patch(&mut self, patch: &ToolCallPatch) {
        match self.by_id.get(&patch.id) {
            Some(at) => self.calls[*at].apply(patch),
            None => {
                let mut call = ToolCall::empty(&patch.id);
                call.apply(patch);
                self.push(call);
            }
        }
    }

    /// Folds the events that say something about tool calls; a permission
    /// request names its call, which may not have been announced.
    pub fn fold(&mut self, body: &EventBody) {
        match body {
            EventBody::ToolCall(call) => self.announce(call),
            EventBody::ToolCallUpdate(patch) => self.patch(patch),
            EventBody::PermissionRequest { tool_call, .. }
                if !tool_call.id.is_empty() && self.get(&tool_call.id).is_none() =>
            {
                self.patch(&tool_call.announced_by_request())
            }
            _ => {}
        }
    }

    fn push(&mut self, call: ToolCall) {
        self.by_id.insert(call.id.clone(), self.calls.len());
        self.calls.push(call);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ToolKind, ToolStatus};

    fn patch(id: &str, status: ToolStatus) -> ToolCallPatch {
        ToolCallPatch {
            id: id.into(),
            status: Some(status),
            ..Default::default()
        }
    }

    #[test]
    fn updates_merge_and_may_come_first() {
        let mut calls = ToolCalls::default();
        calls.fold(&EventBody::ToolCallUpdate(patch(
            "a",
            ToolStatus::InProgress,
        )));
        let mut announced = ToolCall::empty("a");
        announced.title = "Write a".into();
        announced.kind = ToolKind::Edit;
        calls.fold(&EventBody::ToolCall(announced));
        calls.fold(&EventBody::ToolCallUpdate(patch(
            "a",
            ToolStatus::Completed,
        )));
        assert_eq!(calls.len(), 1);
        let call = calls.get("a").expect("call a");
        assert_eq!(call.title, "Write a");
        assert_eq!(call.kind, ToolKind::Edit);
        assert_eq!(call.status, ToolStatus::Completed);
    }

    #[test]
    fn many_calls_keep_their_order_and_are_found() {
        let mut calls = ToolCalls::default();
        for i in 0..10_000 {
            calls.fold(&EventBody::ToolCall(ToolCall::empty(&format!("c{i}"))));
        }
        for i in (0..10_000).rev() {
            calls.fold(&EventBody::ToolCallUpdate(patch(
                &format!("c{i}"),
                ToolStatus::Failed,
            )));
        }
        assert_eq!(calls.len(), 10_000);
        assert_eq!(calls.iter().next().map(|c| c.id.as_str()), Some("c0"));
        assert!(calls.iter().all(|c| c.status == ToolStatus::Failed));
    }

    fn with_command(command: serde_json::Value) -> ToolCall {
        let mut call = ToolCall::empty("x");
        call.raw_input = Some(serde_json::json!({ "command": command }));
        call
    }

    #[test]
    fn a_command_reads_as_a_person_would_type_it() {
        let typed = with_command(serde_json::json!("cargo test && ls"));
        assert_eq!(typed.command().as_deref(), Some("cargo test && ls"));
        let argv = with_command(serde_json::json!(["git", "status", "--short"]));
        assert_eq!(argv.command().as_deref(), Some("git status --short"));
        let script = with_command(serde_json::json!(["/bin/bash", "-lc", "touch a b"]));
        assert_eq!(script.command().as_deref(), Some("touch a b"));
        // Not a shell handing over a script: every word stays.
        let other = with_command(serde_json::json!(["python3", "-c", "print(1)"]));
        assert_eq!(other.command().as_deref(), Some("python3 -c print(1)"));
        assert_eq!(with_command(serde_json::json!(7)).command(), None);
        assert_eq!(ToolCall::empty("y").command(), None);
    }

    #[test]
    fn a_call_rebuilds_from_its_patch() {
        let mut call = ToolCall::empty("a");
        call.title = "Edit a.txt".into();
        call.kind = ToolKind::Edit;
        call.content = vec![crate::ToolContent::Diff {
            path: "/w/a.txt".into(),
            old_text: Some("one".into()),
            new_text: "two".into(),
        }];
        let mut rebuilt = ToolCall::empty("a");
        rebuilt.apply(&call.as_patch());
        assert_eq!(rebuilt, call);
    }
}
