//! The one place where failures become gRPC statuses (https://google.aip.dev/193): a code, a
//! message a person can act on, and machine-readable details.

use std::collections::HashMap;
use std::time::Duration;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};
use tracing::error;

use crate::domain::submission::Rejection;
use crate::store::{StoreError, StoredSubmission};

/// The `domain` of every google.rpc.ErrorInfo pressdx sends.
pub const ERROR_DOMAIN: &str = "pressdx.v1";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A submission broke one or more rules; nothing was stored.
    #[error("the report was refused")]
    Rejected(Rejection),
    #[error(
        "request_id {request_id:?} was already used for a different report{}; use a new \
         request_id for a new report",
        submission_id.map(|id| format!(" (submission {id})")).unwrap_or_default()
    )]
    RequestIdReused {
        request_id: String,
        /// The submission that holds it, if it is the caller's own agency's to know.
        submission_id: Option<i64>,
    },
    #[error("{0}")]
    NotFound(String),
    /// A request field other than a report's is wrong (a filter, a page token, a date).
    #[error("{field}: {description}")]
    InvalidArgument { field: String, description: String },
    /// No credential, or one that is unknown, malformed, expired or revoked.
    #[error("{message}")]
    Unauthenticated {
        reason: &'static str,
        message: String,
    },
    /// A valid credential that does not reach what was asked.
    #[error("{message}")]
    PermissionDenied {
        reason: &'static str,
        message: String,
    },
    /// The credential is over its request rate.
    #[error("{message}; retry in {retry_after:?}")]
    RateLimited {
        retry_after: Duration,
        message: String,
    },
    #[error("the request message is larger than this server accepts ({max_message_bytes} bytes)")]
    MessageTooLarge { max_message_bytes: usize },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ApiError {
    /// A request id already taken by `existing`. Its submission is named only to the agency
    /// whose report it is: request ids are unique across agencies, but not each other's business.
    pub fn request_id_reused(existing: &StoredSubmission, asking_agency: &str) -> ApiError {
        ApiError::RequestIdReused {
            request_id: existing.request_id.clone(),
            submission_id: (existing.agency_code == asking_agency).then_some(existing.id),
        }
    }

    /// A refusal for a principal that reaches other agencies or scopes than the one asked about.
    pub fn out_of_reach(message: impl Into<String>) -> ApiError {
        ApiError::PermissionDenied {
            reason: "OUT_OF_SCOPE",
            message: message.into(),
        }
    }

    pub fn invalid_argument(field: &str, description: impl Into<String>) -> ApiError {
        ApiError::InvalidArgument {
            field: field.to_string(),
            description: description.into(),
        }
    }
}

impl From<ApiError> for Status {
    fn from(api_error: ApiError) -> Status {
        let message = api_error.to_string();
        match api_error {
            ApiError::Rejected(rejection) => {
                let mut details = ErrorDetails::new();
                for violation in &rejection.violations {
                    details.add_bad_request_violation(&violation.field, &violation.description);
                }
                details.set_error_info(
                    rejection.reason.as_str(),
                    ERROR_DOMAIN,
                    HashMap::from([(
                        "violations".to_string(),
                        rejection.violations.len().to_string(),
                    )]),
                );
                let summary: Vec<String> = rejection
                    .violations
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                Status::with_error_details(
                    Code::InvalidArgument,
                    format!(
                        "the report was refused, nothing was stored: {}",
                        summary.join("; ")
                    ),
                    details,
                )
            }
            ApiError::RequestIdReused {
                request_id,
                submission_id,
            } => Status::with_error_details(
                Code::AlreadyExists,
                message,
                ErrorDetails::with_error_info(
                    "REQUEST_ID_REUSED",
                    ERROR_DOMAIN,
                    [("request_id".to_string(), request_id)]
                        .into_iter()
                        .chain(
                            submission_id.map(|id| ("submission_id".to_string(), id.to_string())),
                        )
                        .collect::<HashMap<_, _>>(),
                ),
            ),
            ApiError::NotFound(_) => Status::not_found(message),
            ApiError::Unauthenticated { reason, .. } => Status::with_error_details(
                Code::Unauthenticated,
                message,
                ErrorDetails::with_error_info(reason, ERROR_DOMAIN, HashMap::new()),
            ),
            ApiError::PermissionDenied { reason, .. } => Status::with_error_details(
                Code::PermissionDenied,
                message,
                ErrorDetails::with_error_info(reason, ERROR_DOMAIN, HashMap::new()),
            ),
            ApiError::RateLimited { retry_after, .. } => {
                let mut details = ErrorDetails::with_retry_info(Some(retry_after));
                details.set_error_info("RATE_LIMITED", ERROR_DOMAIN, HashMap::new());
                Status::with_error_details(Code::ResourceExhausted, message, details)
            }
            ApiError::MessageTooLarge { max_message_bytes } => Status::with_error_details(
                Code::ResourceExhausted,
                message,
                ErrorDetails::with_error_info(
                    "MESSAGE_TOO_LARGE",
                    ERROR_DOMAIN,
                    HashMap::from([(
                        "max_message_bytes".to_string(),
                        max_message_bytes.to_string(),
                    )]),
                ),
            ),
            ApiError::InvalidArgument { field, description } => Status::with_error_details(
                Code::InvalidArgument,
                message,
                ErrorDetails::with_bad_request_violation(field, description),
            ),
            ApiError::Store(StoreError::Contention(_)) => {
                Status::aborted("too many concurrent submits for this report; retry")
            }
            ApiError::Store(StoreError::Unavailable(_)) => {
                Status::unavailable("the server is shutting down; retry")
            }
            ApiError::Store(StoreError::Inconsistent(why)) => {
                error!(problem = %why, "the database is inconsistent");
                Status::with_error_details(
                    Code::Internal,
                    "the database is inconsistent: it was changed outside pressdx, and retrying \
                     will not help; an operator must repair it (pressdx audit verify names what \
                     changed)",
                    ErrorDetails::with_error_info(
                        "DATABASE_INCONSISTENT",
                        ERROR_DOMAIN,
                        HashMap::new(),
                    ),
                )
            }
            ApiError::Store(store_error) => {
                // The cause goes to the log; the caller learns only that it was not their fault.
                error!(error = ?store_error, "request failed in the store");
                match store_error {
                    StoreError::Database(sea_orm::DbErr::ConnectionAcquire(_)) => {
                        Status::unavailable("the database is unavailable; retry later")
                    }
                    _ => Status::internal("internal error; it has been logged"),
                }
            }
        }
    }
}
