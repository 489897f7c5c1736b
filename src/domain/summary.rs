//! Summaries: a target's figure for a plan, period and scope, with its status and what explains
//! it; and the reporting status of a period. Pure: the caller hands in the catalogue and the latest
//! report of every agency for the periods involved.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::catalog::Catalog;
use super::evaluation::{
    AgencyPart, AgencyResult, BaselineValue, EvaluationInputs, ExpectedAgency, TargetEvaluation,
    agency_part, evaluate, in_population,
};
use super::period::Period;
use super::plan::{Baseline, Condition, Plan, Target, TargetRule};
use super::projection::{Projection, project};
use super::ratio::Ratio;
use super::report::{AnnualReport, FieldValue};
use super::scope::{Absence, Boundaries, Coverage, Scope, made_of};
use super::status::{Assessment, assess, requirement};

/// The latest revision of one agency's report for one period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatestReport {
    pub submission_id: i64,
    pub revision: i32,
    pub report: AnnualReport,
    /// When the first revision arrived, and whether that was late.
    pub first_received_at: DateTime<Utc>,
    pub first_late: bool,
}

/// The latest report of every agency that reported, period by period, and the change-feed
/// position they are complete up to. Lookups borrow their keys: no allocation per agency read.
///
/// The maps are persistent (structurally shared): a copy costs nothing, and changing it costs the
/// path to one entry, so the read model can apply a new report to a snapshot that readers still
/// hold without copying every agency's report.
#[derive(Debug, Clone, Default)]
pub struct ReportSnapshot {
    by_period: imbl::HashMap<String, imbl::HashMap<String, Arc<LatestReport>>>,
    /// Every submission at or before this change-feed position is included, none after it.
    pub data_as_of: i64,
}

impl ReportSnapshot {
    pub fn new(data_as_of: i64) -> ReportSnapshot {
        ReportSnapshot {
            by_period: imbl::HashMap::new(),
            data_as_of,
        }
    }

    pub fn latest(&self, period_code: &str, agency_code: &str) -> Option<&LatestReport> {
        self.by_period
            .get(period_code)?
            .get(agency_code)
            .map(|latest| latest.as_ref())
    }

    /// The same snapshot with only the latest reports `keep` keeps; the others count as not
    /// reported.
    pub fn retain(&self, keep: impl Fn(&LatestReport) -> bool) -> ReportSnapshot {
        let by_period = self
            .by_period
            .iter()
            .map(|(period, agencies)| {
                let kept = agencies
                    .iter()
                    .filter(|(_, latest)| keep(latest))
                    .map(|(agency, latest)| (agency.clone(), latest.clone()))
                    .collect();
                (period.clone(), kept)
            })
            .collect();
        ReportSnapshot {
            by_period,
            data_as_of: self.data_as_of,
        }
    }

    /// Records the latest report of an agency for a period, replacing the one before.
    pub fn insert(&mut self, period_code: &str, agency_code: &str, latest: LatestReport) {
        let period = match self.by_period.get_mut(period_code) {
            Some(period) => period,
            None => self.by_period.entry(period_code.to_string()).or_default(),
        };
        period.insert(agency_code.to_string(), Arc::new(latest));
    }
}

/// A target's figure for a plan, period and scope.
#[derive(Debug, Clone)]
pub struct TargetSummary {
    pub plan_code: String,
    pub target: Target,
    pub period_code: String,
    pub year: i32,
    pub scope: Scope,
    pub boundaries: Boundaries,
    /// Set when the scope's organisation did not exist when the boundaries take it: it covers
    /// nothing this period.
    pub absence: Option<Absence>,
    pub evaluation: TargetEvaluation,
    /// The share over the same scope in the previous period, if that period had reports.
    pub previous_share: Option<Ratio>,
    /// The shares over the same scope in every period of the catalogue up to this one, by year:
    /// the years whose period had reports (under the same boundaries, as the trend reads them).
    pub history: BTreeMap<i32, YearShare>,
    /// Where the target's milestones stand: met or missed, or on pace or not at the trend of
    /// `history`.
    pub projection: Projection,
    pub assessment: Assessment,
    pub data_as_of: i64,
}

/// A target's share in one year: numerator over denominator.
#[derive(Debug, Clone, Copy)]
pub struct YearShare {
    pub numerator: i128,
    pub denominator: i128,
    pub share: Ratio,
}

/// The reports a computation looked up (whether or not the agency had reported), by period: what
/// a caller must reach to be shown its result, since a figure can reveal any report behind it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportsRead(BTreeMap<String, BTreeSet<String>>);

