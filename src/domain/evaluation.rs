//! Target evaluation: how many agencies of a population meet a target's rule on their latest
//! report (or, for people, how many of their staff are trained), agency by agency. Driven by the
//! target's rule from the catalogue: no target is a special case here.

use super::plan::{Baseline, Condition, Population, TargetRule};
use super::ratio::Ratio;
use super::report::{AnnualReport, FieldValue};

/// An agency expected to report for the period, with its latest report if it sent one.
#[derive(Debug, Clone, Copy)]
pub struct ExpectedAgency<'a> {
    pub code: &'a str,
    pub name: &'a str,
    /// From the catalogue, as the agency stood on the period's reference date.
    pub publishes_electronic_press: bool,
    pub report: Option<&'a AnnualReport>,
}

/// An agency's value of an indicator in the baseline period: the sum over the organisations it
/// stood for then (itself, or its predecessors), or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaselineValue {
    Sum(i128),
    Unknown(String),
}

/// Where an agency stands against a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgencyStanding {
    Meets,
    DoesNotMeet,
    /// It sent no report for the period.
    NotReported,
    /// It reported, but its value cannot be judged (no revenue baseline, say): never guessed.
    NotEvaluable(String),
}

/// One agency's part in a target's figure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgencyResult {
    pub code: String,
    pub name: String,
    pub standing: AgencyStanding,
    /// The value the rule read, in words ("yes", "3", "+25.00% (12 bn against 9.6 bn)", "45/80").
    pub value: String,
    /// For a people share: this agency's part of the numerator and denominator.
    pub people: Option<(i128, i128)>,
}

/// A target's figure over a population.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetEvaluation {
    /// Agencies in the population, reporting or not.
    pub expected: usize,
    /// Of those, agencies with a report for the period.
    pub reporting: usize,
    /// Of those, agencies whose value could be judged.
    pub evaluated: usize,
    /// Agencies meeting the rule, or people trained.
    pub numerator: i128,
    /// Every expected agency (non-reporting ones count as not meeting: the target is "x% of
    /// agencies"), or the people employed by the reporting agencies.
    pub denominator: i128,
    /// The denominator over evaluated agencies only (for agencies: `evaluated`).
    pub evaluated_denominator: i128,
    /// Expected agencies without a report.
    pub missing: Vec<String>,
    /// Reporting agencies whose value cannot be judged, with why.
    pub not_evaluable: Vec<(String, String)>,
    /// Every agency with its standing and value, when [`EvaluationInputs::describe_agencies`]
    /// asks for them (the drill-down); empty otherwise, since a figure alone needs none of it.
    pub agencies: Vec<AgencyResult>,
}

impl TargetEvaluation {
    /// The share over every expected agency (for people: over the people reported).
    pub fn share(&self) -> Option<Ratio> {
        Ratio::new(self.numerator, self.denominator)
    }

    /// The share among the agencies whose value could be judged.
    pub fn share_among_evaluated(&self) -> Option<Ratio> {
        Ratio::new(self.numerator, self.evaluated_denominator)
    }
}

/// What a target's rule needs beyond the reports: the milestone's parameter and the baselines.
pub struct EvaluationInputs<'a> {
    /// The parameter in force (the growth threshold, in basis points), if the milestone has one.
    pub parameter_bp: Option<u32>,
    /// The share an agency must reach on its own to "meet" a people-share target in the
    /// drill-down; the figure itself does not depend on it.
    pub required: Option<Ratio>,
    /// An agency's baseline value of an indicator: `(agency code, indicator, baseline)`.
    pub baseline: &'a dyn Fn(&str, &str, Baseline) -> BaselineValue,
    /// Whether to list every agency with its value in words.
    pub describe_agencies: bool,
}

/// What one agency of a target's population adds to its figure: the counts it moves, and whether
/// it is listed as missing or as not evaluable. A figure is the sum of its agencies' parts, so a
/// new report changes it by the difference between the agency's old part and its new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgencyPart {
    pub reporting: bool,
    pub evaluated: bool,
    pub numerator: i128,
    pub denominator: i128,
    /// It sent no report: listed among the missing.
    pub missing: bool,
    /// It reported, but its value cannot be judged, with why.
    pub not_evaluable: Option<String>,
}

impl AgencyPart {
    /// Its part in the denominator of the evaluated share: all of its denominator once its
    /// value could be judged, nothing otherwise. (Derived, not kept: the country's figures keep
    /// some 200 000 parts.)
    pub fn evaluated_denominator(&self) -> i128 {
        if self.evaluated { self.denominator } else { 0 }
    }
}

