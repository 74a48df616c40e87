//! The Usage page's chart as plain data: a bar per day of the range, each
//! stacked by the parts a `by=day&split=…` report gives (an assistant's
//! share of the day), with days nobody spent on kept as empty bars.

use crate::spend::Micros;
use crate::usage_report::{UsageReport, DAY_MS};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub key: String,
    pub micros: Micros,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    /// Bottom first, in the order of `Chart::series`.
    pub segments: Vec<Segment>,
    pub total_micros: Micros,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Chart {
    pub bars: Vec<Bar>,
    /// The parts (key, label), costliest over the range first.
    pub series: Vec<(String, String)>,
    pub max_micros: Micros,
}

/// Days since 1970-01-01 as `YYYY-MM-DD` (the proleptic Gregorian
/// calendar, UTC), without a date library.
pub fn day_name(day: i64) -> String {
    // Howard Hinnant's days-to-civil.
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Every day `[from, to)` touches, oldest first.
pub fn days_of(from_ms: i64, to_ms: i64) -> Vec<String> {
    let first = from_ms.div_euclid(DAY_MS);
    let last = (to_ms - 1).div_euclid(DAY_MS);
    (first..=last.max(first)).map(day_name).collect()
}

/// Stacks a `by=day` report with a split into a bar per day of its range.
pub fn stack_by_day(report: &UsageReport) -> Chart {
    let mut series: Vec<(String, String, Micros)> = Vec::new();
    for row in &report.rows {
        let key = row.part_key.clone().unwrap_or_default();
        match series.iter_mut().find(|(k, _, _)| *k == key) {
            Some((_, _, total)) => *total += row.cost_micros + row.estimated_micros,
            None => series.push((
                key.clone(),
                row.part_label.clone().unwrap_or(key),
                row.cost_micros + row.estimated_micros,
            )),
        }
    }
    series.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.1.cmp(&b.1)));
    let bars: Vec<Bar> = days_of(report.from, report.to)
        .into_iter()
        .map(|day| {
            let segments: Vec<Segment> = series
                .iter()
                .filter_map(|(key, _, _)| {
                    let micros: Micros = report
                        .rows
                        .iter()
                        .filter(|r| r.key == day && r.part_key.as_deref().unwrap_or("") == key)
                        .map(|r| r.cost_micros + r.estimated_micros)
                        .sum();
                    (micros > 0).then(|| Segment {
                        key: key.clone(),
                        micros,
                    })
                })
                .collect();
            let total_micros = segments.iter().map(|s| s.micros).sum();
            Bar {
                day,
                segments,
                total_micros,
            }
        })
        .collect();
    let max_micros = bars.iter().map(|b| b.total_micros).max().unwrap_or(0);
    Chart {
        bars,
        series: series.into_iter().map(|(k, l, _)| (k, l)).collect(),
        max_micros,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spend::Tokens;
    use crate::usage_report::{Grouping, UsageRow};

    #[test]
    fn days_are_named_like_a_calendar() {
        assert_eq!(day_name(0), "1970-01-01");
        assert_eq!(day_name(20_425), "2025-12-03");
        assert_eq!(day_name(11_016), "2000-02-29");
        assert_eq!(day_name(-1), "1969-12-31");
        assert_eq!(days_of(0, DAY_MS), vec!["1970-01-01"]);
        assert_eq!(days_of(DAY_MS / 2, DAY_MS * 2 + 1).len(), 3);
    }

    #[test]
    fn bars_stack_each_days_parts_and_keep_empty_days() {
        let row = |day: &str, part: &str, cost| UsageRow {
            key: day.into(),
            label: day.into(),
            tokens: Tokens::default(),
            cost_micros: cost,
            estimated_micros: 0,
            spends: 1,
            part_key: Some(part.into()),
            part_label: Some(format!("{part} name")),
        };
        let report = UsageReport {
            by: Grouping::Day,
            split: Some(Grouping::Assistant),
            from: 0,
            to: 3 * DAY_MS,
            currency: "USD".into(),
            rows: vec![
                row("1970-01-01", "a", 5),
                row("1970-01-01", "b", 20),
                row("1970-01-03", "a", 1),
            ],
            total: row("", "", 26),
        };
        let chart = stack_by_day(&report);
        assert_eq!(
            chart.series[0],
            ("b".into(), "b name".into()),
            "costliest first"
        );
        assert_eq!(chart.bars.len(), 3);
        assert_eq!(chart.bars[0].total_micros, 25);
        assert_eq!(chart.bars[0].segments[0].key, "b");
        assert!(chart.bars[1].segments.is_empty(), "a day nobody spent");
        assert_eq!(chart.max_micros, 25);
    }
}
