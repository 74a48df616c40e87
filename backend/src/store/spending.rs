//! What sessions spent: one `spending` row per `spend` event (the ledger,
//! keyed by the event) and its day's sums in `spending_daily` (what the
//! roll-ups and budgets read), both written in the transaction that stores
//! the event. Reports cover whole UTC days.

use super::{int, text, Scope, Store, StoreError};
use sqlx::any::AnyRow;
use tandem_shared::spend::{Micros, Spend, Tokens};
use tandem_shared::usage_report::{Grouping, UsageReport, UsageRow, DAY_MS};
use tandem_shared::{SessionId, TranscriptEvent};

/// Groups in one report at most (by day: a year and more fits).
pub const MAX_GROUPS: i64 = 1_000;

/// Writes the spending row of a `spend` event, inside the events' own
/// transaction. The assistant and the linked task are read off the
/// session, so the row needs nothing the event does not say.
pub(super) async fn record(
    tx: &mut sqlx::AnyConnection,
    session_id: &SessionId,
    event: &TranscriptEvent,
    spend: &Spend,
) -> Result<(), StoreError> {
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    sqlx::query(
        "INSERT INTO spending (session_id, seq, at, assistant_id, task_id, woken_by, agent, model, \
           input_tokens, output_tokens, cached_read_tokens, cached_write_tokens, thought_tokens, \
           cost_micros, currency) \
         SELECT $1, $2, $3, s.assistant_id, \
           (SELECT MIN(ts.task_id) FROM task_sessions ts WHERE ts.session_id = $1), \
           $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 \
         FROM sessions s WHERE s.id = $1",
    )
    .bind(session_id.as_str())
    .bind(i64::try_from(event.seq.0).unwrap_or(i64::MAX))
    .bind(event.at)
    .bind(spend.by.clone())
    .bind(spend.agent.clone())
    .bind(spend.model.clone())
    .bind(count(spend.tokens.input))
    .bind(count(spend.tokens.output))
    .bind(count(spend.tokens.cached_read))
    .bind(count(spend.tokens.cached_write))
    .bind(count(spend.tokens.thought))
    .bind(spend.cost_micros)
    .bind(spend.currency.clone())
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO spending_daily (day, session_id, assistant_id, task_id, woken_by, agent, model, \
           currency, input_tokens, output_tokens, cached_read_tokens, cached_write_tokens, \
           thought_tokens, cost_micros, spends) \
         SELECT $2, $1, s.assistant_id, \
           COALESCE((SELECT MIN(ts.task_id) FROM task_sessions ts WHERE ts.session_id = $1), ''), \
           $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1 \
         FROM sessions s WHERE s.id = $1 \
         ON CONFLICT (day, session_id, task_id, woken_by, agent, model, currency) DO UPDATE SET \
           input_tokens = spending_daily.input_tokens + excluded.input_tokens, \
           output_tokens = spending_daily.output_tokens + excluded.output_tokens, \
           cached_read_tokens = spending_daily.cached_read_tokens + excluded.cached_read_tokens, \
           cached_write_tokens = spending_daily.cached_write_tokens + excluded.cached_write_tokens, \
           thought_tokens = spending_daily.thought_tokens + excluded.thought_tokens, \
           cost_micros = spending_daily.cost_micros + excluded.cost_micros, \
           spends = spending_daily.spends + 1",
    )
    .bind(session_id.as_str())
    .bind(event.at.div_euclid(DAY_MS))
    .bind(spend.by.clone().unwrap_or_default())
    .bind(spend.agent.clone())
    .bind(spend.model.clone().unwrap_or_default())
    .bind(spend.currency.clone().unwrap_or_default())
    .bind(count(spend.tokens.input))
    .bind(count(spend.tokens.output))
    .bind(count(spend.tokens.cached_read))
    .bind(count(spend.tokens.cached_write))
    .bind(count(spend.tokens.thought))
    .bind(spend.cost_micros)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// A report query with its range, scope and currency bound, as `$1`–`$4`.
