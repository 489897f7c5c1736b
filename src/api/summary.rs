//! SummaryService: per target, period and scope, the figures the provinces and the Ministry pull.
//! The figures are the application's (`app::figures`); this face reads the requests, pages the
//! answers and streams the watches.

use std::pin::Pin;

use tokio::sync::mpsc;
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};
use tracing::{debug, instrument};

use super::access::caller_of;
use super::convert::{
    boundaries_from_proto, scope_resolution_to_proto, timeliness_of_flag, timestamp,
};
use super::draining::Draining;
use super::error::shutting_down;
use super::review::reopening_to_proto;
use crate::app::figures::{Figures, FiguresAsked, ReviewState, ReviewedStatus};
use crate::app::pagination;
use crate::app::{App, AppError, Caller};
use crate::domain::evaluation::AgencyStanding;
use crate::domain::formats::Field;
use crate::domain::period::Period;
use crate::domain::plan::TargetRule;
use crate::domain::projection::{MilestoneProjection, ProjectionOutcome};
use crate::domain::ratio::Ratio;
use crate::domain::status::TargetStatus;
use crate::domain::summary::{ReportingStatus, TargetSummary};
use crate::proto::summary_service_server::SummaryService;
use crate::proto::{self, Change, ListChangesRequest, ListChangesResponse};

#[derive(Clone)]
pub struct SummaryApi {
    app: App,
    /// Ends watches when the server stops.
    draining: Draining,
}

/// The page-token filter of `accepted_only`: named only when set, so that tokens given out before
/// the option existed still work.
fn accepted_only_filter(accepted_only: bool) -> &'static str {
    if accepted_only { ";accepted_only" } else { "" }
}

impl SummaryApi {
    pub fn new(app: &App, draining: Draining) -> Self {
        SummaryApi {
            app: app.clone(),
            draining,
        }
    }

    async fn list_target_agencies(
        &self,
        request: proto::ListTargetAgenciesRequest,
        caller: &Caller,
    ) -> Result<proto::ListTargetAgenciesResponse, AppError> {
        AppError::check_fields(&[
            ("plan_code", Field::Code(&request.plan_code)),
            ("target_code", Field::Code(&request.target_code)),
            ("period_code", Field::Code(&request.period_code)),
        ])?;
        let page_size = pagination::page_size(request.page_size)?;
        let boundaries = boundaries_from_proto(request.boundaries, &request.as_of)?;
        // The request's own words: a CURRENT drill-down without as_of reads each page as of the
        // day it is asked.
        let filters = format!(
            "plan={};target={};period={};scope={};boundaries={};as_of={}{}",
            request.plan_code,
            request.target_code,
            request.period_code,
            request.scope,
            request.boundaries,
            request.as_of,
            accepted_only_filter(request.accepted_only)
        );
        let page_tokens = self.app.page_tokens();
        let after = page_tokens.resume_after(&request.page_token, &filters)?;
        let asked = FiguresAsked {
            plan_code: &request.plan_code,
            period_code: &request.period_code,
            scope: &request.scope,
            boundaries,
            accepted_only: request.accepted_only,
        };
        let (summary, data_as_of) = self
            .app
            .target_agencies(caller, asked, &request.target_code, request.min_data_as_of)
            .await?;
        let scope_resolution = scope_resolution_to_proto(boundaries, summary.absence.as_ref());
        // Agencies come sorted by code: the page token is the last code of a page.
        let mut remaining = summary.evaluation.agencies.into_iter().filter(|agency| {
            after
                .as_ref()
                .is_none_or(|after| agency.code.as_str() > after.as_str())
        });
        let page: Vec<_> = remaining.by_ref().take(page_size as usize).collect();
        let next_page_token = match page.last() {
            Some(last) if remaining.next().is_some() => page_tokens.next(&last.code, &filters),
            _ => String::new(),
        };
        Ok(proto::ListTargetAgenciesResponse {
            agencies: page
                .into_iter()
                .map(|agency| {
                    let (people_numerator, people_denominator) = agency.people.unwrap_or((0, 0));
                    proto::TargetAgency {
                        standing: standing_to_proto(&agency.standing).into(),
                        agency_code: agency.code,
                        agency_name: agency.name,
                        value: agency.value,
                        people_numerator: to_i64(people_numerator),
                        people_denominator: to_i64(people_denominator),
                    }
                })
                .collect(),
            next_page_token,
            data_as_of,
            scope_resolution: Some(scope_resolution),
        })
    }

