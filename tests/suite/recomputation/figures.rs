//! How a figure is computed, as summary.proto words it: the requirement in force, baselines,
//! the judgement of each agency, the share, the trend and the status.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use pressdx::proto::{AnnualReport, StaffCounts, TargetStatus, scope_absence};

use super::catalog::{Condition, Model, Rule, Target};
use super::scopes::{Scope, Within};

impl Model {
    /// What applies in Y: the required share, and whether it was interpolated.
    pub(super) fn requirement(&self, target: &Target, year: i32) -> Option<(Frac, bool)> {
        if let Some(m) = target.milestones.iter().find(|m| m.year == year) {
            return Some((Frac::new(m.required_bp.into(), 10_000), false));
        }
        let before = target.milestones.iter().rev().find(|m| m.year < year)?;
        match target.milestones.iter().find(|m| m.year > year) {
            Some(after) => {
                let span = i128::from(after.year - before.year);
                let numerator = i128::from(before.required_bp) * span
                    + i128::from(after.required_bp - before.required_bp)
                        * i128::from(year - before.year);
                Some((Frac::new(numerator, span * 10_000), true))
            }
            None => Some((Frac::new(before.required_bp.into(), 10_000), false)),
        }
    }

    /// The parameter in force: that of the milestone of Y, else of the next milestone after Y,
    /// else of the last.
    pub(super) fn parameter(&self, target: &Target, year: i32) -> Option<i64> {
        let milestone = target
            .milestones
            .iter()
            .find(|m| m.year == year)
            .or_else(|| target.milestones.iter().find(|m| m.year > year))
            .or_else(|| target.milestones.last())?;
        milestone.parameter_bp
    }

    /// The baseline of a growth condition: x in the baseline period, summed over the
    /// organisations the agency was made of on its reference date, taken as it stood on the
    /// evaluated period's reference date, each by its own latest report.
    pub(super) fn baseline(
        &self,
        field: &str,
        agency: &str,
        year: i32,
        base_year: Option<i32>,
        reports: &Reports,
    ) -> Option<i128> {
        let base_year = base_year.unwrap_or(year - 1);
        let base = self.period(base_year)?;
        let reference = self.period(year)?.reference;
        let parts = self.made_of(agency, Some(reference), base.reference);
        if parts.is_empty() {
            return None;
        }
        if parts.len() > 1 || !parts.contains(agency) {
            self.count("growth: baseline of other organisations");
        }
        let mut sum = 0;
        for part in parts {
            sum += i128::from(number(reports.get(&(part, base_year))?, field)?);
        }
        Some(sum)
    }

    pub(super) fn judge(
        &self,
        target: &Target,
        condition: &Condition,
        agency: &str,
        year: i32,
        report: &AnnualReport,
        reports: &Reports,
    ) -> Judgement {
        let met = |yes: bool| {
            if yes {
                Judgement::Meets
            } else {
                Judgement::DoesNotMeet
            }
        };
        match condition {
            Condition::Yes(field) => met(boolean(report, field) == Some(true)),
            Condition::AtLeast(field, at_least) => {
                met(number(report, field).is_some_and(|x| x >= *at_least))
            }
            Condition::All(parts) => {
                let judgements: Vec<Judgement> = parts
                    .iter()
                    .map(|part| self.judge(target, part, agency, year, report, reports))
                    .collect();
                if judgements.contains(&Judgement::CannotBeJudged) {
                    Judgement::CannotBeJudged
                } else {
                    met(judgements.iter().all(|j| *j == Judgement::Meets))
                }
            }
            Condition::Growth(field, base_year) => {
                let Some(x) = number(report, field) else {
                    self.count("growth: x not set");
                    return Judgement::CannotBeJudged;
                };
                let Some(parameter) = self.parameter(target, year) else {
                    return Judgement::CannotBeJudged;
                };
                match self.baseline(field, agency, year, *base_year, reports) {
                    Some(baseline) if baseline > 0 => {
                        let growth = (i128::from(x) - baseline) * 10_000;
                        let needed = i128::from(parameter) * baseline;
                        self.count(match growth.cmp(&needed) {
                            Ordering::Less => "growth: short of the threshold",
                            Ordering::Equal => "growth: exactly the threshold",
                            Ordering::Greater => "growth: above the threshold",
                        });
                        met(growth >= needed)
                    }
                    Some(_) => {
                        self.count("growth: baseline not above zero");
                        Judgement::CannotBeJudged
                    }
                    None => {
                        self.count("growth: baseline unknown");
                        Judgement::CannotBeJudged
                    }
                }
            }
        }
    }

