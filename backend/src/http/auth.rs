//! Who is calling: a log-in cookie or a bearer token, checked at the
//! boundary of every route that needs it (the `Caller` extractor), and the
//! routes that make, use and end a login.

use super::error::{ApiError, ApiJson};
use super::AppState;
use crate::accounts::setup_code::SetupCode;
use crate::accounts::team::{self, TeamError};
use crate::accounts::{origin, password, secret};
use crate::store::Scope;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::header::{AUTHORIZATION, COOKIE, HOST, ORIGIN, SET_COOKIE, UPGRADE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use tandem_shared::auth::{
    check_password, AuthState, ChangePassword, Credentials, FirstAdmin, User,
};
use tandem_shared::UserId;

pub const SESSION_COOKIE: &str = "tandem_session";
/// How long a login lasts.
const LOGIN_DAYS: i64 = 30;
const COOKIE_PREFIX: &str = "tdc_";

/// The person behind a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    /// The digest of the login cookie, when that is how they came.
    login: Option<String>,
    /// The digest of the credential they came with, to check again later
    /// (a socket lives longer than the request that opened it).
    credential: Credential,
}

#[derive(Debug, Clone)]
enum Credential {
    Login(String),
    Token(String),
}

impl Caller {
    /// What this person's listings include.
    pub fn scope(&self) -> Scope<'_> {
        if self.user.admin {
            Scope::All
        } else {
            Scope::MemberOf(&self.user.id)
        }
    }

    pub fn require_admin(&self, what: &str) -> Result<(), ApiError> {
        if self.user.admin {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!("only an admin can {what}")))
        }
    }

    /// Whether the login or token this caller came with still holds (not
    /// logged out, revoked, expired, or ended by a password change).
    pub async fn still_valid(&self, state: &AppState) -> Result<bool, ApiError> {
        let now = state.now_ms();
        let user = match &self.credential {
            Credential::Login(digest) => state.store.user_by_login_session(digest, now).await?,
            Credential::Token(digest) => state.store.user_by_api_token(digest, now).await?,
        };
        Ok(user.is_some_and(|user| user.id == self.user.id))
    }

    /// How transcripts and chat name this person.
    pub fn name(&self) -> String {
        self.user.name.clone()
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        authenticate(state, &parts.method, &parts.headers, parts.uri.authority()).await
    }
}

pub async fn authenticate(
    state: &AppState,
    method: &Method,
    headers: &HeaderMap,
    authority: Option<&axum::http::uri::Authority>,
) -> Result<Caller, ApiError> {
    let now = state.now_ms();
    if headers.contains_key(AUTHORIZATION) {
        let token = bearer_token(headers)?;
        let digest = secret::digest(token);
        let user = state
            .store
            .user_by_api_token(&digest, now)
            .await?
            .ok_or_else(|| ApiError::Unauthorized("the token is unknown or revoked".into()))?;
        return Ok(Caller {
            user,
            login: None,
            credential: Credential::Token(digest),
        });
    }
    let Some(cookie) = session_cookie(headers) else {
        return Err(ApiError::Unauthorized("log in first".into()));
    };
    let digest = secret::digest(&cookie);
    let user = state
        .store
        .user_by_login_session(&digest, now)
        .await?
        .ok_or_else(|| ApiError::Unauthorized("your login has ended; log in again".into()))?;
    let websocket = headers
        .get(UPGRADE)
        .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"websocket"));
    let host = headers
        .get(HOST)
        .and_then(|value| value.to_str().ok())
        .or(authority.map(|authority| authority.as_str()));
    let origin_header = headers.get(ORIGIN).and_then(|value| value.to_str().ok());
    if !origin::allowed(method.as_str(), websocket, origin_header, host) {
        return Err(ApiError::Forbidden(
            "refused: a request using your login must come from Tandem's own pages".into(),
        ));
    }
    Ok(Caller {
        user,
        login: Some(digest.clone()),
        credential: Credential::Login(digest),
    })
}

