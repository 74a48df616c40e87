//! Accounts as plain code: password hashing, secrets, the same-origin rule
//! for cookie-authenticated writes, and the login rate limit. The HTTP
//! edge (`http::auth`) uses these.

pub mod origin;
pub mod password;
pub mod rate_limit;
pub mod secret;
pub mod team;
