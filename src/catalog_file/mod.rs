//! The catalogue file: the TOML text that `pressdx catalog import` and `serve --catalog` read,
//! and that `catalog/default.toml` is an instance of. Its tables are `[[period]]`, `[[indicator]]`,
//! `[[organization]]`, `[[withdrawn]]`, `[[plan]]` (with `[[plan.target]]` and `[[plan.task]]`),
//! `[[plausibility]]` and `[[maturity_framework]]`; the comments of `catalog/default.toml` say
//! what each key means, and README.md how a catalogue is imported.
//!
//! This module is the file's edge: the entry types serde reads, and the checks that are about the
//! file (unknown keys, codes unique within the file, references by code between entries). It
//! builds the domain's values, whose own rules the domain checks. Parsing reports every problem at
//! once, each with where it is (`organization[4] "bao-nam-dinh".province`).

mod indicators;
mod maturity;
mod organizations;
mod periods;
mod plans;
mod plausibility;
mod tasks;

use std::collections::HashSet;

use chrono::NaiveDate;
use serde::Deserialize;

use crate::domain::Catalog;
use crate::domain::formats;
use crate::domain::plan::{FULL_SHARE_BP, parse_percent};
use crate::domain::violation::{FieldViolation, Violations};

/// The default catalogue a fresh database is loaded with: the Nam Định plan, the national plan with
/// its yearly milestones, periods 2023-2030, and the organisations of Nam Định, Hà Nam and Ninh Bình
/// through the 2025 mergers.
pub const DEFAULT_CATALOG: &str = include_str!("../../catalog/default.toml");

/// A catalogue's text with its periods' closing times taken out, so that every period stays open:
/// for the bench and the tests, which submit for any year whatever the day they run.
pub fn without_closing_times(text: &str) -> String {
    text.lines()
        .filter(|line| !line.trim_start().starts_with("closes_at"))
        .map(|line| format!("{line}\n"))
        .collect()
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("the catalogue file is not valid TOML of the expected shape: {0}")]
    Syntax(String),
    #[error("the catalogue file has {} problem(s)", .0.len())]
    Invalid(Vec<FieldViolation>),
}

/// Parses and checks a catalogue file.
pub fn parse(text: &str) -> Result<Catalog, CatalogError> {
    let file: CatalogFile =
        toml::from_str(text).map_err(|error| CatalogError::Syntax(error.to_string()))?;
    file.check().map_err(CatalogError::Invalid)
}

// Dates, kinds and percentages are read as strings and checked here rather than by serde, so that
// one pass finds every problem instead of stopping at the first.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    #[serde(default)]
    period: Vec<periods::PeriodEntry>,
    #[serde(default)]
    indicator: Vec<indicators::IndicatorEntry>,
    #[serde(default)]
    organization: Vec<organizations::OrganizationEntry>,
    #[serde(default)]
    plan: Vec<plans::PlanEntry>,
    #[serde(default)]
    withdrawn: Vec<organizations::WithdrawnEntry>,
    #[serde(default)]
    plausibility: Vec<plausibility::PlausibilityEntry>,
    #[serde(default)]
    maturity_framework: Vec<maturity::FrameworkEntry>,
}

fn parse_date(text: &str, field: &str, violations: &mut Violations) -> Option<NaiveDate> {
    formats::parse_date(text)
        .map_err(|why| violations.add(field, why))
        .ok()
}

fn parse_optional_date(
    text: &Option<String>,
    field: &str,
    violations: &mut Violations,
) -> Option<NaiveDate> {
    text.as_deref()
        .and_then(|text| parse_date(text, field, violations))
}

fn parse_word<T>(
    text: &str,
    parse: fn(&str) -> Option<T>,
    all: &[T],
    as_str: fn(T) -> &'static str,
    field: &str,
    violations: &mut Violations,
) -> Option<T>
where
    T: Copy,
{
    let parsed = parse(text);
    if parsed.is_none() {
        let words: Vec<_> = all.iter().map(|word| as_str(*word)).collect();
        violations.add(
            field,
            format!("{text:?} is not one of: {}", words.join(", ")),
        );
    }
    parsed
}

/// Checks codes are codes ([`formats::check_code`]: what a request can name) and unique within
/// one list.
fn check_codes<'a>(
    codes: impl Iterator<Item = (String, &'a str)>,
    violations: &mut Violations,
) -> HashSet<&'a str> {
    let mut seen = HashSet::new();
    for (location, code) in codes {
        if let Err(why) = formats::check_code(code) {
            violations.add(format!("{location}.code"), why);
        } else if !seen.insert(code) {
            violations.add(
                format!("{location}.code"),
                format!("{code:?} appears twice"),
            );
        }
    }
    seen
}