    async fn list_changes(
        &self,
        request: ListChangesRequest,
    ) -> Result<ListChangesResponse, AppError> {
        let page_size = pagination::page_size(request.page_size)?;
        let (changes, head_position) = self.app.changes(request.after_position, page_size).await?;
        let last_position = changes
            .last()
            .map_or(request.after_position, |change| change.position);
        Ok(ListChangesResponse {
            changes: changes
                .into_iter()
                .map(|change| Change {
                    position: change.position,
                    submission_id: change.submission_id,
                    agency_code: change.agency_code,
                    period_code: change.period_code,
                    revision: change.revision,
                    request_id: change.request_id,
                    content_hash: change.content_hash,
                    received_at: Some(timestamp(change.received_at)),
                    timeliness: timeliness_of_flag(change.late).into(),
                })
                .collect(),
            last_position,
            head_position: head_position.max(last_position),
        })
    }
}

/// The reporting status of a scope with each agency's reopening and review state, and the
/// counts of review states, as ReportingStatus carries them.
pub(super) fn reviewed_status_to_proto(
    reviewed: &ReviewedStatus,
    period: &Period,
) -> proto::ReportingStatus {
    let mut status = reporting_status_to_proto(&reviewed.status);
    status.closes_at = period.closes_at.map(timestamp);
    for agency in &mut status.agencies {
        agency.reopening = reviewed
            .reopenings
            .get(&agency.agency_code)
            .map(reopening_to_proto);
        let Some(review_state) = reviewed.review_states.get(&agency.agency_code) else {
            continue;
        };
        let (state, count) = match review_state {
            ReviewState::AwaitingReview => (
                proto::ReviewState::AwaitingReview,
                &mut status.awaiting_review,
            ),
            ReviewState::Accepted => (proto::ReviewState::Accepted, &mut status.accepted),
            ReviewState::Returned => (proto::ReviewState::Returned, &mut status.returned),
        };
        agency.review_state = state.into();
        *count += 1;
    }
    status
}

fn to_i64(value: i128) -> i64 {
    i64::try_from(value).unwrap_or(if value < 0 { i64::MIN } else { i64::MAX })
}

fn share(ratio: Option<Ratio>) -> f64 {
    ratio.map_or(0.0, Ratio::to_f64)
}

pub(super) fn standing_to_proto(standing: &AgencyStanding) -> proto::AgencyStanding {
    match standing {
        AgencyStanding::Meets => proto::AgencyStanding::Meets,
        AgencyStanding::DoesNotMeet => proto::AgencyStanding::DoesNotMeet,
        AgencyStanding::NotReported => proto::AgencyStanding::NotReported,
        AgencyStanding::NotEvaluable(_) => proto::AgencyStanding::NotEvaluable,
    }
}

fn status_to_proto(status: TargetStatus) -> proto::TargetStatus {
    match status {
        TargetStatus::Achieved => proto::TargetStatus::Achieved,
        TargetStatus::OnTrack => proto::TargetStatus::OnTrack,
        TargetStatus::AccelerationNeeded => proto::TargetStatus::AccelerationNeeded,
        TargetStatus::LimitedProgress => proto::TargetStatus::LimitedProgress,
        TargetStatus::Deterioration => proto::TargetStatus::Deterioration,
        TargetStatus::NoData => proto::TargetStatus::NoData,
        TargetStatus::NoTrend => proto::TargetStatus::NoTrend,
    }
}

fn milestone_projection_to_proto(milestone: &MilestoneProjection) -> proto::MilestoneProjection {
    let outcome = match milestone.outcome {
        ProjectionOutcome::Met => proto::ProjectionOutcome::Met,
        ProjectionOutcome::Missed => proto::ProjectionOutcome::Missed,
        ProjectionOutcome::NoData => proto::ProjectionOutcome::NoData,
        ProjectionOutcome::TooFewYears => proto::ProjectionOutcome::TooFewYears,
        ProjectionOutcome::OnPace => proto::ProjectionOutcome::OnPace,
        ProjectionOutcome::OffPace => proto::ProjectionOutcome::OffPace,
    };
    proto::MilestoneProjection {
        year: milestone.year,
        required_share: milestone.required.to_f64(),
        outcome: outcome.into(),
        observed_share: milestone.observed_share.map(Ratio::to_f64),
        projected_share: milestone.projected_share,
        projected_year: milestone.projected_year,
    }
}

