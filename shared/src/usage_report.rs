//! Roll-ups of what sessions spent (`GET /api/usage`): totals of tokens and
//! cost over a time range, grouped one way.

use crate::spend::{Micros, Tokens};
use serde::{Deserialize, Serialize};

/// How a report groups spending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    Session,
    Assistant,
    Task,
    /// Who sent the message each turn answered (a person, a routine, an
    /// assistant).
    Person,
    /// The agent kind (`claude`, `codex`, …).
    Agent,
    Model,
    /// Days in UTC.
    Day,
}

impl Grouping {
    pub const ALL: [Grouping; 7] = [
        Grouping::Day,
        Grouping::Assistant,
        Grouping::Session,
        Grouping::Task,
        Grouping::Person,
        Grouping::Agent,
        Grouping::Model,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Grouping::Session => "session",
            Grouping::Assistant => "assistant",
            Grouping::Task => "task",
            Grouping::Person => "person",
            Grouping::Agent => "agent",
            Grouping::Model => "model",
            Grouping::Day => "day",
        }
    }

    pub fn parse(name: &str) -> Option<Grouping> {
        Grouping::ALL.into_iter().find(|g| g.as_str() == name)
    }
}

/// One group's totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageRow {
    /// The group's id (a session or assistant id, a model name, a UTC day
    /// `YYYY-MM-DD`); empty for spending with no such thing (no task, an
    /// agent that names no model).
    pub key: String,
    /// The group as people read it (an assistant's or task's name).
    pub label: String,
    pub tokens: Tokens,
    /// Cost in millionths of the report's currency: what agents reported.
    pub cost_micros: Micros,
    /// Estimated from the price table, for sessions whose agent reported
    /// tokens but no cost (not in `cost_micros`).
    #[serde(default)]
    pub estimated_micros: Micros,
    /// The spend events summed.
    pub spends: u64,
    /// With `split`: the part of the group this row is (an assistant's
    /// share of a day), its key and label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageReport {
    pub by: Grouping,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<Grouping>,
    /// The range, in ms since the epoch: `from` included, `to` not; whole
    /// UTC days (the days the asked range touches).
    pub from: i64,
    pub to: i64,
    /// The unit of every cost here. Costs agents report in another unit
    /// are left out of the costs (their tokens count).
    pub currency: String,
    /// Largest cost first (by day: oldest day first).
    pub rows: Vec<UsageRow>,
    pub total: UsageRow,
}

/// `GET /api/usage` (and `/api/usage.csv`): the range and the grouping.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct UsageQuery {
    /// `day` (the default), `assistant`, `session`, `task`, `person`,
    /// `agent` or `model`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<Grouping>,
    /// Each group split again this way (`by=day&split=assistant`: each
    /// assistant's share of each day, for a stacked chart).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<Grouping>,
    /// From this moment (ms since the epoch, included); default 30 days
    /// before `to`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<i64>,
    /// To this moment (not included); default now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<i64>,
}

/// The longest range a report covers.
pub const MAX_RANGE_DAYS: i64 = 400;
pub const DAY_MS: i64 = 86_400_000;

impl UsageQuery {
    /// The range asked for, with its defaults, or why it cannot be.
    pub fn range(&self, now: i64) -> Result<(i64, i64), String> {
        let to = self.to.unwrap_or(now);
        let from = self.from.unwrap_or(to - 30 * DAY_MS);
        if from < 0 || to < 0 {
            return Err("from and to: moments since 1970 (ms), not before".into());
        }
        if from >= to {
            return Err("from must be before to".into());
        }
        if to - from > MAX_RANGE_DAYS * DAY_MS {
            return Err(format!("at most {MAX_RANGE_DAYS} days in one report"));
        }
        Ok((from, to))
    }
}

/// A report as CSV: one line per group, a header first, the total last.
pub fn to_csv(report: &UsageReport) -> String {
    fn field(text: &str) -> String {
        // Quoted when it must be; a leading = + - @ is defused so a
        // spreadsheet does not run a name as a formula.
        let text = if text.starts_with(['=', '+', '-', '@']) {
            format!("'{text}")
        } else {
            text.to_owned()
        };
        if text.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text
        }
    }
    let part_header = report
        .split
        .map(|split| format!("{0},{0}_label,", split.as_str()))
        .unwrap_or_default();
    let mut out = format!(
        "{},label,{part_header}input_tokens,output_tokens,cached_read_tokens,cached_write_tokens,thought_tokens,cost_{},estimated_cost_{},spends\n",
        report.by.as_str(),
        report.currency.to_lowercase(),
        report.currency.to_lowercase()
    );
    for row in report.rows.iter().chain(std::iter::once(&report.total)) {
        let cost = crate::spend::show_plain(row.cost_micros);
        let estimated = crate::spend::show_plain(row.estimated_micros);
        let part = match report.split {
            Some(_) => format!(
                "{},{},",
                field(row.part_key.as_deref().unwrap_or("")),
                field(row.part_label.as_deref().unwrap_or(""))
            ),
            None => String::new(),
        };
        out.push_str(&format!(
            "{},{},{part}{},{},{},{},{},{cost},{estimated},{}\n",
            field(&row.key),
            field(&row.label),
            row.tokens.input,
            row.tokens.output,
            row.tokens.cached_read,
            row.tokens.cached_write,
            row.tokens.thought,
            row.spends
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_default_and_refuse_nonsense() {
        let now = 100 * DAY_MS;
        assert_eq!(UsageQuery::default().range(now), Ok((70 * DAY_MS, now)));
        let bad = |from, to| {
            UsageQuery {
                from,
                to,
                ..UsageQuery::default()
            }
            .range(now)
            .is_err()
        };
        assert!(bad(Some(5), Some(5)));
        assert!(bad(Some(-1), None));
        assert!(bad(Some(0), Some(401 * DAY_MS)));
        assert!(!bad(Some(0), Some(400 * DAY_MS)));
    }

    #[test]
    fn csv_quotes_what_it_must_and_defuses_formulas() {
        let row = |key: &str, label: &str, cost| UsageRow {
            key: key.into(),
            label: label.into(),
            tokens: crate::spend::Tokens {
                input: 3,
                ..Default::default()
            },
            cost_micros: cost,
            estimated_micros: 0,
            spends: 1,
            part_key: None,
            part_label: None,
        };
        let report = UsageReport {
            by: Grouping::Task,
            split: None,
            from: 0,
            to: 1,
            currency: "USD".into(),
            rows: vec![
                row("t1", "Fix \"it\", now", 1_234_567),
                row("t2", "=cmd()", 5),
            ],
            total: row("", "Total", 1_234_572),
        };
        let csv = to_csv(&report);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "task,label,input_tokens,output_tokens,cached_read_tokens,cached_write_tokens,thought_tokens,cost_usd,estimated_cost_usd,spends");
        assert_eq!(
            lines[1],
            "t1,\"Fix \"\"it\"\", now\",3,0,0,0,0,1.234567,0.000000,1"
        );
        assert_eq!(lines[2], "t2,'=cmd(),3,0,0,0,0,0.000005,0.000000,1");
        assert_eq!(lines[3], ",Total,3,0,0,0,0,1.234572,0.000000,1");
    }
}
