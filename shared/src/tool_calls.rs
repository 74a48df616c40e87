//! Tool calls folded from their announcements and updates: the one merge
//! every reader uses (the transcript, a run's outcome, the permission
//! rules), and an index by id so folding stays linear in the events.

use crate::{EventBody, ToolCall, ToolCallPatch};
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
                self.patch(tool_call)
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
}