/// The token of an `Authorization: Bearer <token>` header (people's API
/// tokens and agents' run tokens alike).
pub fn bearer_token(headers: &HeaderMap) -> Result<&str, ApiError> {
    headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or_else(|| ApiError::Unauthorized("use `Authorization: Bearer <token>`".into()))
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == SESSION_COOKIE)
        .map(|cookie| cookie.value().to_owned())
}

/// The web app's first question.
#[utoipa::path(get, path = "/api/auth/state", responses((status = 200, body = AuthState)))]
pub async fn state(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    method: Method,
    headers: HeaderMap,
) -> Result<ApiJson<AuthState>, ApiError> {
    let user = match authenticate(&state, &method, &headers, None).await {
        Ok(caller) => Some(caller.user),
        Err(ApiError::Unauthorized(_)) => None,
        Err(err) => return Err(err),
    };
    let setup_needed = state.store.user_count().await? == 0;
    Ok(ApiJson(AuthState {
        setup_needed,
        setup_code_needed: setup_needed
            && !SetupCode::local(client.ip().is_loopback(), host_of(&headers)),
        user,
    }))
}

fn host_of(headers: &HeaderMap) -> Option<&str> {
    headers.get(HOST).and_then(|value| value.to_str().ok())
}

/// Makes the first account, an admin, and logs it in. Refused once any
/// account exists; from another machine, or at a name other than
/// `localhost`, it needs the setup code printed on the server's console.
#[utoipa::path(post, path = "/api/auth/setup", request_body = FirstAdmin,
    responses((status = 201, body = User), (status = 400, body = tandem_shared::api::ErrorBody),
        (status = 403, body = tandem_shared::api::ErrorBody),
        (status = 409, body = tandem_shared::api::ErrorBody), (status = 429, body = tandem_shared::api::ErrorBody)))]
pub async fn setup(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<FirstAdmin>,
) -> Result<Response, ApiError> {
    refuse_other_origins(&headers)?;
    // Guessing the code is held back like guessing a password.
    if body.setup_code.is_some() && !state.login_limiter.attempt(client.ip(), "(setup code)") {
        return Err(ApiError::TooManyRequests(
            "too many setup attempts; wait a minute".into(),
        ));
    }
    if state.store.user_count().await? > 0 {
        return Err(ApiError::Conflict(
            "Tandem is set up already; log in".into(),
        ));
    }
    state
        .setup_code
        .admits(
            client.ip().is_loopback(),
            host_of(&headers),
            body.setup_code.as_deref(),
        )
        .map_err(|refusal| ApiError::Forbidden(refusal.to_string()))?;
    let user = create_user(&state, &body.name, &body.password, true, true).await?;
    let cookie = start_login(&state, &user.id, &headers).await?;
    Ok((StatusCode::CREATED, cookie, ApiJson(user)).into_response())
}

