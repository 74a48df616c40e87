//! People and their password hashes.

use super::{int, text, Store, StoreError};
use sqlx::any::AnyRow;
use tandem_shared::auth::User;
use tandem_shared::UserId;

const COLUMNS: &str = "id, name, admin, created_at";

/// What creating a user can run into besides the database.
#[derive(Debug, PartialEq, Eq)]
pub enum NewUserOutcome {
    Created,
    NameTaken,
    /// `only_if_none` was asked and an account exists already.
    NotFirst,
}

impl Store {
    /// Adds a person. With `only_if_none`, only when no account exists yet:
    /// the first-run admin, decided by the database so two tabs racing
    /// cannot both become it.
    pub async fn create_user(
        &self,
        user: &User,
        password_hash: &str,
        only_if_none: bool,
    ) -> Result<NewUserOutcome, StoreError> {
        if self.user_by_name(&user.name).await?.is_some() {
            return Ok(NewUserOutcome::NameTaken);
        }
        let guard = if only_if_none {
            " WHERE NOT EXISTS (SELECT 1 FROM users)"
        } else {
            ""
        };
        let result = sqlx::query(&format!(
            "INSERT INTO users (id, name, password_hash, admin, created_at) \
             SELECT $1, $2, $3, $4, $5{guard}"
        ))
        .bind(user.id.as_str())
        .bind(&user.name)
        .bind(password_hash)
        .bind(i64::from(user.admin))
        .bind(user.created_at)
        .execute(&self.writer)
        .await;
        match result {
            Ok(done) if done.rows_affected() == 1 => Ok(NewUserOutcome::Created),
            Ok(_) => Ok(NewUserOutcome::NotFirst),
            // The UNIQUE name lost a race with another insert.
            Err(sqlx::Error::Database(err)) if err.is_unique_violation() => {
                Ok(NewUserOutcome::NameTaken)
            }
            Err(err) => Err(err.into()),
        }
    }

    pub async fn user_count(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(&self.pool)
            .await?;
        int(&row, "n")
    }

    pub async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM users ORDER BY name"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    pub async fn get_user(&self, id: &UserId) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub async fn user_by_name(&self, name: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE name = $1"))
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// The user and their password hash, for logging in.
    pub async fn user_with_hash(&self, name: &str) -> Result<Option<(User, String)>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS}, password_hash FROM users WHERE name = $1"
        ))
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Ok(Some((user_from_row(&row)?, text(&row, "password_hash")?))),
            None => Ok(None),
        }
    }

    pub async fn password_hash(&self, id: &UserId) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT password_hash FROM users WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(|row| text(row, "password_hash"))
            .transpose()
    }

    pub async fn set_password_hash(&self, id: &UserId, hash: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(id.as_str())
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}

pub(super) fn user_from_row(row: &AnyRow) -> Result<User, StoreError> {
    Ok(User {
        id: UserId(text(row, "id")?),
        name: text(row, "name")?,
        admin: int(row, "admin")? != 0,
        created_at: int(row, "created_at")?,
    })
}