pub fn summary_to_proto(summary: &TargetSummary) -> proto::TargetSummary {
    let evaluation = &summary.evaluation;
    let assessment = &summary.assessment;
    let requirement = assessment.requirement;
    let (next_milestone_year, next_milestone_share) = assessment
        .next_milestone
        .map_or((0, 0.0), |(year, share)| (year, share.to_f64()));
    proto::TargetSummary {
        plan_code: summary.plan_code.clone(),
        target_code: summary.target.code.clone(),
        target_name: summary.target.name.clone(),
        period_code: summary.period_code.clone(),
        scope: summary.scope.to_string(),
        measure: match summary.target.rule {
            TargetRule::AgencyShare { .. } => proto::TargetMeasure::AgencyShare,
            TargetRule::PeopleShare { .. } => proto::TargetMeasure::PeopleShare,
        }
        .into(),
        rule: summary.target.rule.describe(),
        numerator: to_i64(evaluation.numerator),
        denominator: to_i64(evaluation.denominator),
        share: share(evaluation.share()),
        evaluated_denominator: to_i64(evaluation.evaluated_denominator),
        share_among_evaluated: share(evaluation.share_among_evaluated()),
        expected_agencies: evaluation.expected as i32,
        reporting_agencies: evaluation.reporting as i32,
        evaluated_agencies: evaluation.evaluated as i32,
        missing_agency_codes: evaluation.missing.clone(),
        not_evaluable: evaluation
            .not_evaluable
            .iter()
            .map(|(agency_code, reason)| proto::NotEvaluable {
                agency_code: agency_code.clone(),
                reason: reason.clone(),
            })
            .collect(),
        requirement_applies: requirement.required.is_some(),
        required_share: share(requirement.required),
        required_share_interpolated: requirement.interpolated,
        // Parameters are at most 100% (10 000 basis points), checked when the catalogue was read.
        parameter_bp: requirement.parameter_bp.map(|bp| bp as i32),
        status: status_to_proto(assessment.status).into(),
        previous_share: summary.previous_share.map(Ratio::to_f64),
        observed_yearly_progress: assessment.observed_yearly_progress.map(Ratio::to_f64),
        needed_yearly_progress: assessment.needed_yearly_progress.map(Ratio::to_f64),
        next_milestone_year,
        next_milestone_share,
        explanation: assessment.explanation.clone(),
        data_as_of: summary.data_as_of,
        scope_resolution: Some(scope_resolution_to_proto(
            summary.boundaries,
            summary.absence.as_ref(),
        )),
        history: summary
            .history
            .iter()
            .map(|(year, figure)| proto::YearShare {
                year: *year,
                numerator: to_i64(figure.numerator),
                denominator: to_i64(figure.denominator),
                share: figure.share.to_f64(),
            })
            .collect(),
        trend: summary
            .projection
            .trend
            .as_ref()
            .map(|trend| proto::ProjectionTrend {
                years: trend.years.clone(),
                slope_per_year: trend.slope_per_year,
                last_year: trend.last_year,
                share_at_last_year: trend.share_at_last_year,
            }),
        milestone_projections: summary
            .projection
            .milestones
            .iter()
            .map(milestone_projection_to_proto)
            .collect(),
    }
}

fn reporting_status_to_proto(status: &ReportingStatus) -> proto::ReportingStatus {
    proto::ReportingStatus {
        period_code: status.period_code.clone(),
        scope: status.scope.to_string(),
        expected: status.expected() as i32,
        received_on_time: status.on_time() as i32,
        received_late: status.late() as i32,
        missing: status.missing().len() as i32,
        reporting_rate: share(status.reporting_rate()),
        reporting_rate_on_time: share(status.reporting_rate_on_time()),
        agencies: status
            .agencies
            .iter()
            .map(|agency| proto::AgencyReportingStatus {
                agency_code: agency.code.clone(),
                agency_name: agency.name.clone(),
                received: agency.latest.is_some(),
                timeliness: match &agency.latest {
                    None => proto::Timeliness::Unspecified,
                    Some(latest) => timeliness_of_flag(latest.first_late),
                }
                .into(),
                first_received_at: agency
                    .latest
                    .as_ref()
                    .map(|latest| timestamp(latest.first_received_at)),
                latest_revision: agency.latest.as_ref().map_or(0, |latest| latest.revision),
                reopening: None,
                review_state: proto::ReviewState::Unspecified.into(),
            })
            .collect(),
        data_as_of: status.data_as_of,
        scope_resolution: Some(scope_resolution_to_proto(
            status.boundaries,
            status.absence.as_ref(),
        )),
        closes_at: None,
        awaiting_review: 0,
        accepted: 0,
        returned: 0,
    }
}

