//! `[[plan]]` and its `[[plan.target]]`: the plans, their targets and each year's milestones.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use super::tasks::{TaskEntry, check_tasks};
use super::{check_codes, parse_optional_date, parse_share, parse_word};
use crate::domain::indicator::{Indicator, IndicatorType};
use crate::domain::organization::{Organization, OrganizationKind};
use crate::domain::plan::{
    Baseline, Condition, ConditionUse, Milestone, Plan, Population, Target, TargetRule,
};
use crate::domain::violation::Violations;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PlanEntry {
    code: String,
    name: String,
    #[serde(default)]
    decision: String,
    issued_on: Option<String>,
    province: Option<String>,
    #[serde(default)]
    target: Vec<TargetEntry>,
    #[serde(default)]
    task: Vec<TaskEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetEntry {
    code: String,
    name: String,
    measure: String,
    population: String,
    condition: Option<ConditionEntry>,
    #[serde(default)]
    numerator: Vec<String>,
    #[serde(default)]
    denominator: Vec<String>,
    #[serde(default)]
    milestones: Vec<MilestoneEntry>,
}

/// One of: `{ yes = "indicator" }`, `{ indicator = "x", at_least = 3 }`, `{ all = [...] }`,
/// `{ growth_of = "revenue_vnd", baseline = "previous_year" }` (or `baseline = 2023`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConditionEntry {
    yes: Option<String>,
    indicator: Option<String>,
    at_least: Option<i64>,
    all: Option<Vec<ConditionEntry>>,
    growth_of: Option<String>,
    baseline: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MilestoneEntry {
    year: i32,
    required: String,
    parameter: Option<String>,
}

pub(super) fn check_plans(
    entries: &[PlanEntry],
    indicators: &[Indicator],
    organizations: &[Organization],
    violations: &mut Violations,
) -> Vec<Plan> {
    let located = |index: usize, entry: &PlanEntry| format!("plan[{index}] {:?}", entry.code);
    check_codes(
        entries
            .iter()
            .enumerate()
            .map(|(index, entry)| (located(index, entry), entry.code.as_str())),
        violations,
    );
    let indicator_types: HashMap<&str, IndicatorType> = indicators
        .iter()
        .map(|indicator| (indicator.code.as_str(), indicator.indicator_type))
        .collect();

    let mut plans = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let at = located(index, entry);
        let issued_on =
            parse_optional_date(&entry.issued_on, &format!("{at}.issued_on"), violations);
        if let Some(province) = &entry.province {
            let is_province = organizations
                .iter()
                .any(|org| &org.code == province && org.kind == OrganizationKind::Province);
            if !is_province {
                violations.add(
                    format!("{at}.province"),
                    format!("no province {province:?}"),
                );
            }
        }
        check_codes(
            entry
                .target
                .iter()
                .enumerate()
                .map(|(target_index, target)| {
                    (format!("{at}.target[{target_index}]"), target.code.as_str())
                }),
            violations,
        );
        let targets = entry
            .target
            .iter()
            .enumerate()
            .filter_map(|(target_index, target)| {
                let target_at = format!("{at}.target[{target_index}] {:?}", target.code);
                check_target(target, &target_at, &indicator_types, violations)
            })
            .collect();
        let tasks = check_tasks(&entry.task, &at, organizations, violations);
        plans.push(Plan {
            code: entry.code.clone(),
            name: entry.name.clone(),
            decision: entry.decision.clone(),
            issued_on,
            province_code: entry.province.clone(),
            targets,
            tasks,
        });
    }
    plans.sort_by(|a, b| a.code.cmp(&b.code));
    plans
}

