//! ReviewService: what a province does with its agencies' reports once they come in. For now,
//! reopening a closed period for one agency.

use std::sync::Arc;

use chrono::Utc;
use tonic::{Request, Response, Status};
use tracing::{info, instrument};

use super::access::Caller;
use super::convert::{instant, timestamp};
use super::error::ApiError;
use super::names::find_period;
use crate::domain::naming::echo;
use crate::domain::organization::OrganizationKind;
use crate::domain::period::vietnam_time;
use crate::domain::violation::FieldViolation;
use crate::proto::review_service_server::ReviewService;
use crate::proto::{self, ReopenPeriodRequest};
use crate::store::{NewReopening, ReadModel, Reopening, Store};

/// The longest reason kept: a paragraph, not a document.
const MAX_REASON_CHARS: usize = 2000;

#[derive(Clone)]
pub struct ReviewApi {
    read_model: Arc<ReadModel>,
    store: Store,
}

impl ReviewApi {
    pub fn new(read_model: Arc<ReadModel>, store: Store) -> ReviewApi {
        ReviewApi { read_model, store }
    }

    async fn reopen(
        &self,
        request: ReopenPeriodRequest,
        caller: &Caller,
    ) -> Result<Reopening, ApiError> {
        ApiError::require(&[
            ("agency_code", &request.agency_code),
            ("period_code", &request.period_code),
            ("reason", &request.reason),
        ])?;
        let catalog = self.read_model.catalog(Some(caller.counters)).await?;
        let period = find_period(&catalog, request.period_code.trim())?;
        let agency_code = request.agency_code.trim();
        let now = Utc::now();

        // Who may ask first; then what was asked.
        let reports_in_period = catalog.organization(agency_code).is_some_and(|agency| {
            agency.kind == OrganizationKind::PressAgency
                && agency.exists_on(period.reference_date())
        });
        if !reports_in_period {
            return Err(ApiError::invalid_argument(
                "agency_code",
                format!(
                    "{} is not a press agency that reports for period {}",
                    echo(agency_code),
                    period.code
                ),
            ));
        }
        let principal = &caller.principal;
        if !principal.reach(&catalog, period).contains(agency_code) {
            return Err(ApiError::out_of_reach(format!(
                "{principal} may not reopen period {} for {}: a province reopens it for its own \
                 agencies only",
                period.code,
                echo(agency_code)
            )));
        }
        let Some(closes_at) = period.closes_at else {
            return Err(ApiError::invalid_argument(
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
        if request.reason.chars().count() > MAX_REASON_CHARS {
            violations.push(FieldViolation::new(
                "reason",
                format!("at most {MAX_REASON_CHARS} characters"),
            ));
        }
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations));
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
        let caller = Caller::of(&request)?;
        let reopening = self.reopen(request.into_inner(), &caller).await?;
        Ok(Response::new(reopening_to_proto(&reopening)))
    }
}
