//! Approval rules: an assistant's own (its Rules tab) or Tandem-wide
//! (Settings, admins). Allow, Ask or Block by tool kind and a prefix.

use crate::api;
use crate::app::AppState;
use leptos::prelude::*;
use tandem_shared::api::{ApprovalRule, CreateRule, RuleAction};
use tandem_shared::ToolKind;

/// The rules at `path` (`/api/rules` or `/api/assistants/<id>/rules`).
/// `can_edit`: whether this person may add and remove them.
#[component]
pub fn RulesList(path: String, can_edit: bool) -> impl IntoView {
    let state = expect_context::<AppState>();
    let path = StoredValue::new(path);
    let rules = RwSignal::new(Vec::<ApprovalRule>::new());
    let kind = RwSignal::new(String::from("execute"));
    let prefix = RwSignal::new(String::new());
    let action = RwSignal::new(String::from("allow"));
    let load = move || {
        leptos::task::spawn_local(async move {
            match api::get::<Vec<ApprovalRule>>(&path.get_value()).await {
                Ok(list) => rules.set(list),
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    load();
    let add = move |_| {
        let body = CreateRule {
            kind: ToolKind::parse(&kind.get_untracked()),
            prefix: prefix.get_untracked(),
            action: RuleAction::parse(&action.get_untracked()).unwrap_or(RuleAction::Ask),
        };
        leptos::task::spawn_local(async move {
            match api::post::<_, ApprovalRule>(&path.get_value(), &body).await {
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
            <For each=move || rules.get() key=|r| r.id.clone() children=move |rule| {
                let remove = format!("/api/rules/{}", rule.id);
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
                                let remove = remove.clone();
                                leptos::task::spawn_local(async move {
                                    state.report(api::delete(&remove).await);
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
                    <select prop:value=move || action.get() on:change=move |ev| action.set(event_target_value(&ev))>
                        <option value="allow">"Allow"</option>
                        <option value="ask">"Ask"</option>
                        <option value="block">"Block"</option>
                    </select>
                </label>
                <label class="field"><span>"Tool kind"</span>
                    <select prop:value=move || kind.get() on:change=move |ev| kind.set(event_target_value(&ev))>
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
