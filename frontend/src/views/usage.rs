//! The Usage page: what sessions cost over time (a bar per day, stacked by
//! assistant, drawn as SVG, its numbers also as a table), the costliest
//! assistants, sessions and tasks, every budget's gauge, and the CSV.

use crate::endpoints::{budgets, usage};
use crate::state::{AppState, Page};
use leptos::prelude::*;
use tandem_shared::budget::{BudgetStanding, Standing};
use tandem_shared::spend::{show_money, Micros, Tokens};
use tandem_shared::usage_chart::{stack_by_day, Chart};
use tandem_shared::usage_report::{Grouping, UsageReport, UsageRow, DAY_MS};
use tandem_shared::{AssistantId, SessionId};

/// The ranges offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Range {
    ThisMonth,
    Days30,
    Days90,
}

impl Range {
    const ALL: [(Range, &'static str); 3] = [
        (Range::ThisMonth, "This month"),
        (Range::Days30, "30 days"),
        (Range::Days90, "90 days"),
    ];

    /// `[from, to)` in ms, ending at the end of today (UTC).
    fn bounds(self) -> (i64, i64) {
        let now = js_sys::Date::now() as i64;
        let end_of_today = (now.div_euclid(DAY_MS) + 1) * DAY_MS;
        match self {
            // The whole month, its days to come as empty bars.
            Range::ThisMonth => {
                let today = js_sys::Date::new(&(now as f64).into());
                let year = today.get_utc_full_year() as f64;
                let month = today.get_utc_month() as f64;
                (
                    js_sys::Date::utc(year, month) as i64,
                    js_sys::Date::utc(year, month + 1.0) as i64,
                )
            }
            Range::Days30 => (end_of_today - 30 * DAY_MS, end_of_today),
            Range::Days90 => (end_of_today - 90 * DAY_MS, end_of_today),
        }
    }
}

/// What the page shows for one range.
#[derive(Clone, Default)]
struct Loaded {
    chart: Chart,
    total: Option<UsageRow>,
    assistants: Vec<UsageRow>,
    sessions: Vec<UsageRow>,
    tasks: Vec<UsageRow>,
}

/// Colours for assistants without one of their own.
const PALETTE: [&str; 6] = [
    "#6b5bd6", "#2f9e8f", "#d9822b", "#c2417a", "#3b82c4", "#7a8a2e",
];

pub fn tokens_words(tokens: &Tokens) -> String {
    let k = |n: u64| {
        if n >= 10_000 {
            format!("{}k", n / 1_000)
        } else {
            n.to_string()
        }
    };
    format!(
        "{} in · {} out · {} cached",
        k(tokens.input),
        k(tokens.output),
        k(tokens.cached_read)
    )
}

pub fn money(micros: Micros) -> String {
    show_money(micros, tandem_shared::spend::CURRENCY)
}

#[component]
pub fn UsagePage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let range = RwSignal::new(Range::ThisMonth);
    let loaded = RwSignal::new(None::<Loaded>);
    let standings = RwSignal::new(Vec::<BudgetStanding>::new());
    Effect::new(move |_| {
        let (from, to) = range.get().bounds();
        leptos::task::spawn_local(async move {
            let report = |by, split| usage::report(by, split, from, to);
            let results = (
                report(Grouping::Day, Some(Grouping::Assistant)).await,
                report(Grouping::Assistant, None).await,
                report(Grouping::Session, None).await,
                report(Grouping::Task, None).await,
            );
            match results {
                (Ok(days), Ok(assistants), Ok(sessions), Ok(tasks)) => loaded.set(Some(Loaded {
                    chart: stack_by_day(&days),
                    total: Some(days.total),
                    assistants: top(assistants),
                    sessions: top(sessions),
                    tasks: top(tasks),
                })),
                (Err(message), ..)
                | (_, Err(message), ..)
                | (_, _, Err(message), _)
                | (.., Err(message)) => state.error.set(Some(message)),
            }
        });
    });
    leptos::task::spawn_local(async move {
        match budgets::list().await {
            Ok(list) => standings.set(list),
            Err(message) => state.error.set(Some(message)),
        }
    });
    let csv = move || {
        let (from, to) = range.get().bounds();
        usage::csv_link(Grouping::Day, Some(Grouping::Assistant), from, to)
    };
    view! {
        <section class="usage-page" data-testid="usage-page">
            <header class="session-header">
                <h1>"Usage"</h1>
                <div class="row wrap usage-ranges" role="group" aria-label="Range">
                    {Range::ALL.map(|(choice, name)| view! {
                        <button class="button" class:primary=move || range.get() == choice
                            aria-pressed=move || (range.get() == choice).to_string()
                            on:click=move |_| range.set(choice)>{name}</button>
                    })}
                    <a class="button" data-testid="usage-csv" href=csv download>"Download CSV"</a>
                </div>
            </header>
            {move || match loaded.get() {
                None => view! { <p class="muted" role="status">"Loading…"</p> }.into_any(),
                Some(loaded) => view! { <UsageBody loaded=loaded /> }.into_any(),
            }}
            <h2>"Budgets"</h2>
            <BudgetGauges standings=standings.into() empty="No budget is set. An admin sets them per assistant or for all of Tandem." />
        </section>
    }
}

