//! Usage roll-ups over a year: a SQLite store holding a year of spending
//! (written as the server writes it, `spend` events through `append_many`,
//! each with its spending row), then the Usage page's queries and a
//! budget check timed against it.

use crate::row;
use crate::spread::spread_of;
use anyhow::{Context, Result};
use std::time::Instant;
use tandem::store::{NewSession, Scope, Store};
use tandem_shared::api::{AgentSpec, Assistant};
use tandem_shared::spend::{Spend, Tokens};
use tandem_shared::usage_report::{Grouping, DAY_MS};
use tandem_shared::{AssistantId, EventBody, Seq, SessionId, TranscriptEvent};

const ASSISTANTS: usize = 10;
const SESSIONS_PER_DAY: usize = 20;
const SPENDS_PER_SESSION: u64 = 50;
const DAYS: i64 = 365;

pub async fn year_of_usage(runs: usize) -> Result<crate::Row> {
    let dir = tempfile::tempdir()?;
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("usage.db").display()
    );
    let store = Store::connect(&url).await.context("store")?;
    for a in 0..ASSISTANTS {
        store
            .create_assistant(&Assistant {
                id: AssistantId(format!("ast_{a}")),
                name: format!("assistant {a}"),
                color: "#6b5bd6".into(),
                agent: AgentSpec::Shell,
                workspace: "/tmp".into(),
                persona: String::new(),
                constitution: String::new(),
                memory: String::new(),
                created_at: 0,
                archived_at: None,
                sessions: Default::default(),
            })
            .await?;
    }
    let start = 1_767_225_600_000; // 2026-01-01
    let filled = Instant::now();
    let mut spends = 0u64;
    for day in 0..DAYS {
        let mut appends = Vec::new();
        for s in 0..SESSIONS_PER_DAY {
            let id = SessionId(format!("ses_{day}_{s}"));
            let at = start + day * DAY_MS + s as i64 * 60_000;
            store
                .create_session(&NewSession {
                    id: id.clone(),
                    assistant_id: AssistantId(format!("ast_{}", s % ASSISTANTS)),
                    title: format!("session {day}/{s}"),
                    created_at: at,
                })
                .await?;
            let events: Vec<TranscriptEvent> = (1..=SPENDS_PER_SESSION)
                .map(|seq| TranscriptEvent {
                    session_id: id.clone(),
                    seq: Seq(seq),
                    at: at + seq as i64 * 1_000,
                    body: EventBody::Spend {
                        spend: Spend {
                            tokens: Tokens {
                                input: 1_000 + seq,
                                output: 100,
                                ..Tokens::default()
                            },
                            // Half the agents report cost, half only tokens.
                            cost_micros: if s % 2 == 0 { 1_500 } else { 0 },
                            currency: (s % 2 == 0).then(|| "USD".to_owned()),
                            agent: if s % 2 == 0 { "claude" } else { "codex" }.into(),
                            model: Some(format!("model-{}", s % 3)),
                            by: Some("ada".into()),
                        },
                    },
                })
                .collect();
            spends += events.len() as u64;
            appends.push((id, events));
        }
        store.append_many(&appends).await?;
    }
    let fill_s = filled.elapsed().as_secs_f64();
    let (from, to) = (start, start + DAYS * DAY_MS);
    let month = (start + 300 * DAY_MS, start + 330 * DAY_MS);
    let mut timings: Vec<[f64; 4]> = Vec::with_capacity(runs);
    for _ in 0..runs {
        let timed = |started: Instant| started.elapsed().as_secs_f64() * 1_000.0;
        let t = Instant::now();
        let chart = store
            .usage_report(
                Scope::All,
                Grouping::Day,
                Some(Grouping::Assistant),
                from,
                to,
                "USD",
            )
            .await?;
        let chart_ms = timed(t);
        let t = Instant::now();
        store
            .usage_report(Scope::All, Grouping::Session, None, from, to, "USD")
            .await?;
        let sessions_ms = timed(t);
        let t = Instant::now();
        store
            .usage_report(
                Scope::All,
                Grouping::Assistant,
                None,
                month.0,
                month.1,
                "USD",
            )
            .await?;
        let month_ms = timed(t);
        let t = Instant::now();
        store
            .spent_since(Some(&AssistantId("ast_3".into())), month.0, month.1, "USD")
            .await?;
        let budget_ms = timed(t);
        anyhow::ensure!(
            chart.total.spends == spends,
            "the roll-up counted {} of {spends} spends",
            chart.total.spends
        );
        timings.push([chart_ms, sessions_ms, month_ms, budget_ms]);
    }
    let show = |i: usize| spread_of(&timings, |t| t[i]).show(0);
    Ok(row(
        &format!(
            "usage roll-ups over a year on SQLite ({spends} spends in {} sessions; filled in {fill_s:.0} s)",
            DAYS as usize * SESSIONS_PER_DAY
        ),
        format!(
            "a year by day and assistant {} ms; top sessions of the year {} ms; a month by assistant {} ms; a budget check {} ms",
            show(0),
            show(1),
            show(2),
            show(3)
        ),
        "the page's queries < 1 s",
        Some(timings.iter().all(|t| t[0] + t[1] + t[2] < 1_000.0)),
    ))
}
