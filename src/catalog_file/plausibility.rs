//! `[[plausibility]]`: the rules that warn at submit of a figure that looks wrong.

use serde::Deserialize;

use super::{check_codes, parse_share};
use crate::domain::formats::{self, Sign};
use crate::domain::indicator::{Indicator, IndicatorType};
use crate::domain::plausibility::{Check, PlausibilityRule, SUM_INDICATORS};
use crate::domain::violation::Violations;

/// `code`, `indicator`, `kind` and the kind's parameters: `factor` (change_beyond_factor),
/// `stable` and `tolerance` (decrease_while_stable), `min` / `max` (outside_range).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PlausibilityEntry {
    code: String,
    indicator: String,
    kind: String,
    factor: Option<toml::Value>,
    stable: Option<String>,
    tolerance: Option<String>,
    min: Option<i64>,
    max: Option<i64>,
    #[serde(default)]
    description: String,
}

/// Checks the plausibility rules: known indicators of the right type, the parameters their kind
/// reads and no others, and expected ranges within the indicator's hard limits.
pub(super) fn check_plausibility(
    entries: &[PlausibilityEntry],
    indicators: &[Indicator],
    violations: &mut Violations,
) -> Vec<PlausibilityRule> {
    let located =
        |index: usize, entry: &PlausibilityEntry| format!("plausibility[{index}] {:?}", entry.code);
    check_codes(
        entries
            .iter()
            .enumerate()
            .map(|(index, entry)| (located(index, entry), entry.code.as_str())),
        violations,
    );
    // An indicator a rule may name: its type, and its hard limits (none for a sum).
    let lookup = |code: &str| -> Option<(IndicatorType, Option<i64>, Option<i64>)> {
        if SUM_INDICATORS.contains(&code) {
            return Some((IndicatorType::Count, None, None));
        }
        indicators
            .iter()
            .find(|indicator| indicator.code == code)
            .map(|indicator| (indicator.indicator_type, indicator.min, indicator.max))
    };
    let mut rules = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let at = located(index, entry);
        let given = [
            ("factor", entry.factor.is_some()),
            ("stable", entry.stable.is_some()),
            ("tolerance", entry.tolerance.is_some()),
            ("min", entry.min.is_some()),
            ("max", entry.max.is_some()),
        ];
        let reads: &[&str] = match entry.kind.as_str() {
            "change_beyond_factor" => &["factor"],
            "decrease_while_stable" => &["stable", "tolerance"],
            "yes_to_no" => &[],
            "outside_range" => &["min", "max"],
            other => {
                violations.add(
                    format!("{at}.kind"),
                    format!("{other:?} is not one of: {}", Check::KINDS.join(", ")),
                );
                continue;
            }
        };
        for (parameter, present) in given {
            if present && !reads.contains(&parameter) {
                violations.add(
                    format!("{at}.{parameter}"),
                    format!("a {} rule reads no {parameter}", entry.kind),
                );
            }
        }
        let check = match entry.kind.as_str() {
            "change_beyond_factor" => {
                let factor = match &entry.factor {
                    Some(toml::Value::Integer(whole)) => whole.checked_mul(100),
                    Some(toml::Value::String(text)) => {
                        formats::parse_decimal(text, 2, Sign::NonNegative)
                    }
                    _ => None,
                };
                match factor {
                    Some(hundredths) if hundredths > 100 => Some(Check::ChangeBeyondFactor {
                        factor_hundredths: hundredths,
                    }),
                    _ => {
                        violations.add(
                            format!("{at}.factor"),
                            "a factor above 1 is required: a whole number (3) or a string with at \
                             most two decimals (\"1.5\")",
                        );
                        None
                    }
                }
            }
            "decrease_while_stable" => {
                let tolerance = match &entry.tolerance {
                    Some(text) => parse_share(text, &format!("{at}.tolerance"), violations),
                    None => {
                        violations.add(
                            format!("{at}.tolerance"),
                            "required: how far the stable indicator may move, such as \"10%\"",
                        );
                        None
                    }
                };
                let stable = match &entry.stable {
                    Some(stable) => match lookup(stable) {
                        Some((found, _, _)) if found.is_numeric() => Some(stable.clone()),
                        Some((found, _, _)) => {
                            violations.add(
                                format!("{at}.stable"),
                                format!("{stable:?} is a {found} indicator, not a number"),
                            );
                            None
                        }
                        None => {
                            violations
                                .add(format!("{at}.stable"), format!("no indicator {stable:?}"));
                            None
                        }
                    },
                    None => {
                        violations.add(
                            format!("{at}.stable"),
                            "required: the indicator that must be stable",
                        );
                        None
                    }
                };
                match (stable, tolerance) {
                    (Some(stable), Some(tolerance_bp)) => Some(Check::DecreaseWhileStable {
                        stable,
                        tolerance_bp,
                    }),
                    _ => None,
                }
            }
            "yes_to_no" => Some(Check::YesToNo),
            _ => {
                if entry.min.is_none() && entry.max.is_none() {
                    violations.add(format!("{at}.min"), "give min, max or both");
                }
                if let (Some(min), Some(max)) = (entry.min, entry.max)
                    && min > max
                {
                    violations.add(format!("{at}.max"), format!("max {max} is below min {min}"));
                }
                if let Some((_, hard_min, hard_max)) = lookup(&entry.indicator) {
                    for (name, bound) in [("min", entry.min), ("max", entry.max)] {
                        let Some(bound) = bound else { continue };
                        if hard_min.is_some_and(|hard| bound < hard)
                            || hard_max.is_some_and(|hard| bound > hard)
                        {
                            violations.add(
                                format!("{at}.{name}"),
                                format!(
                                    "{bound} is outside the indicator's hard limits: the \
                                     expected range lies within them"
                                ),
                            );
                        }
                    }
                }
                Some(Check::OutsideRange {
                    min: entry.min,
                    max: entry.max,
                })
            }
        };
        match lookup(&entry.indicator) {
            None => violations.add(
                format!("{at}.indicator"),
                format!(
                    "no indicator {:?}: a field path of the report, or headcount / trained \
                     for the sum of the staff counts",
                    entry.indicator
                ),
            ),
            Some((found, _, _)) => {
                let fits = match &check {
                    Some(check) if check.reads_boolean() => found == IndicatorType::Boolean,
                    Some(_) => found.is_numeric(),
                    None => true,
                };
                if !fits {
                    violations.add(
                        format!("{at}.indicator"),
                        format!(
                            "{:?} is a {found} indicator, which a {} rule cannot read",
                            entry.indicator, entry.kind
                        ),
                    );
                }
            }
        }
        if let Some(check) = check {
            rules.push(PlausibilityRule {
                code: entry.code.clone(),
                indicator: entry.indicator.clone(),
                check,
                description: entry.description.clone(),
            });
        }
    }
    rules
}
