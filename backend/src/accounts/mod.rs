//! Accounts as plain code: password hashing, secrets, the same-origin rule
//! for cookie-authenticated writes, the host names this server answers to,
//! the first-run setup code, and the login rate limit. The HTTP
//! edge (`http::auth`) uses these.

pub mod hosts;
pub mod origin;
pub mod password;
pub mod rate_limit;
pub mod secret;
pub mod setup_code;
pub mod team;
