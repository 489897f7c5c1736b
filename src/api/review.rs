//! ReviewService: what a province does with its agencies' reports once they come in: reviews
//! them (accept, or return with reasons), and reopens a closed period for one agency.

use tonic::{Request, Response, Status};
use tracing::instrument;

use super::access::caller_of;
use super::convert::{given_instant, timestamp};
use crate::app::reviews::{
    Reopening, ReopeningAsked, Review, ReviewAsked, ReviewDecision, ReviewReason,
};
use crate::app::{App, AppError};
use crate::domain::formats::Field;
use crate::proto::review_service_server::ReviewService;
use crate::proto::{self, ReopenPeriodRequest, ReviewSubmissionRequest};

#[derive(Clone)]
pub struct ReviewApi {
    app: App,
}

impl ReviewApi {
    pub fn new(app: &App) -> ReviewApi {
        ReviewApi { app: app.clone() }
    }
}

/// A reopening as asked, once its fields are of their formats.
fn reopening_asked(request: ReopenPeriodRequest) -> Result<ReopeningAsked, AppError> {
    AppError::check_fields(&[
        ("agency_code", Field::Code(&request.agency_code)),
        ("period_code", Field::Code(&request.period_code)),
        ("reason", Field::Text(&request.reason)),
    ])?;
    Ok(ReopeningAsked {
        until: given_instant(request.until.as_ref()),
        agency_code: request.agency_code,
        period_code: request.period_code,
        reason: request.reason,
    })
}

/// A review as asked: the application checks it, every problem at once.
fn review_asked(request: ReviewSubmissionRequest) -> ReviewAsked {
    ReviewAsked {
        submission_id: request.submission_id,
        decision: match proto::ReviewDecision::try_from(request.decision) {
            Ok(proto::ReviewDecision::Accept) => Some(ReviewDecision::Accept),
            Ok(proto::ReviewDecision::Return) => Some(ReviewDecision::Return),
            _ => None,
        },
        reasons: request
            .reasons
            .into_iter()
            .map(|reason| ReviewReason {
                field: reason.field,
                reason: reason.reason,
            })
            .collect(),
    }
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
        let asked = reopening_asked(request.into_inner())?;
        let reopening = self.app.reopen_period(&caller, asked).await?;
        Ok(Response::new(reopening_to_proto(&reopening)))
    }

    #[instrument(skip_all, fields(submission_id = request.get_ref().submission_id))]
    async fn review_submission(
        &self,
        request: Request<ReviewSubmissionRequest>,
    ) -> Result<Response<proto::Review>, Status> {
        let caller = caller_of(&request)?;
        let review = self
            .app
            .review_submission(&caller, review_asked(request.into_inner()))
            .await?;
        Ok(Response::new(review_to_proto(&review)))
    }
}
