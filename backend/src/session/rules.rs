//! Approval rules: which permission requests are answered without asking.
//! Pure code: a tool call and the rules of two layers in, a verdict out.

use std::path::Path;
use tandem_shared::api::{ApprovalRule, RuleAction};
use tandem_shared::{ToolCall, ToolKind};

/// What a permission request is about: its kind, and the command, path or
/// URL that rules match a prefix of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub kind: ToolKind,
    pub text: String,
}

impl Subject {
    /// Reads the subject off the tool call: `rawInput.command` (or the
    /// title) for commands, the first location or a path-like raw input for
    /// file tools, `rawInput.url` for fetches.
    pub fn of(call: &ToolCall) -> Subject {
        let raw = |key: &str| call.raw_text(key);
        let text = match call.kind {
            ToolKind::Execute => raw("command").unwrap_or_else(|| call.title.clone()),
            ToolKind::Fetch => raw("url").unwrap_or_else(|| call.title.clone()),
            _ => call
                .locations
                .first()
                .map(|l| l.path.clone())
                .or_else(|| raw("path"))
                .or_else(|| raw("file_path"))
                .or_else(|| raw("abs_path"))
                .unwrap_or_else(|| call.title.clone()),
        };
        Subject {
            kind: call.kind,
            text: text.trim().to_owned(),
        }
    }
}

/// The verdict and the rule that gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub action: RuleAction,
    pub rule: Option<ApprovalRule>,
}

pub fn matches(rule: &ApprovalRule, subject: &Subject) -> bool {
    if rule.kind.is_some_and(|kind| kind != subject.kind) {
        return false;
    }
    let prefix = rule.prefix.trim();
    if prefix.is_empty() {
        return true;
    }
    if prefix.starts_with('/') && subject.text.starts_with('/') {
        // Paths match by whole components: /w/demo is not a prefix of /w/demo2.
        return Path::new(&subject.text).starts_with(prefix);
    }
    // Commands match by whole words: `git push` is not a prefix of `git pushx`.
    match subject.text.strip_prefix(prefix) {
        Some(rest) => {
            rest.is_empty()
                || rest.starts_with(char::is_whitespace)
                || prefix.ends_with(char::is_whitespace)
        }
        None => false,
    }
}

/// Block at any layer wins; otherwise the assistant's most specific
/// matching rule, then Tandem's; otherwise a person is asked.
pub fn decide(subject: &Subject, tandem: &[ApprovalRule], assistant: &[ApprovalRule]) -> Verdict {
    let all = tandem.iter().chain(assistant);
    if let Some(block) = all
        .filter(|rule| rule.action == RuleAction::Block && matches(rule, subject))
        .max_by_key(|rule| rule.prefix.len())
    {
        return Verdict {
            action: RuleAction::Block,
            rule: Some(block.clone()),
        };
    }
    for layer in [assistant, tandem] {
        if let Some(rule) = layer
            .iter()
            .filter(|rule| matches(rule, subject))
            .max_by_key(|rule| rule.prefix.len())
        {
            return Verdict {
                action: rule.action,
                rule: Some(rule.clone()),
            };
        }
    }
    Verdict {
        action: RuleAction::Ask,
        rule: None,
    }
}

/// The rules a new assistant starts with: reads and edits inside its
/// workspace are allowed; everything else asks.
pub fn defaults(workspace: &str) -> Vec<(ToolKind, String, RuleAction)> {
    vec![
        (ToolKind::Read, workspace.to_owned(), RuleAction::Allow),
        (ToolKind::Edit, workspace.to_owned(), RuleAction::Allow),
    ]
}

/// Gives a new assistant its default rules.
pub async fn add_defaults(
    ctx: &super::Context,
    assistant: &tandem_shared::api::Assistant,
) -> Result<(), crate::store::StoreError> {
    for (kind, prefix, action) in defaults(&assistant.workspace) {
        ctx.store
            .add_rule(&ApprovalRule {
                id: ctx.ids.new_id("rul"),
                assistant_id: Some(assistant.id.clone()),
                kind: Some(kind),
                prefix,
                action,
                created_at: ctx.clock.now_ms(),
            })
            .await?;
    }
    Ok(())
}

/// An assistant moved to another workspace: its rules about the old one
/// (the defaults, and any a person made for that exact path) now name the
/// new one, so "edits inside the workspace" keeps meaning its workspace
/// and nothing is allowed in the folder it left.
pub async fn follow_workspace(
    ctx: &super::Context,
    assistant: &tandem_shared::AssistantId,
    old: &str,
    new: &str,
) -> Result<usize, crate::store::StoreError> {
    let mut moved = 0;
    for rule in ctx.store.rules(Some(assistant)).await? {
        if rule.prefix.trim() == old {
            ctx.store.delete_rule(&rule.id).await?;
            ctx.store
                .add_rule(&ApprovalRule {
                    prefix: new.to_owned(),
                    ..rule
                })
                .await?;
            moved += 1;
        }
    }
    Ok(moved)
}

