//! ReviewService: what a province does with its agencies' reports once they come in: reviews
//! them (accept, or return with reasons), and reopens a closed period for one agency.

use std::sync::Arc;

use chrono::Utc;
use tonic::{Request, Response, Status};
use tracing::{info, instrument};

use super::access::caller_of;
use super::convert::{instant, timestamp};
use crate::app::Caller;
use crate::app::names::{find_period, require_reporting_agency};
use crate::app::{App, AppError, ReadModel};
use crate::domain::Catalog;
use crate::domain::formats::Field;
use crate::domain::limits::{MAX_FIELD_PATH_CHARS, MAX_PARAGRAPH_CHARS, MAX_REASONS};
use crate::domain::naming::echo;
use crate::domain::period::vietnam_time;
use crate::domain::violation::FieldViolation;
use crate::proto::review_service_server::ReviewService;
use crate::proto::{self, ReopenPeriodRequest, ReviewSubmissionRequest};
use crate::store::{
    NewReopening, NewReview, Reopening, Review, ReviewDecision, ReviewReason, Reviewed, Store,
};

#[derive(Clone)]
pub struct ReviewApi {
    read_model: Arc<ReadModel>,
    store: Store,
}

impl ReviewApi {
    pub fn new(app: &App) -> ReviewApi {
        ReviewApi {
            read_model: app.read_model().clone(),
            store: app.store().clone(),
        }
    }

    async fn reopen(
        &self,
        request: ReopenPeriodRequest,
        caller: &Caller,
    ) -> Result<Reopening, AppError> {
        AppError::check_fields(&[
            ("agency_code", Field::Code(&request.agency_code)),
            ("period_code", Field::Code(&request.period_code)),
            ("reason", Field::Text(&request.reason)),
        ])?;
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let period = find_period(&catalog, &request.period_code)?;
        let agency_code = request.agency_code.as_str();
        let now = Utc::now();

        // Who may ask first; then what was asked.
        require_reporting_agency(&catalog, agency_code, period)?;
        let principal = &caller.principal();
        if !principal.reach(&catalog, period).contains(agency_code) {
            return Err(AppError::out_of_reach(format!(
                "{principal} may not reopen period {} for {}: a province reopens it for its own \
                 agencies only",
                period.code,
                echo(agency_code)
            )));
        }
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
        match request.until.as_ref().map(instant) {
            None => violations.push(FieldViolation::new("until", "required")),
            Some(None) => violations.push(FieldViolation::new("until", "not a valid instant")),
            Some(Some(until)) if until <= now => violations.push(FieldViolation::new(
                "until",
                "must be in the future: a reopening lets the agency submit until then",
            )),
            Some(Some(until)) if until <= closes_at => violations.push(FieldViolation::new(
                "until",
                format!(
                    "must be after the period closes ({}): until then it is open anyway",
                    closes_at.with_timezone(&vietnam_time()).to_rfc3339()
                ),
            )),
            Some(Some(_)) => {}
        }
        if request.reason.chars().count() > MAX_PARAGRAPH_CHARS {
            violations.push(FieldViolation::new(
                "reason",
                format!("at most {MAX_PARAGRAPH_CHARS} characters"),
            ));
        }
        if !violations.is_empty() {
            return Err(AppError::InvalidArgument(violations));
        }
        let until = request.until.as_ref().and_then(instant).unwrap_or(now);
        let reopened_by = principal.to_string();
        let reopening = self
            .store
            .reopen_period(NewReopening {
                agency_code,
                period_code: &period.code,
                until,
                reason: request.reason.trim(),
                reopened_by: &reopened_by,
            })
            .await?;
        info!(agency = %agency_code, period = %period.code, %until, "period reopened");
        Ok(reopening)
    }
}

