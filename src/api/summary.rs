//! SummaryService: per target, period and scope, the figures the provinces and the Ministry pull.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

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
use crate::app::AppError;
use crate::app::FeedWatcher;
use crate::app::access;
use crate::app::figures::{ReviewedStatus, accepted_reports, reviewed_status};
use crate::app::names::scope_or_own;
use crate::app::names::{find_period, find_plan, find_target, parse_scope};
use crate::app::off_the_workers;
use crate::app::pagination::{self, PageTokens};
use crate::app::{App, Authenticator, Caller};
use crate::app::{ReadModel, ReadView};
use crate::domain::Catalog;
use crate::domain::evaluation::AgencyStanding;
use crate::domain::formats::Field;
use crate::domain::naming::{did_you_mean, echo};
use crate::domain::period::Period;
use crate::domain::plan::{Target, TargetRule};
use crate::domain::projection::{MilestoneProjection, ProjectionOutcome};
use crate::domain::ratio::Ratio;
use crate::domain::scope::{Boundaries, Scope};
use crate::domain::status::TargetStatus;
use crate::domain::summary::{
    self, PeriodAndScope, PlanFigures, ReportSnapshot, ReportingStatus, ReportsRead, TargetSummary,
};
use crate::metrics;
use crate::proto::summary_service_server::SummaryService;
use crate::proto::{self, Change, ListChangesRequest, ListChangesResponse};
use crate::store::{Counters, ReviewState, Store};

#[derive(Clone)]
pub struct SummaryApi {
    read_model: Arc<ReadModel>,
    store: Store,
    feed: FeedWatcher,
    /// To check, update by update, that a watcher's credential still holds.
    access: Arc<Authenticator>,
    /// Ends watches when the server stops.
    draining: Draining,
    page_tokens: PageTokens,
    figures: Arc<Mutex<FiguresCache>>,
    /// One lock per (plan, period, scope), held while its figures are computed.
    computing: Arc<Mutex<HashMap<FiguresKey, Arc<tokio::sync::Mutex<()>>>>>,
    /// The figures behind the cached summaries, taken out and updated under their key's lock.
    kept: Arc<Mutex<HashMap<FiguresKey, KeptFigures>>>,
}

/// The summaries of a plan for a period and scope, computed once per state of the data: readers
/// of the same figures between two commits share one computation.
type FiguresCache = HashMap<FiguresKey, Arc<CachedFigures>>;

/// (plan, period, scope) as asked, and the boundaries the scope is read in.
type FiguresKey = (String, String, String, Boundaries);

struct CachedFigures {
    /// The state of the data they were computed from.
    catalog_revision: i64,
    data_as_of: i64,
    summaries: Arc<Vec<proto::TargetSummary>>,
    /// Every report they looked up: a reader must reach them all.
    reads: Arc<ReportsRead>,
}

/// The figures of a (plan, period, scope, boundaries) agency by agency, kept between commits so
/// that the next ones update them rather than compute them again.
struct KeptFigures {
    catalog_revision: i64,
    figures: PlanFigures,
}

/// Beyond this many (plan, period, scope, boundaries) combinations the cache starts over: it
/// serves the handful of views that dashboards poll, not every scope ever asked for.
const MAX_CACHED_FIGURES: usize = 512;

/// The catalogue entries a request names, checked.
#[derive(Clone)]
struct Subject {
    plan_code: String,
    period: Period,
    scope: Scope,
    boundaries: Boundaries,
}

impl Subject {
    /// Resolves what a request names.
    fn resolve(
        catalog: &Catalog,
        plan_code: &str,
        period_code: &str,
        scope: &str,
        boundaries: Boundaries,
    ) -> Result<Subject, AppError> {
        let scope = parse_scope(catalog, "scope", scope)?;
        find_plan(catalog, plan_code)?;
        let period = find_period(catalog, period_code)?.clone();
        Ok(Subject {
            plan_code: plan_code.to_string(),
            period,
            scope,
            boundaries,
        })
    }
}