#[utoipa::path(post, path = "/api/auth/login", request_body = Credentials,
    responses((status = 200, body = User), (status = 401, body = tandem_shared::api::ErrorBody),
        (status = 429, body = tandem_shared::api::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<Response, ApiError> {
    refuse_other_origins(&headers)?;
    if !state.login_limiter.attempt(client.ip(), &body.name) {
        return Err(ApiError::TooManyRequests(
            "too many login attempts; wait a minute".into(),
        ));
    }
    let found = state.store.user_with_hash(&body.name).await?;
    let (user, stored) = match found {
        Some((user, stored)) => (Some(user), stored),
        None => (None, password::decoy().to_owned()),
    };
    let matches = verify_password(body.password.clone(), stored).await?;
    let user = match (user, matches) {
        (Some(user), true) => user,
        _ => {
            return Err(ApiError::Unauthorized(
                "that name and password do not match".into(),
            ))
        }
    };
    let cookie = start_login(&state, &user.id, &headers).await?;
    Ok((cookie, ApiJson(user)).into_response())
}

#[utoipa::path(post, path = "/api/auth/logout", responses((status = 204)))]
pub async fn logout(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    if let Some(digest) = &caller.login {
        state.store.delete_login_session(digest).await?;
        // Sockets opened with this login end with it.
        state.hub.access_changed();
    }
    let expired = cookie::Cookie::build((SESSION_COOKIE, ""))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .max_age(cookie::time::Duration::ZERO)
        .build();
    Ok((
        StatusCode::NO_CONTENT,
        [(SET_COOKIE, header_value(&expired.to_string())?)],
    )
        .into_response())
}

/// Changes one's own password; every other login of that person ends.
#[utoipa::path(post, path = "/api/auth/password", request_body = ChangePassword,
    responses((status = 204), (status = 400, body = tandem_shared::api::ErrorBody),
        (status = 401, body = tandem_shared::api::ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ChangePassword>,
) -> Result<StatusCode, ApiError> {
    check_password(&body.new).map_err(ApiError::BadRequest)?;
    let stored = state
        .store
        .password_hash(&caller.user.id)
        .await?
        .ok_or(ApiError::Internal)?;
    let matches = verify_password(body.current.clone(), stored).await?;
    if !matches {
        return Err(ApiError::Forbidden(
            "current: that is not your password".into(),
        ));
    }
    let hash = team::hash_password(body.new)
        .await
        .map_err(TeamError::from)?;
    state
        .store
        .set_password_hash(&caller.user.id, &hash)
        .await?;
    state
        .store
        .delete_login_sessions_except(&caller.user.id, caller.login.as_deref())
        .await?;
    state.hub.access_changed();
    Ok(StatusCode::NO_CONTENT)
}

/// Checks a password off the async threads (argon2 is slow on purpose).
async fn verify_password(password: String, stored: String) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || password::verify(&password, &stored))
        .await
        .map_err(|_| ApiError::Internal)
}

/// Adds a person through the HTTP API.
pub async fn create_user(
    state: &AppState,
    name: &str,
    password: &str,
    admin: bool,
    first: bool,
) -> Result<User, ApiError> {
    Ok(state.team().add_user(name, password, admin, first).await?)
}

/// A new login for `user`, as its Set-Cookie header.
async fn start_login(
    state: &AppState,
    user: &UserId,
    headers: &HeaderMap,
) -> Result<[(axum::http::HeaderName, HeaderValue); 1], ApiError> {
    let value = secret::new_secret(COOKIE_PREFIX);
    let now = state.now_ms();
    let expires = now + LOGIN_DAYS * 24 * 3600 * 1000;
    state
        .store
        .create_login_session(&secret::digest(&value), user, now, expires)
        .await?;
    // Behind a TLS-terminating proxy the cookie is marked Secure.
    let https = headers
        .get("x-forwarded-proto")
        .is_some_and(|proto| proto.as_bytes().eq_ignore_ascii_case(b"https"));
    let cookie = cookie::Cookie::build((SESSION_COOKIE, value))
        .path("/")
        .http_only(true)
        .secure(https)
        .same_site(cookie::SameSite::Strict)
        .max_age(cookie::time::Duration::days(LOGIN_DAYS))
        .build();
    Ok([(SET_COOKIE, header_value(&cookie.to_string())?)])
}

/// A page elsewhere must not log a browser in (into an account of its
/// choosing). Tools that send no `Origin` (curl, scripts) may.
fn refuse_other_origins(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(origin_header) = headers.get(ORIGIN).and_then(|value| value.to_str().ok()) else {
        return Ok(());
    };
    let host = headers.get(HOST).and_then(|value| value.to_str().ok());
    if origin::allowed("POST", false, Some(origin_header), host) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "refused: logging in must happen on Tandem's own pages".into(),
        ))
    }
}

fn header_value(text: &str) -> Result<HeaderValue, ApiError> {
    HeaderValue::from_str(text).map_err(|_| ApiError::Internal)
}
