//! Plans and their targets: what each target counts, over which agencies, and what each year
//! requires. A target is data: a new plan with new numbers is a catalogue change, never code.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::formats::{self, Sign};
use super::organization::vocabulary;
use super::task::Task;

/// A plan that sets targets: the national strategy, a province's own plan...
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub code: String,
    pub name: String,
    /// The decision that issued it, such as "348/QĐ-TTg".
    pub decision: String,
    pub issued_on: Option<NaiveDate>,
    /// The province the plan is for; `None` for a national plan.
    pub province_code: Option<String>,
    pub targets: Vec<Target>,
    /// What the plan sets out to do, in its order (domain::task).
    pub tasks: Vec<Task>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub code: String,
    pub name: String,
    pub rule: TargetRule,
    /// Oldest first, one per year at most.
    pub milestones: Vec<Milestone>,
}

/// What a target counts and over whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "measure", rename_all = "snake_case")]
pub enum TargetRule {
    /// The share of agencies in the population whose latest report meets the condition.
    AgencyShare {
        population: Population,
        condition: Condition,
    },
    /// The sum of the numerator indicators over the sum of the denominator indicators, over the
    /// population's latest reports: people trained over people employed.
    PeopleShare {
        population: Population,
        numerator: Vec<String>,
        denominator: Vec<String>,
    },
}

vocabulary! {
    /// Which agencies a target is about.
    Population {
        AllAgencies = "all_agencies",
        ElectronicPressAgencies = "electronic_press_agencies",
    }
}

/// What an agency's latest report must show for it to count towards an agency-share target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// The boolean indicator is true.
    Yes { indicator: String },
    /// The numeric indicator is at least `value`.
    AtLeast { indicator: String, value: i64 },
    /// Every one of the conditions holds.
    All { all: Vec<Condition> },
    /// The numeric indicator grew, against the baseline, by at least the milestone's parameter.
    GrowthAtLeastParameter {
        indicator: String,
        baseline: Baseline,
    },
}

/// What growth is measured against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Baseline {
    /// The agency's (or its predecessors') report for the year before.
    PreviousYear,
    /// The agency's (or its predecessors') report for a fixed year.
    Year(i32),
}

/// What a target requires by a year. Shares and parameters are in basis points: 7000 is 70%.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Milestone {
    pub year: i32,
    pub required_share_bp: u32,
    pub parameter_bp: Option<u32>,
}

/// 100% in basis points.
pub const FULL_SHARE_BP: u32 = 10_000;

impl TargetRule {
    pub fn population(&self) -> Population {
        match self {
            TargetRule::AgencyShare { population, .. }
            | TargetRule::PeopleShare { population, .. } => *population,
        }
    }

    /// Whether the milestones must carry a parameter for this rule to be evaluated.
    pub fn needs_parameter(&self) -> bool {
        match self {
            TargetRule::AgencyShare { condition, .. } => condition.needs_parameter(),
            TargetRule::PeopleShare { .. } => false,
        }
    }

    /// The rule in words, for people reading the catalogue.
    pub fn describe(&self) -> String {
        match self {
            TargetRule::AgencyShare {
                population,
                condition,
            } => format!(
                "share of {} where {}",
                population.describe(),
                condition.describe()
            ),
            TargetRule::PeopleShare {
                population,
                numerator,
                denominator,
            } => format!(
                "({}) / ({}) summed over {}",
                numerator.join(" + "),
                denominator.join(" + "),
                population.describe()
            ),
        }
    }
}

impl Population {
    fn describe(self) -> &'static str {
        match self {
            Population::AllAgencies => "all press agencies",
            Population::ElectronicPressAgencies => "press agencies publishing electronic press",
        }
    }
}

impl Condition {
    pub fn needs_parameter(&self) -> bool {
        match self {
            Condition::GrowthAtLeastParameter { .. } => true,
            Condition::All { all } => all.iter().any(Condition::needs_parameter),
            Condition::Yes { .. } | Condition::AtLeast { .. } => false,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Condition::Yes { indicator } => format!("{indicator} is yes"),
            Condition::AtLeast { indicator, value } => format!("{indicator} >= {value}"),
            Condition::All { all } => all
                .iter()
                .map(Condition::describe)
                .collect::<Vec<_>>()
                .join(" and "),
            Condition::GrowthAtLeastParameter {
                indicator,
                baseline,
            } => {
                let against = match baseline {
                    Baseline::PreviousYear => "the previous year".to_string(),
                    Baseline::Year(year) => year.to_string(),
                };
                format!("{indicator} grew by at least the milestone's parameter against {against}")
            }
        }
    }

    /// Every indicator the condition reads, with the use it makes of it.
    pub fn indicators(&self) -> Vec<(&str, ConditionUse)> {
        match self {
            Condition::Yes { indicator } => vec![(indicator, ConditionUse::Boolean)],
            Condition::AtLeast { indicator, .. }
            | Condition::GrowthAtLeastParameter { indicator, .. } => {
                vec![(indicator, ConditionUse::Numeric)]
            }
            Condition::All { all } => all.iter().flat_map(Condition::indicators).collect(),
        }
    }
}

/// How a condition reads an indicator, to check the indicator's type against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConditionUse {
    Boolean,
    Numeric,
}

/// Formats basis points as a percentage: 7000 -> "70%", 1250 -> "12.5%".
pub fn percent(basis_points: u32) -> String {
    let whole = basis_points / 100;
    let hundredths = format!("{:02}", basis_points % 100);
    match hundredths.trim_end_matches('0') {
        "" => format!("{whole}%"),
        fraction => format!("{whole}.{fraction}%"),
    }
}

/// Parses "70%", "12.5%" or "0.25%" into basis points: the number is a decimal with at most two
/// places, not negative, in the one format of numbers ([`formats::parse_decimal`]), and "%" right
/// after it.
pub fn parse_percent(text: &str) -> Option<u32> {
    let number = text.strip_suffix('%')?;
    let basis_points = formats::parse_decimal(number, 2, Sign::NonNegative)?;
    u32::try_from(basis_points).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_round_trip_through_basis_points() {
        for (text, bp) in [
            ("70%", 7000),
            ("12.5%", 1250),
            ("0.25%", 25),
            ("100%", 10_000),
            ("0%", 0),
            ("10.1%", 1010),
            ("0.05%", 5),
        ] {
            assert_eq!(parse_percent(text), Some(bp), "{text}");
            assert_eq!(percent(bp), text);
        }
        for bad in [
            "70", "%", "1.234%", "-5%", "x%", ".5%", " 70%", "70 %", "70% ", "+70%",
        ] {
            assert_eq!(parse_percent(bad), None, "{bad}");
        }
    }
}
