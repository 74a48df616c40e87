//! Monthly budgets held to what sessions spent. Every check reads the
//! store (the month's `spending` rows and the `budgets` rows), so several
//! servers on one database agree; a warning or a limit is said once per
//! month and amount, by whichever server claims its notice first.

use crate::clock::Clock;
use crate::store::{BudgetRow, Store, StoreError, TEAM_SCOPE};
use chrono::{Datelike, TimeZone, Utc};
use tandem_shared::api::{ChatAuthorKind, ChatMessage, PushKind};
use tandem_shared::budget::{BudgetStanding, Standing};
use tandem_shared::spend::CURRENCY;
use tandem_shared::AssistantId;

/// The calendar month (UTC) holding `now_ms`: its first moment, the
/// first moment of the next, and its name (`YYYY-MM`).
pub fn month_of(now_ms: i64) -> (i64, i64, String) {
    let now = Utc
        .timestamp_millis_opt(now_ms)
        .single()
        .unwrap_or_else(Utc::now);
    let start = Utc
        .with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
        .single()
        .unwrap_or(now);
    let (year, month) = if now.month() == 12 {
        (now.year() + 1, 1)
    } else {
        (now.year(), now.month() + 1)
    };
    let end = Utc
        .with_ymd_and_hms(year, month, 1, 0, 0, 0)
        .single()
        .unwrap_or(now);
    (
        start.timestamp_millis(),
        end.timestamp_millis(),
        format!("{:04}-{:02}", now.year(), now.month()),
    )
}

/// Where this month's spending stands against `budget`.
async fn standing_of(
    store: &Store,
    budget: &BudgetRow,
    name: &str,
    now_ms: i64,
) -> Result<BudgetStanding, StoreError> {
    let (start, end, month) = month_of(now_ms);
    let assistant_id = (budget.scope != TEAM_SCOPE).then(|| AssistantId(budget.scope.clone()));
    let spent = store
        .spent_since(assistant_id.as_ref(), start, end, CURRENCY)
        .await?;
    Ok(BudgetStanding {
        assistant_id,
        name: name.to_owned(),
        monthly_micros: budget.monthly_micros,
        warn_percent: budget.warn_percent,
        spent_micros: spent,
        standing: Standing::of(spent, budget.monthly_micros, budget.warn_percent),
        month,
    })
}

/// The budgets an assistant is held to (Tandem's and its own, those that
/// are set), with this month's standing.
pub async fn standings_for(
    store: &Store,
    assistant_id: &AssistantId,
    assistant_name: &str,
    now_ms: i64,
) -> Result<Vec<BudgetStanding>, StoreError> {
    let mut standings = Vec::new();
    for budget in store.budgets().await? {
        if budget.scope == TEAM_SCOPE {
            standings.push(standing_of(store, &budget, "Tandem", now_ms).await?);
        } else if budget.scope == assistant_id.as_str() {
            standings.push(standing_of(store, &budget, assistant_name, now_ms).await?);
        }
    }
    Ok(standings)
}

/// Every budget set, with this month's standing; `name_of` names an
/// assistant's (`None`: not the caller's to see).
pub async fn all_standings(
    store: &Store,
    now_ms: i64,
    name_of: impl Fn(&str) -> Option<String>,
) -> Result<Vec<BudgetStanding>, StoreError> {
    let mut standings = Vec::new();
    for budget in store.budgets().await? {
        let name = if budget.scope == TEAM_SCOPE {
            Some("Tandem".to_owned())
        } else {
            name_of(&budget.scope)
        };
        if let Some(name) = name {
            standings.push(standing_of(store, &budget, &name, now_ms).await?);
        }
    }
    Ok(standings)
}

/// The budget that is reached, if one is: what refuses a wake.
pub async fn reached(
    store: &Store,
    assistant_id: &AssistantId,
    assistant_name: &str,
    now_ms: i64,
) -> Result<Option<BudgetStanding>, StoreError> {
    Ok(standings_for(store, assistant_id, assistant_name, now_ms)
        .await?
        .into_iter()
        .find(|s| s.standing == Standing::Reached))
}

/// Where people hear of a budget: the assistant's chat and its members'
/// devices.
pub struct Notices<'a> {
    pub store: &'a Store,
    pub clock: &'a dyn Clock,
    pub ids: &'a dyn crate::clock::IdGen,
    pub push: &'a crate::push::Pusher,
}

impl Notices<'_> {
    /// Says each warning or limit of these standings that nobody said yet
    /// this month at this amount.
    pub async fn say_new(
        &self,
        assistant_id: &AssistantId,
        standings: &[BudgetStanding],
    ) -> Result<(), StoreError> {
        for standing in standings {
            if standing.standing == Standing::Under {
                continue;
            }
            let scope = standing
                .assistant_id
                .as_ref()
                .map_or(TEAM_SCOPE, |a| a.as_str());
            let claimed = self
                .store
                .claim_budget_notice(
                    scope,
                    &standing.month,
                    standing.standing.as_str(),
                    standing.monthly_micros,
                    self.clock.now_ms(),
                )
                .await?;
            if claimed {
                self.say(assistant_id, &standing.words()).await?;
            }
        }
        Ok(())
    }

    /// A line from Tandem in the assistant's chat, and a push.
    pub async fn say(&self, assistant_id: &AssistantId, words: &str) -> Result<(), StoreError> {
        self.chat(assistant_id, words).await?;
        self.push.to_assistant(
            assistant_id,
            PushKind::Budget,
            crate::push::messages::budget(assistant_id, words),
        );
        Ok(())
    }

    /// A line from Tandem in the assistant's chat only (a refused wake:
    /// a routine refused every minute must not buzz every phone).
    pub async fn chat(&self, assistant_id: &AssistantId, words: &str) -> Result<(), StoreError> {
        let mut text = words.to_owned();
        if let Some(first) = text.get(..1) {
            text = format!("{}{}.", first.to_uppercase(), &text[1..]);
        }
        self.store
            .add_chat_message(&ChatMessage {
                id: self.ids.new_id("msg"),
                assistant_id: assistant_id.clone(),
                at: self.clock.now_ms(),
                author_kind: ChatAuthorKind::Summary,
                author: "Tandem".into(),
                text,
                session_id: None,
            })
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_calendar_months_in_utc() {
        // 2026-12-31T23:59:59.999Z and the next millisecond.
        let last = 1_798_761_599_999;
        let (start, end, name) = month_of(last);
        assert_eq!(name, "2026-12");
        assert_eq!(end, last + 1);
        assert_eq!(start, 1_796_083_200_000);
        let (start, _, name) = month_of(last + 1);
        assert_eq!(name, "2027-01");
        assert_eq!(start, last + 1);
    }
}
