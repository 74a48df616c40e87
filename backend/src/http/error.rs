//! One error type for every handler: each maps to a status and the JSON
//! body `{ "error": { "code", "message" } }`. Database errors are logged,
//! never sent.

use crate::session::{DecideError, SessionError};
use crate::store::StoreError;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use tandem_shared::api::{ErrorBody, ErrorCode, ErrorDetail};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("{0}")]
    Unavailable(String),
    /// The data directory cannot be written: full or read-only disk.
    #[error("{0}; nothing already saved is lost")]
    Storage(crate::store::StorageFault),
    #[error("internal error")]
    Internal,
}

impl ApiError {
    pub fn status_and_code(&self) -> (StatusCode, ErrorCode) {
        match self {
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, ErrorCode::BadRequest),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, ErrorCode::Conflict),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, ErrorCode::Forbidden),
            ApiError::PayloadTooLarge(_) => {
                (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge)
            }
            ApiError::TooManyRequests(_) => {
                (StatusCode::TOO_MANY_REQUESTS, ErrorCode::TooManyRequests)
            }
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable),
            ApiError::Storage(_) => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Storage),
            ApiError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal),
        }
    }
}

/// A well-formed path refused for where it leads: a place the caller may
/// not use is forbidden, one that is not there is not found, one already
/// made is a conflict; only a malformed one is a bad request.
impl From<crate::workspaces::WorkspaceRefusal> for ApiError {
    fn from(refusal: crate::workspaces::WorkspaceRefusal) -> Self {
        use crate::workspaces::WorkspaceRefusal as R;
        let message = refusal.to_string();
        match refusal {
            R::NotAbsolute(_) | R::BadName(_) => ApiError::BadRequest(message),
            R::Missing(_) => ApiError::NotFound(message),
            R::HoldsTandemData(_) | R::OutsideRoot(..) => ApiError::Forbidden(message),
            R::Exists(_) | R::Io(_) => ApiError::Conflict(message),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message: self.to_string(),
            },
        };
        (status, Json(body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        tracing::error!(%error, "store error");
        match error.storage_fault() {
            Some(fault) => ApiError::Storage(fault),
            None => ApiError::Internal,
        }
    }
}

impl From<SessionError> for ApiError {
    fn from(error: SessionError) -> Self {
        match error {
            SessionError::NotFound => ApiError::NotFound("no session with that id".into()),
            SessionError::AssistantNotFound => {
                ApiError::NotFound("no assistant with that id".into())
            }
            SessionError::Invalid(message) => ApiError::BadRequest(message),
            SessionError::NotRunning => ApiError::Conflict("the session is not running".into()),
            SessionError::Archived => {
                ApiError::Conflict("the assistant is archived; bring it back first".into())
            }
            SessionError::Busy => ApiError::Unavailable("the session is busy; try again".into()),
            error @ SessionError::ShuttingDown => ApiError::Unavailable(error.to_string()),
            SessionError::NotNow(message) => ApiError::Conflict(message),
            SessionError::Elsewhere(message) => ApiError::Unavailable(message),
            SessionError::Store(error) => error.into(),
        }
    }
}

impl From<DecideError> for ApiError {
    fn from(error: DecideError) -> Self {
        match error {
            DecideError::NotFound => ApiError::NotFound("no pending approval with that id".into()),
            DecideError::AlreadySettled { state, by } => {
                ApiError::Conflict(format!("already {state} by {by}"))
            }
            DecideError::UnknownOption(option) => {
                ApiError::BadRequest(format!("`{option}` is not one of the options offered"))
            }
            DecideError::Busy => ApiError::Unavailable("the session is busy; try again".into()),
            DecideError::Elsewhere(message) => ApiError::Unavailable(message),
            DecideError::Store(error) => error.into(),
        }
    }
}

impl From<crate::wakes::WakeError> for ApiError {
    fn from(error: crate::wakes::WakeError) -> Self {
        use crate::wakes::WakeError;
        match error {
            WakeError::AssistantNotFound => ApiError::NotFound("no assistant with that id".into()),
            WakeError::Invalid(message) => ApiError::BadRequest(message),
            WakeError::Archived | WakeError::OverBudget(_) => ApiError::Conflict(error.to_string()),
            WakeError::Closed => ApiError::Unavailable("Tandem is shutting down".into()),
            WakeError::Session(error) => error.into(),
            WakeError::Store(error) => error.into(),
        }
    }
}

impl From<crate::accounts::team::TeamError> for ApiError {
    fn from(error: crate::accounts::team::TeamError) -> Self {
        use crate::accounts::team::TeamError;
        match error {
            TeamError::Invalid(message) => ApiError::BadRequest(message),
            TeamError::NameTaken(_) | TeamError::NotFirst => ApiError::Conflict(error.to_string()),
            TeamError::NoSuchUser(_) => ApiError::NotFound(error.to_string()),
            TeamError::Password(err) => {
                tracing::error!(%err, "password hashing");
                ApiError::Internal
            }
            TeamError::Store(error) => error.into(),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::PayloadTooLarge("the request body is too large".into());
        }
        ApiError::BadRequest(rejection.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::BadRequest(rejection.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::BadRequest(rejection.body_text())
    }
}

/// A JSON object body, its text held to `crate::text`'s rules, with
/// rejections that are JSON errors naming the field. The rules are checked
/// on what was read: fields the type does not have are ignored, whatever
/// they hold.
pub struct ApiJson<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned + serde::Serialize,
{
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let Json(value) = Json::<serde_json::Value>::from_request(request, state).await?;
        // serde takes an array for a struct (fields in order): every body
        // here is an object, so an array is a mistake, not a shorthand.
        if !value.is_object() {
            return Err(ApiError::BadRequest(
                "the request body must be a JSON object".into(),
            ));
        }
        let read: T = serde_path_to_error::deserialize(value).map_err(|error| {
            ApiError::BadRequest(format!(
                "Failed to deserialize the JSON body into the target type: {error}"
            ))
        })?;
        let kept = serde_json::to_value(&read).map_err(|_| ApiError::Internal)?;
        crate::text::check(&kept).map_err(ApiError::BadRequest)?;
        Ok(ApiJson(read))
    }
}

impl<T: serde::Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}

#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);