impl ReportsRead {
    /// Notes a look-up; allocates only the first time a period or agency is seen, since the
    /// targets of a plan look up the same agencies again and again.
    fn record(&mut self, period_code: &str, agency_code: &str) {
        let agencies = match self.0.get_mut(period_code) {
            Some(agencies) => agencies,
            None => self.0.entry(period_code.to_string()).or_default(),
        };
        if !agencies.contains(agency_code) {
            agencies.insert(agency_code.to_string());
        }
    }

    /// Adds the look-ups of another computation.
    pub fn extend(&mut self, other: ReportsRead) {
        for (period, agencies) in other.0 {
            self.0.entry(period).or_default().extend(agencies);
        }
    }

    /// Each period's code with the agencies looked up in it.
    pub fn by_period(&self) -> impl Iterator<Item = (&str, &BTreeSet<String>)> {
        self.0
            .iter()
            .map(|(period, agencies)| (period.as_str(), agencies))
    }
}

fn period_of_year(catalog: &Catalog, year: i32) -> Option<&Period> {
    catalog.periods.iter().find(|period| period.year == year)
}

/// What figures are about: a period, and a scope read within boundaries.
#[derive(Debug, Clone, Copy)]
pub struct PeriodAndScope<'a> {
    pub period: &'a Period,
    pub scope: &'a Scope,
    pub boundaries: Boundaries,
}

/// Summarises targets of a plan for a period and scope read within `boundaries`; with
/// `describe_agencies`, each summary also lists every agency behind the figure with its value in
/// words. The agencies in scope and their reports are looked up once per period (this one, and
/// every earlier one for the history and the projection, under the same boundaries), and shared
/// by the targets. Also returns every report the figures looked up.
///
/// Without `describe_agencies`, this is [`PlanFigures`] built from scratch: the figures a server
/// keeps up to date report by report are the same as these by construction.
pub fn summarize(
    catalog: &Catalog,
    snapshot: &ReportSnapshot,
    plan: &Plan,
    targets: &[&Target],
    about: PeriodAndScope<'_>,
    describe_agencies: bool,
) -> (Vec<TargetSummary>, ReportsRead) {
    if !describe_agencies {
        let figures = PlanFigures::build(catalog, snapshot, plan, targets, about);
        return (figures.summaries(), figures.reads.as_ref().clone());
    }
    let PeriodAndScope {
        period,
        scope,
        boundaries,
    } = about;
    let reads = RefCell::new(ReportsRead::default());
    let coverage = scope.in_period(catalog, boundaries, period);
    let current = expected_agencies(snapshot, period, &coverage, &reads);
    let earlier: Vec<_> = catalog
        .periods
        .iter()
        .filter(|earlier| earlier.year < period.year)
        .map(|earlier| {
            let coverage = scope.in_previous_period(catalog, boundaries, period, earlier);
            let agencies = expected_agencies(snapshot, earlier, &coverage, &reads);
            (earlier, agencies)
        })
        .collect();
    let this_period = Evaluating {
        catalog,
        snapshot,
        period,
        reads: &reads,
    };
    let summaries = targets
        .iter()
        .map(|target| {
            let evaluation = this_period.evaluate(target, &current, describe_agencies);
            let history = earlier
                .iter()
                .filter_map(|(earlier, agencies)| {
                    let earlier_period = Evaluating {
                        period: earlier,
                        ..this_period
                    };
                    let evaluation = earlier_period.evaluate(target, agencies, false);
                    let share = year_share(
                        evaluation.reporting,
                        evaluation.numerator,
                        evaluation.denominator,
                    )?;
                    Some((earlier.year, share))
                })
                .collect();
            target_summary(
                &plan.code,
                target,
                about,
                coverage.absence.clone(),
                evaluation,
                history,
                snapshot.data_as_of,
            )
        })
        .collect();
    (summaries, reads.into_inner())
}

/// A year's share, if the period had reports in the scope and a share to give.
fn year_share(reporting: usize, numerator: i128, denominator: i128) -> Option<YearShare> {
    if reporting == 0 {
        return None;
    }
    Ratio::new(numerator, denominator).map(|share| YearShare {
        numerator,
        denominator,
        share,
    })
}

