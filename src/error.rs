//! The service layer's error: what went wrong in terms a client can act on. The HTTP
//! layer maps it to a status once (`http/error.rs`); the CLI prints it.

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{message}")]
    Invalid {
        field: Option<&'static str>,
        message: String,
    },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("too many attempts; wait a minute and try again")]
    RateLimited,
    #[error("{0}")]
    TooLarge(String),
    /// Well-formed, but what it says cannot be used (an inbound hook's mapping refused
    /// the payload).
    #[error("{0}")]
    Unprocessable(String),
    /// The server cannot store anything now (its disk is nearly full).
    #[error("{0}")]
    InsufficientStorage(String),
    #[error(transparent)]
    Store(StoreError),
    #[error("{0}")]
    Internal(String),
}

impl ServiceError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        ServiceError::Invalid {
            field: Some(field),
            message: message.into(),
        }
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        ServiceError::Forbidden(message.into())
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        ServiceError::NotFound(message.into())
    }
}

/// `value` trimmed, if it then has 1 to `max` characters; else `invalid(field, message)`.
/// Names, titles, comments and list items are all checked this way.
pub fn trimmed(
    value: &str,
    max: usize,
    field: &'static str,
    message: &'static str,
) -> ServiceResult<String> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max {
        return Err(ServiceError::invalid(field, message));
    }
    Ok(v.to_string())
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { kind, id } => {
                ServiceError::NotFound(format!("{kind} {id} not found"))
            }
            e @ StoreError::Conflict { .. } => ServiceError::Conflict(e.to_string()),
            e @ StoreError::Duplicate { .. } => ServiceError::Conflict(e.to_string()),
            e @ StoreError::Raced { .. } => ServiceError::Conflict(e.to_string()),
            e @ StoreError::DiskLow { .. } => ServiceError::InsufficientStorage(e.to_string()),
            other => ServiceError::Store(other),
        }
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;