fn check_target(
    entry: &TargetEntry,
    at: &str,
    indicator_types: &HashMap<&str, IndicatorType>,
    violations: &mut Violations,
) -> Option<Target> {
    let population = parse_word(
        &entry.population,
        Population::parse,
        Population::ALL,
        Population::as_str,
        &format!("{at}.population"),
        violations,
    );
    let check_indicator =
        |code: &str, usage: ConditionUse, field: &str, violations: &mut Violations| match (
            indicator_types.get(code),
            usage,
        ) {
            (None, _) => violations.add(field, format!("no indicator {code:?}")),
            (Some(IndicatorType::Boolean), ConditionUse::Boolean) => {}
            (Some(found), ConditionUse::Numeric) if found.is_numeric() => {}
            (Some(found), _) => violations.add(
                field,
                format!("{code:?} is a {found} indicator, which this rule cannot read"),
            ),
        };

    let rule = match entry.measure.as_str() {
        "agency_share" => {
            let Some(condition_entry) = &entry.condition else {
                violations.add(
                    format!("{at}.condition"),
                    "an agency_share target needs a condition",
                );
                return None;
            };
            let condition =
                parse_condition(condition_entry, &format!("{at}.condition"), violations)?;
            for (code, usage) in condition.indicators() {
                check_indicator(code, usage, &format!("{at}.condition"), violations);
            }
            TargetRule::AgencyShare {
                population: population?,
                condition,
            }
        }
        "people_share" => {
            for (field, codes) in [
                ("numerator", &entry.numerator),
                ("denominator", &entry.denominator),
            ] {
                if codes.is_empty() {
                    violations.add(format!("{at}.{field}"), "list the count indicators to sum");
                }
                for code in codes {
                    check_indicator(
                        code,
                        ConditionUse::Numeric,
                        &format!("{at}.{field}"),
                        violations,
                    );
                }
            }
            TargetRule::PeopleShare {
                population: population?,
                numerator: entry.numerator.clone(),
                denominator: entry.denominator.clone(),
            }
        }
        other => {
            violations.add(
                format!("{at}.measure"),
                format!("{other:?} is not one of: agency_share, people_share"),
            );
            return None;
        }
    };

    let mut milestones: Vec<Milestone> = Vec::new();
    let mut years = HashSet::new();
    for (milestone_index, milestone) in entry.milestones.iter().enumerate() {
        let milestone_at = format!("{at}.milestones[{milestone_index}]");
        if !years.insert(milestone.year) {
            violations.add(
                format!("{milestone_at}.year"),
                format!("{} has two milestones", milestone.year),
            );
        }
        let required = parse_share(
            &milestone.required,
            &format!("{milestone_at}.required"),
            violations,
        );
        let parameter = milestone
            .parameter
            .as_deref()
            .and_then(|text| parse_share(text, &format!("{milestone_at}.parameter"), violations));
        match (rule.needs_parameter(), &milestone.parameter) {
            (true, None) => violations.add(
                format!("{milestone_at}.parameter"),
                "this target's rule needs the milestone's parameter (such as the growth threshold)",
            ),
            (false, Some(_)) => violations.add(
                format!("{milestone_at}.parameter"),
                "this target's rule reads no parameter",
            ),
            _ => {}
        }
        if let Some(required_share_bp) = required {
            milestones.push(Milestone {
                year: milestone.year,
                required_share_bp,
                parameter_bp: parameter,
            });
        }
    }
    if entry.milestones.is_empty() {
        violations.add(
            format!("{at}.milestones"),
            "a target needs at least one milestone",
        );
    }
    milestones.sort_by_key(|milestone| milestone.year);

    Some(Target {
        code: entry.code.clone(),
        name: entry.name.clone(),
        rule,
        milestones,
    })
}

fn parse_condition(
    entry: &ConditionEntry,
    at: &str,
    violations: &mut Violations,
) -> Option<Condition> {
    let condition = match entry {
        ConditionEntry {
            yes: Some(indicator),
            indicator: None,
            at_least: None,
            all: None,
            growth_of: None,
            baseline: None,
        } => Condition::Yes {
            indicator: indicator.clone(),
        },
        ConditionEntry {
            yes: None,
            indicator: Some(indicator),
            at_least: Some(value),
            all: None,
            growth_of: None,
            baseline: None,
        } => Condition::AtLeast {
            indicator: indicator.clone(),
            value: *value,
        },
        ConditionEntry {
            yes: None,
            indicator: None,
            at_least: None,
            all: Some(all),
            growth_of: None,
            baseline: None,
        } => {
            let parsed: Vec<_> = all
                .iter()
                .enumerate()
                .map(|(index, part)| {
                    parse_condition(part, &format!("{at}.all[{index}]"), violations)
                })
                .collect();
            Condition::All {
                all: parsed.into_iter().collect::<Option<_>>()?,
            }
        }
        ConditionEntry {
            yes: None,
            indicator: None,
            at_least: None,
            all: None,
            growth_of: Some(indicator),
            baseline: Some(baseline),
        } => {
            let baseline = match baseline {
                toml::Value::String(text) if text == "previous_year" => Baseline::PreviousYear,
                toml::Value::Integer(year) => Baseline::Year(i32::try_from(*year).ok()?),
                other => {
                    violations.add(
                        format!("{at}.baseline"),
                        format!("{other} is neither \"previous_year\" nor a year"),
                    );
                    return None;
                }
            };
            Condition::GrowthAtLeastParameter {
                indicator: indicator.clone(),
                baseline,
            }
        }
        _ => {
            violations.add(
                at,
                "a condition is one of { yes = \"indicator\" }, { indicator = \"x\", at_least = 3 }, \
                 { all = [...] } or { growth_of = \"indicator\", baseline = \"previous_year\" | YEAR }",
            );
            return None;
        }
    };
    Some(condition)
}