fn bound<'q>(
    sql: &'q str,
    (first_day, end_day, scope, currency): (i64, i64, &'q str, &'q str),
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    sqlx::query(sql)
        .bind(first_day)
        .bind(end_day)
        .bind(scope)
        .bind(currency)
}

/// The whole UTC days `[from, to)` touches, as day numbers.
fn days(from: i64, to: i64) -> (i64, i64) {
    (from.div_euclid(DAY_MS), (to - 1).div_euclid(DAY_MS) + 1)
}

/// A grouping's key, as SQL over `sp` (a `spending_daily` row).
fn key_of_grouping(by: Grouping) -> &'static str {
    match by {
        Grouping::Session => "sp.session_id",
        Grouping::Assistant => "sp.assistant_id",
        Grouping::Task => "sp.task_id",
        Grouping::Person => "sp.woken_by",
        Grouping::Agent => "sp.agent",
        Grouping::Model => "sp.model",
        Grouping::Day => "sp.day",
    }
}

/// A group's label, looked up once per group (not per spending row) from
/// its key in `column`.
fn label_of_grouping(by: Grouping, column: &str) -> String {
    match by {
        Grouping::Session => {
            format!("COALESCE((SELECT title FROM sessions WHERE id = {column}), '')")
        }
        Grouping::Assistant => {
            format!("COALESCE((SELECT name FROM assistants WHERE id = {column}), '')")
        }
        Grouping::Task => format!("COALESCE((SELECT title FROM tasks WHERE id = {column}), '')"),
        _ => "''".to_owned(),
    }
}

/// The sums every report row has, after its key and label.
const SUMS: &str = "CAST(SUM(sp.input_tokens) AS BIGINT) AS input_tokens, \
     CAST(SUM(sp.output_tokens) AS BIGINT) AS output_tokens, \
     CAST(SUM(sp.cached_read_tokens) AS BIGINT) AS cached_read_tokens, \
     CAST(SUM(sp.cached_write_tokens) AS BIGINT) AS cached_write_tokens, \
     CAST(SUM(sp.thought_tokens) AS BIGINT) AS thought_tokens, \
     CAST(SUM(CASE WHEN sp.currency = $4 THEN sp.cost_micros ELSE 0 END) AS BIGINT) AS cost_micros, \
     CAST(SUM(CASE WHEN p.model IS NOT NULL AND sp.currency = '' AND NOT EXISTS \
       (SELECT 1 FROM spending_daily c WHERE c.session_id = sp.session_id AND c.cost_micros > 0) \
       THEN sp.input_tokens * p.input_micros + sp.output_tokens * p.output_micros \
         + sp.cached_read_tokens * p.cached_read_micros + sp.cached_write_tokens * p.cached_write_micros \
       ELSE 0 END) AS BIGINT) / 1000000 AS estimated_micros, \
     CAST(SUM(sp.spends) AS BIGINT) AS spends";

const FROM: &str = "FROM spending_daily sp LEFT JOIN model_prices p ON p.model = sp.model";

/// A group's key and label as read from the row's `{prefix}_key` and
/// `{prefix}_label` columns (a day's number becomes its date).
fn key_of(row: &AnyRow, by: Grouping, prefix: &str) -> Result<(String, String), StoreError> {
    if by == Grouping::Day {
        let day = day_name(int(row, &format!("{prefix}_key"))?);
        return Ok((day.clone(), day));
    }
    let key = text(row, &format!("{prefix}_key"))?;
    let label = text(row, &format!("{prefix}_label"))?;
    let label = if label.is_empty() { key.clone() } else { label };
    Ok((key, label))
}

fn sums(row: &AnyRow, key: String, label: String) -> Result<UsageRow, StoreError> {
    // SUM over no rows is NULL: a range with nothing spent.
    let count = |column: &str| -> Result<u64, StoreError> {
        Ok(sqlx::Row::try_get::<Option<i64>, _>(row, column)?
            .unwrap_or(0)
            .max(0) as u64)
    };
    Ok(UsageRow {
        key,
        label,
        tokens: Tokens {
            input: count("input_tokens")?,
            output: count("output_tokens")?,
            cached_read: count("cached_read_tokens")?,
            cached_write: count("cached_write_tokens")?,
            thought: count("thought_tokens")?,
        },
        cost_micros: sqlx::Row::try_get::<Option<i64>, _>(row, "cost_micros")?.unwrap_or(0),
        estimated_micros: sqlx::Row::try_get::<Option<i64>, _>(row, "estimated_micros")?
            .unwrap_or(0),
        spends: count("spends")?,
        part_key: None,
        part_label: None,
    })
}

