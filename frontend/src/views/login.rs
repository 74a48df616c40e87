//! The first-run admin account, and logging in.

use crate::endpoints::auth;
use leptos::prelude::*;
use tandem_shared::auth::{check_password, check_user_name, Credentials, FirstAdmin};

/// Asks for the first account, which becomes the admin; from another
/// machine, with the setup code the server printed on its console.
#[component]
pub fn SetupForm(
    code_needed: bool,
    on_done: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let code = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = FirstAdmin {
            name: name.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
            setup_code: code_needed.then(|| code.get_untracked().trim().to_owned()),
        };
        if let Err(problem) = check_user_name(&body.name) {
            error.set(Some(format!("Name: {problem}")));
            return;
        }
        if let Err(problem) = check_password(&body.password) {
            error.set(Some(format!("Password: {problem}")));
            return;
        }
        if body.password != repeat.get_untracked() {
            error.set(Some("The two passwords differ".into()));
            return;
        }
        leptos::task::spawn_local(async move {
            match auth::setup(&body).await {
                Ok(_) => on_done(),
                Err(message) => error.set(Some(message)),
            }
        });
    };
    view! {
        <main class="center-screen">
            <form class="auth-card" on:submit=submit data-testid="setup-form">
                <div class="brand">"Tandem"</div>
                <h1>"Welcome"</h1>
                <p class="muted">"Make the first account. It is the admin: it adds the rest of the team."</p>
                {code_needed.then(|| view! {
                    <label class="field"><span>"Setup code"</span>
                        <small class="muted">"Printed on the console where Tandem was started (“First run: … setup code …”)."</small>
                        <input data-testid="setup-code" autocomplete="one-time-code" required
                            prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev)) /></label>
                })}
                <label class="field"><span>"Name"</span><input data-testid="setup-name" autocomplete="username" required
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) /></label>
                <label class="field"><span>"Password"</span><input type="password" data-testid="setup-password" autocomplete="new-password" required
                    prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) /></label>
                <label class="field"><span>"Password again"</span><input type="password" data-testid="setup-repeat" autocomplete="new-password" required
                    prop:value=move || repeat.get() on:input=move |ev| repeat.set(event_target_value(&ev)) /></label>
                {move || error.get().map(|message| view! { <div class="form-error" role="alert">{message}</div> })}
                <button class="button primary" type="submit" data-testid="setup-submit">"Create admin account"</button>
            </form>
        </main>
    }
}

/// `ended`: the login this page had was ended elsewhere (logged out, or
/// the password changed): the form says so.
#[component]
pub fn LoginForm(
    on_done: impl Fn() + Copy + Send + Sync + 'static,
    #[prop(optional)] ended: bool,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = Credentials {
            name: name.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match auth::login(&body).await {
                Ok(_) => on_done(),
                Err(message) => {
                    password.set(String::new());
                    error.set(Some(message));
                }
            }
        });
    };
    view! {
        <main class="center-screen">
            <form class="auth-card" on:submit=submit data-testid="login-form">
                <div class="brand">"Tandem"</div>
                <h1>"Log in"</h1>
                {ended.then(|| view! {
                    <p class="muted" role="status" data-testid="login-ended">"Your login has ended; log in again."</p>
                })}
                <label class="field"><span>"Name"</span><input data-testid="login-name" autocomplete="username" required
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) /></label>
                <label class="field"><span>"Password"</span><input type="password" data-testid="login-password" autocomplete="current-password" required
                    prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) /></label>
                {move || error.get().map(|message| view! { <div class="form-error" role="alert">{message}</div> })}
                <button class="button primary" type="submit" data-testid="login-submit">"Log in"</button>
            </form>
        </main>
    }
}
