//! Approval rules: an assistant's own (its Rules tab) or Tandem-wide
//! (Settings, admins). Allow, Ask or Block by tool kind and a prefix.

use crate::endpoints::rules;
use crate::state::AppState;
use leptos::prelude::*;
use tandem_shared::api::{ApprovalRule, CreateRule, RuleAction};
use tandem_shared::{AssistantId, ToolKind};

/// The rules of `assistant`, or Tandem-wide ones (`None`). `can_edit`:
/// whether this person may add and remove them.
#[component]
pub fn RulesList(assistant: Option<AssistantId>, can_edit: bool) -> impl IntoView {
    let state = expect_context::<AppState>();
    let assistant = StoredValue::new(assistant);
    let list = RwSignal::new(Vec::<ApprovalRule>::new());
    // `None`: any kind of tool.
    let kind = RwSignal::new(Some(ToolKind::Execute));
    let prefix = RwSignal::new(String::new());
    let action = RwSignal::new(RuleAction::Allow);
    let load = move || {
        leptos::task::spawn_local(async move {
            match rules::list(assistant.get_value().as_ref()).await {
                Ok(found) => list.set(found),
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    load();
    let add = move |_| {
        let body = CreateRule {
            kind: kind.get_untracked(),
            prefix: prefix.get_untracked(),
            action: action.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match rules::add(assistant.get_value().as_ref(), &body).await {
                Ok(_) => {
                    prefix.set(String::new());
                    load();
                }
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    view! {
        <ul class="plain-list" data-testid="rules">
            <For each=move || list.get() key=|r| r.id.clone() children=move |rule| {
                let rule_id = rule.id.clone();
                let what = match rule.kind {
                    Some(kind) => format!("{}:{}", kind.name(), rule.prefix),
                    None => format!("any:{}", rule.prefix),
                };
                view! {
                    <li class="row">
                        <span class=format!("rule-action rule-{}", rule.action.as_str())>{rule.action.as_str()}</span>
                        <code data-testid="rule">{what}</code>
                        {can_edit.then(|| view! {
                            <button class="button small" data-testid="rule-remove" on:click=move |_| {
                                let rule_id = rule_id.clone();
                                leptos::task::spawn_local(async move {
                                    state.report(rules::remove(&rule_id).await);
                                    load();
                                });
                            }>"Remove"</button>
                        })}
                    </li>
                }
            } />
        </ul>
        {can_edit.then(|| view! {
            <div class="row wrap">
                <label class="field"><span>"Action"</span>
                    <select prop:value=move || action.get().as_str()
                        on:change=move |ev| action.set(RuleAction::parse(&event_target_value(&ev)).unwrap_or(RuleAction::Ask))>
                        <option value="allow">"Allow"</option>
                        <option value="ask">"Ask"</option>
                        <option value="block">"Block"</option>
                    </select>
                </label>
                <label class="field"><span>"Tool kind"</span>
                    <select prop:value=move || kind.get().map(|k| k.name()).unwrap_or("")
                        on:change=move |ev| kind.set(ToolKind::parse(&event_target_value(&ev)))>
                        <option value="">"any"</option>
                        {ToolKind::ALL.into_iter().map(|k| view! { <option value=k.name()>{k.label()}</option> }).collect_view()}
                    </select>
                </label>
                <label class="field grow"><span>"Command, path or URL prefix"</span>
                    <input data-testid="rule-prefix" placeholder="git push" prop:value=move || prefix.get()
                        on:input=move |ev| prefix.set(event_target_value(&ev)) />
                </label>
                <button class="button" data-testid="rule-add" on:click=add>"Add rule"</button>
            </div>
        })}
    }
}