    /// How a figure is computed, over the agencies a scope covers.
    pub(super) fn figure(
        &self,
        target: &Target,
        year: i32,
        covered: &BTreeSet<String>,
        reports: &Reports,
    ) -> Figure {
        let reference = self.period(year).expect("a period").reference;
        let mut figure = Figure::default();
        for agency in covered {
            if target.electronic_only && !self.orgs[agency].on(reference).electronic {
                if reports
                    .get(&(agency.clone(), year))
                    .is_some_and(|report| report.publishes_electronic_press == Some(true))
                {
                    self.count("population: the catalogue, not the report, says electronic");
                }
                continue;
            }
            figure.expected += 1;
            let Some(report) = reports.get(&(agency.clone(), year)) else {
                figure.missing.insert(agency.clone());
                continue;
            };
            figure.reporting += 1;
            match &target.rule {
                Rule::Agencies(condition) => {
                    match self.judge(target, condition, agency, year, report, reports) {
                        Judgement::Meets => {
                            figure.numerator += 1;
                            figure.evaluated += 1;
                        }
                        Judgement::DoesNotMeet => figure.evaluated += 1,
                        Judgement::CannotBeJudged => {
                            figure.not_evaluable.insert(agency.clone());
                        }
                    }
                }
                Rule::People {
                    numerator,
                    denominator,
                } => {
                    let sum = |fields: &[String]| -> Option<i128> {
                        fields
                            .iter()
                            .map(|field| number(report, field).map(i128::from))
                            .sum()
                    };
                    match (sum(numerator), sum(denominator)) {
                        (Some(trained), Some(employed)) => {
                            figure.numerator += trained;
                            figure.denominator += employed;
                            figure.evaluated += 1;
                        }
                        _ => {
                            self.count("people: a count left unset");
                            figure.not_evaluable.insert(agency.clone());
                        }
                    }
                }
            }
        }
        match target.rule {
            Rule::Agencies(_) => {
                figure.denominator = figure.expected as i128;
                figure.evaluated_denominator = figure.evaluated as i128;
            }
            Rule::People { .. } => figure.evaluated_denominator = figure.denominator,
        }
        figure
    }

    pub(super) fn expected(
        &self,
        target: &Target,
        scope: &Scope,
        within: Within,
        year: i32,
        reports: &Reports,
    ) -> Expected {
        let reference = self.period(year).expect("a period").reference;
        let (covered, absence) = self.covers(scope, within, reference);
        let figure = self.figure(target, year, &covered, reports);
        let share = figure.share();
        let previous = self.period(year - 1).and_then(|previous| {
            let covered = self.previous_covers(scope, within, reference, previous.reference);
            self.figure(target, year - 1, &covered, reports).share()
        });
        let requirement = self.requirement(target, year);

        // Status, in the proto's order.
        let mut next = None;
        let mut needed = None;
        let mut observed = None;
        let status = 'status: {
            let Some(share) = share else {
                break 'status TargetStatus::NoData;
            };
            if let Some((required, _)) = requirement
                && share.cmp(required) != Ordering::Less
            {
                if share.cmp(required) == Ordering::Equal {
                    self.count("status: share exactly the requirement");
                }
                break 'status TargetStatus::Achieved;
            }
            let Some(milestone) = target
                .milestones
                .iter()
                .find(|m| m.year > year)
                .or_else(|| target.milestones.last())
            else {
                break 'status TargetStatus::NoTrend;
            };
            let next_share = Frac::new(milestone.required_bp.into(), 10_000);
            next = Some((milestone.year, next_share));
            let need = next_share
                .minus(share)
                .divided_by(i128::from((milestone.year - year).max(1)));
            needed = Some(need);
            let Some(previous) = previous else {
                break 'status TargetStatus::NoTrend;
            };
            let seen = share.minus(previous);
            observed = Some(seen);
            if seen.n < 0 {
                TargetStatus::Deterioration
            } else if need.n <= 0 || seen.n * 100 * need.d >= 95 * need.n * seen.d {
                TargetStatus::OnTrack
            } else if seen.n * 100 * need.d >= 60 * need.n * seen.d {
                TargetStatus::AccelerationNeeded
            } else {
                TargetStatus::LimitedProgress
            }
        };
        self.count(match status {
            TargetStatus::Achieved => "status: achieved",
            TargetStatus::OnTrack => "status: on track",
            TargetStatus::AccelerationNeeded => "status: acceleration needed",
            TargetStatus::LimitedProgress => "status: limited progress",
            TargetStatus::Deterioration => "status: deterioration",
            TargetStatus::NoData => "status: no data",
            TargetStatus::NoTrend => "status: no trend",
            TargetStatus::Unspecified => "status: unspecified",
        });
        Expected {
            figure,
            share,
            previous,
            status,
            requirement,
            parameter: self.parameter(target, year),
            next,
            needed,
            observed,
            absence,
        }
    }
}