impl ReviewApi {
    async fn review(
        &self,
        request: ReviewSubmissionRequest,
        caller: &Caller,
    ) -> Result<Review, AppError> {
        // What was asked, every problem at once.
        let mut violations = Vec::new();
        if request.submission_id <= 0 {
            violations.push(FieldViolation::new("submission_id", "required"));
        }
        let decision = match proto::ReviewDecision::try_from(request.decision) {
            Ok(proto::ReviewDecision::Accept) => Some(ReviewDecision::Accept),
            Ok(proto::ReviewDecision::Return) => Some(ReviewDecision::Return),
            _ => {
                violations.push(FieldViolation::new(
                    "decision",
                    "required: ACCEPT or RETURN",
                ));
                None
            }
        };
        if decision == Some(ReviewDecision::Return) && request.reasons.is_empty() {
            violations.push(FieldViolation::new(
                "reasons",
                "a returned report needs at least one reason, for the agency to correct",
            ));
        }
        // Reasons are stored with the review and served on every read of the submission. Too
        // many are refused as a whole, with what was found so far, without reading each.
        if request.reasons.len() > MAX_REASONS {
            violations.push(FieldViolation::new(
                "reasons",
                format!(
                    "at most {MAX_REASONS} reasons, not {}",
                    request.reasons.len()
                ),
            ));
            return Err(AppError::InvalidArgument(violations));
        }
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let mut reasons = Vec::with_capacity(request.reasons.len());
        for (index, reason) in request.reasons.iter().enumerate() {
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
        let Some(decision) = decision.filter(|_| violations.is_empty()) else {
            return Err(AppError::InvalidArgument(violations));
        };

        // Whose submission: a missing one is refused like one out of reach, so that ids cannot
        // be probed; the words say it may be either, since a caller who mistyped an id would
        // otherwise look for a permission it already has.
        let principal = &caller.principal();
        let id = request.submission_id;
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
        let reaches = catalog.period(&stored.period_code).is_some_and(|period| {
            principal
                .reach(&catalog, period)
                .contains(&stored.agency_code)
        });
        if !reaches {
            return Err(out_of_reach());
        }
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

pub fn review_to_proto(review: &Review) -> proto::Review {
    proto::Review {
        submission_id: review.submission_id,
        agency_code: review.agency_code.clone(),
        period_code: review.period_code.clone(),
        revision: review.revision,
        decision: match review.decision {
            ReviewDecision::Accept => proto::ReviewDecision::Accept,
            ReviewDecision::Return => proto::ReviewDecision::Return,
        }
        .into(),
        reasons: review
            .reasons
            .iter()
            .map(|reason| proto::ReviewReason {
                field: reason.field.clone(),
                reason: reason.reason.clone(),
            })
            .collect(),
        reviewed_by: review.reviewed_by.clone(),
        reviewed_at: Some(timestamp(review.reviewed_at)),
    }
}

pub fn reopening_to_proto(reopening: &Reopening) -> proto::Reopening {
    proto::Reopening {
        agency_code: reopening.agency_code.clone(),
        period_code: reopening.period_code.clone(),
        until: Some(timestamp(reopening.until)),
        reason: reopening.reason.clone(),
        reopened_by: reopening.reopened_by.clone(),
        reopened_at: Some(timestamp(reopening.reopened_at)),
    }
}

#[tonic::async_trait]
impl ReviewService for ReviewApi {
    #[instrument(skip_all, fields(agency = %request.get_ref().agency_code, period = %request.get_ref().period_code))]
    async fn reopen_period(
        &self,
        request: Request<ReopenPeriodRequest>,
    ) -> Result<Response<proto::Reopening>, Status> {
        let caller = caller_of(&request)?;
        let reopening = self.reopen(request.into_inner(), &caller).await?;
        Ok(Response::new(reopening_to_proto(&reopening)))
    }

    #[instrument(skip_all, fields(submission_id = request.get_ref().submission_id))]
    async fn review_submission(
        &self,
        request: Request<ReviewSubmissionRequest>,
    ) -> Result<Response<proto::Review>, Status> {
        let caller = caller_of(&request)?;
        let review = self.review(request.into_inner(), &caller).await?;
        Ok(Response::new(review_to_proto(&review)))
    }
}