/// Refuses a principal figures computed from any report it does not reach.
fn check_reads(
    catalog: &Catalog,
    caller: &Caller,
    reads: &ReportsRead,
    subject: &str,
) -> Result<(), AppError> {
    if access::see_reports(caller, catalog, reads).is_some() {
        return Ok(());
    }
    Err(AppError::out_of_reach(format!(
        "{} does not reach every report behind the figures of {subject}",
        caller.principal()
    )))
}

/// Refuses a principal the reporting status of a scope it does not wholly reach.
fn check_scope(
    catalog: &Catalog,
    caller: &Caller,
    scope: &Scope,
    boundaries: Boundaries,
    period: &Period,
) -> Result<(), AppError> {
    if access::read_scope(caller, catalog, scope, boundaries, period).is_some() {
        return Ok(());
    }
    Err(AppError::out_of_reach(format!(
        "{} does not reach every agency of {scope} in {}",
        caller.principal(),
        period.code
    )))
}

/// The page-token filter of `accepted_only`: named only when set, so that tokens given out before
/// the option existed still work.
fn accepted_only_filter(accepted_only: bool) -> &'static str {
    if accepted_only { ";accepted_only" } else { "" }
}

/// Which figures of a plan are asked for.
#[derive(Clone, Copy)]
struct FiguresAsked<'a> {
    plan_code: &'a str,
    period_code: &'a str,
    scope: &'a str,
    boundaries: Boundaries,
    /// Only the reports the province accepted count.
    accepted_only: bool,
}