pub(super) type Reports = BTreeMap<(String, i32), AnnualReport>;

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Judgement {
    Meets,
    DoesNotMeet,
    CannotBeJudged,
}

#[derive(Default)]
pub(super) struct Figure {
    pub(super) numerator: i128,
    pub(super) denominator: i128,
    pub(super) evaluated_denominator: i128,
    pub(super) expected: usize,
    pub(super) reporting: usize,
    pub(super) evaluated: usize,
    pub(super) missing: BTreeSet<String>,
    pub(super) not_evaluable: BTreeSet<String>,
}

impl Figure {
    /// share = numerator / denominator, none when the denominator is 0 or no agency reported.
    pub(super) fn share(&self) -> Option<Frac> {
        (self.reporting > 0 && self.denominator > 0)
            .then(|| Frac::new(self.numerator, self.denominator))
    }
}

pub(super) struct Absence {
    pub(super) code: String,
    pub(super) date: NaiveDate,
    pub(super) reason: scope_absence::Reason,
    pub(super) instead: BTreeSet<String>,
}

pub(super) struct Expected {
    pub(super) figure: Figure,
    pub(super) share: Option<Frac>,
    pub(super) previous: Option<Frac>,
    pub(super) status: TargetStatus,
    pub(super) requirement: Option<(Frac, bool)>,
    pub(super) parameter: Option<i64>,
    pub(super) next: Option<(i32, Frac)>,
    pub(super) needed: Option<Frac>,
    pub(super) observed: Option<Frac>,
    pub(super) absence: Option<Absence>,
}

/// An exact fraction, denominator positive.
#[derive(Clone, Copy)]
pub(super) struct Frac {
    pub(super) n: i128,
    pub(super) d: i128,
}

fn gcd(a: i128, b: i128) -> i128 {
    if b == 0 {
        a.abs().max(1)
    } else {
        gcd(b, a % b)
    }
}

impl Frac {
    pub(super) fn new(n: i128, d: i128) -> Frac {
        assert!(d != 0, "a fraction over zero");
        let sign = if d < 0 { -1 } else { 1 };
        let divisor = gcd(n, d);
        Frac {
            n: sign * n / divisor,
            d: sign * d / divisor,
        }
    }

    pub(super) fn minus(self, other: Frac) -> Frac {
        Frac::new(self.n * other.d - other.n * self.d, self.d * other.d)
    }

    pub(super) fn divided_by(self, by: i128) -> Frac {
        Frac::new(self.n, self.d * by)
    }

    pub(super) fn cmp(self, other: Frac) -> Ordering {
        (self.n * other.d).cmp(&(other.n * self.d))
    }

    pub(super) fn to_f64(self) -> f64 {
        self.n as f64 / self.d as f64
    }
}

/// A number field of a report by its indicator code.
pub(super) fn number(report: &AnnualReport, field: &str) -> Option<i64> {
    let staff = |counts: &Option<StaffCounts>, category: &str| {
        counts.as_ref().and_then(|counts| match category {
            "leaders" => counts.leaders,
            "reporters" => counts.reporters,
            "editors" => counts.editors,
            "other" => counts.other,
            other => panic!("no staff category {other}"),
        })
    };
    match field.split_once('.') {
        Some(("headcount", category)) => staff(&report.headcount, category),
        Some(("trained", category)) => staff(&report.trained, category),
        _ => match field {
            "revenue_vnd" => report.revenue_vnd,
            "digital_revenue_vnd" => report.digital_revenue_vnd,
            "security_level" => report.security_level,
            "digital_products_launched" => report.digital_products_launched,
            other => panic!("no number field {other}"),
        },
    }
}

/// A yes/no field of a report by its indicator code.
fn boolean(report: &AnnualReport, field: &str) -> Option<bool> {
    match field {
        "content_on_digital_platforms" => report.content_on_digital_platforms,
        "central_data_platform" => report.central_data_platform,
        "ai_in_operations" => report.ai_in_operations,
        "converged_newsroom" => report.converged_newsroom,
        "newsroom_management_platform" => report.newsroom_management_platform,
        "publishes_electronic_press" => report.publishes_electronic_press,
        "digital_radio_platform" => report.digital_radio_platform,
        "digital_tv_platform" => report.digital_tv_platform,
        other => panic!("no yes/no field {other}"),
    }
}