type WatchStream =
    Pin<Box<dyn Stream<Item = Result<proto::WatchSummariesResponse, Status>> + Send>>;

#[tonic::async_trait]
impl SummaryService for SummaryApi {
    #[instrument(skip_all, fields(plan = %request.get_ref().plan_code, target = %request.get_ref().target_code, period = %request.get_ref().period_code, scope = %request.get_ref().scope))]
    async fn get_target_summary(
        &self,
        request: Request<proto::GetTargetSummaryRequest>,
    ) -> Result<Response<proto::TargetSummary>, Status> {
        let caller = caller_of(&request)?;
        let request = request.into_inner();
        AppError::check_fields(&[
            ("plan_code", Field::Code(&request.plan_code)),
            ("target_code", Field::Code(&request.target_code)),
            ("period_code", Field::Code(&request.period_code)),
        ])?;
        let boundaries = boundaries_from_proto(request.boundaries, &request.as_of)?;
        let asked = FiguresAsked {
            plan_code: &request.plan_code,
            period_code: &request.period_code,
            scope: &request.scope,
            boundaries,
            accepted_only: request.accepted_only,
        };
        let summary = self
            .app
            .target_summary(&caller, asked, &request.target_code, request.min_data_as_of)
            .await?;
        Ok(Response::new(summary_to_proto(&summary)))
    }

    #[instrument(skip_all, fields(plan = %request.get_ref().plan_code, period = %request.get_ref().period_code, scope = %request.get_ref().scope))]
    async fn list_target_summaries(
        &self,
        request: Request<proto::ListTargetSummariesRequest>,
    ) -> Result<Response<proto::ListTargetSummariesResponse>, Status> {
        let caller = caller_of(&request)?;
        let request = request.into_inner();
        AppError::check_fields(&[
            ("plan_code", Field::Code(&request.plan_code)),
            ("period_code", Field::Code(&request.period_code)),
        ])?;
        let boundaries = boundaries_from_proto(request.boundaries, &request.as_of)?;
        let size = pagination::page_size(request.page_size)?;
        let filters = format!(
            "summaries;plan={};period={};scope={};boundaries={};as_of={}{}",
            request.plan_code,
            request.period_code,
            request.scope,
            request.boundaries,
            request.as_of,
            accepted_only_filter(request.accepted_only)
        );
        let page_tokens = self.app.page_tokens();
        let after = page_tokens.resume_after(&request.page_token, &filters)?;
        let asked = FiguresAsked {
            plan_code: &request.plan_code,
            period_code: &request.period_code,
            scope: &request.scope,
            boundaries,
            accepted_only: request.accepted_only,
        };
        let Figures {
            summaries,
            data_as_of,
        } = self
            .app
            .plan_figures(&caller, asked, request.min_data_as_of)
            .await?;
        // Targets keep the plan's order; a page resumes after the last target code it named.
        let (page, resume) = pagination::page_after(
            &summaries,
            |summary| &summary.target.code,
            after.as_deref(),
            size,
        )?;
        Ok(Response::new(proto::ListTargetSummariesResponse {
            summaries: page.iter().map(summary_to_proto).collect(),
            data_as_of,
            next_page_token: resume
                .map(|last| page_tokens.next(last, &filters))
                .unwrap_or_default(),
        }))
    }

    #[instrument(skip_all, fields(plan = %request.get_ref().plan_code, target = %request.get_ref().target_code))]
    async fn list_target_agencies(
        &self,
        request: Request<proto::ListTargetAgenciesRequest>,
    ) -> Result<Response<proto::ListTargetAgenciesResponse>, Status> {
        let caller = caller_of(&request)?;
        Ok(Response::new(
            SummaryApi::list_target_agencies(self, request.into_inner(), &caller).await?,
        ))
    }