/// Whether an agency is in the population a rule counts over.
pub fn in_population(rule: &TargetRule, agency: &ExpectedAgency<'_>) -> bool {
    match rule.population() {
        Population::AllAgencies => true,
        Population::ElectronicPressAgencies => agency.publishes_electronic_press,
    }
}

/// One agency's standing against a rule, and its part in the figure. The agency must be in the
/// rule's population ([`in_population`]).
pub fn agency_part(
    rule: &TargetRule,
    agency: &ExpectedAgency<'_>,
    inputs: &EvaluationInputs<'_>,
) -> (AgencyResult, AgencyPart) {
    let result = match agency.report {
        None => AgencyResult {
            code: agency.code.to_string(),
            name: describe(inputs, || agency.name.to_string()),
            standing: AgencyStanding::NotReported,
            value: describe(inputs, || "no report".to_string()),
            people: None,
        },
        Some(report) => evaluate_agency(rule, agency, report, inputs),
    };
    let mut part = AgencyPart {
        reporting: agency.report.is_some(),
        evaluated: false,
        numerator: 0,
        denominator: 0,
        missing: result.standing == AgencyStanding::NotReported,
        not_evaluable: match &result.standing {
            AgencyStanding::NotEvaluable(why) => Some(why.clone()),
            _ => None,
        },
    };
    match (rule, &result.standing, result.people) {
        (TargetRule::PeopleShare { .. }, _, Some((trained, employed))) => {
            part.evaluated = true;
            part.numerator = trained;
            part.denominator = employed;
        }
        (TargetRule::PeopleShare { .. }, _, None) => {}
        (TargetRule::AgencyShare { .. }, standing, _) => {
            // Every agency of the population counts in the denominator: one that did not report
            // counts as not meeting the target.
            part.denominator = 1;
            let judged = matches!(
                standing,
                AgencyStanding::Meets | AgencyStanding::DoesNotMeet
            );
            part.evaluated = judged;
            part.numerator = i128::from(*standing == AgencyStanding::Meets);
        }
    }
    (result, part)
}

impl TargetEvaluation {
    /// The figure of an empty population.
    pub fn empty() -> TargetEvaluation {
        TargetEvaluation {
            expected: 0,
            reporting: 0,
            evaluated: 0,
            numerator: 0,
            denominator: 0,
            evaluated_denominator: 0,
            missing: Vec::new(),
            not_evaluable: Vec::new(),
            agencies: Vec::new(),
        }
    }

    /// Adds one agency of the population. Agencies added in code order keep `missing` and
    /// `not_evaluable` in code order.
    pub fn add(&mut self, code: &str, part: &AgencyPart) {
        self.expected += 1;
        self.reporting += usize::from(part.reporting);
        self.evaluated += usize::from(part.evaluated);
        self.numerator += part.numerator;
        self.denominator += part.denominator;
        self.evaluated_denominator += part.evaluated_denominator();
        if part.missing {
            self.missing.push(code.to_string());
        }
        if let Some(why) = &part.not_evaluable {
            self.not_evaluable.push((code.to_string(), why.clone()));
        }
    }
}

