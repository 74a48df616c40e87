//! `/api/prices`: the price table that estimates the cost of sessions
//! whose agent reports tokens but no cost. Everyone reads it; only an
//! admin changes it.

use super::auth::Caller;
use super::error::{ApiError, ApiJson, ApiPath};
use super::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use tandem_shared::api::ErrorBody;
use tandem_shared::spend::{ModelPrice, SavedPrice};

#[utoipa::path(get, path = "/api/prices",
    responses((status = 200, body = Vec<ModelPrice>)))]
pub async fn list(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<ApiJson<Vec<ModelPrice>>, ApiError> {
    Ok(ApiJson(state.store.model_prices().await?))
}

/// Sets a model's price. A model no session has reported yet is kept, with
/// a note that it estimates nothing until one does.
#[utoipa::path(put, path = "/api/prices/{model}", request_body = ModelPrice,
    params(("model" = String, Path, description = "the model, as the agent names it")),
    responses((status = 200, body = SavedPrice), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn set(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(model): ApiPath<String>,
    ApiJson(mut price): ApiJson<ModelPrice>,
) -> Result<ApiJson<SavedPrice>, ApiError> {
    caller.require_admin("set a model's price")?;
    price.model = model.trim().to_owned();
    price.check().map_err(ApiError::BadRequest)?;
    state
        .store
        .set_model_price(&price, &caller.name(), state.now_ms())
        .await?;
    let note = (!state.store.model_seen(&price.model).await?).then(|| {
        format!(
            "No session has reported the model “{}” yet: this price estimates nothing until one does.",
            price.model
        )
    });
    Ok(ApiJson(SavedPrice { price, note }))
}

#[utoipa::path(delete, path = "/api/prices/{model}",
    params(("model" = String, Path, description = "the model")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(model): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    caller.require_admin("remove a model's price")?;
    if state.store.remove_model_price(model.trim()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("no price is set for that model".into()))
    }
}