    #[instrument(skip_all, fields(period = %request.get_ref().period_code, scope = %request.get_ref().scope))]
    async fn get_reporting_status(
        &self,
        request: Request<proto::GetReportingStatusRequest>,
    ) -> Result<Response<proto::ReportingStatus>, Status> {
        let caller = caller_of(&request)?;
        let request = request.into_inner();
        AppError::check_fields(&[("period_code", Field::Code(&request.period_code))])?;
        let boundaries = boundaries_from_proto(request.boundaries, &request.as_of)?;
        let (reviewed, period) = self
            .app
            .reporting_status(
                &caller,
                &request.period_code,
                &request.scope,
                boundaries,
                request.min_data_as_of,
            )
            .await?;
        Ok(Response::new(reviewed_status_to_proto(&reviewed, &period)))
    }

    type WatchSummariesStream = WatchStream;

    #[instrument(skip_all, fields(plan = %request.get_ref().plan_code, period = %request.get_ref().period_code, scope = %request.get_ref().scope))]
    async fn watch_summaries(
        &self,
        request: Request<proto::WatchSummariesRequest>,
    ) -> Result<Response<Self::WatchSummariesStream>, Status> {
        let caller = caller_of(&request)?;
        let principal = caller.principal().clone();
        let request = request.into_inner();
        AppError::check_fields(&[
            ("plan_code", Field::Code(&request.plan_code)),
            ("period_code", Field::Code(&request.period_code)),
        ])?;
        // Taken once: a CURRENT watch without as_of keeps the date it started on.
        let boundaries = boundaries_from_proto(request.boundaries, &request.as_of)?;
        let asked = FiguresAsked {
            plan_code: &request.plan_code,
            period_code: &request.period_code,
            scope: &request.scope,
            boundaries,
            accepted_only: false,
        };
        // Refuse a bad request at once rather than in the stream.
        self.app
            .plan_figures(&caller, asked, request.min_data_as_of)
            .await?;
        let mut feed = self.app.feed().subscribe();
        // One message in flight: a slow reader holds back only its own updates, and the watch
        // channel keeps just the latest head while it catches up.
        let (updates, outbound) = mpsc::channel(1);
        let api = self.clone();
        tokio::spawn(async move {
            let asked = FiguresAsked {
                plan_code: &request.plan_code,
                period_code: &request.period_code,
                scope: &request.scope,
                boundaries,
                accepted_only: false,
            };
            let mut last_sent: Option<Vec<proto::TargetSummary>> = None;
            loop {
                // The head that woke the watch may be another process's commit not heard of yet.
                let head = *feed.borrow_and_update();
                // A credential revoked or expired while the watch runs ends it.
                if let Err(error) = api.app.authenticator().recheck(&principal).await {
                    let _ = updates.send(Err(Status::from(error))).await;
                    break;
                }
                let message = match api.app.watched_figures(&caller, asked, head).await {
                    Ok(Figures {
                        summaries,
                        data_as_of,
                    }) => {
                        let summaries: Vec<_> = summaries.iter().map(summary_to_proto).collect();
                        // Unrelated submissions move data_as_of without changing a figure.
                        let figures: Vec<_> = summaries
                            .iter()
                            .cloned()
                            .map(|summary| proto::TargetSummary {
                                data_as_of: 0,
                                ..summary
                            })
                            .collect();
                        if last_sent.as_ref() == Some(&figures) {
                            None
                        } else {
                            last_sent = Some(figures);
                            Some(Ok(proto::WatchSummariesResponse {
                                summaries,
                                data_as_of,
                            }))
                        }
                    }
                    Err(error) => Some(Err(Status::from(error))),
                };
                if let Some(message) = message {
                    let failed = message.is_err();
                    if updates.send(message).await.is_err() || failed {
                        break;
                    }
                }
                // Wait for the next commit, or for the reader to hang up, whichever comes first:
                // a reader gone while nothing is submitted must not leave this task behind.
                tokio::select! {
                    changed = feed.changed() => if changed.is_err() { break },
                    () = updates.closed() => break,
                    () = api.draining.started() => {
                        let _ = updates.send(Err(shutting_down())).await;
                        break;
                    }
                }
            }
            debug!("summary watch ended");
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(outbound))))
    }

    #[instrument(skip_all, fields(after = request.get_ref().after_position))]
    async fn list_changes(
        &self,
        request: Request<ListChangesRequest>,
    ) -> Result<Response<ListChangesResponse>, Status> {
        Ok(Response::new(
            SummaryApi::list_changes(self, request.into_inner()).await?,
        ))
    }
}
