//! `/api/usage`: what sessions spent, rolled up (JSON, or CSV to take
//! elsewhere). A person sees the assistants they are a member of; an
//! admin sees everyone's.

use super::auth::Caller;
use super::error::{ApiError, ApiJson, ApiQuery};
use super::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use tandem_shared::api::ErrorBody;
use tandem_shared::spend::CURRENCY;
use tandem_shared::usage_report::{to_csv, Grouping, UsageQuery, UsageReport};

async fn report(
    state: &AppState,
    caller: &Caller,
    query: &UsageQuery,
) -> Result<UsageReport, ApiError> {
    let (from, to) = query.range(state.now_ms()).map_err(ApiError::BadRequest)?;
    let by = query.by.unwrap_or(Grouping::Day);
    if query.split == Some(by) {
        return Err(ApiError::BadRequest(
            "split: another grouping than by".into(),
        ));
    }
    Ok(state
        .store
        .usage_report(caller.scope(), by, query.split, from, to, CURRENCY)
        .await?)
}

#[utoipa::path(get, path = "/api/usage", params(UsageQuery),
    responses((status = 200, body = UsageReport), (status = 400, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<UsageQuery>,
) -> Result<ApiJson<UsageReport>, ApiError> {
    Ok(ApiJson(report(&state, &caller, &query).await?))
}

#[utoipa::path(get, path = "/api/usage.csv", params(UsageQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 400, body = ErrorBody)))]
pub async fn csv(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<UsageQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let report = report(&state, &caller, &query).await?;
    let name = format!("tandem-usage-by-{}.csv", report.by.as_str());
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        to_csv(&report),
    ))
}
