//! Web Push: people's subscribed devices and what they turned off.

use super::{int, text, Store, StoreError};
use sqlx::any::AnyRow;
use sqlx::Row;
use tandem_shared::api::{PushDevice, PushKind, PushMute};
use tandem_shared::{AssistantId, UserId};

/// A device as the sender needs it: where to send and how to encrypt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushTarget {
    pub id: String,
    pub user_id: UserId,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    /// The name its person gave it.
    pub device: String,
}

pub fn kind_name(kind: PushKind) -> &'static str {
    match kind {
        PushKind::Approval => "approval",
        PushKind::Ended => "ended",
        PushKind::Budget => "budget",
    }
}

fn kind_from(name: &str) -> Result<PushKind, StoreError> {
    match name {
        "approval" => Ok(PushKind::Approval),
        "ended" => Ok(PushKind::Ended),
        "budget" => Ok(PushKind::Budget),
        other => Err(StoreError::Corrupt(format!("push kind {other:?}"))),
    }
}

impl Store {
    /// Saves a device; the same endpoint subscribed again (new keys, or
    /// another person on the same browser) replaces the old row.
    pub async fn save_push_subscription(
        &self,
        target: &PushTarget,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("DELETE FROM push_subscriptions WHERE endpoint = $1")
            .bind(&target.endpoint)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO push_subscriptions (id, user_id, endpoint, p256dh, auth, device, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&target.id)
        .bind(target.user_id.as_str())
        .bind(&target.endpoint)
        .bind(&target.p256dh)
        .bind(&target.auth)
        .bind(&target.device)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn push_devices(&self, user_id: &UserId) -> Result<Vec<PushDevice>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, endpoint, device, created_at, last_sent_at FROM push_subscriptions \
             WHERE user_id = $1 ORDER BY created_at, id",
        )
        .bind(user_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(device_from_row).collect()
    }

    /// One of this person's devices, to send to.
    pub async fn push_target(
        &self,
        user_id: &UserId,
        id: &str,
    ) -> Result<Option<PushTarget>, StoreError> {
        let row = sqlx::query(
            "SELECT id, user_id, endpoint, p256dh, auth, device FROM push_subscriptions \
             WHERE id = $1 AND user_id = $2",
        )
        .bind(id)
        .bind(user_id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(target_from_row).transpose()
    }

    /// The devices to tell of `kind` on `assistant`: of the people who may
    /// see it (its members and the admins) who did not turn it off.
    pub async fn push_targets(
        &self,
        assistant_id: &AssistantId,
        kind: PushKind,
    ) -> Result<Vec<PushTarget>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.id, s.user_id, s.endpoint, s.p256dh, s.auth, s.device FROM push_subscriptions s \
             JOIN users u ON u.id = s.user_id \
             WHERE (u.admin <> 0 OR EXISTS (SELECT 1 FROM assistant_members m \
                    WHERE m.assistant_id = $1 AND m.user_id = s.user_id)) \
             AND NOT EXISTS (SELECT 1 FROM push_mutes x WHERE x.user_id = s.user_id \
                    AND x.assistant_id = $2 AND x.kind = $3) \
             ORDER BY s.created_at, s.id",
        )
        .bind(assistant_id.as_str())
        .bind(assistant_id.as_str())
        .bind(kind_name(kind))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(target_from_row).collect()
    }

    pub async fn delete_push_subscription(
        &self,
        user_id: &UserId,
        id: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM push_subscriptions WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id.as_str())
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The push service said the subscription is gone (404 or 410).
    pub async fn drop_push_endpoint(&self, endpoint: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM push_subscriptions WHERE endpoint = $1")
            .bind(endpoint)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    pub async fn push_sent(&self, id: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE push_subscriptions SET last_sent_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    pub async fn push_mutes(&self, user_id: &UserId) -> Result<Vec<PushMute>, StoreError> {
        let rows = sqlx::query(
            "SELECT assistant_id, kind FROM push_mutes WHERE user_id = $1 \
             ORDER BY assistant_id, kind",
        )
        .bind(user_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(PushMute {
                    assistant_id: AssistantId(text(row, "assistant_id")?),
                    kind: kind_from(&text(row, "kind")?)?,
                })
            })
            .collect()
    }

    /// Replaces what this person turned off with `mutes`.
    pub async fn set_push_mutes(
        &self,
        user_id: &UserId,
        mutes: &[PushMute],
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("DELETE FROM push_mutes WHERE user_id = $1")
            .bind(user_id.as_str())
            .execute(&mut *tx)
            .await?;
        for mute in mutes {
            sqlx::query(
                "INSERT INTO push_mutes (user_id, assistant_id, kind) SELECT $1, $2, $3 \
                 WHERE NOT EXISTS (SELECT 1 FROM push_mutes WHERE user_id = $4 \
                 AND assistant_id = $5 AND kind = $6)",
            )
            .bind(user_id.as_str())
            .bind(mute.assistant_id.as_str())
            .bind(kind_name(mute.kind))
            .bind(user_id.as_str())
            .bind(mute.assistant_id.as_str())
            .bind(kind_name(mute.kind))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

fn target_from_row(row: &AnyRow) -> Result<PushTarget, StoreError> {
    Ok(PushTarget {
        id: text(row, "id")?,
        user_id: UserId(text(row, "user_id")?),
        endpoint: text(row, "endpoint")?,
        p256dh: text(row, "p256dh")?,
        auth: text(row, "auth")?,
        device: text(row, "device")?,
    })
}

fn device_from_row(row: &AnyRow) -> Result<PushDevice, StoreError> {
    let endpoint = text(row, "endpoint")?;
    Ok(PushDevice {
        id: text(row, "id")?,
        device: text(row, "device")?,
        service: crate::push::endpoint::service_name(&endpoint),
        created_at: int(row, "created_at")?,
        last_sent_at: row.try_get::<Option<i64>, _>("last_sent_at")?,
    })
}
