//! What a session spent: tokens and money, each `Spend` event one step of
//! it (a turn's tokens, or what the agent's running cost grew by). Summed,
//! they are a session's, an assistant's, a task's or a team's spending.

use serde::{Deserialize, Serialize};

/// Money in millionths of a unit (USD micro-dollars): sums are exact and
/// the same on every database, which floats are not.
pub type Micros = i64;

/// The unit Tandem counts money in (what Claude reports). Costs reported
/// in another unit are kept with their unit and left out of totals.
pub const CURRENCY: &str = "USD";

/// Millionths in one unit of money.
pub const MICROS_PER_UNIT: f64 = 1_000_000.0;

/// `amount` units as micros, rounded to the nearest; `None` for an amount
/// that is not a finite number or is too large to hold.
pub fn micros_of(amount: f64) -> Option<Micros> {
    let micros = (amount * MICROS_PER_UNIT).round();
    (micros.is_finite() && micros.abs() < 9.0e15).then_some(micros as Micros)
}

/// Micros as money for people: `$12.34`, `$0.0042` for small amounts.
pub fn show_money(micros: Micros, currency: &str) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let micros = micros.unsigned_abs();
    let whole = micros / 1_000_000;
    let fraction = micros % 1_000_000;
    let prefix = match currency {
        "USD" => "$".to_owned(),
        "EUR" => "€".to_owned(),
        "GBP" => "£".to_owned(),
        other => format!("{other} "),
    };
    if whole == 0 && fraction > 0 && fraction < 10_000 {
        // Under a cent: four places, so a cheap turn does not read $0.00.
        return format!("{sign}{prefix}0.{:04}", fraction / 100);
    }
    format!("{sign}{prefix}{whole}.{:02}", fraction / 10_000)
}

/// Money as a person types it (`12`, `12.5`, `$0.25`, `1,000.00`) in
/// micros; `None` for anything else or more than six places.
pub fn parse_money(text: &str) -> Option<Micros> {
    let text = text.trim().trim_start_matches('$').replace(',', "");
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (text.as_str(), ""),
    };
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty())
        || !digits(whole)
        || !digits(fraction)
        || fraction.len() > 6
    {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let fraction: i64 = format!("{fraction:0<6}").parse().ok()?;
    whole.checked_mul(1_000_000)?.checked_add(fraction)
}

/// Micros as a plain decimal (`1.234567`), for files other programs read.
pub fn show_plain(micros: Micros) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let micros = micros.unsigned_abs();
    format!("{sign}{}.{:06}", micros / 1_000_000, micros % 1_000_000)
}

/// Tokens by kind. Agents report what they know; the rest stays 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tokens {
    #[serde(default)]
    pub input: u64,
    #[serde(default)]
    pub output: u64,
    /// Input read from the model's prompt cache.
    #[serde(default)]
    pub cached_read: u64,
    /// Input written to the model's prompt cache.
    #[serde(default)]
    pub cached_write: u64,
    /// Reasoning tokens, when reported apart from output.
    #[serde(default)]
    pub thought: u64,
}

impl Tokens {
    pub fn is_zero(&self) -> bool {
        *self == Tokens::default()
    }

    pub fn add(&mut self, other: &Tokens) {
        self.input = self.input.saturating_add(other.input);
        self.output = self.output.saturating_add(other.output);
        self.cached_read = self.cached_read.saturating_add(other.cached_read);
        self.cached_write = self.cached_write.saturating_add(other.cached_write);
        self.thought = self.thought.saturating_add(other.thought);
    }
}

/// One step of a session's spending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Spend {
    #[serde(default, skip_serializing_if = "Tokens::is_zero")]
    pub tokens: Tokens,
    /// What the agent's reported cost grew by, in micros of `currency`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cost_micros: Micros,
    /// ISO 4217 (`USD`), or the agent's own unit; set with a cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// The agent kind (`claude`, `codex`, …).
    pub agent: String,
    /// The model in use, when the agent names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Who sent the message the turn answered: a person, a routine, an
    /// assistant (as the wake names them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

fn is_zero(micros: &Micros) -> bool {
    *micros == 0
}

/// A session's spending so far, as its transcript folds it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spent {
    pub tokens: Tokens,
    pub cost_micros: Micros,
    pub currency: Option<String>,
}

impl Spent {
    pub fn add(&mut self, spend: &Spend) {
        self.tokens.add(&spend.tokens);
        self.cost_micros = self.cost_micros.saturating_add(spend.cost_micros);
        if self.currency.is_none() {
            self.currency = spend.currency.clone();
        }
    }
}