/// A target's summary from its evaluation this period and its shares in earlier years: the
/// history, the projection and the status.
fn target_summary(
    plan_code: &str,
    target: &Target,
    about: PeriodAndScope<'_>,
    absence: Option<Absence>,
    evaluation: TargetEvaluation,
    mut history: BTreeMap<i32, YearShare>,
    data_as_of: i64,
) -> TargetSummary {
    let PeriodAndScope {
        period,
        scope,
        boundaries,
    } = about;
    let previous_share = history.get(&(period.year - 1)).map(|year| year.share);
    let this_year = year_share(
        evaluation.reporting,
        evaluation.numerator,
        evaluation.denominator,
    );
    let share = this_year.map(|year| year.share);
    if let Some(this_year) = this_year {
        history.insert(period.year, this_year);
    }
    let shares = history
        .iter()
        .map(|(year, figure)| (*year, figure.share))
        .collect();
    let projection = project(&shares, period.year, &target.milestones);
    let assessment = assess(share, previous_share, period.year, &target.milestones);
    TargetSummary {
        plan_code: plan_code.to_string(),
        target: target.clone(),
        period_code: period.code.clone(),
        year: period.year,
        scope: scope.clone(),
        boundaries,
        absence,
        evaluation,
        previous_share,
        history,
        projection,
        assessment,
        data_as_of,
    }
}

/// The figures behind a plan's summaries for one period and scope, agency by agency and period
/// by period (this one and every earlier one), kept so that new reports update them in time
/// proportional to what they touch, not to the agencies in scope.
///
/// Each target's figure in each period is the sum of its agencies' parts
/// ([`agency_part`]). A new latest report of agency A for period P changes the part
/// of every agency whose figure reads that report: A itself in P, and, for growth targets, the
/// agencies whose baseline sums A's P report. Those are known when the figures are built, from
/// the catalogue alone; so are the reports a reader must reach to be shown them.
#[derive(Debug, Clone)]
pub struct PlanFigures {
    plan_code: String,
    targets: Vec<Target>,
    period: Period,
    scope: Scope,
    boundaries: Boundaries,
    absence: Option<Absence>,
    /// Every period of the catalogue up to this one, oldest first; the last is this one.
    slots: Vec<Slot>,
    /// For each report: the (slot, agency) whose parts read it.
    dependents: Dependents,
    /// Every report the figures read, or would read once it arrives: known from the catalogue
    /// alone, so shared, unchanged, by every update.
    reads: Arc<ReportsRead>,
    /// The change-feed position the figures include every report up to.
    pub data_as_of: i64,
}

/// Which parts read which report. Reports are named by small indices into the period and agency
/// codes met, rather than by their codes: the country's figures read some 40 000 reports (8 000
/// agencies in every period to date), and this keeps the map of them a third of the size.
#[derive(Debug, Clone, Default)]
struct Dependents {
    period_codes: Vec<String>,
    agency_indices: HashMap<String, u32>,
    /// (period index, agency index) of a report: the (slot, agency) of each part that reads it.
    parts: HashMap<(u32, u32), Vec<(u32, u32)>>,
}

impl Dependents {
    /// Notes that the part of (slot, agency) reads `agency_code`'s report for `period_code`.
    fn add(&mut self, period_code: &str, agency_code: &str, slot: usize, agency: usize) {
        let period = match self
            .period_codes
            .iter()
            .position(|code| code == period_code)
        {
            Some(index) => index,
            None => {
                self.period_codes.push(period_code.to_string());
                self.period_codes.len() - 1
            }
        };
        let next = self.agency_indices.len();
        let agency_index = match self.agency_indices.get(agency_code) {
            Some(index) => *index,
            None => *self
                .agency_indices
                .entry(agency_code.to_string())
                .or_insert(index_u32(next)),
        };
        self.parts
            .entry((index_u32(period), agency_index))
            .or_default()
            .push((index_u32(slot), index_u32(agency)));
    }

    /// The (slot, agency) of each part that reads `agency_code`'s report for `period_code`.
    fn of(&self, period_code: &str, agency_code: &str) -> impl Iterator<Item = (usize, usize)> {
        let period = self
            .period_codes
            .iter()
            .position(|code| code == period_code);
        let agency = self.agency_indices.get(agency_code);
        let parts = match (period, agency) {
            (Some(period), Some(agency)) => self.parts.get(&(index_u32(period), *agency)),
            _ => None,
        };
        parts
            .into_iter()
            .flatten()
            .map(|(slot, agency)| (*slot as usize, *agency as usize))
    }
}

/// An index of periods or agencies. Those index vectors of organisations and periods held in
/// memory, so they stay far below `u32::MAX` (2^32 agencies would take hundreds of GiB).
fn index_u32(index: usize) -> u32 {
    index as u32
}

