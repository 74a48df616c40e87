//! An assistant's secrets on its profile: names only; a value can be
//! replaced or the secret deleted, never read back.

use crate::endpoints::assistants;
use crate::state::AppState;
use leptos::prelude::*;
use tandem_shared::api::{PutSecret, SecretInfo};
use tandem_shared::AssistantId;

#[component]
pub fn SecretsEditor(id: AssistantId) -> impl IntoView {
    let state = expect_context::<AppState>();
    let id = StoredValue::new(id);
    let list = RwSignal::new(Vec::<SecretInfo>::new());
    let reload = move || {
        leptos::task::spawn_local(async move {
            match assistants::secrets(&id.get_value()).await {
                Ok(found) => list.set(found),
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    reload();
    let name = RwSignal::new(String::new());
    let value = RwSignal::new(String::new());
    let put = move |secret: String, body: PutSecret| {
        leptos::task::spawn_local(async move {
            match assistants::put_secret(&id.get_value(), &secret, &body).await {
                Ok(()) => reload(),
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    let add = move |_| {
        let secret = name.get_untracked().trim().to_owned();
        let body = PutSecret {
            value: value.get_untracked(),
        };
        name.set(String::new());
        value.set(String::new());
        put(secret, body);
    };
    view! {
        <fieldset class="field secrets" data-testid="secrets-editor">
            <legend>"Secrets"</legend>
            <small class="muted">"Given to this assistant's agent as environment variables. Nobody can read a value back: replace or delete it."</small>
            <ul class="plain">
                {move || list.get().into_iter().map(|secret| {
                    let replacement = RwSignal::new(String::new());
                    let named = secret.name.clone();
                    let doomed = secret.name.clone();
                    view! {
                        <li class="row secret-row" data-testid="secret">
                            <code class="secret-name">{secret.name.clone()}</code>
                            <span class="muted">"••••••••"</span>
                            <input type="password" class="secret-value" aria-label=format!("New value for {}", secret.name)
                                autocomplete="off" placeholder="new value"
                                prop:value=move || replacement.get() on:input=move |ev| replacement.set(event_target_value(&ev)) />
                            <button class="button small" data-testid="replace-secret"
                                on:click=move |_| put(named.clone(), PutSecret { value: replacement.get_untracked() })>"Replace"</button>
                            <button class="button small danger" data-testid="delete-secret"
                                on:click=move |_| {
                                    let doomed = doomed.clone();
                                    leptos::task::spawn_local(async move {
                                        match assistants::delete_secret(&id.get_value(), &doomed).await {
                                            Ok(()) => reload(),
                                            Err(message) => state.error.set(Some(message)),
                                        }
                                    });
                                }>"Delete"</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <div class="row secret-row">
                <input type="text" class="secret-name" data-testid="new-secret-name" aria-label="Secret name" placeholder="NAME"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                <input type="password" class="secret-value" data-testid="new-secret-value" aria-label="Secret value"
                    autocomplete="off" placeholder="value"
                    prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev)) />
                <button class="button small" data-testid="add-secret" on:click=add>"Add"</button>
            </div>
        </fieldset>
    }
}
