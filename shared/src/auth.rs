//! Accounts: people, their log-in, API tokens, and who belongs to which
//! assistant.

use crate::UserId;
use serde::{Deserialize, Serialize};

/// A person with an account. Never carries the password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: UserId,
    pub name: String,
    pub admin: bool,
    pub created_at: i64,
}

/// What the web app needs before anything else: is there an account yet,
/// and who is logged in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthState {
    /// No account exists: the first one to be made is the admin.
    pub setup_needed: bool,
    /// Making the first admin from here needs the setup code printed on
    /// the server's console (not a page on the server's own machine).
    #[serde(default)]
    pub setup_code_needed: bool,
    pub user: Option<User>,
}

/// The first admin account, and the setup code when one is needed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FirstAdmin {
    pub name: String,
    pub password: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup_code: Option<String>,
}

/// Log in, or make the first admin account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Credentials {
    pub name: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangePassword {
    pub current: String,
    pub new: String,
}

/// An admin adds a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateUser {
    pub name: String,
    pub password: String,
    #[serde(default)]
    pub admin: bool,
}

/// A bearer token for automation. The secret is shown once, at creation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateToken {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedToken {
    pub token: ApiToken,
    /// `Authorization: Bearer <secret>`; not retrievable later.
    pub secret: String,
}

/// Adds a person to an assistant's members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddMember {
    pub user_id: UserId,
}

/// A read-only link to one session's transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShareLink {
    pub id: String,
    pub session_id: crate::SessionId,
    /// The name of the person who made it.
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateShareLink {
    /// The link stops working after this many hours; never, when absent.
    #[serde(default)]
    pub expires_in_hours: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedShareLink {
    pub link: ShareLink,
    /// `/s/<token>`: shown once; only its digest is kept.
    pub path: String,
}

/// What a share link's page may read: the one session it names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SharedSession {
    pub session: crate::api::SessionSummary,
    pub expires_at: Option<i64>,
}

/// Rules for account names, shared so the web app can say them before
/// sending.
/// Longest account name.
pub const MAX_USER_NAME_CHARS: usize = 64;

pub fn check_user_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.chars().count() > MAX_USER_NAME_CHARS {
        return Err(format!("a name has 1 to {MAX_USER_NAME_CHARS} characters"));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err("a name uses letters, digits, `.`, `_` and `-` only".into());
    }
    Ok(())
}

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted.
pub const MAX_PASSWORD_CHARS: usize = 1024;

pub fn check_password(password: &str) -> Result<(), String> {
    let length = password.chars().count();
    if length < MIN_PASSWORD_CHARS {
        return Err(format!(
            "a password has at least {MIN_PASSWORD_CHARS} characters"
        ));
    }
    if length > MAX_PASSWORD_CHARS {
        return Err(format!(
            "a password has at most {MAX_PASSWORD_CHARS} characters"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_passwords_are_checked() {
        assert!(check_user_name("ada.l-1_x").is_ok());
        assert!(check_user_name("").is_err());
        assert!(check_user_name("a b").is_err());
        assert!(check_user_name("<script>").is_err());
        assert!(check_user_name(&"a".repeat(65)).is_err());
        assert!(check_password("short").is_err());
        assert!(check_password("long enough").is_ok());
    }
}
