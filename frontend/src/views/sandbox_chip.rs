//! "Sandboxed" or "Not sandboxed": whether the agent's process is kept in
//! its workspace by the kernel, in the session header and on the profile.
//! The chip's title says what that means.

use crate::endpoints::agents;
use leptos::prelude::*;
use tandem_shared::api::SandboxInfo;

#[component]
pub fn SandboxChip() -> impl IntoView {
    let info = RwSignal::new(None::<SandboxInfo>);
    leptos::task::spawn_local(async move {
        if let Ok(found) = agents::sandbox().await {
            info.set(Some(found));
        }
    });
    move || {
        info.get().map(|info| {
            let words = if info.enforced {
                "Sandboxed"
            } else {
                "Not sandboxed"
            };
            view! {
                <span class="agent-chip" class:acts-alone=!info.enforced data-testid="sandbox-chip"
                    title=info.description.clone() aria-label=info.description>
                    {words}
                </span>
            }
        })
    }
}