use tandem_shared::usage_chart::day_name;

impl Store {
    /// Totals of what was spent in `[from, to)` on the assistants `scope`
    /// sees, grouped `by` (and each group `split` again); costs counted
    /// only in `currency`.
    pub async fn usage_report(
        &self,
        scope: Scope<'_>,
        by: Grouping,
        split: Option<Grouping>,
        from: i64,
        to: i64,
        currency: &str,
    ) -> Result<UsageReport, StoreError> {
        let (first_day, end_day) = days(from, to);
        let key = key_of_grouping(by);
        let label = label_of_grouping(by, "g.group_key");
        let condition = scope.condition("sp.assistant_id", 3);
        // Summed first, labelled after: a year holds hundreds of thousands
        // of rows and at most `MAX_GROUPS` groups.
        let (part, part_label, group_by) = match split {
            Some(split) => (
                format!("{} AS part_key,", key_of_grouping(split)),
                format!(", {} AS part_label", label_of_grouping(split, "g.part_key")),
                "1, 2",
            ),
            None => (String::new(), String::new(), "1"),
        };
        let order = if by == Grouping::Day {
            if split.is_some() {
                "g.group_key, g.part_key"
            } else {
                "g.group_key"
            }
        } else {
            "g.cost_micros DESC, g.input_tokens DESC, g.group_key"
        };
        let within = format!("sp.day >= $1 AND sp.day < $2 AND {condition}");
        let sql = format!(
            "SELECT g.*, {label} AS group_label{part_label} FROM \
               (SELECT {key} AS group_key, {part} {SUMS} {FROM} WHERE {within} \
                GROUP BY {group_by}) g \
             ORDER BY {order} LIMIT {MAX_GROUPS}"
        );
        let range = (first_day, end_day, scope.bind_value(), currency);
        let rows = bound(&sql, range).fetch_all(&self.pool).await?;
        let mut groups = Vec::with_capacity(rows.len());
        for row in &rows {
            let (key, label) = key_of(row, by, "group")?;
            let mut group = sums(row, key, label)?;
            if let Some(split) = split {
                let (part_key, part_label) = key_of(row, split, "part")?;
                group.part_key = Some(part_key);
                group.part_label = Some(part_label);
            }
            groups.push(group);
        }
        let total_sql = format!("SELECT {SUMS} {FROM} WHERE {within}");
        let total = bound(&total_sql, range).fetch_one(&self.pool).await?;
        Ok(UsageReport {
            by,
            split,
            from: first_day * DAY_MS,
            to: end_day * DAY_MS,
            currency: currency.to_owned(),
            rows: groups,
            total: sums(&total, String::new(), "Total".into())?,
        })
    }

    /// What one assistant (or, with `None`, everyone) spent in `[from, to)`
    /// in `currency`, estimates included: what budgets are held to.
    pub async fn spent_since(
        &self,
        assistant: Option<&tandem_shared::AssistantId>,
        from: i64,
        to: i64,
        currency: &str,
    ) -> Result<Micros, StoreError> {
        let (first_day, end_day) = days(from, to);
        let row = sqlx::query(&format!(
            "SELECT {SUMS} {FROM} WHERE sp.day >= $1 AND sp.day < $2 AND ($3 = '' OR sp.assistant_id = $3)"
        ))
        .bind(first_day)
        .bind(end_day)
        .bind(assistant.map(|a| a.as_str()).unwrap_or(""))
        .bind(currency)
        .fetch_one(&self.pool)
        .await?;
        let spent = sums(&row, String::new(), String::new())?;
        Ok(spent.cost_micros.saturating_add(spent.estimated_micros))
    }
}