impl CatalogFile {
    fn check(self) -> Result<Catalog, Vec<FieldViolation>> {
        let mut violations = Violations::new();
        let periods = periods::check_periods(&self.period, &mut violations);
        let indicators = indicators::check_indicators(&self.indicator, &mut violations);
        let (organizations, links) =
            organizations::check_organizations(&self.organization, &mut violations);
        let plans = plans::check_plans(&self.plan, &indicators, &organizations, &mut violations);
        let withdrawn = organizations::check_withdrawn(
            &self.withdrawn,
            &organizations,
            &links,
            &plans,
            &mut violations,
        );
        let plausibility =
            plausibility::check_plausibility(&self.plausibility, &indicators, &mut violations);
        let maturity_frameworks =
            maturity::check_frameworks(&self.maturity_framework, &periods, &mut violations);
        violations.into_result(Catalog {
            periods,
            indicators,
            organizations,
            links,
            plans,
            withdrawn,
            plausibility,
            maturity_frameworks,
        })
    }
}

fn parse_share(text: &str, field: &str, violations: &mut Violations) -> Option<u32> {
    match parse_percent(text) {
        Some(bp) if bp <= FULL_SHARE_BP => Some(bp),
        Some(_) => {
            violations.add(field, format!("{text:?} is more than 100%"));
            None
        }
        None => {
            violations.add(
                field,
                format!("{text:?} is not a percentage such as \"70%\""),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::indicator::REPORT_FIELDS;
    use crate::domain::plausibility::Check;

    #[test]
    fn the_default_catalogue_is_valid() {
        let catalog = parse(DEFAULT_CATALOG).unwrap_or_else(|error| match error {
            CatalogError::Invalid(violations) => panic!(
                "{}",
                violations
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
            other => panic!("{other}"),
        });
        let years: Vec<_> = catalog.periods.iter().map(|period| period.year).collect();
        assert_eq!(years, (2023..=2030).collect::<Vec<_>>());
        assert_eq!(catalog.indicators.len(), REPORT_FIELDS.len());
        assert!(catalog.plans.len() >= 2);
    }

    #[test]
    fn plausibility_rules_are_checked_every_problem_at_once() {
        let catalog = parse(DEFAULT_CATALOG).unwrap();
        let codes: Vec<_> = catalog
            .plausibility
            .iter()
            .map(|rule| rule.code.as_str())
            .collect();
        assert!(codes.contains(&"revenue_factor") && codes.contains(&"fewer_trained"));
        let revenue = &catalog.plausibility[0];
        assert_eq!(
            revenue.check,
            Check::ChangeBeyondFactor {
                factor_hundredths: 300
            }
        );

        let rules = r#"
            [[plausibility]]
            code = "a"
            indicator = "revenue"
            kind = "change_beyond_factor"
            factor = 1

            [[plausibility]]
            code = "b"
            indicator = "revenue_vnd"
            kind = "yes_to_no"

            [[plausibility]]
            code = "c"
            indicator = "trained"
            kind = "decrease_while_stable"
            stable = "converged_newsroom"
            tolerance = "10"

            [[plausibility]]
            code = "d"
            indicator = "security_level"
            kind = "outside_range"
            min = 0
            factor = "1.5"

            [[plausibility]]
            code = "a"
            indicator = "headcount"
            kind = "sometimes"
        "#;
        let text = format!(
            "{DEFAULT_CATALOG}
{rules}"
        );
        let Err(CatalogError::Invalid(violations)) = parse(&text) else {
            panic!("expected problems");
        };
        let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
        for expected in [
            r#"plausibility[9] "a".indicator"#,
            r#"plausibility[9] "a".factor"#,
            r#"plausibility[10] "b".indicator"#,
            r#"plausibility[11] "c".stable"#,
            r#"plausibility[11] "c".tolerance"#,
            r#"plausibility[12] "d".min"#,
            r#"plausibility[12] "d".factor"#,
            r#"plausibility[13] "a".code"#,
            r#"plausibility[13] "a".kind"#,
        ] {
            assert!(
                fields.contains(&expected),
                "{expected} missing from {fields:#?}"
            );
        }
    }

    #[test]
    fn every_problem_is_reported_with_where_it_is() {
        let file = r#"
            [[period]]
            code = "2025"
            year = 2025
            window_start = "2025-12-15"
            window_end = "2025-02-30"
            deadline = "15 November"

            [[organization]]
            code = "bao-x"
            kind = "press_agency"
            name = "Báo X"
            province = "nowhere"

            [[organization]]
            code = "bao-x"
            kind = "newspaper"
            name = ""

            [[organization]]
            code = "bao-y"
            kind = "press_agency"
            name = "Báo Y"
            agency_type = "local_newspaper"
            valid_from = "2025-07-01"
            predecessors = [
              { code = "bao-x", kind = "merger" },
              { code = "bao-x", kind = "merger", effective_on = "2025-01-01" },
            ]
        "#;
        let Err(CatalogError::Invalid(violations)) = parse(file) else {
            panic!("expected problems");
        };
        let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
        for expected in [
            r#"period[0] "2025".window_end"#,
            r#"period[0] "2025".deadline"#,
            r#"organization[1] "bao-x".code"#,
            r#"organization[1] "bao-x".kind"#,
            r#"organization[1] "bao-x".name"#,
            r#"organization[0] "bao-x".agency_type"#,
            r#"organization[0] "bao-x".province"#,
            r#"organization[2] "bao-y".predecessors[1].code"#,
            "indicator",
        ] {
            assert!(
                fields.contains(&expected),
                "{expected} missing from {fields:#?}"
            );
        }
    }
}
