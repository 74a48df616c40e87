//! Monthly budgets, Tandem-wide and per assistant: the amount, the
//! warning threshold, and where this month's spending stands against them.

use crate::spend::{show_money, Micros, CURRENCY};
use crate::AssistantId;
use serde::{Deserialize, Serialize};

/// The largest monthly budget Tandem takes (a million a month): anything
/// above is a typo, not a budget.
pub const MAX_MONTHLY_MICROS: Micros = 1_000_000 * 1_000_000;
pub const DEFAULT_WARN_PERCENT: u8 = 80;

fn default_warn_percent() -> u8 {
    DEFAULT_WARN_PERCENT
}

/// `PUT /api/budgets/team` and `PUT /api/assistants/{id}/budget`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetBudget {
    /// A month's amount in millionths of Tandem's currency (USD).
    pub monthly_micros: Micros,
    /// Warn when this share of it is spent (1–100, default 80).
    #[serde(default = "default_warn_percent")]
    pub warn_percent: u8,
}

impl SetBudget {
    pub fn check(&self) -> Result<(), String> {
        if self.monthly_micros <= 0 {
            return Err("monthly_micros: a budget must be more than nothing".into());
        }
        if self.monthly_micros > MAX_MONTHLY_MICROS {
            return Err(format!(
                "monthly_micros: at most {} a month",
                show_money(MAX_MONTHLY_MICROS, CURRENCY)
            ));
        }
        if !(1..=100).contains(&self.warn_percent) {
            return Err("warn_percent: from 1 to 100".into());
        }
        Ok(())
    }
}

/// Where a month's spending stands against a budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    Under,
    /// At or past the warning threshold.
    Warning,
    /// At or past the budget: new wakes are refused, running sessions pause.
    Reached,
}

impl Standing {
    pub fn of(spent: Micros, monthly: Micros, warn_percent: u8) -> Standing {
        if spent >= monthly {
            Standing::Reached
        } else if i128::from(spent) * 100 >= i128::from(monthly) * i128::from(warn_percent) {
            Standing::Warning
        } else {
            Standing::Under
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Standing::Under => "under",
            Standing::Warning => "warning",
            Standing::Reached => "reached",
        }
    }
}

/// A budget and this month's spending against it (`GET /api/budgets`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BudgetStanding {
    /// The assistant's, or Tandem-wide when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assistant_id: Option<AssistantId>,
    /// The assistant's name, or "Tandem".
    pub name: String,
    pub monthly_micros: Micros,
    pub warn_percent: u8,
    pub spent_micros: Micros,
    pub standing: Standing,
    /// The month held to (`YYYY-MM`, UTC).
    pub month: String,
}

impl BudgetStanding {
    /// The sentence a chat, a wake log and a paused session show.
    pub fn words(&self) -> String {
        let whose = match &self.assistant_id {
            Some(_) => format!("{}'s monthly budget", self.name),
            None => "Tandem's monthly budget".to_owned(),
        };
        let spent = show_money(self.spent_micros, CURRENCY);
        let budget = show_money(self.monthly_micros, CURRENCY);
        match self.standing {
            Standing::Under => format!("{spent} of {whose} of {budget} spent"),
            Standing::Warning => format!(
                "{spent} of {whose} of {budget} spent: past its {} % warning",
                self.warn_percent
            ),
            Standing::Reached => format!("budget reached: {spent} of {whose} of {budget} spent"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standing_follows_the_threshold() {
        assert_eq!(Standing::of(0, 100, 80), Standing::Under);
        assert_eq!(Standing::of(79, 100, 80), Standing::Under);
        assert_eq!(Standing::of(80, 100, 80), Standing::Warning);
        assert_eq!(Standing::of(100, 100, 80), Standing::Reached);
        assert_eq!(
            Standing::of(i64::MAX, MAX_MONTHLY_MICROS, 100),
            Standing::Reached
        );
        assert_eq!(
            Standing::of(MAX_MONTHLY_MICROS - 1, MAX_MONTHLY_MICROS, 100),
            Standing::Under
        );
    }

    #[test]
    fn absurd_budgets_are_refused() {
        let set = |monthly_micros, warn_percent| {
            SetBudget {
                monthly_micros,
                warn_percent,
            }
            .check()
        };
        assert!(set(0, 80).is_err());
        assert!(set(-5, 80).is_err());
        assert!(set(MAX_MONTHLY_MICROS + 1, 80).is_err());
        assert!(set(10, 0).is_err());
        assert!(set(10, 101).is_err());
        assert!(set(10, 100).is_ok());
        let default: SetBudget = serde_json::from_str(r#"{"monthly_micros":5}"#).unwrap();
        assert_eq!(default.warn_percent, 80);
        assert!(
            serde_json::from_str::<SetBudget>(r#"{"monthly_micros":5,"warn_percent":300}"#)
                .is_err()
        );
    }
}