fn top(report: UsageReport) -> Vec<UsageRow> {
    report.rows.into_iter().take(5).collect()
}

#[component]
fn UsageBody(loaded: Loaded) -> impl IntoView {
    let state = expect_context::<AppState>();
    let total = loaded.total.clone();
    // Each assistant's own colour, unless an earlier one has it: then the
    // first of the palette nobody has, so neighbours never look alike.
    let mut colours: Vec<(String, String, String)> = Vec::new();
    for (key, label) in &loaded.chart.series {
        let own = state.assistants.with_untracked(|list| {
            list.iter()
                .find(|a| &a.id.0 == key)
                .map(|a| a.color.clone())
        });
        let taken = |colour: &str| {
            colours
                .iter()
                .any(|(_, _, c)| c.eq_ignore_ascii_case(colour))
        };
        let colour = own
            .filter(|own| !taken(own))
            .or_else(|| PALETTE.iter().find(|p| !taken(p)).map(|p| (*p).to_owned()))
            .unwrap_or_else(|| PALETTE[colours.len() % PALETTE.len()].to_owned());
        colours.push((key.clone(), label.clone(), colour));
    }
    view! {
        <div class="usage-total" data-testid="usage-total">
            {total.map(|t| view! {
                <strong>{money(t.cost_micros + t.estimated_micros)}</strong>
                {(t.estimated_micros > 0).then(|| view! {
                    <span class="estimated" data-testid="usage-estimated">{format!(" ({} estimated)", money(t.estimated_micros))}</span>
                })}
                <span class="muted">{format!(" · {} · {} spends", tokens_words(&t.tokens), t.spends)}</span>
            })}
        </div>
        <CostChart chart=loaded.chart.clone() colours=colours.clone() />
        <div class="usage-tops">
            <TopList title="Assistants" rows=loaded.assistants.clone() open=|key| Page::Assistant(AssistantId(key)) />
            <TopList title="Sessions" rows=loaded.sessions.clone() open=|key| Page::Session(SessionId(key)) />
            <TopList title="Tasks" rows=loaded.tasks.clone() open=|_| Page::Tasks />
        </div>
    }
}

/// Cost per day, stacked by assistant; the same numbers as a table.
#[component]
fn CostChart(chart: Chart, colours: Vec<(String, String, String)>) -> impl IntoView {
    const BAR: f64 = 10.0;
    const HEIGHT: f64 = 100.0;
    let days = chart.bars.len().max(1);
    let max = chart.max_micros.max(1) as f64;
    let colour_of = |key: &str| {
        colours
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, _, c)| c.clone())
            .unwrap_or_else(|| PALETTE[0].to_owned())
    };
    let total: Micros = chart.bars.iter().map(|b| b.total_micros).sum();
    let summary = format!(
        "Cost per day over {days} days, stacked by assistant: {} in all, {} on the costliest day.",
        money(total),
        money(chart.max_micros)
    );
    let rects = chart
        .bars
        .iter()
        .enumerate()
        .flat_map(|(i, bar)| {
            let mut bottom = HEIGHT;
            bar.segments
                .iter()
                .map(|segment| {
                    let height = segment.micros as f64 / max * (HEIGHT - 4.0);
                    bottom -= height;
                    let title = format!("{}: {}", bar.day, money(segment.micros));
                    view! {
                        <rect x=(i as f64 * BAR + 1.0).to_string() y=bottom.to_string()
                            width=(BAR - 2.0).to_string() height=height.to_string()
                            fill=colour_of(&segment.key)><title>{title}</title></rect>
                    }
                })
                .collect::<Vec<_>>()
        })
        .collect::<Vec<_>>();
    let first = chart
        .bars
        .first()
        .map(|b| b.day.clone())
        .unwrap_or_default();
    let last = chart.bars.last().map(|b| b.day.clone()).unwrap_or_default();
    let legend = colours
        .iter()
        .map(|(_, label, colour)| {
            view! { <li><span class="swatch" style=format!("background:{colour}")></span>{label.clone()}</li> }
        })
        .collect::<Vec<_>>();
    let table_head = colours
        .iter()
        .map(|(_, label, _)| view! { <th scope="col">{label.clone()}</th> })
        .collect::<Vec<_>>();
    let table_rows = chart
        .bars
        .iter()
        .filter(|bar| bar.total_micros > 0)
        .map(|bar| {
            let cells = colours
                .iter()
                .map(|(key, _, _)| {
                    let micros: Micros = bar
                        .segments
                        .iter()
                        .filter(|s| &s.key == key)
                        .map(|s| s.micros)
                        .sum();
                    view! { <td>{money(micros)}</td> }
                })
                .collect::<Vec<_>>();
            view! { <tr><th scope="row">{bar.day.clone()}</th>{cells}<td>{money(bar.total_micros)}</td></tr> }
        })
        .collect::<Vec<_>>();
    view! {
        <figure class="usage-chart" data-testid="usage-chart">
            <div class="usage-chart-top muted">{money(chart.max_micros)}</div>
            <svg viewBox=format!("0 0 {} {HEIGHT}", days as f64 * BAR) preserveAspectRatio="none"
                role="img" aria-label=summary.clone()>
                <line x1="0" y1=HEIGHT.to_string() x2=(days as f64 * BAR).to_string() y2=HEIGHT.to_string()
                    class="axis" />
                {rects}
            </svg>
            <figcaption class="row spread muted"><span>{first}</span><span>{last}</span></figcaption>
            <ul class="usage-legend">{legend}</ul>
            <details class="usage-numbers">
                <summary>"The numbers, as a table"</summary>
                <table data-testid="usage-table">
                    <caption class="visually-hidden">{summary}</caption>
                    <thead><tr><th scope="col">"Day"</th>{table_head}<th scope="col">"All"</th></tr></thead>
                    <tbody>{table_rows}</tbody>
                </table>
            </details>
        </figure>
    }
}

