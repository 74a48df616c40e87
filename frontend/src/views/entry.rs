//! One transcript entry. Agent text is shown as text, never as HTML.

use crate::endpoints::approvals;
use crate::markdown;
use crate::state::AppState;
use crate::views::diff::DiffView;
use leptos::prelude::*;
use tandem_shared::agent_state::ModeSafety;
use tandem_shared::api::Decide;
use tandem_shared::transcript::Entry;
use tandem_shared::{
    ApprovalId, DecisionOutcome, PermissionKind, PermissionOption, PlanStatus, SessionStatus,
    StartMode, ToolCall, ToolContent, ToolStatus,
};

#[component]
pub fn EntryView(entry: Entry) -> impl IntoView {
    match entry {
        Entry::User { text, author, .. } => view! {
            <li class="entry user" data-testid="entry-user">
                <div class="who">{author.unwrap_or_else(|| "You".into())}</div>
                <div class="text">{text}</div>
            </li>
        }
        .into_any(),
        Entry::Agent { text, .. } => view! {
            <li class="entry agent" data-testid="entry-agent"><Markdown text=text /></li>
        }
        .into_any(),
        Entry::Thought { text, .. } => view! {
            <li class="entry thought">
                <details><summary>"Thinking"</summary><div class="text">{text}</div></details>
            </li>
        }
        .into_any(),
        Entry::Tool { call, .. } => {
            // (class and test key, words a person reads)
            let (status, words) = match call.status {
                ToolStatus::Pending => ("pending", "pending"),
                ToolStatus::InProgress => ("running", "running"),
                ToolStatus::Completed => ("done", "done"),
                ToolStatus::Failed => ("failed", "failed"),
                ToolStatus::NotFinished => ("not-finished", "did not finish"),
            };
            let title = if call.title.is_empty() { call.id.clone() } else { call.title.clone() };
            let kind = call.kind.label();
            view! {
                <li class=format!("entry tool tool-{status}") data-testid="entry-tool" data-tool-status=status>
                    <div class="tool-head">
                        <span class="tool-kind">{kind}</span>
                        <span class="tool-title">{title}</span>
                        <span class="tool-status">{words}</span>
                    </div>
                    <ToolBody call=call asking=false />
                </li>
            }
            .into_any()
        }
        Entry::Plan { entries, .. } => view! {
            <li class="entry plan">
                <div class="who">"Plan"</div>
                <ul class="plan-list">
                    {entries.into_iter().map(|e| {
                        let mark = match e.status { PlanStatus::Completed => "☑", PlanStatus::InProgress => "◐", PlanStatus::Pending => "☐" };
                        view! { <li>{mark} " " {e.content}</li> }
                    }).collect_view()}
                </ul>
            </li>
        }
        .into_any(),
        Entry::Approval { approval_id, tool_call, options, always_keeps, decision, .. } => {
            // A share link's page has no app state: nobody there may answer.
            let state = use_context::<AppState>();
            let title = tool_call.title.clone().unwrap_or_else(|| tool_call.id.clone());
            let verdict = decision.map(|(outcome, by)| match outcome {
                DecisionOutcome::Selected { option_id, kind } => {
                    let word = options.iter().find(|o| o.option_id == option_id).map(|o| o.name.clone()).unwrap_or(option_id);
                    let who = by.map(|b| format!(" by {b}")).unwrap_or_default();
                    let class = if kind.is_allow() { "verdict allowed" } else { "verdict rejected" };
                    (class, format!("{word}{who}"))
                }
                DecisionOutcome::Cancelled { reason } => ("verdict cancelled", format!("Cancelled: {reason}")),
            });
            let pending = verdict.is_none();
            let mut asked = ToolCall::empty(&tool_call.id);
            asked.apply(&tool_call);
            view! {
                <li class="entry approval" class:pending=pending data-testid="approval-card">
                    <div class="approval-title">"Permission: " {title}</div>
                    <ToolBody call=asked asking=true />
                    {match (verdict, state) {
                        (Some((class, text)), _) => view! { <div class=class data-testid="approval-verdict">{text}</div> }.into_any(),
                        (None, None) => view! { <div class="muted">"Waiting for a decision"</div> }.into_any(),
                        (None, Some(_)) => view! { <ApprovalOptions approval_id=approval_id options=options /> }.into_any(),
                    }}
                    {(pending && !always_keeps.is_empty()).then(|| view! {
                        <div class="muted always-keeps" data-testid="always-keeps">
                            "“Always” keeps a rule for each of: "
                            {always_keeps.iter().map(|k| view! { <code>{k.clone()}</code> " " }).collect_view()}
                        </div>
                    })}
                </li>
            }
            .into_any()
        }
        // Running and waiting show in the header; the log keeps the rest.
        Entry::Status { status: SessionStatus::Running | SessionStatus::WaitingApproval, reason: None, .. } => ().into_any(),
        Entry::Status { status, reason, .. } => view! {
            <li class="entry status-line" data-testid="entry-status" data-status=status.as_str()>
                {status.label()} {reason.map(|r| format!(" — {r}"))}
            </li>
        }
        .into_any(),
        Entry::Continuity { mode, reason, context, .. } => {
            let label = match mode {
                StartMode::Warm => "Warm resume",
                StartMode::Cold => "Cold start",
            };
            view! {
                <li class="entry continuity" data-testid="entry-continuity" data-mode=label>
                    <div class="continuity-line">{label} {reason.map(|r| format!(" — {r}"))}</div>
                    {context.map(|context| view! {
                        <details><summary>"Context given to the agent"</summary><pre>{context}</pre></details>
                    })}
                </li>
            }
            .into_any()
        }
        Entry::Summary { text, .. } => view! {
            <li class="entry summary" data-testid="entry-summary"><div class="who">"Summary"</div><div class="text">{text}</div></li>
        }
        .into_any(),
        Entry::Change { what, value, safety, by, .. } => {
            let acts = matches!(safety, Some(ModeSafety::ActsAlone | ModeSafety::Unknown));
            view! {
                <li class="entry change" class:acts-alone=acts data-testid="entry-change">
                    {what} " set to " <strong>{value}</strong>
                    {safety.map(|s| format!(" ({})", s.words()))}
                    " — " {by.words()}
                </li>
            }
            .into_any()
        }
        Entry::Notice { text, .. } => view! {
            <li class="entry notice" data-testid="entry-notice">{text}</li>
        }
        .into_any(),
        Entry::Error { message, .. } => view! {
            <li class="entry error" role="alert" data-testid="entry-error">{message}</li>
        }
        .into_any(),
    }
}

