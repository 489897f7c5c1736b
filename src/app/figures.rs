//! Figures: the summaries of a plan's targets for a period and scope, who reported, and the
//! change feed, as the kept submissions say; and the figures kept between commits, so that the
//! dashboards polling the same views share one computation per state of the data.

mod requests;

use std::collections::HashMap;
use std::sync::Arc;

use super::access::{self, ReportsSeen, ScopeReader};
use super::authentication::Caller;
use super::blocking::off_the_workers;
use super::error::AppError;
use super::figures_cache::{ComputedFigures, KeptFigures};
use super::names::{find_period, find_plan, parse_scope, scope_or_own};
use super::read_model::ReadView;
use super::state::App;
use crate::domain::Catalog;
use crate::domain::naming::{did_you_mean, echo};
use crate::domain::period::Period;
use crate::domain::plan::Target;
use crate::domain::scope::{Boundaries, Scope};
use crate::domain::summary::{
    self, PeriodAndScope, ReportSnapshot, ReportingStatus, ReportsRead, TargetSummary,
};
use crate::metrics;
pub use crate::store::{Change, Reopening, ReviewState};
use crate::store::{Counters, Store};
pub use requests::FiguresAsked;
use requests::Subject;

/// Every target's summary of a plan for a period and scope, and the change-feed position they
/// are complete up to.
#[derive(Debug, Clone)]
pub struct Figures {
    pub summaries: Arc<Vec<TargetSummary>>,
    pub data_as_of: i64,
}

/// The capability to show `caller` what was computed from `reads`; refused if it does not reach
/// every report behind them.
fn see_reports(
    caller: &Caller,
    catalog: &Catalog,
    reads: &ReportsRead,
    scope: &Scope,
) -> Result<ReportsSeen, AppError> {
    access::see_reports(caller, catalog, reads).ok_or_else(|| {
        AppError::out_of_reach(format!(
            "{} does not reach every report behind the figures of {scope}",
            caller.principal()
        ))
    })
}

/// The capability to read who reported in `scope`; refused if `caller` does not wholly reach it.
fn read_scope(
    caller: &Caller,
    catalog: &Catalog,
    scope: &Scope,
    boundaries: Boundaries,
    period: &Period,
) -> Result<ScopeReader, AppError> {
    access::read_scope(caller, catalog, scope, boundaries, period).ok_or_else(|| {
        AppError::out_of_reach(format!(
            "{} does not reach every agency of {scope} in {}",
            caller.principal(),
            period.code
        ))
    })
}

impl App {
    /// Every target's summary of a plan for a period and scope, as of `min_data_as_of` or later;
    /// refused if the caller does not reach every report behind them.
    pub async fn plan_figures(
        &self,
        caller: &Caller,
        asked: FiguresAsked<'_>,
        min_data_as_of: i64,
    ) -> Result<Figures, AppError> {
        let counters = caller
            .counters_reaching(&self.read_model, min_data_as_of)
            .await?;
        self.figures_as_of(caller, asked, counters).await
    }

    /// One target's summary of a plan for a period and scope, as of `min_data_as_of` or later.
    pub async fn target_summary(
        &self,
        caller: &Caller,
        asked: FiguresAsked<'_>,
        target_code: &str,
        min_data_as_of: i64,
    ) -> Result<TargetSummary, AppError> {
        let figures = self.plan_figures(caller, asked, min_data_as_of).await?;
        let found = figures
            .summaries
            .iter()
            .find(|summary| summary.target.code == target_code);
        found.cloned().ok_or_else(|| {
            let known = figures
                .summaries
                .iter()
                .map(|summary| summary.target.code.as_str());
            AppError::not_found(
                "TARGET_NOT_FOUND",
                format!(
                    "plan {} has no target {}{}",
                    echo(asked.plan_code),
                    echo(target_code),
                    did_you_mean(target_code, known)
                ),
            )
        })
    }

    /// The figures a watch sends once the change feed reached `head`: as of the latest commit
    /// this process knows of, or, if `head` is another process's commit not heard of yet, as of
    /// the database now.
    pub async fn watched_figures(
        &self,
        caller: &Caller,
        asked: FiguresAsked<'_>,
        head: i64,
    ) -> Result<Figures, AppError> {
        let known = self.read_model.counters().await?;
        let counters = self.read_model.counters_reaching(known, head).await?;
        self.figures_as_of(caller, asked, counters).await
    }

    /// One target's summary with every agency behind it, for the drill-down, as of
    /// `min_data_as_of` or later, and the change-feed position it is complete up to.
    pub async fn target_agencies(
        &self,
        caller: &Caller,
        asked: FiguresAsked<'_>,
        target_code: &str,
        min_data_as_of: i64,
    ) -> Result<(TargetSummary, i64), AppError> {
        let counters = caller
            .counters_reaching(&self.read_model, min_data_as_of)
            .await?;
        let view = self.read_model.current(Some(counters)).await?;
        let subject = Subject::resolve(&view.catalog, asked, caller)?;
        let reports = if asked.accepted_only {
            Arc::new(accepted_reports(&self.store, &view).await?)
        } else {
            view.reports.clone()
        };
        let data_as_of = reports.data_as_of;
        let (catalog, target_code) = (view.catalog.clone(), target_code.to_string());
        let computing = subject.clone();
        let (summaries, reads) = off_the_workers(move || {
            computing.summarize(&catalog, &reports, Some(&target_code), true)
        })
        .await?;
        see_reports(caller, &view.catalog, &reads, &subject.scope)?;
        // The target was found: there is exactly one summary.
        let summary = summaries
            .into_iter()
            .next()
            .ok_or_else(|| AppError::not_found("TARGET_NOT_FOUND", "no such target"))?;
        Ok((summary, data_as_of))
    }

