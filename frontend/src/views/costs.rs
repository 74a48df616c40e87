//! Settings → Costs, for admins: monthly budgets (Tandem-wide and per
//! assistant) and the price table that estimates what agents report only
//! in tokens.

use crate::endpoints::{budgets, prices};
use crate::state::AppState;
use crate::views::usage::{money, BudgetGauges};
use leptos::prelude::*;
use tandem_shared::budget::{BudgetStanding, SetBudget, DEFAULT_WARN_PERCENT};
use tandem_shared::spend::{parse_money, ModelPrice};
use tandem_shared::AssistantId;

#[component]
pub fn CostSettings() -> impl IntoView {
    view! {
        <div class="card" data-testid="cost-settings">
            <h2>"Budgets"</h2>
            <p class="muted">"A month's amount (UTC calendar months). Past the warning, the assistant's chat and its members' devices hear of it; at the budget, new wakes are refused and running sessions pause until an admin raises it or resumes them."</p>
            <BudgetForm />
            <h2>"Model prices"</h2>
            <p class="muted">"Per million tokens. They estimate the cost of sessions whose agent reports tokens but no cost; estimates are marked as such."</p>
            <PriceTable />
        </div>
    }
}

#[component]
fn BudgetForm() -> impl IntoView {
    let state = expect_context::<AppState>();
    let standings = RwSignal::new(Vec::<BudgetStanding>::new());
    let load = move || {
        leptos::task::spawn_local(async move {
            match budgets::list().await {
                Ok(list) => standings.set(list),
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    load();
    let scope = RwSignal::new(String::new());
    let amount = RwSignal::new(String::new());
    let warn = RwSignal::new(DEFAULT_WARN_PERCENT.to_string());
    let said = RwSignal::new(None::<String>);
    let assistant = move || {
        let chosen = scope.get_untracked();
        (!chosen.is_empty()).then_some(AssistantId(chosen))
    };
    let save = move |_| {
        let Some(monthly_micros) = parse_money(&amount.get_untracked()) else {
            said.set(Some("The amount is money, like 50 or 12.50.".into()));
            return;
        };
        let Ok(warn_percent) = warn.get_untracked().trim().parse::<u8>() else {
            said.set(Some("The warning is a percentage from 1 to 100.".into()));
            return;
        };
        let body = SetBudget {
            monthly_micros,
            warn_percent,
        };
        let assistant = assistant();
        leptos::task::spawn_local(async move {
            match budgets::set(assistant.as_ref(), &body).await {
                Ok(_) => {
                    said.set(Some(format!("Saved: {} a month.", money(monthly_micros))));
                    load();
                }
                Err(message) => said.set(Some(message)),
            }
        });
    };
    let remove = move |_| {
        let assistant = assistant();
        leptos::task::spawn_local(async move {
            match budgets::remove(assistant.as_ref()).await {
                Ok(()) => {
                    said.set(Some("Removed.".into()));
                    load();
                }
                Err(message) => said.set(Some(message)),
            }
        });
    };
    view! {
        <BudgetGauges standings=standings.into() empty="No budget is set." />
        <div class="row wrap budget-form">
            <label class="field"><span>"For"</span>
                <select data-testid="budget-scope" on:change=move |ev| scope.set(event_target_value(&ev))>
                    <option value="">"All of Tandem"</option>
                    <For each=move || state.assistants.get() key=|a| a.id.clone()
                        children=|a| view! { <option value=a.id.0.clone()>{a.name.clone()}</option> } />
                </select></label>
            <label class="field"><span>"A month ($)"</span>
                <input data-testid="budget-amount" inputmode="decimal" placeholder="50.00"
                    prop:value=move || amount.get() on:input=move |ev| amount.set(event_target_value(&ev)) /></label>
            <label class="field"><span>"Warn at (%)"</span>
                <input data-testid="budget-warn" inputmode="numeric" size="4"
                    prop:value=move || warn.get() on:input=move |ev| warn.set(event_target_value(&ev)) /></label>
            <button class="button primary" data-testid="budget-save" on:click=save>"Save budget"</button>
            <button class="button" data-testid="budget-remove" on:click=remove>"Remove"</button>
        </div>
        {move || said.get().map(|text| view! { <p class="muted" role="status" data-testid="budget-said">{text}</p> })}
    }
}

#[component]
fn PriceTable() -> impl IntoView {
    let state = expect_context::<AppState>();
    let list = RwSignal::new(Vec::<ModelPrice>::new());
    let load = move || {
        leptos::task::spawn_local(async move {
            match prices::list().await {
                Ok(all) => list.set(all),
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    load();
    let model = RwSignal::new(String::new());
    let fields: [RwSignal<String>; 4] = std::array::from_fn(|_| RwSignal::new(String::new()));
    let said = RwSignal::new(None::<String>);
    let save = move |_| {
        let mut micros = [0i64; 4];
        for (slot, field) in micros.iter_mut().zip(fields) {
            let text = field.get_untracked();
            if text.trim().is_empty() {
                continue;
            }
            match parse_money(&text) {
                Some(value) => *slot = value,
                None => {
                    said.set(Some("Prices are money, like 3 or 0.30.".into()));
                    return;
                }
            }
        }
        let price = ModelPrice {
            model: model.get_untracked().trim().to_owned(),
            input_micros: micros[0],
            output_micros: micros[1],
            cached_read_micros: micros[2],
            cached_write_micros: micros[3],
        };
        leptos::task::spawn_local(async move {
            match prices::set(&price).await {
                Ok(saved) => {
                    said.set(Some(saved.note.unwrap_or_else(|| {
                        format!("Saved the price of {}.", saved.price.model)
                    })));
                    load();
                }
                Err(message) => said.set(Some(message)),
            }
        });
    };
    const HEADS: [&str; 4] = ["Input", "Output", "Cache read", "Cache write"];
    view! {
        <table class="prices" data-testid="prices">
            <thead><tr><th scope="col">"Model"</th>{HEADS.map(|h| view! { <th scope="col">{h}</th> })}<th></th></tr></thead>
            <tbody>
                <For each=move || list.get() key=|p| p.clone() let:price>
                    {
                        let name = price.model.clone();
                        let remove = move |_| {
                            let name = name.clone();
                            leptos::task::spawn_local(async move {
                                match prices::remove(&name).await {
                                    Ok(()) => load(),
                                    Err(message) => said.set(Some(message)),
                                }
                            });
                        };
                        view! {
                            <tr>
                                <th scope="row"><code>{price.model.clone()}</code></th>
                                <td>{money(price.input_micros)}</td>
                                <td>{money(price.output_micros)}</td>
                                <td>{money(price.cached_read_micros)}</td>
                                <td>{money(price.cached_write_micros)}</td>
                                <td><button class="link" on:click=remove>"Remove"</button></td>
                            </tr>
                        }
                    }
                </For>
            </tbody>
        </table>
        <div class="row wrap price-form">
            <label class="field"><span>"Model"</span>
                <input data-testid="price-model" placeholder="gpt-5-mini"
                    prop:value=move || model.get() on:input=move |ev| model.set(event_target_value(&ev)) /></label>
            {HEADS.into_iter().zip(fields).map(|(head, field)| view! {
                <label class="field"><span>{format!("{head} ($)")}</span>
                    <input inputmode="decimal" size="7" data-testid=format!("price-{}", head.to_lowercase().replace(' ', "-"))
                        prop:value=move || field.get() on:input=move |ev| field.set(event_target_value(&ev)) /></label>
            }).collect_view()}
            <button class="button primary" data-testid="price-save" on:click=save>"Save price"</button>
        </div>
        {move || said.get().map(|text| view! { <p class="muted" role="status" data-testid="price-said">{text}</p> })}
    }
}
