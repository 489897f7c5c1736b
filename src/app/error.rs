//! What can go wrong in a request, in the application's words: every face (gRPC today, HTTP/JSON
//! next) maps these to its own codes in one place (`api::error` for gRPC).

use std::time::Duration;

use crate::domain::FieldViolation;
use crate::domain::formats::{Field, check_fields};
use crate::domain::submission::Rejection;
use crate::store::{StoreError, StoredSubmission};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
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
    /// What a request names does not exist; `reason` names the kind (`PLAN_NOT_FOUND`...).
    #[error("{message}")]
    NotFound {
        reason: &'static str,
        message: String,
    },
    /// Request fields other than a report's are wrong or missing (a filter, a page token, a
    /// date): every one of them.
    #[error("{}", describe_violations(.0))]
    InvalidArgument(Vec<FieldViolation>),
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
    /// A well-formed request the system cannot take in its present state (a closed period): one
    /// google.rpc.PreconditionFailure violation, of type `reason`, about `subject`.
    #[error("{message}")]
    FailedPrecondition {
        reason: &'static str,
        subject: String,
        message: String,
    },
    /// A position past what the server can reach (a `min_data_as_of` beyond the change feed's
    /// head): it may become valid later.
    #[error("{message}")]
    OutOfRange {
        reason: &'static str,
        message: String,
    },
    /// The credential is over its request rate.
    #[error("{message}; retry in {retry_after:?}")]
    RateLimited {
        /// RATE_LIMITED (a credential's requests) or TOO_MANY_FAILED_AUTHENTICATIONS (an
        /// address's failures).
        reason: &'static str,
        retry_after: Duration,
        message: String,
    },
    #[error("the request message is larger than this server accepts ({max_message_bytes} bytes)")]
    MessageTooLarge { max_message_bytes: usize },
    /// Too many concurrent writers competed for the same row; the caller may retry at once.
    #[error("too much contention: {0}")]
    Contention(String),
    /// The server is stopping: retry elsewhere or later.
    #[error("the server is stopping")]
    ShuttingDown,
    /// The database cannot be reached now (down, restarting, the connection dropped, the pool
    /// exhausted): retry later.
    #[error("the database cannot be reached: {0}")]
    DatabaseUnavailable(String),
    /// The database disagrees with itself (a row edited behind pressdx's back): retrying will
    /// not help; an operator must repair it (`pressdx audit verify` names what changed).
    #[error("the database is inconsistent: {0}")]
    Inconsistent(String),
    /// Anything else: a bug or a database failure that is not the caller's doing. The text is for
    /// the server's log, not for the caller.
    #[error("internal error: {0}")]
    Internal(String),
}

/// A store failure in the application's words: what the caller may do about it.
impl From<StoreError> for AppError {
    fn from(error: StoreError) -> AppError {
        match error {
            StoreError::Contention(why) => AppError::Contention(why),
            StoreError::Unavailable(_) => AppError::ShuttingDown,
            StoreError::Inconsistent(why) => AppError::Inconsistent(why),
            error if error.is_unreachable() => AppError::DatabaseUnavailable(error.to_string()),
            error => AppError::Internal(format!("{error:?}")),
        }
    }
}

impl AppError {
    /// A request id already taken by `existing`. Its submission is named only to the agency
    /// whose report it is: request ids are unique across agencies, but not each other's business.
    pub fn request_id_reused(existing: &StoredSubmission, asking_agency: &str) -> AppError {
        AppError::RequestIdReused {
            request_id: existing.request_id.clone(),
            submission_id: (existing.agency_code == asking_agency).then_some(existing.id),
        }
    }

    /// A refusal for a principal that reaches other agencies or scopes than the one asked about.
    pub fn out_of_reach(message: impl Into<String>) -> AppError {
        AppError::PermissionDenied {
            reason: "OUT_OF_SCOPE",
            message: message.into(),
        }
    }

    pub fn invalid_argument(field: &str, description: impl Into<String>) -> AppError {
        AppError::InvalidArgument(vec![FieldViolation::new(field, description)])
    }

    pub fn not_found(reason: &'static str, message: impl Into<String>) -> AppError {
        AppError::NotFound {
            reason,
            message: message.into(),
        }
    }

    /// Refuses a request whose `fields` (name, field) are missing or not of their format
    /// (crate::domain::formats::check_fields), naming every one, before anything else is looked
    /// at.
    pub fn check_fields(fields: &[(&str, Field<'_>)]) -> Result<(), AppError> {
        let violations = check_fields(fields);
        if violations.is_empty() {
            Ok(())
        } else {
            Err(AppError::InvalidArgument(violations))
        }
    }

    /// Two checks of one group, answered together: when both refuse the request as
    /// INVALID_ARGUMENT, one refusal names the violations of both (`first`'s first), so that a
    /// client learns every one at once; otherwise the first refusal, or `second`'s value.
    pub fn all_at_once<T>(
        first: Result<(), AppError>,
        second: Result<T, AppError>,
    ) -> Result<T, AppError> {
        match (first, second) {
            (Ok(()), second) => second,
            (
                Err(AppError::InvalidArgument(mut violations)),
                Err(AppError::InvalidArgument(more)),
            ) => {
                violations.extend(more);
                Err(AppError::InvalidArgument(violations))
            }
            (Err(error), _) => Err(error),
        }
    }
}

fn describe_violations(violations: &[FieldViolation]) -> String {
    violations
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
