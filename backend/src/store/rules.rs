//! Approval rules, Tandem-wide and per assistant.

use super::{int, opt_text, text, Store, StoreError};
use sqlx::any::AnyRow;
use tandem_shared::api::{ApprovalRule, RuleAction};
use tandem_shared::{AssistantId, ToolKind};

const COLUMNS: &str = "id, assistant_id, kind, prefix, action, created_at";

impl Store {
    pub async fn add_rule(&self, rule: &ApprovalRule) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO approval_rules (id, assistant_id, kind, prefix, action, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&rule.id)
        .bind(rule.assistant_id.as_ref().map(|id| id.0.clone()))
        .bind(rule.kind.map(|kind| kind.name().to_owned()))
        .bind(&rule.prefix)
        .bind(rule.action.as_str())
        .bind(rule.created_at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn get_rule(&self, id: &str) -> Result<Option<ApprovalRule>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM approval_rules WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(rule_from_row).transpose()
    }

    pub async fn delete_rule(&self, id: &str) -> Result<bool, StoreError> {
        let result = sqlx::query("DELETE FROM approval_rules WHERE id = $1")
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Tandem-wide rules with `None`, an assistant's own with `Some`.
    pub async fn rules(
        &self,
        assistant_id: Option<&AssistantId>,
    ) -> Result<Vec<ApprovalRule>, StoreError> {
        let rows = match assistant_id {
            Some(id) => sqlx::query(&format!(
                "SELECT {COLUMNS} FROM approval_rules WHERE assistant_id = $1 ORDER BY created_at, id"
            ))
            .bind(id.as_str())
            .fetch_all(&self.pool)
            .await?,
            None => sqlx::query(&format!(
                "SELECT {COLUMNS} FROM approval_rules WHERE assistant_id IS NULL ORDER BY created_at, id"
            ))
            .fetch_all(&self.pool)
            .await?,
        };
        rows.iter().map(rule_from_row).collect()
    }
}

fn rule_from_row(row: &AnyRow) -> Result<ApprovalRule, StoreError> {
    let action = text(row, "action")?;
    let kind = opt_text(row, "kind")?;
    Ok(ApprovalRule {
        id: text(row, "id")?,
        assistant_id: opt_text(row, "assistant_id")?.map(AssistantId),
        kind: match kind {
            Some(kind) => Some(
                ToolKind::parse(&kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("rule kind `{kind}`")))?,
            ),
            None => None,
        },
        prefix: text(row, "prefix")?,
        action: RuleAction::parse(&action)
            .ok_or_else(|| StoreError::Corrupt(format!("rule action `{action}`")))?,
        created_at: int(row, "created_at")?,
    })
}