/// One period's agencies and each target's figure over them.
#[derive(Debug, Clone)]
struct Slot {
    period: Period,
    agencies: Vec<SlotAgency>,
    /// One per target, in the targets' order.
    figures: Vec<SumOfParts>,
}

/// What a part needs of an agency: its name only words the drill-down, which these figures
/// never do.
#[derive(Debug, Clone)]
struct SlotAgency {
    code: String,
    publishes_electronic_press: bool,
}

/// A target's figure in one period as the sum of its agencies' parts.
#[derive(Debug, Clone, Default)]
struct SumOfParts {
    /// By the slot's agency index; `None` for an agency outside the target's population.
    parts: Vec<Option<AgencyPart>>,
    expected: usize,
    reporting: usize,
    evaluated: usize,
    numerator: i128,
    denominator: i128,
    evaluated_denominator: i128,
    missing: BTreeSet<String>,
    not_evaluable: BTreeMap<String, String>,
}

impl SumOfParts {
    /// Adds (`sign` 1) or takes away (`sign` -1) one agency's part.
    fn apply(&mut self, code: &str, part: &AgencyPart, sign: i128) {
        let count = |count: &mut usize, counts: bool| {
            if counts {
                *count = if sign > 0 { *count + 1 } else { *count - 1 };
            }
        };
        count(&mut self.expected, true);
        count(&mut self.reporting, part.reporting);
        count(&mut self.evaluated, part.evaluated);
        self.numerator += sign * part.numerator;
        self.denominator += sign * part.denominator;
        self.evaluated_denominator += sign * part.evaluated_denominator();
        if part.missing {
            if sign > 0 {
                self.missing.insert(code.to_string());
            } else {
                self.missing.remove(code);
            }
        }
        if let Some(why) = &part.not_evaluable {
            if sign > 0 {
                self.not_evaluable.insert(code.to_string(), why.clone());
            } else {
                self.not_evaluable.remove(code);
            }
        }
    }

    /// Puts `part` in the place of the agency's part.
    fn replace(&mut self, index: usize, code: &str, part: Option<AgencyPart>) {
        if let Some(old) = self.parts[index].take() {
            self.apply(code, &old, -1);
        }
        if let Some(new) = &part {
            self.apply(code, new, 1);
        }
        self.parts[index] = part;
    }

    fn evaluation(&self) -> TargetEvaluation {
        TargetEvaluation {
            expected: self.expected,
            reporting: self.reporting,
            evaluated: self.evaluated,
            numerator: self.numerator,
            denominator: self.denominator,
            evaluated_denominator: self.evaluated_denominator,
            missing: self.missing.iter().cloned().collect(),
            not_evaluable: self
                .not_evaluable
                .iter()
                .map(|(code, why)| (code.clone(), why.clone()))
                .collect(),
            agencies: Vec::new(),
        }
    }
}

