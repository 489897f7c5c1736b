//! What the figures workflows are asked, and the subject it names once found in the catalogue.

use std::sync::Arc;

use crate::app::authentication::Caller;
use crate::app::error::AppError;
use crate::app::figures_cache::FiguresKey;
use crate::app::names::{find_period, find_plan, find_target, parse_scope, scope_or_own};
use crate::domain::Catalog;
use crate::domain::period::Period;
use crate::domain::plan::{Plan, Target};
use crate::domain::scope::{Boundaries, Scope};
use crate::domain::summary::{
    self, PeriodAndScope, PlanFigures, ReportSnapshot, ReportsRead, TargetSummary,
};

/// Which figures of a plan a request asks for, in its own words.
#[derive(Debug, Clone, Copy)]
pub struct FiguresAsked<'a> {
    pub plan_code: &'a str,
    pub period_code: &'a str,
    /// A scope as written; empty for the caller's own organisation.
    pub scope: &'a str,
    pub boundaries: Boundaries,
    /// Only the reports the province accepted count.
    pub accepted_only: bool,
}

/// What a request names, found in the catalogue once: every step after works on these. The plan
/// and the period are held as their places in the catalogue they were found in, which the
/// subject shares: resolving a request copies neither, since a plan holds every target's names
/// and milestones and a summary is asked for tens of thousands of times a second.
#[derive(Clone)]
pub(super) struct Subject {
    catalog: Arc<Catalog>,
    plan_at: usize,
    period_at: usize,
    pub(super) scope: Scope,
    pub(super) boundaries: Boundaries,
}

impl Subject {
    pub(super) fn resolve(
        catalog: &Arc<Catalog>,
        asked: FiguresAsked<'_>,
        caller: &Caller,
    ) -> Result<Subject, AppError> {
        let scope = scope_or_own(asked.scope, caller.principal());
        let scope = parse_scope(catalog, "scope", &scope)?;
        let plan = find_plan(catalog, asked.plan_code)?;
        let period = find_period(catalog, asked.period_code)?;
        // Where in the catalogue the entries found stand (the same entries, not equal ones).
        let plan_at = catalog
            .plans
            .iter()
            .position(|entry| std::ptr::eq(entry, plan));
        let period_at = catalog
            .periods
            .iter()
            .position(|entry| std::ptr::eq(entry, period));
        let (Some(plan_at), Some(period_at)) = (plan_at, period_at) else {
            return Err(AppError::Internal(
                "a plan or period found in the catalogue is not among its entries".into(),
            ));
        };
        Ok(Subject {
            catalog: catalog.clone(),
            plan_at,
            period_at,
            scope,
            boundaries: asked.boundaries,
        })
    }

    pub(super) fn plan(&self) -> &Plan {
        &self.catalog.plans[self.plan_at]
    }

    pub(super) fn period(&self) -> &Period {
        &self.catalog.periods[self.period_at]
    }

    pub(super) fn key(&self) -> FiguresKey {
        (
            self.plan().code.clone(),
            self.period().code.clone(),
            self.scope.clone(),
            self.boundaries,
        )
    }

    pub(super) fn about(&self) -> PeriodAndScope<'_> {
        PeriodAndScope {
            period: self.period(),
            scope: &self.scope,
            boundaries: self.boundaries,
        }
    }

    /// Every target's figures, from scratch.
    pub(super) fn build(&self, catalog: &Catalog, reports: &ReportSnapshot) -> PlanFigures {
        let targets: Vec<&Target> = self.plan().targets.iter().collect();
        PlanFigures::build(catalog, reports, self.plan(), &targets, self.about())
    }

    /// The summaries of every target (or of one), and the reports they looked up.
    pub(super) fn summarize(
        &self,
        catalog: &Catalog,
        reports: &ReportSnapshot,
        only_target: Option<&str>,
        describe_agencies: bool,
    ) -> Result<(Vec<TargetSummary>, ReportsRead), AppError> {
        let targets: Vec<&Target> = match only_target {
            Some(code) => vec![find_target(self.plan(), code)?],
            None => self.plan().targets.iter().collect(),
        };
        Ok(summary::summarize(
            catalog,
            reports,
            self.plan(),
            &targets,
            self.about(),
            describe_agencies,
        ))
    }
}
