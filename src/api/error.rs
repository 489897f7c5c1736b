//! The one place where failures become gRPC statuses (https://google.aip.dev/193): a code, a
//! message a person can act on, and machine-readable details.

use std::collections::HashMap;
use std::time::Duration;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};
use tracing::{error, warn};

use crate::app::AppError;
use crate::domain::FieldViolation;

/// The `domain` of every google.rpc.ErrorInfo pressdx sends.
pub const ERROR_DOMAIN: &str = "pressdx.v1";

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
    Status::from(AppError::ShuttingDown)
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

impl From<AppError> for Status {
    fn from(api_error: AppError) -> Status {
        let message = capped(&api_error.to_string(), MAX_MESSAGE_CHARS);
        let info = |details: &mut ErrorDetails, reason: &str, metadata: HashMap<String, String>| {
            details.set_error_info(reason, ERROR_DOMAIN, metadata);
        };
        let mut details = ErrorDetails::new();
        let code = match api_error {
            AppError::Rejected(rejection) => {
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
            AppError::RequestIdReused {
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
            AppError::NotFound { reason, .. } => {
                info(&mut details, reason, HashMap::new());
                Code::NotFound
            }
            AppError::Unauthenticated { reason, .. } => {
                info(&mut details, reason, HashMap::new());
                Code::Unauthenticated
            }
            AppError::PermissionDenied { reason, .. } => {
                info(&mut details, reason, HashMap::new());
                Code::PermissionDenied
            }
            AppError::RateLimited {
                reason,
                retry_after,
                ..
            } => {
                details.set_retry_info(Some(retry_after));
                info(&mut details, reason, HashMap::new());
                Code::ResourceExhausted
            }
            AppError::FailedPrecondition {
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
            AppError::OutOfRange { reason, .. } => {
                info(&mut details, reason, HashMap::new());
                Code::OutOfRange
            }
            AppError::MessageTooLarge { max_message_bytes } => {
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
            AppError::InvalidArgument(violations) => {
                bad_request(&mut details, &violations);
                info(&mut details, "REQUEST_INVALID", HashMap::new());
                let message = violations_in_words(&violations);
                return Status::with_error_details(
                    Code::InvalidArgument,
                    capped(&message, MAX_MESSAGE_CHARS),
                    details,
                );
            }
            AppError::Contention(_) => {
                details.set_retry_info(Some(RETRY_CONTENTION));
                info(&mut details, "CONTENTION", HashMap::new());
                return Status::with_error_details(
                    Code::Aborted,
                    "too many concurrent submits for this report; retry",
                    details,
                );
            }
            AppError::ShuttingDown => {
                details.set_retry_info(Some(RETRY_UNAVAILABLE));
                info(&mut details, "SHUTTING_DOWN", HashMap::new());
                return Status::with_error_details(
                    Code::Unavailable,
                    "the server is shutting down; retry",
                    details,
                );
            }
            AppError::Inconsistent(why) => {
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
            AppError::DatabaseUnavailable(why) => {
                warn!(error = %why, "the database cannot be reached");
                details.set_retry_info(Some(RETRY_UNAVAILABLE));
                info(&mut details, "DATABASE_UNAVAILABLE", HashMap::new());
                return Status::with_error_details(
                    Code::Unavailable,
                    "the database cannot be reached; retry later",
                    details,
                );
            }
            AppError::Internal(why) => {
                // The cause goes to the log; the caller learns only that it was not their fault.
                error!(error = %why, "request failed");
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