impl PlanFigures {
    /// The figures of `targets` (of `plan`) for a period and scope, from scratch.
    pub fn build(
        catalog: &Catalog,
        snapshot: &ReportSnapshot,
        plan: &Plan,
        targets: &[&Target],
        about: PeriodAndScope<'_>,
    ) -> PlanFigures {
        let PeriodAndScope {
            period,
            scope,
            boundaries,
        } = about;
        let coverage = scope.in_period(catalog, boundaries, period);
        let absence = coverage.absence.clone();
        let mut periods: Vec<(&Period, Coverage<'_>)> = catalog
            .periods
            .iter()
            .filter(|earlier| earlier.year < period.year)
            .map(|earlier| {
                let coverage = scope.in_previous_period(catalog, boundaries, period, earlier);
                (earlier, coverage)
            })
            .collect();
        periods.sort_by_key(|(earlier, _)| earlier.year);
        periods.push((period, coverage));
        let baselines = growth_baselines(targets);
        let mut figures = PlanFigures {
            plan_code: plan.code.clone(),
            targets: targets.iter().map(|target| (*target).clone()).collect(),
            period: period.clone(),
            scope: scope.clone(),
            boundaries,
            absence,
            slots: Vec::with_capacity(periods.len()),
            dependents: Dependents::default(),
            reads: Arc::new(ReportsRead::default()),
            data_as_of: snapshot.data_as_of,
        };
        for (slot_index, (slot_period, coverage)) in periods.into_iter().enumerate() {
            let agencies: Vec<SlotAgency> = coverage
                .agencies
                .iter()
                .map(|(organization, version)| SlotAgency {
                    code: organization.code.clone(),
                    publishes_electronic_press: version.publishes_electronic_press,
                })
                .collect();
            for (agency_index, agency) in agencies.iter().enumerate() {
                figures.depends(slot_period, &agency.code, slot_index, agency_index);
                for baseline in &baselines {
                    let Some((baseline_period, components)) =
                        baseline_components(catalog, slot_period, &agency.code, *baseline)
                    else {
                        continue;
                    };
                    for component in &components {
                        figures.depends(baseline_period, component, slot_index, agency_index);
                    }
                }
            }
            let empty = SumOfParts {
                parts: vec![None; agencies.len()],
                ..SumOfParts::default()
            };
            figures.slots.push(Slot {
                period: slot_period.clone(),
                figures: vec![empty; targets.len()],
                agencies,
            });
            for agency_index in 0..figures.slots[slot_index].agencies.len() {
                figures.update_part(catalog, snapshot, slot_index, agency_index);
            }
        }
        figures
    }

    /// Notes that the part of (slot, agency) reads `agency_code`'s report for `period`.
    fn depends(&mut self, period: &Period, agency_code: &str, slot: usize, agency: usize) {
        Arc::make_mut(&mut self.reads).record(&period.code, agency_code);
        self.dependents.add(&period.code, agency_code, slot, agency);
    }

    /// Brings the figures up to `snapshot`, which differs from what they were built or last
    /// updated from only in the latest reports of `changed` (period code, agency code) and in
    /// its position. The catalogue must be the one they were built from.
    pub fn update(
        &mut self,
        catalog: &Catalog,
        snapshot: &ReportSnapshot,
        changed: &[(String, String)],
    ) {
        let mut touched: BTreeSet<(usize, usize)> = BTreeSet::new();
        for (period_code, agency_code) in changed {
            touched.extend(self.dependents.of(period_code, agency_code));
        }
        for (slot, agency) in touched {
            self.update_part(catalog, snapshot, slot, agency);
        }
        self.data_as_of = snapshot.data_as_of;
    }

    /// Recomputes one agency's part in every target's figure of one slot.
    fn update_part(
        &mut self,
        catalog: &Catalog,
        snapshot: &ReportSnapshot,
        slot_index: usize,
        agency_index: usize,
    ) {
        let slot = &mut self.slots[slot_index];
        let agency = &slot.agencies[agency_index];
        let expected = ExpectedAgency {
            code: &agency.code,
            name: "",
            publishes_electronic_press: agency.publishes_electronic_press,
            report: snapshot
                .latest(&slot.period.code, &agency.code)
                .map(|latest| &latest.report),
        };
        // The look-ups are known already (`reads`): these are not recorded again.
        let unrecorded = RefCell::new(ReportsRead::default());
        let evaluating = Evaluating {
            catalog,
            snapshot,
            period: &slot.period,
            reads: &unrecorded,
        };
        for (target, figure) in self.targets.iter().zip(&mut slot.figures) {
            let baseline = |agency: &str, indicator: &str, baseline: Baseline| {
                baseline_value(&evaluating, agency, indicator, baseline)
            };
            let part = in_population(&target.rule, &expected).then(|| {
                let inputs = evaluating.inputs(target, &baseline, false);
                agency_part(&target.rule, &expected, &inputs).1
            });
            figure.replace(agency_index, expected.code, part);
        }
    }

    /// Every report the figures read: what a reader must reach to be shown them.
    pub fn reads(&self) -> &Arc<ReportsRead> {
        &self.reads
    }

    /// The summaries, one per target in the targets' order.
    pub fn summaries(&self) -> Vec<TargetSummary> {
        let about = PeriodAndScope {
            period: &self.period,
            scope: &self.scope,
            boundaries: self.boundaries,
        };
        let Some((current, earlier)) = self.slots.split_last() else {
            return Vec::new();
        };
        self.targets
            .iter()
            .enumerate()
            .map(|(index, target)| {
                let history = earlier
                    .iter()
                    .filter_map(|slot| {
                        let figure = &slot.figures[index];
                        let share =
                            year_share(figure.reporting, figure.numerator, figure.denominator)?;
                        Some((slot.period.year, share))
                    })
                    .collect();
                target_summary(
                    &self.plan_code,
                    target,
                    about,
                    self.absence.clone(),
                    current.figures[index].evaluation(),
                    history,
                    self.data_as_of,
                )
            })
            .collect()
    }
}

/// The baselines the growth targets among `targets` measure against, each once.
fn growth_baselines(targets: &[&Target]) -> Vec<Baseline> {
    fn collect(condition: &Condition, found: &mut Vec<Baseline>) {
        match condition {
            Condition::GrowthAtLeastParameter { baseline, .. } => {
                if !found.contains(baseline) {
                    found.push(*baseline);
                }
            }
            Condition::All { all } => all.iter().for_each(|part| collect(part, found)),
            Condition::Yes { .. } | Condition::AtLeast { .. } => {}
        }
    }
    let mut found = Vec::new();
    for target in targets {
        if let TargetRule::AgencyShare { condition, .. } = &target.rule {
            collect(condition, &mut found);
        }
    }
    found
}

/// The baseline period of `baseline` for `period`, and the organisations an agency's baseline
/// sums there ([`baseline_value`]); `None` when the catalogue has no such period.
fn baseline_components<'a>(
    catalog: &'a Catalog,
    period: &Period,
    agency_code: &str,
    baseline: Baseline,
) -> Option<(&'a Period, BTreeSet<String>)> {
    let year = match baseline {
        Baseline::PreviousYear => period.year - 1,
        Baseline::Year(year) => year,
    };
    let baseline_period = period_of_year(catalog, year)?;
    let components = made_of(
        catalog,
        agency_code,
        baseline_period.reference_date(),
        Some(period.reference_date()),
    );
    Some((baseline_period, components))
}

