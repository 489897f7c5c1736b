//! Plausibility warnings: figures that keep every rule of the report but look unlikely, against the
//! agency's own report for the previous period or against an expected range. They never refuse a
//! report; they tell the sender (and the reviewers) what to look at twice. The rules are catalogue
//! data (`[[plausibility]]` in the catalogue file).
//!
//! What each kind means, exactly:
//! - `change_beyond_factor` (factor F): the value is more than F times the previous period's, or
//!   less than the previous one divided by F. Exactly F times (or exactly divided by F) is not
//!   beyond. A previous value of 0 gives no ratio: no warning, whatever the value now.
//! - `decrease_while_stable` (other indicator O, tolerance T): the value is lower than the previous
//!   period's while O moved by at most T of its previous value (|O now − O before| ≤ T × O before;
//!   with O before = 0, stable means O is still 0).
//! - `yes_to_no`: the previous period's answer was yes and this one is no.
//! - `outside_range` (min, max): the value is below min or above max (both inclusive bounds of
//!   the expected range, distinct from the indicator's hard limits, which refuse a report).
//!
//! The rules that compare with the previous period need the agency's own latest report for it; with
//! none (the agency's first report, or a new agency after a merger), they give no warning. An
//! indicator not answered in either report gives no warning either.

use serde::{Deserialize, Serialize};

use super::report::{AnnualReport, FieldValue};

/// The indicators a rule may name besides the report's fields: the sums of the staff counts.
pub const SUM_INDICATORS: &[&str] = &["headcount", "trained"];

/// One plausibility rule of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlausibilityRule {
    /// Short code, unique in the catalogue, that every warning it gives carries.
    pub code: String,
    /// The field path the rule reads, as the report uses it (`revenue_vnd`, `headcount.editors`),
    /// or `headcount` / `trained` for the sum of the four staff counts.
    pub indicator: String,
    pub check: Check,
    /// What the rule is about, in words (optional).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// What a rule checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Check {
    /// More than `factor` times the previous value, or less than the previous value divided by
    /// it. `factor_hundredths` is the factor times 100 (3 → 300, 1.5 → 150).
    ChangeBeyondFactor { factor_hundredths: i64 },
    /// Lower than the previous value while `stable` moved by at most `tolerance_bp` (basis points)
    /// of its previous value.
    DecreaseWhileStable { stable: String, tolerance_bp: u32 },
    /// Yes in the previous period, no now.
    YesToNo,
    /// Below `min` or above `max`.
    OutsideRange { min: Option<i64>, max: Option<i64> },
}

impl Check {
    pub fn kind(&self) -> &'static str {
        match self {
            Check::ChangeBeyondFactor { .. } => "change_beyond_factor",
            Check::DecreaseWhileStable { .. } => "decrease_while_stable",
            Check::YesToNo => "yes_to_no",
            Check::OutsideRange { .. } => "outside_range",
        }
    }

    /// Every kind, for messages.
    pub const KINDS: &'static [&'static str] = &[
        "change_beyond_factor",
        "decrease_while_stable",
        "yes_to_no",
        "outside_range",
    ];

    /// Whether the rule reads a boolean (else a number).
    pub fn reads_boolean(&self) -> bool {
        matches!(self, Check::YesToNo)
    }
}

/// One warning about a report that was nevertheless accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// Path of the field in the request (`report.revenue_vnd`, `report.headcount`).
    pub field: String,
    /// The code of the rule that gave it.
    pub rule: String,
    /// What looks wrong, in plain words.
    pub message: String,
}

/// The previous period's report of the same agency, with the period's code.
#[derive(Debug, Clone, Copy)]
pub struct Previous<'a> {
    pub period_code: &'a str,
    pub report: &'a AnnualReport,
}

