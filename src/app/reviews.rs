//! The province's reviews of its agencies' reports, and the reopening of a closed period.
//!
//! Both are decisions of a [`Reviewer`](super::access::Reviewer): the province that reaches the
//! agency in the period of the report.

mod requests;

use chrono::Utc;
use tracing::info;

use super::access;
use super::authentication::Caller;
use super::error::AppError;
use super::names::{find_period, require_reporting_agency};
use super::state::App;
use super::submissions::GivenInstant;
use crate::domain::Catalog;
use crate::domain::limits::{MAX_FIELD_PATH_CHARS, MAX_PARAGRAPH_CHARS, MAX_REASONS};
use crate::domain::naming::echo;
use crate::domain::period::vietnam_time;
use crate::domain::violation::FieldViolation;
use crate::store::{NewReopening, NewReview, Reviewed};
pub use crate::store::{Reopening, Review, ReviewDecision, ReviewReason};
pub use requests::{ReopeningAsked, ReviewAsked};

impl App {
    /// ReopenPeriod: lets one agency submit for a closed period until an instant.
    pub async fn reopen_period(
        &self,
        caller: &Caller,
        asked: ReopeningAsked,
    ) -> Result<Reopening, AppError> {
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let period = find_period(&catalog, &asked.period_code)?;
        let agency_code = asked.agency_code.as_str();
        let now = Utc::now();

        // Who may ask first; then what was asked.
        require_reporting_agency(&catalog, agency_code, period)?;
        let principal = caller.principal();
        let Some(reviewer) = access::review_agency(caller, &catalog, agency_code, period) else {
            return Err(AppError::out_of_reach(format!(
                "{principal} may not reopen period {} for {}: a province reopens it for its own \
                 agencies only",
                period.code,
                echo(agency_code)
            )));
        };
        let Some(closes_at) = period.closes_at else {
            return Err(AppError::invalid_argument(
                "period_code",
                format!(
                    "period {} never closes: there is nothing to reopen",
                    period.code
                ),
            ));
        };
        let mut violations = Vec::new();
        match asked.until {
            GivenInstant::Absent => violations.push(FieldViolation::new("until", "required")),
            GivenInstant::NotAnInstant => {
                violations.push(FieldViolation::new("until", "not a valid instant"))
            }
            GivenInstant::At(until) if until <= now => violations.push(FieldViolation::new(
                "until",
                "must be in the future: a reopening lets the agency submit until then",
            )),
            GivenInstant::At(until) if until <= closes_at => violations.push(FieldViolation::new(
                "until",
                format!(
                    "must be after the period closes ({}): until then it is open anyway",
                    closes_at.with_timezone(&vietnam_time()).to_rfc3339()
                ),
            )),
            GivenInstant::At(_) => {}
        }
        if asked.reason.chars().count() > MAX_PARAGRAPH_CHARS {
            violations.push(FieldViolation::new(
                "reason",
                format!("at most {MAX_PARAGRAPH_CHARS} characters"),
            ));
        }
        let GivenInstant::At(until) = asked.until else {
            return Err(AppError::InvalidArgument(violations));
        };
        if !violations.is_empty() {
            return Err(AppError::InvalidArgument(violations));
        }
        let reopened_by = principal.to_string();
        let reopening = self
            .store
            .reopen_period(NewReopening {
                agency_code: reviewer.agency_code(),
                period_code: reviewer.period_code(),
                until,
                reason: asked.reason.trim(),
                reopened_by: &reopened_by,
            })
            .await?;
        info!(agency = %agency_code, period = %period.code, %until, "period reopened");
        Ok(reopening)
    }