/// One agency's standing against a target in a period, read exactly as the drill-down reads it
/// (its latest report, its baselines summed over what it was made of), but against
/// `parameter_bp` and `required` as given: the plan's requirement for the year, or the agency's
/// own commitment. `None` when the agency does not exist on the period's reference date or is
/// not in the target's population then. Also returns every report it looked up.
pub fn agency_standing(
    catalog: &Catalog,
    snapshot: &ReportSnapshot,
    period: &Period,
    target: &Target,
    agency_code: &str,
    parameter_bp: Option<u32>,
    required: Option<Ratio>,
) -> (Option<AgencyResult>, ReportsRead) {
    let reads = RefCell::new(ReportsRead::default());
    let found = catalog.organization(agency_code).and_then(|organization| {
        let version = organization.version_on(period.reference_date())?;
        reads.borrow_mut().record(&period.code, &organization.code);
        let agency = ExpectedAgency {
            code: &organization.code,
            name: &version.name,
            publishes_electronic_press: version.publishes_electronic_press,
            report: snapshot
                .latest(&period.code, &organization.code)
                .map(|latest| &latest.report),
        };
        if !in_population(&target.rule, &agency) {
            return None;
        }
        let evaluating = Evaluating {
            catalog,
            snapshot,
            period,
            reads: &reads,
        };
        let baseline = |agency: &str, indicator: &str, baseline: Baseline| {
            baseline_value(&evaluating, agency, indicator, baseline)
        };
        let inputs = EvaluationInputs {
            parameter_bp,
            required,
            baseline: &baseline,
            describe_agencies: true,
        };
        Some(agency_part(&target.rule, &agency, &inputs).0)
    });
    (found, reads.into_inner())
}

/// The agencies a scope covers in a period, each with its latest report, if any.
fn expected_agencies<'a>(
    snapshot: &'a ReportSnapshot,
    period: &Period,
    coverage: &Coverage<'a>,
    reads: &RefCell<ReportsRead>,
) -> Vec<ExpectedAgency<'a>> {
    let mut reads = reads.borrow_mut();
    coverage
        .agencies
        .iter()
        .map(|(organization, version)| {
            reads.record(&period.code, &organization.code);
            ExpectedAgency {
                code: &organization.code,
                name: &version.name,
                publishes_electronic_press: version.publishes_electronic_press,
                report: snapshot
                    .latest(&period.code, &organization.code)
                    .map(|latest| &latest.report),
            }
        })
        .collect()
}

/// What evaluating a target in one period needs, and where its look-ups are recorded.
#[derive(Clone, Copy)]
struct Evaluating<'a> {
    catalog: &'a Catalog,
    snapshot: &'a ReportSnapshot,
    period: &'a Period,
    reads: &'a RefCell<ReportsRead>,
}