/// How a rule reads in the transcript: `execute:git push`.
pub fn describe(rule: &ApprovalRule) -> String {
    format!(
        "{}:{}",
        rule.kind.map(ToolKind::name).unwrap_or("any"),
        rule.prefix
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tandem_shared::{AssistantId, Location};

    fn rule(
        kind: Option<ToolKind>,
        prefix: &str,
        action: RuleAction,
        assistant: bool,
    ) -> ApprovalRule {
        ApprovalRule {
            id: format!("r-{prefix}"),
            assistant_id: assistant.then(|| AssistantId("a".into())),
            kind,
            prefix: prefix.into(),
            action,
            created_at: 0,
        }
    }

    fn call(
        kind: ToolKind,
        title: &str,
        raw: Option<serde_json::Value>,
        path: Option<&str>,
    ) -> ToolCall {
        ToolCall {
            id: "c".into(),
            title: title.into(),
            kind,
            status: Default::default(),
            content: vec![],
            locations: path
                .map(|p| {
                    vec![Location {
                        path: p.into(),
                        line: None,
                    }]
                })
                .unwrap_or_default(),
            raw_input: raw,
            raw_output: None,
        }
    }

    #[test]
    fn subjects_come_from_raw_input_locations_or_title() {
        assert_eq!(
            Subject::of(&call(
                ToolKind::Execute,
                "Run",
                Some(json!({"command": "git push origin"})),
                None
            ))
            .text,
            "git push origin"
        );
        assert_eq!(
            Subject::of(&call(ToolKind::Execute, "ls -la", None, None)).text,
            "ls -la"
        );
        assert_eq!(
            Subject::of(&call(
                ToolKind::Execute,
                "x",
                Some(json!({"command": ["cargo", "test"]})),
                None
            ))
            .text,
            "cargo test"
        );
        assert_eq!(
            Subject::of(&call(ToolKind::Edit, "Edit", None, Some("/w/a.rs"))).text,
            "/w/a.rs"
        );
        assert_eq!(
            Subject::of(&call(
                ToolKind::Edit,
                "Edit",
                Some(json!({"file_path": "/w/b.rs"})),
                None
            ))
            .text,
            "/w/b.rs"
        );
    }

    #[test]
    fn prefixes_match_whole_words_and_path_components() {
        let subject = |kind, text: &str| Subject {
            kind,
            text: text.into(),
        };
        let push = rule(Some(ToolKind::Execute), "git push", RuleAction::Block, true);
        assert!(matches(
            &push,
            &subject(ToolKind::Execute, "git push origin main")
        ));
        assert!(matches(&push, &subject(ToolKind::Execute, "git push")));
        assert!(!matches(&push, &subject(ToolKind::Execute, "git pushx")));
        assert!(!matches(&push, &subject(ToolKind::Edit, "git push")));
        let ws = rule(Some(ToolKind::Edit), "/w/demo", RuleAction::Allow, true);
        assert!(matches(&ws, &subject(ToolKind::Edit, "/w/demo/src/a.rs")));
        assert!(!matches(&ws, &subject(ToolKind::Edit, "/w/demo2/a.rs")));
        assert!(!matches(&ws, &subject(ToolKind::Edit, "/etc/passwd")));
        let any = rule(None, "", RuleAction::Ask, false);
        assert!(matches(&any, &subject(ToolKind::Fetch, "https://x")));
    }

    #[test]
    fn block_anywhere_wins_then_the_assistant_then_tandem() {
        let subject = Subject {
            kind: ToolKind::Execute,
            text: "git push origin".into(),
        };
        let tandem_block = rule(
            Some(ToolKind::Execute),
            "git push",
            RuleAction::Block,
            false,
        );
        let assistant_allow = rule(Some(ToolKind::Execute), "git", RuleAction::Allow, true);
        assert_eq!(
            decide(
                &subject,
                std::slice::from_ref(&tandem_block),
                std::slice::from_ref(&assistant_allow)
            )
            .action,
            RuleAction::Block
        );
        assert_eq!(
            decide(&subject, &[], std::slice::from_ref(&assistant_allow)).action,
            RuleAction::Allow
        );
        let tandem_allow = rule(
            Some(ToolKind::Execute),
            "git push",
            RuleAction::Allow,
            false,
        );
        let assistant_ask = rule(Some(ToolKind::Execute), "git", RuleAction::Ask, true);
        assert_eq!(
            decide(&subject, &[tandem_allow], &[assistant_ask]).action,
            RuleAction::Ask,
            "the assistant's layer first"
        );
        assert_eq!(decide(&subject, &[], &[]).action, RuleAction::Ask);
    }

    #[test]
    fn defaults_allow_reads_and_edits_inside_the_workspace_only() {
        let rules: Vec<ApprovalRule> = defaults("/w/demo")
            .into_iter()
            .map(|(kind, prefix, action)| rule(Some(kind), &prefix, action, true))
            .collect();
        let verdict = |kind, text: &str| {
            decide(
                &Subject {
                    kind,
                    text: text.into(),
                },
                &[],
                &rules,
            )
            .action
        };
        assert_eq!(verdict(ToolKind::Edit, "/w/demo/a.rs"), RuleAction::Allow);
        assert_eq!(verdict(ToolKind::Read, "/w/demo/a.rs"), RuleAction::Allow);
        assert_eq!(verdict(ToolKind::Edit, "/etc/hosts"), RuleAction::Ask);
        assert_eq!(verdict(ToolKind::Execute, "ls"), RuleAction::Ask);
        assert_eq!(
            verdict(ToolKind::Fetch, "https://example.org"),
            RuleAction::Ask
        );
    }
}