    /// ReviewSubmission: accepts an agency's latest revision, or returns it with reasons.
    pub async fn review_submission(
        &self,
        caller: &Caller,
        asked: ReviewAsked,
    ) -> Result<Review, AppError> {
        // What was asked, every problem at once.
        let mut violations = Vec::new();
        if asked.submission_id <= 0 {
            violations.push(FieldViolation::new("submission_id", "required"));
        }
        if asked.decision.is_none() {
            violations.push(FieldViolation::new(
                "decision",
                "required: ACCEPT or RETURN",
            ));
        }
        if asked.decision == Some(ReviewDecision::Return) && asked.reasons.is_empty() {
            violations.push(FieldViolation::new(
                "reasons",
                "a returned report needs at least one reason, for the agency to correct",
            ));
        }
        // Reasons are stored with the review and served on every read of the submission. Too
        // many are refused as a whole, with what was found so far, without reading each.
        if asked.reasons.len() > MAX_REASONS {
            violations.push(FieldViolation::new(
                "reasons",
                format!("at most {MAX_REASONS} reasons, not {}", asked.reasons.len()),
            ));
            return Err(AppError::InvalidArgument(violations));
        }
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let mut reasons = Vec::with_capacity(asked.reasons.len());
        for (index, reason) in asked.reasons.iter().enumerate() {
            let text = reason.reason.trim();
            if text.is_empty() {
                violations.push(FieldViolation::new(
                    format!("reasons[{index}].reason"),
                    "required",
                ));
            } else if text.chars().count() > MAX_PARAGRAPH_CHARS {
                violations.push(FieldViolation::new(
                    format!("reasons[{index}].reason"),
                    format!("at most {MAX_PARAGRAPH_CHARS} characters"),
                ));
            }
            let field = reason.field.trim();
            if field.chars().count() > MAX_FIELD_PATH_CHARS {
                violations.push(FieldViolation::new(
                    format!("reasons[{index}].field"),
                    format!("at most {MAX_FIELD_PATH_CHARS} characters"),
                ));
            } else if !field.is_empty() && !names_a_report_field(&catalog, field) {
                violations.push(FieldViolation::new(
                    format!("reasons[{index}].field"),
                    format!(
                        "{} is not a field of the report: \"report.\" and an indicator, such as \
                         report.revenue_vnd or report.trained.editors",
                        echo(field)
                    ),
                ));
            }
            reasons.push(ReviewReason {
                field: field.to_string(),
                reason: text.to_string(),
            });
        }
        let Some(decision) = asked.decision.filter(|_| violations.is_empty()) else {
            return Err(AppError::InvalidArgument(violations));
        };

        // Whose submission: a missing one is refused like one out of reach, so that ids cannot
        // be probed; the words say it may be either, since a caller who mistyped an id would
        // otherwise look for a permission it already has.
        let principal = caller.principal();
        let id = asked.submission_id;
        let out_of_reach = || {
            AppError::out_of_reach(format!(
                "submission {id} does not exist or is not within reach of {principal}: a province \
                 reviews its own agencies' reports"
            ))
        };
        let stored = self
            .store
            .get_submission(id)
            .await?
            .ok_or_else(out_of_reach)?;
        let reviewer = catalog.period(&stored.period_code).and_then(|period| {
            access::review_agency(caller, &catalog, &stored.agency_code, period)
        });
        let Some(_reviewer) = reviewer else {
            return Err(out_of_reach());
        };
        let reviewed_by = principal.to_string();
        match self
            .store
            .review_submission(NewReview {
                submission_id: id,
                decision,
                reasons: &reasons,
                reviewed_by: &reviewed_by,
            })
            .await?
        {
            Reviewed::Recorded(review) => {
                info!(
                    submission = id,
                    decision = decision.as_str(),
                    "submission reviewed"
                );
                Ok(review)
            }
            Reviewed::Superseded {
                latest_submission_id,
            } => Err(AppError::FailedPrecondition {
                reason: "REVISION_SUPERSEDED",
                subject: format!("submissions/{latest_submission_id}"),
                message: format!(
                    "submission {id} is not the latest revision of {} {} any more: review \
                     submission {latest_submission_id}",
                    stored.agency_code, stored.period_code
                ),
            }),
            Reviewed::NoSuchSubmission => Err(out_of_reach()),
        }
    }
}

/// Whether `path` names a field of the annual report: "report." and an indicator of the
/// catalogue, then its parts if any ("report.trained.editors", "report.digital_platforms[0]").
fn names_a_report_field(catalog: &Catalog, path: &str) -> bool {
    let Some(rest) = path.strip_prefix("report.") else {
        return false;
    };
    let indicator = rest.split(['.', '[']).next().unwrap_or_default();
    catalog
        .indicators
        .iter()
        .any(|known| known.code == indicator)
}
