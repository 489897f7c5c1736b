//! The one place where failures become gRPC statuses (https://google.aip.dev/193): a code, a
//! message a person can act on, and machine-readable details.

use std::collections::HashMap;
use std::time::Duration;

use sea_orm::{DbErr, RuntimeErr};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};
use tracing::{error, warn};

use crate::domain::FieldViolation;
use crate::domain::formats::{Field, check_fields};
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
        ApiError::InvalidArgument(vec![FieldViolation::new(field, description)])
    }

    pub fn not_found(reason: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::NotFound {
            reason,
            message: message.into(),
        }
    }

    /// Refuses a request whose `fields` (name, field) are missing or not of their format
    /// (crate::domain::formats::check_fields), naming every one, before anything else is looked
    /// at.
    pub fn check_fields(fields: &[(&str, Field<'_>)]) -> Result<(), ApiError> {
        let violations = check_fields(fields);
        if violations.is_empty() {
            Ok(())
        } else {
            Err(ApiError::InvalidArgument(violations))
        }
    }

    /// Two checks of one group, answered together: when both refuse the request as
    /// INVALID_ARGUMENT, one refusal names the violations of both (`first`'s first), so that a
    /// client learns every one at once; otherwise the first refusal, or `second`'s value.
    pub fn all_at_once<T>(
        first: Result<(), ApiError>,
        second: Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        match (first, second) {
            (Ok(()), second) => second,
            (
                Err(ApiError::InvalidArgument(mut violations)),
                Err(ApiError::InvalidArgument(more)),
            ) => {
                violations.extend(more);
                Err(ApiError::InvalidArgument(violations))
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

/// The longest status message sent, in characters: with the error details, a status travels in
/// the response's trailers, which clients cap (16 KiB is common).
const MAX_MESSAGE_CHARS: usize = 1024;
/// The longest description of one field violation sent, in characters.
const MAX_VIOLATION_CHARS: usize = 300;
/// The violations a BadRequest lists; past it one more entry says how many were left out.
const MAX_VIOLATIONS_SENT: usize = 40;
/// How many violations the message itself spells out; the BadRequest has them all.
const VIOLATIONS_IN_MESSAGE: usize = 5;

/// How long a client should wait before retrying when the database is unreachable.
const RETRY_UNAVAILABLE: Duration = Duration::from_secs(1);
/// How long a client should wait before retrying a submit that lost to concurrent ones.
const RETRY_CONTENTION: Duration = Duration::from_millis(100);

/// How a stream the server ends because it is stopping ends: UNAVAILABLE, to retry elsewhere or
/// later.
pub fn shutting_down() -> Status {
    Status::from(ApiError::Store(StoreError::Unavailable(
        "the server is stopping".into(),
    )))
}

/// `text` cut to `max` characters, saying so.
fn capped(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max).collect();
    format!("{kept}… (cut)")
}

/// A google.rpc.BadRequest for `violations`, within the size a client can read.
fn bad_request(details: &mut ErrorDetails, violations: &[FieldViolation]) {
    for violation in violations.iter().take(MAX_VIOLATIONS_SENT) {
        details.add_bad_request_violation(
            capped(&violation.field, MAX_VIOLATION_CHARS),
            capped(&violation.description, MAX_VIOLATION_CHARS),
        );
    }
    if violations.len() > MAX_VIOLATIONS_SENT {
        details.add_bad_request_violation(
            "",
            format!(
                "and {} more violations, left out to keep the answer readable: correct these \
                 and send it again",
                violations.len() - MAX_VIOLATIONS_SENT
            ),
        );
    }
}

/// The first few violations in words, for the status message.
fn violations_in_words(violations: &[FieldViolation]) -> String {
    let mut words: Vec<String> = violations
        .iter()
        .take(VIOLATIONS_IN_MESSAGE)
        .map(|violation| capped(&violation.to_string(), 200))
        .collect();
    if violations.len() > VIOLATIONS_IN_MESSAGE {
        words.push(format!(
            "and {} more (see the google.rpc.BadRequest)",
            violations.len() - VIOLATIONS_IN_MESSAGE
        ));
    }
    words.join("; ")
}

/// Whether a database error means the database cannot be reached now (down, restarting, the
/// connection dropped or the pool exhausted), rather than a statement that failed.
/// Whether a store error says the database cannot be reached (now, or at its last heartbeat).
fn store_unreachable(error: &StoreError) -> bool {
    match error {
        StoreError::Unreachable(_) => true,
        StoreError::Database(database_error) => database_unreachable(database_error),
        _ => false,
    }
}

fn database_unreachable(error: &DbErr) -> bool {
    use sea_orm::sqlx;
    let sqlx_error = match error {
        // Opening a connection failed, or none was free in time.
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Exec(RuntimeErr::SqlxError(error)) | DbErr::Query(RuntimeErr::SqlxError(error)) => {
            error
        }
        _ => return false,
    };
    match sqlx_error.as_ref() {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Tls(_) => true,
        // PostgreSQL's connection exceptions (08...), and "the server is shutting down or starting
        // up" (57P01-57P03).
        sqlx::Error::Database(database) => database
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}

impl From<ApiError> for Status {
    fn from(api_error: ApiError) -> Status {
        let message = capped(&api_error.to_string(), MAX_MESSAGE_CHARS);
        let info = |details: &mut ErrorDetails, reason: &str, metadata: HashMap<String, String>| {
            details.set_error_info(reason, ERROR_DOMAIN, metadata);
        };
        let mut details = ErrorDetails::new();
        let code = match api_error {
            ApiError::Rejected(rejection) => {
                bad_request(&mut details, &rejection.violations);
                info(
                    &mut details,
                    rejection.reason.as_str(),
                    HashMap::from([(
                        "violations".to_string(),
                        rejection.violations.len().to_string(),
                    )]),
                );
                let message = format!(
                    "the report was refused, nothing was stored: {}",
                    violations_in_words(&rejection.violations)
                );
                return Status::with_error_details(
                    Code::InvalidArgument,
                    capped(&message, MAX_MESSAGE_CHARS),
                    details,
                );
            }
            ApiError::RequestIdReused {
                request_id,
                submission_id,
            } => {
                let metadata = [("request_id".to_string(), capped(&request_id, 128))]
                    .into_iter()
                    .chain(submission_id.map(|id| ("submission_id".to_string(), id.to_string())))
                    .collect();
                info(&mut details, "REQUEST_ID_REUSED", metadata);
                Code::AlreadyExists
            }
            ApiError::NotFound { reason, .. } => {
                info(&mut details, reason, HashMap::new());
                Code::NotFound
            }
            ApiError::Unauthenticated { reason, .. } => {
                info(&mut details, reason, HashMap::new());
                Code::Unauthenticated
            }
            ApiError::PermissionDenied { reason, .. } => {
                info(&mut details, reason, HashMap::new());
                Code::PermissionDenied
            }
            ApiError::RateLimited {
                reason,
                retry_after,
                ..
            } => {
                details.set_retry_info(Some(retry_after));
                info(&mut details, reason, HashMap::new());
                Code::ResourceExhausted
            }
            ApiError::FailedPrecondition {
                reason,
                subject,
                message,
            } => {
                details.add_precondition_failure_violation(
                    reason,
                    subject,
                    capped(&message, MAX_MESSAGE_CHARS),
                );
                info(&mut details, reason, HashMap::new());
                Code::FailedPrecondition
            }
            ApiError::OutOfRange { reason, .. } => {
                info(&mut details, reason, HashMap::new());
                Code::OutOfRange
            }
            ApiError::MessageTooLarge { max_message_bytes } => {
                info(
                    &mut details,
                    "MESSAGE_TOO_LARGE",
                    HashMap::from([(
                        "max_message_bytes".to_string(),
                        max_message_bytes.to_string(),
                    )]),
                );
                Code::ResourceExhausted
            }
            ApiError::InvalidArgument(violations) => {
                bad_request(&mut details, &violations);
                info(&mut details, "REQUEST_INVALID", HashMap::new());
                let message = violations_in_words(&violations);
                return Status::with_error_details(
                    Code::InvalidArgument,
                    capped(&message, MAX_MESSAGE_CHARS),
                    details,
                );
            }
            ApiError::Store(StoreError::Contention(_)) => {
                details.set_retry_info(Some(RETRY_CONTENTION));
                info(&mut details, "CONTENTION", HashMap::new());
                return Status::with_error_details(
                    Code::Aborted,
                    "too many concurrent submits for this report; retry",
                    details,
                );
            }
            ApiError::Store(StoreError::Unavailable(_)) => {
                details.set_retry_info(Some(RETRY_UNAVAILABLE));
                info(&mut details, "SHUTTING_DOWN", HashMap::new());
                return Status::with_error_details(
                    Code::Unavailable,
                    "the server is shutting down; retry",
                    details,
                );
            }
            ApiError::Store(StoreError::Inconsistent(why)) => {
                error!(problem = %why, "the database is inconsistent");
                info(&mut details, "DATABASE_INCONSISTENT", HashMap::new());
                return Status::with_error_details(
                    Code::Internal,
                    "the database is inconsistent: it was changed outside pressdx, and retrying \
                     will not help; an operator must repair it (pressdx audit verify names what \
                     changed)",
                    details,
                );
            }
            ApiError::Store(store_error) if store_unreachable(&store_error) => {
                warn!(error = %store_error, "the database cannot be reached");
                details.set_retry_info(Some(RETRY_UNAVAILABLE));
                info(&mut details, "DATABASE_UNAVAILABLE", HashMap::new());
                return Status::with_error_details(
                    Code::Unavailable,
                    "the database cannot be reached; retry later",
                    details,
                );
            }
            ApiError::Store(store_error) => {
                // The cause goes to the log; the caller learns only that it was not their fault.
                error!(error = ?store_error, "request failed in the store");
                info(&mut details, "INTERNAL", HashMap::new());
                return Status::with_error_details(
                    Code::Internal,
                    "internal error; it has been logged",
                    details,
                );
            }
        };
        Status::with_error_details(code, message, details)
    }
}