/// The value of an indicator a rule may name: a report field, or a sum of staff counts (missing
/// only when none of the four is answered).
pub fn indicator_value(report: &AnnualReport, indicator: &str) -> FieldValue {
    let counts = match indicator {
        "headcount" => &report.headcount,
        "trained" => &report.trained,
        _ => return report.value_of(indicator),
    };
    let present: Vec<i64> = counts
        .categories()
        .iter()
        .filter_map(|(_, value)| *value)
        .collect();
    if present.is_empty() {
        FieldValue::Missing
    } else {
        FieldValue::Number(present.iter().fold(0i64, |sum, v| sum.saturating_add(*v)))
    }
}

/// The warnings `rules` give for `report`, given the agency's report for the previous period, in
/// the order of the rules.
pub fn warnings(
    report: &AnnualReport,
    previous: Option<Previous<'_>>,
    rules: &[PlausibilityRule],
) -> Vec<Warning> {
    rules
        .iter()
        .filter_map(|rule| check_rule(report, previous, rule))
        .collect()
}

fn number(value: FieldValue) -> Option<i64> {
    match value {
        FieldValue::Number(number) => Some(number),
        _ => None,
    }
}

/// "3", "1.5", "2.25" from hundredths.
fn show_factor(hundredths: i64) -> String {
    let (whole, fraction) = (hundredths / 100, hundredths % 100);
    match fraction {
        0 => whole.to_string(),
        f if f % 10 == 0 => format!("{whole}.{}", f / 10),
        f => format!("{whole}.{f:02}"),
    }
}

fn show_percent(bp: u32) -> String {
    let (whole, fraction) = (bp / 100, bp % 100);
    match fraction {
        0 => format!("{whole}%"),
        f if f % 10 == 0 => format!("{whole}.{}%", f / 10),
        f => format!("{whole}.{f:02}%"),
    }
}

