//! Web Push for people: this server's public key, each person's devices
//! (subscribe, list, remove, send a test), and what they turned off per
//! assistant. A person sees and touches only their own devices.

use super::access;
use super::auth::Caller;
use super::error::{ApiError, ApiJson, ApiPath};
use super::AppState;
use crate::push::sender::{device_keys, PushError};
use crate::store::PushTarget;
use axum::extract::State;
use axum::http::StatusCode;
use tandem_shared::api::{ErrorBody, NewPushSubscription, PushDevice, PushKey, PushMutes};

/// A device's name, as its person sees it in the list.
pub(crate) const MAX_DEVICE: usize = 80;
/// Kinds a person may turn off, at most (assistants × kinds).
pub(crate) const MAX_MUTES: usize = 2_000;

#[utoipa::path(get, path = "/api/push/key", responses((status = 200, body = PushKey)))]
pub async fn key(State(state): State<AppState>, _caller: Caller) -> ApiJson<PushKey> {
    ApiJson(PushKey {
        public_key: state.push.public_key().to_owned(),
    })
}

#[utoipa::path(get, path = "/api/push/devices", responses((status = 200, body = Vec<PushDevice>)))]
pub async fn devices(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<ApiJson<Vec<PushDevice>>, ApiError> {
    Ok(ApiJson(state.store.push_devices(&caller.user.id).await?))
}

#[utoipa::path(post, path = "/api/push/devices", request_body = NewPushSubscription,
    responses((status = 201, body = PushDevice), (status = 400, body = ErrorBody)))]
pub async fn subscribe(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewPushSubscription>,
) -> Result<(StatusCode, ApiJson<PushDevice>), ApiError> {
    let endpoint = crate::push::endpoint::check(&body.endpoint, state.push.allow_local())
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    device_keys(&body.keys.p256dh, &body.keys.auth)
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let device = body.device.trim();
    if device.chars().count() > MAX_DEVICE || device.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(format!(
            "device: at most {MAX_DEVICE} characters, one line"
        )));
    }
    let id = state.sessions.context().ids.new_id("psh");
    let target = PushTarget {
        id: id.clone(),
        user_id: caller.user.id.clone(),
        endpoint: endpoint.to_string(),
        p256dh: body.keys.p256dh.trim_end_matches('=').to_owned(),
        auth: body.keys.auth.trim_end_matches('=').to_owned(),
        device: device.to_owned(),
    };
    let now = state.now_ms();
    state.store.save_push_subscription(&target, now).await?;
    let saved = PushDevice {
        id,
        device: device.to_owned(),
        service: crate::push::endpoint::service_name(&target.endpoint),
        created_at: now,
        last_sent_at: None,
    };
    Ok((StatusCode::CREATED, ApiJson(saved)))
}

#[utoipa::path(delete, path = "/api/push/devices/{id}",
    params(("id" = String, Path, description = "device id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    if state
        .store
        .delete_push_subscription(&caller.user.id, &id)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("no device with that id".into()))
    }
}

/// Sends a test push to one of the caller's devices and says how it went:
/// `204`, or `503` with the push service's answer.
#[utoipa::path(post, path = "/api/push/devices/{id}/test",
    params(("id" = String, Path, description = "device id")),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn test(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let not_found = || ApiError::NotFound("no device with that id".into());
    let target = state
        .store
        .push_target(&caller.user.id, &id)
        .await?
        .ok_or_else(not_found)?;
    let device = target.device.clone();
    match state
        .push
        .to_device(target, crate::push::messages::test(&device))
        .await
    {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(PushError::Gone) => Err(ApiError::NotFound(PushError::Gone.to_string())),
        Err(error) => Err(ApiError::Unavailable(format!(
            "the test push was not delivered: {error}"
        ))),
    }
}

#[utoipa::path(get, path = "/api/push/mutes", responses((status = 200, body = PushMutes)))]
pub async fn mutes(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<ApiJson<PushMutes>, ApiError> {
    Ok(ApiJson(PushMutes {
        mutes: state.store.push_mutes(&caller.user.id).await?,
    }))
}

/// Replaces what the caller turned off; each assistant must be one they see.
#[utoipa::path(put, path = "/api/push/mutes", request_body = PushMutes,
    responses((status = 200, body = PushMutes), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn set_mutes(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<PushMutes>,
) -> Result<ApiJson<PushMutes>, ApiError> {
    if body.mutes.len() > MAX_MUTES {
        return Err(ApiError::BadRequest(format!("mutes: at most {MAX_MUTES}")));
    }
    for mute in &body.mutes {
        access::assistant(&state, &caller, &mute.assistant_id).await?;
    }
    state
        .store
        .set_push_mutes(&caller.user.id, &body.mutes)
        .await?;
    mutes(State(state), caller).await
}
