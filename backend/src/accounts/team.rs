//! Adding people and issuing their API tokens: shared by the HTTP API and
//! the `tandem user` / `tandem token` commands.

use super::{password, secret};
use crate::clock::{Clock, IdGen};
use crate::store::{NewUserOutcome, Store, StoreError};
use tandem_shared::auth::{check_password, check_user_name, ApiToken, CreatedToken, User};
use tandem_shared::UserId;

/// Longest name of an API token.
pub const MAX_TOKEN_NAME: usize = 80;

pub const TOKEN_PREFIX: &str = "tdm_";

#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    #[error("{0}")]
    Invalid(String),
    #[error("name: `{0}` is taken")]
    NameTaken(String),
    #[error("Tandem is set up already; log in")]
    NotFirst,
    #[error("nobody is called `{0}`")]
    NoSuchUser(String),
    #[error(transparent)]
    Password(#[from] password::PasswordError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The seams adding people needs.
pub struct Team<'a> {
    pub store: &'a Store,
    pub ids: &'a dyn IdGen,
    pub clock: &'a dyn Clock,
}

impl Team<'_> {
    /// Checks and adds a person. `first_only`: only while nobody has an
    /// account (the first-run admin). Hashing is slow; this runs it on a
    /// blocking thread.
    pub async fn add_user(
        &self,
        name: &str,
        password: &str,
        admin: bool,
        first_only: bool,
    ) -> Result<User, TeamError> {
        let name = name.trim();
        check_user_name(name).map_err(|err| TeamError::Invalid(format!("name: {err}")))?;
        check_password(password).map_err(|err| TeamError::Invalid(format!("password: {err}")))?;
        let hash = hash_password(password.to_owned()).await?;
        let user = User {
            id: UserId(self.ids.new_id("usr")),
            name: name.to_owned(),
            admin,
            created_at: self.clock.now_ms(),
        };
        match self.store.create_user(&user, &hash, first_only).await? {
            NewUserOutcome::Created => Ok(user),
            NewUserOutcome::NameTaken => Err(TeamError::NameTaken(name.to_owned())),
            NewUserOutcome::NotFirst => Err(TeamError::NotFirst),
        }
    }

    /// A bearer token for `user`; its secret is returned once.
    pub async fn issue_token(&self, user: &UserId, name: &str) -> Result<CreatedToken, TeamError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_TOKEN_NAME {
            return Err(TeamError::Invalid(format!(
                "name: must be 1 to {MAX_TOKEN_NAME} characters"
            )));
        }
        let token = ApiToken {
            id: self.ids.new_id("tok"),
            name: name.to_owned(),
            created_at: self.clock.now_ms(),
            last_used_at: None,
        };
        let value = secret::new_secret(TOKEN_PREFIX);
        self.store
            .create_api_token(&token, user, &secret::digest(&value))
            .await?;
        Ok(CreatedToken {
            token,
            secret: value,
        })
    }
}

pub async fn hash_password(password: String) -> Result<String, password::PasswordError> {
    match tokio::task::spawn_blocking(move || password::hash(&password)).await {
        Ok(result) => result,
        Err(err) => Err(password::PasswordError::Hash(err.to_string())),
    }
}