    /// Who reported in a scope (empty: the caller's own) for a period, with reviews and
    /// reopenings, as of `min_data_as_of` or later, and the period; refused if the caller does
    /// not reach every agency of the scope.
    pub async fn reporting_status(
        &self,
        caller: &Caller,
        period_code: &str,
        scope: &str,
        boundaries: Boundaries,
        min_data_as_of: i64,
    ) -> Result<(ReviewedStatus, Period), AppError> {
        let counters = caller
            .counters_reaching(&self.read_model, min_data_as_of)
            .await?;
        let view = self.read_model.current(Some(counters)).await?;
        let catalog = &view.catalog;
        let scope = parse_scope(catalog, "scope", &scope_or_own(scope, caller.principal()))?;
        let period = find_period(catalog, period_code)?;
        let reader = read_scope(caller, catalog, &scope, boundaries, period)?;
        let about = PeriodAndScope {
            period,
            scope: reader.scope(),
            boundaries: reader.boundaries(),
        };
        let status = reviewed_status(&self.store, catalog, &view.reports, about).await?;
        Ok((status, period.clone()))
    }

    /// Up to `limit` changes of the feed after `after_position`, and the feed's head.
    pub async fn changes(
        &self,
        after_position: i64,
        limit: u64,
    ) -> Result<(Vec<Change>, i64), AppError> {
        if after_position < 0 {
            return Err(AppError::invalid_argument(
                "after_position",
                "must not be negative",
            ));
        }
        let head_position = self.store.feed_head().await?;
        let changes = self.store.list_changes(after_position, limit).await?;
        Ok((changes, head_position))
    }

    /// The figures `asked` as of `counters` or fresher, shown only to a caller reaching every
    /// report behind them.
    async fn figures_as_of(
        &self,
        caller: &Caller,
        asked: FiguresAsked<'_>,
        counters: Counters,
    ) -> Result<Figures, AppError> {
        let view = self.read_model.current(Some(counters)).await?;
        let subject = Subject::resolve(&view.catalog, asked, caller)?;
        if asked.accepted_only {
            // Reviews move no change-feed position, so these figures are computed afresh.
            let reports = accepted_reports(&self.store, &view).await?;
            let data_as_of = reports.data_as_of;
            let (catalog, computing) = (view.catalog.clone(), subject.clone());
            let (summaries, reads) =
                off_the_workers(move || computing.summarize(&catalog, &reports, None, false))
                    .await?;
            see_reports(caller, &view.catalog, &reads, &subject.scope)?;
            return Ok(Figures {
                summaries: Arc::new(summaries),
                data_as_of,
            });
        }
        let computed = self.computed_figures(&subject, &view).await?;
        see_reports(caller, &view.catalog, &computed.reads, &subject.scope)?;
        Ok(Figures {
            summaries: computed.summaries.clone(),
            data_as_of: computed.data_as_of,
        })
    }

    /// The figures of `subject` as of `view` or fresher, computed once per state of the data.
    async fn computed_figures(
        &self,
        subject: &Subject,
        view: &ReadView,
    ) -> Result<Arc<ComputedFigures>, AppError> {
        let entry = self
            .figures
            .entries
            .get_with(subject.key(), Default::default);
        if let Some(latest) = entry.latest_serving(view) {
            metrics::count_summary_cache(true);
            return Ok(latest);
        }
        let mut kept = entry.kept.lock().await;
        if let Some(latest) = entry.latest_serving(view) {
            metrics::count_summary_cache(true);
            return Ok(latest);
        }
        metrics::count_summary_cache(false);
        let updated = self.keep_up(kept.take(), subject, view).await?;
        let computed = Arc::new(ComputedFigures {
            catalog_revision: view.catalog_revision,
            data_as_of: view.reports.data_as_of,
            summaries: Arc::new(updated.figures.summaries()),
            reads: updated.figures.reads().clone(),
        });
        *kept = Some(updated);
        entry.offer(&computed);
        Ok(computed)
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
        let (view, subject) = (view.clone(), subject.clone());
        off_the_workers(move || match (kept, changed) {
            (Some(mut kept), Some(changed)) => {
                kept.figures.update(&view.catalog, &view.reports, &changed);
                Ok(kept)
            }
            _ => Ok(KeptFigures {
                catalog_revision: view.catalog_revision,
                figures: subject.build(&view.catalog, &view.reports),
            }),
        })
        .await
    }
}

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
    let plan = find_plan(catalog, plan_code)?;
    let targets: Vec<&Target> = plan.targets.iter().collect();
    let about = PeriodAndScope {
        period,
        scope: &scope,
        boundaries,
    };
    let (summaries, _) = summary::summarize(catalog, reports, plan, &targets, about, false);
    Ok(summaries)
}
