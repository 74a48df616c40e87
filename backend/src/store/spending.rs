//! What sessions spent: one `spending` row per `spend` event, written in
//! the transaction that stores the event, and the roll-ups read from them.

use super::{int, text, Scope, Store, StoreError};
use sqlx::any::AnyRow;
use tandem_shared::spend::{Micros, Spend, Tokens};
use tandem_shared::usage_report::{Grouping, UsageReport, UsageRow};
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
    Ok(())
}

/// The group key and label of each grouping, as SQL over `sp` (spending),
/// `s` (its session), `a` (its assistant) and `t` (its task, if any).
fn key_and_label(by: Grouping) -> (&'static str, &'static str) {
    match by {
        Grouping::Session => ("sp.session_id", "MIN(s.title)"),
        Grouping::Assistant => ("sp.assistant_id", "MIN(a.name)"),
        Grouping::Task => ("COALESCE(sp.task_id, '')", "MIN(COALESCE(t.title, ''))"),
        Grouping::Person => ("COALESCE(sp.woken_by, '')", "''"),
        Grouping::Agent => ("sp.agent", "''"),
        Grouping::Model => ("COALESCE(sp.model, '')", "''"),
        Grouping::Day => ("CAST(sp.at / 86400000 AS BIGINT)", "''"),
    }
}

/// The sums every report row has, after its key and label.
const SUMS: &str = "CAST(SUM(sp.input_tokens) AS BIGINT) AS input_tokens, \
     CAST(SUM(sp.output_tokens) AS BIGINT) AS output_tokens, \
     CAST(SUM(sp.cached_read_tokens) AS BIGINT) AS cached_read_tokens, \
     CAST(SUM(sp.cached_write_tokens) AS BIGINT) AS cached_write_tokens, \
     CAST(SUM(sp.thought_tokens) AS BIGINT) AS thought_tokens, \
     CAST(SUM(CASE WHEN sp.currency = $4 THEN sp.cost_micros ELSE 0 END) AS BIGINT) AS cost_micros, \
     CAST(SUM(CASE WHEN p.model IS NOT NULL AND sp.currency IS NULL AND NOT EXISTS \
       (SELECT 1 FROM spending c WHERE c.session_id = sp.session_id AND c.cost_micros > 0) \
       THEN sp.input_tokens * p.input_micros + sp.output_tokens * p.output_micros \
         + sp.cached_read_tokens * p.cached_read_micros + sp.cached_write_tokens * p.cached_write_micros \
       ELSE 0 END) AS BIGINT) / 1000000 AS estimated_micros, \
     COUNT(*) AS spends";

const FROM: &str = "FROM spending sp \
     JOIN sessions s ON s.id = sp.session_id \
     JOIN assistants a ON a.id = sp.assistant_id \
     LEFT JOIN tasks t ON t.id = sp.task_id \
     LEFT JOIN model_prices p ON p.model = sp.model";

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
        let (key, label) = key_and_label(by);
        let condition = scope.condition("sp.assistant_id", 3);
        let (part, group_by) = match split {
            Some(split) => {
                let (part_key, part_label) = key_and_label(split);
                (
                    format!("{part_key} AS part_key, {part_label} AS part_label,"),
                    "1, 3",
                )
            }
            None => (String::new(), "1"),
        };
        let order = if by == Grouping::Day {
            group_by
        } else {
            "cost_micros DESC, input_tokens DESC, 1"
        };
        let sql = format!(
            "SELECT {key} AS group_key, {label} AS group_label, {part} {SUMS} {FROM} \
             WHERE sp.at >= $1 AND sp.at < $2 AND {condition} \
             GROUP BY {group_by} ORDER BY {order} LIMIT {MAX_GROUPS}"
        );
        let rows = sqlx::query(&sql)
            .bind(from)
            .bind(to)
            .bind(scope.bind_value())
            .bind(currency)
            .fetch_all(&self.pool)
            .await?;
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
        let total_sql =
            format!("SELECT {SUMS} {FROM} WHERE sp.at >= $1 AND sp.at < $2 AND {condition}");
        let total = sqlx::query(&total_sql)
            .bind(from)
            .bind(to)
            .bind(scope.bind_value())
            .bind(currency)
            .fetch_one(&self.pool)
            .await?;
        Ok(UsageReport {
            by,
            split,
            from,
            to,
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
        let row = sqlx::query(&format!(
            "SELECT {SUMS} {FROM} WHERE sp.at >= $1 AND sp.at < $2 AND ($3 = '' OR sp.assistant_id = $3)"
        ))
        .bind(from)
        .bind(to)
        .bind(assistant.map(|a| a.as_str()).unwrap_or(""))
        .bind(currency)
        .fetch_one(&self.pool)
        .await?;
        let spent = sums(&row, String::new(), String::new())?;
        Ok(spent.cost_micros.saturating_add(spent.estimated_micros))
    }
}
