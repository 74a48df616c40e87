//! Read-only share links: members make, list and revoke them; anyone with
//! the link reads that one transcript, live, and nothing else.

use super::access::Visible;
use super::auth::Caller;
use super::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use super::sessions::{page, PageQuery};
use super::ws::{refuse, Reader};
use super::AppState;
use crate::accounts::secret;
use crate::store::SessionRecord;
use axum::extract::{ConnectInfo, State, WebSocketUpgrade};
use axum::http::StatusCode;
use axum::response::Response;
use tandem_shared::api::{ErrorBody, EventPage};
use tandem_shared::auth::{CreateShareLink, CreatedShareLink, ShareLink, SharedSession};

const LINK_PREFIX: &str = "tds_";
/// A year: the longest expiry one can ask for.
pub(crate) const MAX_HOURS: u32 = 24 * 366;

#[utoipa::path(post, path = "/api/sessions/{id}/share-links", request_body = CreateShareLink,
    params(("id" = String, Path, description = "session id")),
    responses((status = 201, body = CreatedShareLink), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Visible {
        caller,
        item: record,
    }: Visible<SessionRecord>,
    ApiJson(body): ApiJson<CreateShareLink>,
) -> Result<(StatusCode, ApiJson<CreatedShareLink>), ApiError> {
    if body
        .expires_in_hours
        .is_some_and(|hours| hours == 0 || hours > MAX_HOURS)
    {
        return Err(ApiError::BadRequest(format!(
            "expires_in_hours: must be 1 to {MAX_HOURS}"
        )));
    }
    let ctx = state.sessions.context();
    let now = ctx.clock.now_ms();
    let link = ShareLink {
        id: ctx.ids.new_id("shl"),
        session_id: record.summary.id.clone(),
        created_by: caller.name(),
        created_at: now,
        expires_at: body
            .expires_in_hours
            .map(|hours| now + i64::from(hours) * 3_600_000),
    };
    let token = secret::new_secret(LINK_PREFIX);
    state
        .store
        .create_share_link(&link, &secret::digest(&token), &caller.user.id)
        .await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(CreatedShareLink {
            link,
            path: format!("/s/{token}"),
        }),
    ))
}

#[utoipa::path(get, path = "/api/share-links",
    responses((status = 200, body = Vec<ShareLink>)))]
/// Every live link of the sessions the caller can see (Settings).
pub async fn list_all(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<ApiJson<Vec<ShareLink>>, ApiError> {
    Ok(ApiJson(
        state
            .store
            .all_share_links(caller.scope(), state.now_ms())
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/sessions/{id}/share-links",
    params(("id" = String, Path, description = "session id")),
    responses((status = 200, body = Vec<ShareLink>), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Visible { item: record, .. }: Visible<SessionRecord>,
) -> Result<ApiJson<Vec<ShareLink>>, ApiError> {
    Ok(ApiJson(
        state
            .store
            .share_links(&record.summary.id, state.now_ms())
            .await?,
    ))
}

/// Revokes a link at once: its open pages lose their stream.
#[utoipa::path(delete, path = "/api/sessions/{id}/share-links/{link_id}",
    params(("id" = String, Path, description = "session id"), ("link_id" = String, Path, description = "link id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    Visible { item: record, .. }: Visible<SessionRecord>,
    ApiPath((_id, link_id)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    if !state
        .store
        .revoke_share_link(&record.summary.id, &link_id, state.now_ms())
        .await?
    {
        return Err(ApiError::NotFound("no live share link with that id".into()));
    }
    state.hub.access_changed();
    Ok(StatusCode::NO_CONTENT)
}

/// The link and its session, or the same 404 for every way a token fails.
async fn open(state: &AppState, token: &str) -> Result<(ShareLink, SessionRecord), ApiError> {
    let gone = || ApiError::NotFound("this link does not exist, has expired or was revoked".into());
    let link = state
        .store
        .share_link_by_token(&secret::digest(token), state.now_ms())
        .await?
        .ok_or_else(gone)?;
    let record = state
        .store
        .get_session(&link.session_id)
        .await?
        .ok_or_else(gone)?;
    Ok((link, record))
}

#[utoipa::path(get, path = "/api/share/{token}",
    params(("token" = String, Path, description = "the share link's token")),
    responses((status = 200, body = SharedSession), (status = 404, body = ErrorBody)))]
pub async fn shared(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
) -> Result<ApiJson<SharedSession>, ApiError> {
    let (link, record) = open(&state, &token).await?;
    Ok(ApiJson(SharedSession {
        session: record.summary,
        expires_at: link.expires_at,
    }))
}

#[utoipa::path(get, path = "/api/share/{token}/events",
    params(("token" = String, Path, description = "the share link's token"), PageQuery),
    responses((status = 200, body = EventPage), (status = 404, body = ErrorBody)))]
pub async fn events(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<ApiJson<EventPage>, ApiError> {
    let (_, record) = open(&state, &token).await?;
    page(&state, &record, &query).await
}

/// The live stream for a share link: subscribe to its session only.
/// A dead or unknown link still gets the upgrade, then one error frame.
pub async fn socket(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<std::net::SocketAddr>,
    ApiPath(token): ApiPath<String>,
) -> Response {
    match open(&state, &token).await {
        Ok((link, _)) => match state.share_sockets.hold(&link.id, client.ip()) {
            Some(held) => super::ws::accept_holding(ws, state, Reader::Link(link), held),
            None => refuse(
                ws,
                ApiError::TooManyRequests(format!(
                    "too many open viewers of this link, or from your address (at most {} and {}); close one and try again",
                    super::ws::caps::PER_LINK,
                    super::ws::caps::PER_ADDRESS
                )),
            ),
        },
        Err(refusal) => refuse(ws, refusal),
    }
}