/// What a tool call is about and what it gave back: the command it runs
/// (unless its title already says it), the files it touches, its diffs
/// and output. Shown on the tool's card and on an approval, so a person
/// sees the change before allowing it. On an approval (`asking`), the
/// agent's reason stands in for its text about the request, which may be
/// its internal notes (Codex lists its proposed rule and decisions).
#[component]
pub fn ToolBody(call: ToolCall, asking: bool) -> impl IntoView {
    let command = call
        .command()
        .filter(|command| command.trim() != call.title.trim());
    let reason = call.reason().filter(|_| asking);
    let mut call = call;
    if reason.is_some() {
        call.content
            .retain(|c| !matches!(c, ToolContent::Text { .. }));
    }
    // The tool's result when the agent sends it only as `rawOutput`
    // (Claude's adapter), unless its content already shows output.
    let shows_output = call
        .content
        .iter()
        .any(|c| matches!(c, ToolContent::Text { text } if !text.is_empty()));
    let raw_output = call
        .raw_output
        .as_ref()
        .filter(|_| !shows_output)
        .map(raw_output_text);
    // A diff names its file; the locations line would only repeat it.
    let diffed: Vec<&str> = call
        .content
        .iter()
        .filter_map(|c| match c {
            ToolContent::Diff { path, .. } => Some(path.as_str()),
            _ => None,
        })
        .collect();
    let locations: Vec<String> = call
        .locations
        .iter()
        .filter(|l| l.line.is_some() || !diffed.contains(&l.path.as_str()))
        .map(|l| match l.line {
            Some(line) => format!("{}:{line}", l.path),
            None => l.path.clone(),
        })
        .collect();
    view! {
        {reason.map(|reason| view! { <div class="tool-reason" data-testid="tool-reason">{reason}</div> })}
        {command.map(|command| view! { <pre class="tool-command" data-testid="tool-command">{command}</pre> })}
        {(!locations.is_empty()).then(|| view! { <div class="tool-locations">{locations.join(", ")}</div> })}
        {raw_output.map(|text| view! { <pre class="tool-output" data-testid="tool-raw-output">{text}</pre> })}
        {call.content.into_iter().filter(|c| !matches!(c, ToolContent::Text { text } if text.is_empty())).map(|content| match content {
            ToolContent::Text { text } => view! { <pre class="tool-output" data-testid="tool-output">{text}</pre> }.into_any(),
            ToolContent::Diff { path, old_text, new_text } => view! { <DiffView path old_text new_text /> }.into_any(),
            // Codex embeds a terminal it never created through Tandem: its
            // output reaches the card through updates, not by this id.
            ToolContent::Terminal { .. } => ().into_any(),
            ToolContent::Other { description } => view! { <div class="muted">{description}</div> }.into_any(),
        }).collect_view()}
    }
}