/// Follows an agent's running cost (ACP `usage_update.cost` is the agent
/// session's cumulative cost) and says what each report adds. A report
/// lower than the last means the agent started counting again (a new
/// process): all of it is new.
#[derive(Debug, Clone, Default)]
pub struct RunningCost {
    last: Option<(Micros, String)>,
}

impl RunningCost {
    /// What `amount` in `currency` adds to what was reported before, in
    /// micros (0 when nothing is new or the amount is not a number).
    pub fn grew_by(&mut self, amount: f64, currency: &str) -> Micros {
        let Some(now) = micros_of(amount).filter(|m| *m >= 0) else {
            return 0;
        };
        let before = match &self.last {
            Some((last, unit)) if unit == currency && *last <= now => *last,
            _ => 0,
        };
        self.last = Some((now, currency.to_owned()));
        now - before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_running_cost_adds_only_what_grew() {
        let mut cost = RunningCost::default();
        assert_eq!(cost.grew_by(0.01, "USD"), 10_000);
        assert_eq!(cost.grew_by(0.035, "USD"), 25_000);
        assert_eq!(cost.grew_by(0.035, "USD"), 0, "the same report again");
        // The agent started over (a new process): all of it is new.
        assert_eq!(cost.grew_by(0.002, "USD"), 2_000);
        // Another unit starts its own count.
        assert_eq!(cost.grew_by(5.0, "credits"), 5_000_000);
        assert_eq!(cost.grew_by(f64::NAN, "USD"), 0);
        assert_eq!(cost.grew_by(-1.0, "USD"), 0);
        assert_eq!(cost.grew_by(1e300, "USD"), 0);
    }

    #[test]
    fn money_is_read_as_people_type_it() {
        assert_eq!(parse_money("12"), Some(12_000_000));
        assert_eq!(parse_money(" $0.25 "), Some(250_000));
        assert_eq!(parse_money("1,000.5"), Some(1_000_500_000));
        assert_eq!(parse_money(".5"), Some(500_000));
        for bad in [
            "",
            "-1",
            "1.2.3",
            "abc",
            "1.0000001",
            "$",
            "99999999999999999999",
        ] {
            assert_eq!(parse_money(bad), None, "{bad}");
        }
    }

    #[test]
    fn money_reads_as_money() {
        assert_eq!(show_money(12_345_678, "USD"), "$12.34");
        assert_eq!(show_money(4_200, "USD"), "$0.0042");
        assert_eq!(show_money(0, "USD"), "$0.00");
        assert_eq!(show_money(-1_500_000, "EUR"), "-€1.50");
        assert_eq!(show_money(2_000_000, "credits"), "credits 2.00");
    }

    #[test]
    fn spend_reads_back_without_its_empty_fields() {
        let spend = Spend {
            tokens: Tokens {
                input: 10,
                output: 2,
                ..Tokens::default()
            },
            cost_micros: 0,
            currency: None,
            agent: "claude".into(),
            model: None,
            by: Some("ada".into()),
        };
        let text = serde_json::to_string(&spend).unwrap();
        assert!(!text.contains("cost_micros"), "{text}");
        assert_eq!(serde_json::from_str::<Spend>(&text).unwrap(), spend);
        let mut spent = Spent::default();
        spent.add(&spend);
        spent.add(&spend);
        assert_eq!(spent.tokens.input, 20);
    }
}

/// The most a price per million tokens may be ($1,000): more is a typo.
pub const MAX_PRICE_MICROS: Micros = 1_000 * 1_000_000;

/// What a model costs per million tokens, in micros (`PUT /api/prices/{model}`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelPrice {
    /// As the agent names it (the model option's value).
    #[serde(default)]
    pub model: String,
    pub input_micros: Micros,
    pub output_micros: Micros,
    #[serde(default)]
    pub cached_read_micros: Micros,
    #[serde(default)]
    pub cached_write_micros: Micros,
}

impl ModelPrice {
    pub fn check(&self) -> Result<(), String> {
        let model = self.model.trim();
        if model.is_empty() || model.chars().count() > 200 {
            return Err("model: a name of 1 to 200 characters".into());
        }
        for (name, micros) in [
            ("input_micros", self.input_micros),
            ("output_micros", self.output_micros),
            ("cached_read_micros", self.cached_read_micros),
            ("cached_write_micros", self.cached_write_micros),
        ] {
            if !(0..=MAX_PRICE_MICROS).contains(&micros) {
                return Err(format!(
                    "{name}: from 0 to {} per million tokens",
                    show_money(MAX_PRICE_MICROS, CURRENCY)
                ));
            }
        }
        Ok(())
    }
}

/// A price as saved, and whether any session has used the model yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SavedPrice {
    pub price: ModelPrice,
    /// Said when no session has reported this model: the price estimates
    /// nothing until one does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}
