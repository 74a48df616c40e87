//! Approval rules: which permission requests are answered without asking.
//! Pure code: a tool call and the rules of two layers in, a verdict out.

pub mod command;

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
            // An argv that hands a script to a shell (Codex) is its script.
            ToolKind::Execute => call.command().unwrap_or_else(|| call.title.clone()),
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

    /// A path in a session's worktree judged as the same path in the
    /// workspace: rules about the workspace hold in its worktrees.
    pub fn seen_through(self, worktree: Option<&WorktreeMap>) -> Subject {
        match (worktree, self.kind) {
            (None, _) | (_, ToolKind::Execute | ToolKind::Fetch) => self,
            (Some(map), _) => Subject {
                text: map.path(&self.text),
                ..self
            },
        }
    }

    /// A path subject judged where it leads: its links resolved (reads the
    /// file system, so done at the edge, before `decide`).
    pub fn with_links_resolved(self) -> Subject {
        match self.kind {
            ToolKind::Execute | ToolKind::Fetch => self,
            _ if self.text.starts_with('/') => Subject {
                text: resolve_links(&self.text),
                ..self
            },
            _ => self,
        }
    }
}

/// A session's worktree and the workspace whose files it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorktreeMap {
    pub worktree: String,
    pub workspace: String,
}

impl WorktreeMap {
    /// `path` with the worktree's directory read as the workspace's.
    pub fn path(&self, path: &str) -> String {
        match path.strip_prefix(&self.worktree) {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => {
                format!("{}{rest}", self.workspace)
            }
            _ => path.to_owned(),
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
        // Paths match by whole components (/w/demo is not a prefix of
        // /w/demo2), after `.` and `..` are resolved: /w/demo/../../etc
        // is /etc.
        return normalized(Path::new(&subject.text)).starts_with(prefix);
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

/// A path with `.` and `..` resolved as text (no file system): what it
/// names, whatever the links on the way (those are resolved before, at
/// the edge: `resolve_links`).
pub fn normalized(path: &Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// An absolute path with every link of its longest existing part resolved
/// (the rest may not exist yet: a file about to be written), so a link
/// inside the workspace pointing out is judged where it leads.
pub fn resolve_links(path: &str) -> String {
    let given = normalized(Path::new(path));
    if !given.is_absolute() {
        return path.to_owned();
    }
    let mut existing = given.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            let mut resolved = real;
            for part in rest.iter().rev() {
                resolved.push(part);
            }
            return resolved.display().to_string();
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => return given.display().to_string(),
        }
    }
}

/// Writes that change nothing a rule guards.
const HARMLESS_WRITES: &[&str] = &["/dev/null", "/dev/stdout", "/dev/stderr"];

/// A command is judged by every simple command it runs and every file it
/// writes (`command::read`): Block if any is blocked; Allow only if every
/// one is allowed; a line that cannot be read is never allowed. Other
/// subjects: `decide_one`.
pub fn decide(subject: &Subject, tandem: &[ApprovalRule], assistant: &[ApprovalRule]) -> Verdict {
    decide_with(subject, tandem, assistant, &|path| path.to_owned())
}

/// `decide`, with each absolute file a command writes by redirection
/// judged where `resolve` says it leads (`resolve_links` at the edge: a
/// link in the workspace pointing out is judged outside).
pub fn decide_with(
    subject: &Subject,
    tandem: &[ApprovalRule],
    assistant: &[ApprovalRule],
    resolve: &dyn Fn(&str) -> String,
) -> Verdict {
    if subject.kind != ToolKind::Execute {
        return decide_one(subject, tandem, assistant);
    }
    let ask = Verdict {
        action: RuleAction::Ask,
        rule: None,
    };
    let reading = match command::read(&subject.text) {
        Ok(reading) => reading,
        Err(_) => {
            let whole = decide_one(subject, tandem, assistant);
            return if whole.action == RuleAction::Block {
                whole
            } else {
                ask
            };
        }
    };
    let parts: Vec<Subject> = reading
        .commands
        .iter()
        .map(|c| Subject {
            kind: ToolKind::Execute,
            text: c.line(),
        })
        .chain(
            reading
                .writes
                .iter()
                .filter(|w| !HARMLESS_WRITES.contains(&w.as_str()))
                .map(|w| Subject {
                    kind: ToolKind::Edit,
                    text: if w.starts_with('/') {
                        resolve(w)
                    } else {
                        w.clone()
                    },
                }),
        )
        .collect();
    let verdicts: Vec<Verdict> = parts
        .iter()
        .map(|part| decide_one(part, tandem, assistant))
        .collect();
    if let Some(block) = verdicts.iter().find(|v| v.action == RuleAction::Block) {
        return block.clone();
    }
    match verdicts.first() {
        Some(first) if verdicts.iter().all(|v| v.action == RuleAction::Allow) => first.clone(),
        _ => ask,
    }
}

/// What "Allow always" or "Block always" on a command keeps: one rule per
/// simple command it runs (never the line with its `&&` and `$(…)`), none
/// for a line that cannot be read.
pub fn remembered(subject: &Subject) -> Vec<String> {
    if subject.kind != ToolKind::Execute {
        return vec![subject.text.clone()];
    }
    let Ok(reading) = command::read(&subject.text) else {
        return Vec::new();
    };
    let mut lines: Vec<String> = Vec::new();
    for line in reading.commands.iter().map(command::SimpleCommand::line) {
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    lines
}

/// Block at any layer wins; otherwise the assistant's most specific
/// matching rule, then Tandem's; otherwise a person is asked.
fn decide_one(subject: &Subject, tandem: &[ApprovalRule], assistant: &[ApprovalRule]) -> Verdict {
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
    fn a_worktree_is_judged_as_its_workspace() {
        let map = WorktreeMap {
            worktree: "/srv/tandem/worktrees/ses_1".into(),
            workspace: "/w/app".into(),
        };
        let edit = |text: &str| Subject {
            kind: ToolKind::Edit,
            text: text.into(),
        };
        let seen = |text: &str| edit(text).seen_through(Some(&map)).text;
        assert_eq!(
            seen("/srv/tandem/worktrees/ses_1/src/a.rs"),
            "/w/app/src/a.rs"
        );
        assert_eq!(seen("/srv/tandem/worktrees/ses_1"), "/w/app");
        assert_eq!(
            seen("/srv/tandem/worktrees/ses_10/a.rs"),
            "/srv/tandem/worktrees/ses_10/a.rs"
        );
        assert_eq!(seen("/etc/passwd"), "/etc/passwd");
        let rules = defaults("/w/app")
            .into_iter()
            .map(|(kind, prefix, action)| ApprovalRule {
                id: "r".into(),
                assistant_id: None,
                kind: Some(kind),
                prefix,
                action,
                created_at: 0,
            })
            .collect::<Vec<_>>();
        let inside = edit("/srv/tandem/worktrees/ses_1/src/a.rs").seen_through(Some(&map));
        assert_eq!(decide(&inside, &rules, &[]).action, RuleAction::Allow);
        let elsewhere = edit("/srv/tandem/worktrees/ses_2/src/a.rs").seen_through(Some(&map));
        assert_eq!(decide(&elsewhere, &rules, &[]).action, RuleAction::Ask);
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

    fn allow(kind: ToolKind, prefix: &str) -> ApprovalRule {
        rule(Some(kind), prefix, RuleAction::Allow, true)
    }

    fn command(text: &str) -> Subject {
        Subject {
            kind: ToolKind::Execute,
            text: text.into(),
        }
    }

    /// An allow rule allows a command line only when every simple command
    /// in it (and every file it writes) is allowed: none of these shapes
    /// gets past "Allow always" on `id` or `git status`.
    #[test]
    fn compound_commands_never_ride_an_allow_rule() {
        let own = vec![
            allow(ToolKind::Execute, "id"),
            allow(ToolKind::Execute, "git status"),
            allow(ToolKind::Edit, "/w"),
        ];
        for line in [
            "id",
            "git status",
            "id && git status",
            "id > /w/out.txt",
            "id 2>/dev/null",
        ] {
            assert_eq!(
                decide(&command(line), &[], &own).action,
                RuleAction::Allow,
                "{line}"
            );
        }
        for line in [
            "id && touch /tmp/x",
            "id; touch /tmp/x",
            "id | sh",
            "id || touch /tmp/x",
            "id & touch /tmp/x",
            "id\ntouch /tmp/x",
            "id $(touch /tmp/x)",
            "id `touch /tmp/x`",
            "id > /etc/cron.d/evil",
            "id >> ~/.bashrc",
            "id > /w/../etc/passwd",
            "(id; touch /tmp/x)",
            "{ id; touch /tmp/x; }",
            "if id; then touch /tmp/x; fi",
            "sh -c 'id; touch /tmp/x'",
            "bash -c \"touch /tmp/x\"",
            "id <(touch /tmp/x)",
            "PATH=/tmp/evil git status",
            "eval id",
            "$SHELL -c id",
            "id 'unterminated",
            "f() { id; }; f",
        ] {
            assert_eq!(
                decide(&command(line), &[], &own).action,
                RuleAction::Ask,
                "{line:?}"
            );
        }
    }

    #[test]
    fn a_block_rule_stops_a_command_anywhere_in_the_line() {
        let tandem = vec![rule(
            Some(ToolKind::Execute),
            "rm",
            RuleAction::Block,
            false,
        )];
        let own = vec![allow(ToolKind::Execute, "id")];
        for line in [
            "id ; rm -f file",
            "id && rm -rf /",
            "echo $(rm x)",
            "sh -c 'rm y'",
            "if true; then rm z; fi",
            "rm",
        ] {
            assert_eq!(
                decide(&command(line), &tandem, &own).action,
                RuleAction::Block,
                "{line}"
            );
        }
        // Unreadable, but it starts with a blocked command.
        assert_eq!(
            decide(&command("rm 'x"), &tandem, &own).action,
            RuleAction::Block
        );
    }

    #[test]
    fn allow_always_keeps_each_simple_command_never_the_line() {
        assert_eq!(
            remembered(&command("cargo test && git diff | head")),
            vec!["cargo test", "git diff", "head"]
        );
        assert!(remembered(&command("eval $X")).is_empty());
        assert_eq!(
            remembered(&Subject {
                kind: ToolKind::Edit,
                text: "/w/a.rs".into()
            }),
            vec!["/w/a.rs"]
        );
    }

    #[test]
    fn paths_are_judged_after_dots_and_links() {
        let own = vec![allow(ToolKind::Edit, "/w")];
        let edit = |path: &str| Subject {
            kind: ToolKind::Edit,
            text: path.into(),
        };
        assert_eq!(
            decide(&edit("/w/a.rs"), &[], &own).action,
            RuleAction::Allow
        );
        assert_eq!(
            decide(&edit("/w/../../../etc/cron.d/evil"), &[], &own).action,
            RuleAction::Ask
        );
        let dir = std::env::temp_dir().join(format!("tandem-links-{}", std::process::id()));
        let workspace = dir.join("w");
        let _ = std::fs::create_dir_all(&workspace);
        let _ = std::os::unix::fs::symlink("/etc", workspace.join("out"));
        let Ok(real) = workspace.canonicalize() else {
            panic!("workspace");
        };
        let own = vec![allow(ToolKind::Edit, &real.display().to_string())];
        let through_link =
            edit(&format!("{}/out/cron.d/evil", real.display())).with_links_resolved();
        assert_eq!(through_link.text, "/etc/cron.d/evil");
        assert_eq!(decide(&through_link, &[], &own).action, RuleAction::Ask);
        let new_file = edit(&format!("{}/new/file.rs", real.display())).with_links_resolved();
        assert_eq!(decide(&new_file, &[], &own).action, RuleAction::Allow);
        // A redirection through the same link is judged where it leads.
        let mut rules = own.clone();
        rules.push(allow(ToolKind::Execute, "echo"));
        let redirected = command(&format!("echo x > {}/out/cron.d/evil", real.display()));
        assert_eq!(
            decide(&redirected, &[], &rules).action,
            RuleAction::Allow,
            "as text"
        );
        assert_eq!(
            decide_with(&redirected, &[], &rules, &resolve_links).action,
            RuleAction::Ask
        );
        let inside = command(&format!("echo x > {}/notes.txt", real.display()));
        assert_eq!(
            decide_with(&inside, &[], &rules, &resolve_links).action,
            RuleAction::Allow
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
