//! Monthly budgets and the notices said of them.

use super::{int, text, Store, StoreError};
use tandem_shared::spend::Micros;

/// Whose budget: Tandem's, or one assistant's (by id).
pub const TEAM_SCOPE: &str = "team";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetRow {
    pub scope: String,
    pub monthly_micros: Micros,
    pub warn_percent: u8,
}

impl Store {
    pub async fn budgets(&self) -> Result<Vec<BudgetRow>, StoreError> {
        let rows =
            sqlx::query("SELECT scope, monthly_micros, warn_percent FROM budgets ORDER BY scope")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| {
                Ok(BudgetRow {
                    scope: text(row, "scope")?,
                    monthly_micros: int(row, "monthly_micros")?,
                    warn_percent: u8::try_from(int(row, "warn_percent")?).unwrap_or(100),
                })
            })
            .collect()
    }

    pub async fn set_budget(&self, row: &BudgetRow, by: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO budgets (scope, monthly_micros, warn_percent, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (scope) DO UPDATE SET monthly_micros = excluded.monthly_micros, \
             warn_percent = excluded.warn_percent, updated_by = excluded.updated_by, \
             updated_at = excluded.updated_at",
        )
        .bind(&row.scope)
        .bind(row.monthly_micros)
        .bind(i64::from(row.warn_percent))
        .bind(by)
        .bind(now)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Removes a budget; whether there was one.
    pub async fn remove_budget(&self, scope: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM budgets WHERE scope = $1")
            .bind(scope)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Claims the right to say `level` of a budget this month: true for the
    /// first caller only, on every server (the row's key decides).
    pub async fn claim_budget_notice(
        &self,
        scope: &str,
        month: &str,
        level: &str,
        monthly_micros: Micros,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO budget_notices (scope, month, level, monthly_micros, at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(scope)
        .bind(month)
        .bind(level)
        .bind(monthly_micros)
        .bind(now)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