#[component]
fn TopList(title: &'static str, rows: Vec<UsageRow>, open: fn(String) -> Page) -> impl IntoView {
    let state = expect_context::<AppState>();
    let empty = rows.is_empty();
    let items = rows
        .into_iter()
        .map(|row| {
            let key = row.key.clone();
            let label = if row.label.is_empty() {
                format!("Not for a {}", title.to_lowercase().trim_end_matches('s'))
            } else {
                row.label.clone()
            };
            let target = (!key.is_empty()).then(|| open(key));
            view! {
                <li>
                    {match target {
                        Some(page) => view! { <button class="link" on:click=move |_| state.go(page.clone())>{label.clone()}</button> }.into_any(),
                        None => view! { <span>{label.clone()}</span> }.into_any(),
                    }}
                    <span class="usage-cost">{money(row.cost_micros + row.estimated_micros)}</span>
                    {(row.estimated_micros > 0).then(|| view! { <span class="muted"> " estimated"</span> })}
                    <span class="muted usage-tokens">{tokens_words(&row.tokens)}</span>
                </li>
            }
        })
        .collect::<Vec<_>>();
    view! {
        <div class="usage-top">
            <h2>{title}</h2>
            {empty.then(|| view! { <p class="muted">"Nothing spent in this range."</p> })}
            <ol>{items}</ol>
        </div>
    }
}

/// Each budget's gauge: spent this month against it, the warning marked.
#[component]
pub fn BudgetGauges(standings: Signal<Vec<BudgetStanding>>, empty: &'static str) -> impl IntoView {
    view! {
        <ul class="budget-gauges" data-testid="budget-gauges">
            {move || standings.with(Vec::is_empty).then(|| view! { <li class="muted">{empty}</li> })}
            <For each=move || standings.get() key=|s| (s.assistant_id.clone(), s.monthly_micros, s.spent_micros) let:standing>
                {
                    let high = standing.monthly_micros as f64 * f64::from(standing.warn_percent) / 100.0;
                    let state_class = match standing.standing {
                        Standing::Under => "budget under",
                        Standing::Warning => "budget warning",
                        Standing::Reached => "budget reached",
                    };
                    view! {
                        <li class=state_class data-testid="budget-gauge" data-standing=standing.standing.as_str()>
                            <div class="row spread">
                                <span>{standing.name.clone()}</span>
                                <span>{format!("{} of {} · {}", money(standing.spent_micros), money(standing.monthly_micros), standing.month)}</span>
                            </div>
                            <meter min="0" max=standing.monthly_micros.to_string() low=high.to_string()
                                high=high.to_string() optimum="0" value=standing.spent_micros.to_string()
                                aria-label=standing.words()>{standing.words()}</meter>
                            {(standing.standing != Standing::Under).then(|| view! { <p class="budget-words">{standing.words()}</p> })}
                        </li>
                    }
                }
            </For>
        </ul>
    }
}
