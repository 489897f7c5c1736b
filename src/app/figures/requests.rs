//! What the figures workflows are asked, and the subject it names once found in the catalogue.

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

/// What a request names, found in the catalogue once: every step after works on these.
#[derive(Clone)]
pub(super) struct Subject {
    pub(super) plan: Plan,
    pub(super) period: Period,
    pub(super) scope: Scope,
    pub(super) boundaries: Boundaries,
}

impl Subject {
    pub(super) fn resolve(
        catalog: &Catalog,
        asked: FiguresAsked<'_>,
        caller: &Caller,
    ) -> Result<Subject, AppError> {
        let scope = scope_or_own(asked.scope, caller.principal());
        let scope = parse_scope(catalog, "scope", &scope)?;
        let plan = find_plan(catalog, asked.plan_code)?.clone();
        let period = find_period(catalog, asked.period_code)?.clone();
        Ok(Subject {
            plan,
            period,
            scope,
            boundaries: asked.boundaries,
        })
    }

    pub(super) fn key(&self) -> FiguresKey {
        (
            self.plan.code.clone(),
            self.period.code.clone(),
            self.scope.clone(),
            self.boundaries,
        )
    }

    pub(super) fn about(&self) -> PeriodAndScope<'_> {
        PeriodAndScope {
            period: &self.period,
            scope: &self.scope,
            boundaries: self.boundaries,
        }
    }

    /// Every target's figures, from scratch.
    pub(super) fn build(&self, catalog: &Catalog, reports: &ReportSnapshot) -> PlanFigures {
        let targets: Vec<&Target> = self.plan.targets.iter().collect();
        PlanFigures::build(catalog, reports, &self.plan, &targets, self.about())
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
            Some(code) => vec![find_target(&self.plan, code)?],
            None => self.plan.targets.iter().collect(),
        };
        Ok(summary::summarize(
            catalog,
            reports,
            &self.plan,
            &targets,
            self.about(),
            describe_agencies,
        ))
    }
}