impl SummaryApi {
    pub fn new(app: &App, draining: Draining) -> Self {
        SummaryApi {
            read_model: app.read_model().clone(),
            store: app.store().clone(),
            feed: app.feed().clone(),
            access: app.shared_authenticator(),
            draining,
            page_tokens: app.page_tokens().clone(),
            figures: Arc::new(Mutex::new(HashMap::new())),
            computing: Arc::new(Mutex::new(HashMap::new())),
            kept: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Every target's summary of a plan for a period and scope, as the data stands now, and the
    /// feed position it is complete up to; refused if the principal does not reach every report
    /// behind them.
    async fn plan_figures(
        &self,
        asked: FiguresAsked<'_>,
        caller: &Caller,
        known: Counters,
    ) -> Result<(Arc<Vec<proto::TargetSummary>>, i64), AppError> {
        let FiguresAsked {
            plan_code,
            period_code,
            scope,
            boundaries,
            accepted_only,
        } = asked;
        let principal = caller.principal();
        let scope = &scope_or_own(scope, principal);
        let view = self.read_model.current(Some(known)).await?;
        let subject = Subject::resolve(&view.catalog, plan_code, period_code, scope, boundaries)?;
        if accepted_only {
            // Reviews move no change-feed position, so these figures are computed afresh.
            let reports = accepted_reports(&self.store, &view).await?;
            let data_as_of = reports.data_as_of;
            let catalog = view.catalog.clone();
            let (summaries, reads) = off_the_workers(move || {
                let (summaries, reads) = summaries_of(&catalog, &reports, &subject, None, false)?;
                Ok((summaries.iter().map(summary_to_proto).collect(), reads))
            })
            .await?;
            check_reads(&view.catalog, caller, &reads, scope)?;
            return Ok((Arc::new(summaries), data_as_of));
        }
        let key = (
            plan_code.to_string(),
            period_code.to_string(),
            scope.to_string(),
            boundaries,
        );
        let figures = self.figures_of(&key, &subject, &view).await?;
        check_reads(
            &view.catalog,
            caller,
            &figures.reads,
            &subject.scope.to_string(),
        )?;
        Ok((figures.summaries.clone(), figures.data_as_of))
    }

    /// The figures of `key` as of `view` or fresher, computed once: readers that miss together
    /// (after a commit, all of them) wait for the first and share what it computed.
    async fn figures_of(
        &self,
        key: &FiguresKey,
        subject: &Subject,
        view: &ReadView,
    ) -> Result<Arc<CachedFigures>, AppError> {
        let data_as_of = view.reports.data_as_of;
        if let Some(cached) = self.cached_figures(key, view.catalog_revision, data_as_of) {
            metrics::count_summary_cache(true);
            return Ok(cached);
        }
        let computing = {
            let mut computing = self
                .computing
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if computing.len() >= MAX_CACHED_FIGURES {
                computing.clear();
            }
            computing.entry(key.clone()).or_default().clone()
        };
        let _computing = computing.lock().await;
        if let Some(cached) = self.cached_figures(key, view.catalog_revision, data_as_of) {
            metrics::count_summary_cache(true);
            return Ok(cached);
        }
        metrics::count_summary_cache(false);
        let kept = self.kept_figures().remove(key);
        let kept = self.keep_up(kept, subject, view).await?;
        let computed = Arc::new(CachedFigures {
            catalog_revision: view.catalog_revision,
            data_as_of,
            summaries: Arc::new(
                kept.figures
                    .summaries()
                    .iter()
                    .map(summary_to_proto)
                    .collect(),
            ),
            reads: kept.figures.reads().clone(),
        });
        {
            let mut all_kept = self.kept_figures();
            if all_kept.len() >= MAX_CACHED_FIGURES {
                all_kept.clear();
            }
            all_kept.insert(key.clone(), kept);
        }
        if let Ok(mut figures) = self.figures.lock() {
            if figures.len() >= MAX_CACHED_FIGURES {
                figures.clear();
            }
            let newer_kept = figures.get(key).is_some_and(|kept| {
                kept.catalog_revision >= view.catalog_revision && kept.data_as_of >= data_as_of
            });
            if !newer_kept {
                figures.insert(key.clone(), computed.clone());
            }
        }
        Ok(computed)
    }

    fn kept_figures(&self) -> std::sync::MutexGuard<'_, HashMap<FiguresKey, KeptFigures>> {
        self.kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `kept` figures brought up to `view` by the reports changed since they were computed, or,
    /// when there are none (or the catalogue changed, or the changes are forgotten), figures
    /// built from scratch; either way off the async workers.
    async fn keep_up(
        &self,
        kept: Option<KeptFigures>,
        subject: &Subject,
        view: &ReadView,
    ) -> Result<KeptFigures, AppError> {
        let changed = kept.as_ref().and_then(|kept| {
            (kept.catalog_revision == view.catalog_revision)
                .then(|| {
                    self.read_model
                        .changed_between(kept.figures.data_as_of, view.reports.data_as_of)
                })
                .flatten()
        });
        let view = view.clone();
        let subject = subject.clone();
        off_the_workers(move || match (kept, changed) {
            (Some(mut kept), Some(changed)) => {
                kept.figures.update(&view.catalog, &view.reports, &changed);
                Ok(kept)
            }
            _ => {
                let figures = build_figures(&view.catalog, &view.reports, &subject)?;
                Ok(KeptFigures {
                    catalog_revision: view.catalog_revision,
                    figures,
                })
            }
        })
        .await
    }

    /// Cached figures at least as fresh as the data a reader saw. Fresher ones serve as well:
    /// they include every commit the reader must see.
    fn cached_figures(
        &self,
        key: &FiguresKey,
        catalog_revision: i64,
        data_as_of: i64,
    ) -> Option<Arc<CachedFigures>> {
        let figures = self.figures.lock().ok()?;
        let cached = figures.get(key)?;
        (cached.catalog_revision >= catalog_revision && cached.data_as_of >= data_as_of)
            .then(|| cached.clone())
    }

    /// One target's summary with every agency behind it, for the drill-down.
    async fn described_summary(
        &self,
        request: &proto::ListTargetAgenciesRequest,
        boundaries: Boundaries,
        caller: &Caller,
    ) -> Result<(TargetSummary, i64), AppError> {
        let scope = &scope_or_own(&request.scope, caller.principal());
        let counters = caller
            .counters_reaching(&self.read_model, request.min_data_as_of)
            .await?;
        let view = self.read_model.current(Some(counters)).await?;
        let subject = Subject::resolve(
            &view.catalog,
            &request.plan_code,
            &request.period_code,
            scope,
            boundaries,
        )?;
        let target_code = request.target_code.clone();
        let reports = if request.accepted_only {
            Arc::new(accepted_reports(&self.store, &view).await?)
        } else {
            view.reports.clone()
        };
        let data_as_of = reports.data_as_of;
        let catalog = view.catalog.clone();
        let (summaries, reads) = off_the_workers(move || {
            summaries_of(&catalog, &reports, &subject, Some(&target_code), true)
        })
        .await?;
        check_reads(&view.catalog, caller, &reads, scope)?;
        // summaries_of refused an unknown target: there is exactly one.
        let summary = summaries
            .into_iter()
            .next()
            .ok_or_else(|| AppError::not_found("TARGET_NOT_FOUND", "no such target"))?;
        Ok((summary, data_as_of))
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
        let after = self
            .page_tokens
            .resume_after(&request.page_token, &filters)?;
        let (summary, data_as_of) = self.described_summary(&request, boundaries, caller).await?;
        let scope_resolution = scope_resolution_to_proto(boundaries, summary.absence.as_ref());
        // Agencies come sorted by code: the page token is the last code of a page.
        let mut remaining = summary.evaluation.agencies.into_iter().filter(|agency| {
            after
                .as_ref()
                .is_none_or(|after| agency.code.as_str() > after.as_str())
        });
        let page: Vec<_> = remaining.by_ref().take(page_size as usize).collect();
        let next_page_token = match page.last() {
            Some(last) if remaining.next().is_some() => self.page_tokens.next(&last.code, &filters),
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

    async fn reporting_status(
        &self,
        request: proto::GetReportingStatusRequest,
        caller: &Caller,
    ) -> Result<proto::ReportingStatus, AppError> {
        AppError::check_fields(&[("period_code", Field::Code(&request.period_code))])?;
        let boundaries = boundaries_from_proto(request.boundaries, &request.as_of)?;
        let counters = caller
            .counters_reaching(&self.read_model, request.min_data_as_of)
            .await?;
        let view = self.read_model.current(Some(counters)).await?;
        let (catalog, reports) = (&view.catalog, &view.reports);
        let scope = scope_or_own(&request.scope, caller.principal());
        let scope = parse_scope(catalog, "scope", &scope)?;
        let period = find_period(catalog, &request.period_code)?;
        check_scope(catalog, caller, &scope, boundaries, period)?;
        let about = PeriodAndScope {
            period,
            scope: &scope,
            boundaries,
        };
        Ok(reviewed_status_to_proto(
            &reviewed_status(&self.store, catalog, reports, about).await?,
            period,
        ))
    }

    async fn list_changes(
        &self,
        request: ListChangesRequest,
    ) -> Result<ListChangesResponse, AppError> {
        let page_size = pagination::page_size(request.page_size)?;
        if request.after_position < 0 {
            return Err(AppError::invalid_argument(
                "after_position",
                "must not be negative",
            ));
        }
        let head_position = self.store.feed_head().await?;
        let changes = self
            .store
            .list_changes(request.after_position, page_size)
            .await?;
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

/// Every target's figures of a plan for a checked subject, from scratch.
fn build_figures(
    catalog: &Catalog,
    reports: &ReportSnapshot,
    subject: &Subject,
) -> Result<PlanFigures, AppError> {
    let plan = find_plan(catalog, &subject.plan_code)?;
    let targets: Vec<&Target> = plan.targets.iter().collect();
    let about = PeriodAndScope {
        period: &subject.period,
        scope: &subject.scope,
        boundaries: subject.boundaries,
    };
    Ok(PlanFigures::build(catalog, reports, plan, &targets, about))
}

/// The summaries of a plan's targets (or of one target) for a checked subject.
fn summaries_of(
    catalog: &Catalog,
    reports: &ReportSnapshot,
    subject: &Subject,
    only_target: Option<&str>,
    describe_agencies: bool,
) -> Result<(Vec<TargetSummary>, ReportsRead), AppError> {
    let plan = find_plan(catalog, &subject.plan_code)?;
    let targets: Vec<&Target> = match only_target {
        Some(code) => vec![find_target(plan, code)?],
        None => plan.targets.iter().collect(),
    };
    let about = PeriodAndScope {
        period: &subject.period,
        scope: &subject.scope,
        boundaries: subject.boundaries,
    };
    Ok(summary::summarize(
        catalog,
        reports,
        plan,
        &targets,
        about,
        describe_agencies,
    ))
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
        let (summaries, _) = self
            .plan_figures(
                FiguresAsked {
                    plan_code: &request.plan_code,
                    period_code: &request.period_code,
                    scope: &request.scope,
                    boundaries,
                    accepted_only: request.accepted_only,
                },
                &caller,
                caller
                    .counters_reaching(&self.read_model, request.min_data_as_of)
                    .await?,
            )
            .await?;
        let summary = summaries
            .iter()
            .find(|summary| summary.target_code == request.target_code)
            .ok_or_else(|| {
                let known = summaries.iter().map(|summary| summary.target_code.as_str());
                AppError::not_found(
                    "TARGET_NOT_FOUND",
                    format!(
                        "plan {} has no target {}{}",
                        echo(&request.plan_code),
                        echo(&request.target_code),
                        did_you_mean(&request.target_code, known)
                    ),
                )
            })?;
        Ok(Response::new(summary.clone()))
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
        let after = self
            .page_tokens
            .resume_after(&request.page_token, &filters)?;
        let (summaries, data_as_of) = self
            .plan_figures(
                FiguresAsked {
                    plan_code: &request.plan_code,
                    period_code: &request.period_code,
                    scope: &request.scope,
                    boundaries,
                    accepted_only: request.accepted_only,
                },
                &caller,
                caller
                    .counters_reaching(&self.read_model, request.min_data_as_of)
                    .await?,
            )
            .await?;
        // Targets keep the plan's order; a page resumes after the last target code it named.
        let (page, resume) = pagination::page_after(
            &summaries,
            |summary| &summary.target_code,
            after.as_deref(),
            size,
        )?;
        Ok(Response::new(proto::ListTargetSummariesResponse {
            summaries: page.to_vec(),
            data_as_of,
            next_page_token: resume
                .map(|last| self.page_tokens.next(last, &filters))
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
        Ok(Response::new(
            self.reporting_status(request.into_inner(), &caller).await?,
        ))
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
        // Refuse a bad request at once rather than in the stream.
        self.plan_figures(
            FiguresAsked {
                plan_code: &request.plan_code,
                period_code: &request.period_code,
                scope: &request.scope,
                boundaries,
                accepted_only: false,
            },
            &caller,
            caller
                .counters_reaching(&self.read_model, request.min_data_as_of)
                .await?,
        )
        .await?;
        let mut feed = self.feed.subscribe();
        // One message in flight: a slow reader holds back only its own updates, and the watch
        // channel keeps just the latest head while it catches up.
        let (updates, outbound) = mpsc::channel(1);
        let api = self.clone();
        tokio::spawn(async move {
            let mut last_sent: Option<Vec<proto::TargetSummary>> = None;
            loop {
                // The head that woke the watch may be another process's commit not heard of yet.
                let head = *feed.borrow_and_update();
                // A credential revoked or expired while the watch runs ends it.
                if let Err(error) = api.access.recheck(&principal).await {
                    let _ = updates.send(Err(Status::from(error))).await;
                    break;
                }
                let computed = match api.read_model.counters().await {
                    Ok(known) => match api.read_model.counters_reaching(known, head).await {
                        Ok(counters) => {
                            api.plan_figures(
                                FiguresAsked {
                                    plan_code: &request.plan_code,
                                    period_code: &request.period_code,
                                    scope: &request.scope,
                                    boundaries,
                                    accepted_only: false,
                                },
                                &caller,
                                counters,
                            )
                            .await
                        }
                        Err(error) => Err(error.into()),
                    },
                    Err(error) => Err(error.into()),
                };
                let message = match computed {
                    Ok((summaries, data_as_of)) => {
                        let summaries = summaries.as_ref().clone();
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