/// The answers an approval offers, as buttons; the first answer anyone
/// gives wins, and the card then shows who gave it.
#[component]
pub fn ApprovalOptions(approval_id: ApprovalId, options: Vec<PermissionOption>) -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <div class="approval-options">
            {options.into_iter().map(|option| {
                let class = match option.kind {
                    PermissionKind::AllowOnce | PermissionKind::AllowAlways => "button primary",
                    _ => "button",
                };
                let approval_id = approval_id.clone();
                let body = Decide { option_id: option.option_id.clone() };
                let full_name = option.name.clone();
                view! {
                    <button class=class data-testid="approval-option" data-option=option.option_id.clone() title=full_name
                        on:click=move |_| {
                            let approval_id = approval_id.clone();
                            let body = body.clone();
                            leptos::task::spawn_local(async move {
                                let result = approvals::decide(&approval_id, &body).await.map(|_| ());
                                state.report(result);
                            });
                        }>{option.name}</button>
                }
            }).collect_view()}
        </div>
    }
}

/// Agent text rendered as markdown (see `crate::markdown`); the plain text
/// is shown if the browser will not build the nodes.
#[component]
fn Markdown(text: String) -> impl IntoView {
    let holder = NodeRef::<leptos::html::Div>::new();
    let text = StoredValue::new(text);
    Effect::new(move |_| {
        let Some(holder) = holder.get() else {
            return;
        };
        let rendered = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|document| text.with_value(|t| markdown::render(&document, t)));
        match rendered {
            Some(node) => {
                holder.set_text_content(None);
                let _ = holder.append_child(&node);
            }
            None => text.with_value(|t| holder.set_text_content(Some(t))),
        }
    });
    view! { <div class="text" node_ref=holder></div> }
}

/// A tool's raw result as text: a string as it is; an object's `output`,
/// `stdout` or `content` string when it has one; otherwise its JSON. Long
/// results are cut.
fn raw_output_text(raw: &serde_json::Value) -> String {
    const MAX: usize = 20_000;
    let text = match raw {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Object(fields) => ["output", "stdout", "content"]
            .iter()
            .find_map(|key| fields.get(*key).and_then(|v| v.as_str()).map(str::to_owned))
            .unwrap_or_else(|| serde_json::to_string_pretty(raw).unwrap_or_default()),
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    };
    if text.chars().count() <= MAX {
        return text;
    }
    let cut: String = text.chars().take(MAX).collect();
    format!("{cut}…")
}
