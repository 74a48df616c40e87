//! The message box used wherever a person writes: Enter sends, Shift+Enter
//! starts a new line. Where the agent offers slash commands, typing `/`
//! opens a palette of them: arrows move, Enter or Tab picks, Escape closes.

use leptos::prelude::*;
use tandem_shared::agent_state::AgentCommand;

#[component]
pub fn Composer(
    draft: RwSignal<String>,
    on_send: impl Fn() + Copy + Send + Sync + 'static,
    placeholder: &'static str,
    testid: &'static str,
    button_testid: &'static str,
    /// The agent's slash commands, where there is an agent.
    #[prop(optional, into)]
    commands: Option<Signal<Vec<AgentCommand>>>,
) -> impl IntoView {
    let commands = commands.unwrap_or_else(|| Signal::derive(Vec::new));
    // Which match is highlighted, and whether Escape closed the palette.
    let highlighted = RwSignal::new(0usize);
    let dismissed = RwSignal::new(false);
    let matches = Memo::new(move |_| {
        if dismissed.get() {
            return Vec::new();
        }
        let draft = draft.get();
        commands.with(|all| {
            AgentCommand::matching(&draft, all)
                .into_iter()
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    let pick = move |command: &AgentCommand| {
        draft.set(format!("/{} ", command.name));
        highlighted.set(0);
    };
    let on_keydown = move |ev: web_sys::KeyboardEvent| {
        let found = matches.get_untracked();
        if !found.is_empty() {
            let last = found.len() - 1;
            match ev.key().as_str() {
                "ArrowDown" => {
                    ev.prevent_default();
                    highlighted.update(|at| *at = if *at >= last { 0 } else { *at + 1 });
                    return;
                }
                "ArrowUp" => {
                    ev.prevent_default();
                    highlighted.update(|at| *at = if *at == 0 { last } else { *at - 1 });
                    return;
                }
                "Enter" | "Tab" if !ev.shift_key() => {
                    ev.prevent_default();
                    let at = highlighted.get_untracked().min(last);
                    pick(&found[at]);
                    return;
                }
                "Escape" => {
                    ev.prevent_default();
                    dismissed.set(true);
                    return;
                }
                _ => {}
            }
        }
        if ev.key() == "Enter" && !ev.shift_key() {
            ev.prevent_default();
            on_send();
        }
    };
    view! {
        <form class="composer" on:submit=move |ev| { ev.prevent_default(); on_send(); }>
            <Show when=move || !matches.get().is_empty()>
                <ul class="command-palette" role="listbox" aria-label="Agent commands" data-testid="command-palette">
                    {move || matches.get().into_iter().enumerate().map(|(at, command)| {
                        let chosen = command.clone();
                        view! {
                            <li role="option" class="command" class:highlighted=move || highlighted.get() == at
                                aria-selected=move || (highlighted.get() == at).to_string()
                                data-testid="palette-command"
                                on:mousedown=move |ev| { ev.prevent_default(); pick(&chosen); }>
                                <span class="command-name">"/" {command.name.clone()}</span>
                                {command.hint.clone().map(|hint| view! { <span class="command-hint">{hint}</span> })}
                                <span class="command-description">{command.description.clone()}</span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </Show>
            <textarea data-testid=testid rows="2" aria-label="Message" placeholder=placeholder
                prop:value=move || draft.get()
                on:input=move |ev| {
                    dismissed.set(false);
                    highlighted.set(0);
                    draft.set(event_target_value(&ev));
                }
                on:keydown=on_keydown></textarea>
            <button class="button primary" type="submit" data-testid=button_testid>"Send"</button>
        </form>
    }
}
