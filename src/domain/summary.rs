//! Summaries: a target's figure for a plan, period and scope, with its status and what explains
//! it; and the reporting status of a period. Pure: the caller hands in the catalogue and the latest
//! report of every agency for the periods involved.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::catalog::Catalog;
use super::evaluation::{
    BaselineValue, EvaluationInputs, ExpectedAgency, TargetEvaluation, evaluate,
};
use super::period::Period;
use super::plan::{Baseline, Plan, Target};
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
#[derive(Debug, Clone, Default)]
pub struct ReportSnapshot {
    by_period: HashMap<String, HashMap<String, Arc<LatestReport>>>,
    /// Every submission at or before this change-feed position is included, none after it.
    pub data_as_of: i64,
}

impl ReportSnapshot {
    pub fn new(data_as_of: i64) -> ReportSnapshot {
        ReportSnapshot {
            by_period: HashMap::new(),
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
/// words. The agencies in scope and their reports are looked up once, for this period and the one
/// before (the trend, under the same boundaries), and shared by the targets. Also returns every
/// report the figures looked up.
pub fn summarize(
    catalog: &Catalog,
    snapshot: &ReportSnapshot,
    plan: &Plan,
    targets: &[&Target],
    about: PeriodAndScope<'_>,
    describe_agencies: bool,
) -> (Vec<TargetSummary>, ReportsRead) {
    let PeriodAndScope {
        period,
        scope,
        boundaries,
    } = about;
    let reads = RefCell::new(ReportsRead::default());
    let coverage = scope.in_period(catalog, boundaries, period);
    let current = expected_agencies(snapshot, period, &coverage, &reads);
    // Every earlier period of the catalogue, read as the trend reads the previous one: the trend
    // and the projection stand on them.
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
            let share_of = |evaluation: &TargetEvaluation| {
                if evaluation.reporting == 0 {
                    None
                } else {
                    evaluation.share().map(|share| YearShare {
                        numerator: evaluation.numerator,
                        denominator: evaluation.denominator,
                        share,
                    })
                }
            };
            let mut history: BTreeMap<i32, YearShare> = earlier
                .iter()
                .filter_map(|(earlier, agencies)| {
                    let earlier_period = Evaluating {
                        period: earlier,
                        ..this_period
                    };
                    let share = share_of(&earlier_period.evaluate(target, agencies, false))?;
                    Some((earlier.year, share))
                })
                .collect();
            let previous_share = history.get(&(period.year - 1)).map(|year| year.share);
            let this_year = share_of(&evaluation);
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
                plan_code: plan.code.clone(),
                target: (*target).clone(),
                period_code: period.code.clone(),
                year: period.year,
                scope: scope.clone(),
                boundaries,
                absence: coverage.absence.clone(),
                evaluation,
                previous_share,
                history,
                projection,
                assessment,
                data_as_of: snapshot.data_as_of,
            }
        })
        .collect();
    (summaries, reads.into_inner())
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
    /// A target's evaluation over the agencies expected to report for the period.
    fn evaluate(
        &self,
        target: &Target,
        agencies: &[ExpectedAgency<'_>],
        describe_agencies: bool,
    ) -> TargetEvaluation {
        let requirement = requirement(&target.milestones, self.period.year);
        let baseline = |agency: &str, indicator: &str, baseline: Baseline| {
            baseline_value(self, agency, indicator, baseline)
        };
        let inputs = EvaluationInputs {
            parameter_bp: requirement.parameter_bp,
            required: requirement.required,
            baseline: &baseline,
            describe_agencies,
        };
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
