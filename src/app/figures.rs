//! Figures: the summaries of a plan's targets for a period and scope, and who reported, as the
//! kept submissions say.

use std::collections::HashMap;

use super::error::AppError;
use super::read_model::ReadView;
use crate::domain::Catalog;
use crate::domain::period::Period;
use crate::domain::plan::Target;
use crate::domain::scope::{Boundaries, Scope};
use crate::domain::summary::{
    self, PeriodAndScope, ReportSnapshot, ReportingStatus, TargetSummary,
};
use crate::store::{Reopening, ReviewState, Store};

/// The figures computed, kept between commits: shared by every request of the process.
#[derive(Default)]
pub struct FiguresCache {}

/// Who reported in a scope for a period, with each agency's reopening (if any) and, for each
/// agency that reported, where its latest revision stands with its province.
pub struct ReviewedStatus {
    pub status: ReportingStatus,
    /// By agency code.
    pub reopenings: HashMap<String, Reopening>,
    /// By agency code, for every agency that reported.
    pub review_states: HashMap<String, ReviewState>,
}

/// The reporting status of a scope in a period as `reports` say, with reviews and reopenings as
/// they stand now.
pub(crate) async fn reviewed_status(
    store: &Store,
    catalog: &Catalog,
    reports: &ReportSnapshot,
    about: PeriodAndScope<'_>,
) -> Result<ReviewedStatus, AppError> {
    let period = about.period;
    let reopenings: HashMap<String, Reopening> = store
        .reopenings(&period.code)
        .await?
        .into_iter()
        .map(|reopening| (reopening.agency_code.clone(), reopening))
        .collect();
    let status = summary::reporting_status(catalog, reports, about);
    let reviews = store.period_reviews(&period.code).await?;
    let review_states = status
        .agencies
        .iter()
        .filter_map(|agency| {
            let latest = agency.latest.as_ref()?;
            let review = reviews.get(&(agency.code.clone(), latest.revision));
            Some((agency.code.clone(), ReviewState::of(review)))
        })
        .collect();
    Ok(ReviewedStatus {
        status,
        reopenings,
        review_states,
    })
}

/// The reports of `view`, with only those whose latest revision the province accepted.
pub(crate) async fn accepted_reports(
    store: &Store,
    view: &ReadView,
) -> Result<ReportSnapshot, AppError> {
    let accepted = store.accepted_submissions().await?;
    Ok(view
        .reports
        .retain(|latest| accepted.contains(&latest.submission_id)))
}

/// Every target's summary of a plan for a period and scope, as `reports` say, as
/// ListTargetSummaries serves them.
pub(crate) fn plan_summaries(
    catalog: &Catalog,
    reports: &ReportSnapshot,
    plan_code: &str,
    period: &Period,
    scope: Scope,
    boundaries: Boundaries,
) -> Result<Vec<TargetSummary>, AppError> {
    let plan = super::names::find_plan(catalog, plan_code)?;
    let targets: Vec<&Target> = plan.targets.iter().collect();
    let about = PeriodAndScope {
        period,
        scope: &scope,
        boundaries,
    };
    let (summaries, _) = summary::summarize(catalog, reports, plan, &targets, about, false);
    Ok(summaries)
}
