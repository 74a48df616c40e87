//! The price table: what each model costs per million tokens.

use super::{int, text, Store, StoreError};
use tandem_shared::spend::ModelPrice;

impl Store {
    pub async fn model_prices(&self) -> Result<Vec<ModelPrice>, StoreError> {
        let rows = sqlx::query(
            "SELECT model, input_micros, output_micros, cached_read_micros, cached_write_micros \
             FROM model_prices ORDER BY model",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ModelPrice {
                    model: text(row, "model")?,
                    input_micros: int(row, "input_micros")?,
                    output_micros: int(row, "output_micros")?,
                    cached_read_micros: int(row, "cached_read_micros")?,
                    cached_write_micros: int(row, "cached_write_micros")?,
                })
            })
            .collect()
    }

    pub async fn set_model_price(
        &self,
        price: &ModelPrice,
        by: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO model_prices (model, input_micros, output_micros, cached_read_micros, \
             cached_write_micros, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (model) DO UPDATE SET input_micros = excluded.input_micros, \
             output_micros = excluded.output_micros, cached_read_micros = excluded.cached_read_micros, \
             cached_write_micros = excluded.cached_write_micros, updated_by = excluded.updated_by, \
             updated_at = excluded.updated_at",
        )
        .bind(&price.model)
        .bind(price.input_micros)
        .bind(price.output_micros)
        .bind(price.cached_read_micros)
        .bind(price.cached_write_micros)
        .bind(by)
        .bind(now)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn remove_model_price(&self, model: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM model_prices WHERE model = $1")
            .bind(model)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Whether any session has reported using `model`.
    pub async fn model_seen(&self, model: &str) -> Result<bool, StoreError> {
        Ok(
            sqlx::query("SELECT 1 AS seen FROM spending_daily WHERE model = $1 LIMIT 1")
                .bind(model)
                .fetch_optional(&self.pool)
                .await?
                .is_some(),
        )
    }
}
