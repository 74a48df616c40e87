//! Every approval waiting for this person, across assistants: answer it
//! here or open its session. Refreshed whenever the live count changes.

use crate::endpoints::approvals;
use crate::state::{AppState, Page};
use crate::views::entry::{ApprovalOptions, ToolBody};
use leptos::prelude::*;
use tandem_shared::api::PendingApproval;
use tandem_shared::ToolCall;

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let list = RwSignal::new(None::<Vec<PendingApproval>>);
    Effect::new(move |_| {
        state.pending.track();
        leptos::task::spawn_local(async move {
            match approvals::pending().await {
                Ok(found) => list.set(Some(found)),
                Err(message) => state.error.set(Some(message)),
            }
        });
    });
    let assistant_name = move |approval: &PendingApproval| {
        state.assistants.with_untracked(|all| {
            all.iter()
                .find(|a| a.id == approval.assistant_id)
                .map(|a| a.name.clone())
                .unwrap_or_default()
        })
    };
    view! {
        <section class="list-page" data-testid="approvals-page">
            <div class="list-page-head"><h1>"Approvals"</h1></div>
            {move || match list.get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(found) if found.is_empty() => view! {
                    <p class="muted" data-testid="approvals-empty">"Nothing is waiting for you."</p>
                }.into_any(),
                Some(found) => view! {
                    <ul class="plain inbox">
                        {found.into_iter().map(|approval| {
                            let session = approval.session_id.clone();
                            let title = approval.tool_call.title.clone().unwrap_or_else(|| approval.tool_call.id.clone());
                            let mut asked = ToolCall::empty(&approval.tool_call.id);
                            asked.apply(&approval.tool_call);
                            view! {
                                <li class="entry approval pending" data-testid="inbox-approval">
                                    <div class="approval-title">"Permission: " {title}</div>
                                    <div class="muted inbox-where">
                                        {assistant_name(&approval)} " · "
                                        <button class="link" data-testid="inbox-open"
                                            on:click=move |_| state.go(Page::Session(session.clone()))>
                                            {approval.session_title.clone()}
                                        </button>
                                    </div>
                                    <ToolBody call=asked asking=true />
                                    <ApprovalOptions approval_id=approval.approval_id.clone() options=approval.options.clone() />
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </section>
    }
}