impl Evaluating<'_> {
    /// The inputs of a target's rule this period, with `baseline` as the baseline reader.
    fn inputs<'b>(
        &self,
        target: &Target,
        baseline: &'b dyn Fn(&str, &str, Baseline) -> BaselineValue,
        describe_agencies: bool,
    ) -> EvaluationInputs<'b> {
        let requirement = requirement(&target.milestones, self.period.year);
        EvaluationInputs {
            parameter_bp: requirement.parameter_bp,
            required: requirement.required,
            baseline,
            describe_agencies,
        }
    }

    /// A target's evaluation over the agencies expected to report for the period.
    fn evaluate(
        &self,
        target: &Target,
        agencies: &[ExpectedAgency<'_>],
        describe_agencies: bool,
    ) -> TargetEvaluation {
        let baseline = |agency: &str, indicator: &str, baseline: Baseline| {
            baseline_value(self, agency, indicator, baseline)
        };
        let inputs = self.inputs(target, &baseline, describe_agencies);
        evaluate(&target.rule, agencies, &inputs)
    }
}

/// An agency's baseline: the indicator summed over what the agency was made of in the evaluated
/// period, as those organisations stood in the baseline period (itself if it existed then, and
/// every organisation it had absorbed or merged from by the evaluated period's reference date:
/// [`made_of`]), provided every one of them reported it. A merger that takes effect after the
/// evaluated period does not touch its baseline.
fn baseline_value(
    evaluating: &Evaluating<'_>,
    agency_code: &str,
    indicator: &str,
    baseline: Baseline,
) -> BaselineValue {
    let Evaluating {
        catalog,
        snapshot,
        period,
        reads,
    } = *evaluating;
    let year = match baseline {
        Baseline::PreviousYear => period.year - 1,
        Baseline::Year(year) => year,
    };
    let Some(baseline_period) = period_of_year(catalog, year) else {
        return BaselineValue::Unknown(format!("no reporting period for {year}"));
    };
    let components = made_of(
        catalog,
        agency_code,
        baseline_period.reference_date(),
        Some(period.reference_date()),
    );
    if components.is_empty() {
        return BaselineValue::Unknown(format!("neither it nor a predecessor existed in {year}"));
    }
    let mut sum: i128 = 0;
    let mut missing = Vec::new();
    for code in &components {
        reads.borrow_mut().record(&baseline_period.code, code);
        match snapshot
            .latest(&baseline_period.code, code)
            .map(|latest| latest.report.value_of(indicator))
        {
            Some(FieldValue::Number(value)) => sum += i128::from(value),
            _ => missing.push(code.as_str()),
        }
    }
    if missing.is_empty() {
        BaselineValue::Sum(sum)
    } else {
        BaselineValue::Unknown(format!(
            "no {indicator} reported for {year} by {}",
            missing.join(", ")
        ))
    }
}

/// Who was expected to report for a period in a scope, and who did, on time or late.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportingStatus {
    pub period_code: String,
    pub scope: Scope,
    pub boundaries: Boundaries,
    /// Set when the scope's organisation did not exist when the boundaries take it.
    pub absence: Option<Absence>,
    /// Every agency expected, with its name and where it stands.
    pub agencies: Vec<AgencyReporting>,
    pub data_as_of: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgencyReporting {
    pub code: String,
    pub name: String,
    /// `None` when it has not reported.
    pub latest: Option<LatestReport>,
}

impl ReportingStatus {
    pub fn expected(&self) -> usize {
        self.agencies.len()
    }

    pub fn received(&self) -> usize {
        self.agencies.iter().filter(|a| a.latest.is_some()).count()
    }

    /// Received with the first revision by the deadline; a later correction does not make a report
    /// late.
    pub fn on_time(&self) -> usize {
        self.agencies
            .iter()
            .filter(|a| a.latest.as_ref().is_some_and(|latest| !latest.first_late))
            .count()
    }

    pub fn late(&self) -> usize {
        self.received() - self.on_time()
    }

    pub fn missing(&self) -> Vec<&AgencyReporting> {
        self.agencies
            .iter()
            .filter(|a| a.latest.is_none())
            .collect()
    }

    /// DHIS2's reporting rate: received over expected.
    pub fn reporting_rate(&self) -> Option<Ratio> {
        Ratio::new(self.received() as i128, self.expected() as i128)
    }

    /// DHIS2's reporting rate on time: received on time over expected.
    pub fn reporting_rate_on_time(&self) -> Option<Ratio> {
        Ratio::new(self.on_time() as i128, self.expected() as i128)
    }
}