/// Evaluates a rule over the agencies expected to report (the caller has resolved the scope);
/// the rule's population narrows them further.
pub fn evaluate(
    rule: &TargetRule,
    agencies: &[ExpectedAgency<'_>],
    inputs: &EvaluationInputs<'_>,
) -> TargetEvaluation {
    let mut evaluation = TargetEvaluation::empty();
    for agency in agencies.iter().filter(|agency| in_population(rule, agency)) {
        let (result, part) = agency_part(rule, agency, inputs);
        evaluation.add(agency.code, &part);
        if inputs.describe_agencies {
            evaluation.agencies.push(result);
        }
    }
    evaluation
}

fn evaluate_agency(
    rule: &TargetRule,
    agency: &ExpectedAgency<'_>,
    report: &AnnualReport,
    inputs: &EvaluationInputs<'_>,
) -> AgencyResult {
    let result = |standing, value: String, people| AgencyResult {
        code: agency.code.to_string(),
        name: describe(inputs, || agency.name.to_string()),
        standing,
        value,
        people,
    };
    match rule {
        TargetRule::AgencyShare { condition, .. } => {
            match judge(condition, agency.code, report, inputs) {
                Ok((true, value)) => result(AgencyStanding::Meets, value, None),
                Ok((false, value)) => result(AgencyStanding::DoesNotMeet, value, None),
                Err(why) => result(AgencyStanding::NotEvaluable(why.clone()), why, None),
            }
        }
        TargetRule::PeopleShare {
            numerator,
            denominator,
            ..
        } => {
            let sum = |codes: &[String]| -> Option<i128> {
                codes
                    .iter()
                    .map(|code| match report.value_of(code) {
                        FieldValue::Number(value) => Some(i128::from(value)),
                        _ => None,
                    })
                    .sum()
            };
            match (sum(numerator), sum(denominator)) {
                (Some(trained), Some(employed)) => {
                    let meets = match (Ratio::new(trained, employed), inputs.required) {
                        (Some(own), Some(required)) => own >= required,
                        // Nobody employed: nobody left untrained.
                        (None, _) => true,
                        (Some(_), None) => false,
                    };
                    let standing = if meets {
                        AgencyStanding::Meets
                    } else {
                        AgencyStanding::DoesNotMeet
                    };
                    result(
                        standing,
                        format!("{trained}/{employed}"),
                        Some((trained, employed)),
                    )
                }
                _ => {
                    let why = "the report lacks a count the target sums".to_string();
                    result(AgencyStanding::NotEvaluable(why.clone()), why, None)
                }
            }
        }
    }
}

/// Words for the drill-down, built only when it asks for them: a figure alone needs none.
fn describe(inputs: &EvaluationInputs<'_>, words: impl FnOnce() -> String) -> String {
    if inputs.describe_agencies {
        words()
    } else {
        String::new()
    }
}

/// Whether the condition holds on the report, with the value read in words; `Err` when it cannot
/// be judged.
fn judge(
    condition: &Condition,
    agency_code: &str,
    report: &AnnualReport,
    inputs: &EvaluationInputs<'_>,
) -> Result<(bool, String), String> {
    match condition {
        // An optional field left unanswered is a claim not made: it does not count.
        Condition::Yes { indicator } => Ok(match report.value_of(indicator) {
            FieldValue::Bool(value) => (
                value,
                describe(inputs, || if value { "yes" } else { "no" }.to_string()),
            ),
            _ => (false, describe(inputs, || "not answered".to_string())),
        }),
        Condition::AtLeast { indicator, value } => Ok(match report.value_of(indicator) {
            FieldValue::Number(found) => (found >= *value, describe(inputs, || found.to_string())),
            _ => (false, describe(inputs, || "not answered".to_string())),
        }),
        Condition::All { all } => {
            let mut holds = true;
            let mut values = Vec::with_capacity(all.len());
            for part in all {
                let (part_holds, value) = judge(part, agency_code, report, inputs)?;
                holds &= part_holds;
                values.push(value);
            }
            Ok((holds, describe(inputs, || values.join(", "))))
        }
        Condition::GrowthAtLeastParameter {
            indicator,
            baseline,
        } => {
            let FieldValue::Number(current) = report.value_of(indicator) else {
                return Err(format!("no {indicator} this period"));
            };
            let Some(threshold_bp) = inputs.parameter_bp else {
                return Err("no growth threshold applies this year".to_string());
            };
            let baseline = match (inputs.baseline)(agency_code, indicator, *baseline) {
                BaselineValue::Sum(sum) if sum > 0 => sum,
                BaselineValue::Sum(_) => return Err(format!("the baseline {indicator} is zero")),
                BaselineValue::Unknown(why) => return Err(why),
            };
            let current = i128::from(current);
            // (current - baseline) / baseline >= threshold, without division.
            let holds = (current - baseline) * 10_000 >= i128::from(threshold_bp) * baseline;
            // Put in words only for the drill-down, like every other value: a summary needs only
            // whether it holds.
            let value = describe(inputs, || {
                let growth = Ratio::new(current - baseline, baseline).unwrap_or_else(Ratio::zero);
                let sign = if growth.is_negative() { "" } else { "+" };
                format!("{sign}{growth} ({current} against {baseline})")
            });
            Ok((holds, value))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::report::tests::complete_report;

    fn no_baseline(_: &str, _: &str, _: Baseline) -> BaselineValue {
        BaselineValue::Unknown("no baseline".into())
    }

    fn agency<'a>(
        code: &'a str,
        electronic: bool,
        report: Option<&'a AnnualReport>,
    ) -> ExpectedAgency<'a> {
        ExpectedAgency {
            code,
            name: code,
            publishes_electronic_press: electronic,
            report,
        }
    }

    #[test]
    fn non_reporting_agencies_count_against_an_agency_share() {
        let mut with_ai = complete_report();
        with_ai.ai_in_operations = Some(true);
        let without_ai = complete_report(); // central platform yes, AI no
        let rule = TargetRule::AgencyShare {
            population: Population::AllAgencies,
            condition: Condition::All {
                all: vec![
                    Condition::Yes {
                        indicator: "central_data_platform".into(),
                    },
                    Condition::Yes {
                        indicator: "ai_in_operations".into(),
                    },
                ],
            },
        };
        let agencies = [
            agency("a", true, Some(&with_ai)),
            agency("b", true, Some(&without_ai)),
            agency("c", false, None),
        ];
        let inputs = EvaluationInputs {
            parameter_bp: None,
            required: None,
            baseline: &no_baseline,
            describe_agencies: true,
        };
        let evaluation = evaluate(&rule, &agencies, &inputs);
        assert_eq!((evaluation.numerator, evaluation.denominator), (1, 3));
        assert_eq!(
            (
                evaluation.expected,
                evaluation.reporting,
                evaluation.evaluated
            ),
            (3, 2, 2)
        );
        assert_eq!(evaluation.share_among_evaluated(), Ratio::new(1, 2));
        assert_eq!(evaluation.missing, ["c"]);
    }

    #[test]
    fn growth_is_judged_against_the_baseline_exactly_and_never_guessed() {
        let mut grew_20 = complete_report();
        grew_20.revenue_vnd = Some(12_000);
        let mut grew_19 = complete_report();
        grew_19.revenue_vnd = Some(11_999);
        let new_agency = complete_report();
        let baseline = |code: &str, _: &str, _: Baseline| match code {
            "a" | "b" => BaselineValue::Sum(10_000),
            _ => BaselineValue::Unknown("no report for 2024".into()),
        };
        let rule = TargetRule::AgencyShare {
            population: Population::AllAgencies,
            condition: Condition::GrowthAtLeastParameter {
                indicator: "revenue_vnd".into(),
                baseline: Baseline::PreviousYear,
            },
        };
        let agencies = [
            agency("a", true, Some(&grew_20)),
            agency("b", true, Some(&grew_19)),
            agency("c", true, Some(&new_agency)),
        ];
        let inputs = EvaluationInputs {
            parameter_bp: Some(2000),
            required: None,
            baseline: &baseline,
            describe_agencies: true,
        };
        let evaluation = evaluate(&rule, &agencies, &inputs);
        let standings: Vec<_> = evaluation
            .agencies
            .iter()
            .map(|a| a.standing.clone())
            .collect();
        assert_eq!(
            standings,
            [
                AgencyStanding::Meets,
                AgencyStanding::DoesNotMeet,
                AgencyStanding::NotEvaluable("no report for 2024".into())
            ]
        );
        assert_eq!(
            (
                evaluation.numerator,
                evaluation.denominator,
                evaluation.evaluated
            ),
            (1, 3, 2)
        );
        assert_eq!(
            evaluation.agencies[0].value,
            "+20.00% (12000 against 10000)"
        );
    }

    #[test]
    fn people_shares_sum_people_over_the_reporting_agencies_of_the_population() {
        let mut small = complete_report();
        small.headcount.leaders = Some(1);
        small.headcount.reporters = Some(2);
        small.headcount.editors = Some(3);
        small.headcount.other = Some(4);
        small.trained = small.headcount.clone();
        let big = complete_report(); // headcount 5+20+10+5 = 40, trained 3+12+6+3 = 24
        let rule = TargetRule::PeopleShare {
            population: Population::ElectronicPressAgencies,
            numerator: ["leaders", "reporters", "editors", "other"]
                .map(|c| format!("trained.{c}"))
                .to_vec(),
            denominator: ["leaders", "reporters", "editors", "other"]
                .map(|c| format!("headcount.{c}"))
                .to_vec(),
        };
        let agencies = [
            agency("small", true, Some(&small)),
            agency("big", true, Some(&big)),
            agency("print-only", false, Some(&big)),
            agency("silent", true, None),
        ];
        let inputs = EvaluationInputs {
            parameter_bp: None,
            required: Some(Ratio::from_basis_points(10_000)),
            baseline: &no_baseline,
            describe_agencies: true,
        };
        let evaluation = evaluate(&rule, &agencies, &inputs);
        assert_eq!(
            (evaluation.numerator, evaluation.denominator),
            (10 + 24, 10 + 40)
        );
        assert_eq!((evaluation.expected, evaluation.reporting), (3, 2));
        assert_eq!(evaluation.agencies[0].standing, AgencyStanding::Meets);
        assert_eq!(evaluation.agencies[1].standing, AgencyStanding::DoesNotMeet);
        assert_eq!(evaluation.agencies[1].value, "24/40");
    }
}