fn check_rule(
    report: &AnnualReport,
    previous: Option<Previous<'_>>,
    rule: &PlausibilityRule,
) -> Option<Warning> {
    let indicator = rule.indicator.as_str();
    let now = indicator_value(report, indicator);
    let before = previous.map(|previous| indicator_value(previous.report, indicator));
    let period = previous.map_or("", |previous| previous.period_code);
    let message = match &rule.check {
        Check::ChangeBeyondFactor { factor_hundredths } => {
            let (now, before) = (number(now)?, number(before?)?);
            if before == 0 {
                return None;
            }
            let factor = i128::from(*factor_hundredths);
            let (now_wide, before_wide) = (i128::from(now), i128::from(before));
            let rose = now_wide * 100 > before_wide * factor;
            let fell = now_wide * factor < before_wide * 100;
            let shown = show_factor(*factor_hundredths);
            if rose {
                format!(
                    "{indicator} is {now}, more than {shown} times the {before} reported for \
                     period {period}: please check the figure"
                )
            } else if fell {
                format!(
                    "{indicator} is {now}, less than the {before} reported for period {period} \
                     divided by {shown}: please check the figure"
                )
            } else {
                return None;
            }
        }
        Check::DecreaseWhileStable {
            stable,
            tolerance_bp,
        } => {
            let (now, before) = (number(now)?, number(before?)?);
            let previous = previous?;
            let stable_now = number(indicator_value(report, stable))?;
            let stable_before = number(indicator_value(previous.report, stable))?;
            let moved = (i128::from(stable_now) - i128::from(stable_before)).abs();
            let is_stable = moved * 10_000 <= i128::from(*tolerance_bp) * i128::from(stable_before);
            if now >= before || !is_stable {
                return None;
            }
            format!(
                "{indicator} fell from {before} in period {period} to {now} while {stable} \
                 stayed within {} ({stable_before} then, {stable_now} now): people once counted \
                 do not usually become untrained; please check the figure",
                show_percent(*tolerance_bp)
            )
        }
        Check::YesToNo => match (before?, now) {
            (FieldValue::Bool(true), FieldValue::Bool(false)) => format!(
                "{indicator} is no, but it was yes in period {period}: please check the answer"
            ),
            _ => return None,
        },
        Check::OutsideRange { min, max } => {
            let now = number(now)?;
            let range = match (min, max) {
                (Some(min), Some(max)) => format!("between {min} and {max}"),
                (Some(min), None) => format!("at least {min}"),
                (None, Some(max)) => format!("at most {max}"),
                (None, None) => return None,
            };
            if min.is_some_and(|min| now < min) || max.is_some_and(|max| now > max) {
                format!(
                    "{indicator} is {now}, outside the range expected ({range}), though within \
                     its limits: please check the figure"
                )
            } else {
                return None;
            }
        }
    };
    Some(Warning {
        field: format!("report.{indicator}"),
        rule: rule.code.clone(),
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(code: &str, indicator: &str, check: Check) -> PlausibilityRule {
        PlausibilityRule {
            code: code.into(),
            indicator: indicator.into(),
            check,
            description: String::new(),
        }
    }

    fn revenue(value: i64) -> AnnualReport {
        AnnualReport {
            revenue_vnd: Some(value),
            ..AnnualReport::default()
        }
    }

    fn staff(headcount: i64, trained: i64) -> AnnualReport {
        let mut report = AnnualReport::default();
        report.headcount.leaders = Some(headcount - 10);
        report.headcount.reporters = Some(10);
        report.trained.leaders = Some(trained);
        report
    }

    fn previous(report: &AnnualReport) -> Option<Previous<'_>> {
        Some(Previous {
            period_code: "2023",
            report,
        })
    }

    fn fired(now: &AnnualReport, before: Option<&AnnualReport>, rule: &PlausibilityRule) -> bool {
        !warnings(now, before.and_then(previous), std::slice::from_ref(rule)).is_empty()
    }

    #[test]
    fn a_change_beyond_the_factor_warns_exactly_three_times_does_not() {
        let times_three = rule(
            "revenue_factor",
            "revenue_vnd",
            Check::ChangeBeyondFactor {
                factor_hundredths: 300,
            },
        );
        let before = revenue(1_000);
        // ×3 exactly and ÷3 exactly are not beyond; one dong more (or less) is.
        assert!(!fired(&revenue(3_000), Some(&before), &times_three));
        assert!(fired(&revenue(3_001), Some(&before), &times_three));
        assert!(!fired(&revenue(334), Some(&before), &times_three));
        assert!(!fired(&revenue(1_000), Some(&before), &times_three));
        assert!(fired(&revenue(333), Some(&before), &times_three));
        assert!(fired(&revenue(0), Some(&before), &times_three));
        // ×4: the hand-worked case of the behavioural test.
        let warned = warnings(
            &revenue(4_000),
            previous(&before),
            std::slice::from_ref(&times_three),
        );
        assert_eq!(warned.len(), 1);
        assert_eq!(warned[0].field, "report.revenue_vnd");
        assert_eq!(warned[0].rule, "revenue_factor");
        assert!(warned[0].message.contains("more than 3 times the 1000"));
        assert!(warned[0].message.contains("period 2023"));
    }

    #[test]
    fn a_fractional_factor_is_exact() {
        let one_and_a_half = rule(
            "headcount_jump",
            "headcount",
            Check::ChangeBeyondFactor {
                factor_hundredths: 150,
            },
        );
        // Headcount 100 → 150 is ×1.5 exactly: not beyond; 151 is.
        assert!(!fired(
            &staff(150, 0),
            Some(&staff(100, 0)),
            &one_and_a_half
        ));
        assert!(fired(&staff(151, 0), Some(&staff(100, 0)), &one_and_a_half));
        // 100 → 66: 66 × 1.5 = 99 < 100, beyond ÷1.5; 100 → 67: 100.5 ≥ 100, not beyond.
        assert!(fired(&staff(66, 0), Some(&staff(100, 0)), &one_and_a_half));
        assert!(!fired(&staff(67, 0), Some(&staff(100, 0)), &one_and_a_half));
    }

    #[test]
    fn a_previous_value_of_zero_or_no_previous_report_gives_no_change_warning() {
        let times_three = rule(
            "revenue_factor",
            "revenue_vnd",
            Check::ChangeBeyondFactor {
                factor_hundredths: 300,
            },
        );
        assert!(!fired(&revenue(5_000), Some(&revenue(0)), &times_three));
        assert!(!fired(&revenue(5_000), None, &times_three));
        let yes_to_no = rule("lost_converged", "converged_newsroom", Check::YesToNo);
        let no = AnnualReport {
            converged_newsroom: Some(false),
            ..AnnualReport::default()
        };
        assert!(!fired(&no, None, &yes_to_no));
        // Not answered before: nothing to compare with.
        assert!(!fired(
            &revenue(5_000),
            Some(&AnnualReport::default()),
            &times_three
        ));
    }

    #[test]
    fn yes_turning_to_no_warns_and_nothing_else_does() {
        let yes_to_no = rule("lost_converged", "converged_newsroom", Check::YesToNo);
        let answer = |value| AnnualReport {
            converged_newsroom: Some(value),
            ..AnnualReport::default()
        };
        assert!(fired(&answer(false), Some(&answer(true)), &yes_to_no));
        assert!(!fired(&answer(true), Some(&answer(false)), &yes_to_no));
        assert!(!fired(&answer(true), Some(&answer(true)), &yes_to_no));
        assert!(!fired(&answer(false), Some(&answer(false)), &yes_to_no));
        let warned = warnings(&answer(false), previous(&answer(true)), &[yes_to_no]);
        assert_eq!(warned[0].field, "report.converged_newsroom");
    }

    #[test]
    fn fewer_trained_with_a_stable_headcount_warns() {
        let fewer_trained = rule(
            "fewer_trained",
            "trained",
            Check::DecreaseWhileStable {
                stable: "headcount".into(),
                tolerance_bp: 1_000,
            },
        );
        // Headcount 100 → 110 is +10%, within 10%: stable; trained 50 → 40 fell.
        assert!(fired(
            &staff(110, 40),
            Some(&staff(100, 50)),
            &fewer_trained
        ));
        assert!(fired(&staff(90, 40), Some(&staff(100, 50)), &fewer_trained));
        // 100 → 111 is +11%: not stable, people left or came.
        assert!(!fired(
            &staff(111, 40),
            Some(&staff(100, 50)),
            &fewer_trained
        ));
        // Trained the same or more: nothing.
        assert!(!fired(
            &staff(100, 50),
            Some(&staff(100, 50)),
            &fewer_trained
        ));
        assert!(!fired(
            &staff(100, 60),
            Some(&staff(100, 50)),
            &fewer_trained
        ));
        assert!(!fired(&staff(100, 40), None, &fewer_trained));
    }

    #[test]
    fn a_value_outside_the_expected_range_warns_the_bounds_are_inclusive() {
        let products = rule(
            "many_products",
            "digital_products_launched",
            Check::OutsideRange {
                min: Some(0),
                max: Some(100),
            },
        );
        let launched = |value| AnnualReport {
            digital_products_launched: Some(value),
            ..AnnualReport::default()
        };
        assert!(!fired(&launched(100), None, &products));
        assert!(!fired(&launched(0), None, &products));
        assert!(fired(&launched(101), None, &products));
        assert!(!fired(&AnnualReport::default(), None, &products));
        let headcount = rule(
            "headcount_range",
            "headcount",
            Check::OutsideRange {
                min: Some(1),
                max: None,
            },
        );
        let mut empty = AnnualReport::default();
        empty.headcount.leaders = Some(0);
        assert!(fired(&empty, None, &headcount));
        assert_eq!(
            warnings(&empty, None, &[headcount])[0].field,
            "report.headcount"
        );
    }

    #[test]
    fn factors_and_percentages_are_shown_as_written() {
        assert_eq!(show_factor(300), "3");
        assert_eq!(show_factor(150), "1.5");
        assert_eq!(show_factor(225), "2.25");
        assert_eq!(show_percent(1000), "10%");
        assert_eq!(show_percent(1250), "12.5%");
    }
}