pub fn reporting_status(
    catalog: &Catalog,
    snapshot: &ReportSnapshot,
    about: PeriodAndScope<'_>,
) -> ReportingStatus {
    let PeriodAndScope {
        period,
        scope,
        boundaries,
    } = about;
    let coverage = scope.in_period(catalog, boundaries, period);
    let agencies = coverage
        .agencies
        .iter()
        .map(|(organization, version)| AgencyReporting {
            code: organization.code.clone(),
            name: version.name.clone(),
            latest: snapshot.latest(&period.code, &organization.code).cloned(),
        })
        .collect();
    ReportingStatus {
        period_code: period.code.clone(),
        scope: scope.clone(),
        boundaries,
        absence: coverage.absence,
        agencies,
        data_as_of: snapshot.data_as_of,
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone};
    use proptest::prelude::*;

    use super::*;
    use crate::catalog_file::{self, DEFAULT_CATALOG};
    use crate::domain::organization::OrganizationKind;
    use crate::domain::report::StaffCounts;

    /// A report whose every figure the targets read varies with `seed`: yes and no, revenue up,
    /// down or missing (growth not evaluable), staff counts missing (people share not
    /// evaluable), security levels on both sides of 3.
    fn report(seed: u16) -> AnnualReport {
        let bit = |n: u16| Some(seed & (1 << n) != 0);
        let staff = |base: i64| StaffCounts {
            leaders: Some(base),
            reporters: Some(base * 4),
            editors: (seed % 7 != 0).then_some(base * 2),
            other: Some(base),
        };
        AnnualReport {
            content_on_digital_platforms: bit(0),
            central_data_platform: bit(1),
            ai_in_operations: bit(2),
            converged_newsroom: bit(3),
            revenue_vnd: (seed % 5 != 0).then(|| 1_000 + i64::from(seed % 13) * 150),
            headcount: staff(10),
            trained: staff(i64::from(seed % 11)),
            publishes_electronic_press: bit(4),
            security_level: Some(i64::from(seed % 5) + 1),
            ..AnnualReport::default()
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Figures kept up to date report by report equal figures built from scratch, for every
        /// plan, for scopes that a merger reshaped (the merged province, an agency that absorbed
        /// another, one formed by the merger), under both boundaries, after every step.
        #[test]
        fn figures_kept_up_to_date_equal_figures_built_from_scratch(
            steps in prop::collection::vec((any::<prop::sample::Index>(), 0_usize..4, any::<u16>()), 1..30)
        ) {
            let catalog = catalog_file::parse(DEFAULT_CATALOG).unwrap();
            let agencies: Vec<&str> = catalog
                .organizations
                .iter()
                .filter(|organization| organization.kind == OrganizationKind::PressAgency)
                .map(|organization| organization.code.as_str())
                .collect();
            let periods = ["2023", "2024", "2025", "2026"];
            let scopes = [
                Scope::Country,
                Scope::Province("ninh-binh-2025".into()),
                Scope::Province("nam-dinh".into()),
                Scope::Agency("bao-nam-dinh".into()),
                Scope::Agency("bao-ptth-ninh-binh-2025".into()),
            ];
            let boundaries = [
                Boundaries::Historical,
                Boundaries::Current { as_of: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap() },
            ];
            let mut snapshot = ReportSnapshot::new(0);
            let mut kept = Vec::new();
            for plan in &catalog.plans {
                let targets: Vec<&Target> = plan.targets.iter().collect();
                for period_code in ["2024", "2026"] {
                    let period = catalog.period(period_code).unwrap();
                    for scope in &scopes {
                        for boundaries in boundaries {
                            let about = PeriodAndScope { period, scope, boundaries };
                            kept.push((plan, about, PlanFigures::build(&catalog, &snapshot, plan, &targets, about)));
                        }
                    }
                }
            }
            let received = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
            for (position, (agency, period, seed)) in steps.into_iter().enumerate() {
                let agency = agency.get(&agencies);
                let period = periods[period];
                snapshot.insert(period, agency, LatestReport {
                    submission_id: position as i64 + 1,
                    revision: 1,
                    report: report(seed),
                    first_received_at: received,
                    first_late: false,
                });
                snapshot.data_as_of = position as i64 + 1;
                let changed = [(period.to_string(), agency.to_string())];
                for (plan, about, figures) in &mut kept {
                    figures.update(&catalog, &snapshot, &changed);
                    let targets: Vec<&Target> = plan.targets.iter().collect();
                    let fresh = PlanFigures::build(&catalog, &snapshot, plan, &targets, *about);
                    prop_assert_eq!(format!("{:?}", figures.summaries()), format!("{:?}", fresh.summaries()));
                    prop_assert_eq!(figures.reads(), fresh.reads());
                }
            }
        }
    }
}
