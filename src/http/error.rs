//! The HTTP layer's one error type and its single mapping to status codes.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::identify::AuthError;
use crate::error::ServiceError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("{0}")]
    BadRequest(String),
    /// A query string or body that does not fit the route's type, where the parser
    /// says which field: the answer names it in `field`.
    #[error("{message}")]
    BadField { field: String, message: String },
    #[error("the request body is larger than the limit of {0} bytes")]
    PayloadTooLarge(usize),
    #[error("log in first")]
    Unauthenticated,
    #[error("missing or wrong X-CSRF-Token header")]
    Csrf,
    #[error("your company requires two-factor sign-in: log in again to set it up")]
    TwoFactorRequired,
    #[error("no such endpoint")]
    NoRoute,
}

/// `{"error":{"code","message","field"?}}`
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable code.
    pub code: String,
    pub message: String,
    /// The request field at fault, for validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    /// The one place a failure gets its status and code.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Service(e) => match e {
                ServiceError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
                ServiceError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
                ServiceError::Invalid { .. } => (StatusCode::BAD_REQUEST, "invalid"),
                ServiceError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
                ServiceError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
                ServiceError::RateLimited => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
                ServiceError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
                ServiceError::Unprocessable(_) => {
                    (StatusCode::UNPROCESSABLE_ENTITY, "unprocessable")
                }
                ServiceError::InsufficientStorage(_) => {
                    (StatusCode::INSUFFICIENT_STORAGE, "insufficient_storage")
                }
                ServiceError::Store(_) | ServiceError::Internal(_) => {
                    (StatusCode::INTERNAL_SERVER_ERROR, "internal")
                }
            },
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::BadField { .. } => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            ApiError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            ApiError::Csrf => (StatusCode::FORBIDDEN, "csrf"),
            ApiError::TwoFactorRequired => (StatusCode::UNAUTHORIZED, "two_factor_required"),
            ApiError::NoRoute => (StatusCode::NOT_FOUND, "not_found"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = if status == StatusCode::INSUFFICIENT_STORAGE {
            tracing::error!(error = %self, "write refused: disk nearly full");
            "the server's disk is nearly full, so nothing was saved; tell your administrator (the server log has the details)".to_string()
        } else if status.is_server_error() {
            // The log says all; the client learns only that it was not their fault.
            tracing::error!(error = %self, "request failed");
            "internal error; the server log has the details".to_string()
        } else {
            self.to_string()
        };
        let field = match &self {
            ApiError::Service(ServiceError::Invalid { field, .. }) => field.map(String::from),
            ApiError::BadField { field, .. } => Some(field.clone()),
            _ => None,
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.into(),
                message,
                field,
            },
        };
        (status, Json(body)).into_response()
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Unauthenticated => ApiError::Unauthenticated,
            AuthError::Csrf => ApiError::Csrf,
            AuthError::TwoFactorRequired => ApiError::TwoFactorRequired,
            AuthError::Service(e) => ApiError::Service(e),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreError;

    #[test]
    fn status_mapping() {
        let cases: Vec<(ApiError, u16, &str)> = vec![
            (ServiceError::not_found("x").into(), 404, "not_found"),
            (ServiceError::forbidden("x").into(), 403, "forbidden"),
            (ServiceError::invalid("f", "x").into(), 400, "invalid"),
            (ServiceError::Conflict("x".into()).into(), 409, "conflict"),
            (
                ServiceError::Unauthorized("x".into()).into(),
                401,
                "invalid_credentials",
            ),
            (ServiceError::RateLimited.into(), 429, "rate_limited"),
            (ServiceError::TooLarge("x".into()).into(), 413, "too_large"),
            (
                ServiceError::Unprocessable("x".into()).into(),
                422,
                "unprocessable",
            ),
            (
                ServiceError::InsufficientStorage("x".into()).into(),
                507,
                "insufficient_storage",
            ),
            (
                ServiceError::Store(StoreError::Poisoned).into(),
                500,
                "internal",
            ),
            (ApiError::BadRequest("x".into()), 400, "bad_request"),
            (
                ApiError::BadField {
                    field: "f".into(),
                    message: "x".into(),
                },
                400,
                "bad_request",
            ),
            (ApiError::PayloadTooLarge(1), 413, "too_large"),
            (ApiError::Unauthenticated, 401, "unauthenticated"),
            (ApiError::Csrf, 403, "csrf"),
            (ApiError::TwoFactorRequired, 401, "two_factor_required"),
            (ApiError::NoRoute, 404, "not_found"),
        ];
        for (err, status, code) in cases {
            let (s, c) = err.status_and_code();
            assert_eq!((s.as_u16(), c), (status, code), "{err:?}");
        }
    }

    #[test]
    fn server_errors_hide_details() {
        let resp =
            ApiError::Service(ServiceError::Internal("secret path /etc".into())).into_response();
        assert_eq!(resp.status(), 500);
    }
}
